package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

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

// scopeGrain returns the rollup grain of sc's sessions.
func scopeGrain(sc models.Scope) grain {
	g := grain{account: sc.AccountID, tree: sc.TreeID}
	if sc.ByUser {
		g.user = sc.UserID
	}
	return g
}

// window appends the intervals CTE iv holding sc's window as interval 0.
func window(q *query, w models.Window) {
	q.add("WITH iv(id, lo, hi) AS (VALUES (0, ?::timestamptz, ?::timestamptz)),\n", w.From, w.To)
}

// rollupSummary is Summary from the rollups, in one statement: the
// counters of rollup_counts, the engineers with a positive session count
// among the engineers' rows (the account's) or the engineer-on-tree rows
// (a tree's), and both percentiles from rollup_durations (percentiles).
func (s *Store) rollupSummary(ctx context.Context, sc models.Scope) (*models.Summary, error) {
	g := scopeGrain(sc)
	q := &query{}
	window(q, sc.Window)
	q.add(decomposition("c", "iv", g.levels()) + ",\n")
	q.add(decomposition("h", "iv", dayLevels) + ",\n")
	q.add("cnt AS (SELECT coalesce(sum(x.sessions), 0)::bigint AS total_sessions, coalesce(sum(x.completed), 0)::bigint AS completed_sessions," +
		" coalesce(sum(x.resolved), 0)::bigint AS resolved, coalesce(sum(x.escalated), 0)::bigint AS escalated," +
		" coalesce(sum(x.workaround), 0)::bigint AS workaround, coalesce(sum(x.unresolved), 0)::bigint AS unresolved FROM (\n  ")
	counterSources(q, "c", g, g.levels(),
		"r.sessions, r.completed, r.completed_resolved, r.completed_escalated, r.completed_workaround, r.completed_unresolved",
		"1, (s.completed_at IS NOT NULL)::int, (s.completed_at IS NOT NULL AND s.outcome = 'resolved')::int,"+
			" (s.completed_at IS NOT NULL AND s.outcome = 'escalated')::int, (s.completed_at IS NOT NULL AND s.outcome = 'workaround')::int,"+
			" (s.completed_at IS NOT NULL AND s.outcome = 'unresolved')::int", "")
	q.add("\n) AS x(id, sessions, completed, resolved, escalated, workaround, unresolved)),\n")
	if g.user != uuid.Nil {
		// One engineer: active when they have a session.
		q.add("eng AS (SELECT (cnt.total_sessions > 0)::int AS n FROM cnt)")
	} else {
		// The users with a positive count among the engineers' rows of
		// the account (or of the tree: the engineer-on-tree rows).
		eg := grain{account: g.account, tree: g.tree, list: "user_id"}
		q.add(decomposition("e", "iv", eg.levels()) + ",\n")
		q.add("eng AS (SELECT count(*) AS n FROM (SELECT x.user_id FROM (\n  ")
		counterSources(q, "e", eg, eg.levels(), "r.user_id, r.sessions", "s.user_id, 1", "")
		q.add("\n) AS x(id, user_id, sessions) GROUP BY 1 HAVING sum(x.sessions) > 0) AS y)")
	}
	q.add(",\ntg(k, tree_id, user_id) AS (VALUES (0, ?::uuid, ?::uuid))", nullUUID(g.tree), nullUUID(g.user))
	percentiles(q, "h", targets{name: "tg", account: g.account, byTree: g.tree != uuid.Nil, byUser: g.user != uuid.Nil}, sc.Window, 0.5, 0.9)
	q.add("\nSELECT cnt.total_sessions, cnt.completed_sessions, eng.n AS active_engineers," +
		" coalesce(round(cnt.completed_sessions::numeric / nullif(cnt.total_sessions, 0), 3), 0)::float8 AS completion_rate," +
		" " + roundedMinutes("(SELECT v.value FROM h_value AS v WHERE v.i = 1)") + " AS median_duration_minutes," +
		" " + roundedMinutes("(SELECT v.value FROM h_value AS v WHERE v.i = 2)") + " AS p90_duration_minutes," +
		" cnt.resolved, cnt.escalated, cnt.workaround, cnt.unresolved FROM cnt, eng")
	var sum models.Summary
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, &sum)
	})
	if err != nil {
		return nil, fmt.Errorf("summary: account=%s window=%s..%s: %w", sc.AccountID, sc.Window.From, sc.Window.To, err)
	}
	return &sum, nil
}

// nullUUID returns id, or nil (SQL NULL) for uuid.Nil.
func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}
