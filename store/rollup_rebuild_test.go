package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/store"
)

// blocksMigration rebuilds the rollups one 64-day block of an account at
// a time.
const blocksMigration = "20260101000041"

// rollupSnapshot returns every row of the folded rollup tables as text,
// in order.
func rollupSnapshot(t *testing.T, w *world) map[string]string {
	t.Helper()
	snap := map[string]string{}
	for _, table := range store.RollupTables {
		var rows *string
		if err := w.owner.QueryRow(`SELECT string_agg(r::text, E'\n' ORDER BY r::text) FROM ` + table + ` AS r`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows == nil {
			t.Fatalf("%s is empty: the test would compare nothing", table)
		}
		snap[table] = *rows
	}
	return snap
}

// TestRollupRebuildBlocks: migration 0041 over a database with every
// earlier migration, its rollups rebuilt then written to by the triggers.
// Besides the world's random writes (two spans, the older one across the
// 64-day boundary of 1972-01-08), one tenant has sessions on both sides
// of that boundary to the microsecond, at the first and last instants of
// the rollups' span and just outside it. After the journals are folded,
// the rebuild block by block gives exactly the rows the triggers
// maintained, in all six tables, VerifyRollups passes and every answer
// equals the raw computation.
func TestRollupRebuildBlocks(t *testing.T) {
	ctx := context.Background()
	w := worldThrough(t, "20260101000040", 21)
	tree, user := w.trees[0], w.users[0]
	if tree.account != user.account {
		t.Fatal("the first tree and user belong to different tenants")
	}
	boundary := time.Date(1972, 1, 8, 0, 0, 0, 0, time.UTC) // a level-5 block starts here
	for i, at := range []time.Time{
		boundary.Add(-time.Microsecond), boundary, boundary.Add(time.Microsecond),
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2399, 12, 2, 23, 59, 59, 999999, time.UTC), // the span's first and last instants
		time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2399, 12, 3, 0, 0, 0, 0, time.UTC), // outside it
	} {
		id := uuid.New()
		w.exec("INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)",
			id, tree.id, user.id, at, at.Add(time.Duration(i+1)*7*time.Minute), "resolved",
			`[{"node_id": "root"}, {"node_id": "a"}]`)
		w.sessions = append(w.sessions, id)
		rating := uuid.New()
		w.exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			rating, id, tree.id, 1+i%5, "rated", at)
		w.ratings = append(w.ratings, rating)
	}
	for i := 0; i < 20; i++ {
		w.step()
	}
	if _, err := store.FoldRollups(ctx, w.owner); err != nil {
		t.Fatal(err)
	}
	maintained := rollupSnapshot(t, w)

	appliedOnly(t, blocksMigration, func() ([]string, error) { return store.MigrateThrough(ctx, w.owner, blocksMigration) })
	var oldGone, newThere bool
	if err := w.owner.QueryRow(`SELECT to_regprocedure('flowlens_rollups_add_account(uuid)') IS NULL,
		to_regprocedure('flowlens_rollups_add_account(uuid, timestamptz, timestamptz)') IS NOT NULL`).Scan(&oldGone, &newThere); err != nil {
		t.Fatal(err)
	}
	if !oldGone || !newThere {
		t.Fatalf("after %s: add_account(uuid) gone %t, add_account(uuid, timestamptz, timestamptz) there %t", blocksMigration, oldGone, newThere)
	}
	if err := store.RebuildRollups(ctx, w.owner); err != nil {
		t.Fatal(err)
	}
	rebuilt := rollupSnapshot(t, w)
	for _, table := range store.RollupTables {
		if rebuilt[table] != maintained[table] {
			t.Errorf("%s after the rebuild differs from the rows the triggers maintained:\nmaintained %d rows, rebuilt %d",
				table, strings.Count(maintained[table], "\n")+1, strings.Count(rebuilt[table], "\n")+1)
		}
	}
	// Both sides of the boundary are in the rollups: the tenant's counts
	// in the block before it and in the block from it.
	var before, from int
	if err := w.owner.QueryRow(`SELECT coalesce(sum(sessions) FILTER (WHERE bucket < ?), 0), coalesce(sum(sessions) FILTER (WHERE bucket >= ?), 0)
		FROM rollup_counts WHERE account_id = ? AND tree_id IS NULL AND user_id IS NULL AND lvl = 5 AND bucket >= ? AND bucket < ?`,
		boundary, boundary, tree.account, boundary.AddDate(0, 0, -64), boundary.AddDate(0, 0, 64)).Scan(&before, &from); err != nil {
		t.Fatal(err)
	}
	if before == 0 || from < 2 {
		t.Errorf("level-5 counts around %s: %d before, %d from it; want the sessions on both sides", boundary, before, from)
	}
	if err := store.VerifyRollups(ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after the rebuild: %v", err)
	}
	for i := 0; i < 20; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("after the rebuild: %s", d)
		}
		w.step()
	}
}
