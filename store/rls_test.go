package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// Row-level security (SECURITY.md §3): the policies of migration 0004
// confine the service's role, flowlens_app, to the account of the
// transaction, whatever a query's SQL says.

var (
	rlsA = uuid.MustParse("a1000000-0000-4000-8000-00000000000a")
	rlsB = uuid.MustParse("b1000000-0000-4000-8000-00000000000b")
)

// tenantTables are the tables of the main application, each with rows of
// both accounts in the fixture.
var tenantTables = []string{"accounts", "users", "trees", "sessions", "session_ratings", "step_ratings"}

// rlsWant is how many rows of each table the fixture gives A and B.
var rlsWant = map[uuid.UUID]map[string]int{
	rlsA: {"accounts": 1, "users": 2, "trees": 1, "sessions": 3, "session_ratings": 2, "step_ratings": 1},
	rlsB: {"accounts": 1, "users": 1, "trees": 2, "sessions": 1, "session_ratings": 1, "step_ratings": 3},
}

// rlsFixture writes, as the owner, two accounts with different numbers of
// rows in every table.
func rlsFixture(t testing.TB, owner *bun.DB) {
	t.Helper()
	ctx := context.Background()
	for _, acc := range []struct {
		id                                   uuid.UUID
		users, trees, sessions, rates, steps int
	}{{rlsA, 2, 1, 3, 2, 1}, {rlsB, 1, 2, 1, 1, 3}} {
		q := fmt.Sprintf(`WITH a AS (INSERT INTO accounts (id, name) VALUES ('%[1]s', 'acc') RETURNING id),
			u AS (INSERT INTO users (account_id, name) SELECT a.id, 'u' || g FROM a, generate_series(1, %[2]d) g RETURNING id, account_id),
			t AS (INSERT INTO trees (account_id, name) SELECT a.id, 't' || g FROM a, generate_series(1, %[3]d) g RETURNING id)
			SELECT (SELECT min(id::text) FROM u), (SELECT min(id::text) FROM t)`, acc.id, acc.users, acc.trees)
		var user, tree string
		if err := owner.QueryRowContext(ctx, q).Scan(&user, &tree); err != nil {
			t.Fatalf("fixture: %v", err)
		}
		for _, s := range []string{
			fmt.Sprintf(`INSERT INTO sessions (tree_id, user_id, started_at) SELECT '%s', '%s', now() FROM generate_series(1, %d)`, tree, user, acc.sessions),
			fmt.Sprintf(`INSERT INTO session_ratings (tree_id, rating) SELECT '%s', 5 FROM generate_series(1, %d)`, tree, acc.rates),
			fmt.Sprintf(`INSERT INTO step_ratings (tree_id, node_id, helpful) SELECT '%s', 'n', true FROM generate_series(1, %d)`, tree, acc.steps),
		} {
			if _, err := owner.ExecContext(ctx, s); err != nil {
				t.Fatalf("fixture: %v", err)
			}
		}
	}
}

// rlsEnv returns the owner's handle, a Store over the service's role and
// the owner's DSN.
func rlsEnv(t *testing.T, pool store.PoolConfig) (*bun.DB, *store.Store, string) {
	t.Helper()
	owner, dsn := dbtest.New(t)
	rlsFixture(t, owner)
	app, err := store.Open(dbtest.AppDSN(t, dsn), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	return owner, store.New(app), dsn
}

func count(ctx context.Context, db bun.IDB, table string) (int, error) {
	var n int
	err := db.NewSelect().TableExpr(table).ColumnExpr("count(*)").Scan(ctx, &n)
	return n, err
}

// TestRLSUnfilteredQuery runs, through the store's transaction helper, a
// query deliberately written without any account filter: it still sees only
// the rows of the transaction's account, in every table. The same query
// through the owner sees both accounts (so it really is unfiltered).
func TestRLSUnfilteredQuery(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.DefaultPool)
	ctx := context.Background()
	for _, acc := range []uuid.UUID{rlsA, rlsB} {
		for _, table := range tenantTables {
			var n int
			err := store.InAccount(st, ctx, acc, func(db bun.IDB) error {
				var err error
				n, err = count(ctx, db, table)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := rlsWant[acc][table]; n != want {
				t.Errorf("account %s, unfiltered count of %s = %d, want its own %d", acc, table, n, want)
			}
		}
	}
	for _, table := range tenantTables {
		n, err := count(ctx, owner, table)
		if err != nil {
			t.Fatal(err)
		}
		if want := rlsWant[rlsA][table] + rlsWant[rlsB][table]; n != want {
			t.Errorf("the owner sees %d rows of %s, want all %d", n, table, want)
		}
	}
	// The store's real queries filter by account themselves; asking for
	// A's tree within B's transaction finds nothing even so.
	var treeA uuid.UUID
	if err := owner.QueryRow("SELECT id FROM trees WHERE account_id = ?", rlsA).Scan(&treeA); err != nil {
		t.Fatal(err)
	}
	err := store.InAccount(st, ctx, rlsB, func(db bun.IDB) error {
		var name string
		return db.NewSelect().TableExpr("trees").Column("name").Where("id = ?", treeA).Scan(ctx, &name)
	})
	if err != sql.ErrNoRows {
		t.Errorf("A's tree by id inside B's transaction: err = %v, want no rows", err)
	}
}

// TestRLSFailsClosed: the service's role with no account set sees no row
// of any table; an account that does not exist sees nothing; the
// authentication setting (flowlens.user_id) shows that user's row and
// nothing else.
func TestRLSFailsClosed(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.DefaultPool)
	ctx := context.Background()
	for _, table := range tenantTables {
		n, err := count(ctx, st.DB(), table)
		if err != nil {
			t.Fatalf("%s without an account: %v (want 0 rows, no error)", table, err)
		}
		if n != 0 {
			t.Errorf("%s without an account: %d rows visible, want 0", table, n)
		}
		err = store.InAccount(st, ctx, uuid.New(), func(db bun.IDB) error { n, err = count(ctx, db, table); return err })
		if err != nil || n != 0 {
			t.Errorf("%s for an unknown account: %d rows, %v", table, n, err)
		}
	}
	var user uuid.UUID
	if err := owner.QueryRow("SELECT id FROM users WHERE account_id = ? LIMIT 1", rlsA).Scan(&user); err != nil {
		t.Fatal(err)
	}
	for _, table := range tenantTables {
		var n int
		err := store.AsUser(st, ctx, user, func(db bun.IDB) error { var err error; n, err = count(ctx, db, table); return err })
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"users": 1}[table]; n != want {
			t.Errorf("as user lookup, %s shows %d rows, want %d", table, n, want)
		}
	}
}

// TestRLSSettingEndsWithTransaction: on a pool of one connection, the
// account set for one transaction is gone afterwards, so the next
// statement on the same connection sees nothing.
func TestRLSSettingEndsWithTransaction(t *testing.T) {
	_, st, _ := rlsEnv(t, store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	ctx := context.Background()
	var pidIn, pidAfter int
	err := store.InAccount(st, ctx, rlsA, func(db bun.IDB) error {
		return db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pidIn)
	})
	if err != nil {
		t.Fatal(err)
	}
	var setting string
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT pg_backend_pid(), coalesce(current_setting('flowlens.account_id', true), ''), (SELECT count(*) FROM sessions)").Scan(&pidAfter, &setting, &n); err != nil {
		t.Fatal(err)
	}
	if pidIn != pidAfter {
		t.Fatalf("the pool of one used two connections (%d, %d)", pidIn, pidAfter)
	}
	if setting != "" || n != 0 {
		t.Errorf("after the transaction the connection keeps account %q and sees %d sessions; want nothing", setting, n)
	}
}

// TestRLSCatalog checks the catalog: every table of the public schema has
// row-level security enabled and forced, except bun's migration
// bookkeeping, which the service's role may not read at all; no view and
// no SECURITY DEFINER function could bypass the policies; flowlens_app is
// no superuser, has no BYPASSRLS, owns nothing and may only read.
func TestRLSCatalog(t *testing.T) {
	owner, _, dsn := rlsEnv(t, store.DefaultPool)
	ctx := context.Background()
	var rows []struct {
		Name     string `bun:"relname"`
		RLS      bool   `bun:"relrowsecurity"`
		Force    bool   `bun:"relforcerowsecurity"`
		CanRead  bool   `bun:"can_read"`
		CanWrite bool   `bun:"can_write"`
	}
	err := owner.NewRaw(`SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			has_table_privilege('flowlens_app', c.oid, 'SELECT') AS can_read,
			has_table_privilege('flowlens_app', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER') AS can_write
		FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`).Scan(ctx, &rows)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Name] = true
		if r.CanWrite {
			t.Errorf("flowlens_app may write to %s", r.Name)
		}
		if r.RLS && r.Force {
			continue
		}
		if (r.Name == "bun_migrations" || r.Name == "bun_migration_locks") && !r.CanRead {
			continue
		}
		t.Errorf("table %s: row security enabled=%v forced=%v, readable by flowlens_app=%v", r.Name, r.RLS, r.Force, r.CanRead)
	}
	for _, table := range tenantTables {
		if !seen[table] {
			t.Errorf("table %s missing from the catalog", table)
		}
	}
	var role struct {
		Super, Bypass, CreateDB, CreateRole bool
		Owns, Views, Definers               int
	}
	err = owner.QueryRowContext(ctx, `SELECT r.rolsuper, r.rolbypassrls, r.rolcreatedb, r.rolcreaterole,
			(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid),
			(SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
				AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)),
			(SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef)
		FROM pg_roles r WHERE r.rolname = 'flowlens_app'`).
		Scan(&role.Super, &role.Bypass, &role.CreateDB, &role.CreateRole, &role.Owns, &role.Views, &role.Definers)
	if err != nil {
		t.Fatal(err)
	}
	if role.Super || role.Bypass || role.CreateDB || role.CreateRole || role.Owns != 0 {
		t.Errorf("flowlens_app: superuser=%v bypassrls=%v createdb=%v createrole=%v owns %d relations; want none of it",
			role.Super, role.Bypass, role.CreateDB, role.CreateRole, role.Owns)
	}
	if role.Views != 0 || role.Definers != 0 {
		t.Errorf("%d views without security_invoker and %d SECURITY DEFINER functions in public; want none", role.Views, role.Definers)
	}
	// The service refuses to start in production on a role that bypasses
	// RLS: BypassesRLS tells the two roles apart.
	app, err := store.Open(dbtest.AppDSN(t, dsn), store.PoolConfig{MaxOpen: 1, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if b, err := store.BypassesRLS(ctx, app); err != nil || b {
		t.Errorf("store.BypassesRLS(flowlens_app) = %v, %v; want false", b, err)
	}
	if b, err := store.BypassesRLS(ctx, owner); err != nil || !b {
		t.Errorf("store.BypassesRLS(postgres) = %v, %v; want true", b, err)
	}
}
