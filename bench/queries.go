package bench

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Kinds of query: the four requests of the issue.
const (
	kindTeam         = "team"          // full team dashboard
	kindTeamEngineer = "team+engineer" // team dashboard with engineerId
	kindMy           = "my"            // myAnalytics of the busiest engineer
	kindFlow         = "flow"          // flowAnalytics of the busiest tree
)

var kinds = []string{kindTeam, kindTeamEngineer, kindMy, kindFlow}

// GraphQL documents: every field of each dashboard with every subfield.
// The root field is aliased `a`, and treeId/userId `id`, so one answer type
// decodes them all; viewer.accountId lets the load run check the tenant.
const fragments = `
fragment S on Summary { totalSessions completedSessions completionRate medianDurationMinutes p90DurationMinutes activeEngineers outcomeBreakdown { resolved escalated workaround unresolved } }
fragment P on TimeSeriesPoint { date sessions resolved escalated workaround unresolved }`

const teamDoc = `query Team($period: Period!, $to: Time, $engineerId: UUID, $limit: Int!) {
  viewer { accountId }
  a: teamAnalytics(period: $period, to: $to, engineerId: $engineerId) {
    window { from to timeZone }
    summary { ...S }
    previousSummary { ...S }
    timeSeries { ...P }
    topFlows(limit: $limit) { id: treeId name sessions completionRate medianDurationMinutes }
    topEngineers(limit: $limit) { id: userId name sessions completionRate medianDurationMinutes }
  }
}` + fragments

const myDoc = `query My($period: Period!, $to: Time, $limit: Int!) {
  viewer { accountId }
  a: myAnalytics(period: $period, to: $to) {
    window { from to timeZone }
    summary { ...S }
    previousSummary { ...S }
    timeSeries { ...P }
    topFlows(limit: $limit) { id: treeId name sessions completionRate medianDurationMinutes }
  }
}` + fragments

const flowDoc = `query Flow($tree: UUID!, $period: Period, $from: Time, $to: Time, $limit: Int!) {
  viewer { accountId }
  a: flowAnalytics(treeId: $tree, period: $period, from: $from, to: $to) {
    flow { id name }
    window { from to timeZone }
    summary { ...S }
    previousSummary { ...S }
    avgCsat
    totalRatings
    ratingDistribution { rating count }
    timeSeries { ...P }
    stepFeedback { nodeId nodeTitle helpfulYes helpfulNo helpfulRate visitCount dropoffCount dropoffRate }
    recentComments(limit: $limit) { rating comment createdAt }
  }
}` + fragments

// query is one request of the bench: a kind of dashboard for a tenant
// over a window, as a user.
type query struct {
	Kind   string
	Tenant *tenant
	Period string // LAST_7_DAYS, LAST_90_DAYS; empty when From/To are set
	// From and To give an explicit window instead of Period; To alone
	// ends the period there instead of at the data set's "now".
	From, To *time.Time
	// Viewer is the user whose token sends the request.
	Viewer uuid.UUID
	// Engineer is the engineerId of kindTeamEngineer and the viewer of kindMy.
	Engineer uuid.UUID
	// Tree is the tree of kindFlow.
	Tree  uuid.UUID
	Limit int
	// Doc, when set, is the request's document instead of the kind's,
	// sent with Vars besides the tree and period (the flow-path requests,
	// paths.go); Name labels it.
	Doc, Name string
	Vars      map[string]any
}

// periods of the issue.
var periods = []string{"LAST_90_DAYS", "LAST_7_DAYS"}

// body returns the JSON request body.
func (q query) body() []byte {
	vars := map[string]any{"limit": q.Limit}
	doc := teamDoc
	if q.Doc != "" {
		vars = map[string]any{"tree": q.Tree}
		if q.Period != "" {
			vars["period"] = q.Period
		}
		for k, v := range q.Vars {
			vars[k] = v
		}
		return mustJSON(map[string]any{"query": q.Doc, "variables": vars})
	}
	switch q.Kind {
	case kindTeam:
		vars["period"] = q.Period
	case kindTeamEngineer:
		vars["period"], vars["engineerId"] = q.Period, q.Engineer
	case kindMy:
		doc = myDoc
		vars["period"] = q.Period
	case kindFlow:
		doc = flowDoc
		vars["tree"] = q.Tree
		if q.From != nil {
			vars["from"], vars["to"] = q.From, q.To
		} else {
			vars["period"] = q.Period
		}
	}
	if q.From == nil && q.To != nil {
		vars["to"] = q.To
	}
	return mustJSON(map[string]any{"query": doc, "variables": vars})
}

// mustJSON encodes a request body of plain values.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain values only
	}
	return b
}

// window returns the query's window [from, to) at the data set's "now".
func (q query) window() (time.Time, time.Time) {
	if q.From != nil {
		return *q.From, *q.To
	}
	d := 90 * 24 * time.Hour
	if q.Period == "LAST_7_DAYS" {
		d = 7 * 24 * time.Hour
	}
	end := anchor
	if q.To != nil {
		end = *q.To
	}
	return end.Add(-d), end
}

// scope is what the baselines filter on.
type scope struct {
	Account  uuid.UUID
	From, To time.Time
	User     *uuid.UUID
	Tree     *uuid.UUID
}

// scope returns the sessions the query covers.
func (q query) scope() scope {
	from, to := q.window()
	sc := scope{Account: q.Tenant.ID, From: from, To: to}
	switch q.Kind {
	case kindTeamEngineer, kindMy:
		u := q.Engineer
		sc.User = &u
	case kindFlow:
		t := q.Tree
		sc.Tree = &t
	}
	return sc
}

// previous returns the scope over the window of the same length before.
func (s scope) previous() scope {
	d := s.To.Sub(s.From)
	s.From, s.To = s.From.Add(-d), s.From
	return s
}

// label names the query in reports.
func (q query) label() string {
	if q.Name != "" {
		return q.Name
	}
	p := q.Period
	switch p {
	case "LAST_90_DAYS":
		p = "90d"
	case "LAST_7_DAYS":
		p = "7d"
	}
	if q.To != nil && q.From == nil {
		p += "*"
	}
	return q.Kind + " " + p
}

// offHour is the end of the windows of the off-hour rows: a period ending
// at an arbitrary microsecond, as "now" usually is, so both edges hold
// partial blocks of every level (read from finer rollup rows and raw rows).
var offHour = anchor.Add(-(10*time.Hour + 22*time.Minute + 47*time.Second + 654322*time.Microsecond))
