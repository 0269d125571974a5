package httpapi

import (
	"testing"
)

// flowQuery asks for every field of FlowAnalytics.
const flowQuery = `query($tree: UUID!, $period: Period, $from: Time, $to: Time, $tz: String = "UTC", $lc: Int = 10) {
  flowAnalytics(treeId: $tree, period: $period, from: $from, to: $to, timeZone: $tz) {
    flow { id name }
    window ` + windowSel + `
    summary ` + summarySel + `
    previousSummary ` + summarySel + `
    avgCsat
    totalRatings
    ratingDistribution ` + ratingSel + `
    timeSeries ` + pointSel + `
    stepFeedback ` + stepSel + `
    recentComments(limit: $lc) ` + commentSel + `
  }
}`

// step renders an expected StepFeedback entry.
func step(id, title string, yes, no int, helpfulRate float64, visits, dropoffs int, dropoffRate float64) string {
	return `{"nodeId":` + quote(id) + `,"nodeTitle":` + quote(title) + `,"helpfulYes":` + itoa(yes) + `,"helpfulNo":` + itoa(no) +
		`,"helpfulRate":` + ftoa(helpfulRate) + `,"visitCount":` + itoa(visits) + `,"dropoffCount":` + itoa(dropoffs) + `,"dropoffRate":` + ftoa(dropoffRate) + `}`
}

// recentT1 are T1's comments, whatever the window, newest first, ties by id:
// R7 and R6 share 2026-04-01T00:00 (R7's id …0e < R6's …0f), then R4, R1,
// R5 (1µs before W). R2 (NULL) and R3 ("") are not comments; RB is B's.
var recentT1 = []string{
	`{"rating":3,"comment":"tie earlier id","createdAt":"2026-04-01T00:00:00Z"}`,
	`{"rating":3,"comment":"tie later id","createdAt":"2026-04-01T00:00:00Z"}`,
	`{"rating":2,"comment":"Too long","createdAt":"2026-03-20T08:00:00Z"}`,
	`{"rating":5,"comment":"Great","createdAt":"2026-03-10T10:00:00Z"}`,
	`{"rating":1,"comment":"old one","createdAt":"2026-02-28T23:59:59.999999Z"}`,
}

func TestAPIFlowAnalytics(t *testing.T) {
	e := newEnv(t, apiEnv)

	// T1 "Checkout" over W, read by an engineer (any active user may).
	//
	// summary: a (10m res), b (1m esc), c (—, resolved), d (47m, NULL), e
	// (—): 5, completed 3 → 0.6; sorted 1, 10, 47: median 10, p90 position
	// 1.8 → 10 + 0.8×37 = 39.6; active Zeta, Émile, Ivan = 3; resolved a,
	// escalated b. x1 (B's user on T1) and z1 (at W's end) are out.
	// previousSummary: p1 only (20m, resolved).
	// Ratings created in W: R1 5, R2 4, R3 4, R4 2 → 15/4 = 3.75 → 3.8;
	// distribution 1:0 2:1 3:0 4:2 5:1 (R5 is 1µs early, R6/R7 at W's end).
	// Days: 03-01 a (res), 03-02 b (esc), 03-10 c (res), d, 03-28 e.
	//
	// stepFeedback: counted decisions per session
	//   a: root q1 t1 (completed)
	//   b: seven skipped entries, root q1 q1 (completed)
	//   c: root q1 root ghost (not completed: drop-off at ghost)
	//   d: NULL decisions (skipped)
	//   e: t2 n3 nn 7 nt deep meta arr objchild q1 (not completed: drop-off at q1)
	// visits: root 1+1+2 = 4, q1 1+2+1+1 = 5, t1 1, ghost 1, t2 n3 nn 7 nt
	// deep meta arr objchild 1 each. Drop-offs: ghost 1/1 = 1, q1 1/5 = 0.2, others 0.
	// Step ratings in W: root yes 2 no 1 (2/3 = 0.667; the 02-15 "no" is
	// out), q1 no 1 (0), t1 yes 1 (1; its two "no" are 1µs before W and
	// at W's end). "unvisited" has a rating but no decision: no entry.
	// Titles: root "Start"; q1 question; t1 title "" → question "Restart
	// it"; n3 neither → "Unnamed"; nn both "" → "Unnamed"; nt title 5 (not a
	// string) → question "Q5"; deep (nested in n3's children) "Deep title";
	// t2 title wins over question; ghost, "7" (the structure's id is the
	// number 7) and meta, arr, objchild (objects outside any children
	// array) → "Unknown Step".
	// Order: rounded dropoffRate desc (ghost 1, q1 0.2), then node id in
	// byte order: "7" < "arr" < "deep" < "meta" < "n3" < "nn" < "nt" <
	// "objchild" < "root" < "t1" < "t2".
	t1Steps := list(
		step("ghost", "Unknown Step", 0, 0, 0, 1, 1, 1),
		step("q1", "Is it plugged in?", 0, 1, 0, 5, 1, 0.2),
		step("7", "Unknown Step", 0, 0, 0, 1, 0, 0),
		step("arr", "Unknown Step", 0, 0, 0, 1, 0, 0),
		step("deep", "Deep title", 0, 0, 0, 1, 0, 0),
		step("meta", "Unknown Step", 0, 0, 0, 1, 0, 0),
		step("n3", "Unnamed", 0, 0, 0, 1, 0, 0),
		step("nn", "Unnamed", 0, 0, 0, 1, 0, 0),
		step("nt", "Q5", 0, 0, 0, 1, 0, 0),
		step("objchild", "Unknown Step", 0, 0, 0, 1, 0, 0),
		step("root", "Start", 2, 1, 0.667, 4, 0, 0),
		step("t1", "Restart it", 1, 0, 1, 1, 0, 0),
		step("t2", "Call support", 0, 0, 0, 1, 0, 0),
	)
	t.Run("T1 over W, every field", func(t *testing.T) {
		for _, viewer := range []string{uEmile, uAlpha, uZeta, uBob} {
			d := e.ok(t, viewer, flowQuery, with(windowW(), "tree", tCheckout))
			assertJSON(t, d, `{"flowAnalytics":{
				"flow":{"id":"`+tCheckout+`","name":"Checkout"},
				"window":{"from":"2026-03-01T00:00:00Z","to":"2026-04-01T00:00:00Z","timeZone":"UTC"},
				"summary":`+sum(5, 3, 0.6, 10, 39.6, 3, 1, 1, 0, 0)+`,
				"previousSummary":`+sum(1, 1, 1, 20, 20, 1, 1, 0, 0, 0)+`,
				"avgCsat":3.8,"totalRatings":4,
				"ratingDistribution":[{"rating":1,"count":0},{"rating":2,"count":1},{"rating":3,"count":0},{"rating":4,"count":2},{"rating":5,"count":1}],
				"timeSeries":`+series(dates("2026-03-01", 31, 1),
				pt{"2026-03-01", 1, 1, 0, 0, 0}, pt{"2026-03-02", 1, 0, 1, 0, 0},
				pt{"2026-03-10", 2, 1, 0, 0, 0}, pt{"2026-03-28", 1, 0, 0, 0, 0})+`,
				"stepFeedback":`+t1Steps+`,
				"recentComments":`+list(recentT1...)+`}}`)
		}
	})

	t.Run("recentComments limit", func(t *testing.T) {
		d := e.ok(t, uEmile, flowQuery, with(windowW(), "tree", tCheckout, "lc", 2))
		assertJSON(t, pick(t, d, "flowAnalytics", "recentComments"), list(recentT1[:2]...))
		d = e.ok(t, uEmile, flowQuery, with(windowW(), "tree", tCheckout, "lc", 1))
		assertJSON(t, pick(t, d, "flowAnalytics", "recentComments"), list(recentT1[:1]...))
		d = e.ok(t, uEmile, flowQuery, with(windowW(), "tree", tCheckout, "lc", 100))
		assertJSON(t, pick(t, d, "flowAnalytics", "recentComments"), list(recentT1...))
	})

	// No session and no rating in the window: zeros, avgCsat null, five
	// zero counts, no steps; the comments do not depend on the window.
	t.Run("T1 over a window without sessions", func(t *testing.T) {
		d := e.ok(t, uEmile, flowQuery, map[string]any{"tree": tCheckout, "from": "2025-06-01T00:00:00Z", "to": "2025-06-03T00:00:00Z"})
		assertJSON(t, d, `{"flowAnalytics":{
			"flow":{"id":"`+tCheckout+`","name":"Checkout"},
			"window":{"from":"2025-06-01T00:00:00Z","to":"2025-06-03T00:00:00Z","timeZone":"UTC"},
			"summary":`+zeroSummary+`,"previousSummary":`+zeroSummary+`,
			"avgCsat":null,"totalRatings":0,
			"ratingDistribution":[{"rating":1,"count":0},{"rating":2,"count":0},{"rating":3,"count":0},{"rating":4,"count":0},{"rating":5,"count":0}],
			"timeSeries":`+series([]string{"2025-06-01", "2025-06-02"})+`,
			"stepFeedback":[],
			"recentComments":`+list(recentT1...)+`}}`)
	})

	// Step feedback of the other trees over W.
	const steps = `query($tree: UUID!) { flowAnalytics(treeId: $tree, from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { flow { id name } stepFeedback ` + stepSel + ` } }`
	stepCases := []struct {
		name, tree, flowName, want string
	}{
		// T2, structure a JSON string: f's decisions are a JSON string
		// (skipped); g (completed) visits x, which has a "yes" in W.
		{"structure is a JSON string", tBetaLow, "beta", list(step("x", "Unknown Step", 1, 0, 1, 1, 0, 0))},
		// T3, structure an array: h (not completed) ends with "junk", not a
		// counted decision, so r has no drop-off; i's decisions are JSON null.
		{"structure is an array", tBetaUp, "Beta", list(step("r", "Unknown Step", 0, 0, 0, 1, 0, 0))},
		// T4, 10,000 nested levels: j visits n0 and n9999 (completed).
		{"structure 10,000 levels deep", tDeep, "Deep", list(
			step("n0", "Level 0", 0, 0, 0, 1, 0, 0),
			step("n9999", "Level 9999", 0, 0, 0, 1, 0, 0))},
		// T5: k's decisions are an object; T6: l's are an empty array.
		{"decisions an object", tSame5, "Same", `[]`},
		{"decisions an empty array", tSame6, "Same", `[]`},
	}
	// T6 on 2025-03-30: l2 (not completed) visits s1 twice and ends there:
	// 2 visits, 1 drop-off (one session) → 0.5; the structure {} has no
	// node with an id.
	t.Run("revisit then drop-off", func(t *testing.T) {
		d := e.ok(t, uEmile, `{ flowAnalytics(treeId: "`+tSame6+`", from: "2025-03-30T00:00:00Z", to: "2025-03-31T00:00:00Z") { stepFeedback `+stepSel+` } }`, nil)
		assertJSON(t, d, `{"flowAnalytics":{"stepFeedback":`+list(step("s1", "Unknown Step", 0, 0, 0, 2, 1, 0.5))+`}}`)
	})

	for _, c := range stepCases {
		t.Run(c.name, func(t *testing.T) {
			d := e.ok(t, uEmile, steps, map[string]any{"tree": c.tree})
			assertJSON(t, d, `{"flowAnalytics":{"flow":{"id":"`+c.tree+`","name":"`+c.flowName+`"},"stepFeedback":`+c.want+`}}`)
		})
	}
}
