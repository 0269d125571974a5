package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"flowlens/dbtest"
	"flowlens/store"
)

// runRollupsCmd runs `flowlens rollups args...` against dsn.
func runRollupsCmd(t *testing.T, dsn string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := rollupsCmd(context.Background(), append(args, "--database-url", dsn), &out, &errOut)
	return out.String(), err
}

// TestRollupsAfterSeed: after `flowlens seed` into an empty database
// (rollups rebuilt at the end of the load) and after --append (rollups
// kept by the triggers, then folded), `flowlens rollups verify` finds
// every figure equal to the raw computation; a rollup row changed by hand
// makes it fail naming that row; `rollups rebuild` repairs it; `rollups
// fold` folds.
func TestRollupsAfterSeed(t *testing.T) {
	db, dsn := dbtest.New(t)
	for _, args := range [][]string{{"--accounts", "2", "--trees", "3", "--engineers", "3"},
		{"--append", "--seed", "9", "--accounts", "2", "--trees", "3", "--engineers", "3"}} {
		if _, err := runSeedCmd(t, dsn, args...); err != nil {
			t.Fatalf("seed %v: %v", args, err)
		}
		out, err := runRollupsCmd(t, dsn, "verify")
		t.Log(strings.TrimSpace(out))
		if err != nil || !strings.Contains(out, "every figure equals the raw computation") {
			t.Fatalf("verify after seed %v: %v\n%s", args, err, out)
		}
	}
	var delta int
	if err := db.QueryRow("SELECT count(*) FROM rollup_counts_delta").Scan(&delta); err != nil || delta != 0 {
		t.Errorf("after seed --append: %d delta rows (%v), want 0 (folded)", delta, err)
	}

	if _, err := db.Exec("UPDATE rollup_counts SET completed = completed + 1 WHERE ctid = (SELECT ctid FROM rollup_counts WHERE lvl = 5 AND tree_id IS NULL AND user_id IS NULL LIMIT 1)"); err != nil {
		t.Fatal(err)
	}
	_, err := runRollupsCmd(t, dsn, "verify")
	var diff *store.Difference
	if !errors.As(err, &diff) || !strings.Contains(diff.What, "rollup_counts") || !strings.Contains(diff.What, `"lvl":5`) {
		t.Fatalf("verify after a rollup row was changed: %v, want a difference naming that rollup_counts row", err)
	}
	if out, err := runRollupsCmd(t, dsn, "rebuild"); err != nil || !strings.Contains(out, "rollups rebuilt") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	if _, err := runRollupsCmd(t, dsn, "verify"); err != nil {
		t.Fatalf("verify after rebuild: %v", err)
	}
	if _, err := db.Exec("INSERT INTO session_ratings (tree_id, rating) SELECT id, 3 FROM trees LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	if out, err := runRollupsCmd(t, dsn, "fold"); err != nil || !strings.Contains(out, "folded") {
		t.Fatalf("fold: %v\n%s", err, out)
	}
	if _, err := runRollupsCmd(t, dsn, "verify", "--from", "2026-01-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z"); err != nil {
		t.Fatalf("verify after fold: %v", err)
	}
	if _, err := runRollupsCmd(t, dsn, "verify", "--from", "nope"); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Errorf("verify --from nope: %v, want an error naming --from", err)
	}
}
