package store

import (
	"context"
	"fmt"

	"flowlens/models"
)

// The path fields over the rollups: transitions from rollup_transitions
// (per tree, block and node pair), exit nodes from the exit counters of
// rollup_steps (per tree, block and node), both at day levels like the
// step statistics, with the sessions of the partial edges and the journal
// rows of the whole blocks walked as the reference walks them (their
// counted paths, paths.go).

// pathsCTE is the CTE paths (sign, completed, outcome, path, last_node)
// of the flow's sessions of the raw edges of decomposition d (sign 1) and
// of the journal's rows of its whole blocks (signed): each one's counted
// path (the node ids of its counted decisions, in order) and the node of
// its array's last entry when that entry is counted.
func pathsCTE() string {
	cols := func(x string) string {
		return x + ".completed_at IS NOT NULL, " + x + ".outcome, jsonb_path_query_array(" + x + ".decisions, '" + countedPath + "'::jsonpath, '{}', true)," +
			" jsonb_path_query_first(" + x + ".decisions, '" + lastCounted + "'::jsonpath, '{}', true) #>> '{}'"
	}
	return "paths(sign, completed, outcome, path, last_node) AS MATERIALIZED (SELECT 1, " + cols("s") +
		" FROM d_raw AS g JOIN sessions AS s ON s.started_at >= g.lo AND s.started_at < g.hi" +
		" WHERE s.account_id = p_account AND s.tree_id = p_tree AND jsonb_typeof(s.decisions) = 'array'" +
		"\n  UNION ALL SELECT j.sign, " + cols("j") +
		" FROM d_cover AS g JOIN rollup_session_journal AS j ON j.started_at >= g.lo AND j.started_at < g.hi" +
		" WHERE j.account_id = p_account AND j.tree_id = p_tree AND jsonb_typeof(j.decisions) = 'array')"
}

// pathsTail is the final select of a path function: the tree's structure
// and the rows of CTE listed as a JSON array in the order of orderBy, as
// the reference returns them (withTree).
func pathsTail(orderBy string) string {
	return "SELECT t.tree_structure::text, (SELECT coalesce(json_agg(x ORDER BY " + orderBy + "), '[]')::text FROM listed AS x)" +
		" FROM trees AS t WHERE t.id = p_tree AND t.account_id = p_account"
}

// transitionsBody is Transitions over rollup_transitions: the pairs of the
// whole blocks, plus those of the edges' and the journal's paths, the
// first p_limit by count, from and to node (byte order), each with all
// transitions out of its from node.
func transitionsBody() string {
	const order = `count DESC, from_node_id COLLATE "C", to_node_id COLLATE "C"`
	return "WITH " + window + ",\n" + decomposition("d", "iv", dayLevels) + ",\n" + pathsCTE() + ",\n" +
		"pairs AS (SELECT x.from_node_id, x.to_node_id, sum(x.n)::bigint AS count FROM (\n  " +
		"SELECT r.from_node, r.to_node, r.n FROM d_ranges AS g JOIN rollup_transitions AS r ON r.lvl = g.lvl" +
		" AND r.bucket >= g.lo AND r.bucket < g.hi WHERE r.account_id = p_account AND r.tree_id = p_tree" +
		"\n  UNION ALL SELECT e.node, p.path ->> e.ord::int, p.sign FROM paths AS p" +
		" CROSS JOIN LATERAL jsonb_array_elements_text(p.path) WITH ORDINALITY AS e(node, ord) WHERE e.ord < jsonb_array_length(p.path)" +
		"\n) AS x(from_node_id, to_node_id, n) GROUP BY 1, 2 HAVING sum(x.n) > 0),\n" +
		"counts AS (SELECT p.from_node_id, p.to_node_id, p.count, (sum(p.count) OVER (PARTITION BY p.from_node_id))::bigint AS out_of FROM pairs AS p),\n" +
		"listed AS (SELECT * FROM counts ORDER BY " + order + " LIMIT p_limit)\n" +
		pathsTail("x."+order)
}

// exitsBody is ExitNodes over the exit counters of rollup_steps: the
// completed sessions per node of their last counted entry, of the whole
// blocks, plus the edges' and the journal's, the first p_limit by
// sessions then node (byte order).
func exitsBody() string {
	const order = `sessions DESC, node_id COLLATE "C"`
	outcome := func(o models.Outcome) string {
		return "CASE WHEN p.outcome = '" + string(o) + "' THEN p.sign ELSE 0 END"
	}
	return "WITH " + window + ",\n" + decomposition("d", "iv", dayLevels) + ",\n" + pathsCTE() + ",\n" +
		"exits AS (SELECT x.node_id, sum(x.sessions)::bigint AS sessions, sum(x.resolved)::bigint AS resolved, sum(x.escalated)::bigint AS escalated," +
		" sum(x.workaround)::bigint AS workaround, sum(x.unresolved)::bigint AS unresolved FROM (\n  " +
		"SELECT r.node_id, r.exits, r.exit_resolved, r.exit_escalated, r.exit_workaround, r.exit_unresolved FROM d_ranges AS g" +
		" JOIN rollup_steps AS r ON r.lvl = g.lvl AND r.bucket >= g.lo AND r.bucket < g.hi" +
		" WHERE r.account_id = p_account AND r.tree_id = p_tree AND r.exits <> 0" +
		"\n  UNION ALL SELECT p.last_node, p.sign, " + outcome(models.OutcomeResolved) + ", " + outcome(models.OutcomeEscalated) + ", " +
		outcome(models.OutcomeWorkaround) + ", " + outcome(models.OutcomeUnresolved) +
		" FROM paths AS p WHERE p.completed AND p.last_node IS NOT NULL" +
		"\n) AS x(node_id, sessions, resolved, escalated, workaround, unresolved) GROUP BY 1 HAVING sum(x.sessions) > 0),\n" +
		"listed AS (SELECT * FROM exits ORDER BY " + order + " LIMIT p_limit)\n" +
		pathsTail("x."+order)
}

// rollupPaths runs the path function flowlens_rollup_<fn> (transitions,
// exits) for sc's tree and the first limit rows, and decodes its row.
func rollupPaths[T any](ctx context.Context, s *Store, sc models.Scope, fn string, limit int, decode func(*pathStats) ([]T, error)) ([]T, error) {
	var row pathStats
	if err := s.callRollup(ctx, fn, append(flowArgs(sc), limit), "s.*", "", nil, &row); err != nil {
		return nil, fmt.Errorf("%s: account=%s tree=%s: %w", fn, sc.AccountID, sc.TreeID, err)
	}
	return decode(&row)
}
