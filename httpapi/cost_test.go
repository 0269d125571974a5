package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"flowlens/graph"
	"flowlens/models"
)

// The statement budget (shared/API.md, "Demand"; graph/cost.go) through
// the real handler: the largest dashboards pass, with their lists and
// series repeated under every alias the alias limit allows, and run
// exactly the statements the budget counts; 15 full flow dashboards under
// aliases are refused before any statement runs.

// The three dashboards with every field of the contract once, and the
// dashboards again with one list or series repeated under 15 aliases.
func largestDashboards() map[string]struct {
	doc   string
	calls int // store calls, the authentication lookup included
} {
	const win = `from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"`
	team := "window " + windowSel + " summary " + summarySel + " previousSummary " + summarySel +
		" timeSeries(granularity: WEEK) " + pointSel + " topFlows(limit: 100) " + topFlowSel + " topEngineers(limit: 100) " + topEngSel +
		" " + sessionsSel
	my := "window " + windowSel + " summary " + summarySel + " previousSummary " + summarySel +
		" timeSeries " + pointSel + " topFlows(limit: 100) " + topFlowSel + " " + sessionsSel
	flow := "flow { id name } window " + windowSel + " summary " + summarySel + " previousSummary " + summarySel +
		" avgCsat totalRatings ratingDistribution " + ratingSel + " timeSeries " + pointSel +
		" stepFeedback " + stepSel + " recentComments(limit: 100) " + commentSel + " " + sessionsSel +
		" transitions(limit: 1000) " + transitionSel + " exitNodes(limit: 1000) " + exitSel +
		` funnel(nodeIds: ["root", "q1", "t1", "q1", "root", "a6", "a7", "a8", "a9", "a10", "a11", "a12", "a13", "a14", "a15", "a16", "a17", "a18", "a19", "a20"]) ` + funnelSel
	aliased := func(field string) string {
		var b strings.Builder
		for i := 0; i < graph.DefaultLimits.MaxAliases; i++ {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return b.String()
	}
	teamQ := func(body string) string { return "{ viewer { id } teamAnalytics(" + win + ") { " + body + " } }" }
	myQ := func(body string) string { return "{ myAnalytics(" + win + ") { " + body + " } }" }
	flowQ := func(body string) string {
		return `{ flowAnalytics(treeId: "` + tCheckout + `", ` + win + ") { " + body + " } }"
	}
	// funnels returns 15 aliased funnels of 20 ids, each its own.
	funnels := func() string {
		var b strings.Builder
		for i := 0; i < graph.DefaultLimits.MaxAliases; i++ {
			fmt.Fprintf(&b, " f%d: funnel(nodeIds: [", i)
			for j := 0; j < 20; j++ {
				fmt.Fprintf(&b, "%q, ", fmt.Sprintf("n%d-%d", i, j))
			}
			b.WriteString("]) " + funnelSel)
		}
		return b.String()
	}
	// Store calls: the user lookup, one per SQL-backed field, one loader
	// batch per list asking for completion rates, one for the three rating
	// fields, one for the flow's lookup, two per sessions connection (its
	// page and its totalCount, whatever `first` and whatever a session
	// shows), one per path field (transitions, exit nodes, funnels)
	// whatever its aliases.
	type doc = struct {
		doc   string
		calls int
	}
	return map[string]doc{
		"team":                           {teamQ(team), 1 + 9},
		"team, top flows ×16":            {teamQ(team + aliased("topFlows(limit: 10) "+topFlowSel)), 1 + 9 + 15*2},
		"team, top engineers ×16":        {teamQ(team + aliased("topEngineers(limit: 100) "+topEngSel)), 1 + 9 + 15*2},
		"team, series ×16":               {teamQ(team + aliased("timeSeries(granularity: DAY) "+pointSel)), 1 + 9 + 15},
		"team, summaries ×16":            {teamQ(team + aliased("previousSummary "+summarySel)), 1 + 9 + 15},
		"personal":                       {myQ(my), 1 + 7},
		"personal, top flows ×16":        {myQ(my + aliased("topFlows(limit: 100) "+topFlowSel)), 1 + 7 + 15*2},
		"flow":                           {flowQ(flow), 1 + 12},
		"flow, step feedback ×16":        {flowQ(flow + aliased("stepFeedback "+stepSel)), 1 + 12 + 15},
		"flow, comments ×16":             {flowQ(flow + aliased("recentComments(limit: 100) "+commentSel)), 1 + 12 + 15},
		"flow, ratings ×16 (shared)":     {flowQ(flow + aliased("ratingDistribution "+ratingSel)), 1 + 12},
		"flow, series ×16":               {flowQ(flow + aliased("timeSeries(granularity: MONTH) "+pointSel)), 1 + 12 + 15},
		"flow, transitions ×16 (shared)": {flowQ(flow + aliased("transitions(limit: 1) "+transitionSel)), 1 + 12},
		"flow, exit nodes ×16 (shared)":  {flowQ(flow + aliased("exitNodes "+exitSel)), 1 + 12},
		"flow, funnels ×16 (shared)":     {flowQ(flow + funnels()), 1 + 12},
		"all three in one document":      {"{ viewer { id name } teamAnalytics(" + win + ") { " + team + " } myAnalytics(" + win + ") { " + my + ` } flowAnalytics(treeId: "` + tCheckout + `", ` + win + ") { " + flow + " } }", 1 + 9 + 7 + 12},
		"all three, top flows ×16":       {"{ teamAnalytics(" + win + ") { " + team + aliased("topFlows(limit: 100) "+topFlowSel) + " } myAnalytics(" + win + ") { " + my + ` } flowAnalytics(treeId: "` + tCheckout + `", ` + win + ") { " + flow + " } }", 1 + 9 + 7 + 12 + 15*2},
		"team, sessions ×16":             {teamQ(team + aliased(sessionsSel)), 1 + 9 + 15*2},
		"personal, sessions ×16":         {myQ(my + aliased(sessionsSel)), 1 + 7 + 15*2},
		"flow, sessions ×16":             {flowQ(flow + aliased(sessionsSel)), 1 + 12 + 15*2},
		"flow, session pages ×16":        {flowQ(flow + aliased(sessionsPageSel)), 1 + 12 + 15},
		"all three, sessions ×16":        {"{ teamAnalytics(" + win + ") { " + team + aliased(sessionsSel) + " } myAnalytics(" + win + ") { " + my + ` } flowAnalytics(treeId: "` + tCheckout + `", ` + win + ") { " + flow + " } }", 1 + 9 + 7 + 12 + 15*2},
		"card and table, no aliases":     {teamQ("topFlows(limit: 10) " + topFlowSel), 1 + 2},
		"card and table under aliases":   {teamQ("card: topFlows(limit: 10) " + topFlowSel + " table: topFlows(limit: 100) " + topFlowSel), 1 + 4},
	}
}

// The largest sessions selections: every field of a session on a page of
// 100, with and without totalCount.
const (
	sessionsSel = `sessions(first: 100, orderBy: LONGEST, filter: {completed: true, maxCsat: 5}) { totalCount edges { cursor node { id flow { id name }
	  engineer { id name } startedAt completedAt durationMinutes outcome csat stepCount steps(limit: 100) { nodeId nodeTitle } } } pageInfo { hasNextPage endCursor } }`
	sessionsPageSel = `sessions(first: 100) { edges { cursor node { id stepCount steps { nodeId nodeTitle } } } pageInfo { hasNextPage } }`
)

func TestLargestDashboardsPass(t *testing.T) {
	e := newEnv(t, apiEnv.with(func(s *Settings) { s.Limits = graph.DefaultLimits }))
	for name, d := range largestDashboards() {
		e.counter.Reset()
		e.rec.reset()
		r := e.as(t, uAlpha, d.doc, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 || !r.hasData() {
			t.Errorf("%s: refused or failed: %d %.400s", name, r.Status, r.Body)
			continue
		}
		if n := e.storeCalls(t); n != int64(d.calls) {
			t.Errorf("%s: %d store calls, want %d", name, n, d.calls)
		}
	}
}

// TestStatementBudgetRefusesBeforeAnyStatement: 15 aliased flowAnalytics,
// each with every field, would run 1 + 15 × 10 = 151 store calls; the
// operation is refused with the user lookup as its only statements.
func TestStatementBudgetRefusesBeforeAnyStatement(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	flow := "flow { id name } window " + windowSel + " summary " + summarySel + " previousSummary " + summarySel +
		" avgCsat totalRatings ratingDistribution " + ratingSel + " timeSeries " + pointSel +
		" stepFeedback " + stepSel + " recentComments(limit: 100) " + commentSel +
		" transitions(limit: 1000) " + transitionSel + " exitNodes(limit: 1000) " + exitSel + ` funnel(nodeIds: ["root"]) ` + funnelSel
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, ` f%d: flowAnalytics(treeId: "%s") { %s }`, i, small.TreeA, flow)
	}
	b.WriteString(" }")
	assertRefused(t, e, base, b.String(), string(models.CodeComplexityLimit),
		fmt.Sprintf("the operation would run more than %d SQL statements", graph.DefaultStatementBudget))
	// At the limit: a budget of exactly what an operation runs lets it
	// through, one less refuses it with the count.
	team := `{ teamAnalytics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { summary { totalSessions } topFlows(limit: 100) { name completionRate } } }`
	exact := limitsEnv(t, func(s *Settings) { s.Limits.MaxComplexity = 4 })
	assertAccepted(t, exact, team)
	tight := limitsEnv(t, func(s *Settings) { s.Limits.MaxComplexity = 3 })
	assertRefused(t, tight, authOnly(t, tight), team, string(models.CodeComplexityLimit), "more than 3 SQL statements")
}

// TestFragmentBombWithoutAliases: 40 fragments, each spreading the
// previous one twice, expand to 2^40 fields without a single alias; the
// shape of the document refuses it before validation (the statement
// count, which gives up after a bounded number of fields, would too:
// graph's TestFragmentExpansionIsBounded).
func TestFragmentBombWithoutAliases(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	var b strings.Builder
	b.WriteString("{ viewer { ...F40 } } fragment F0 on Viewer { id }")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, " fragment F%d on Viewer { ...F%d ...F%d }", i, i-1, i-1)
	}
	assertRefused(t, e, base, b.String(), string(models.CodeFieldLimit), "fragments are spread into one selection set")
}
