package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

func triggerEnabled(t *testing.T, db *bun.DB) string {
	t.Helper()
	var enabled string
	if err := db.NewSelect().TableExpr("pg_trigger").Column("tgenabled").
		Where("tgrelid = 'sessions'::regclass AND tgname = 'sessions_set_account'").Scan(context.Background(), &enabled); err != nil {
		t.Fatal(err)
	}
	return enabled
}

// rows returns the row function of Bulk.Copy over values.
func rows(values [][]any) func(int) []any { return func(i int) []any { return values[i] } }

func TestBulkLoad(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	a, b := uuid.New(), uuid.New()
	ua, ta, s1 := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	err := store.BulkLoad(ctx, db, func(ctx context.Context, bl *store.Bulk) error {
		if missing, err := bl.MissingTables(ctx); err != nil || len(missing) != 0 {
			t.Errorf("MissingTables of a migrated database: %v, %v", missing, err)
		}
		if full, err := bl.TablesWithRows(ctx); err != nil || len(full) != 0 {
			t.Errorf("TablesWithRows of an empty database: %v, %v", full, err)
		}
		n, err := bl.Copy(ctx, store.AccountsTable, 2, rows([][]any{{a, "A", at}, {b, "B", at}}))
		if err != nil || n != 2 {
			t.Fatalf("copy accounts: %d, %v", n, err)
		}
		if _, err := bl.Copy(ctx, store.UsersTable, 1, rows([][]any{{ua, a, nil, nil, false, false, false, at}})); err != nil {
			t.Fatal(err)
		}
		if _, err := bl.Copy(ctx, store.TreesTable, 1, rows([][]any{{ta, a, "T", []byte(`{"id":"root"}`), at}})); err != nil {
			t.Fatal(err)
		}
		// With the trigger off, account_id is what the loader writes.
		return bl.WithoutSessionAccountTrigger(ctx, func() error {
			_, err := bl.Copy(ctx, store.SessionsWithAccount, 1,
				rows([][]any{{s1, ta, ua, at, nil, nil, []byte(`[{"node_id":"root"}]`), a}}))
			return err
		})
	})
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	if got := triggerEnabled(t, db); got != "O" {
		t.Errorf("after the load the trigger is %q, want O (enabled)", got)
	}
	var row struct {
		AccountID uuid.UUID `bun:"account_id"`
		StartedAt time.Time `bun:"started_at"`
		Decisions string    `bun:"decisions"`
	}
	if err := db.NewSelect().TableExpr("sessions").ColumnExpr("account_id, started_at, decisions::text AS decisions").
		Where("id = ?", s1).Scan(ctx, &row); err != nil {
		t.Fatal(err)
	}
	if row.AccountID != a || !row.StartedAt.Equal(at) || row.Decisions != `[{"node_id": "root"}]` {
		t.Errorf("session: got %+v", row)
	}

	err = store.BulkLoad(ctx, db, func(ctx context.Context, bl *store.Bulk) error {
		full, err := bl.TablesWithRows(ctx)
		if want := []string{"accounts", "users", "trees", "sessions"}; err != nil || !slices.Equal(full, want) {
			t.Errorf("TablesWithRows: got %v, %v; want %v", full, err, want)
		}
		if ok, err := bl.AccountExists(ctx, a); !ok || err != nil {
			t.Errorf("AccountExists(A): %v, %v", ok, err)
		}
		if ok, err := bl.AccountExists(ctx, uuid.New()); ok || err != nil {
			t.Errorf("AccountExists(unknown): %v, %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBulkLoadRollsBack: an error in the middle of a load leaves nothing
// behind, and the trigger enabled.
func TestBulkLoadRollsBack(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	boom := errors.New("boom")
	err := store.BulkLoad(ctx, db, func(ctx context.Context, bl *store.Bulk) error {
		if _, err := bl.Copy(ctx, store.AccountsTable, 1, rows([][]any{{uuid.New(), "A", time.Now()}})); err != nil {
			return err
		}
		return bl.WithoutSessionAccountTrigger(ctx, func() error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Fatalf("BulkLoad: got %v, want boom", err)
	}
	n, err := db.NewSelect().TableExpr("accounts").Count(ctx)
	if err != nil || n != 0 {
		t.Errorf("accounts after a failed load: %d, %v; want 0", n, err)
	}
	if got := triggerEnabled(t, db); got != "O" {
		t.Errorf("after a failed load the trigger is %q, want O (enabled)", got)
	}
}

func TestBulkLoadNotMigrated(t *testing.T) {
	db, err := store.Open(dbtest.NewEmpty(t), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = store.BulkLoad(context.Background(), db, func(ctx context.Context, bl *store.Bulk) error {
		missing, err := bl.MissingTables(ctx)
		if err != nil || !slices.Equal(missing, []string{"accounts", "users", "trees", "sessions", "session_ratings", "step_ratings"}) {
			t.Errorf("MissingTables of an empty database: %v, %v; want all six", missing, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAnalyze(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	if _, err := db.ExecContext(ctx, "INSERT INTO accounts (name) SELECT 'A' || g FROM generate_series(1, 50) g"); err != nil {
		t.Fatal(err)
	}
	if err := store.Analyze(ctx, db, store.AppTables...); err != nil {
		t.Fatal(err)
	}
	var tuples float64
	if err := db.NewSelect().TableExpr("pg_class").Column("reltuples").Where("oid = 'accounts'::regclass").Scan(ctx, &tuples); err != nil {
		t.Fatal(err)
	}
	if tuples != 50 {
		t.Errorf("reltuples of accounts after ANALYZE: %v, want 50", tuples)
	}
}

// TestTablesMatchSchema: each Table lists exactly the migrated table's
// columns in table order, except sessions.account_id, which flowlens adds
// (last) and SessionsWithAccount adds back, and generated columns
// (sessions.duration_bin), which no writer can write.
func TestTablesMatchSchema(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	columns := func(table string) []string {
		var cols []string
		if err := db.NewSelect().TableExpr("information_schema.columns").Column("column_name").
			Where("table_schema = 'public' AND table_name = ? AND is_generated = 'NEVER'", table).OrderExpr("ordinal_position").
			Scan(ctx, &cols); err != nil {
			t.Fatal(err)
		}
		return cols
	}
	var names []string
	for _, tb := range store.AppTables {
		names = append(names, tb.Name)
		want := columns(tb.Name)
		if tb.Name == "sessions" {
			if !slices.Equal(store.SessionsWithAccount.Columns, want) || store.SessionsWithAccount.Name != "sessions" {
				t.Errorf("SessionsWithAccount = %+v, want sessions %v", store.SessionsWithAccount, want)
			}
			want = slices.DeleteFunc(want, func(c string) bool { return c == "account_id" })
		}
		if !slices.Equal(tb.Columns, want) {
			t.Errorf("%s: Columns %v, want %v", tb.Name, tb.Columns, want)
		}
	}
	if want := []string{"accounts", "users", "trees", "sessions", "session_ratings", "step_ratings"}; !slices.Equal(names, want) {
		t.Errorf("AppTables %v, want %v (parents first)", names, want)
	}
}
