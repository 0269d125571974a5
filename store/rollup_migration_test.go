package store_test

import (
	"os"
	"testing"

	"flowlens/store"
)

// TestAccountDurationBinsMigration: migration 0036 over a database whose
// account duration rows are at the old resolution (64 bins per doubling),
// with folded rows and journal rows not yet folded, leaves rollups that
// equal the raw recomputation at every level (VerifyRollups) and answers
// equal to the raw computation; the account rows are at the new
// resolution, the other grains' as before.
func TestAccountDurationBinsMigration(t *testing.T) {
	w := newWorld(t, 11)
	oldShift := `CREATE OR REPLACE FUNCTION flowlens_rollup_shift(by_tree boolean, by_user boolean) RETURNS integer
		LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE WHEN by_tree OR by_user THEN 4 ELSE 2 END $$`
	// The database before 0036: rollups rebuilt at the old resolution,
	// then more writes, some folded, the last ones still in the journals.
	w.exec(oldShift)
	for i := 0; i < 40; i++ {
		w.step()
	}
	w.exec("SELECT flowlens_rollups_rebuild()")
	for i := 0; i < 60; i++ {
		w.step()
		if i == 30 {
			if _, err := store.FoldRollups(w.ctx, w.owner); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Bins of an account row: coarse (duration_bin >> 2, at most
	// 6912 >> 2 = 1728) before, the durations' own after (a minute or
	// more is bin 1792 or above).
	accountBins := func() (rows, max int) {
		t.Helper()
		if err := w.owner.QueryRow(`SELECT count(*), coalesce(max(bin), 0) FROM rollup_durations WHERE tree_id IS NULL AND user_id IS NULL`).Scan(&rows, &max); err != nil {
			t.Fatal(err)
		}
		return rows, max
	}
	// Answers before it, exact too; they leave the read functions' plans,
	// which inline the old flowlens_rollup_shift, cached on the service's
	// pooled connections: the migration's new definition must replace
	// them there.
	for i := 0; i < 10; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("before migration 0036: %s", d)
		}
	}
	var journal int
	if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_session_journal WHERE duration_bin IS NOT NULL`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if journal == 0 {
		t.Fatal("no duration in the journal before the migration: the test would not see it counted twice")
	}
	if rows, max := accountBins(); rows == 0 || max > 6912>>2 {
		t.Fatalf("before the migration: %d account duration rows, highest bin %d; want some, all coarse", rows, max)
	}
	sql, err := os.ReadFile("migrations/20260101000036_account_duration_bins.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := w.owner.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(string(sql)); err != nil {
		t.Fatalf("migration 0036: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyRollups(w.ctx, w.owner, store.VerifyOptions{}); err != nil {
		t.Fatalf("after migration 0036: %v", err)
	}
	if rows, max := accountBins(); rows == 0 || max <= 6912>>2 {
		t.Errorf("after the migration: %d account duration rows, highest bin %d; want the durations' own bins", rows, max)
	}
	var treeFine int
	if err := w.owner.QueryRow(`SELECT count(*) FROM rollup_durations WHERE (tree_id IS NOT NULL OR user_id IS NOT NULL) AND bin > 6912 >> 4`).Scan(&treeFine); err != nil {
		t.Fatal(err)
	}
	if treeFine != 0 {
		t.Errorf("%d tree or engineer duration rows with a bin above the coarse range: their resolution changed", treeFine)
	}
	for i := 0; i < 30; i++ {
		if d := w.compare(w.query()); d != "" {
			t.Fatalf("after migration 0036: %s", d)
		}
		w.step()
	}
}
