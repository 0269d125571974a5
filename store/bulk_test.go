package store_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// triggerEnabled returns the tgenabled of both derived-column triggers,
// "O O O" when both are enabled.
func triggerEnabled(t *testing.T, db *bun.DB) string {
	t.Helper()
	var enabled []string
	for _, tr := range []struct{ table, name string }{{"sessions", "sessions_set_account"}, {"session_ratings", "session_ratings_set_csat"}, {"sessions", "sessions_visits"}} {
		var e string
		if err := db.NewSelect().TableExpr("pg_trigger").Column("tgenabled").
			Where("tgrelid = ?::regclass AND tgname = ?", tr.table, tr.name).Scan(context.Background(), &e); err != nil {
			t.Fatal(err)
		}
		enabled = append(enabled, e)
	}
	return strings.Join(enabled, " ")
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
		// With the triggers off, account_id and csat are what the loader writes.
		return bl.WithoutDerivedTriggers(ctx, func() error {
			if _, err := bl.Copy(ctx, store.SessionsWithDerived, 1,
				rows([][]any{{s1, ta, ua, at, nil, nil, []byte(`[{"node_id":"root"}]`), a, int16(4)}})); err != nil {
				return err
			}
			// The csat trigger would write 2 (the only rating); the loader's 4 stays.
			_, err := bl.Copy(ctx, store.SessionRatingsTable, 1, rows([][]any{{uuid.New(), s1, ta, nil, int32(2), nil, at}}))
			return err
		})
	})
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	if got := triggerEnabled(t, db); got != "O O O" {
		t.Errorf("after the load the triggers are %q, want O O O (enabled)", got)
	}
	var row struct {
		AccountID uuid.UUID `bun:"account_id"`
		StartedAt time.Time `bun:"started_at"`
		Decisions string    `bun:"decisions"`
		Csat      int       `bun:"csat"`
		Longest   int64     `bun:"longest_key"`
		Dropoff   string    `bun:"dropoff_node"`
		Visits    string    `bun:"visits"`
	}
	if err := db.NewSelect().TableExpr("sessions AS s").ColumnExpr("account_id, started_at, decisions::text AS decisions, csat, longest_key, dropoff_node").
		ColumnExpr("(SELECT string_agg(v.node || ' ' || v.tree_id || ' ' || v.longest_key, ',') FROM session_visits v WHERE v.session_id = s.id) AS visits").
		Where("id = ?", s1).Scan(ctx, &row); err != nil {
		t.Fatal(err)
	}
	// The derived columns and the visits: not completed, stopped at root.
	if row.AccountID != a || !row.StartedAt.Equal(at) || row.Decisions != `[{"node_id": "root"}]` || row.Csat != 4 ||
		row.Longest != math.MinInt64 || row.Dropoff != "root" || row.Visits != "root "+ta.String()+" -9223372036854775808" {
		t.Errorf("session: got %+v", row)
	}

	err = store.BulkLoad(ctx, db, func(ctx context.Context, bl *store.Bulk) error {
		full, err := bl.TablesWithRows(ctx)
		if want := []string{"accounts", "users", "trees", "sessions", "session_ratings"}; err != nil || !slices.Equal(full, want) {
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
		return bl.WithoutDerivedTriggers(ctx, func() error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Fatalf("BulkLoad: got %v, want boom", err)
	}
	n, err := db.NewSelect().TableExpr("accounts").Count(ctx)
	if err != nil || n != 0 {
		t.Errorf("accounts after a failed load: %d, %v; want 0", n, err)
	}
	if got := triggerEnabled(t, db); got != "O O O" {
		t.Errorf("after a failed load the triggers are %q, want O O O (enabled)", got)
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
// columns in table order, except the columns flowlens adds to sessions:
// account_id and csat, which SessionsWithDerived adds back, longest_key and
// dropoff_node, which only their trigger writes, and generated columns
// (duration_bin), which no writer can write.
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
			want = slices.DeleteFunc(want, func(c string) bool { return c == "longest_key" || c == "dropoff_node" })
			if !slices.Equal(store.SessionsWithDerived.Columns, want) || store.SessionsWithDerived.Name != "sessions" {
				t.Errorf("SessionsWithDerived = %+v, want sessions %v", store.SessionsWithDerived, want)
			}
			want = slices.DeleteFunc(want, func(c string) bool { return c == "account_id" || c == "csat" })
		}
		if !slices.Equal(tb.Columns, want) {
			t.Errorf("%s: Columns %v, want %v", tb.Name, tb.Columns, want)
		}
	}
	if want := []string{"accounts", "users", "trees", "sessions", "session_ratings", "step_ratings"}; !slices.Equal(names, want) {
		t.Errorf("AppTables %v, want %v (parents first)", names, want)
	}
}
