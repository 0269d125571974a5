package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// Scaling out (README, "Scaling out"): reads from a streaming standby that
// stay as fresh as the primary, and the service behind PgBouncer in
// transaction pooling mode. One primary, one standby (pg_basebackup -R)
// and two PgBouncers (one in front of each) serve all the subtests; each
// subtest has databases of its own on them.

// topology is the servers the scale-out tests share.
type topology struct {
	primary, standby *dbtest.Cluster
	// bouncer fronts the primary, standbyBouncer the standby.
	bouncer, standbyBouncer *dbtest.PgBouncer
}

// replicaDB is one fixture database on the topology: the owner's handle
// and address on the primary, and the owner's address of its copy on the
// standby.
type replicaDB struct {
	owner      *bun.DB
	dsn        string
	replicaDSN string
}

// newDB creates a migrated database with the small fixture on the
// primary and waits until the standby has replayed it.
func (tp *topology) newDB(t *testing.T) replicaDB {
	t.Helper()
	owner, dsn := dbtest.NewOn(t, tp.primary.DSN("postgres"))
	dbtest.LoadSmall(t, owner)
	db := replicaDB{owner: owner, dsn: dsn, replicaDSN: tp.standby.DSN(dbtest.DatabaseName(t, dsn))}
	waitReplayed(t, db.replicaDSN, 8)
	return db
}

// waitReplayed waits until the database of dsn holds sessions sessions.
func waitReplayed(t *testing.T, dsn string, sessions int) {
	t.Helper()
	db, err := store.Open(dsn, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if !dbtest.WaitFor(30*time.Second, func() bool {
		return db.QueryRow("SELECT count(*) FROM sessions").Scan(&n) == nil && n == sessions
	}) {
		t.Fatalf("the standby did not replay the fixture within 30 s (%d sessions)", n)
	}
}

// on sets the cluster each method of tp's servers reports to.
func (tp *topology) on(t *testing.T) *topology {
	tp.primary.Bind(t)
	tp.standby.Bind(t)
	return tp
}

// addSession commits, as the owner on the primary, one more resolved
// session of account A in January 2026.
func addSession(t *testing.T, owner *bun.DB) {
	t.Helper()
	if _, err := owner.Exec(`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome)
		VALUES (?, ?, '2026-01-20T10:00:00Z', '2026-01-20T10:05:00Z', 'resolved')`, small.TreeA, small.AdminA); err != nil {
		t.Fatal(err)
	}
}

// summaryOf sends the small fixture's summary query as user and returns
// its total and completed sessions, failing on any error.
func summaryOf(t *testing.T, e *env, user string) string {
	t.Helper()
	r := e.as(t, user, small.SummaryQuery, nil)
	if r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	return string(r.Data)
}

// summaryJSON is the answer of the summary query for account and counts.
func summaryJSON(account string, total, completed int) string {
	return fmt.Sprintf(`{"viewer":{"accountId":"%s"},"teamAnalytics":{"summary":{"totalSessions":%d,"completedSessions":%d}}}`, account, total, completed)
}

// sample returns the value of a sample of /metrics, 0 when absent.
func sample(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			fmt.Sscan(rest, &v)
			return v
		}
	}
	return 0
}

// readCounts are the figures of replica reads on /metrics.
type readCounts struct {
	primary, replica1, replica2                                float64
	lagging, unreachable, promoted, queryError, none, position float64
	up1                                                        float64
}

func (e *env) reads(t *testing.T) readCounts {
	t.Helper()
	m := e.metrics(t)
	return readCounts{
		primary:     sample(m, `flowlens_db_reads_total{target="primary"}`),
		replica1:    sample(m, `flowlens_db_reads_total{target="replica-1"}`),
		replica2:    sample(m, `flowlens_db_reads_total{target="replica-2"}`),
		lagging:     sample(m, `flowlens_replica_fallbacks_total{reason="lagging"}`),
		unreachable: sample(m, `flowlens_replica_fallbacks_total{reason="unreachable"}`),
		promoted:    sample(m, `flowlens_replica_fallbacks_total{reason="promoted"}`),
		queryError:  sample(m, `flowlens_replica_fallbacks_total{reason="query_error"}`),
		none:        sample(m, `flowlens_replica_fallbacks_total{reason="no_replica"}`),
		position:    sample(m, `flowlens_replica_fallbacks_total{reason="primary_position"}`),
		up1:         sample(m, `flowlens_replica_up{replica="replica-1"}`),
	}
}

// minus returns the counts since b (the up gauge as it is).
func (c readCounts) minus(b readCounts) readCounts {
	return readCounts{primary: c.primary - b.primary, replica1: c.replica1 - b.replica1, replica2: c.replica2 - b.replica2,
		lagging: c.lagging - b.lagging, unreachable: c.unreachable - b.unreachable, promoted: c.promoted - b.promoted,
		queryError: c.queryError - b.queryError, none: c.none - b.none, position: c.position - b.position, up1: c.up1}
}

// servedByReplica waits until a request of A is answered, right, from the
// replica (the first may find it still replaying the fixture).
func servedByReplica(t *testing.T, e *env) {
	t.Helper()
	if !dbtest.WaitFor(10*time.Second, func() bool {
		before := e.reads(t).replica1
		if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 3, 2) {
			t.Fatalf("before: %s", got)
		}
		return e.reads(t).replica1 > before
	}) {
		t.Fatal("no request was served by the replica within 10 s")
	}
}

func (c readCounts) fallbacks() float64 {
	return c.lagging + c.unreachable + c.promoted + c.queryError + c.none + c.position
}

// readsPerSummary is the store calls of one summary request: the viewer's
// lookup and the summary.
const readsPerSummary = 2

// replicaEnv serves db reading from its standby copy (and any more
// replicas), waiting up to wait for a replica, skipping a failed one for
// retry.
func replicaEnv(t *testing.T, db replicaDB, wait, retry time.Duration, more ...string) *env {
	t.Helper()
	return newEnv(t, envOptions{owner: db.owner, dsn: db.dsn, now: small.Now, replicas: append([]string{db.replicaDSN}, more...),
		pool: store.PoolConfig{MaxOpen: 4, MaxIdle: 4},
		settings: func(s *Settings) {
			s.RateLimitRPS, s.ReplicaWait, s.ReplicaRetry = 0, wait, retry
		}})
}

// standbySQL runs a statement on the standby as the superuser.
func (tp *topology) standbySQL(t *testing.T, q string) string {
	t.Helper()
	db, err := store.Open(tp.standby.DSN("postgres"), store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out string
	if err := db.QueryRow(q).Scan(&out); err != nil {
		t.Fatalf("%s on the standby: %v", q, err)
	}
	return out
}

func TestScaleOut(t *testing.T) {
	primary := dbtest.NewCluster(t, "synchronous_commit=on")
	standby := primary.NewStandby(t)
	tp := &topology{primary: primary, standby: standby,
		bouncer: dbtest.NewPgBouncer(t, primary.Port(), 2), standbyBouncer: dbtest.NewPgBouncer(t, standby.Port(), 2)}

	t.Run("WriteThenReadThroughReplica", func(t *testing.T) { testWriteThenRead(t, tp.on(t)) })
	t.Run("PausedReplayFallsBackFresh", func(t *testing.T) { testPausedReplay(t, tp.on(t)) })
	t.Run("StandbyRestartFailsNoRequest", func(t *testing.T) { testStandbyRestart(t, tp.on(t)) })
	t.Run("PromotedReplicaIsSkipped", func(t *testing.T) { testPromoted(t, tp.on(t)) })
	t.Run("ReplicasShareTheLoad", func(t *testing.T) { testShareLoad(t, tp.on(t)) })
	t.Run("TenantsNeverMixOverPgBouncer", func(t *testing.T) { testTenantsOverPgBouncer(t, tp.on(t)) })
	t.Run("CancelThroughPgBouncer", func(t *testing.T) { testCancelOverPgBouncer(t, tp.on(t)) })
	t.Run("ReadyzThroughPgBouncer", func(t *testing.T) { testReadyzOverPgBouncer(t, tp.on(t)) })
	if t.Failed() {
		t.Logf("PgBouncer's log:\n%s", tp.bouncer.Log())
	}
}

// A write committed on the primary is in the very next answer, and that
// answer comes from the replica: the primary runs one statement for the
// request (its WAL position), the replica the request's reads.
func testWriteThenRead(t *testing.T, tp *topology) {
	db := tp.newDB(t)
	e := replicaEnv(t, db, 5*time.Second, 0)
	const rounds = 10
	for i := 1; i <= rounds; i++ {
		addSession(t, db.owner)
		e.counter.Reset()
		if got, want := summaryOf(t, e, small.AdminA.String()), summaryJSON(small.AccountA.String(), 3+i, 2+i); got != want {
			t.Fatalf("after write %d: %s, want %s", i, got, want)
		}
		if n := e.counter.Count(); n != 1 {
			t.Errorf("request %d ran %d statements on the primary, want 1 (its WAL position)", i, n)
		}
	}
	if got, want := summaryOf(t, e, small.AdminB.String()), summaryJSON(small.AccountB.String(), 5, 4); got != want {
		t.Errorf("B through the replica: %s, want %s", got, want)
	}
	c := e.reads(t)
	if c.replica1 != (rounds+1)*readsPerSummary || c.primary != 0 || c.fallbacks() != 0 {
		t.Errorf("reads %+v: want %d on replica-1, none on the primary, no fallback", c, (rounds+1)*readsPerSummary)
	}
	if c.up1 != 1 {
		t.Errorf("replica-1 up = %v", c.up1)
	}
	m := e.metrics(t)
	if n := sample(m, "flowlens_replica_check_seconds_count"); n != rounds+1 {
		t.Errorf("%v freshness checks timed, want one per request (%d)", n, rounds+1)
	}
	if lag := sample(m, `flowlens_replica_lag_bytes{replica="replica-1"}`); lag != 0 {
		t.Errorf("replica lag %v bytes after the last check found it caught up, want 0", lag)
	}
}

// With replay paused on the standby, a write on the primary is still in
// every answer: the requests read from the primary (the first after
// waiting its bound, the next without waiting while the replica is
// skipped). Resumed, the replica serves again.
func testPausedReplay(t *testing.T, tp *topology) {
	db := tp.newDB(t)
	e := replicaEnv(t, db, 300*time.Millisecond, 200*time.Millisecond)
	servedByReplica(t, e)
	before := e.reads(t)
	tp.standbySQL(t, "SELECT pg_wal_replay_pause()::text")
	resumed := false
	resume := func() {
		if !resumed {
			tp.standbySQL(t, "SELECT pg_wal_replay_resume()::text")
			resumed = true
		}
	}
	defer resume()
	if !dbtest.WaitFor(5*time.Second, func() bool { return tp.standbySQL(t, "SELECT pg_get_wal_replay_pause_state()") == "paused" }) {
		t.Fatal("replay did not pause")
	}
	addSession(t, db.owner)
	const requests = 6
	for i := 0; i < requests; i++ {
		if got, want := summaryOf(t, e, small.AdminA.String()), summaryJSON(small.AccountA.String(), 4, 3); got != want {
			t.Fatalf("request %d with replay paused: %s, want %s", i, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := e.reads(t).minus(before)
	if c.replica1 != 0 || c.primary != requests*readsPerSummary {
		t.Errorf("reads %+v: want none on replica-1, %d on the primary", c, requests*readsPerSummary)
	}
	if c.lagging < 1 || c.lagging+c.none != requests || c.unreachable+c.promoted+c.queryError+c.position != 0 {
		t.Errorf("fallbacks %+v: want %d, lagging or skipped, at least one lagging", c, requests)
	}
	if up := e.reads(t).up1; up != 0 {
		t.Errorf("replica-1 up = %v while lagging, want 0", up)
	}
	// The lag is the WAL of the write (at least its commit record) that
	// the replica has not replayed; every routed request was timed.
	m := e.metrics(t)
	if lag := sample(m, `flowlens_replica_lag_bytes{replica="replica-1"}`); lag <= 0 {
		t.Errorf("replica lag %v bytes with replay paused after a write, want > 0", lag)
	}
	if n := sample(m, "flowlens_replica_check_seconds_count"); n < 1+c.lagging {
		t.Errorf("%v freshness checks timed, want at least %v", n, 1+c.lagging)
	}
	resume()
	if !dbtest.WaitFor(10*time.Second, func() bool {
		if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 4, 3) {
			t.Fatalf("after resuming: %s", got)
		}
		return e.reads(t).replica1 > before.replica1
	}) {
		t.Fatal("the replica did not serve again within 10 s of replay resuming")
	}
}

// With the standby stopped and started again under load, no request fails
// and every answer is right; /readyz stays ready (the primary answers);
// the replica serves again once back.
func testStandbyRestart(t *testing.T, tp *topology) {
	db := tp.newDB(t)
	e := replicaEnv(t, db, 300*time.Millisecond, 100*time.Millisecond)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type tally struct{ ok, failed int }
	results := make(chan tally)
	for w := 0; w < 4; w++ {
		go func() {
			var n tally
			users := []struct{ user, want string }{
				{small.AdminA.String(), summaryJSON(small.AccountA.String(), 3, 2)},
				{small.AdminB.String(), summaryJSON(small.AccountB.String(), 5, 4)},
			}
			for i := w; ctx.Err() == nil; i++ {
				u := users[i%2]
				r := e.as(t, u.user, small.SummaryQuery, nil)
				if r.Status == 200 && len(r.Errors) == 0 && string(r.Data) == u.want {
					n.ok++
				} else {
					n.failed++
					t.Errorf("request failed: %d %s", r.Status, r.Body)
				}
			}
			results <- n
		}()
	}
	if !dbtest.WaitFor(5*time.Second, func() bool { return e.reads(t).replica1 > 0 }) {
		t.Fatal("the replica served nothing before the stop")
	}
	tp.standby.Stop()
	for i := 0; i < 5; i++ {
		if r := e.get(t, e.srv.Client(), "/readyz"); r.Status != 200 {
			t.Errorf("/readyz with the standby down: %d", r.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	down := e.reads(t)
	tp.standby.Start()
	if !dbtest.WaitFor(15*time.Second, func() bool { return e.reads(t).replica1 > down.replica1 }) {
		t.Error("the replica did not serve again within 15 s of its restart")
	}
	stop()
	var total tally
	for w := 0; w < 4; w++ {
		n := <-results
		total.ok += n.ok
		total.failed += n.failed
	}
	c := e.reads(t)
	t.Logf("%d requests, %d failed; reads %+v", total.ok+total.failed, total.failed, c)
	if total.failed != 0 {
		t.Errorf("%d of %d requests failed across the standby's restart", total.failed, total.ok+total.failed)
	}
	if c.unreachable < 1 || c.primary == 0 {
		t.Errorf("reads %+v: want fallbacks for an unreachable replica, reads on the primary", c)
	}
}

// A promoted standby is no replica any more: requests read from the
// primary, fresh, and the promoted server leaves rotation, whether the
// request finds out in its transaction (nothing written since) or when
// checking the replay position.
func testPromoted(t *testing.T, tp *topology) {
	db := tp.newDB(t)
	own := tp.primary.NewStandby(t)
	copyDSN := own.DSN(dbtest.DatabaseName(t, db.dsn))
	waitReplayed(t, copyDSN, 8)
	e := newEnv(t, envOptions{owner: db.owner, dsn: db.dsn, now: small.Now, replicas: []string{copyDSN},
		settings: func(s *Settings) {
			s.RateLimitRPS, s.ReplicaWait, s.ReplicaRetry = 0, time.Second, 100*time.Millisecond
		}})
	servedByReplica(t, e)
	before := e.reads(t)
	own.Promote()
	if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 3, 2) {
		t.Fatalf("promoted, nothing written: %s", got)
	}
	if c := e.reads(t); c.promoted != 1 || c.replica1 != before.replica1 || c.up1 != 0 {
		t.Errorf("after the promotion: %+v; want 1 fallback (promoted), replica-1 out of rotation", c)
	}
	addSession(t, db.owner)
	time.Sleep(150 * time.Millisecond) // past the retry pause
	if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 4, 3) {
		t.Fatalf("promoted, after a write: %s", got)
	}
	if c := e.reads(t); c.promoted != 2 || c.replica1 != before.replica1 || c.fallbacks()-before.fallbacks() != 2 {
		t.Errorf("after the check: %+v; want 2 fallbacks (promoted), no more replica reads", c)
	}
}

// Two replicas (the standby, directly and through PgBouncer) take the
// requests in turn, every read of a request on the same one.
func testShareLoad(t *testing.T, tp *topology) {
	db := tp.newDB(t)
	e := replicaEnv(t, db, 5*time.Second, 0, tp.standbyBouncer.Via(db.replicaDSN))
	prev := e.reads(t)
	last := 0
	for i := 0; i < 10; i++ {
		summaryOf(t, e, small.AdminA.String())
		c := e.reads(t)
		d1, d2 := c.replica1-prev.replica1, c.replica2-prev.replica2
		used := 0
		switch {
		case d1 == readsPerSummary && d2 == 0:
			used = 1
		case d1 == 0 && d2 == readsPerSummary:
			used = 2
		default:
			t.Errorf("request %d read %v times from replica-1 and %v from replica-2: want all %d on one", i, d1, d2, readsPerSummary)
		}
		if used == last {
			t.Errorf("requests %d and %d both read from replica-%d: want them in turn", i-1, i, used)
		}
		last, prev = used, c
	}
	c := e.reads(t)
	if c.replica1 != 5*readsPerSummary || c.replica2 != 5*readsPerSummary || c.primary != 0 {
		t.Errorf("reads %+v: want %d on each replica, none on the primary", c, 5*readsPerSummary)
	}
}

// Two tenants over one PgBouncer pool of two server connections, in both
// driver modes: 2,000 interleaved requests each, 50 at a time, never an
// answer of the other tenant; PgBouncer opened at most 2 connections, and
// an idle one carries no account.
func testTenantsOverPgBouncer(t *testing.T, tp *topology) {
	for _, mode := range []store.ExecMode{store.ExecSimpleProtocol, store.ExecExtended} {
		t.Run(string(mode), func(t *testing.T) {
			owner, dsn := dbtest.NewOn(t, tp.primary.DSN("postgres"))
			e := newEnv(t, envOptions{owner: owner, dsn: dsn, fixture: dbtest.LoadSmall, now: small.Now, settings: noRateLimit,
				via: tp.bouncer.Via, pool: store.PoolConfig{MaxOpen: 8, MaxIdle: 8, ExecMode: mode}})
			interleaveTenants(t, e, 2000, 50)
			var conns int
			if err := owner.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'flowlens_app' AND datname = current_database()`).Scan(&conns); err != nil {
				t.Fatal(err)
			}
			if conns < 1 || conns > 2 {
				t.Errorf("%d server connections of the service's role, PgBouncer's pool has 2", conns)
			}
			var account string
			if err := e.appDB.QueryRow(`SELECT coalesce(current_setting('flowlens.account_id', true), '')`).Scan(&account); err != nil || account != "" {
				t.Errorf("an idle pooled connection carries account %q (%v)", account, err)
			}
			var prepared int
			if err := e.appDB.QueryRow(`SELECT count(*) FROM pg_prepared_statements`).Scan(&prepared); err != nil || prepared != 0 {
				t.Errorf("%d statements prepared on the server (%v)", prepared, err)
			}
		})
	}
}

// The request deadline cancels the running statement through PgBouncer:
// pgx's cancel request goes to PgBouncer, which forwards it to the server
// connection running it.
func testCancelOverPgBouncer(t *testing.T, tp *topology) {
	e, lock := lockedEnvOn(t, 300*time.Millisecond, tp.primary.DSN("postgres"), tp.bouncer.Via)
	release := lock()
	defer release()
	r := e.query(t, small.AdminA, small.SummaryQuery)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "took too long") {
		t.Fatalf("a request past its deadline must fail: %d %s", r.Status, r.Body)
	}
	assertNoAppStatement(t, e)
	release()
	if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 3, 2) {
		t.Fatalf("after the lock: %s", got)
	}
}

// /readyz pings through PgBouncer: ready while it serves the database,
// 503 within 2 s while it holds the database's queries (PAUSE), ready
// again after RESUME.
func testReadyzOverPgBouncer(t *testing.T, tp *topology) {
	owner, dsn := dbtest.NewOn(t, tp.primary.DSN("postgres"))
	e := newEnv(t, envOptions{owner: owner, dsn: dsn, fixture: dbtest.LoadSmall, now: small.Now, settings: noRateLimit, via: tp.bouncer.Via})
	ready := e.srv.URL + "/readyz"
	if code, body := status(t, ready); code != 200 || body != "ready\n" {
		t.Fatalf("/readyz through PgBouncer: %d %q", code, body)
	}
	name := dbtest.DatabaseName(t, dsn)
	tp.bouncer.Admin("PAUSE " + name)
	paused := true
	defer func() {
		if paused {
			tp.bouncer.Admin("RESUME " + name)
		}
	}()
	if !waitStatus(t, ready, 503, 2*time.Second) {
		t.Fatal("/readyz did not turn 503 within 2 s of PgBouncer pausing the database")
	}
	tp.bouncer.Admin("RESUME " + name)
	paused = false
	if !waitStatus(t, ready, 200, 10*time.Second) {
		t.Fatal("/readyz did not return to 200 after RESUME")
	}
	if got := summaryOf(t, e, small.AdminA.String()); got != summaryJSON(small.AccountA.String(), 3, 2) {
		t.Fatalf("after RESUME: %s", got)
	}
}
