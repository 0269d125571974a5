package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
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

// Under row-level security only plain comparisons of plain columns serve
// as index conditions (migrations 20260101000020 and 22): the lists seek on
// columns that triggers keep, sessions.longest_key, sessions.dropoff_node,
// sessions.csat and the table session_visits, and check the rules
// themselves on the sessions they read.
const (
	// nodePrefix is how many characters of a node id dropoff_node and
	// session_visits.node hold.
	nodePrefix = 200
	// notCompletedKey is longest_key of a session not completed.
	notCompletedKey = math.MinInt64
	// engineerName is a user's name as shown: `Unknown` when it has none.
	engineerName = "coalesce(nullif(u.name, ''), 'Unknown')"
)

// keys are the columns of a list's order: the start, the id and the
// LONGEST key, of the relation the page is read in order from.
type keys struct{ started, id, longest string }

var (
	sessionKeys = keys{"s.started_at", "s.id", "s.longest_key"}
	visitKeys   = keys{"v.started_at", "v.session_id", "v.longest_key"}
	pageKeys    = keys{"p.started_at", "p.id", "p.longest_key"}
)

// byPrefix reports whether the prefix columns alone match node exactly:
// when it is shorter than nodePrefix (an id of exactly nodePrefix
// characters is also the prefix of every longer one).
func byPrefix(node string) bool { return utf8.RuneCountInString(node) < nodePrefix }

// storable reports whether node can be a counted decision's node id: a
// non-empty string that PostgreSQL text can hold (UTF-8 without NUL). Any
// other id matches nothing, and is never sent to the server (a NUL cannot
// be, and the query's formatting would turn each byte that is not UTF-8
// into U+FFFD, a stored character).
func storable(node string) bool {
	return node != "" && utf8.ValidString(node) && !strings.ContainsRune(node, 0)
}

// prefix returns the first nodePrefix characters of a node id.
func prefix(node string) string {
	if utf8.RuneCountInString(node) <= nodePrefix {
		return node
	}
	return string([]rune(node)[:nodePrefix])
}

// listFrom starts a list's query: over `sessions AS s`, or, for a
// visitedNode list, over the node's visits (session_visits AS v) in the
// list's order from its position on, joined to their sessions. This
// chooses the index the page is read in order from; which sessions the
// list holds is matching's. With o set, the visits come in order o after
// position after: a subquery that the planner keeps whole (OFFSET 0), so
// that the page stops after its rows however few matches the planner
// expects (it multiplies the node's visits by every other condition, as
// if they were independent, and would otherwise sort them all). It
// reports whether the caller must still seek.
func listFrom(db bun.IDB, sc models.Scope, f models.SessionFilter, o models.SessionOrder, after *models.SessionPosition) (*bun.SelectQuery, keys, bool) {
	if f.VisitedNode == nil || !storable(*f.VisitedNode) {
		return db.NewSelect().TableExpr("sessions AS s"), sessionKeys, true
	}
	visits := visitsOf(db.NewSelect().TableExpr("session_visits AS v"), sc, f).
		ColumnExpr("v.session_id, v.started_at, v.longest_key")
	if o != "" {
		visits = seek(visits, o, f, visitKeys, after).OrderExpr(orderBy(o, f, visitKeys))
	}
	q := db.NewSelect().TableExpr("(? OFFSET 0) AS v", visits).
		Join("JOIN sessions AS s ON s.id = v.session_id")
	return q, visitKeys, false
}

// visitsOf restricts a query over `session_visits AS v` to the visits of
// the filter's node by the sessions of sc (account, window, tree and user
// as far as scope and filter give them: a filter's tree or engineer
// narrows the scope's, so that another one matches nothing).
func visitsOf(q *bun.SelectQuery, sc models.Scope, f models.SessionFilter) *bun.SelectQuery {
	q = q.Where("v.account_id = ?", sc.AccountID).
		Where("v.node = ?", prefix(*f.VisitedNode)).
		Where("v.started_at >= ?", sc.Window.From).
		Where("v.started_at < ?", sc.Window.To)
	if sc.TreeID != uuid.Nil {
		q = q.Where("v.tree_id = ?", sc.TreeID)
	}
	if f.TreeID != nil {
		q = q.Where("v.tree_id = ?", *f.TreeID)
	}
	if sc.ByUser {
		q = q.Where("v.user_id = ?", sc.UserID)
	}
	if f.EngineerID != nil {
		q = q.Where("v.user_id = ?", *f.EngineerID)
	}
	return q
}

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
			words[i] = string(o)
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
		// Containment of [{"node_id": id}] holds exactly when an entry of
		// the decisions array is an object whose node_id is that string;
		// "" is no counted node id.
		if storable(*f.VisitedNode) {
			q = q.Where("s.decisions @> jsonb_build_array(jsonb_build_object('node_id', ?::text))", *f.VisitedNode)
		} else {
			q = q.Where("false")
		}
	}
	if f.DroppedOffAt != nil {
		q = droppedOff(q, *f.DroppedOffAt)
	}
	if f.MinDurationMinutes != nil {
		q = durationAtLeast(q, *f.MinDurationMinutes)
	}
	if f.MaxDurationMinutes != nil {
		q = durationBelow(q, *f.MaxDurationMinutes)
	}
	if f.MaxCsat != nil {
		q = q.Where("s.csat <= ?", *f.MaxCsat)
	}
	return q
}

// durationAtLeast keeps the completed sessions whose duration is at least
// m minutes: longest_key (the duration in whole microseconds) ≥ m × 60e6,
// that is ≥ its ceiling, computed exactly.
func durationAtLeast(q *bun.SelectQuery, m float64) *bun.SelectQuery {
	us, ok := ceilMicros(m)
	switch {
	case !ok && m > 0:
		return q.Where("false") // longer than any duration
	case !ok:
		return q.Where("s.completed_at IS NOT NULL")
	}
	return q.Where("(s.completed_at IS NOT NULL AND s.longest_key >= ?)", us)
}

// durationBelow keeps the completed sessions whose duration is less than
// m minutes: longest_key < m × 60e6, that is < its ceiling.
func durationBelow(q *bun.SelectQuery, m float64) *bun.SelectQuery {
	us, ok := ceilMicros(m)
	switch {
	case !ok && m > 0:
		return q.Where("s.completed_at IS NOT NULL")
	case !ok:
		return q.Where("false")
	}
	return q.Where("(s.completed_at IS NOT NULL AND s.longest_key < ?)", us)
}

// ceilMicros returns the ceiling of m minutes in microseconds, exactly,
// and false when it is beyond the durations longest_key holds. m is read
// as the shortest decimal that denotes it (what the client wrote: 1.55,
// not its binary neighbour 1.55000000000000004), as PostgreSQL's numeric
// did with the original's bound.
func ceilMicros(m float64) (int64, bool) {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(m, 'g', -1, 64)) // Validate refuses NaN and infinities
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(60_000_000, 1))
	c := new(big.Int).Quo(r.Num(), r.Denom()) // truncated toward zero
	if r.Sign() > 0 && !r.IsInt() {
		c.Add(c, big.NewInt(1))
	}
	if !c.IsInt64() || c.Int64() == notCompletedKey {
		return 0, false
	}
	return c.Int64(), true
}

// droppedOff keeps the sessions that dropped off at node (dropoff_node
// holds the first nodePrefix characters of the node id: an id that long
// or longer is compared in full too). "" matches nothing: dropoff_node is
// never "", nor anything else that is not storable.
func droppedOff(q *bun.SelectQuery, node string) *bun.SelectQuery {
	if !storable(node) {
		return q.Where("false")
	}
	if !byPrefix(node) {
		return q.Where("(s.dropoff_node = ? AND s.decisions -> -1 ->> 'node_id' = ?)", prefix(node), node)
	}
	return q.Where("s.dropoff_node = ?", node)
}

// notCompleted reports whether every session f admits is not completed
// and the drop-off indexes hold them in id order: under LONGEST they all
// share the key notCompletedKey, so their order is the id's alone.
func notCompleted(f models.SessionFilter) bool { return f.DroppedOffAt != nil }

// openOnly reports whether f admits only sessions not completed (all of
// them of the key notCompletedKey).
func openOnly(f models.SessionFilter) bool {
	return f.DroppedOffAt != nil || f.Completed != nil && !*f.Completed
}

// seek keeps the sessions after position p in order o (keyset
// pagination) over the key columns k: the order's key beyond p's, or
// equal with a greater id. The first condition repeats the key's bound
// alone, so that the index can start the scan at p.
func seek(q *bun.SelectQuery, o models.SessionOrder, f models.SessionFilter, k keys, p *models.SessionPosition) *bun.SelectQuery {
	if o == models.OrderLongest && openOnly(f) && !notCompleted(f) {
		// The sessions not completed share one key: the LONGEST index
		// holds them together, in id order, after every completed one.
		q = q.Where(k.longest+" = ?", int64(notCompletedKey))
	}
	if p == nil {
		return q
	}
	switch {
	case o == models.OrderOldest:
		return q.Where(k.started+" >= ?", p.StartedAt).
			Where("("+k.started+" > ? OR "+k.id+" > ?)", p.StartedAt, p.ID)
	case o == models.OrderLongest && notCompleted(f):
		if p.Longest == notCompletedKey {
			return q.Where(k.id+" > ?", p.ID)
		}
		return q // every session not completed comes after a completed one
	case o == models.OrderLongest:
		return q.Where(k.longest+" <= ?", p.Longest).
			Where("("+k.longest+" < ? OR "+k.id+" > ?)", p.Longest, p.ID)
	default:
		return q.Where(k.started+" <= ?", p.StartedAt).
			Where("("+k.started+" < ? OR "+k.id+" > ?)", p.StartedAt, p.ID)
	}
}

// orderBy returns the ORDER BY of order o over the key columns k.
func orderBy(o models.SessionOrder, f models.SessionFilter, k keys) string {
	switch {
	case o == models.OrderOldest:
		return k.started + " ASC, " + k.id + " ASC"
	case o == models.OrderLongest && notCompleted(f):
		return k.id + " ASC"
	case o == models.OrderLongest:
		return k.longest + " DESC, " + k.id + " ASC"
	default:
		return k.started + " DESC, " + k.id + " ASC"
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
	LongestKey   int64      `bun:"longest_key"`
}

// Sessions returns the sessions of q in q's order: at most q.Limit, right
// after q.After when set. One statement: the page's sessions come from the
// order's index (keyset, never OFFSET), and each listed session's flow,
// engineer, csat and counted decisions are read for those rows only; with
// q.Steps, each tree's structure comes once per page, for the node titles.
// The transaction runs without parallel workers (inAccountSerial).
func (s *Store) Sessions(ctx context.Context, q SessionQuery) ([]models.Session, error) {
	var rows []sessionRow
	err := s.inAccountSerial(ctx, q.Scope.AccountID, func(db bun.IDB) error {
		// The page: only columns the order indexes hold, so that a page
		// whose criteria need no decisions is read from the index alone.
		from, k, mustSeek := listFrom(db, q.Scope, q.Filter, q.Order, q.After)
		page := matching(from, q.Scope, q.Filter).
			ColumnExpr("s.id, s.tree_id, s.user_id, s.started_at, s.completed_at, s.outcome, s.csat, s.longest_key")
		if mustSeek {
			page = seek(page, q.Order, q.Filter, k, q.After)
		}
		page = page.OrderExpr(orderBy(q.Order, q.Filter, k)).Limit(int64(q.Limit))
		// The counted decisions of each listed session, in array order.
		steps := db.NewSelect().
			TableExpr("jsonb_array_elements(CASE WHEN jsonb_typeof(x.decisions) = 'array' THEN x.decisions END) WITH ORDINALITY AS e(step, ord)").
			Where("jsonb_typeof(e.step -> 'node_id') = 'string'").
			Where("e.step ->> 'node_id' <> ''").
			ColumnExpr("count(*) AS step_count").
			ColumnExpr("array_agg(e.step ->> 'node_id' ORDER BY e.ord) AS nodes")
		out := db.NewSelect().
			TableExpr("(?) AS p", page).
			Join("JOIN sessions AS x ON x.id = p.id").
			Join("JOIN trees AS t ON t.id = p.tree_id").
			Join("JOIN users AS u ON u.id = p.user_id").
			Join("CROSS JOIN LATERAL (?) AS st", steps).
			ColumnExpr("p.id, p.tree_id, t.name AS flow_name, p.user_id, " + engineerName + " AS engineer_name").
			ColumnExpr("p.started_at, p.completed_at, p.outcome, p.csat, p.longest_key").
			ColumnExpr("round((date_part('epoch', p.completed_at - p.started_at) / 60)::numeric, 1)::float8 AS duration_minutes").
			ColumnExpr("st.step_count, st.nodes[st.step_count] AS last_node_id").
			OrderExpr(orderBy(q.Order, q.Filter, pageKeys))
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
			Position:        models.SessionPosition{StartedAt: r.StartedAt.UTC(), ID: r.ID, Longest: r.LongestKey},
		}
		if r.CompletedAt != nil {
			c := r.CompletedAt.UTC()
			out[i].CompletedAt = &c
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

// CountSessions returns how many sessions of sc meet every criterion of
// f, in one statement. A visitedNode count with no other criterion than a
// tree or an engineer (and a node id within the prefix the visits hold)
// is the number of the node's visits in scope, read from the visits'
// index alone; a count by tree, engineer, outcomes and completion only
// sums the rollups' session counters (rollupCount); any other count checks
// each session.
func (s *Store) CountSessions(ctx context.Context, sc models.Scope, f models.SessionFilter) (int, error) {
	if n, ok, err := s.rollupCount(ctx, sc, f); ok || err != nil {
		return n, err
	}
	var n int
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		if visitsOnly(f) {
			return visitsOf(db.NewSelect().TableExpr("session_visits AS v"), sc, f).ColumnExpr("count(*)").Scan(ctx, &n)
		}
		from, _, _ := listFrom(db, sc, f, "", nil)
		return matching(from, sc, f).ColumnExpr("count(*)").Scan(ctx, &n)
	})
	if err != nil {
		return 0, fmt.Errorf("count sessions: account=%s: %w", sc.AccountID, err)
	}
	return n, nil
}

// visitsOnly reports whether f's sessions are exactly the visits
// visitsOf counts: a visitedNode of at most nodePrefix characters and
// no criterion but a tree and an engineer. The visits mirror their
// sessions' account, tree, user and start (triggers), and a session has
// one visit row per node.
func visitsOnly(f models.SessionFilter) bool {
	if f.VisitedNode == nil || !storable(*f.VisitedNode) || !byPrefix(*f.VisitedNode) {
		return false
	}
	return f.Outcomes == nil && f.Completed == nil && f.DroppedOffAt == nil &&
		f.MinDurationMinutes == nil && f.MaxDurationMinutes == nil && f.MaxCsat == nil
}
