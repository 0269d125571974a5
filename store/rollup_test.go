package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/store"
)

// TestRollupsExact interleaves a seeded random stream of writes with
// random queries and compares every field answered from the rollups with
// the raw computation.
func TestRollupsExact(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		w := newWorld(t, seed)
		for i := 0; i < 60; i++ {
			for j := w.rng.IntN(6); j >= 0; j-- {
				w.step()
			}
			if d := w.compare(w.query()); d != "" {
				t.Fatalf("seed %d: %s", seed, d)
			}
		}
	}
}

// TestRollupsExactFailsWithoutEachUpdate removes one rollup update at a
// time (one of the nine triggers, every append to one of the three
// journals, or to one of the six tables through which the fold sums them)
// and expects the same kind of random stream to find a difference with the
// raw computation: the exactness test sees every one.
func TestRollupsExactFailsWithoutEachUpdate(t *testing.T) {
	w := newWorld(t, 3)
	w.exec("CREATE FUNCTION test_drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
	// Each mutation with the kind of write that shows it soonest.
	type mutation struct{ name, apply, revert, focus string }
	var mutations []mutation
	for _, tab := range []struct{ name, what string }{{"sessions", "session"}, {"session_ratings", "rating"}, {"step_ratings", "vote"}} {
		for _, ev := range []struct{ name, focus string }{{"insert", "inserted"}, {"update", "updated"}, {"delete", "deleted"}} {
			trg := tab.name + "_rollups_" + ev.name
			focus := tab.what + " " + ev.focus
			if tab.what != "session" && ev.name != "insert" {
				focus = tab.what + " changed"
			}
			mutations = append(mutations, mutation{"without trigger " + trg,
				"ALTER TABLE " + tab.name + " DISABLE TRIGGER " + trg, "ALTER TABLE " + tab.name + " ENABLE TRIGGER " + trg, focus})
		}
	}
	// The journals the triggers append to, and the staging tables through
	// which the fold sums them (a fold runs every 30 writes or so).
	for _, tab := range []struct{ name, focus string }{{"rollup_session_journal", ""}, {"rollup_rating_journal", "rating inserted"},
		{"rollup_vote_journal", "vote inserted"}, {"rollup_counts_delta", ""}, {"rollup_durations_delta", "session updated"},
		{"rollup_steps_delta", ""}, {"rollup_transitions_delta", ""}, {"rollup_ratings_delta", "rating inserted"}, {"rollup_votes_delta", "vote inserted"}} {
		mutations = append(mutations, mutation{"without appends to " + tab.name,
			"CREATE TRIGGER test_drop BEFORE INSERT ON " + tab.name + " FOR EACH ROW EXECUTE FUNCTION test_drop_row()",
			"DROP TRIGGER test_drop ON " + tab.name, tab.focus})
	}
	for _, m := range mutations {
		w.exec("TRUNCATE accounts, users, trees, sessions, session_ratings, step_ratings")
		w.populate()
		w.exec(m.apply)
		w.focus = m.focus
		found := ""
		for i := 0; i < 200 && found == ""; i++ {
			for j := w.rng.IntN(4); j >= 0; j-- {
				w.step()
			}
			found = w.compare(w.query())
		}
		w.exec(m.revert)
		w.focus = ""
		if found == "" {
			t.Errorf("%s: no difference found", m.name)
		} else {
			t.Logf("%s: found after %d writes: %s", m.name, w.ops, strings.SplitN(found, " of ", 2)[0])
		}
	}
}

// TestJournalSkipsUnchangedRows: an UPDATE journals only the rows whose
// journaled columns it changed (two rows each: the old version and the
// new), so the UPDATE of sessions.csat that a rating's trigger makes, or
// an UPDATE that changes nothing, adds no journal row.
func TestJournalSkipsUnchangedRows(t *testing.T) {
	w := newWorld(t, 4)
	journal := func() int {
		t.Helper()
		var n int
		if err := w.owner.QueryRow("SELECT count(*) FROM rollup_session_journal").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := uuid.New()
	w.exec("INSERT INTO sessions (id, tree_id, user_id, started_at, decisions) VALUES (?, ?, ?, '2026-03-20 10:00:00+00', '[]')", s, w.trees[0].id, w.users[0].id)
	for _, c := range []struct {
		what, sql string
		args      []any
		want      int
	}{
		{"a rating of the session (its csat changes)", "INSERT INTO session_ratings (session_id, tree_id, rating) VALUES (?, ?, 4)", []any{s, w.trees[0].id}, 1},
		{"an UPDATE that changes nothing", "UPDATE sessions SET outcome = outcome, decisions = decisions WHERE id = ?", []any{s}, 1},
		{"the session completed", "UPDATE sessions SET completed_at = started_at + interval '5 minutes' WHERE id = ?", []any{s}, 3},
	} {
		w.exec(c.sql, c.args...)
		if got := journal(); got != c.want {
			t.Errorf("after %s: %d journal rows, want %d", c.what, got, c.want)
		}
	}
	var csat *int
	if err := w.owner.QueryRow("SELECT csat FROM sessions WHERE id = ?", s).Scan(&csat); err != nil || csat == nil || *csat != 4 {
		t.Errorf("csat %v (%v), want 4: the rating's trigger did update the session", csat, err)
	}
}

// TestRollupsRowLevelSecurity: the service's role sees, in the journals
// and in every folded rollup table, only the rows of its transaction's
// account (and none under an account without data), whatever its SQL
// says, exactly as many as the owner finds of that account; the staging
// tables of the fold it cannot read at all.
func TestRollupsRowLevelSecurity(t *testing.T) {
	owner, st, _ := rlsEnv(t, store.DefaultPool)
	ctx := context.Background()
	if _, err := owner.ExecContext(ctx, `UPDATE sessions SET completed_at = started_at + interval '3 minutes', outcome = 'resolved',
		decisions = '[{"node_id":"a"},{"node_id":"b"}]'`); err != nil {
		t.Fatal(err)
	}
	visible := func(acc uuid.UUID, table string) int {
		t.Helper()
		var n int
		err := store.InAccount(st, ctx, acc, func(db bun.IDB) error {
			var err error
			n, err = count(ctx, db, table)
			return err
		})
		if err != nil {
			t.Fatalf("%s as the service in account %s: %v", table, acc, err)
		}
		return n
	}
	// The fixture's sessions (3 of A, 1 of B), each inserted then updated
	// (three journal rows each), ratings (2, 1) and votes (1, 3).
	for _, c := range []struct {
		table string
		a, b  int
	}{{"rollup_session_journal", 9, 3}, {"rollup_rating_journal", 2, 1}, {"rollup_vote_journal", 1, 3}} {
		if a, b, none := visible(rlsA, c.table), visible(rlsB, c.table), visible(uuid.New(), c.table); a != c.a || b != c.b || none != 0 {
			t.Errorf("%s: A sees %d, B %d, an account without data %d; want %d, %d, 0", c.table, a, b, none, c.a, c.b)
		}
	}
	if _, err := store.FoldRollups(ctx, owner); err != nil {
		t.Fatal(err)
	}
	for _, table := range store.RollupTables {
		for _, acc := range []uuid.UUID{rlsA, rlsB} {
			cond := "account_id = ?"
			if table == "rollup_ratings" || table == "rollup_votes" {
				cond = "tree_id IN (SELECT id FROM trees WHERE account_id = ?)"
			}
			var want int
			if err := owner.NewSelect().TableExpr(table).ColumnExpr("count(*)").Where(cond, acc).Scan(ctx, &want); err != nil {
				t.Fatal(err)
			}
			if got := visible(acc, table); got != want || want == 0 {
				t.Errorf("%s: account %s sees %d rows, the owner finds %d of it (want equal, and some)", table, acc, got, want)
			}
		}
		if n := visible(uuid.New(), table); n != 0 {
			t.Errorf("%s: an account without data sees %d rows", table, n)
		}
	}
	for _, table := range []string{"rollup_counts_delta", "rollup_session_moving", "rollup_transitions_delta"} {
		err := store.InAccount(st, ctx, rlsA, func(db bun.IDB) error { _, err := count(ctx, db, table); return err })
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the service: %v, want permission denied", table, err)
		}
	}
}
