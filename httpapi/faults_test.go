package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"flowlens/dbtest"
	"flowlens/store"
)

// Database faults (SECURITY.md §5) and masked errors.

// TestDatabaseOutage stops a throwaway PostgreSQL under the service: /readyz
// turns 503 within 2 s, /healthz stays 200, GraphQL requests fail fast
// with a masked error; when PostgreSQL is back, the same service recovers.
func TestDatabaseOutage(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	dsn := cluster.DSN("postgres")
	owner, err := store.Open(dsn, store.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = owner.Close() })
	if _, err := store.Migrate(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	dbtest.LoadSmall(t, owner)
	e := newEnv(t, envOptions{owner: owner, dsn: dsn, now: small.Now, settings: noRateLimit, pool: store.PoolConfig{MaxOpen: 4, MaxIdle: 4}})
	fast := &http.Client{Timeout: 2 * time.Second} // an answer must come within 2 s

	assertServes := func(when string) {
		t.Helper()
		r := e.query(t, small.AdminA, small.SummaryQuery)
		if r.Status != 200 || len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"totalSessions":3`) {
			t.Fatalf("%s: %d %s", when, r.Status, r.Body)
		}
		if r := e.get(t, fast, "/readyz"); r.Status != 200 {
			t.Fatalf("%s: /readyz %d", when, r.Status)
		}
	}
	assertServes("before the outage")

	cluster.Stop()
	if r := e.get(t, fast, "/readyz"); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d, want 503", r.Status)
	}
	if r := e.get(t, fast, "/healthz"); r.Status != 200 {
		t.Errorf("/healthz while PostgreSQL is down: %d, want 200", r.Status)
	}
	var wg sync.WaitGroup
	results := make([]response, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = send(t, fast, e.request(t, "POST", "/query", "application/json", token(t, small.AdminA), jsonBody(t, map[string]any{"query": small.SummaryQuery})))
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.Status != http.StatusServiceUnavailable || r.code(0) != "INTERNAL_SERVER_ERROR" || r.hasData() {
			t.Errorf("GraphQL while PostgreSQL is down: %d %s; want 503 INTERNAL_SERVER_ERROR", r.Status, r.Body)
		}
		assertMasked(t, r)
	}

	cluster.Start()
	if !dbtest.WaitFor(10*time.Second, func() bool { return e.get(t, fast, "/readyz").Status == 200 }) {
		t.Fatal("/readyz did not recover within 10 s of PostgreSQL's restart")
	}
	assertServes("after the restart")
}

// TestKilledConnections terminates every backend of the service's role,
// three times, while 8 clients keep querying: a killed connection costs at
// most the request using it (the store runs a read-only transaction whose
// connection died once more, so in practice none fails).
func TestKilledConnections(t *testing.T) {
	e := newEnv(t, envOptions{fixture: dbtest.LoadSmall, now: small.Now, settings: noRateLimit, pool: store.PoolConfig{MaxOpen: 4, MaxIdle: 4}})
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := e.query(t, small.AdminA, small.SummaryQuery)
				if r.Status == 200 && len(r.Errors) == 0 && strings.Contains(string(r.Data), `"totalSessions":3`) {
					ok.Add(1)
				} else {
					failed.Add(1)
					t.Logf("failed: %d %s", r.Status, r.Body)
					assertMasked(t, r)
				}
			}
		}()
	}
	killed := 0
	for round := 0; round < 3; round++ {
		time.Sleep(150 * time.Millisecond)
		var n int
		if err := e.owner.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE usename = 'flowlens_app' AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		killed += n
	}
	time.Sleep(150 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("%d backends killed under load: %d requests succeeded, %d failed", killed, ok.Load(), failed.Load())
	if killed == 0 {
		t.Fatal("no backend was killed")
	}
	if failed.Load() > int64(killed) {
		t.Errorf("%d requests failed for %d killed connections", failed.Load(), killed)
	}
	for i := 0; i < 20; i++ {
		if r := e.query(t, small.AdminA, small.SummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("after the kills: %d %s", r.Status, r.Body)
		}
	}
}

// TestInternalErrorsAreMasked provokes internal errors — the service's
// role loses its read access to a table, then to the users of the
// authentication lookup — and checks that no answer names SQL, SQLSTATEs,
// the driver, files or stacks: only a code and a request id.
func TestInternalErrorsAreMasked(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	flow := `{ flowAnalytics(treeId: "` + small.TreeA.String() + `", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { flow { name } summary { totalSessions } stepFeedback { nodeId } recentComments { rating } } }`
	if r := e.query(t, small.AdminA, flow); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("before: %d %s", r.Status, r.Body)
	}
	for _, table := range []string{"sessions", "session_ratings", "trees"} {
		if _, err := e.owner.Exec("REVOKE SELECT ON " + table + " FROM flowlens_app"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{flow, small.SummaryQuery} {
			r := e.query(t, small.AdminA, q)
			if len(r.Errors) == 0 {
				t.Fatalf("without SELECT on %s: no error: %s", table, r.Body)
			}
			for _, er := range r.Errors {
				if er.Extensions["code"] != "INTERNAL_SERVER_ERROR" || !strings.Contains(er.Message, "request id") {
					t.Errorf("without SELECT on %s: %+v", table, er)
				}
			}
			assertMasked(t, r)
		}
	}
	if _, err := e.owner.Exec("REVOKE SELECT ON users FROM flowlens_app"); err != nil {
		t.Fatal(err)
	}
	r := e.query(t, small.AdminA, `{ viewer { accountId } }`)
	if r.Status != http.StatusServiceUnavailable || r.code(0) != "INTERNAL_SERVER_ERROR" {
		t.Errorf("without SELECT on users: %d %s", r.Status, r.Body)
	}
	assertMasked(t, r)
}
