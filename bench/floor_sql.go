package bench

import "fmt"

// The floor's statements: the fastest SQL found for each field, over the
// service's schema and indexes, straight through pgx. Each returns the
// field's final numbers (rounded as the API rounds them).

// floorWhere returns the scope's conditions over `sessions s`, from $1.
func floorWhere(sc scope) (string, []any) { return scopeWhere(sc, "s.account_id") }

// scopeWhere returns the scope's conditions, the account on accountCol
// (the session's own column, or the tree's in the original), and their
// arguments, from $1.
func scopeWhere(sc scope, accountCol string) (string, []any) {
	w := accountCol + " = $1 AND s.started_at >= $2 AND s.started_at < $3"
	args := []any{sc.Account, sc.From, sc.To}
	if sc.User != nil {
		args = append(args, *sc.User)
		w += fmt.Sprintf(" AND s.user_id = $%d", len(args))
	}
	if sc.Tree != nil {
		args = append(args, *sc.Tree)
		w += fmt.Sprintf(" AND s.tree_id = $%d", len(args))
	}
	return w, args
}

const (
	floorMinutes = "date_part('epoch', s.completed_at - s.started_at) / 60"
	floorRound1  = "coalesce(round((%s)::numeric, 1), 0)::float8"
)

// floorSummarySQL: one scan for the counts and both percentiles (one
// sort), distinct engineers by a semi-join from the account's users.
// The user condition, when any, is $4.
func floorSummarySQL(sc scope) string {
	w, _ := floorWhere(sc)
	users := "u.account_id = $1"
	if sc.User != nil {
		users += " AND u.id = $4"
	}
	return `SELECT x.total, x.done,
  coalesce(round(x.done::numeric / nullif(x.total, 0), 3), 0)::float8,
  ` + fmt.Sprintf(floorRound1, "x.p[1]") + `, ` + fmt.Sprintf(floorRound1, "x.p[2]") + `,
  (SELECT count(*) FROM users u WHERE ` + users + ` AND EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND ` + w + `)),
  x.resolved, x.escalated, x.workaround, x.unresolved
FROM (SELECT count(*) AS total,
  count(*) FILTER (WHERE s.completed_at IS NOT NULL) AS done,
  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ` + floorMinutes + `) AS p,
  count(*) FILTER (WHERE s.completed_at IS NOT NULL AND s.outcome = 'resolved') AS resolved,
  count(*) FILTER (WHERE s.completed_at IS NOT NULL AND s.outcome = 'escalated') AS escalated,
  count(*) FILTER (WHERE s.completed_at IS NOT NULL AND s.outcome = 'workaround') AS workaround,
  count(*) FILTER (WHERE s.completed_at IS NOT NULL AND s.outcome = 'unresolved') AS unresolved
  FROM sessions s WHERE ` + w + `) AS x`
}

// floorSeriesSQL: daily UTC buckets straight from date_bin (integer
// arithmetic), on a generated spine of days.
func floorSeriesSQL(sc scope) string {
	w, _ := floorWhere(sc)
	return fmt.Sprintf(`WITH c AS (
  SELECT date_bin('1 day', s.started_at, timestamptz '2000-01-01 00:00:00+00') AS day, count(*) AS n,
    count(*) FILTER (WHERE s.outcome = 'resolved') AS resolved,
    count(*) FILTER (WHERE s.outcome = 'escalated') AS escalated,
    count(*) FILTER (WHERE s.outcome = 'workaround') AS workaround,
    count(*) FILTER (WHERE s.outcome = 'unresolved') AS unresolved
  FROM sessions s WHERE %s GROUP BY 1)
SELECT to_char(g AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(c.n, 0), coalesce(c.resolved, 0), coalesce(c.escalated, 0),
  coalesce(c.workaround, 0), coalesce(c.unresolved, 0)
FROM generate_series(date_bin('1 day', $2::timestamptz, timestamptz '2000-01-01 00:00:00+00'),
                     date_bin('1 day', $3::timestamptz - interval '1 microsecond', timestamptz '2000-01-01 00:00:00+00'),
                     interval '1 day') AS g
LEFT JOIN c ON c.day = g ORDER BY g`, w)
}

// floorTopSQL ranks trees (key s.tree_id, names from trees) or users (key
// s.user_id, names from users) with their completed counts in the same
// hash aggregate, then computes the median of each listed row alone
// (LATERAL: an index-only range scan and an in-memory sort per row).
func floorTopSQL(sc scope, users bool) string {
	w, args := floorWhere(sc)
	key, named := "s.tree_id", "SELECT t.id, t.name FROM trees t WHERE t.account_id = $1"
	if users {
		key, named = "s.user_id", "SELECT u.id, coalesce(nullif(u.name, ''), 'Unknown') AS name FROM users u WHERE u.account_id = $1"
	}
	limit := len(args) + 1
	return fmt.Sprintf(`WITH c AS (
  SELECT %[1]s AS id, count(*) AS n, count(*) FILTER (WHERE s.completed_at IS NOT NULL) AS done
  FROM sessions s WHERE %[2]s GROUP BY 1),
top AS (
  SELECT c.id, nm.name, c.n, c.done FROM c JOIN (%[3]s) AS nm ON nm.id = c.id
  ORDER BY c.n DESC, nm.name COLLATE "C", c.id LIMIT $%[4]d)
SELECT top.id::text, top.name, top.n, coalesce(round(top.done::numeric / top.n, 3), 0)::float8,
  `+fmt.Sprintf(floorRound1, "m.median")+`
FROM top LEFT JOIN LATERAL (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY `+floorMinutes+`) AS median
  FROM sessions s WHERE %[2]s AND s.completed_at IS NOT NULL AND %[1]s = top.id) AS m ON true
ORDER BY top.n DESC, top.name COLLATE "C", top.id`, key, w, named, limit)
}

// Flow statements: the tree, CSAT, the step statistics and the comments.
const (
	floorTreeSQL = "SELECT id::text, name, tree_structure::text FROM trees WHERE id = $2 AND account_id = $1"
	floorCsatSQL = `SELECT round(avg(r.rating), 1)::float8, count(*),
  count(*) FILTER (WHERE r.rating = 1), count(*) FILTER (WHERE r.rating = 2), count(*) FILTER (WHERE r.rating = 3),
  count(*) FILTER (WHERE r.rating = 4), count(*) FILTER (WHERE r.rating = 5)
FROM session_ratings r WHERE r.tree_id = $2 AND r.created_at >= $3 AND r.created_at < $4
  AND EXISTS (SELECT 1 FROM trees t WHERE t.id = $2 AND t.account_id = $1)`
	floorCommentsSQL = `SELECT r.rating, r.comment, r.created_at FROM session_ratings r
WHERE r.tree_id = $2 AND r.comment IS NOT NULL AND r.comment <> ''
  AND EXISTS (SELECT 1 FROM trees t WHERE t.id = $2 AND t.account_id = $1)
ORDER BY r.created_at DESC, r.id LIMIT $3`
)

// floorStepsSQL computes visits, drop-offs and votes per node in SQL and
// returns them (titles are read in Go from the tree's structure). The
// decisions' length is taken once per session (materialized), not once
// per entry.
func floorStepsSQL(sc scope) string {
	w, _ := floorWhere(sc)
	return `WITH d AS MATERIALIZED (
  SELECT s.completed_at, s.decisions, jsonb_array_length(s.decisions) AS n
  FROM sessions s WHERE ` + w + ` AND jsonb_typeof(s.decisions) = 'array'),
v AS (
  SELECT e.step ->> 'node_id' AS node_id, count(*) AS visits,
    count(*) FILTER (WHERE d.completed_at IS NULL AND e.ord = d.n) AS drops
  FROM d CROSS JOIN LATERAL jsonb_array_elements(d.decisions) WITH ORDINALITY AS e(step, ord)
  WHERE jsonb_typeof(e.step) = 'object' AND jsonb_typeof(e.step -> 'node_id') = 'string' AND e.step ->> 'node_id' <> ''
  GROUP BY 1),
h AS (
  SELECT r.node_id, count(*) FILTER (WHERE r.helpful) AS yes, count(*) FILTER (WHERE NOT r.helpful) AS no
  FROM step_ratings r WHERE r.tree_id = $4 AND r.created_at >= $2 AND r.created_at < $3 GROUP BY 1)
SELECT v.node_id, v.visits, v.drops, coalesce(h.yes, 0), coalesce(h.no, 0)
FROM v LEFT JOIN h ON h.node_id = v.node_id`
}
