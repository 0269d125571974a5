package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// SessionQuery says which sessions a list holds (the scope, narrowed by the
// filter), in which order, and which of them one page or batch holds: at
// most Limit, right after the position After when it is set.
type SessionQuery struct {
	Scope  models.Scope
	Filter models.SessionFilter
	Order  models.SessionOrder
	After  *models.SessionPosition
	Limit  int
	// Steps asks for each session's first models.MaxSteps counted
	// decisions with their node titles.
	Steps bool
}

// Expressions of the sessions lists, which the indexes of migration
// 20260101000020 repeat (an expression index serves only a query that
// spells the same expression).
const (
	// longestKey is the key of the LONGEST order: the duration in seconds,
	// -Infinity for a session not completed, so that those come after every
	// completed one (negative durations included).
	longestKey = "coalesce(date_part('epoch', s.completed_at - s.started_at), '-Infinity'::float8)"
	// dropoffNode is the node a session dropped off at under the
	// stepFeedback rule: for a session not completed whose decisions
	// array's last entry is a counted decision (an object whose node_id is
	// a non-empty string), that node id; NULL for every other session.
	dropoffNode = "CASE WHEN s.completed_at IS NULL AND jsonb_typeof(s.decisions) = 'array' AND jsonb_typeof(s.decisions -> -1 -> 'node_id') = 'string' THEN nullif(s.decisions -> -1 ->> 'node_id', '') END"
	// dropoffPrefix is how many characters of dropoffNode the drop-off
	// indexes hold.
	dropoffPrefix = 200
	// scopedDecisions is the session's account, tree, user and decisions
	// in one object, {"a":…, "t":…, "u":…, "d": decisions}, of the GIN
	// index of visitedNode.
	scopedDecisions = "jsonb_set(jsonb_object(ARRAY['a', s.account_id::text, 't', s.tree_id::text, 'u', s.user_id::text]), '{d}', coalesce(s.decisions, 'null'::jsonb))"
	// engineerName is a user's name as shown: `Unknown` when it has none.
	engineerName = "coalesce(nullif(u.name, ''), 'Unknown')"
)

// matching restricts a query over `sessions AS s` to the sessions of sc
// that meet every criterion of f. This is the one place where a filter
// becomes WHERE clauses, one per criterion.
func matching(q *bun.SelectQuery, sc models.Scope, f models.SessionFilter) *bun.SelectQuery {
	q = inScope(q, sc)
	if f.TreeID != nil {
		q = q.Where("s.tree_id = ?", *f.TreeID)
	}
	if f.EngineerID != nil {
		q = q.Where("s.user_id = ?", *f.EngineerID)
	}
	if f.Outcomes != nil {
		words := make([]string, len(f.Outcomes))
		for i, o := range f.Outcomes {
			words[i] = o.Stored()
		}
		if len(words) == 0 {
			q = q.Where("false") // given and empty: matches nothing
		} else {
			q = q.Where("s.outcome IN (?)", bun.In(words))
		}
	}
	if f.Completed != nil {
		if *f.Completed {
			q = q.Where("s.completed_at IS NOT NULL")
		} else {
			q = q.Where("s.completed_at IS NULL")
		}
	}
	if f.VisitedNode != nil {
		q = visited(q, sc, f, *f.VisitedNode)
	}
	if f.DroppedOffAt != nil {
		q = droppedOff(q, *f.DroppedOffAt)
	}
	if f.MinDurationMinutes != nil {
		// Exact: extract gives the seconds as numeric.
		q = q.Where("extract(epoch FROM s.completed_at - s.started_at) >= ?::numeric * 60", *f.MinDurationMinutes)
	}
	if f.MaxDurationMinutes != nil {
		q = q.Where("extract(epoch FROM s.completed_at - s.started_at) < ?::numeric * 60", *f.MaxDurationMinutes)
	}
	if f.MaxCsat != nil {
		q = q.Where("s.csat <= ?", *f.MaxCsat)
	}
	return q
}

// visited keeps the sessions with a counted decision at node: containment
// of {"d": [{"node_id": node}]} holds exactly when an entry of the
// decisions array is an object whose node_id is that string. The account,
// and the tree and user when the list has them, go into the same
// containment, so that the GIN index finds a flow's sessions at a node in
// one scan. "" is no counted node id and matches nothing.
func visited(q *bun.SelectQuery, sc models.Scope, f models.SessionFilter, node string) *bun.SelectQuery {
	if node == "" {
		return q.Where("false")
	}
	want := map[string]any{"a": sc.AccountID.String(), "d": []map[string]string{{"node_id": node}}}
	switch {
	case sc.TreeID != uuid.Nil:
		want["t"] = sc.TreeID.String()
	case f.TreeID != nil:
		want["t"] = f.TreeID.String()
	}
	switch {
	case sc.ByUser:
		want["u"] = sc.UserID.String()
	case f.EngineerID != nil:
		want["u"] = f.EngineerID.String()
	}
	b, _ := json.Marshal(want) // strings only
	return q.Where(scopedDecisions+" @> ?::jsonb", string(b))
}

// droppedOff keeps the sessions that dropped off at node. The drop-off
// indexes hold the node id's first dropoffPrefix characters: a shorter id
// is matched exactly by them alone, a longer one is compared in full too.
// "" is no counted node id and matches nothing (dropoffNode is never "").
func droppedOff(q *bun.SelectQuery, node string) *bun.SelectQuery {
	prefix := fmt.Sprintf("left(%s, %d)", dropoffNode, dropoffPrefix)
	if utf8.RuneCountInString(node) < dropoffPrefix {
		return q.Where(prefix+" = ?", node)
	}
	return q.Where("("+prefix+" = left(?, ?) AND "+dropoffNode+" = ?)", node, dropoffPrefix, node)
}

// notCompleted reports whether every session f admits is not completed:
// under LONGEST they all share the key -Infinity, so their order is the
// id's alone (and the drop-off indexes hold it).
func notCompleted(f models.SessionFilter) bool {
	return f.DroppedOffAt != nil || f.Completed != nil && !*f.Completed
}

// seek keeps the sessions after position p in order o (keyset
// pagination): the order's key beyond p's, or equal with a greater id.
// The first condition repeats the key's bound alone, so that an index on
// the key can start the scan at p.
func seek(q *bun.SelectQuery, o models.SessionOrder, f models.SessionFilter, p *models.SessionPosition) *bun.SelectQuery {
	if p == nil {
		return q
	}
	switch {
	case o == models.OrderOldest:
		return q.Where("s.started_at >= ?", p.StartedAt).
			Where("(s.started_at > ? OR s.id > ?)", p.StartedAt, p.ID)
	case o == models.OrderLongest && notCompleted(f):
		if math.IsInf(p.Seconds, -1) {
			return q.Where("s.id > ?", p.ID)
		}
		return q // every session not completed comes after a completed one
	case o == models.OrderLongest:
		return q.Where(longestKey+" <= ?::float8", p.Seconds).
			Where("("+longestKey+" < ?::float8 OR s.id > ?)", p.Seconds, p.ID)
	default:
		return q.Where("s.started_at <= ?", p.StartedAt).
			Where("(s.started_at < ? OR s.id > ?)", p.StartedAt, p.ID)
	}
}

// orderBy returns the ORDER BY of order o over the columns of alias a,
// with key the LONGEST key over them.
func orderBy(o models.SessionOrder, f models.SessionFilter, a, key string) string {
	switch {
	case o == models.OrderOldest:
		return a + ".started_at ASC, " + a + ".id ASC"
	case o == models.OrderLongest && notCompleted(f):
		return a + ".id ASC"
	case o == models.OrderLongest:
		return key + " DESC, " + a + ".id ASC"
	default:
		return a + ".started_at DESC, " + a + ".id ASC"
	}
}

// sessionRow is one row of the page statement.
type sessionRow struct {
	ID           uuid.UUID  `bun:"id"`
	TreeID       uuid.UUID  `bun:"tree_id"`
	FlowName     string     `bun:"flow_name"`
	UserID       uuid.UUID  `bun:"user_id"`
	EngineerName string     `bun:"engineer_name"`
	StartedAt    time.Time  `bun:"started_at"`
	CompletedAt  *time.Time `bun:"completed_at"`
	Duration     *float64   `bun:"duration_minutes"`
	Outcome      *string    `bun:"outcome"`
	Csat         *int       `bun:"csat"`
	StepCount    int        `bun:"step_count"`
	LastNodeID   *string    `bun:"last_node_id"`
	Steps        *string    `bun:"steps"`
	Structure    *string    `bun:"structure"`
	SortKey      float64    `bun:"sort_key"`
}

// Sessions returns the sessions of q in q's order: at most q.Limit, right
// after q.After when set. One statement: the page's sessions come from the
// order's index (keyset, never OFFSET), and each listed session's flow,
// engineer, csat and counted decisions are read for those rows only; with
// q.Steps, each tree's structure comes once per page, for the node titles.
func (s *Store) Sessions(ctx context.Context, q SessionQuery) ([]models.Session, error) {
	var rows []sessionRow
	err := s.inAccount(ctx, q.Scope.AccountID, func(db bun.IDB) error {
		// The page: only columns the order indexes hold, so that a page
		// whose criteria need no decisions is read from the index alone.
		page := matching(db.NewSelect().TableExpr("sessions AS s"), q.Scope, q.Filter).
			ColumnExpr("s.id, s.tree_id, s.user_id, s.started_at, s.completed_at, s.outcome, s.csat")
		page = seek(page, q.Order, q.Filter, q.After).
			OrderExpr(orderBy(q.Order, q.Filter, "s", longestKey)).
			Limit(int64(q.Limit))
		// The counted decisions of each listed session, in array order.
		steps := db.NewSelect().
			TableExpr("jsonb_array_elements(CASE WHEN jsonb_typeof(x.decisions) = 'array' THEN x.decisions END) WITH ORDINALITY AS e(step, ord)").
			Where("jsonb_typeof(e.step -> 'node_id') = 'string'").
			Where("e.step ->> 'node_id' <> ''").
			ColumnExpr("count(*) AS step_count").
			ColumnExpr("array_agg(e.step ->> 'node_id' ORDER BY e.ord) AS nodes")
		key := strings.ReplaceAll(longestKey, "s.", "p.")
		out := db.NewSelect().
			TableExpr("(?) AS p", page).
			Join("JOIN sessions AS x ON x.id = p.id").
			Join("JOIN trees AS t ON t.id = p.tree_id").
			Join("JOIN users AS u ON u.id = p.user_id").
			Join("CROSS JOIN LATERAL (?) AS st", steps).
			ColumnExpr("p.id, p.tree_id, t.name AS flow_name, p.user_id, " + engineerName + " AS engineer_name").
			ColumnExpr("p.started_at, p.completed_at, p.outcome, p.csat").
			ColumnExpr(key + " AS sort_key").
			ColumnExpr("round((date_part('epoch', p.completed_at - p.started_at) / 60)::numeric, 1)::float8 AS duration_minutes").
			ColumnExpr("st.step_count, st.nodes[st.step_count] AS last_node_id").
			OrderExpr(orderBy(q.Order, q.Filter, "p", key))
		if q.Steps {
			out = out.ColumnExpr("to_json(st.nodes[1:?])::text AS steps", models.MaxSteps).
				ColumnExpr("CASE WHEN row_number() OVER (PARTITION BY p.tree_id) = 1 THEN t.tree_structure::text END AS structure")
		}
		return out.Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: account=%s order=%s: %w", q.Scope.AccountID, q.Order, err)
	}
	return sessionsOf(rows, q)
}

// sessionsOf turns page rows into sessions, reading each tree's node
// titles once (models.NodeTitles, as stepFeedback does).
func sessionsOf(rows []sessionRow, q SessionQuery) ([]models.Session, error) {
	out := make([]models.Session, len(rows))
	wanted := map[uuid.UUID]map[string]bool{}
	structures := map[uuid.UUID][]byte{}
	nodes := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = models.Session{
			ID:              r.ID,
			Flow:            models.Flow{ID: r.TreeID, Name: r.FlowName},
			Engineer:        models.Engineer{ID: r.UserID, Name: r.EngineerName},
			StartedAt:       r.StartedAt.UTC(),
			DurationMinutes: r.Duration,
			Outcome:         models.OutcomeOf(r.Outcome),
			Csat:            r.Csat,
			StepCount:       r.StepCount,
			LastNodeID:      r.LastNodeID,
			Position:        models.SessionPosition{StartedAt: r.StartedAt.UTC(), ID: r.ID, Seconds: r.SortKey},
		}
		if r.CompletedAt != nil {
			c := r.CompletedAt.UTC()
			out[i].CompletedAt = &c
		}
		if q.Order != models.OrderLongest {
			out[i].Position.Seconds = 0
		} else if r.CompletedAt == nil {
			out[i].Position.Seconds = math.Inf(-1)
		}
		if !q.Steps {
			continue
		}
		if r.Structure != nil {
			structures[r.TreeID] = []byte(*r.Structure)
		}
		if r.Steps != nil {
			if err := json.Unmarshal([]byte(*r.Steps), &nodes[i]); err != nil {
				return nil, fmt.Errorf("sessions: decode steps: %w", err)
			}
		}
		w := wanted[r.TreeID]
		if w == nil {
			w = map[string]bool{}
			wanted[r.TreeID] = w
		}
		for _, id := range nodes[i] {
			w[id] = true
		}
	}
	if !q.Steps {
		return out, nil
	}
	titles := make(map[uuid.UUID]models.Titles, len(wanted))
	for tree, ids := range wanted {
		titles[tree] = models.NodeTitles(structures[tree], ids)
	}
	for i := range out {
		steps := make([]models.SessionStep, len(nodes[i]))
		for j, id := range nodes[i] {
			steps[j] = models.SessionStep{NodeID: id, NodeTitle: titles[rows[i].TreeID].Title(id)}
		}
		out[i].Steps = steps
	}
	return out, nil
}

// CountSessions returns how many sessions of sc meet every criterion of f,
// in one statement.
func (s *Store) CountSessions(ctx context.Context, sc models.Scope, f models.SessionFilter) (int, error) {
	var n int
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return matching(db.NewSelect().TableExpr("sessions AS s"), sc, f).ColumnExpr("count(*)").Scan(ctx, &n)
	})
	if err != nil {
		return 0, fmt.Errorf("count sessions: account=%s: %w", sc.AccountID, err)
	}
	return n, nil
}
