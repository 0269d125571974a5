package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/graph"
	"flowlens/observe"
	"flowlens/playground"
	"flowlens/ratelimit"
	"flowlens/store"
)

// app wires the HTTP surface of flowlens: GraphQL behind auth and
// per-request loaders, probes, and the Playground.
type app struct {
	cfg      *config
	db       *bun.DB
	store    *store.Store
	verifier *auth.Verifier
	log      *slog.Logger
	now      func() time.Time
	draining atomic.Bool
	// limiter holds each user's request budget; nil when rate limiting is off.
	limiter *ratelimit.Limiter
	// obs measures and logs every GraphQL request and SQL statement.
	obs *observe.Observer
}

func newApp(cfg *config, secret string, db *bun.DB, log *slog.Logger) *app {
	metrics := observe.NewMetrics()
	metrics.CollectDB(db.DB, "flowlens")
	obs := observe.New(observe.Options{
		Log:           log,
		Metrics:       metrics,
		SlowThreshold: cfg.SlowRequestThreshold,
		WithRequestID: graph.WithRequestID,
		Account:       viewerAccount,
	})
	a := &app{
		cfg: cfg,
		db:  db,
		// WithQueryHook returns a new handle; only queries through it are observed.
		store:    store.New(db.WithQueryHook(obs.QueryHook())),
		obs:      obs,
		verifier: auth.NewVerifier(secret, cfg.JWTIssuer, cfg.JWTAudience),
		log:      log,
		now:      time.Now,
	}
	if cfg.RateLimitRPS > 0 {
		a.limiter = ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst)
	}
	return a
}

// SetDraining makes /readyz answer 503 while the server shuts down.
func (a *app) SetDraining() { a.draining.Store(true) }

// Handler returns the root HTTP handler.
func (a *app) Handler() http.Handler {
	limits := a.cfg.limits()
	gql := graph.NewServer(&graph.Resolver{Store: a.store, Now: a.now}, graph.Options{
		Development: !a.cfg.production(),
		Log:         a.log,
		Limits:      limits,
		Extensions:  []graphql.HandlerExtension{a.obs.Extension()},
	})
	var gates []auth.Gate
	if a.limiter != nil {
		gates = append(gates, a.limiter.Gate)
	}
	api := auth.Middleware(a.verifier, a.store, a.log, graph.LoaderMiddleware(a.store, gql), gates...)

	mux := http.NewServeMux()
	// Transport limits first (method, media type, body size, batching),
	// then authentication and the per-user rate limit, then GraphQL.
	// The observer is outermost: it sees every answer, refusals included.
	mux.Handle("/query", a.obs.Middleware(a.withDeadline(graph.LimitTransport(limits, api))))
	mux.Handle("GET /metrics", a.obs.Metrics().Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", a.ready)
	if !a.cfg.production() {
		mux.Handle("/{$}", a.playground())
		mux.Handle(playground.AssetsPath, playground.Assets())
	}
	return mux
}

// viewerAccount returns the account id of the request's viewer, for logs.
func viewerAccount(ctx context.Context) string {
	if u := auth.Viewer(ctx); u != nil {
		return u.AccountID.String()
	}
	return ""
}

// playground returns the offline GraphiQL page with the example tabs and
// the Authorization header prefilled: PLAYGROUND_TOKEN when set, else a
// placeholder saying where a token comes from.
func (a *app) playground() http.Handler {
	token := a.cfg.PlaygroundToken
	if token == "" {
		token = "<paste a token from flowlens token>"
	}
	var headers strings.Builder
	enc := json.NewEncoder(&headers)
	enc.SetEscapeHTML(false) // the page escapes it; keep "<" readable in the editor
	_ = enc.Encode(map[string]string{"Authorization": "Bearer " + token})
	return playground.New("/query", strings.TrimSpace(headers.String()), playground.Examples())
}

func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
		return
	}
	if err := store.Ping(r.Context(), a.db, time.Second); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unreachable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// withDeadline bounds every GraphQL request by the configured deadline.
func (a *app) withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), a.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
