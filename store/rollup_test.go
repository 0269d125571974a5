package store_test

import (
	"strings"
	"testing"
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
