package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"flowlens/models"
)

// original replays the original service's statement sequence on one
// connection, one statement after another, against schema plain.
type original struct {
	conn       *pgx.Conn
	statements int
}

// connectOriginal opens the original baseline's connection: the owner,
// search_path plain, time zone UTC.
func connectOriginal(ctx context.Context, ownerURL string) (*original, error) {
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["search_path"] = "plain"
	cfg.RuntimeParams["timezone"] = "UTC"
	// Plan every statement for its own arguments: a generic plan cached
	// for another tenant's size would make the baseline slower than the
	// original service was.
	cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &original{conn: conn}, nil
}

func (o *original) close(ctx context.Context) { _ = o.conn.Close(ctx) }

// row runs one statement that returns one row.
func (o *original) row(ctx context.Context, sql string, args []any, dst ...any) error {
	o.statements++
	if err := o.conn.QueryRow(ctx, sql, args...).Scan(dst...); err != nil {
		return fmt.Errorf("original: %w: %s", err, sql)
	}
	return nil
}

// rows runs one statement and calls fn for each row.
func (o *original) rows(ctx context.Context, sql string, args []any, dst []any, fn func() error) error {
	o.statements++
	rows, err := o.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("original: %w: %s", err, sql)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return fmt.Errorf("original: %w: %s", err, sql)
		}
		if err := fn(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("original: %w: %s", err, sql)
	}
	return nil
}

// run answers q as the original service did, and returns the number of
// statements it issued.
func (o *original) run(ctx context.Context, q query) (answer, int, error) {
	o.statements = 0
	var a answer
	var err error
	sc := q.scope()
	if q.Kind == kindFlow {
		err = o.flow(ctx, q, sc, &a)
	} else {
		err = o.dashboard(ctx, q, sc, &a)
	}
	return a, o.statements, err
}

func (o *original) dashboard(ctx context.Context, q query, sc scope, a *answer) error {
	var err error
	if a.Summary, err = o.summary(ctx, sc); err != nil {
		return err
	}
	if a.TimeSeries, err = o.series(ctx, sc); err != nil {
		return err
	}
	if a.TopFlows, err = o.top(ctx, sc, origTopFlowsSQL, origTreeCompletedSQL, q.Limit); err != nil {
		return err
	}
	if q.Kind != kindMy {
		if a.TopEngineers, err = o.top(ctx, sc, origTopEngineersSQL, origUserCompletedSQL, q.Limit); err != nil {
			return err
		}
	}
	return nil
}

// summary runs the five summary statements.
func (o *original) summary(ctx context.Context, sc scope) (*summary, error) {
	w, args := origWhere(sc)
	var s summary
	var p50, p90 *float64
	if err := o.row(ctx, fmt.Sprintf(origSummarySQL.Total, w), args, &s.TotalSessions); err != nil {
		return nil, err
	}
	if err := o.row(ctx, fmt.Sprintf(origSummarySQL.Completed, w), args, &s.CompletedSessions); err != nil {
		return nil, err
	}
	if err := o.row(ctx, fmt.Sprintf(origSummarySQL.Percentiles, w), args, &p50, &p90); err != nil {
		return nil, err
	}
	if err := o.row(ctx, fmt.Sprintf(origSummarySQL.Engineers, w), args, &s.ActiveEngineers); err != nil {
		return nil, err
	}
	var outcome string
	var n int
	err := o.rows(ctx, fmt.Sprintf(origSummarySQL.Outcomes, w), args, []any{&outcome, &n}, func() error {
		switch models.Outcome(outcome) {
		case models.OutcomeResolved:
			s.OutcomeBreakdown.Resolved = n
		case models.OutcomeEscalated:
			s.OutcomeBreakdown.Escalated = n
		case models.OutcomeWorkaround:
			s.OutcomeBreakdown.Workaround = n
		case models.OutcomeUnresolved:
			s.OutcomeBreakdown.Unresolved = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.CompletionRate = ratio(s.CompletedSessions, s.TotalSessions, 3)
	s.MedianDurationMinutes = minutes(p50)
	s.P90DurationMinutes = minutes(p90)
	return &s, nil
}

// minutes rounds a percentile to one decimal, 0 when there is none.
func minutes(p *float64) float64 {
	if p == nil {
		return 0
	}
	return roundFloat(*p, 1)
}

// series runs the daily series statement and fills the days without
// sessions with zeros.
func (o *original) series(ctx context.Context, sc scope) ([]point, error) {
	w, args := origWhere(sc)
	got := map[string]point{}
	var p point
	err := o.rows(ctx, fmt.Sprintf(origSeriesSQL, w), args,
		[]any{&p.Date, &p.Sessions, &p.Resolved, &p.Escalated, &p.Workaround, &p.Unresolved},
		func() error { got[p.Date] = p; return nil })
	if err != nil {
		return nil, err
	}
	return spine(sc.From, sc.To, got), nil
}

// spine returns one point per UTC day of [from, to), from got or zeros.
func spine(from, to time.Time, got map[string]point) []point {
	var out []point
	last := to.Add(-time.Microsecond).UTC().Truncate(24 * time.Hour)
	for d := from.UTC().Truncate(24 * time.Hour); !d.After(last); d = d.Add(24 * time.Hour) {
		day := d.Format(time.DateOnly)
		p, ok := got[day]
		if !ok {
			p = point{Date: day}
		}
		out = append(out, p)
	}
	return out
}

// top runs a ranking statement, then one completed count per listed row.
func (o *original) top(ctx context.Context, sc scope, rankSQL, completedSQL string, limit int) ([]top, error) {
	w, args := origWhere(sc)
	var rows []top
	var t top
	var median *float64
	err := o.rows(ctx, fmt.Sprintf(rankSQL, w, len(args)+1), append(args, limit),
		[]any{&t.ID, &t.Name, &t.Sessions, &median}, func() error {
			t.MedianDurationMinutes = minutes(median)
			rows = append(rows, t)
			return nil
		})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		var done int
		if err := o.row(ctx, fmt.Sprintf(completedSQL, w, len(args)+1), append(args, rows[i].ID), &done); err != nil {
			return nil, err
		}
		rows[i].CompletionRate = ratio(done, rows[i].Sessions, 3)
	}
	return rows, nil
}

// flow answers flowAnalytics: the tree, the summary, the series, CSAT,
// every session's decisions (step statistics computed here), the step
// ratings and the recent comments.
func (o *original) flow(ctx context.Context, q query, sc scope, a *answer) error {
	var f flowRef
	var structure *string
	if err := o.row(ctx, origTreeSQL, []any{q.Tree, q.Tenant.ID}, &f.ID, &f.Name, &structure); err != nil {
		return err
	}
	a.Flow = &f
	var err error
	if a.Summary, err = o.summary(ctx, sc); err != nil {
		return err
	}
	if a.TimeSeries, err = o.series(ctx, sc); err != nil {
		return err
	}
	if err := o.csat(ctx, sc, a); err != nil {
		return err
	}
	if a.StepFeedback, err = o.steps(ctx, sc, structure); err != nil {
		return err
	}
	var c comment
	var at time.Time
	return o.rows(ctx, origCommentsSQL, []any{sc.Account, *sc.Tree, q.Limit}, []any{&c.Rating, &c.Comment, &at}, func() error {
		c.CreatedAt = at.UTC().Format(time.RFC3339Nano)
		a.RecentComments = append(a.RecentComments, c)
		return nil
	})
}

func (o *original) csat(ctx context.Context, sc scope, a *answer) error {
	dist := make([]ratingCount, 5)
	for i := range dist {
		dist[i].Rating = i + 1
	}
	var rating, n, sum int
	err := o.rows(ctx, origCsatSQL, []any{sc.Account, *sc.Tree, sc.From, sc.To}, []any{&rating, &n}, func() error {
		dist[rating-1].Count = n
		a.TotalRatings += n
		sum += rating * n
		return nil
	})
	if err != nil {
		return err
	}
	a.RatingDistribution = dist
	if a.TotalRatings > 0 {
		avg := roundRat(big.NewRat(int64(sum), int64(a.TotalRatings)), 1)
		a.AvgCsat = &avg
	}
	return nil
}

// steps fetches the decisions of every session of the tree in the window
// and computes visits and drop-offs per node here, then the step ratings.
func (o *original) steps(ctx context.Context, sc scope, structure *string) ([]step, error) {
	type fetched struct {
		decisions []byte
		completed bool
	}
	var all []fetched
	var f fetched
	w, args := origWhere(sc)
	err := o.rows(ctx, fmt.Sprintf(origDecisionsSQL, w), args, []any{&f.decisions, &f.completed}, func() error {
		all = append(all, fetched{decisions: append([]byte(nil), f.decisions...), completed: f.completed})
		return nil
	})
	if err != nil {
		return nil, err
	}
	byNode := map[string]*step{}
	for _, s := range all {
		var entries []json.RawMessage
		if json.Unmarshal(s.decisions, &entries) != nil {
			continue // null or not an array
		}
		for i, e := range entries {
			id, ok := nodeID(e)
			if !ok {
				continue
			}
			st := byNode[id]
			if st == nil {
				st = &step{NodeID: id}
				byNode[id] = st
			}
			st.VisitCount++
			if !s.completed && i == len(entries)-1 {
				st.DropoffCount++
			}
		}
	}
	var node string
	var yes, no int
	err = o.rows(ctx, origVotesSQL, []any{sc.Account, *sc.Tree, sc.From, sc.To}, []any{&node, &yes, &no}, func() error {
		if st := byNode[node]; st != nil {
			st.HelpfulYes, st.HelpfulNo = yes, no
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return finishSteps(byNode, structure), nil
}

// nodeID returns the node id of a counted decision: an object whose
// node_id is a non-empty string.
func nodeID(e json.RawMessage) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(e, &obj) != nil || obj == nil {
		return "", false
	}
	raw, ok := obj["node_id"]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var id string
	if json.Unmarshal(raw, &id) != nil || id == "" {
		return "", false
	}
	return id, true
}

// finishSteps adds titles and rates and orders the steps: highest rounded
// drop-off rate first, then node id in byte order.
func finishSteps(byNode map[string]*step, structure *string) []step {
	ids := make(map[string]bool, len(byNode))
	for id := range byNode {
		ids[id] = true
	}
	var raw []byte
	if structure != nil {
		raw = []byte(*structure)
	}
	titles := models.NodeTitles(raw, ids)
	out := make([]step, 0, len(byNode))
	for _, st := range byNode {
		st.NodeTitle = titles.Title(st.NodeID)
		st.HelpfulRate = ratio(st.HelpfulYes, st.HelpfulYes+st.HelpfulNo, 3)
		st.DropoffRate = ratio(st.DropoffCount, st.VisitCount, 3)
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DropoffRate != out[j].DropoffRate {
			return out[i].DropoffRate > out[j].DropoffRate
		}
		return out[i].NodeID < out[j].NodeID
	})
	return out
}
