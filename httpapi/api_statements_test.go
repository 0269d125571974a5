package httpapi

import (
	"strings"
	"testing"
)

// A store call runs either in a read-only transaction of its own, where
// bun's query hook sees four statements (BEGIN, SELECT set_config(…), the
// query, COMMIT), or, for a rollup function, as one statement that sets
// the same settings itself (oneRoundTrip). dbtest.Counter.Calls counts
// one per call either way.

// oneRoundTrip is in the text of every store call made in one round trip.
const oneRoundTrip = "AS cfg CROSS JOIN LATERAL flowlens_rollup_"

// Full requests, every field once.
const (
	teamFull = `query($l: Int!) { teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
	  window ` + windowSel + ` summary ` + summarySel + ` previousSummary ` + summarySel + `
	  timeSeries ` + pointSel + ` topFlows(limit: $l) ` + topFlowSel + ` topEngineers(limit: $l) ` + topEngSel + ` } }`
	myFull = `query($l: Int!) { myAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
	  window ` + windowSel + ` summary ` + summarySel + ` previousSummary ` + summarySel + `
	  timeSeries ` + pointSel + ` topFlows(limit: $l) ` + topFlowSel + ` } }`
	flowFull = `query($l: Int!) { flowAnalytics(treeId: "` + tCheckout + `", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
	  flow { id name } window ` + windowSel + ` summary ` + summarySel + ` previousSummary ` + summarySel + `
	  avgCsat totalRatings ratingDistribution ` + ratingSel + ` timeSeries ` + pointSel + `
	  stepFeedback ` + stepSel + ` recentComments(limit: $l) ` + commentSel + ` } }`
)

// stmtKinds sorts the statements of a request.
type stmtKinds struct {
	total, begin, setConfig, commit, other int
	// single counts the queries among other made in one round trip.
	single                               int
	flowCompletions, engineerCompletions []string
	ratings                              int
}

func classify(stmts []string) stmtKinds {
	var k stmtKinds
	k.total = len(stmts)
	for _, s := range stmts {
		switch {
		case s == "BEGIN":
			k.begin++
		case s == "COMMIT":
			k.commit++
		case strings.HasPrefix(s, "SELECT set_config("):
			k.setConfig++
		default:
			k.other++
			if strings.Contains(s, oneRoundTrip) {
				k.single++
			}
			if strings.Contains(s, "AS completed") && strings.Contains(s, "s.tree_id IN (") {
				k.flowCompletions = append(k.flowCompletions, s)
			}
			if strings.Contains(s, "AS completed") && strings.Contains(s, "s.user_id IN (") {
				k.engineerCompletions = append(k.engineerCompletions, s)
			}
			if strings.Contains(s, "session_ratings") && strings.Contains(s, "avg(") {
				k.ratings++
			}
		}
	}
	return k
}

// TestAPIStatementCounts checks that a request runs a fixed number of SQL
// statements whatever the length of its lists (no N+1): the completion
// counts of all listed flows (engineers) come from one batched statement.
func TestAPIStatementCounts(t *testing.T) {
	e := newEnv(t, apiEnv)
	cases := []struct {
		name, viewer, query string
		calls               int // store calls: authentication + one per field (+ loaders)
		single              int // of them, calls of rollup functions (one round trip each)
		flowBatch, engBatch int // completion statements
		ratings             int // rating statements
	}{
		// auth, summary, previousSummary, timeSeries, topFlows,
		// topEngineers, flow completions (1 batch), engineer completions
		// (1 batch): 8 calls, all but auth of rollup functions.
		{"team full", uZeta, teamFull, 8, 7, 1, 1, 0},
		// auth, summary, previousSummary, timeSeries, topFlows, flow
		// completions: 6 calls, all but auth of rollup functions.
		{"personal full", uAlpha, myFull, 6, 5, 1, 0, 0},
		// auth, flow, summary, previousSummary, ratings (avgCsat,
		// totalRatings and ratingDistribution share one), timeSeries,
		// stepFeedback, recentComments: 8 calls, all but auth, flow and
		// recentComments of rollup functions.
		{"flow full", uEmile, flowFull, 8, 5, 0, 0, 1},
		// Three scopes: auth, 3 topFlows, 1 topEngineers, one flow
		// completion statement per scope, one engineer completion statement.
		{"three scopes", uZeta, scopesQuery, 9, 8, 3, 1, 0},
		// The path fields: auth, the flow, transitions, exit nodes.
		{"flow paths", uEmile, `query($l: Int!) { flowAnalytics(treeId: "` + tCheckout + `", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
		  transitions(limit: $l) ` + transitionSel + ` exitNodes(limit: $l) ` + exitSel + ` } }`, 4, 2, 0, 0, 0},
		// Lists without completionRate load no completion counts: auth,
		// topFlows, topEngineers.
		{"team lists without completionRate", uZeta, `query($l: Int!) { teamAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
		  topFlows(limit: $l) { treeId name sessions } topEngineers(limit: $l) { userId medianDurationMinutes } } }`, 3, 2, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// limit 5 lists 5 of the 6 flows and engineers of W, limit 50 all 6.
			for _, limit := range []int{5, 50, 5, 50, 5, 50} {
				e.rec.reset()
				e.counter.Reset()
				e.ok(t, c.viewer, c.query, map[string]any{"l": limit})
				k := classify(e.rec.all())
				if k.other != c.calls || int(e.counter.Calls()) != c.calls || k.total != int(e.counter.Count()) {
					t.Errorf("limit %d: %d queries (counter: %d calls), %d statements (counter %d), want %d calls:\n%s",
						limit, k.other, e.counter.Calls(), k.total, e.counter.Count(), c.calls, strings.Join(e.rec.all(), "\n"))
				}
				// Every call that is not a rollup function's runs in a
				// transaction of its own: one BEGIN, set_config and COMMIT
				// each; the rollup functions' calls in one round trip.
				if inTx := c.calls - c.single; k.single != c.single || k.begin != inTx || k.commit != inTx || k.setConfig != inTx || k.total != inTx*4+c.single {
					t.Errorf("limit %d: %d in one round trip, BEGIN %d, set_config %d, COMMIT %d, %d statements; want %d in one round trip, %d of each, %d statements:\n%s",
						limit, k.single, k.begin, k.setConfig, k.commit, k.total, c.single, inTx, inTx*4+c.single, strings.Join(e.rec.all(), "\n"))
				}
				if len(k.flowCompletions) != c.flowBatch || len(k.engineerCompletions) != c.engBatch || k.ratings != c.ratings {
					t.Errorf("limit %d: %d flow completion, %d engineer completion, %d rating statements; want %d, %d, %d",
						limit, len(k.flowCompletions), len(k.engineerCompletions), k.ratings, c.flowBatch, c.engBatch, c.ratings)
				}
				// The team lists hold min(limit, 6) items, all in the one batch.
				if c.flowBatch+c.engBatch == 2 {
					n := min(limit, 6)
					for _, s := range append(k.flowCompletions, k.engineerCompletions...) {
						_, ids, _ := strings.Cut(s, " IN (")
						if got := strings.Count(ids, "', '") + 1; got != n {
							t.Errorf("limit %d: batch of %d ids, want %d: %s", limit, got, n, s)
						}
					}
				}
			}
		})
	}
}
