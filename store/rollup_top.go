package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// Names of the listed rows, as the reference lists them.
const (
	namedTrees = "SELECT t.id, t.name FROM trees AS t WHERE t.account_id = p_account"
	namedUsers = "SELECT u.id, coalesce(nullif(u.name, ''), 'Unknown') AS name FROM users AS u WHERE u.account_id = p_account"
)

const topColumns = "id uuid, name text, sessions bigint, median_duration_minutes float8"

// topBody is TopFlows (g.list "tree_id", named trees) or TopEngineers
// ("user_id", named users) over the rollups: sessions per listed id from
// rollup_counts, the first p_limit rows by sessions, name (byte order) and
// id, and each one's median duration (percentiles, one target per listed
// row).
func topBody(g grain, named string) string {
	col := g.list
	tg := targets{name: "tg", byTree: g.byTree(), byUser: g.byUser()}
	b := "WITH " + window + ",\n" + decomposition("c", "iv", g.levels()) + ",\n" + decomposition("h", "iv", tg.levels()) + ",\n"
	b += "counts AS (SELECT x.item AS id, sum(x.sessions)::bigint AS sessions FROM (\n  " +
		counterSources("c", g, "r."+col+", r.sessions", col, "1") +
		"\n) AS x(id, item, sessions) GROUP BY 1 HAVING sum(x.sessions) > 0),\n"
	b += "named AS (" + named + "),\n"
	b += "top AS (SELECT c.id, n.name, c.sessions FROM counts AS c JOIN named AS n ON n.id = c.id" +
		` ORDER BY c.sessions DESC, n.name COLLATE "C", c.id LIMIT p_limit),` + "\n"
	// One percentile target per listed row: its sessions in the scope.
	treeCol, userCol := "NULL::uuid", "NULL::uuid"
	if g.user {
		userCol = "p_user"
	}
	if col == "tree_id" {
		treeCol = "top.id"
	} else {
		userCol = "top.id"
	}
	b += "tg AS (SELECT top.id AS k, " + treeCol + " AS tree_id, " + userCol + " AS user_id FROM top),\n"
	b += percentiles("h", tg, 0.5)
	return b + "\nSELECT top.id, top.name, top.sessions, " + roundedMinutes("m.value") +
		" FROM top LEFT JOIN h_value AS m ON m.k = top.id" +
		` ORDER BY top.sessions DESC, top.name COLLATE "C", top.id`
}

// completionsBody is the completed sessions per listed id (g.list) of the
// scope, over rollup_counts: every id with some.
func completionsBody(g grain) string {
	col := g.list
	return "WITH " + window + ",\n" + decomposition("c", "iv", g.levels()) + "\n" +
		"SELECT x.item, sum(x.completed)::bigint FROM (\n  " +
		counterSources("c", g, "r."+col+", r.completed", col, "(s.completed_at IS NOT NULL)::int") +
		"\n) AS x(id, item, completed) GROUP BY 1 HAVING sum(x.completed) > 0"
}

// listName names a listing in function names.
func listName(col string) string {
	if col == "tree_id" {
		return "flows"
	}
	return "engineers"
}

// rollupTop is TopFlows (col "tree_id", T models.TopFlow) or TopEngineers
// ("user_id", models.TopEngineer) from the rollups
// (flowlens_rollup_top_*); what names the list in errors.
func rollupTop[T any](ctx context.Context, s *Store, sc models.Scope, col string, limit int, what string) ([]T, error) {
	g, args := scopeGrain(sc)
	var rows []T
	if err := s.callRollup(ctx, "top_"+listName(col)+"_"+grainName(g), append(args, limit),
		"s.id AS "+col+", s.name, s.sessions, s.median_duration_minutes", "", nil, &rows); err != nil {
		return nil, fmtErr(what, sc, err)
	}
	return rows, nil
}

// rollupCompletions is FlowCompletions (col "tree_id") or
// EngineerCompletions ("user_id") from the rollups
// (flowlens_rollup_completions_*), for the ids: the ids appear once in the
// statement, whatever their number.
func (s *Store) rollupCompletions(ctx context.Context, sc models.Scope, col string, ids []uuid.UUID, dest any) error {
	g, args := scopeGrain(sc)
	return s.callRollup(ctx, "completions_"+listName(col)+"_"+grainName(g), args,
		"s."+col+" AS id, s.completed AS completed", " WHERE s."+col+" IN (?)", []any{bun.In(ids)}, dest)
}

// lists reports whether the rollups serve a list of sc (not in a tree).
func lists(s *Store, sc models.Scope) bool { return !s.raw && rollupScope(sc, true) }

// fmtErr wraps err with a list's context.
func fmtErr(what string, sc models.Scope, err error) error {
	return fmt.Errorf("%s: account=%s: %w", what, sc.AccountID, err)
}
