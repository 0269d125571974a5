package store

import (
	"context"

	"flowlens/models"
)

// treeSources returns the rows of a tree-keyed rollup (folded table t,
// with columns rollup over row r), of its journal (columns over journal row
// j) and of its raw source (raw columns over row r of table src, with time
// column at) of decomposition p (day levels) for tree p_tree, as SELECT
// ... UNION ALL ....
func treeSources(p, t, rollup, jt, journal, src, at, raw string) string {
	return "SELECT " + rollup + " FROM " + p + "_ranges AS g JOIN " + t + " AS r ON r.lvl = g.lvl AND r.bucket >= g.lo AND r.bucket < g.hi WHERE r.tree_id = p_tree" +
		"\n  UNION ALL SELECT " + journal + " FROM " + p + "_cover AS g JOIN " + jt + " AS j ON j." + at + " >= g.lo AND j." + at + " < g.hi WHERE j.tree_id = p_tree" +
		"\n  UNION ALL SELECT " + raw + " FROM " + p + "_raw AS g JOIN " + src + " AS r ON r." + at + " >= g.lo AND r." + at + " < g.hi WHERE r.tree_id = p_tree"
}

const ratingsColumns = "avg float8, total bigint, r1 bigint, r2 bigint, r3 bigint, r4 bigint, r5 bigint"

// ratingsBody is Ratings over rollup_ratings. The mean is PostgreSQL's
// avg(rating) exactly: the avg of integers is the numeric quotient of
// their sum by their count.
func ratingsBody() string {
	return "WITH " + window + ",\n" + decomposition("r", "iv", dayLevels) + ",\n" +
		"x(rating, n) AS (\n  " + treeSources("r", "rollup_ratings", "r.rating, r.n", "rollup_rating_journal", "j.rating, j.sign", "session_ratings", "created_at", "r.rating, 1") + "\n)\n" +
		"SELECT round(sum(x.rating * x.n)::numeric / nullif(sum(x.n), 0), 1)::float8," +
		" coalesce(sum(x.n), 0)::bigint, coalesce(sum(x.n) FILTER (WHERE x.rating = 1), 0)::bigint," +
		" coalesce(sum(x.n) FILTER (WHERE x.rating = 2), 0)::bigint, coalesce(sum(x.n) FILTER (WHERE x.rating = 3), 0)::bigint," +
		" coalesce(sum(x.n) FILTER (WHERE x.rating = 4), 0)::bigint, coalesce(sum(x.n) FILTER (WHERE x.rating = 5), 0)::bigint" +
		" FROM x WHERE EXISTS (SELECT 1 FROM trees AS t WHERE t.id = p_tree AND t.account_id = p_account)"
}

// stepsBody is StepFeedback's statement over rollup_steps and
// rollup_votes: the same row (structure, stats) as the reference's.
func stepsBody() string {
	b := "WITH " + window + ",\n" + decomposition("d", "iv", dayLevels) + ",\n"
	// The sessions of the raw edges (sign 1) and the journal's rows of the
	// whole blocks (signed), with the array's length once per row.
	b += "decided AS MATERIALIZED (SELECT 1 AS sign, s.completed_at, s.decisions, jsonb_array_length(s.decisions) AS entries" +
		" FROM d_raw AS g JOIN sessions AS s ON s.started_at >= g.lo AND s.started_at < g.hi" +
		" WHERE s.account_id = p_account AND s.tree_id = p_tree AND jsonb_typeof(s.decisions) = 'array'" +
		" UNION ALL SELECT j.sign, j.completed_at, j.decisions, jsonb_array_length(j.decisions)" +
		" FROM d_cover AS g JOIN rollup_session_journal AS j ON j.started_at >= g.lo AND j.started_at < g.hi" +
		" WHERE j.account_id = p_account AND j.tree_id = p_tree AND jsonb_typeof(j.decisions) = 'array'),\n"
	b += "visits AS (SELECT x.node_id, sum(x.visits)::bigint AS visit_count, sum(x.dropoffs)::bigint AS dropoff_count FROM (\n  " +
		"SELECT r.node_id, r.visits, r.dropoffs FROM d_ranges AS g JOIN rollup_steps AS r ON r.lvl = g.lvl" +
		" AND r.bucket >= g.lo AND r.bucket < g.hi WHERE r.account_id = p_account AND r.tree_id = p_tree" +
		"\n  UNION ALL SELECT e.step ->> 'node_id', d.sign, d.sign * (d.completed_at IS NULL AND e.ord = d.entries)::int" +
		" FROM decided AS d CROSS JOIN LATERAL jsonb_array_elements(d.decisions) WITH ORDINALITY AS e(step, ord)" +
		" WHERE jsonb_typeof(e.step) = 'object' AND jsonb_typeof(e.step -> 'node_id') = 'string' AND e.step ->> 'node_id' <> ''" +
		"\n) AS x(node_id, visits, dropoffs) GROUP BY 1 HAVING sum(x.visits) > 0),\n"
	b += "votes AS (SELECT x.node_id, sum(x.yes)::bigint AS helpful_yes, sum(x.no)::bigint AS helpful_no FROM (\n  " +
		treeSources("d", "rollup_votes", "r.node_id, r.yes, r.no", "rollup_vote_journal", "j.node_id, j.sign * j.helpful::int, j.sign * (NOT j.helpful)::int",
			"step_ratings", "created_at", "r.node_id, r.helpful::int, (NOT r.helpful)::int") +
		"\n) AS x(node_id, yes, no) GROUP BY 1),\n"
	b += "stats AS (SELECT v.node_id, v.visit_count, v.dropoff_count," +
		" coalesce(h.helpful_yes, 0) AS helpful_yes, coalesce(h.helpful_no, 0) AS helpful_no" +
		" FROM visits AS v LEFT JOIN votes AS h ON h.node_id = v.node_id" +
		` ORDER BY round(v.dropoff_count::numeric / v.visit_count, 3) DESC, v.node_id COLLATE "C")` + "\n"
	return b + "SELECT t.tree_structure::text, (SELECT coalesce(json_agg(x), '[]')::text FROM stats AS x)" +
		" FROM trees AS t WHERE t.id = p_tree AND t.account_id = p_account"
}

// flowRollups reports whether the rollups serve the flow fields of sc
// (step feedback, transitions, exit nodes): a tree's sessions in a window
// of their span, whoever asks.
func flowRollups(s *Store, sc models.Scope) bool {
	return !s.raw && rollupScope(sc, false) && !sc.ByUser
}

// flowArgs are the arguments of the flow functions.
func flowArgs(sc models.Scope) []any {
	return []any{sc.AccountID, sc.TreeID, sc.Window.From, sc.Window.To}
}

// rollupRatings is Ratings from the rollups
// (flowlens_rollup_session_ratings_avg).
func (s *Store) rollupRatings(ctx context.Context, sc models.Scope, row any) error {
	return s.callRollup(ctx, "session_ratings_avg", flowArgs(sc), "s.*", "", nil, row)
}

// rollupSteps is StepFeedback's row from the rollups (flowlens_rollup_steps).
func (s *Store) rollupSteps(ctx context.Context, sc models.Scope, row any) error {
	return s.callRollup(ctx, "steps", flowArgs(sc), "s.*", "", nil, row)
}
