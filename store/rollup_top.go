package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// listGrain returns the grain listing the trees (col "tree_id") or the
// users ("user_id") among the sessions of sc.
func listGrain(sc models.Scope, col string) grain {
	g := scopeGrain(sc)
	g.list = col
	return g
}

// rollupTop is TopFlows (col "tree_id", named: trees) or TopEngineers
// ("user_id", named: users) from the rollups, in one statement: sessions
// per listed id from rollup_counts, the first limit rows by sessions,
// name (byte order) and id, and each one's median duration from
// rollup_durations (percentiles, one target per listed row). named is a
// query with columns id, name. dest receives rows of columns <col>, name,
// sessions, median_duration_minutes.
func (s *Store) rollupTop(ctx context.Context, sc models.Scope, col string, named string, limit int, dest any) error {
	g := listGrain(sc, col)
	q := &query{}
	window(q, sc.Window)
	q.add(decomposition("c", "iv", g.levels()) + ",\n")
	q.add(decomposition("h", "iv", dayLevels) + ",\n")
	q.add("counts AS (SELECT x.item AS id, sum(x.sessions)::bigint AS sessions FROM (\n  ")
	counterSources(q, "c", g, g.levels(), "r."+col+", r.sessions", "s."+col+", 1", "")
	q.add("\n) AS x(id, item, sessions) GROUP BY 1 HAVING sum(x.sessions) > 0),\n")
	q.add("named AS ("+named+"),\n", sc.AccountID)
	q.add("top AS (SELECT c.id, n.name, c.sessions FROM counts AS c JOIN named AS n ON n.id = c.id"+
		` ORDER BY c.sessions DESC, n.name COLLATE "C", c.id LIMIT ?),`+"\n", limit)
	// One percentile target per listed row: its sessions in the scope.
	t := targets{name: "tg", account: sc.AccountID, byTree: g.byTree(), byUser: g.byUser()}
	treeCol, userCol := "?::uuid", "?::uuid"
	var args []any
	if col == "tree_id" {
		treeCol = "top.id"
		args = append(args, nullUUID(g.user))
	} else {
		userCol = "top.id"
		args = append(args, nullUUID(g.tree))
	}
	q.add("tg AS (SELECT top.id AS k, "+treeCol+" AS tree_id, "+userCol+" AS user_id FROM top)", args...)
	percentiles(q, "h", t, sc.Window, 0.5)
	q.add("\nSELECT top.id AS " + col + ", top.name, top.sessions, " + roundedMinutes("m.value") + " AS median_duration_minutes" +
		" FROM top LEFT JOIN h_value AS m ON m.k = top.id" +
		` ORDER BY top.sessions DESC, top.name COLLATE "C", top.id`)
	return s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, dest)
	})
}

// rollupCompletions is FlowCompletions (col "tree_id") or
// EngineerCompletions ("user_id") from rollup_counts, in one statement.
func (s *Store) rollupCompletions(ctx context.Context, sc models.Scope, col string, ids []uuid.UUID, dest any) error {
	g := listGrain(sc, col)
	q := &query{}
	window(q, sc.Window)
	q.add(decomposition("c", "iv", g.levels()) + ",\n")
	q.add("ids AS (SELECT x.id FROM unnest(ARRAY[?]::uuid[]) AS x(id))\n", bun.In(ids))
	q.add("SELECT x.item AS id, sum(x.completed)::bigint AS completed FROM (\n  ")
	// The raw rows of completed sessions only; the ids appear once in the
	// statement (ids), whatever their number.
	counterSources(q, "c", g, g.levels(), "r."+col+", r.completed", "s."+col+", (s.completed_at IS NOT NULL)::int",
		"x."+col+" IN (SELECT id FROM ids)")
	q.add("\n) AS x(id, item, completed) GROUP BY 1 HAVING sum(x.completed) > 0")
	return s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return db.NewRaw(q.String(), q.args...).Scan(ctx, dest)
	})
}

// Names of the listed rows, as the reference lists them.
const (
	namedTrees = "SELECT t.id, t.name FROM trees AS t WHERE t.account_id = ?::uuid"
	namedUsers = "SELECT u.id, coalesce(nullif(u.name, ''), 'Unknown') AS name FROM users AS u WHERE u.account_id = ?::uuid"
)

// lists reports whether the rollups serve a list of sc (not in a tree).
func lists(s *Store, sc models.Scope) bool { return !s.raw && rollupScope(sc, true) }

// fmtErr wraps err with a list's context.
func fmtErr(what string, sc models.Scope, err error) error {
	return fmt.Errorf("%s: account=%s: %w", what, sc.AccountID, err)
}
