package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// Path statistics of a flow: transitions between nodes, exit nodes and
// funnels (shared/API.md, version 2). Each is one statement over the
// scope's sessions, computed in SQL from the per-session part below, so
// that the service receives one row per listed item whatever the number of
// sessions.
//
// The per-session part is a session's counted path: its counted decisions
// in array order, the entries that do not count removed, as a jsonb array
// of node ids (countedPath). Sessions with the same path are grouped first
// (a partial aggregate that PostgreSQL runs in parallel workers), and the
// pairs of neighbours or the funnel matches are worked out once per
// distinct path, weighted by its sessions. A session's contribution is
// thus a set of deltas: +1 per neighbour pair (transitions), +1 at its
// last node and outcome (exit nodes), which is what the rollups per tree,
// node pair or node, and block add up (rollup_paths.go); these raw
// statements stay the reference for them (Reference.Transitions,
// Reference.ExitNodes). Funnels read the raw rows: the
// sessions' path keys (migration 0033) through an index, and the decisions
// of one session per distinct key.

// countedPath is the SQL/JSON path of a session's counted decisions: the
// entries of the decisions array that are objects whose node_id is a
// non-empty string, in array order, as their node ids. In strict mode an
// accessor on anything but an object fails inside the filter, which
// leaves the entry out (lax mode would unwrap nested arrays); `> ""` holds
// exactly for a non-empty string (strings compare by code point, then
// length; null, numbers, booleans, arrays and objects compare to a string
// as false or unknown), one comparison where a type test and an
// inequality would take two; with the `silent` argument decisions that
// are not an array give no entries.
const countedPath = `strict $[*] ? (@.node_id > "").node_id`

// lastCounted is the path of the node id of the array's last entry when
// that entry is a counted decision (nothing otherwise, and nothing for an
// empty array or decisions that are not an array).
const lastCounted = `strict $[last] ? (@.node_id > "").node_id`

// pathsOf returns the counted paths of sc's sessions with how many sessions
// have each (decisions that are null or not an array have an empty or null
// path, which pairs and matches nothing). No jsonb_typeof filter: the
// planner's default guess for it (0.5% of the rows) makes it sort the
// sessions by path instead of hashing them, which costs more.
func pathsOf(db bun.IDB, sc models.Scope) *bun.SelectQuery {
	return sessions(db, sc).
		ColumnExpr("jsonb_path_query_array(s.decisions, ?::jsonpath, '{}', true) AS path", countedPath).
		ColumnExpr("count(*) AS sessions").
		GroupExpr("1")
}

// keyedPathShare is the fewest sessions per distinct path key for which
// the funnel reads paths by key (Funnels).
const keyedPathShare = 5

// keysOf returns the path keys of sc's sessions (sessions.path_key, the
// SHA-256 of the counted path) with how many sessions have each: equal keys,
// equal paths. NULL for decisions that are NULL, which match nothing.
func keysOf(db bun.IDB, sc models.Scope) *bun.SelectQuery {
	return sessions(db, sc).
		ColumnExpr("s.path_key").
		ColumnExpr("count(*) AS sessions").
		GroupExpr("1")
}

// nodeArray is the text array of the node ids of expr, a counted path as
// a jsonb array, for array_position.
func nodeArray(expr string) string { return "ARRAY(SELECT jsonb_array_elements_text(" + expr + "))" }

// pathStats is the row of every path statement: the tree structure's text
// (for the node titles) and the statistics as a JSON array.
type pathStats struct {
	Structure *string `bun:"structure"`
	Stats     string  `bun:"stats"`
	Total     int     `bun:"total"`
}

// withTree returns the final select of a path statement: sc's tree row
// (which must belong to sc's account) with its structure and, as stats,
// the JSON array of the rows of CTE `listed` in the order of orderBy.
func withTree(q *bun.SelectQuery, sc models.Scope, orderBy string) *bun.SelectQuery {
	return q.TableExpr("trees AS t").
		Where("t.id = ?", sc.TreeID).
		Where("t.account_id = ?", sc.AccountID).
		ColumnExpr("t.tree_structure::text AS structure").
		ColumnExpr("(SELECT coalesce(json_agg(x ORDER BY " + orderBy + "), '[]')::text FROM listed AS x) AS stats")
}

// titles reads the titles of the node ids from the statement's structure.
func (p *pathStats) titles(ids map[string]bool) models.Titles {
	var structure []byte
	if p.Structure != nil {
		structure = []byte(*p.Structure)
	}
	return models.NodeTitles(structure, ids)
}

// Transitions returns the most frequent transitions of sc's tree, at most
// limit: for each session, each pair of neighbours a, b in its counted
// decisions (a = b included) is one transition a → b; share is its count
// over all transitions out of a, listed or not, 3 decimals. Highest count
// first, then from and to node id in byte order. One statement, from the
// rollups (rollupTransitions).
func (s *Store) Transitions(ctx context.Context, sc models.Scope, limit int) ([]models.Transition, error) {
	if !flowRollups(s, sc) {
		return s.Reference().Transitions(ctx, sc, limit)
	}
	return rollupPaths(ctx, s, sc, "transitions", limit, (*pathStats).transitions)
}

// Transitions computes Store.Transitions from the raw rows, in one
// statement.
func (r Reference) Transitions(ctx context.Context, sc models.Scope, limit int) ([]models.Transition, error) {
	var row pathStats
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		// The pair at position ord (from 1) is the path's element ord - 1
		// and element ord (->> counts from 0).
		pairs := db.NewSelect().
			TableExpr("paths AS p").
			Join("CROSS JOIN LATERAL jsonb_array_elements_text(p.path) WITH ORDINALITY AS e(node, ord)").
			Where("e.ord < jsonb_array_length(p.path)").
			ColumnExpr("e.node AS from_node_id").
			ColumnExpr("p.path ->> e.ord::int AS to_node_id").
			ColumnExpr("p.sessions")
		counts := db.NewSelect().
			TableExpr("pairs").
			ColumnExpr("from_node_id, to_node_id").
			ColumnExpr("sum(sessions)::bigint AS count").
			ColumnExpr("(sum(sum(sessions)) OVER (PARTITION BY from_node_id))::bigint AS out_of").
			GroupExpr("1, 2")
		listed := db.NewSelect().
			TableExpr("counts").
			ColumnExpr("*").
			OrderExpr(`count DESC, from_node_id COLLATE "C", to_node_id COLLATE "C"`).
			Limit(int64(limit))
		return withTree(db.NewSelect().
			With("paths", pathsOf(db, sc)).
			With("pairs", pairs).
			With("counts", counts).
			With("listed", listed), sc,
			`x.count DESC, x.from_node_id COLLATE "C", x.to_node_id COLLATE "C"`).
			Scan(ctx, &row)
	})
	if err != nil {
		return nil, fmt.Errorf("transitions: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.transitions()
}

// transitions decodes the listed transitions, titles their nodes from the
// structure and computes their shares.
func (row *pathStats) transitions() ([]models.Transition, error) {
	var ts []models.Transition
	if err := json.Unmarshal([]byte(row.Stats), &ts); err != nil {
		return nil, fmt.Errorf("transitions: decode: %w", err)
	}
	ids := make(map[string]bool, 2*len(ts))
	for _, t := range ts {
		ids[t.FromNodeID], ids[t.ToNodeID] = true, true
	}
	titles := row.titles(ids)
	for i := range ts {
		t := &ts[i]
		t.FromNodeTitle, t.ToNodeTitle = titles.Title(t.FromNodeID), titles.Title(t.ToNodeID)
		t.Share = models.Ratio(t.Count, t.OutOf, 3)
	}
	return ts, nil
}

// ExitNodes returns the nodes where the completed sessions of sc's tree
// ended, at most limit: the completed sessions whose decisions array's last
// entry is a counted decision, grouped by its node id, with the sessions
// per outcome (exactly one of the four words). Most sessions first, then
// node id in byte order. One statement, from the rollups (rollupPaths).
func (s *Store) ExitNodes(ctx context.Context, sc models.Scope, limit int) ([]models.ExitNode, error) {
	if !flowRollups(s, sc) {
		return s.Reference().ExitNodes(ctx, sc, limit)
	}
	return rollupPaths(ctx, s, sc, "exits", limit, (*pathStats).exitNodes)
}

// ExitNodes computes Store.ExitNodes from the raw rows, in one statement.
func (r Reference) ExitNodes(ctx context.Context, sc models.Scope, limit int) ([]models.ExitNode, error) {
	var row pathStats
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		exits := sessions(db, sc).
			Where(completed).
			ColumnExpr("jsonb_path_query_first(s.decisions, ?::jsonpath, '{}', true) #>> '{}' AS node_id", lastCounted).
			ColumnExpr("count(*) AS sessions").
			ColumnExpr("count(*) FILTER (WHERE s.outcome = 'resolved') AS resolved").
			ColumnExpr("count(*) FILTER (WHERE s.outcome = 'escalated') AS escalated").
			ColumnExpr("count(*) FILTER (WHERE s.outcome = 'workaround') AS workaround").
			ColumnExpr("count(*) FILTER (WHERE s.outcome = 'unresolved') AS unresolved").
			GroupExpr("1")
		listed := db.NewSelect().
			TableExpr("exits").
			ColumnExpr("*").
			Where("node_id IS NOT NULL").
			OrderExpr(`sessions DESC, node_id COLLATE "C"`).
			Limit(int64(limit))
		return withTree(db.NewSelect().
			With("exits", exits).
			With("listed", listed), sc,
			`x.sessions DESC, x.node_id COLLATE "C"`).
			Scan(ctx, &row)
	})
	if err != nil {
		return nil, fmt.Errorf("exit nodes: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.exitNodes()
}

// exitNodes decodes the listed exit nodes and titles them from the
// structure.
func (row *pathStats) exitNodes() ([]models.ExitNode, error) {
	var exits []models.ExitNode
	if err := json.Unmarshal([]byte(row.Stats), &exits); err != nil {
		return nil, fmt.Errorf("exit nodes: decode: %w", err)
	}
	ids := make(map[string]bool, len(exits))
	for _, x := range exits {
		ids[x.NodeID] = true
	}
	titles := row.titles(ids)
	for i := range exits {
		exits[i].NodeTitle = titles.Title(exits[i].NodeID)
	}
	return exits, nil
}

// Funnels returns the steps of each funnel (a list of node ids) over sc's
// sessions, in one statement for all of them: step i counts the sessions
// whose counted decisions hold the funnel's ids 0..i as a subsequence, in
// that order (an id given twice must be passed twice); conversion rates
// divide by the previous step, the first by all sessions of the scope
// (those without counted decisions included).
//
// A session's greedy match (each id at its first position after the
// previous one's) reaches step i exactly when ids 0..i are a subsequence
// of its path, so the statement walks each distinct path once per funnel,
// one id after the other, with array_position. The distinct paths come
// from the sessions' path keys (keysOf), read from an index only, and,
// when the sessions share few paths, one session's decisions per key: the
// decisions of the window's other sessions are never read.
func (s *Store) Funnels(ctx context.Context, sc models.Scope, funnels [][]string) ([][]models.FunnelStep, error) {
	// No stored node id holds a NUL character or is not UTF-8 (PostgreSQL
	// text cannot): a funnel stops matching at such an id, and the
	// statement only walks the ids before it.
	walked := make([][]string, len(funnels))
	for i, ids := range funnels {
		n := len(ids)
		for j, id := range ids {
			if strings.ContainsRune(id, 0) || !utf8.ValidString(id) {
				n = j
				break
			}
		}
		walked[i] = ids[:n]
	}
	spec, err := json.Marshal(walked)
	if err != nil {
		return nil, fmt.Errorf("funnels: encode: %w", err)
	}
	var row pathStats
	err = s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		// arrays holds the distinct paths as text arrays, for array_position.
		// When the sessions share few paths (at most one key per
		// keyedPathShare sessions), the path of one session of each key
		// (sessions.path_key, migration 0033), from that session's
		// decisions: the others' decisions are never read. Otherwise
		// looking up one session per key would cost more than working the
		// paths out of every session's decisions (about five times as much
		// per key as per session), so they are, grouped by path as
		// pathsOf does. The choice (CTE choice, with the sessions' total)
		// is made once, before either branch runs; both give the same
		// paths and counts.
		choice := db.NewSelect().
			TableExpr("keys AS k").
			ColumnExpr("count(*) * ? <= coalesce(sum(k.sessions), 0) AS keyed", keyedPathShare).
			ColumnExpr("coalesce(sum(k.sessions), 0) AS total")
		const keyed = "(SELECT c.keyed FROM choice AS c)"
		path := db.NewSelect().
			TableExpr("sessions AS r").
			ColumnExpr(nodeArray("jsonb_path_query_array(r.decisions, ?::jsonpath, '{}', true)"), countedPath).
			Where("r.tree_id = ?", sc.TreeID).
			Where("r.account_id = ?", sc.AccountID).
			Where("r.path_key = k.path_key").
			Limit(1)
		byKey := db.NewSelect().
			TableExpr("keys AS k").
			ColumnExpr("(?) AS nodes", path).
			ColumnExpr("k.sessions").
			Where(keyed)
		worked := db.NewSelect().
			TableExpr("worked AS p").
			ColumnExpr(nodeArray("p.path") + " AS nodes").
			ColumnExpr("p.sessions")
		arrays := byKey.UnionAll(worked)
		specs := db.NewSelect().
			TableExpr("jsonb_array_elements(?::jsonb) WITH ORDINALITY AS f(ids, ord)", string(spec)).
			ColumnExpr("f.ord::int - 1 AS funnel, f.ids")
		// walk: a row at step k whose pos is not null matched ids 0..k-1,
		// the last one at pos.
		start := db.NewSelect().
			TableExpr("arrays AS a").
			Join("CROSS JOIN specs AS f").
			ColumnExpr("f.funnel, f.ids, a.nodes, a.sessions, 0 AS step, 0 AS pos")
		next := db.NewSelect().
			TableExpr("walk AS w").
			Where("w.pos IS NOT NULL").
			Where("w.step < jsonb_array_length(w.ids)").
			ColumnExpr("w.funnel, w.ids, w.nodes, w.sessions, w.step + 1").
			ColumnExpr("array_position(w.nodes, w.ids ->> w.step, w.pos + 1)")
		listed := db.NewSelect().
			TableExpr("walk").
			Where("step > 0 AND pos IS NOT NULL").
			ColumnExpr("funnel, step, sum(sessions)::bigint AS sessions").
			GroupExpr("1, 2")
		return withTree(db.NewSelect().
			WithRecursive("keys", keysOf(db, sc)).
			With("choice", choice).
			With("worked", pathsOf(db, sc).Where("NOT "+keyed)).
			With("arrays", arrays).
			With("specs", specs).
			With("walk", start.UnionAll(next)).
			With("listed", listed), sc, "x.funnel, x.step").
			ColumnExpr("(SELECT c.total FROM choice AS c) AS total").
			Scan(ctx, &row)
	})
	if err != nil {
		return nil, fmt.Errorf("funnels: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	var reached []struct {
		Funnel   int `json:"funnel"`
		Step     int `json:"step"`
		Sessions int `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(row.Stats), &reached); err != nil {
		return nil, fmt.Errorf("funnels: decode: %w", err)
	}
	counts := make([][]int, len(funnels))
	ids := map[string]bool{}
	for i, f := range funnels {
		counts[i] = make([]int, len(f))
		for _, id := range f {
			ids[id] = true
		}
	}
	for _, r := range reached {
		if r.Funnel >= 0 && r.Funnel < len(counts) && r.Step >= 1 && r.Step <= len(counts[r.Funnel]) {
			counts[r.Funnel][r.Step-1] = r.Sessions
		}
	}
	titles := row.titles(ids)
	out := make([][]models.FunnelStep, len(funnels))
	for i, f := range funnels {
		out[i] = models.FunnelSteps(f, counts[i], row.Total, titles)
	}
	return out, nil
}
