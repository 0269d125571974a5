package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

func TestMigrateEmptyDatabaseTwice(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(dbtest.NewEmpty(t), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	first, err := store.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	for _, want := range []string{"20260101000001_tables", "20260101000002_session_account", "20260101000003_analytics_indexes"} {
		if !slices.Contains(first, want) {
			t.Errorf("first migrate applied %v, without %s", first, want)
		}
	}
	second, err := store.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(second) != 0 {
		t.Errorf("second migrate applied %v, want nothing", second)
	}

	var want []string
	for _, tb := range store.AppTables {
		want = append(want, tb.Name)
	}
	var tables []string
	if err := db.NewSelect().TableExpr("information_schema.tables").Column("table_name").
		Where("table_schema = 'public'").Where("table_name IN (?)", bun.In(want)).
		OrderExpr("table_name").Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(tables, want) {
		t.Errorf("tables: got %v, want %v", tables, want)
	}
	var enabled string
	if err := db.NewSelect().TableExpr("pg_trigger").Column("tgenabled").
		Where("tgrelid = 'sessions'::regclass AND tgname = 'sessions_set_account'").Scan(ctx, &enabled); err != nil {
		t.Fatalf("trigger sessions_set_account: %v", err)
	}
	if enabled != "O" {
		t.Errorf("trigger sessions_set_account: tgenabled %q, want O (enabled)", enabled)
	}
	var indexes []string
	if err := db.NewSelect().TableExpr("pg_indexes").Column("indexname").
		Where("tablename = 'sessions'").OrderExpr("indexname").Scan(ctx, &indexes); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sessions_account_started_idx", "sessions_tree_started_idx", "sessions_user_started_idx"} {
		if !slices.Contains(indexes, want) {
			t.Errorf("sessions indexes %v: missing %s", indexes, want)
		}
	}
}

// TestSessionAccountTrigger: writers that do not know sessions.account_id
// get it filled: the account of both the tree and the user, NULL when they
// belong to different accounts.
func TestSessionAccountTrigger(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	a, b := uuid.New(), uuid.New()
	ua, ub, ta := uuid.New(), uuid.New(), uuid.New()
	same, cross := uuid.New(), uuid.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO accounts (id, name) VALUES (?, 'A'), (?, 'B')", []any{a, b}},
		{"INSERT INTO users (id, account_id) VALUES (?, ?), (?, ?)", []any{ua, a, ub, b}},
		{"INSERT INTO trees (id, account_id, name) VALUES (?, ?, 'T')", []any{ta, a}},
		{"INSERT INTO sessions (id, tree_id, user_id, started_at) VALUES (?, ?, ?, now()), (?, ?, ?, now())", []any{same, ta, ua, cross, ta, ub}},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	accountOf := func(id uuid.UUID) *uuid.UUID {
		var acc *uuid.UUID
		if err := db.NewSelect().TableExpr("sessions").Column("account_id").Where("id = ?", id).Scan(ctx, &acc); err != nil {
			t.Fatal(err)
		}
		return acc
	}
	if got := accountOf(same); got == nil || *got != a {
		t.Errorf("session of tree and user of account A: account_id %v, want %s", got, a)
	}
	if got := accountOf(cross); got != nil {
		t.Errorf("session of a tree of A and a user of B: account_id %v, want NULL", got)
	}
}
