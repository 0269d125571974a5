package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"flowlens/models"
)

// rollupScope reports whether the rollups serve sc: a window inside their
// span, and the scopes of the API's dashboards: the account, one engineer
// (team with engineerId, personal) or one tree (flow); lists (top flows,
// top engineers, their completion counts) are never asked for in a tree.
// Anything else is answered from the raw rows.
func rollupScope(sc models.Scope, lists bool) bool {
	if !insideSpan(sc.Window) || (sc.ByUser && sc.UserID == uuid.Nil) {
		return false
	}
	return sc.TreeID == uuid.Nil || (!sc.ByUser && !lists)
}

// scopeGrain returns the grain of sc's sessions (a scope rollupScope
// accepts) and its function arguments: account, tree or user, window.
func scopeGrain(sc models.Scope) (grain, []any) {
	args := []any{sc.AccountID}
	var g grain
	switch {
	case sc.TreeID != uuid.Nil:
		g.tree = true
		args = append(args, sc.TreeID)
	case sc.ByUser:
		g.user = true
		args = append(args, sc.UserID)
	}
	return g, append(args, sc.Window.From, sc.Window.To)
}

const summaryColumns = "total_sessions bigint, completed_sessions bigint, active_engineers bigint, completion_rate float8," +
	" median_duration_minutes float8, p90_duration_minutes float8, resolved bigint, escalated bigint, workaround bigint, unresolved bigint"

// summaryBody is Summary over the rollups: the counters of rollup_counts,
// the engineers with a positive session count among the engineers' rows
// (the account's) or the engineer-on-tree rows (a tree's), and both
// percentiles from rollup_durations (percentiles).
//
// hours says whether an account's durations are rolled up from hours
// (migration 0039 applied).
func summaryBody(g grain, hours bool) string {
	tgs := targets{name: "tg", byTree: g.tree, byUser: g.user, hours: hours}
	b := "WITH " + window + ",\n" + decomposition("c", "iv", g.levels()) + ",\n" + decomposition("h", "iv", tgs.levels()) + ",\n"
	b += "cnt AS (SELECT coalesce(sum(x.sessions), 0)::bigint AS total_sessions, coalesce(sum(x.completed), 0)::bigint AS completed_sessions," +
		" coalesce(sum(x.resolved), 0)::bigint AS resolved, coalesce(sum(x.escalated), 0)::bigint AS escalated," +
		" coalesce(sum(x.workaround), 0)::bigint AS workaround, coalesce(sum(x.unresolved), 0)::bigint AS unresolved FROM (\n  " +
		counterSources("c", g,
			"r.sessions, r.completed, r.completed_resolved, r.completed_escalated, r.completed_workaround, r.completed_unresolved", "",
			"1", "(s.completed_at IS NOT NULL)::int", "(s.completed_at IS NOT NULL AND s.outcome = 'resolved')::int",
			"(s.completed_at IS NOT NULL AND s.outcome = 'escalated')::int", "(s.completed_at IS NOT NULL AND s.outcome = 'workaround')::int",
			"(s.completed_at IS NOT NULL AND s.outcome = 'unresolved')::int") +
		"\n) AS x(id, sessions, completed, resolved, escalated, workaround, unresolved)),\n"
	if g.user {
		// One engineer: active when they have a session.
		b += "eng AS (SELECT (cnt.total_sessions > 0)::int::bigint AS n FROM cnt)"
	} else {
		// The users with a positive count among the engineers' rows of the
		// account (hour levels), or of the tree (the engineer-on-tree rows,
		// day levels): through h's decomposition when its levels are the
		// same (a tree's; an account's from migration 0039).
		eg := grain{tree: g.tree, list: "user_id"}
		p := "h"
		if eg.levels() != tgs.levels() {
			p = "e"
			b += decomposition("e", "iv", eg.levels()) + ",\n"
		}
		b += "eng AS (SELECT count(*) AS n FROM (SELECT x.user_id FROM (\n  " + counterSources(p, eg, "r.user_id, r.sessions", "user_id", "1") +
			"\n) AS x(id, user_id, sessions) GROUP BY 1 HAVING sum(x.sessions) > 0) AS y)"
	}
	tg := "tg(k, tree_id, user_id) AS (SELECT 0, NULL::uuid, NULL::uuid)"
	switch {
	case g.tree:
		tg = "tg(k, tree_id, user_id) AS (SELECT 0, p_tree, NULL::uuid)"
	case g.user:
		tg = "tg(k, tree_id, user_id) AS (SELECT 0, NULL::uuid, p_user)"
	}
	b += ",\n" + tg + ",\n" + percentiles("h", tgs, 0.5, 0.9)
	return b + "\nSELECT cnt.total_sessions, cnt.completed_sessions, eng.n, " +
		"coalesce(round(cnt.completed_sessions::numeric / nullif(cnt.total_sessions, 0), 3), 0)::float8, " +
		roundedMinutes("(SELECT v.value FROM h_value AS v WHERE v.i = 1)") + ", " +
		roundedMinutes("(SELECT v.value FROM h_value AS v WHERE v.i = 2)") + ", " +
		"cnt.resolved, cnt.escalated, cnt.workaround, cnt.unresolved FROM cnt, eng"
}

// rollupSummary is Summary from the rollups (flowlens_rollup_summary_*).
func (s *Store) rollupSummary(ctx context.Context, sc models.Scope) (*models.Summary, error) {
	g, args := scopeGrain(sc)
	var sum models.Summary
	if err := s.callRollup(ctx, "summary_"+grainName(g), args, "s.*", "", nil, &sum); err != nil {
		return nil, fmt.Errorf("summary: account=%s window=%s..%s: %w", sc.AccountID, sc.Window.From, sc.Window.To, err)
	}
	return &sum, nil
}

const countsColumns = "sessions bigint, completed bigint, resolved bigint, escalated bigint, workaround bigint, unresolved bigint," +
	" completed_resolved bigint, completed_escalated bigint, completed_workaround bigint, completed_unresolved bigint"

// countsBody sums the session counters of rollup_counts (and the journal
// and raw edges) over the window for grain g: the sessions, the completed
// ones, and each outcome word with and without completion.
func countsBody(g grain) string {
	return "WITH " + window + ",\n" + decomposition("c", "iv", g.levels()) + "\n" +
		"SELECT coalesce(sum(x.sessions), 0)::bigint, coalesce(sum(x.completed), 0)::bigint," +
		" coalesce(sum(x.resolved), 0)::bigint, coalesce(sum(x.escalated), 0)::bigint, coalesce(sum(x.workaround), 0)::bigint, coalesce(sum(x.unresolved), 0)::bigint," +
		" coalesce(sum(x.cres), 0)::bigint, coalesce(sum(x.cesc), 0)::bigint, coalesce(sum(x.cwork), 0)::bigint, coalesce(sum(x.cunres), 0)::bigint FROM (\n  " +
		counterSources("c", g,
			"r.sessions, r.completed, r.resolved, r.escalated, r.workaround, r.unresolved,"+
				" r.completed_resolved, r.completed_escalated, r.completed_workaround, r.completed_unresolved", "",
			"1", "(s.completed_at IS NOT NULL)::int",
			"(s.outcome = 'resolved')::int", "(s.outcome = 'escalated')::int", "(s.outcome = 'workaround')::int", "(s.outcome = 'unresolved')::int",
			"(s.completed_at IS NOT NULL AND s.outcome = 'resolved')::int", "(s.completed_at IS NOT NULL AND s.outcome = 'escalated')::int",
			"(s.completed_at IS NOT NULL AND s.outcome = 'workaround')::int", "(s.completed_at IS NOT NULL AND s.outcome = 'unresolved')::int") +
		"\n) AS x(id, sessions, completed, resolved, escalated, workaround, unresolved, cres, cesc, cwork, cunres)"
}

// sessionCounts are the counters countsBody returns.
type sessionCounts struct {
	Sessions, Completed                                                             int
	Resolved, Escalated, Workaround, Unresolved                                     int
	CompletedResolved, CompletedEscalated, CompletedWorkaround, CompletedUnresolved int
}

// rollupCount counts the sessions of sc that meet f from the rollups
// (flowlens_rollup_counts_*), when they can: f narrows by tree, engineer,
// outcomes and completion only, and the scope it leaves is one the
// rollups serve. ok is false otherwise.
func (s *Store) rollupCount(ctx context.Context, sc models.Scope, f models.SessionFilter) (n int, ok bool, err error) {
	if s.raw || f.VisitedNode != nil || f.DroppedOffAt != nil || f.MinDurationMinutes != nil || f.MaxDurationMinutes != nil || f.MaxCsat != nil {
		return 0, false, nil
	}
	if f.TreeID != nil {
		if sc.TreeID != uuid.Nil && sc.TreeID != *f.TreeID {
			return 0, true, nil // another tree than the scope's: none
		}
		sc.TreeID = *f.TreeID
	}
	if f.EngineerID != nil {
		if sc.ByUser && sc.UserID != *f.EngineerID {
			return 0, true, nil // another engineer than the scope's: none
		}
		sc.ByUser, sc.UserID = true, *f.EngineerID
	}
	if f.Outcomes != nil && len(f.Outcomes) == 0 {
		return 0, true, nil // given and empty: matches nothing
	}
	if !rollupScope(sc, false) {
		return 0, false, nil
	}
	g, args := scopeGrain(sc)
	var c sessionCounts
	if err := s.callRollup(ctx, "counts_"+grainName(g), args, "s.*", "", nil, &c); err != nil {
		return 0, false, fmt.Errorf("count sessions: account=%s window=%s..%s: %w", sc.AccountID, sc.Window.From, sc.Window.To, err)
	}
	return c.matching(f), true, nil
}

// matching is how many of the counted sessions meet f's outcomes and
// completion criteria.
func (c sessionCounts) matching(f models.SessionFilter) int {
	pick := func(any, completed int) int {
		switch {
		case f.Completed == nil:
			return any
		case *f.Completed:
			return completed
		}
		return any - completed
	}
	if f.Outcomes == nil {
		return pick(c.Sessions, c.Completed)
	}
	n := 0
	seen := map[models.Outcome]bool{}
	for _, o := range f.Outcomes {
		if seen[o] {
			continue
		}
		seen[o] = true
		switch o {
		case models.OutcomeResolved:
			n += pick(c.Resolved, c.CompletedResolved)
		case models.OutcomeEscalated:
			n += pick(c.Escalated, c.CompletedEscalated)
		case models.OutcomeWorkaround:
			n += pick(c.Workaround, c.CompletedWorkaround)
		case models.OutcomeUnresolved:
			n += pick(c.Unresolved, c.CompletedUnresolved)
		}
	}
	return n
}
