package demo

import (
	"bytes"
	"cmp"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// Session is a sessions row. AccountID is the account of both its tree and
// its user (the value the sessions_set_account trigger computes).
type Session struct {
	ID          uuid.UUID
	TreeID      uuid.UUID
	UserID      uuid.UUID
	AccountID   uuid.UUID
	StartedAt   time.Time
	CompletedAt *time.Time
	Outcome     *string
	Decisions   []byte
}

// SessionRating is a session_ratings row.
type SessionRating struct {
	ID        uuid.UUID
	SessionID uuid.UUID
	TreeID    uuid.UUID
	UserID    uuid.UUID
	Rating    int
	Comment   *string
	CreatedAt time.Time
}

// StepRating is a step_ratings row.
type StepRating struct {
	ID        uuid.UUID
	SessionID uuid.UUID
	TreeID    uuid.UUID
	NodeID    string
	Helpful   bool
	UserID    uuid.UUID
	CreatedAt time.Time
}

// Batch holds consecutive sessions with their ratings.
type Batch struct {
	Sessions       []Session
	SessionRatings []SessionRating
	StepRatings    []StepRating
}

// Csat returns, by session, the rating of the session's latest session
// rating (greatest CreatedAt, ties by the smallest id): the sessions.csat
// that the ratings' trigger computes. A session's ratings are in its batch.
func (b *Batch) Csat() map[uuid.UUID]int16 {
	latest := make(map[uuid.UUID]*SessionRating, len(b.SessionRatings))
	for i := range b.SessionRatings {
		r := &b.SessionRatings[i]
		l := latest[r.SessionID]
		if l == nil || r.CreatedAt.After(l.CreatedAt) || r.CreatedAt.Equal(l.CreatedAt) && bytes.Compare(r.ID[:], l.ID[:]) < 0 {
			latest[r.SessionID] = r
		}
	}
	out := make(map[uuid.UUID]int16, len(latest))
	for id, r := range latest {
		out[id] = int16(r.Rating)
	}
	return out
}

// Rows returns the number of rows of all three kinds.
func (b *Batch) Rows() int { return len(b.Sessions) + len(b.SessionRatings) + len(b.StepRatings) }

// Batches returns the sessions of every account, in account order, in
// batches of up to size sessions with their ratings. Every call yields the
// same data, whatever size is; batches are fresh values the caller may keep.
func (d *Dataset) Batches(size int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		for i := range d.gens {
			for b := range d.accountBatches(i, size) {
				if !yield(b) {
					return
				}
			}
		}
	}
}

// accountBatches is Batches for account i (index into Spec.Accounts) alone;
// accounts are independent, so they can be generated concurrently.
func (d *Dataset) accountBatches(i, size int) iter.Seq[*Batch] {
	size = max(size, 1)
	return func(yield func(*Batch) bool) {
		s := d.newStream(i)
		for s.left > 0 {
			b := newBatch(min(size, s.left))
			for len(b.Sessions) < size && s.left > 0 {
				s.next(b)
			}
			if !yield(b) {
				return
			}
		}
	}
}

func newBatch(n int) *Batch {
	return &Batch{
		Sessions:       make([]Session, 0, n),
		SessionRatings: make([]SessionRating, 0, n/4+1),
		StepRatings:    make([]StepRating, 0, n/2+1),
	}
}

// stream generates the sessions of one account, in the order they started.
type stream struct {
	g          *accountGen
	r          *rand.Rand
	left       int
	start, end int64 // Unix seconds: the span [start, end)
	plan       []planned
	path       []int32
	buf        []byte
}

// planned is who starts a session when.
type planned struct {
	at     int64
	runner int32
}

// newStream plans the sessions of account i (who starts one when, from a
// random stream of its own), sorted by start time, so that sessions come
// out in the order an application would have written them.
func (d *Dataset) newStream(i int) *stream {
	s := &stream{
		g:     d.gens[i],
		r:     newRand(d.Spec.Seed, i, streamSessions),
		left:  d.Spec.Accounts[i].Sessions,
		start: d.windowStart().Unix(),
		end:   d.Spec.Anchor.Unix(),
		buf:   make([]byte, 0, 256<<10),
	}
	r := newRand(d.Spec.Seed, i, streamSchedule)
	s.plan = make([]planned, s.left)
	for k := range s.plan {
		u := s.g.runnerPick.pick(r)
		s.plan[k] = planned{at: s.startTime(r, &s.g.runners[u]), runner: int32(u)}
	}
	slices.SortFunc(s.plan, func(a, b planned) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.runner, b.runner)
	})
	return s
}

// outcomes are the outcomes of demo sessions, in the order of finalAnswers
// and ratingByOutcome.
var outcomes = [4]string{string(models.OutcomeResolved), string(models.OutcomeWorkaround),
	string(models.OutcomeEscalated), string(models.OutcomeUnresolved)}

// otherOutcome is the outcome of a completed session that did not end the
// way its last node usually does.
var otherOutcome = newWeighted([]float64{0.3, 0.45, 0.08, 0.17})

// hourWeight is the relative activity of each local hour of a working day.
var hourWeight = [24]float64{
	0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.45, 0.85, 1, 1, 0.95,
	0.7, 0.9, 1, 0.95, 0.8, 0.55, 0.3, 0.18, 0.12, 0.09, 0.07, 0.05,
}

// startTime draws a start time for a session of u: working hours of the
// account's time zone, mostly weekdays, slowly growing over the span.
func (s *stream) startTime(r *rand.Rand, u *runner) int64 {
	hi := s.end
	if u.leftAt != 0 {
		hi = u.leftAt
	}
	var t int64
	for range 64 {
		t = s.start + r.Int64N(hi-s.start)
		local := t + s.g.tz
		day := local / 86400
		w := hourWeight[(local%86400+86400)%86400/3600]
		switch (day%7 + 11) % 7 { // 1970-01-01 was a Thursday; 0 is Sunday
		case 0:
			w *= 0.1
		case 6:
			w *= 0.16
		}
		w *= 0.7 + 0.3*float64(t-s.start)/float64(s.end-s.start)
		if r.Float64() < w {
			break
		}
	}
	return t
}

// walk fills s.path with a root-to-leaf path through t and returns where
// along it the engineer gave up, or -1 when the session went through: at
// each node the engineer gives up with the node's drop-off probability
// (scaled for the tree and the engineer), so hard steps collect most
// drop-offs.
func (s *stream) walk(t *ctree, u *runner) int {
	s.path = append(s.path[:0], 0)
	n := &t.nodes[0]
	for len(n.kids) > 0 {
		k := n.pick.pick(s.r)
		s.path = append(s.path, n.kids[k])
		n = &t.nodes[n.kids[k]]
	}
	scale := t.giveUp * u.giveUp
	for i, id := range s.path {
		if s.r.Float64() < t.nodes[id].drop*scale {
			return i
		}
	}
	return -1
}

// dropAt returns where along s.path a session that was still running at
// the anchor stands: nodes are chosen in proportion to their drop-off
// probability.
func (s *stream) dropAt(t *ctree) int {
	total := 0.0
	for _, n := range s.path {
		total += t.nodes[n].drop
	}
	x := s.r.Float64() * total
	for i, n := range s.path {
		x -= t.nodes[n].drop
		if x < 0 {
			return i
		}
	}
	return len(s.path) - 1
}

// next appends one session, and its ratings, to b.
func (s *stream) next(b *Batch) {
	p := s.plan[len(s.plan)-s.left]
	s.left--
	r, g := s.r, s.g
	t := g.trees[g.treePick.pick(r)]
	u := &g.runners[p.runner]
	id := newID(r)
	started := p.at
	stop := s.walk(t, u)
	completed := stop < 0
	var outcome *string
	last := len(s.path) - 1
	lastAnswer := -1 // index into finalAnswers, or -1: the session stopped at the last node
	if completed {
		leaf := &t.nodes[s.path[last]]
		o := leaf.outcome
		if last >= 2 && r.Float64() < 0.025 { // escalated before reaching a solution
			last = 1 + r.IntN(last-1)
			o = string(models.OutcomeEscalated)
		} else if r.Float64() < 0.2 {
			o = outcomes[otherOutcome.pick(r)]
		}
		if r.Float64() < 0.025 { // the application did not record an outcome
			lastAnswer = 4
		} else {
			lastAnswer = outcomeIndex(o)
			outcome = &outcomes[lastAnswer]
		}
	} else {
		last = stop
	}
	s.path = s.path[:last+1]

	minutes := logNormal(r, 2.3*float64(len(s.path))*t.speed*u.speed, 0.6)
	dur := int64(min(6*60.0, max(0.75, minutes)) * 60)
	if completed && started+dur >= s.end { // still running at the anchor
		completed, outcome, lastAnswer = false, nil, -1
		s.path = s.path[:s.dropAt(t)+1]
	}
	if !completed && r.Float64() < 0.05 { // abandoned and marked unresolved
		outcome = &outcomes[3]
	}

	// decisions: one entry per node on the path, each with the answer that
	// led on; the last says how it ended, or has no answer when the
	// engineer left there.
	buf := s.buf[len(s.buf):]
	buf = append(buf, '[')
	for i, n := range s.path {
		node := &t.nodes[n]
		if i > 0 {
			buf = append(buf, ',')
		}
		switch {
		case i < len(s.path)-1:
			for k, kid := range node.kids {
				if kid == s.path[i+1] {
					buf = append(buf, node.edge[k]...)
					break
				}
			}
		case lastAnswer >= 0:
			buf = append(buf, node.final[lastAnswer]...)
		default:
			buf = append(buf, node.open...)
		}
	}
	buf = append(buf, ']')
	decisions := buf[:len(buf):len(buf)]
	s.buf = buf
	if cap(s.buf)-len(s.buf) < 1024 {
		s.buf = make([]byte, 0, 256<<10)
	}

	startedAt := time.Unix(started, 0).UTC()
	sess := Session{ID: id, TreeID: t.id, UserID: u.id, AccountID: g.id, StartedAt: startedAt,
		Outcome: outcome, Decisions: decisions}
	endedAt := started + dur
	if completed {
		c := time.Unix(endedAt, 0).UTC()
		sess.CompletedAt = &c
	} else if endedAt > s.end {
		endedAt = s.end
	}
	b.Sessions = append(b.Sessions, sess)

	// CSAT: about 30% of completed sessions are rated, mostly right after.
	if completed && r.Float64() < 0.3 {
		oi := 4
		if outcome != nil {
			oi = outcomeIndex(*outcome)
		}
		rating := ratingByOutcome[oi].pick(r) + 1
		var comment *string
		switch x := r.Float64(); {
		case x < 0.45:
			pool := comments[rating-1]
			comment = &pool[r.IntN(len(pool))]
		case x < 0.47:
			comment = &emptyComment
		}
		at := min(s.end-1, endedAt+int64(r.ExpFloat64()*240))
		b.SessionRatings = append(b.SessionRatings, SessionRating{ID: newID(r), SessionID: id, TreeID: t.id,
			UserID: u.id, Rating: rating, Comment: comment, CreatedAt: time.Unix(max(at, endedAt), 0).UTC()})
	}

	// Step feedback: some sessions rate one or two of the steps they saw.
	if r.Float64() < 0.3 {
		count := 1
		if len(s.path) > 1 && r.Float64() < 0.3 {
			count = 2
		}
		first := r.IntN(len(s.path))
		for k := range count {
			pos := (first + k) % len(s.path)
			node := &t.nodes[s.path[pos]]
			at := started + (endedAt-started)*int64(pos+1)/int64(len(s.path))
			b.StepRatings = append(b.StepRatings, StepRating{ID: newID(r), SessionID: id, TreeID: t.id,
				NodeID: node.id, Helpful: r.Float64() < node.helpful, UserID: u.id, CreatedAt: time.Unix(at, 0).UTC()})
		}
	}
}

// ratingByOutcome gives the CSAT distribution (ratings 1 to 5) by outcome
// index (resolved, workaround, escalated, unresolved, none).
var ratingByOutcome = [5]weighted{
	newWeighted([]float64{2, 3, 10, 35, 50}),
	newWeighted([]float64{5, 12, 30, 33, 20}),
	newWeighted([]float64{14, 20, 32, 24, 10}),
	newWeighted([]float64{35, 30, 20, 10, 5}),
	newWeighted([]float64{8, 14, 33, 27, 18}),
}

var emptyComment = ""

// comments are the CSAT comments, by rating.
var comments = [5][]string{
	{"Did not help at all.", "Dead end: none of the answers matched.", "Wrong instructions for our hardware.",
		"Wasted twenty minutes going in circles.", "The flow is out of date."},
	{"Missing the case we actually had.", "Too many steps before the obvious check.", "Had to escalate anyway.",
		"Outdated for the current client version.", "Confusing wording on the second question."},
	{"Got there eventually.", "Okay, but I had to improvise one step.", "The order of the checks could be better.",
		"Fine for the common case only.", "Works, but slow to get through."},
	{"Worked, but one step was unclear.", "Good, though the screenshots are outdated.",
		"Fixed it; took a bit longer than expected.", "Helpful. Please add the newer model.", "Solid flow."},
	{"Quick and clear, fixed on the first try.", "The steps were exactly right.",
		"Saved me a call to the vendor.", "Solved in minutes.", "Clear instructions; the customer was happy.",
		"Best flow we have."},
}
