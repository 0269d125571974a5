// Package dbtest gives tests a real, private PostgreSQL database: a fresh
// database per call on the server of DATABASE_URL (scripts/test starts one),
// migrated, dropped when the test ends. It also counts SQL statements.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"flowlens/store"
)

// DSN returns DATABASE_URL or fails the test with how to get one.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL")
	}
	return dsn
}

// withDatabase returns dsn pointing at database name.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DATABASE_URL is not a URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewEmpty creates an empty database (no migrations) and returns its DSN; it
// is dropped when the test ends.
func NewEmpty(t testing.TB) string {
	t.Helper()
	return newEmptyOn(t, DSN(t))
}

// newEmptyOn is NewEmpty on the server of admin, a superuser's address.
func newEmptyOn(t testing.TB, admin string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "flowlens_test_" + hex.EncodeToString(b[:])
	adb, err := store.Open(admin, store.PoolConfig{MaxOpen: 2, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = adb.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = adb.Close()
	})
	return withDatabase(t, admin, name)
}

// UnusedName returns a fresh database name that starts with prefix, for a
// command under test to create on the server of DSN(t); when the test
// ends, the databases name+suffix (name alone without suffixes) are
// dropped, and a failure to drop them fails the test.
func UnusedName(t testing.TB, prefix string, suffixes ...string) string {
	t.Helper()
	admin := DSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	if len(suffixes) == 0 {
		suffixes = []string{""}
	}
	t.Cleanup(func() {
		adb, err := store.Open(admin, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer adb.Close()
		for _, v := range suffixes {
			if _, err := adb.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+v+" WITH (FORCE)"); err != nil {
				t.Errorf("drop %s: %v", name+v, err)
			}
		}
	})
	return name
}

// New creates a fresh migrated database and returns it with its DSN.
func New(t testing.TB) (*bun.DB, string) {
	t.Helper()
	return NewOn(t, DSN(t))
}

// NewOn is New on the server of admin, a superuser's address (a Cluster's
// DSN, say).
func NewOn(t testing.TB, admin string) (*bun.DB, string) {
	t.Helper()
	dsn := newEmptyOn(t, admin)
	db, err := store.Open(dsn, store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := store.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db, dsn
}

// Counter is a bun query hook that counts the statements run through a
// bun.DB: attach it with db.WithQueryHook(c). Calls counts the store's
// calls among them: the statements other than a transaction's BEGIN,
// COMMIT or ROLLBACK and the settings that open it (SELECT set_config(…)),
// so one per store call, whether the call runs in a transaction of its
// own (four statements) or in one round trip (one statement).
type Counter struct{ n, calls atomic.Int64 }

// BeforeQuery implements bun.QueryHook.
func (c *Counter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery implements bun.QueryHook.
func (c *Counter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	c.n.Add(1)
	if !store.TransactionControl(e.Query) {
		c.calls.Add(1)
	}
}

// Count returns the statements counted so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Calls returns the store calls counted so far.
func (c *Counter) Calls() int64 { return c.calls.Load() }

// Reset sets the counts to zero.
func (c *Counter) Reset() { c.n.Store(0); c.calls.Store(0) }

// appRole is the service's database role (migration 0004).
const appRole = "flowlens_app"

// AppDSN returns dsn with the service's own role, flowlens_app, as user:
// the connection row-level security confines.
func AppDSN(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN is not a URL: %v", err)
	}
	u.User = url.User(appRole)
	return u.String()
}

// NewApp creates a fresh migrated database and returns the owner's handle
// (to load fixtures) and a handle connected as the service's role.
func NewApp(t testing.TB) (owner, app *bun.DB) {
	t.Helper()
	owner, dsn := New(t)
	app, err := store.Open(AppDSN(t, dsn), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	return owner, app
}
