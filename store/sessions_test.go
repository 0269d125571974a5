package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/models"
	"flowlens/store"
)

// The sessions lists' columns and expressions (migration 20260101000020)
// as the main application's writers exercise them: sessions.csat follows
// every write to session_ratings, and writers that know none of flowlens's
// columns keep working, even with data no index entry could hold whole.
// (The lists themselves are tested end to end in httpapi/drill*_test.go.)

// listEnv is two accounts, each with a tree and a user, and a Store over
// the service's role.
type listEnv struct {
	owner, app *bun.DB
	st         *store.Store
	acct, tree uuid.UUID
	user       uuid.UUID
	otherTree  uuid.UUID
}

func newListEnv(t *testing.T) *listEnv {
	owner, app := dbtest.NewApp(t)
	e := &listEnv{owner: owner, app: app, st: store.New(app), acct: uuid.New(), tree: uuid.New(), user: uuid.New(), otherTree: uuid.New()}
	other, otherUser := uuid.New(), uuid.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO accounts (id, name) VALUES (?, 'A'), (?, 'B')", []any{e.acct, other}},
		{"INSERT INTO users (id, account_id, name) VALUES (?, ?, 'U'), (?, ?, 'V')", []any{e.user, e.acct, otherUser, other}},
		{"INSERT INTO trees (id, account_id, name) VALUES (?, ?, 'T'), (?, ?, 'O')", []any{e.tree, e.acct, e.otherTree, other}},
	} {
		if _, err := owner.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// session writes a session as the main application does and returns its id.
func (e *listEnv) session(t *testing.T, completed bool, decisions string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	var done any
	if completed {
		done = time.Date(2026, 3, 2, 0, 10, 0, 0, time.UTC)
	}
	if _, err := e.owner.Exec(`INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, decisions) VALUES (?, ?, ?, ?, ?, ?::jsonb)`,
		id, e.tree, e.user, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), done, decisions); err != nil {
		t.Fatalf("a writer's insert failed: %v", err)
	}
	return id
}

// csat returns sessions.csat of id (0 for NULL).
func (e *listEnv) csat(t *testing.T, id uuid.UUID) int {
	t.Helper()
	var c *int
	if err := e.owner.NewSelect().TableExpr("sessions").ColumnExpr("csat").Where("id = ?", id).Scan(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return 0
	}
	return *c
}

func TestCsatFollowsRatings(t *testing.T) {
	e := newListEnv(t)
	s1, s2 := e.session(t, true, "[]"), e.session(t, true, "[]")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.owner.Exec(q, args...); err != nil {
			t.Fatalf("a writer's statement failed: %v\n%s", err, q)
		}
	}
	r := func(n int) string { return fmt.Sprintf("00000000-0000-0000-0000-0000000000%02d", n) }
	steps := []struct {
		what   string
		do     func()
		c1, c2 int
	}{
		{"no rating", func() {}, 0, 0},
		{"a first rating, 4", func() {
			exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 4, '2026-03-02T01:00:00Z')", r(10), s1, e.tree)
		}, 4, 0},
		{"an older rating changes nothing", func() {
			exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 1, '2026-03-02T00:30:00Z')", r(20), s1, e.tree)
		}, 4, 0},
		{"a later one, 2", func() {
			exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 2, '2026-03-03T00:00:00Z')", r(30), s1, e.tree)
		}, 2, 0},
		{"the same instant, a smaller id: 5 wins", func() {
			exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 5, '2026-03-03T00:00:00Z')", r(5), s1, e.tree)
		}, 5, 0},
		{"the same instant, a greater id: no change", func() {
			exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 3, '2026-03-03T00:00:00Z')", r(40), s1, e.tree)
		}, 5, 0},
		{"the latest rating changes its value", func() { exec("UPDATE session_ratings SET rating = 1 WHERE id = ?", r(5)) }, 1, 0},
		{"the latest rating moves to s2", func() { exec("UPDATE session_ratings SET session_id = ? WHERE id = ?", s2, r(5)) }, 2, 1},
		{"a rating made older", func() { exec("UPDATE session_ratings SET created_at = '2026-03-01T00:00:00Z' WHERE id = ?", r(30)) }, 3, 1},
		{"deleted: the next latest", func() { exec("DELETE FROM session_ratings WHERE id = ?", r(40)) }, 4, 1},
		{"all of s1's deleted", func() { exec("DELETE FROM session_ratings WHERE session_id = ?", s1) }, 0, 1},
		{"a rating without a session", func() {
			exec("INSERT INTO session_ratings (tree_id, rating) VALUES (?, 5)", e.tree)
		}, 0, 1},
		{"detached from its session", func() { exec("UPDATE session_ratings SET session_id = NULL WHERE id = ?", r(5)) }, 0, 0},
	}
	for _, s := range steps {
		s.do()
		if c1, c2 := e.csat(t, s1), e.csat(t, s2); c1 != s.c1 || c2 != s.c2 {
			t.Errorf("%s: csat %d and %d, want %d and %d", s.what, c1, c2, s.c1, s.c2)
		}
	}
	// The service reads it through the list.
	exec("INSERT INTO session_ratings (session_id, tree_id, rating, created_at) VALUES (?, ?, 2, now())", s2, e.tree)
	two := 2
	rows, err := e.st.Sessions(context.Background(), store.SessionQuery{Scope: e.scope(), Filter: models.SessionFilter{MaxCsat: &two}, Order: models.OrderNewest, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].ID != s2 || rows[0].Csat == nil || *rows[0].Csat != 2 {
		t.Errorf("maxCsat 2: %+v, %v", rows, err)
	}
}

// scope is the account's March 2026.
func (e *listEnv) scope() models.Scope {
	return models.Scope{AccountID: e.acct, Window: models.Window{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Location: time.UTC}}
}

// TestListsOfHostileDecisions: node ids far longer than an index entry
// may be (the drop-off indexes hold 200 characters), huge decisions, and
// decisions that are no array: writers' inserts succeed and the criteria
// stay exact.
func TestListsOfHostileDecisions(t *testing.T) {
	e := newListEnv(t)
	long := strings.Repeat("n", 5000)
	longOther := strings.Repeat("n", 199) + "x" + strings.Repeat("n", 4800) // the same first 199, then differs
	prefix := long[:200]
	sLong := e.session(t, false, `[{"node_id":"start"},{"node_id":"`+long+`"}]`)
	sOther := e.session(t, false, `[{"node_id":"`+longOther+`"}]`)
	sPrefix := e.session(t, false, `[{"node_id":"`+prefix+`"}]`)
	var huge strings.Builder
	huge.WriteString(`[`)
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&huge, `{"node_id":"h%d"},`, i)
	}
	huge.WriteString(`"junk"]`)
	sHuge := e.session(t, false, huge.String())
	e.session(t, false, `{"node_id":"`+prefix+`"}`) // an object: counts nowhere
	e.session(t, true, `"`+prefix+`"`)              // a string: counts nowhere

	list := func(f models.SessionFilter) []uuid.UUID {
		t.Helper()
		rows, err := e.st.Sessions(context.Background(), store.SessionQuery{Scope: e.scope(), Filter: f, Order: models.OrderLongest, Limit: 100, Steps: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, r := range rows {
			ids = append(ids, r.ID)
			if r.ID == sHuge && (r.StepCount != 10000 || len(r.Steps) != models.MaxSteps || r.Steps[99].NodeID != "h99" || r.LastNodeID == nil || *r.LastNodeID != "h9999") {
				t.Errorf("huge decisions: stepCount %d, %d steps, last %v", r.StepCount, len(r.Steps), r.LastNodeID)
			}
		}
		return ids
	}
	for _, c := range []struct {
		what string
		f    models.SessionFilter
		want []uuid.UUID
	}{
		{"dropped off at the 5,000-character id", models.SessionFilter{DroppedOffAt: &long}, []uuid.UUID{sLong}},
		{"dropped off at another id with the same 199 first characters", models.SessionFilter{DroppedOffAt: &longOther}, []uuid.UUID{sOther}},
		{"dropped off at the 200-character prefix", models.SessionFilter{DroppedOffAt: &prefix}, []uuid.UUID{sPrefix}},
		{"visited the 5,000-character id", models.SessionFilter{VisitedNode: &long}, []uuid.UUID{sLong}},
		{"visited the prefix", models.SessionFilter{VisitedNode: &prefix}, []uuid.UUID{sPrefix}},
		{"dropped off at h9999 (the last entry is junk)", models.SessionFilter{DroppedOffAt: ptr("h9999")}, nil},
		{"visited h5000", models.SessionFilter{VisitedNode: ptr("h5000")}, []uuid.UUID{sHuge}},
	} {
		got := list(c.f)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v, want %v", c.what, got, c.want)
		}
		n, err := e.st.CountSessions(context.Background(), e.scope(), c.f)
		if err != nil || n != len(c.want) {
			t.Errorf("%s: count %d, %v; want %d", c.what, n, err, len(c.want))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestVisitsFollowSessions: session_visits and the derived columns follow
// every write of a session (insert, new decisions, completion, a tree or
// user moving to another account, delete), in the writer's transaction.
func TestVisitsFollowSessions(t *testing.T) {
	e := newListEnv(t)
	ctx := context.Background()
	id := e.session(t, false, `[{"node_id":"a"}, {"node_id":"b"}, {"node_id":"a"}, "junk", {"node_id":""}]`)
	state := func() string {
		t.Helper()
		var row struct {
			Longest int64   `bun:"longest_key"`
			Dropoff *string `bun:"dropoff_node"`
			Visits  *string `bun:"visits"`
		}
		err := e.owner.NewSelect().TableExpr("sessions AS s").ColumnExpr("longest_key, dropoff_node").
			ColumnExpr(`(SELECT string_agg(v.node || '/' || coalesce(v.account_id::text, 'none') || '/' || v.longest_key, ' ' ORDER BY v.node)
				FROM session_visits v WHERE v.session_id = s.id) AS visits`).Where("id = ?", id).Scan(ctx, &row)
		if err != nil {
			t.Fatal(err)
		}
		d, v := "-", "-"
		if row.Dropoff != nil {
			d = *row.Dropoff
		}
		if row.Visits != nil {
			v = strings.ReplaceAll(*row.Visits, e.acct.String(), "A")
		}
		return fmt.Sprintf("%d %s %s", row.Longest, d, v)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.owner.Exec(q, args...); err != nil {
			t.Fatalf("a writer's statement failed: %v", err)
		}
	}
	const open = "-9223372036854775808"
	for _, c := range []struct {
		what string
		do   func()
		want string
	}{
		// a and b once each; the last entry is junk: no drop-off.
		{"inserted", func() {}, open + " - a/A/" + open + " b/A/" + open},
		{"decisions grow", func() {
			exec(`UPDATE sessions SET decisions = decisions || '[{"node_id":"c"}]' WHERE id = ?`, id)
		}, open + " c a/A/" + open + " b/A/" + open + " c/A/" + open},
		// Completed 90.5 s after the start: 90,500,000 µs, no drop-off any more.
		{"completed", func() {
			exec(`UPDATE sessions SET completed_at = started_at + interval '90.5 seconds', outcome = 'resolved' WHERE id = ?`, id)
		}, "90500000 - a/A/90500000 b/A/90500000 c/A/90500000"},
		{"a writer sets the derived columns", func() {
			exec(`UPDATE sessions SET longest_key = 1, dropoff_node = 'zzz' WHERE id = ?`, id)
		}, "90500000 - a/A/90500000 b/A/90500000 c/A/90500000"},
		{"decisions no array", func() { exec(`UPDATE sessions SET decisions = '{"node_id":"a"}' WHERE id = ?`, id) }, "90500000 - -"},
		{"decisions back", func() { exec(`UPDATE sessions SET decisions = '[{"node_id":"x"}]' WHERE id = ?`, id) }, "90500000 - x/A/90500000"},
		// The tree moves to the other account: the session belongs to none.
		{"tree moved", func() {
			exec(`UPDATE trees SET account_id = (SELECT id FROM accounts WHERE id <> ? LIMIT 1) WHERE id = ?`, e.acct, e.tree)
		}, "90500000 - x/none/90500000"},
		{"tree back", func() {
			exec(`UPDATE trees SET account_id = ? WHERE id = ?`, e.acct, e.tree)
			exec(`UPDATE sessions SET tree_id = tree_id WHERE id = ?`, id) // the account trigger recomputes it
		}, "90500000 - x/A/90500000"},
	} {
		c.do()
		if got := state(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, got, c.want)
		}
	}
	exec("DELETE FROM sessions WHERE id = ?", id)
	var n int
	if err := e.owner.NewSelect().TableExpr("session_visits").ColumnExpr("count(*)").Where("session_id = ?", id).Scan(ctx, &n); err != nil || n != 0 {
		t.Errorf("after the delete: %d visits, %v", n, err)
	}
}

// TestDerivedFollowTruncateAndIDs: what the lists read besides the raw
// rows (sessions.csat, session_visits) also follows a TRUNCATE of the
// writers' tables, and a rating whose id changes (the id breaks ties of
// equal created_at); a session written again after a TRUNCATE, with the
// same id, is listed as new.
func TestDerivedFollowTruncateAndIDs(t *testing.T) {
	e := newListEnv(t)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.owner.Exec(q, args...); err != nil {
			t.Fatalf("a writer's statement failed: %v\n%s", err, q)
		}
	}
	count := func(f models.SessionFilter) int {
		t.Helper()
		n, err := e.st.CountSessions(ctx, e.scope(), f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b, five := "a", "b", 5
	s, s2 := e.session(t, true, `[{"node_id":"a"}]`), e.session(t, true, `[{"node_id":"a"}]`)
	r1, r2 := "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
	exec("INSERT INTO session_ratings (id, session_id, tree_id, rating, created_at) VALUES (?, ?, ?, 1, '2026-03-03T00:00:00Z'), (?, ?, ?, 2, '2026-03-03T00:00:00Z')",
		r1, s, e.tree, r2, s, e.tree)
	if c := e.csat(t, s); c != 1 {
		t.Fatalf("equal created_at: csat %d, want 1 (the smaller id)", c)
	}
	// r1's id becomes the greater one: r2's rating 2 is now the latest.
	exec("UPDATE session_ratings SET id = '00000000-0000-0000-0000-000000000003' WHERE id = ?", r1)
	if c := e.csat(t, s); c != 2 {
		t.Errorf("after the id change: csat %d, want 2", c)
	}
	exec("TRUNCATE session_ratings")
	if c, n := e.csat(t, s), count(models.SessionFilter{MaxCsat: &five}); c != 0 || n != 0 {
		t.Errorf("after TRUNCATE session_ratings: csat %d, %d sessions with a csat; want none", c, n)
	}
	exec("TRUNCATE session_ratings, step_ratings, sessions")
	if n := count(models.SessionFilter{VisitedNode: &a}); n != 0 {
		t.Errorf("after TRUNCATE sessions: %d sessions visited a, want 0", n)
	}
	// The same sessions again: s now through b, s2 through a as before.
	if _, err := e.owner.Exec(`INSERT INTO sessions (id, tree_id, user_id, started_at, decisions) VALUES
		(?, ?, ?, '2026-03-02T00:00:00Z', '[{"node_id":"b"}]'), (?, ?, ?, '2026-03-02T00:00:00Z', '[{"node_id":"a"}]')`,
		s, e.tree, e.user, s2, e.tree, e.user); err != nil {
		t.Fatalf("a writer's insert after the TRUNCATE failed: %v", err)
	}
	if na, nb := count(models.SessionFilter{VisitedNode: &a}), count(models.SessionFilter{VisitedNode: &b}); na != 1 || nb != 1 {
		t.Errorf("written again: %d visited a, %d visited b; want 1 and 1", na, nb)
	}
}
