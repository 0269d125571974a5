package store_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// Time bounds of the service's database role (SECURITY.md §2) and the
// cancellation of running statements.

// TestAppRoleTimeouts: connected as flowlens_app, statement_timeout is 5 s,
// idle_in_transaction_session_timeout 10 s and lock_timeout 2 s.
func TestAppRoleTimeouts(t *testing.T) {
	_, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	want := map[string]string{"statement_timeout": "5s", "idle_in_transaction_session_timeout": "10s", "lock_timeout": "2s"}
	for name, v := range want {
		var got string
		if err := st.DB().QueryRow("SHOW " + name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("flowlens_app %s = %s, want %s", name, got, v)
		}
	}
	var user string
	if err := st.DB().QueryRow("SELECT current_user").Scan(&user); err != nil || user != "flowlens_app" {
		t.Fatalf("connected as %q (%v)", user, err)
	}
}

// sleeping counts the statements of flowlens_app in pg_sleep in the
// current database.
func sleeping(t *testing.T, owner *bun.DB) int {
	t.Helper()
	var n int
	if err := owner.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'flowlens_app'
		AND datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCancelledContextCancelsStatement: a statement of the store's
// transaction helper whose context ends mid-pg_sleep is cancelled in
// PostgreSQL (not left to run), and the pool answers afterwards. (The
// connection itself is replaced: the rollback of a transaction whose
// context has ended cannot be sent, so pgx closes it.) In this database the role's statement_timeout
// is lifted to 60 s, so only the cancel request can stop the sleep.
func TestCancelledContextCancelsStatement(t *testing.T) {
	owner, dsn := dbtest.New(t)
	u, _ := url.Parse(dsn)
	if _, err := owner.Exec("ALTER ROLE flowlens_app IN DATABASE " + strings.TrimPrefix(u.Path, "/") + " SET statement_timeout = '60s'"); err != nil {
		t.Fatal(err)
	}
	app, err := store.Open(dbtest.AppDSN(t, dsn), store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	st := store.New(app)
	for _, how := range []string{"deadline", "cancel"} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		if how == "cancel" {
			ctx, cancel = context.WithCancel(context.Background())
			go func() {
				for sleeping(t, owner) == 0 {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
			}()
		}
		err := store.InAccount(st, ctx, rlsA, func(db bun.IDB) error {
			_, err := db.ExecContext(ctx, "SELECT pg_sleep(30)")
			return err
		})
		cancel()
		if err == nil {
			t.Fatalf("%s: the sleep was not interrupted", how)
		}
		deadline := time.Now().Add(2 * time.Second)
		for sleeping(t, owner) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: 2 s after the context ended, PostgreSQL still runs the statement", how)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var one int
	if err := app.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("the pool after the cancellations: %v", err)
	}
}

// TestLostConnectionIsRetried: when PostgreSQL terminates the backend in
// the middle of a read-only transaction (an administrator, a failover),
// the transaction runs again on a new connection instead of failing the
// request. (An idle pooled connection that was terminated is already
// replaced by database/sql and pgx before use.)
func TestLostConnectionIsRetried(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	ctx := context.Background()
	go func() {
		for sleeping(t, owner) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		_, _ = owner.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'flowlens_app'
			AND datname = current_database() AND query LIKE '%pg_sleep%'`)
	}()
	runs, n := 0, 0
	err := store.InAccount(st, ctx, rlsA, func(db bun.IDB) error {
		runs++
		if runs == 1 {
			if _, err := db.ExecContext(ctx, "SELECT pg_sleep(5)"); err != nil {
				return err
			}
		}
		var err error
		n, err = count(ctx, db, "sessions")
		return err
	})
	if err != nil || runs != 2 || n != rlsWant[rlsA]["sessions"] {
		t.Fatalf("a transaction whose backend was terminated: err=%v after %d runs, %d sessions; want success on the 2nd run with %d",
			err, runs, n, rlsWant[rlsA]["sessions"])
	}
	// A statement error is not retried: the helper returns it.
	calls := 0
	err = store.InAccount(st, ctx, rlsA, func(db bun.IDB) error {
		calls++
		_, err := db.ExecContext(ctx, "SELECT 1/0")
		return err
	})
	if err == nil || calls != 1 || errors.Is(err, context.Canceled) {
		t.Errorf("division by zero: err=%v after %d runs; want the error after 1 run", err, calls)
	}
}
