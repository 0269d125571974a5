package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
)

// TestRowTriggersLookUpByIndex: in a new database (no statistics yet),
// multi-row writes of the main application make the row triggers look up
// each row's visits, ratings and session through the key's index, never
// by a sequential scan per row (which made one INSERT of 50,000 sessions
// quadratic: migration 20260101000035). Each statement writes n rows in
// one transaction; pg_stat_xact_user_tables counts the scans of the
// transaction so far. Two accounts: the other one's session and rating
// stay as they were.
func TestRowTriggersLookUpByIndex(t *testing.T) {
	const n = 2000
	ctx := context.Background()
	db, _ := dbtest.New(t)
	acc, other := uuid.New(), uuid.New()
	tree, otherTree, user, otherUser := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO accounts (id, name) VALUES (?, 'acc'), (?, 'other')", []any{acc, other}},
		{"INSERT INTO users (id, account_id) VALUES (?, ?), (?, ?)", []any{user, acc, otherUser, other}},
		{"INSERT INTO trees (id, account_id, name, tree_structure) VALUES (?, ?, 'a', '{}'), (?, ?, 'b', '{}')", []any{tree, acc, otherTree, other}},
		{`INSERT INTO sessions (tree_id, user_id, started_at, decisions) VALUES (?, ?, '2026-01-02T00:00:00Z', '[{"node_id":"x"}]')`, []any{otherTree, otherUser}},
		{"INSERT INTO session_ratings (session_id, tree_id, rating) SELECT id, tree_id, 4 FROM sessions", nil},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	// The setting itself, which a later CREATE OR REPLACE of either
	// function would drop: the ratings' lookups may pass the scan counts
	// without it while their tables are small.
	for _, fn := range []string{"flowlens_sessions_visits", "flowlens_ratings_set_csat"} {
		var set bool
		if err := db.QueryRowContext(ctx, "SELECT coalesce('enable_seqscan=off' = ANY (proconfig), false) FROM pg_proc WHERE proname = ?", fn).Scan(&set); err != nil {
			t.Fatal(err)
		}
		if !set {
			t.Errorf("%s runs without enable_seqscan=off", fn)
		}
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		seqScans := func(table string) int {
			var k int
			if err := tx.QueryRowContext(ctx, "SELECT coalesce(sum(seq_scan), 0) FROM pg_stat_xact_user_tables WHERE relname = ?", table).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		for _, w := range []struct{ what, sql string }{
			{"INSERT of sessions", `INSERT INTO sessions (tree_id, user_id, started_at, decisions)
				SELECT ?, ?, timestamptz '2026-01-01' + i * interval '1 minute', jsonb_build_array(jsonb_build_object('node_id', 'a'), jsonb_build_object('node_id', 'n' || i))
				FROM generate_series(1, ?) AS i`},
			{"UPDATE of sessions", "UPDATE sessions SET completed_at = started_at + interval '5 minutes', decisions = decisions || '[{\"node_id\":\"z\"}]' WHERE tree_id = ?"},
			{"INSERT of ratings", "INSERT INTO session_ratings (session_id, tree_id, rating) SELECT id, tree_id, 5 FROM sessions WHERE tree_id = ?"},
			{"UPDATE of ratings", "UPDATE session_ratings SET rating = 3 WHERE tree_id = ?"},
			{"DELETE of ratings", "DELETE FROM session_ratings WHERE tree_id = ?"},
			{"DELETE of sessions", "DELETE FROM sessions WHERE tree_id = ?"},
		} {
			before := map[string]int{}
			for _, tb := range []string{"session_visits", "session_ratings", "sessions"} {
				before[tb] = seqScans(tb)
			}
			args := []any{tree}
			if w.what == "INSERT of sessions" {
				args = []any{tree, user, n}
			}
			res, err := tx.ExecContext(ctx, w.sql, args...)
			if err != nil {
				t.Fatalf("%s: %v", w.what, err)
			}
			if k, _ := res.RowsAffected(); k != n {
				t.Fatalf("%s: %d rows, want %d", w.what, k, n)
			}
			// A statement's own scan of its target and the statement
			// triggers' few set-based reads may scan; a scan per row may not.
			for tb, b := range before {
				if d := seqScans(tb) - b; d > 5 {
					t.Errorf("%s: %d sequential scans of %s for %d rows, want none per row", w.what, d, tb, n)
				}
			}
		}
		var sessions, ratings, visits int
		if err := tx.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM session_ratings), (SELECT count(*) FROM session_visits)").Scan(&sessions, &ratings, &visits); err != nil {
			t.Fatal(err)
		}
		if sessions != 1 || ratings != 1 || visits != 1 {
			t.Errorf("after the writes: %d sessions, %d ratings, %d visits; want the other account's 1, 1, 1", sessions, ratings, visits)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
