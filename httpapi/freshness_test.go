package httpapi

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// TestAPIFreshness (shared/API.md, "Freshness"): each kind of write the
// main application makes, committed through a connection of its own as
// the tables' owner, is in the very next request's answer, which is
// served from the rollups: the figure it changes moves by exactly the
// change (counts, outcomes, step visits, transitions, exit nodes, ratings,
// votes), and the whole summary equals the raw computation at that moment.
// No fold runs in between (the triggers' delta rows are read as they are).
func TestAPIFreshness(t *testing.T) {
	e := newEnv(t, apiEnv)
	owner := e.owner
	ref := store.New(e.appDB).Reference()
	ctx := context.Background()
	win, err := models.NewWindow(models.WindowArgs{Period: models.PeriodLast30Days, From: ptrTime(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), To: &fixedNow, TimeZone: "UTC"}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	teamScope := models.Scope{AccountID: uuid.MustParse(acctA), Window: win}
	flowScope := teamScope
	flowScope.TreeID = uuid.MustParse(tCheckout)

	const q = `{ teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { summary ` + summarySel + `
		topFlows(limit: 100) { treeId sessions } topEngineers(limit: 100) { userId sessions } }
	  flowAnalytics(treeId: "` + tCheckout + `", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
		summary ` + summarySel + ` totalRatings ratingDistribution { rating count } stepFeedback { nodeId visitCount helpfulYes helpfulNo }
		transitions(limit: 1000) { fromNodeId toNodeId count } exitNodes(limit: 1000) { nodeId sessions escalated } } }`
	type summary struct {
		TotalSessions, CompletedSessions, ActiveEngineers         int
		CompletionRate, MedianDurationMinutes, P90DurationMinutes float64
		OutcomeBreakdown                                          struct{ Resolved, Escalated, Workaround, Unresolved int }
	}
	type (
		topFlow struct {
			TreeID   string
			Sessions int
		}
		topEngineer struct {
			UserID   string
			Sessions int
		}
		stepRow struct {
			NodeID                            string
			VisitCount, HelpfulYes, HelpfulNo int
		}
		transitionRow struct {
			FromNodeID, ToNodeID string
			Count                int
		}
		exitRow struct {
			NodeID              string
			Sessions, Escalated int
		}
		ratingRow struct{ Rating, Count int }
		answer    struct {
			Team struct {
				Summary      summary
				TopFlows     []topFlow
				TopEngineers []topEngineer
			} `json:"teamAnalytics"`
			Flow struct {
				Summary            summary
				TotalRatings       int
				RatingDistribution []ratingRow
				StepFeedback       []stepRow
				Transitions        []transitionRow
				ExitNodes          []exitRow
			} `json:"flowAnalytics"`
		}
	)
	get := func() answer {
		t.Helper()
		var ans answer
		if err := json.Unmarshal(e.ok(t, uZeta, q, nil), &ans); err != nil {
			t.Fatal(err)
		}
		return ans
	}
	// same checks the answer's summaries against the raw computation now.
	same := func(what string, ans answer) {
		t.Helper()
		for _, c := range []struct {
			name string
			sc   models.Scope
			got  summary
		}{{"team", teamScope, ans.Team.Summary}, {"flow", flowScope, ans.Flow.Summary}} {
			want, err := ref.Summary(ctx, c.sc)
			if err != nil {
				t.Fatal(err)
			}
			w := summary{want.TotalSessions, want.CompletedSessions, want.ActiveEngineers, want.CompletionRate, want.MedianDurationMinutes, want.P90DurationMinutes,
				struct{ Resolved, Escalated, Workaround, Unresolved int }{want.OutcomeBreakdown.Resolved, want.OutcomeBreakdown.Escalated, want.OutcomeBreakdown.Workaround, want.OutcomeBreakdown.Unresolved}}
			if !reflect.DeepEqual(c.got, w) {
				t.Errorf("after %s: %s summary %+v, raw rows give %+v", what, c.name, c.got, w)
			}
		}
	}
	sessionsOf := func(ans answer, tree string) int {
		f, _ := find(ans.Team.TopFlows, func(f topFlow) bool { return f.TreeID == tree })
		return f.Sessions
	}
	engineerSessions := func(ans answer, user string) int {
		u, _ := find(ans.Team.TopEngineers, func(u topEngineer) bool { return u.UserID == user })
		return u.Sessions
	}
	step := func(ans answer, node string) (visits, yes int) {
		st, _ := find(ans.Flow.StepFeedback, func(st stepRow) bool { return st.NodeID == node })
		return st.VisitCount, st.HelpfulYes
	}
	transition := func(ans answer, from, to string) int {
		tr, _ := find(ans.Flow.Transitions, func(tr transitionRow) bool { return tr.FromNodeID == from && tr.ToNodeID == to })
		return tr.Count
	}
	exit := func(ans answer, node string) (sessions, escalated int) {
		x, _ := find(ans.Flow.ExitNodes, func(x exitRow) bool { return x.NodeID == node })
		return x.Sessions, x.Escalated
	}
	ratingCount := func(ans answer, r int) int {
		d, ok := find(ans.Flow.RatingDistribution, func(d ratingRow) bool { return d.Rating == r })
		if !ok {
			return -1
		}
		return d.Count
	}
	write := func(sql string, args ...any) {
		t.Helper()
		if _, err := owner.ExecContext(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	expect := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("after %s: %d, want %d", what, got, want)
		}
	}

	s1 := uuid.New()
	before := get()
	same("nothing", before)

	write("INSERT INTO sessions (id, tree_id, user_id, started_at, decisions) VALUES (?, ?, ?, '2026-03-15 10:00:00.123456+00', '[]')", s1, tCheckout, uAlpha)
	ans := get()
	expect("a session inserted: team sessions", ans.Team.Summary.TotalSessions, before.Team.Summary.TotalSessions+1)
	expect("a session inserted: flow sessions", ans.Flow.Summary.TotalSessions, before.Flow.Summary.TotalSessions+1)
	same("a session inserted", ans)

	before = ans
	write("UPDATE sessions SET completed_at = started_at + interval '61 minutes 0.5 seconds', outcome = 'resolved' WHERE id = ?", s1)
	ans = get()
	expect("a session completed: completed", ans.Team.Summary.CompletedSessions, before.Team.Summary.CompletedSessions+1)
	expect("a session completed: resolved", ans.Team.Summary.OutcomeBreakdown.Resolved, before.Team.Summary.OutcomeBreakdown.Resolved+1)
	same("a session completed", ans)

	before = ans
	write("UPDATE sessions SET outcome = 'escalated' WHERE id = ?", s1)
	ans = get()
	expect("an outcome changed: resolved", ans.Team.Summary.OutcomeBreakdown.Resolved, before.Team.Summary.OutcomeBreakdown.Resolved-1)
	expect("an outcome changed: escalated", ans.Team.Summary.OutcomeBreakdown.Escalated, before.Team.Summary.OutcomeBreakdown.Escalated+1)
	same("an outcome changed", ans)

	before = ans
	write(`UPDATE sessions SET decisions = decisions || '[{"node_id":"root"}]' WHERE id = ?`, s1)
	ans = get()
	bv, _ := step(before, "root")
	av, _ := step(ans, "root")
	expect("a decision appended: root visits", av, bv+1)
	bx, be := exit(before, "root")
	ax, ae := exit(ans, "root")
	expect("a decision appended: root exits", ax, bx+1)
	expect("a decision appended: root exits escalated", ae, be+1)

	before = ans
	write(`UPDATE sessions SET decisions = decisions || '[{"node_id":"fresh-a"}]' WHERE id = ?`, s1)
	ans = get()
	expect("a second decision appended: root → fresh-a", transition(ans, "root", "fresh-a"), transition(before, "root", "fresh-a")+1)
	bx, _ = exit(before, "root")
	ax, _ = exit(ans, "root")
	expect("a second decision appended: root exits", ax, bx-1)
	ax, ae = exit(ans, "fresh-a")
	expect("a second decision appended: fresh-a exits", ax, 1)
	expect("a second decision appended: fresh-a exits escalated", ae, 1)

	before = ans
	write("UPDATE sessions SET tree_id = ? WHERE id = ?", tBetaLow, s1)
	ans = get()
	expect("a session moved to another tree: Checkout", sessionsOf(ans, tCheckout), sessionsOf(before, tCheckout)-1)
	expect("a session moved to another tree: beta", sessionsOf(ans, tBetaLow), sessionsOf(before, tBetaLow)+1)
	same("a session moved to another tree", ans)

	before = ans
	write("UPDATE sessions SET user_id = ? WHERE id = ?", uBob, s1)
	ans = get()
	expect("a session moved to another user: alpha", engineerSessions(ans, uAlpha), engineerSessions(before, uAlpha)-1)
	expect("a session moved to another user: Bob", engineerSessions(ans, uBob), engineerSessions(before, uBob)+1)
	same("a session moved to another user", ans)

	before = ans
	write("UPDATE trees SET account_id = ? WHERE id = ?", acctB, tBetaLow)
	ans = get()
	expect("a tree moved to another account", ans.Team.Summary.TotalSessions, before.Team.Summary.TotalSessions-sessionsOf(before, tBetaLow))
	same("a tree moved to another account", ans)

	before = ans
	write("UPDATE users SET account_id = ? WHERE id = ?", acctB, uBob)
	ans = get()
	expect("a user moved to another account", ans.Team.Summary.TotalSessions, before.Team.Summary.TotalSessions-engineerSessions(before, uBob))
	same("a user moved to another account", ans)

	write("UPDATE trees SET account_id = ? WHERE id = ?", acctA, tBetaLow)
	write("UPDATE users SET account_id = ? WHERE id = ?", acctA, uBob)
	before = get()
	write("DELETE FROM sessions WHERE id = ?", s1)
	ans = get()
	expect("a session deleted", ans.Team.Summary.TotalSessions, before.Team.Summary.TotalSessions-1)
	same("a session deleted", ans)

	before = ans
	err = store.BulkLoad(ctx, owner, func(ctx context.Context, b *store.Bulk) error {
		rows := [][]any{
			{uuid.New(), uuid.MustParse(tCheckout), uuid.MustParse(uEmile), time.Date(2026, 3, 20, 1, 2, 3, 4000, time.UTC), time.Date(2026, 3, 20, 1, 9, 3, 4000, time.UTC), "workaround", nil},
			{uuid.New(), uuid.MustParse(tCheckout), uuid.MustParse(uEmile), time.Date(2026, 3, 31, 23, 59, 59, 999999000, time.UTC), nil, nil, nil},
		}
		_, err := b.Copy(ctx, store.SessionsTable, len(rows), func(i int) []any { return rows[i] })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ans = get()
	expect("a COPY of two sessions", ans.Flow.Summary.TotalSessions, before.Flow.Summary.TotalSessions+2)
	same("a COPY of two sessions", ans)

	before = ans
	r1 := uuid.New()
	write("INSERT INTO session_ratings (id, tree_id, rating, created_at) VALUES (?, ?, 4, '2026-03-31 23:59:59.999999+00')", r1, tCheckout)
	ans = get()
	expect("a rating inserted: total", ans.Flow.TotalRatings, before.Flow.TotalRatings+1)
	expect("a rating inserted: 4", ratingCount(ans, 4), ratingCount(before, 4)+1)

	before = ans
	write("UPDATE session_ratings SET rating = 5 WHERE id = ?", r1)
	ans = get()
	expect("a rating changed: 4", ratingCount(ans, 4), ratingCount(before, 4)-1)
	expect("a rating changed: 5", ratingCount(ans, 5), ratingCount(before, 5)+1)

	before = ans
	write("DELETE FROM session_ratings WHERE id = ?", r1)
	ans = get()
	expect("a rating deleted", ans.Flow.TotalRatings, before.Flow.TotalRatings-1)

	before = ans
	v1 := uuid.New()
	write("INSERT INTO step_ratings (id, tree_id, node_id, helpful, created_at) VALUES (?, ?, 'root', true, '2026-03-01 00:00:00+00')", v1, tCheckout)
	ans = get()
	_, by := step(before, "root")
	_, ay := step(ans, "root")
	expect("a step rating inserted", ay, by+1)

	before = ans
	write("DELETE FROM step_ratings WHERE id = ?", v1)
	ans = get()
	_, by = step(before, "root")
	_, ay = step(ans, "root")
	expect("a step rating deleted", ay, by-1)
	same("everything", ans)
}

func ptrTime(t time.Time) *time.Time { return &t }

// find returns the first item that matches, and whether there is one.
func find[T any](items []T, match func(T) bool) (T, bool) {
	for _, it := range items {
		if match(it) {
			return it, true
		}
	}
	var zero T
	return zero, false
}
