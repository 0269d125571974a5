package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/models"
	"flowlens/store"
)

// A world for the rollups' exactness tests: two tenants (and a third that
// trees and users move to), their trees and engineers, and a seeded random
// stream of the writes the main application makes (inserts, completions,
// outcome changes, decisions appended, sessions moved to another tree or
// user, trees and users moved to another account, deletes, COPY batches,
// ratings), interleaved with queries over random windows, zones,
// granularities and scopes whose every field is compared with the raw
// computation (store.Reference).

// worldZones are the time zones the queries use: UTC, a +05:45 zone, one
// with DST changes (2026-03-29 in the data's span), and Africa/Monrovia,
// whose offset was -00:44:30 until 1972-01-07 (the data's other span).
var worldZones = []string{"UTC", "Asia/Kathmandu", "Europe/Berlin", "Africa/Monrovia"}

// The two spans the sessions start in.
var worldSpans = [][2]time.Time{
	{time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 8, 0, 0, 0, 0, time.UTC)},
	{time.Date(1971, 12, 28, 0, 0, 0, 0, time.UTC), time.Date(1972, 1, 16, 0, 0, 0, 0, time.UTC)},
}

var worldNodes = []string{"root", "a", "b", "c", "d", "e"}

type world struct {
	t       testing.TB
	ctx     context.Context
	rng     *rand.Rand
	owner   *bun.DB
	st      *store.Store // the service's role, with rollups
	ref     store.Reference
	tenants []uuid.UUID // tenants[0..1] are queried; tenants[2] is where things move
	users   []worldEntity
	trees   []worldEntity
	// sessions, ratings and votes known to exist (ids), for updates and deletes.
	sessions, ratings, votes []uuid.UUID
	ops                      int
	// focus, when set, is the kind of write that every other step makes
	// ("rating deleted", ...; see step), so a test of one write path needs
	// few steps.
	focus string
}

type worldEntity struct {
	id, account uuid.UUID
}

// newWorld creates a migrated database with the world's tenants.
func newWorld(t testing.TB, seed uint64) *world {
	t.Helper()
	owner, app := dbtest.NewApp(t)
	return newWorldOn(t, seed, owner, app)
}

// newWorldOn is newWorld on a database of the caller's: owner is the
// tables' owner, app the service's role.
func newWorldOn(t testing.TB, seed uint64, owner, app *bun.DB) *world {
	t.Helper()
	st := store.New(app)
	w := &world{t: t, ctx: context.Background(), rng: rand.New(rand.NewPCG(seed, 7)), owner: owner, st: st, ref: st.Reference()}
	w.populate()
	return w
}

// populate inserts the tenants, 4 engineers and 3 trees each (one nameless
// engineer, two trees with the same name).
func (w *world) populate() {
	w.tenants, w.users, w.trees = nil, nil, nil
	w.sessions, w.ratings, w.votes = nil, nil, nil
	w.ops = 0
	structure := `{"id":"root","title":"Start","children":[{"id":"a","question":"A?"},{"id":"b","children":[{"id":"c","title":"C"}]}]}`
	for i := 0; i < 3; i++ {
		a := uuid.New()
		w.tenants = append(w.tenants, a)
		w.exec("INSERT INTO accounts (id, name) VALUES (?, ?)", a, fmt.Sprintf("tenant %d", i))
		for j := 0; j < 4; j++ {
			u := uuid.New()
			var name any = fmt.Sprintf("eng %d", j%3)
			if j == 3 {
				name = nil
			}
			w.exec("INSERT INTO users (id, account_id, name, is_team_admin) VALUES (?, ?, ?, ?)", u, a, name, j == 0)
			w.users = append(w.users, worldEntity{u, a})
		}
		for j := 0; j < 3; j++ {
			tr := uuid.New()
			w.exec("INSERT INTO trees (id, account_id, name, tree_structure) VALUES (?, ?, ?, ?)", tr, a, fmt.Sprintf("flow %d", j%2), structure)
			w.trees = append(w.trees, worldEntity{tr, a})
		}
	}
}

func (w *world) exec(q string, args ...any) {
	w.t.Helper()
	if _, err := w.owner.ExecContext(w.ctx, q, args...); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

// at returns a random instant with microseconds in one of the spans.
func (w *world) at() time.Time {
	sp := worldSpans[0]
	if w.rng.IntN(6) == 0 {
		sp = worldSpans[1]
	}
	d := sp[1].Sub(sp[0])
	t := sp[0].Add(time.Duration(w.rng.Int64N(int64(d/time.Microsecond))) * time.Microsecond)
	if w.rng.IntN(8) == 0 { // exactly on a quarter hour, sometimes
		t = t.Truncate(15 * time.Minute)
	}
	return t
}

// duration returns a random duration: mostly a few minutes to hours with
// microseconds, sometimes a repeated round value, zero or negative.
func (w *world) duration() time.Duration {
	switch w.rng.IntN(10) {
	case 0:
		return time.Duration(w.rng.IntN(4)) * 5 * time.Minute // ties
	case 1:
		return -time.Duration(w.rng.IntN(3600)) * time.Second
	}
	min := math.Exp(w.rng.NormFloat64()*1.2 + 2.3)
	return time.Duration(min*float64(time.Minute)) / time.Microsecond * time.Microsecond
}

func (w *world) outcome() any {
	return []any{"resolved", "escalated", "workaround", "unresolved", "other", nil}[w.rng.IntN(6)]
}

// decisions returns random decisions JSON: mostly arrays of node ids,
// sometimes with entries that do not count, null or not an array.
func (w *world) decisions() any {
	switch w.rng.IntN(12) {
	case 0:
		return nil
	case 1:
		return `{"node_id":"a"}`
	case 2:
		return `"a"`
	}
	var parts []string
	for i := w.rng.IntN(5); i >= 0; i-- {
		switch w.rng.IntN(14) {
		case 0:
			parts = append(parts, `"a"`)
		case 1:
			parts = append(parts, `{"node_id":""}`)
		case 2:
			parts = append(parts, `{"node_id":7}`)
		case 3: // neither an object nor a node id a lax path would unwrap
			parts = append(parts, `[{"node_id":"a"}]`)
		case 4:
			parts = append(parts, `{"node_id":["b"]}`)
		case 5:
			parts = append(parts, []string{`{"node_id":true}`, `{"node_id":null}`, `{"id":"c"}`}[w.rng.IntN(3)])
		default:
			parts = append(parts, fmt.Sprintf(`{"node_id":%q}`, worldNodes[w.rng.IntN(len(worldNodes))]))
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// pick returns a random element.
func pick[T any](w *world, s []T) T { return s[w.rng.IntN(len(s))] }

// newSession returns the columns of a random session: mostly tree and user
// of one account, sometimes of two (counted nowhere).
func (w *world) newSession() []any {
	tr := pick(w, w.trees)
	var us []worldEntity
	for _, u := range w.users {
		if u.account == tr.account || w.rng.IntN(10) == 0 {
			us = append(us, u)
		}
	}
	u := pick(w, us)
	start := w.at()
	var completed, outcome any
	if w.rng.IntN(3) > 0 {
		completed = start.Add(w.duration())
		outcome = w.outcome()
	} else if w.rng.IntN(4) == 0 {
		outcome = w.outcome()
	}
	return []any{uuid.New(), tr.id, u.id, start, completed, outcome, w.decisions()}
}

// focusOps maps the kinds of writes to the first case number of step.
var focusOps = map[string]int{
	"session inserted": 0, "session updated": 30, "session deleted": 64,
	"rating inserted": 69, "rating changed": 78, "vote inserted": 81, "vote changed": 90,
}

// step makes one random write.
func (w *world) step() {
	w.ops++
	n := w.rng.IntN(100)
	if first, ok := focusOps[w.focus]; ok && w.rng.IntN(2) == 0 {
		n = first
		if w.focus == "rating changed" || w.focus == "vote changed" {
			n++
		}
	}
	switch {
	case n < 20: // one session
		s := w.newSession()
		w.exec("INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)", s...)
		w.sessions = append(w.sessions, s[0].(uuid.UUID))
	case n < 26: // several in one statement
		var vals []string
		var args []any
		for i := 1 + w.rng.IntN(5); i > 0; i-- {
			s := w.newSession()
			vals = append(vals, "(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, s...)
			w.sessions = append(w.sessions, s[0].(uuid.UUID))
		}
		w.exec("INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES "+strings.Join(vals, ", "), args...)
	case n < 30: // a COPY batch
		var rows [][]any
		for i := 10 + w.rng.IntN(30); i > 0; i-- {
			s := w.newSession()
			rows = append(rows, s)
			w.sessions = append(w.sessions, s[0].(uuid.UUID))
		}
		err := store.BulkLoad(w.ctx, w.owner, func(ctx context.Context, b *store.Bulk) error {
			_, err := b.Copy(ctx, store.SessionsTable, len(rows), func(i int) []any { return rows[i] })
			return err
		})
		if err != nil {
			w.t.Fatal(err)
		}
	case n < 42 && len(w.sessions) > 0: // completion
		id := pick(w, w.sessions)
		w.exec("UPDATE sessions SET completed_at = started_at + ?::interval, outcome = ? WHERE id = ?",
			fmt.Sprintf("%d microseconds", w.duration()/time.Microsecond), w.outcome(), id)
	case n < 46 && len(w.sessions) > 0: // outcome only, or completion undone
		if w.rng.IntN(2) == 0 {
			w.exec("UPDATE sessions SET outcome = ? WHERE id = ?", w.outcome(), pick(w, w.sessions))
		} else {
			w.exec("UPDATE sessions SET completed_at = NULL WHERE id = ?", pick(w, w.sessions))
		}
	case n < 56 && len(w.sessions) > 0: // a decision appended
		w.exec(`UPDATE sessions SET decisions = CASE WHEN jsonb_typeof(decisions) = 'array' THEN decisions ELSE '[]' END || jsonb_build_array(jsonb_build_object('node_id', ?::text)) WHERE id = ?`,
			pick(w, worldNodes), pick(w, w.sessions))
	case n < 60 && len(w.sessions) > 0: // moved to another tree or user
		if w.rng.IntN(2) == 0 {
			w.exec("UPDATE sessions SET tree_id = ? WHERE id = ?", pick(w, w.trees).id, pick(w, w.sessions))
		} else {
			w.exec("UPDATE sessions SET user_id = ? WHERE id = ?", pick(w, w.users).id, pick(w, w.sessions))
		}
	case n < 62: // a tree or a user moved to another account
		acc := pick(w, w.tenants)
		if w.rng.IntN(2) == 0 {
			i := w.rng.IntN(len(w.trees))
			w.exec("UPDATE trees SET account_id = ? WHERE id = ?", acc, w.trees[i].id)
			w.trees[i].account = acc
		} else {
			i := w.rng.IntN(len(w.users))
			w.exec("UPDATE users SET account_id = ? WHERE id = ?", acc, w.users[i].id)
			w.users[i].account = acc
		}
	case n < 64 && len(w.sessions) > 0: // a bulk update: complete a user's open sessions of a day
		d := w.at().Truncate(24 * time.Hour)
		w.exec("UPDATE sessions SET completed_at = started_at + interval '17 minutes 3.000001 seconds', outcome = 'resolved' WHERE user_id = ? AND started_at >= ? AND started_at < ? AND completed_at IS NULL",
			pick(w, w.users).id, d, d.Add(48*time.Hour))
	case n < 69 && len(w.sessions) > 0: // deletes
		ids := []uuid.UUID{pick(w, w.sessions), pick(w, w.sessions)}
		w.exec("UPDATE session_ratings SET session_id = NULL WHERE session_id IN (?)", bun.In(ids))
		w.exec("UPDATE step_ratings SET session_id = NULL WHERE session_id IN (?)", bun.In(ids))
		w.exec("DELETE FROM sessions WHERE id IN (?)", bun.In(ids))
		w.sessions = slices.DeleteFunc(w.sessions, func(id uuid.UUID) bool { return slices.Contains(ids, id) })
	case n < 78: // a session rating
		id := uuid.New()
		var comment any
		if w.rng.IntN(2) == 0 {
			comment = "fine"
		}
		w.exec("INSERT INTO session_ratings (id, tree_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)",
			id, pick(w, w.trees).id, 1+w.rng.IntN(5), comment, w.at())
		w.ratings = append(w.ratings, id)
	case n < 81 && len(w.ratings) > 0: // a rating changed or deleted
		id := pick(w, w.ratings)
		switch w.rng.IntN(3) {
		case 0:
			w.exec("UPDATE session_ratings SET rating = ? WHERE id = ?", 1+w.rng.IntN(5), id)
		case 1:
			w.exec("UPDATE session_ratings SET created_at = ?, tree_id = ? WHERE id = ?", w.at(), pick(w, w.trees).id, id)
		default:
			w.exec("DELETE FROM session_ratings WHERE id = ?", id)
			w.ratings = slices.DeleteFunc(w.ratings, func(x uuid.UUID) bool { return x == id })
		}
	case n < 90: // a step rating
		id := uuid.New()
		w.exec("INSERT INTO step_ratings (id, tree_id, node_id, helpful, created_at) VALUES (?, ?, ?, ?, ?)",
			id, pick(w, w.trees).id, pick(w, worldNodes), w.rng.IntN(2) == 0, w.at())
		w.votes = append(w.votes, id)
	case n < 93 && len(w.votes) > 0: // a step rating changed or deleted
		id := pick(w, w.votes)
		switch w.rng.IntN(3) {
		case 0:
			w.exec("UPDATE step_ratings SET helpful = NOT helpful, node_id = ? WHERE id = ?", pick(w, worldNodes), id)
		case 1:
			w.exec("UPDATE step_ratings SET created_at = ? WHERE id = ?", w.at(), id)
		default:
			w.exec("DELETE FROM step_ratings WHERE id = ?", id)
			w.votes = slices.DeleteFunc(w.votes, func(x uuid.UUID) bool { return x == id })
		}
	case n < 96: // the rollups folded
		if _, err := store.FoldRollups(w.ctx, w.owner); err != nil {
			w.t.Fatal(err)
		}
	default: // one more session
		s := w.newSession()
		w.exec("INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)", s...)
		w.sessions = append(w.sessions, s[0].(uuid.UUID))
	}
}

// worldQuery is one random request's scope and arguments.
type worldQuery struct {
	scope models.Scope
	kind  string // team, engineer, personal, flow
	gran  models.Granularity
	limit int
}

func (q worldQuery) String() string {
	sc := q.scope
	return fmt.Sprintf("%s account=%s user=%s tree=%s window=[%s, %s) tz=%s %s limit %d", q.kind, sc.AccountID, sc.UserID, sc.TreeID,
		sc.Window.From.Format(time.RFC3339Nano), sc.Window.To.Format(time.RFC3339Nano), sc.Window.TimeZone, q.gran, q.limit)
}

// query returns a random query: a tenant, a scope, a window of random
// length in one of the spans with microsecond or aligned edges, a zone.
func (w *world) query() worldQuery {
	var q worldQuery
	acc := w.tenants[w.rng.IntN(2)]
	from := w.at()
	var length time.Duration
	switch w.rng.IntN(4) {
	case 0:
		length = time.Duration(w.rng.Int64N(int64(6 * time.Hour)))
	case 1:
		length = time.Duration(w.rng.IntN(40)) * 24 * time.Hour // whole days
		from = from.Truncate(24 * time.Hour)
	default:
		length = time.Duration(w.rng.Int64N(int64(30 * 24 * time.Hour)))
	}
	length = max(length/time.Microsecond*time.Microsecond, time.Microsecond)
	win, err := models.NewWindow(models.WindowArgs{Period: models.PeriodLast30Days, From: &from, To: ptr(from.Add(length)), TimeZone: pick(w, worldZones)}, from)
	if err != nil {
		w.t.Fatal(err)
	}
	q.scope = models.Scope{AccountID: acc, Window: win}
	switch q.kind = pick(w, []string{"team", "engineer", "personal", "flow"}); q.kind {
	case "engineer", "personal":
		q.scope.ByUser, q.scope.UserID = true, pick(w, w.users).id
	case "flow":
		// The API reads a flow of the viewer's account only.
		var own []worldEntity
		for _, tr := range w.trees {
			if tr.account == acc {
				own = append(own, tr)
			}
		}
		if len(own) == 0 {
			q.kind = "team"
			break
		}
		q.scope.TreeID = pick(w, own).id
	}
	q.gran = pick(w, []models.Granularity{models.GranularityDay, models.GranularityWeek, models.GranularityMonth})
	q.limit = 1 + w.rng.IntN(8)
	return q
}

// compare runs every field of q's dashboard through the rollups and the
// reference and returns the first difference ("" when none).
func (w *world) compare(q worldQuery) string {
	ctx, sc := w.ctx, q.scope
	check := func(field string, got, want any, gerr, werr error) string {
		if gerr != nil || werr != nil {
			w.t.Fatalf("%s of %s: rollups error %v, reference error %v", field, q, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			return fmt.Sprintf("%s of %s after %d writes:\n rollups   %s\n reference %s", field, q, w.ops, gj, wj)
		}
		return ""
	}
	for _, win := range []models.Window{sc.Window, sc.Window.Previous()} {
		s := sc.WithWindow(win)
		got, gerr := w.st.Summary(ctx, s)
		want, werr := w.ref.Summary(ctx, s)
		if d := check("summary", got, want, gerr, werr); d != "" {
			return d
		}
	}
	f := w.filter(q)
	gn, gerr := w.st.CountSessions(ctx, sc, f)
	wn, werr := w.st.WithoutRollups().CountSessions(ctx, sc, f)
	if d := check(fmt.Sprintf("totalCount %+v", f), gn, wn, gerr, werr); d != "" {
		return d
	}
	gs, gerr := w.st.TimeSeries(ctx, sc, q.gran)
	ws, werr := w.ref.TimeSeries(ctx, sc, q.gran)
	if d := check("timeSeries", gs, ws, gerr, werr); d != "" {
		return d
	}
	if q.kind == "flow" {
		gr, gerr := w.st.Ratings(ctx, sc)
		wr, werr := w.ref.Ratings(ctx, sc)
		if d := check("ratings", gr, wr, gerr, werr); d != "" {
			return d
		}
		gf, gerr := w.st.StepFeedback(ctx, sc)
		wf, werr := w.ref.StepFeedback(ctx, sc)
		if d := check("stepFeedback", gf, wf, gerr, werr); d != "" {
			return d
		}
		limit := q.limit
		if w.rng.IntN(2) == 0 {
			limit = models.MaxPathLimit
		}
		gp, gerr := w.st.Transitions(ctx, sc, limit)
		wp, werr := w.ref.Transitions(ctx, sc, limit)
		if d := check("transitions", gp, wp, gerr, werr); d != "" {
			return d
		}
		gx, gerr := w.st.ExitNodes(ctx, sc, limit)
		wx, werr := w.ref.ExitNodes(ctx, sc, limit)
		return check("exitNodes", gx, wx, gerr, werr)
	}
	gt, gerr := w.st.TopFlows(ctx, sc, q.limit)
	wt, werr := w.ref.TopFlows(ctx, sc, q.limit)
	if d := check("topFlows", gt, wt, gerr, werr); d != "" {
		return d
	}
	ids := []uuid.UUID{pick(w, w.trees).id}
	for _, f := range wt {
		ids = append(ids, f.TreeID)
	}
	gc, gerr := w.st.FlowCompletions(ctx, sc, ids)
	wc, werr := w.ref.FlowCompletions(ctx, sc, ids)
	if d := check("flow completions", gc, wc, gerr, werr); d != "" {
		return d
	}
	if q.kind == "personal" {
		return ""
	}
	ge, gerr := w.st.TopEngineers(ctx, sc, q.limit)
	we, werr := w.ref.TopEngineers(ctx, sc, q.limit)
	if d := check("topEngineers", ge, we, gerr, werr); d != "" {
		return d
	}
	ids = []uuid.UUID{pick(w, w.users).id}
	for _, e := range we {
		ids = append(ids, e.UserID)
	}
	gc, gerr = w.st.EngineerCompletions(ctx, sc, ids)
	wc, werr = w.ref.EngineerCompletions(ctx, sc, ids)
	return check("engineer completions", gc, wc, gerr, werr)
}

// filter returns a random sessions filter of the criteria that a count
// can answer from the rollups (tree, engineer, outcomes, completion),
// each given or not, sometimes naming another tree or engineer than the
// scope's.
func (w *world) filter(q worldQuery) models.SessionFilter {
	var f models.SessionFilter
	if w.rng.IntN(3) == 0 {
		id := pick(w, w.trees).id
		if q.scope.TreeID != uuid.Nil && w.rng.IntN(2) == 0 {
			id = q.scope.TreeID
		}
		f.TreeID = &id
	}
	if w.rng.IntN(3) == 0 {
		id := pick(w, w.users).id
		if q.scope.ByUser && w.rng.IntN(2) == 0 {
			id = q.scope.UserID
		}
		f.EngineerID = &id
	}
	if w.rng.IntN(2) == 0 {
		f.Outcomes = []models.Outcome{}
		for _, o := range models.Outcomes() {
			if w.rng.IntN(2) == 0 {
				f.Outcomes = append(f.Outcomes, o, o)[:len(f.Outcomes)+1+w.rng.IntN(2)]
			}
		}
	}
	if w.rng.IntN(2) == 0 {
		c := w.rng.IntN(2) == 0
		f.Completed = &c
	}
	return f
}
