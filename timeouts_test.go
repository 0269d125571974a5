package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// Time bounds (SECURITY.md §2): the request deadline, the cancellation of
// the running PostgreSQL statement when the deadline passes or the client
// goes away, and the HTTP server's timeouts. The role's own timeouts
// (statement_timeout 5 s, …) are tested in store/timeouts_test.go.

func TestHTTPServerTimeouts(t *testing.T) {
	cfg := secConfig(t)
	srv := newHTTPServer(cfg, http.NotFoundHandler())
	if srv.ReadHeaderTimeout != 5*time.Second || srv.ReadTimeout != 15*time.Second || srv.IdleTimeout != 60*time.Second {
		t.Errorf("read-header %v, read %v, idle %v; want 5s, 15s, 60s", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	if cfg.RequestTimeout != 10*time.Second || srv.WriteTimeout != 15*time.Second {
		t.Errorf("request deadline %v, write timeout %v; want 10s and 15s (the deadline's error must still be written)", cfg.RequestTimeout, srv.WriteTimeout)
	}
	if srv.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes = %d, want 64 KiB", srv.MaxHeaderBytes)
	}
}

// lockedEnv serves the fixture with a request deadline, and lets the test
// hold an ACCESS EXCLUSIVE lock on sessions so that the service's
// analytics statements wait. In this database the service's role waits
// for locks and runs statements up to 60 s (instead of its 2 s and 5 s), so
// only a cancel request can end the wait early.
func lockedEnv(t *testing.T, deadline time.Duration) (*secEnv, func() (release func())) {
	t.Helper()
	owner, dsn := dbtest.New(t)
	secLoad(t, owner)
	name := strings.TrimPrefix(mustURL(t, dsn).Path, "/")
	for _, s := range []string{"lock_timeout", "statement_timeout"} {
		if _, err := owner.Exec("ALTER ROLE flowlens_app IN DATABASE " + name + " SET " + s + " = '60s'"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := secConfig(t, func(c *config) { c.RequestTimeout = deadline; c.RateLimitRPS = 0 })
	e := newSecEnvOn(t, cfg, store.PoolConfig{MaxOpen: 4, MaxIdle: 4}, owner, dsn)
	if r := e.query(t, secAdminA, secSummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("before the lock: %d %s", r.Status, r.Body)
	}
	lock := func() func() {
		tx, err := owner.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	}
	return e, lock
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// appActivity counts the backends of the service's role in the current
// database that are running a statement, and those waiting for a lock.
func appActivity(t testing.TB, owner *bun.DB) (active, waiting int) {
	t.Helper()
	err := owner.QueryRow(`SELECT count(*) FILTER (WHERE state = 'active'),
			count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')
		FROM pg_stat_activity WHERE usename = 'flowlens_app' AND datname = current_database()`).Scan(&active, &waiting)
	if err != nil {
		t.Fatal(err)
	}
	return active, waiting
}

// waitFor polls cond every 20 ms for up to limit.
func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); ; {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// assertNoAppStatement checks that within 2 s no statement of the
// service's role is running any more, while the lock is still held.
func assertNoAppStatement(t *testing.T, e *secEnv) {
	t.Helper()
	if !waitFor(2*time.Second, func() bool { a, _ := appActivity(t, e.owner); return a == 0 }) {
		a, w := appActivity(t, e.owner)
		t.Fatalf("2 s later the service still runs %d statements (%d waiting for the lock): they were not cancelled", a, w)
	}
}

func TestDeadlineCancelsStatement(t *testing.T) {
	e, lock := lockedEnv(t, 300*time.Millisecond)
	release := lock()
	defer release()
	r := e.query(t, secAdminA, secSummaryQuery)
	if len(r.Errors) == 0 || strings.Contains(string(r.Data), `"totalSessions"`) {
		t.Fatalf("a request past its deadline must fail: %d %s", r.Status, r.Body)
	}
	for _, er := range r.Errors {
		if er.Extensions["code"] != "INTERNAL_SERVER_ERROR" || !strings.Contains(er.Message, "took too long") {
			t.Errorf("error %+v: want INTERNAL_SERVER_ERROR saying it took too long", er)
		}
	}
	assertMasked(t, r)
	assertNoAppStatement(t, e)
	release()
	if r := e.query(t, secAdminA, secSummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("after the lock, the pool's connections work: %d %s", r.Status, r.Body)
	}
}

func TestClientDisconnectCancelsStatement(t *testing.T) {
	e, lock := lockedEnv(t, 10*time.Second)
	release := lock()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req := e.request(t, "POST", "/query", "application/json", secToken(t, secAdminA), secJSON(t, map[string]any{"query": secSummaryQuery})).WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	if !waitFor(5*time.Second, func() bool { _, w := appActivity(t, e.owner); return w > 0 }) {
		t.Fatal("the service's statement never waited for the lock")
	}
	cancel() // the client goes away
	if err := <-done; err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	assertNoAppStatement(t, e)
	release()
	if r := e.query(t, secAdminA, secSummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("after the lock, the pool's connections work: %d %s", r.Status, r.Body)
	}
}
