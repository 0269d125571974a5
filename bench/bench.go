// Package bench is flowlens's performance benchmark. It builds (once) a
// reproducible data set in its own database, sends the dashboards of the
// API through the service's real HTTP handler, and runs two baselines on
// the same data in the same run: the original service's statement sequence
// (schema plain, plain indexes, one connection) and the floor (the fastest
// hand-written SQL, through pgx, one connection per field). It checks that
// all three give the same numbers and prints latencies, ratios, statements
// per request, the flow-path fields against the step feedback of the same
// flow, the cost curve over tenant sizes, memory per request, what reading
// from a streaming replica adds (when one is given), and an
// optional load run over a loopback HTTP server.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/store"
)

// Options configure a bench run.
type Options struct {
	// AdminURL is the owner's connection (DATABASE_URL); the bench database
	// is created on its server.
	AdminURL string
	// AppURL is the service role's connection (APP_DATABASE_URL); empty
	// means AdminURL with user flowlens_app. Its database name is replaced.
	AppURL string
	// Database is the bench database's name.
	Database string
	// Rebuild drops and rebuilds the data set even when it is complete.
	Rebuild bool
	// Quick uses the tiny data set (a few thousand sessions per tenant).
	Quick bool
	// Runs and Warmup are the measured and unmeasured runs of the service
	// and the floor; OriginalRuns of the (slow) original baseline.
	Runs, Warmup, OriginalRuns int
	// Pool is the service's connection pool.
	Pool store.PoolConfig
	// FloorConns is the floor's pool size.
	FloorConns int
	// Explain prints the query plans of the heaviest dashboards.
	Explain bool
	// Skip names parts not to run: latencies (the main table), original,
	// paths, curve, limits, memory, replica, drilldown, export.
	Skip map[string]bool
	// Huge adds the 10,000,000-session tenant (its own database, built once)
	// to the cost curve.
	Huge bool
	// Replicas are addresses of streaming standbys of the bench server, as
	// the service's role (REPLICA_DATABASE_URLS; their database name is
	// replaced): the replica part compares reads through them with reads
	// from the primary only. None: no replica part.
	Replicas []string
	// ReplicaWait is the service's REPLICA_WAIT, for the report.
	ReplicaWait time.Duration
	// ReplicaRuns are the measured runs of each request of the replica part.
	ReplicaRuns int
	// ReplicaHandler returns the service's HTTP handler over db reading
	// from replicas when they are fresh, reporting to m.
	ReplicaHandler func(db *bun.DB, replicas []*bun.DB, now func() time.Time, m store.ReadMetrics) http.Handler
	// Load and Clients steer the load run (none when Load is 0).
	Load    time.Duration
	Clients int
	// LoadLarge limits the load run's mix to the large tenant's
	// dashboards (the run) instead of six tenants'.
	LoadLarge bool
	// Handler returns the service's HTTP handler over db (connected as the
	// service's role), answering as if the time were now().
	Handler func(db *bun.DB, now func() time.Time) http.Handler
	// Server returns the HTTP server that serves handler h on loopback for
	// the export part (nil: a plain http.Server); `flowlens bench` passes
	// the server of `flowlens serve`, with its timeouts.
	Server func(h http.Handler) *http.Server
	// Token returns a bearer token for a user.
	Token func(user uuid.UUID) (string, error)
	// Out receives the report and progress.
	Out io.Writer
}

// Run runs the bench. It fails when a baseline's numbers differ from the
// service's, when a request fails, or when the load run sees an error or
// an answer of another tenant.
func Run(ctx context.Context, o Options) error {
	if o.Runs < 1 || o.OriginalRuns < 1 || o.Warmup < 0 {
		return fmt.Errorf("runs must be at least 1 and warm-up runs not negative")
	}
	out := o.Out
	spec := dataSpec(o.Quick)
	data, err := prepare(ctx, &o, spec, out)
	if err != nil {
		return err
	}
	r, err := newRunner(ctx, &o, data)
	if err != nil {
		return err
	}
	defer r.close(ctx)
	if err := r.environment(ctx); err != nil {
		return err
	}
	if !o.Skip["latencies"] {
		if err := r.latencies(ctx); err != nil {
			return err
		}
	}
	if len(o.Replicas) > 0 && !o.Skip["replica"] {
		if err := r.replicaReads(ctx); err != nil {
			return fmt.Errorf("replica reads: %w", err)
		}
	}
	for _, part := range []struct {
		name string
		run  func(context.Context) error
	}{{"paths", r.paths}, {"curve", r.costCurve}, {"limits", r.limits}, {"memory", r.memory},
		{"drilldown", r.drilldown}, {"export", r.exports}} {
		if o.Skip[part.name] {
			continue
		}
		if err := part.run(ctx); err != nil {
			return err
		}
	}
	if o.Explain {
		if err := r.explain(ctx); err != nil {
			return err
		}
	}
	if o.Load > 0 {
		return r.load(ctx)
	}
	return nil
}

// runner holds the connections of one bench run.
type runner struct {
	o    *Options
	data *dataset
	out  io.Writer
	app  *bun.DB
	svc  *service
	orig *original
	flr  *floor
	// main holds the measurements of the main table, by label and tenant.
	main map[string]*result
}

func newRunner(ctx context.Context, o *Options, data *dataset) (*runner, error) {
	app, err := store.Open(data.AppURL, o.Pool)
	if err != nil {
		return nil, err
	}
	if err := store.Ping(ctx, app, 5*time.Second); err != nil {
		return nil, fmt.Errorf("connect as the service's role: %w", err)
	}
	counter := &statementCounter{}
	hooked := app.WithQueryHook(counter)
	now := func() time.Time { return anchor }
	r := &runner{o: o, data: data, out: o.Out, app: app, main: map[string]*result{},
		svc: &service{handler: o.Handler(hooked, now), counter: counter, token: o.Token, tokens: map[uuid.UUID]string{}}}
	if r.orig, err = connectOriginal(ctx, data.OwnerURL); err != nil {
		_ = app.Close()
		return nil, err
	}
	if r.flr, err = connectFloor(ctx, data.OwnerURL, o.FloorConns); err != nil {
		r.orig.close(ctx)
		_ = app.Close()
		return nil, err
	}
	return r, nil
}

func (r *runner) close(ctx context.Context) {
	r.flr.close()
	r.orig.close(ctx)
	_ = r.app.Close()
}
