package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"flowlens/store"
)

// The replica part: the same dashboards through the service reading only
// from the primary and through the service reading from a replica
// (REPLICA_DATABASE_URLS), one request of each in turn, with the primary
// idle and under a steady stream of small writes; it prints both
// latencies, what reading from the replica adds, and the freshness check
// itself (the primary's WAL position and the wait for the replica).

// replicaScenario is one state of the primary during the measurement.
type replicaScenario struct {
	name string
	// writes per second on the primary (0: none), committed with
	// synchronous_commit set to syncCommit.
	writes     int
	syncCommit string
}

var replicaScenarios = []replicaScenario{
	{"idle primary", 0, ""},
	{"50 commits/s", 50, "on"},
	{"50 async commits/s", 50, "off"},
}

// readRecorder is the store.ReadMetrics of the routed service: the
// freshness checks' durations, reads per target, fallbacks by reason.
type readRecorder struct {
	mu        sync.Mutex
	checks    samples
	reads     map[string]int
	fallbacks map[string]int
}

func newReadRecorder() *readRecorder {
	return &readRecorder{reads: map[string]int{}, fallbacks: map[string]int{}}
}

func (r *readRecorder) ReplicaRead(target string) {
	r.mu.Lock()
	r.reads[target]++
	r.mu.Unlock()
}

func (r *readRecorder) ReplicaFallback(reason string) {
	r.mu.Lock()
	r.fallbacks[reason]++
	r.mu.Unlock()
}

func (r *readRecorder) ReplicaLag(string, uint64) {}
func (r *readRecorder) ReplicaUp(string, bool)    {}

func (r *readRecorder) ReplicaCheck(d time.Duration) {
	r.mu.Lock()
	r.checks = append(r.checks, d)
	r.mu.Unlock()
}

// take returns what was recorded since the last call and starts afresh.
func (r *readRecorder) take() (checks samples, reads, fallbacks map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	checks, reads, fallbacks = r.checks, r.reads, r.fallbacks
	r.checks, r.reads, r.fallbacks = nil, map[string]int{}, map[string]int{}
	return checks, reads, fallbacks
}

// replicaReads runs the replica part.
func (r *runner) replicaReads(ctx context.Context) error {
	var replicas []*bun.DB
	defer func() {
		for _, db := range replicas {
			_ = db.Close()
		}
	}()
	for i, u := range r.o.Replicas {
		dsn, err := withDatabase(u, r.o.Database, "")
		if err != nil {
			return err
		}
		db, err := store.Open(dsn, r.o.Pool)
		if err != nil {
			return err
		}
		replicas = append(replicas, db)
		if err := r.caughtUp(ctx, db); err != nil {
			return fmt.Errorf("replica %d (%s): %w", i+1, store.HostPort(dsn), err)
		}
	}
	rec := newReadRecorder()
	// routedService is the service reading from the replicas, new for
	// each row, so that a replica skipped in one row (after a wait past
	// REPLICA_WAIT) is not still skipped in the next.
	routedService := func() *service {
		return &service{handler: r.o.ReplicaHandler(r.app, replicas, func() time.Time { return anchor }, rec),
			counter: &statementCounter{}, token: r.o.Token, tokens: map[uuid.UUID]string{}}
	}
	t := r.data.tenant(roleMedium, 0)
	var qs []query
	for _, period := range []string{"LAST_7_DAYS", "LAST_90_DAYS"} {
		all, err := r.queries(ctx, t, period)
		if err != nil {
			return err
		}
		if period == "LAST_7_DAYS" {
			qs = append(qs, all[0], all[2], all[3])
		} else {
			qs = append(qs, all[0])
		}
	}
	fmt.Fprintf(r.out, "\nReplica reads: %s (%s), REPLICA_WAIT %s; the same requests through the service reading from the primary only and reading from %d replica(s), in turn, %d runs each (+%d warm-up); ms\n",
		t.Name, count(t.Sessions), r.o.ReplicaWait, len(replicas), r.o.ReplicaRuns, r.o.Warmup)
	fmt.Fprintf(r.out, "%-19s %-9s | %8s %8s | %8s %8s | %9s %9s | %7s %7s | %8s %8s | %s\n",
		"primary", "query", "prim p50", "prim p99", "repl p50", "repl p99", "added p50", "added p99", "p50 ×", "p99 ×", "check50", "check99", "reads on replicas, fallbacks")
	for _, sc := range replicaScenarios {
		stop, err := r.writer(ctx, sc)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if err := r.replicaRow(ctx, sc, q, routedService(), replicas, rec); err != nil {
				stop()
				return err
			}
		}
		if err := stop(); err != nil {
			return err
		}
	}
	return nil
}

// replicaRow measures q both ways and prints one line; with the primary
// idle, it settles the primary's WAL before each request through the
// replicas (outside the measured time).
func (r *runner) replicaRow(ctx context.Context, sc replicaScenario, q query, routed *service, replicas []*bun.DB, rec *readRecorder) error {
	want, _, err := r.svc.do(ctx, q)
	if err != nil {
		return err
	}
	// through runs q on s; with the primary idle, a request through the
	// replicas first settles the primary's WAL, since the requests on the
	// primary write WAL that no commit follows (pruning pages), as may the
	// primary itself.
	through := func(s *service) (*response, time.Duration, error) {
		if s == routed && sc.writes == 0 {
			if err := r.settle(ctx, replicas); err != nil {
				return nil, 0, err
			}
		}
		return s.do(ctx, q)
	}
	got, _, err := through(routed)
	if err != nil {
		return fmt.Errorf("through the replica: %w", err)
	}
	if err := sameAnswer("the replica's answer, "+q.label(), want.Data.A.normalized(), got.Data.A.normalized()); err != nil {
		return err
	}
	var prim, repl samples
	for i := 0; i < r.o.Warmup+r.o.ReplicaRuns; i++ {
		if i == r.o.Warmup {
			rec.take()
		}
		first, second := r.svc, routed
		if i%2 == 1 {
			first, second = routed, r.svc
		}
		_, d1, err := through(first)
		if err != nil {
			return err
		}
		_, d2, err := through(second)
		if err != nil {
			return err
		}
		if first == routed {
			d1, d2 = d2, d1
		}
		if i >= r.o.Warmup {
			prim, repl = append(prim, d1), append(repl, d2)
		}
	}
	checks, reads, fallbacks := rec.take()
	onReplicas := 0
	for target, n := range reads {
		if target != store.TargetPrimary {
			onReplicas += n
		}
	}
	total := onReplicas + reads[store.TargetPrimary]
	var fb []string
	for reason, n := range fallbacks {
		fb = append(fb, fmt.Sprintf("%s %d", reason, n))
	}
	sort.Strings(fb)
	if len(fb) == 0 {
		fb = []string{"none"}
	}
	fmt.Fprintf(r.out, "%-19s %-9s | %8s %8s | %8s %8s | %9s %9s | %7s %7s | %8s %8s | %d of %d; %s\n",
		sc.name, q.label(), ms(prim.p50()), ms(prim.pct(99)), ms(repl.p50()), ms(repl.pct(99)),
		plusMS(repl.p50()-prim.p50()), plusMS(repl.pct(99)-prim.pct(99)),
		times(repl.p50(), prim.p50()), times(repl.pct(99), prim.pct(99)),
		ms(checks.p50()), ms(checks.pct(99)), onReplicas, total, strings.Join(fb, ", "))
	return nil
}

// plusMS formats a difference of durations in milliseconds, with its sign.
func plusMS(d time.Duration) string {
	if d < 0 {
		return "-" + ms(-d)
	}
	return "+" + ms(d)
}

// settle makes the idle primary's WAL replayable: it commits an empty
// transaction with synchronous_commit on, which flushes every record
// before its commit (WAL that no commit follows, such as the primary's
// first reads pruning pages or the background writer's snapshots of
// running transactions, otherwise waits for the WAL writer, seconds when
// it hibernates, and until then no replica replays the primary's insert
// position), then waits for the replicas to replay it.
func (r *runner) settle(ctx context.Context, replicas []*bun.DB) error {
	if _, err := r.flr.pool.Exec(ctx, "BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_current_xact_id(); COMMIT"); err != nil {
		return fmt.Errorf("flush the primary's WAL: %w", err)
	}
	for i, db := range replicas {
		if err := r.caughtUp(ctx, db); err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
	}
	return nil
}

// caughtUp waits up to a minute for a replica to replay the primary's
// current WAL position (the data set may have just been built).
func (r *runner) caughtUp(ctx context.Context, replica *bun.DB) error {
	var target string
	if err := r.flr.pool.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&target); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var inRecovery, done bool
		err := replica.QueryRowContext(ctx, "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= ?::pg_lsn, false)", target).Scan(&inRecovery, &done)
		switch {
		case err != nil:
			return err
		case !inRecovery:
			return fmt.Errorf("not a standby (pg_is_in_recovery() is false)")
		case done:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("has not replayed the primary's WAL position %s within a minute", target)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writer starts sc's writes on the primary, into a table of the bench's own
// schema that no dashboard reads, and returns the function that stops
// them (and reports a failed write).
func (r *runner) writer(ctx context.Context, sc replicaScenario) (stop func() error, err error) {
	if sc.writes == 0 {
		return func() error { return nil }, nil
	}
	conn, err := pgx.Connect(ctx, r.data.OwnerURL)
	if err != nil {
		return nil, err
	}
	for _, s := range []string{
		"CREATE TABLE IF NOT EXISTS bench.replica_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), pad text NOT NULL)",
		"SET synchronous_commit = " + sc.syncCommit,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			conn.Close(ctx)
			return nil, err
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(sc.writes))
		defer tick.Stop()
		for {
			select {
			case <-wctx.Done():
				done <- nil
				return
			case <-tick.C:
				// Not under wctx: stopping never interrupts a write.
				if _, err := conn.Exec(ctx, "INSERT INTO bench.replica_writes (pad) VALUES (repeat('x', 200))"); err != nil {
					done <- fmt.Errorf("write on the primary: %w", err)
					return
				}
			}
		}
	}()
	return func() error {
		cancel()
		err := <-done
		if _, terr := conn.Exec(ctx, "TRUNCATE bench.replica_writes"); err == nil {
			err = terr
		}
		conn.Close(ctx)
		return err
	}, nil
}
