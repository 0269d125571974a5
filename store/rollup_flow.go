package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// treeSources appends the rows of a tree-keyed rollup (folded table t and
// t_delta; rollup columns over row r) and of its raw source (raw columns
// over row r of table src, with time column at) of decomposition p (day
// levels) for sc's tree, as SELECT ... UNION ALL ....
func treeSources(q *query, p string, sc models.Scope, t, rollup, src, at, raw string) {
	for i, tab := range []string{t, t + "_delta"} {
		rng, lvl := p+"_ranges", "g.lvl"
		if i == 1 {
			rng, lvl = p+"_cover", fmt.Sprint(dayLevels.lo)
			q.add("\n  UNION ALL ")
		}
		q.add("SELECT "+rollup+" FROM "+rng+" AS g JOIN "+tab+" AS r ON r.lvl = "+lvl+" AND r.bucket >= g.lo AND r.bucket < g.hi"+
			" WHERE r.tree_id = ?::uuid", sc.TreeID)
		if t == "rollup_steps" {
			q.add(" AND r.account_id = ?::uuid", sc.AccountID)
		}
	}
	q.add("\n  UNION ALL SELECT "+raw+" FROM "+p+"_raw AS g JOIN "+src+" AS r ON r."+at+" >= g.lo AND r."+at+" < g.hi"+
		" WHERE r.tree_id = ?::uuid", sc.TreeID)
	if src == "sessions" {
		q.add(" AND r.account_id = ?::uuid", sc.AccountID)
	}
}

// rollupRatings is Ratings from rollup_ratings, in one statement. The mean
// is PostgreSQL's avg(rating) exactly: avg of integers is the numeric
// quotient of their sum by their count.
func (s *Store) rollupRatings(ctx context.Context, sc models.Scope, row any) error {
	q := &query{}
	window(q, sc.Window)
	q.add(decomposition("r", "iv", dayLevels) + ",\n")
	q.add("x AS (\n  ")
	treeSources(q, "r", sc, "rollup_ratings", "r.rating, r.n", "session_ratings", "created_at", "r.rating, 1")
	q.add("\n)\nSELECT /* avg(r.rating) */ round(sum(x.rating * x.n)::numeric / nullif(sum(x.n), 0), 1)::float8 AS avg,"+
		" coalesce(sum(x.n), 0) AS total, coalesce(sum(x.n) FILTER (WHERE x.rating = 1), 0) AS r1,"+
		" coalesce(sum(x.n) FILTER (WHERE x.rating = 2), 0) AS r2, coalesce(sum(x.n) FILTER (WHERE x.rating = 3), 0) AS r3,"+
		" coalesce(sum(x.n) FILTER (WHERE x.rating = 4), 0) AS r4, coalesce(sum(x.n) FILTER (WHERE x.rating = 5), 0) AS r5"+
		" FROM x WHERE EXISTS (SELECT 1 FROM trees AS t WHERE t.id = ?::uuid AND t.account_id = ?::uuid)", sc.TreeID, sc.AccountID)
	return s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, row)
	})
}

// rollupSteps is StepFeedback's statement from rollup_steps and
// rollup_votes: the same row (structure, stats) as the reference's.
func (s *Store) rollupSteps(ctx context.Context, sc models.Scope, row any) error {
	q := &query{}
	window(q, sc.Window)
	q.add(decomposition("d", "iv", dayLevels) + ",\n")
	// The raw edges' sessions; the array's length once per session.
	q.add("decided AS MATERIALIZED (SELECT s.completed_at, s.decisions, jsonb_array_length(s.decisions) AS entries"+
		" FROM d_raw AS g JOIN sessions AS s ON s.started_at >= g.lo AND s.started_at < g.hi"+
		" WHERE s.account_id = ?::uuid AND s.tree_id = ?::uuid AND jsonb_typeof(s.decisions) = 'array'),\n", sc.AccountID, sc.TreeID)
	q.add("visits AS (SELECT x.node_id, sum(x.visits)::bigint AS visit_count, sum(x.dropoffs)::bigint AS dropoff_count FROM (\n  ")
	for i, tab := range []string{"rollup_steps", "rollup_steps_delta"} {
		rng, lvl := "d_ranges", "g.lvl"
		if i == 1 {
			rng, lvl = "d_cover", fmt.Sprint(dayLevels.lo)
			q.add("\n  UNION ALL ")
		}
		q.add("SELECT r.node_id, r.visits, r.dropoffs FROM "+rng+" AS g JOIN "+tab+" AS r ON r.lvl = "+lvl+
			" AND r.bucket >= g.lo AND r.bucket < g.hi WHERE r.account_id = ?::uuid AND r.tree_id = ?::uuid", sc.AccountID, sc.TreeID)
	}
	q.add("\n  UNION ALL SELECT e.step ->> 'node_id', 1, (d.completed_at IS NULL AND e.ord = d.entries)::int" +
		" FROM decided AS d CROSS JOIN LATERAL jsonb_array_elements(d.decisions) WITH ORDINALITY AS e(step, ord)" +
		" WHERE jsonb_typeof(e.step) = 'object' AND jsonb_typeof(e.step -> 'node_id') = 'string' AND e.step ->> 'node_id' <> ''" +
		"\n) AS x(node_id, visits, dropoffs) GROUP BY 1 HAVING sum(x.visits) > 0),\n")
	q.add("votes AS (SELECT x.node_id, sum(x.yes)::bigint AS helpful_yes, sum(x.no)::bigint AS helpful_no FROM (\n  ")
	treeSources(q, "d", sc, "rollup_votes", "r.node_id, r.yes, r.no", "step_ratings", "created_at",
		"r.node_id, r.helpful::int, (NOT r.helpful)::int")
	q.add("\n) AS x(node_id, yes, no) GROUP BY 1),\n")
	q.add("stats AS (SELECT v.node_id, v.visit_count, v.dropoff_count," +
		" coalesce(h.helpful_yes, 0) AS helpful_yes, coalesce(h.helpful_no, 0) AS helpful_no" +
		" FROM visits AS v LEFT JOIN votes AS h ON h.node_id = v.node_id" +
		` ORDER BY round(v.dropoff_count::numeric / v.visit_count, 3) DESC, v.node_id COLLATE "C")` + "\n")
	q.add("SELECT t.tree_structure::text AS structure, (SELECT coalesce(json_agg(x), '[]')::text FROM stats AS x) AS stats"+
		" FROM trees AS t WHERE t.id = ?::uuid AND t.account_id = ?::uuid", sc.TreeID, sc.AccountID)
	return s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, row)
	})
}
