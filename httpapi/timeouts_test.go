package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"flowlens/dbtest"
	"flowlens/store"
)

// Time bounds (SECURITY.md §2): the request deadline, the cancellation of
// the running PostgreSQL statement when the deadline passes or the client
// goes away, and the HTTP server's timeouts. The role's own timeouts
// (statement_timeout 5 s, …) are tested in store/timeouts_test.go.

func TestHTTPServerTimeouts(t *testing.T) {
	cfg := Defaults
	srv := NewServer(":0", http.NotFoundHandler(), cfg.RequestTimeout)
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
func lockedEnv(t *testing.T, deadline time.Duration) (*env, func() (release func())) {
	t.Helper()
	return lockedEnvOn(t, deadline, dbtest.DSN(t), nil)
}

// lockedEnvOn is lockedEnv on the server of admin (a superuser's
// address), with the service's address changed by via when set and its
// settings by more.
func lockedEnvOn(t *testing.T, deadline time.Duration, admin string, via func(string) string, more ...func(*Settings)) (*env, func() (release func())) {
	t.Helper()
	owner, dsn := dbtest.NewOn(t, admin)
	dbtest.LoadSmall(t, owner)
	name := dbtest.DatabaseName(t, dsn)
	for _, s := range []string{"lock_timeout", "statement_timeout"} {
		if _, err := owner.Exec("ALTER ROLE flowlens_app IN DATABASE " + name + " SET " + s + " = '60s'"); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, envOptions{owner: owner, dsn: dsn, now: small.Now, pool: store.PoolConfig{MaxOpen: 4, MaxIdle: 4}, via: via,
		settings: func(s *Settings) {
			s.RequestTimeout, s.RateLimitRPS = deadline, 0
			for _, m := range more {
				m(s)
			}
		}})
	if r := e.query(t, small.AdminA, small.SummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
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

// assertNoAppStatement checks that within 2 s no statement of the
// service's role is running any more, while the lock is still held.
func assertNoAppStatement(t *testing.T, e *env) {
	t.Helper()
	if !dbtest.WaitFor(2*time.Second, func() bool { a, _ := dbtest.AppActivity(t, e.owner); return a == 0 }) {
		a, w := dbtest.AppActivity(t, e.owner)
		t.Fatalf("2 s later the service still runs %d statements (%d waiting for the lock): they were not cancelled", a, w)
	}
}

func TestDeadlineCancelsStatement(t *testing.T) {
	e, lock := lockedEnv(t, 300*time.Millisecond)
	release := lock()
	defer release()
	r := e.query(t, small.AdminA, small.SummaryQuery)
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
	if r := e.query(t, small.AdminA, small.SummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("after the lock, the pool's connections work: %d %s", r.Status, r.Body)
	}
}

func TestClientDisconnectCancelsStatement(t *testing.T) {
	e, lock := lockedEnv(t, 10*time.Second)
	release := lock()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req := e.request(t, "POST", "/query", "application/json", token(t, small.AdminA), jsonBody(t, map[string]any{"query": small.SummaryQuery})).WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	if !dbtest.WaitFor(5*time.Second, func() bool { _, w := dbtest.AppActivity(t, e.owner); return w > 0 }) {
		t.Fatal("the service's statement never waited for the lock")
	}
	cancel() // the client goes away
	if err := <-done; err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	assertNoAppStatement(t, e)
	release()
	if r := e.query(t, small.AdminA, small.SummaryQuery); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("after the lock, the pool's connections work: %d %s", r.Status, r.Body)
	}
}
