// Package httpapi is flowlens's HTTP application: the handler chain of the
// GraphQL endpoint (request log and metrics, deadline, transport guard,
// authentication and the per-user rate limit, the GraphQL-over-HTTP
// transport, the GraphQL executor), the CSV export of the sessions lists,
// the probes and the Playground, and the metrics for a listener of their
// own, built by New from explicit dependencies. Every error it writes
// itself is GraphQL-shaped and written by writeError.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/graph"
	"flowlens/models"
	"flowlens/observe"
	"flowlens/playground"
	"flowlens/ratelimit"
	"flowlens/store"
)

// Settings are the tunable values of the application; the zero value of a
// limit turns it off. Defaults holds the service's defaults.
type Settings struct {
	// Development serves the Playground and allows introspection and
	// suggestions.
	Development bool
	// PlaygroundToken is the bearer token the Playground's headers editor
	// opens with (empty: a placeholder saying where a token comes from).
	PlaygroundToken string
	// RequestTimeout is the deadline of one GraphQL request.
	RequestTimeout time.Duration
	// SlowRequestThreshold: a request that takes longer is also logged as
	// slow; 0 turns that off.
	SlowRequestThreshold time.Duration
	// MaxBodyBytes bounds the request body: larger ones get HTTP 413
	// before anything is parsed.
	MaxBodyBytes int64
	// Limits bound each GraphQL operation.
	Limits graph.Limits
	// RateLimitRPS and RateLimitBurst size each user's token bucket; a
	// zero RateLimitRPS turns rate limiting off.
	RateLimitRPS   float64
	RateLimitBurst int
	// MetricsAddr is where `serve` serves /metrics (MetricsHandler): a
	// listener of its own, off the API's port, on loopback by default, so
	// that only the machine's own scraper reads the figures.
	MetricsAddr string
	// ExportTimeout bounds one CSV export (0: only the client and the
	// per-batch stall bound it); ExportBatchRows is the rows of one of its
	// keyset batches, each one read-only transaction.
	ExportTimeout   time.Duration
	ExportBatchRows int
	// ReplicaWait bounds how long a request waits for a replica (Deps.
	// Replicas) to replay the primary's WAL position before it reads from
	// the primary; 0: a replica serves only a request it has already
	// caught up with.
	ReplicaWait time.Duration
	// ReplicaRetry is how long a failed replica is skipped before one
	// request checks it again (zero: store.DefaultReplicaRetry).
	ReplicaRetry time.Duration
	// MaxActiveRequests bounds the GraphQL requests that run at once; the
	// others wait their turn in arrival order (admit). 0: no bound.
	MaxActiveRequests int
}

// Defaults are the settings of the service unless configured otherwise.
var Defaults = Settings{
	RequestTimeout:       10 * time.Second,
	SlowRequestThreshold: time.Second,
	MaxBodyBytes:         1 << 20,
	Limits:               graph.DefaultLimits,
	RateLimitRPS:         20,
	RateLimitBurst:       40,
	MetricsAddr:          "127.0.0.1:9090",
	ExportTimeout:        10 * time.Minute,
	ExportBatchRows:      1000,
	ReplicaWait:          store.DefaultReplicaWait,
	ReplicaRetry:         store.DefaultReplicaRetry,
	MaxActiveRequests:    4, // two thirds of store.DefaultPool's connections
}

// KnownOperations are the operation names that metrics and logs show as
// they are: those of the Playground's examples and of the typed client's
// documents (TestKnownOperations keeps the list complete). Every other
// name is chosen by a client and shows as "other".
var KnownOperations = []string{"TeamDashboard", "MyDashboard", "FlowDashboard", "DrillDown", "TeamSessions", "FlowPaths"}

// Deps are what the application runs on.
type Deps struct {
	// DB is the service role's connection pool on the primary: every
	// query without replicas, and the readiness probe.
	DB *bun.DB
	// Replicas are the pools of the primary's read replicas, as the
	// service's role, named replica-1, replica-2, ... in order (none: every
	// read on DB). A request reads from one only when it is as fresh as
	// the primary (store.WithReplicas).
	Replicas []*bun.DB
	// ReadMetrics, when set, also receives the figures of replica reads
	// (besides /metrics): the benchmark records them.
	ReadMetrics store.ReadMetrics
	// Verifier checks bearer tokens.
	Verifier *auth.Verifier
	// Log receives the request log and the errors.
	Log *slog.Logger
	// Now returns the current instant (nil: time.Now); tests pin it.
	Now func() time.Time
}

// App is the HTTP application of one service instance.
type App struct {
	settings Settings
	db       *bun.DB
	store    *store.Store
	verifier *auth.Verifier
	log      *slog.Logger
	now      func() time.Time
	// limiter holds each user's request budget; nil when rate limiting is off.
	limiter *ratelimit.Limiter
	// cursors signs the sessions connections' cursors.
	cursors graph.Cursors
	// obs measures and logs every GraphQL request and SQL statement.
	obs *observe.Observer
	// replicated: reads may go to replicas (Deps.Replicas).
	replicated bool
	draining   atomic.Bool
}

// New returns the application over deps with settings s.
func New(s Settings, deps Deps) *App {
	metrics := observe.NewMetrics(KnownOperations...)
	metrics.CollectDB(deps.DB.DB, "flowlens")
	obs := observe.New(observe.Options{
		Log:           deps.Log,
		Metrics:       metrics,
		SlowThreshold: s.SlowRequestThreshold,
		Account:       viewerAccount,
	})
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	// WithQueryHook returns a new handle; only queries through it are observed.
	st := store.New(deps.DB.WithQueryHook(obs.QueryHook()))
	if len(deps.Replicas) > 0 {
		replicas := make([]store.Replica, len(deps.Replicas))
		for i, db := range deps.Replicas {
			replicas[i] = store.Replica{Name: ReplicaName(i), DB: db.WithQueryHook(obs.QueryHook())}
			metrics.CollectDB(db.DB, replicas[i].Name)
		}
		var m store.ReadMetrics = metrics
		if deps.ReadMetrics != nil {
			m = readTee{metrics, deps.ReadMetrics}
		}
		st = st.WithReplicas(replicas, store.ReplicaOptions{Wait: s.ReplicaWait, Retry: s.ReplicaRetry, Metrics: m})
	}
	a := &App{
		settings:   s,
		db:         deps.DB,
		store:      st,
		verifier:   deps.Verifier,
		log:        deps.Log,
		now:        now,
		obs:        obs,
		cursors:    graph.NewCursors(deps.Verifier.DerivedKey(cursorKeyPurpose)),
		replicated: len(deps.Replicas) > 0,
	}
	if s.RateLimitRPS > 0 {
		a.limiter = ratelimit.New(s.RateLimitRPS, s.RateLimitBurst)
	}
	return a
}

// cursorKeyPurpose names the key, derived from the JWT secret, that signs
// the sessions connections' cursors.
const cursorKeyPurpose = "flowlens/session-cursor/v1"

// SetDraining makes /readyz answer 503 while the server shuts down.
func (a *App) SetDraining() { a.draining.Store(true) }

// Handler returns the root HTTP handler of the API's port: /query,
// /export/sessions.csv, /healthz, /readyz and, in development, the
// Playground. The metrics are not there: see MetricsHandler.
func (a *App) Handler() http.Handler {
	gql := graph.NewServer(&graph.Resolver{Store: a.store, Now: a.now, Cursors: a.cursors}, graph.Options{
		Development: a.settings.Development,
		Log:         a.log,
		Limits:      a.settings.Limits,
		Extensions:  []graphql.HandlerExtension{a.obs.Extension()},
	})
	gql.AddTransport(graphqlHTTP{})

	mux := http.NewServeMux()
	// The observer is outermost: it sees every answer, refusals included.
	// Then the deadline, the transport guard (method, media type, body
	// size, batching), the request's one place to read (with replicas),
	// authentication and the per-user rate limit, the request's turn
	// (admit), and GraphQL.
	mux.Handle("/query", a.obs.Middleware(a.withDeadline(guard(a.settings.MaxBodyBytes, a.readsTogether(a.authenticate(a.admit(gql)))))))
	// The export: the same authentication and rate limit as GraphQL, its
	// own deadline (ExportTimeout) instead of the request deadline.
	mux.Handle("/export/sessions.csv", a.obs.ExportMiddleware("sessions_csv", onlyGET(a.readsTogether(a.authenticate(http.HandlerFunc(a.exportSessions))))))
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", a.readyz)
	if a.settings.Development {
		mux.Handle("/{$}", a.playground())
		mux.Handle(playground.AssetsPath, playground.Assets())
	}
	return mux
}

// MetricsHandler returns the handler of the metrics listener
// (Settings.MetricsAddr): GET /metrics in the Prometheus text format.
func (a *App) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.obs.Metrics().Handler())
	return mux
}

// onlyGET answers every method but GET with 405 and the JSON error body.
func onlyGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			writeError(w, http.StatusMethodNotAllowed, models.Errorf(models.CodeMethodNotAllowed, "use GET"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withDeadline bounds every request by the configured deadline.
func (a *App) withDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), a.settings.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// viewerAccount returns the account id of the request's viewer, for logs.
func viewerAccount(ctx context.Context) string {
	if u := auth.Viewer(ctx); u != nil {
		return u.AccountID.String()
	}
	return ""
}
