package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"flowlens/playground"
)

// The sessions connections (API.md, "sessions") over the drill-down
// fixture (drillfixture_test.go): orders with their ties, every filter
// criterion alone and combined, the fields of a session, paging.

// The three orders of W's 12 sessions of account A (fixture comment).
var (
	newest  = sids(12, 11, 9, 10, 8, 7, 6, 5, 4, 3, 1, 2)
	oldest  = sids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	longest = sids(9, 10, 4, 1, 2, 7, 11, 6, 3, 5, 8, 12)
)

func TestSessionsOrders(t *testing.T) {
	e := newEnv(t, drillEnv)
	for _, c := range []struct {
		order string
		want  []string
	}{
		// NEWEST: 12 (03-29), 11 (03-20), 09 and 10 both 03-12 08:00 (id
		// order), 08, 07, 06, 05, 04, 03, then 01 and 02 both 03-05 10:00.
		{"NEWEST", newest},
		{"OLDEST", oldest},
		// LONGEST: 45 min (09, 10 by id), 30 (04), 10 (01, 02 by id), 2.5
		// (07), 1.55 (11), −5 (06: completed, so before every session not
		// completed), then the not completed by id: 03, 05, 08, 12.
		{"LONGEST", longest},
	} {
		p := e.okPage(t, dAda, teamRoot, "orderBy: "+c.order+", first: 100")
		sameIDs(t, c.order, p.IDs, c.want)
		if p.Total != 12 || p.HasNext {
			t.Errorf("%s: totalCount %d, hasNextPage %v; want 12, false", c.order, p.Total, p.HasNext)
		}
		// Paging through all pages gives the same list, whatever first.
		for _, first := range []int{1, 2, 5, 12} {
			sameIDs(t, fmt.Sprintf("%s paged by %d", c.order, first), e.all(t, dAda, teamRoot, "orderBy: "+c.order, first), c.want)
		}
	}
	// The default order is NEWEST, first 50.
	sameIDs(t, "default", e.okPage(t, dAda, teamRoot, "").IDs, newest)
}

func TestSessionsFilters(t *testing.T) {
	e := newEnv(t, drillEnv)
	for _, c := range []struct {
		name, filter string
		want         []int // OLDEST order
	}{
		// Alone.
		{"treeId T1", `treeId: "` + dT1 + `"`, []int{1, 2, 3, 4, 5, 8, 10, 12}},
		{"treeId of account B", `treeId: "` + dTB + `"`, nil},
		{"engineerId Ben", `engineerId: "` + dBen + `"`, []int{1, 2, 5, 6, 10}},
		{"engineerId of account B", `engineerId: "` + dBert + `"`, nil},
		// Exactly the stored word: 09's "Resolved" and 07's "gave_up" are none of them.
		{"outcomes resolved", `outcomes: [RESOLVED]`, []int{1, 5, 11}},
		{"outcomes escalated, unresolved", `outcomes: [ESCALATED, UNRESOLVED]`, []int{2, 6, 10, 12}},
		{"outcomes given empty", `outcomes: []`, nil},
		{"completed", `completed: true`, []int{1, 2, 4, 6, 7, 9, 10, 11}},
		{"not completed", `completed: false`, []int{3, 5, 8, 12}},
		// Counted decisions with power: 01, 03, 04 (after junk), 05, 10 (twice); B's 16 and 17 are B's.
		{"visitedNode power", `visitedNode: "power"`, []int{1, 3, 4, 5, 10}},
		{"visitedNode cable", `visitedNode: "cable"`, []int{1, 8}},
		// 06's [r] counts; 07's decisions are an object, not an array.
		{"visitedNode r", `visitedNode: "r"`, []int{6}},
		{"visitedNode empty", `visitedNode: ""`, nil},
		// Not completed, last entry a counted decision at the node: 03; 05's last entry is "junk", 08's is cable.
		{"droppedOffAt power", `droppedOffAt: "power"`, []int{3}},
		{"droppedOffAt cable", `droppedOffAt: "cable"`, []int{8}},
		{"droppedOffAt queue", `droppedOffAt: "queue"`, []int{12}},
		{"droppedOffAt start", `droppedOffAt: "start"`, nil},
		{"droppedOffAt empty", `droppedOffAt: ""`, nil},
		// Completed with a duration ≥ 10 min: 01, 02 (10), 04 (30), 09, 10 (45).
		{"minDurationMinutes 10", `minDurationMinutes: 10`, []int{1, 2, 4, 9, 10}},
		// Completed with a duration < 10 min: 06 (−5), 07 (2.5), 11 (1.55).
		{"maxDurationMinutes 10", `maxDurationMinutes: 10`, []int{6, 7, 11}},
		// 11's 1.55 min is < 1.6 unrounded (its durationMinutes shows 1.6).
		{"maxDurationMinutes 1.6", `maxDurationMinutes: 1.6`, []int{6, 11}},
		// 11 lasted exactly 1.55 min (93 s): the decimal the client wrote, not
		// its binary neighbour 1.55000000000000004, is the bound.
		{"minDurationMinutes 1.55", `minDurationMinutes: 1.55`, []int{1, 2, 4, 7, 9, 10, 11}},
		{"maxDurationMinutes 1.55", `maxDurationMinutes: 1.55`, []int{6}},
		// csat: 01 2, 02 1, 04 3, 06 5, 10 2.
		{"maxCsat 2", `maxCsat: 2`, []int{1, 2, 10}},
		{"maxCsat 1", `maxCsat: 1`, []int{2}},
		{"maxCsat 5", `maxCsat: 5`, []int{1, 2, 4, 6, 10}},
		// Combined: every criterion must hold.
		{"T1, not completed, visited power", `treeId: "` + dT1 + `", completed: false, visitedNode: "power"`, []int{3, 5}},
		// Ben's 01 (resolved, 10 min) and 10 (unresolved, 45 min); 05 is not completed, 06 lasted −5 min.
		{"Ben, resolved or unresolved, ≥ 5 min", `engineerId: "` + dBen + `", outcomes: [RESOLVED, UNRESOLVED], minDurationMinutes: 5`, []int{1, 10}},
		{"csat ≤ 2, visited power, completed", `maxCsat: 2, visitedNode: "power", completed: true`, []int{1, 10}},
		// 2.5 ≤ duration < 30: 01, 02 (10), 07 (2.5).
		{"2.5 ≤ duration < 30", `minDurationMinutes: 2.5, maxDurationMinutes: 30`, []int{1, 2, 7}},
		{"dropped off at power, Ada", `droppedOffAt: "power", engineerId: "` + dAda + `"`, []int{3}},
		{"dropped off at power, Ben", `droppedOffAt: "power", engineerId: "` + dBen + `"`, nil},
		{"dropped off at power, completed", `droppedOffAt: "power", completed: true`, nil},
		{"every criterion", `treeId: "` + dT1 + `", engineerId: "` + dBen + `", outcomes: [UNRESOLVED], completed: true, visitedNode: "power",
			minDurationMinutes: 40, maxDurationMinutes: 50, maxCsat: 2`, []int{10}},
		{"every criterion, one off (maxCsat 1)", `treeId: "` + dT1 + `", engineerId: "` + dBen + `", outcomes: [UNRESOLVED], completed: true, visitedNode: "power",
			minDurationMinutes: 40, maxDurationMinutes: 50, maxCsat: 1`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := sids(c.want...)
			p := e.okPage(t, dAda, teamRoot, "filter: {"+c.filter+"}, orderBy: OLDEST, first: 100")
			sameIDs(t, "OLDEST", p.IDs, want)
			if p.Total != len(want) {
				t.Errorf("totalCount %d, want %d", p.Total, len(want))
			}
			// The same sessions in the other orders, and page by page.
			for order, full := range map[string][]string{"NEWEST": newest, "LONGEST": longest} {
				sub := keep(full, want)
				sameIDs(t, order, e.okPage(t, dAda, teamRoot, "filter: {"+c.filter+"}, orderBy: "+order+", first: 100").IDs, sub)
				sameIDs(t, order+" paged by 2", e.all(t, dAda, teamRoot, "filter: {"+c.filter+"}, orderBy: "+order, 2), sub)
			}
		})
	}
}

// keep returns the ids of full that are in sub, in full's order.
func keep(full, sub []string) []string {
	in := map[string]bool{}
	for _, id := range sub {
		in[id] = true
	}
	out := []string{}
	for _, id := range full {
		if in[id] {
			out = append(out, id)
		}
	}
	return out
}

func TestSessionFields(t *testing.T) {
	e := newEnv(t, drillEnv)
	q := `{ teamAnalytics(` + drillWindow + `) { sessions(orderBy: OLDEST, first: 100) { edges { node {
		id flow { id name } engineer { id name } startedAt completedAt durationMinutes outcome csat stepCount
		steps { nodeId nodeTitle } two: steps(limit: 2) { nodeId } } } } } }`
	var data struct {
		TeamAnalytics struct {
			Sessions struct {
				Edges []struct {
					Node map[string]any `json:"node"`
				} `json:"edges"`
			} `json:"sessions"`
		} `json:"teamAnalytics"`
	}
	if err := json.Unmarshal(e.ok(t, dAda, q, nil), &data); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ed := range data.TeamAnalytics.Sessions.Edges {
		b, _ := json.Marshal(ed.Node)
		got[label(ed.Node["id"].(string))] = string(b)
	}
	step := func(id, title string) string { return `{"nodeId":"` + id + `","nodeTitle":"` + title + `"}` }
	for n, want := range map[string]string{
		// csat 2: the later of its two ratings; titles from T1's structure.
		"01": `{"completedAt":"2026-03-05T10:10:00Z","csat":2,"durationMinutes":10,"engineer":{"id":"` + dBen + `","name":"Ben"},` +
			`"flow":{"id":"` + dT1 + `","name":"Printer"},"id":"` + sid(1) + `","outcome":"RESOLVED","startedAt":"2026-03-05T10:00:00Z",` +
			`"stepCount":3,"steps":[` + step("start", "Start") + `,` + step("power", "Power on?") + `,` + step("cable", "Check the cable") + `],` +
			`"two":[{"nodeId":"start"},{"nodeId":"power"}]}`,
		// csat 1: two ratings at the same instant, the smaller id's.
		"02": `{"completedAt":"2026-03-05T10:10:00Z","csat":1,"durationMinutes":10,"engineer":{"id":"` + dBen + `","name":"Ben"},` +
			`"flow":{"id":"` + dT1 + `","name":"Printer"},"id":"` + sid(2) + `","outcome":"ESCALATED","startedAt":"2026-03-05T10:00:00Z",` +
			`"stepCount":2,"steps":[` + step("start", "Start") + `,` + step("queue", "Unnamed") + `],"two":[{"nodeId":"start"},{"nodeId":"queue"}]}`,
		// csat 3 from a rating created after W; the junk entries do not count.
		"04": `{"completedAt":"2026-03-07T09:30:00Z","csat":3,"durationMinutes":30,"engineer":{"id":"` + dAda + `","name":"Ada"},` +
			`"flow":{"id":"` + dT1 + `","name":"Printer"},"id":"` + sid(4) + `","outcome":"WORKAROUND","startedAt":"2026-03-07T09:00:00Z",` +
			`"stepCount":2,"steps":[` + step("start", "Start") + `,` + step("power", "Power on?") + `],"two":[{"nodeId":"start"},{"nodeId":"power"}]}`,
		// Not completed, stored outcome resolved: null duration, outcome RESOLVED all the same.
		"05": `{"completedAt":null,"csat":null,"durationMinutes":null,"engineer":{"id":"` + dBen + `","name":"Ben"},` +
			`"flow":{"id":"` + dT1 + `","name":"Printer"},"id":"` + sid(5) + `","outcome":"RESOLVED","startedAt":"2026-03-08T12:00:00Z",` +
			`"stepCount":2,"steps":[` + step("start", "Start") + `,` + step("power", "Power on?") + `],"two":[{"nodeId":"start"},{"nodeId":"power"}]}`,
		// A negative duration.
		"06": `{"completedAt":"2026-03-09T07:55:00Z","csat":5,"durationMinutes":-5,"engineer":{"id":"` + dBen + `","name":"Ben"},` +
			`"flow":{"id":"` + dT2 + `","name":"=SUM(A1:A2)"},"id":"` + sid(6) + `","outcome":"UNRESOLVED","startedAt":"2026-03-09T08:00:00Z",` +
			`"stepCount":1,"steps":[` + step("r", "Root") + `],"two":[{"nodeId":"r"}]}`,
		// A nameless engineer, an outcome that is none of the four, decisions that are no array.
		"07": `{"completedAt":"2026-03-10T08:02:30Z","csat":null,"durationMinutes":2.5,"engineer":{"id":"` + dNon + `","name":"Unknown"},` +
			`"flow":{"id":"` + dT2 + `","name":"=SUM(A1:A2)"},"id":"` + sid(7) + `","outcome":null,"startedAt":"2026-03-10T08:00:00Z",` +
			`"stepCount":0,"steps":[],"two":[]}`,
		// "Resolved" is not "resolved"; NULL decisions.
		"09": `{"completedAt":"2026-03-12T08:45:00Z","csat":null,"durationMinutes":45,"engineer":{"id":"` + dEve + `","name":"-Eve, \"the\" @x\nline 2"},` +
			`"flow":{"id":"` + dT3 + `","name":"Net, \"Wi-Fi\"\nFloor 2"},"id":"` + sid(9) + `","outcome":null,"startedAt":"2026-03-12T08:00:00Z",` +
			`"stepCount":0,"steps":[],"two":[]}`,
		// 93 s = 1.55 min, rounded half away from zero: 1.6.
		"11": `{"completedAt":"2026-03-20T14:01:33Z","csat":null,"durationMinutes":1.6,"engineer":{"id":"` + dAt + `","name":"@home"},` +
			`"flow":{"id":"` + dT2 + `","name":"=SUM(A1:A2)"},"id":"` + sid(11) + `","outcome":"RESOLVED","startedAt":"2026-03-20T14:00:00Z",` +
			`"stepCount":0,"steps":[],"two":[]}`,
		// ghost is not in T1's structure.
		"12": `{"completedAt":null,"csat":null,"durationMinutes":null,"engineer":{"id":"` + dPlus + `","name":"+plus"},` +
			`"flow":{"id":"` + dT1 + `","name":"Printer"},"id":"` + sid(12) + `","outcome":"ESCALATED","startedAt":"2026-03-29T01:30:00Z",` +
			`"stepCount":3,"steps":[` + step("start", "Start") + `,` + step("ghost", "Unknown Step") + `,` + step("queue", "Unnamed") + `],"two":[{"nodeId":"start"},{"nodeId":"ghost"}]}`,
	} {
		if got[n] != want {
			t.Errorf("session %s:\n got %s\nwant %s", n, got[n], want)
		}
	}
	if len(got) != 12 {
		t.Errorf("%d sessions, want 12", len(got))
	}
}

func TestSessionsRoles(t *testing.T) {
	e := newEnv(t, drillEnv)
	// teamAnalytics.sessions follows teamAnalytics: an engineer is refused.
	if _, r := e.page(t, dBen, teamRoot, ""); r.code(0) != "FORBIDDEN" || string(r.Data) != `{"teamAnalytics":null}` {
		t.Errorf("engineer: %s", r.Body)
	}
	// A super admin sees the whole account, like a team admin.
	sameIDs(t, "super admin", e.okPage(t, dSue, teamRoot, "first: 100").IDs, newest)
	// With engineerId, only that engineer's sessions: Ben's 10, 06, 05, 01, 02.
	p := e.okPage(t, dAda, `teamAnalytics(`+drillWindow+`, engineerId: "`+dBen+`")`, "")
	sameIDs(t, "team of Ben", p.IDs, sids(10, 6, 5, 1, 2))
	// An engineer of the other account matches nothing.
	if p := e.okPage(t, dAda, `teamAnalytics(`+drillWindow+`, engineerId: "`+dBert+`")`, ""); p.Total != 0 || len(p.IDs) != 0 {
		t.Errorf("team of B's engineer: %+v", p)
	}
	// myAnalytics.sessions: the viewer's own.
	p = e.okPage(t, dBen, myRoot, "")
	sameIDs(t, "Ben's own", p.IDs, sids(10, 6, 5, 1, 2))
	if p.Total != 5 {
		t.Errorf("Ben's own: totalCount %d, want 5", p.Total)
	}
	if p := e.okPage(t, dBen, myRoot, `filter: {engineerId: "`+dAda+`"}`); p.Total != 0 || len(p.IDs) != 0 {
		t.Errorf("Ben's own filtered to Ada: %+v", p)
	}
	// flowAnalytics.sessions: admins see all of T1's 8, an engineer only
	// their own (01, 02, 05, 10), totalCount included.
	p = e.okPage(t, dAda, flowRoot, "")
	sameIDs(t, "T1 as admin", p.IDs, sids(12, 10, 8, 5, 4, 3, 1, 2))
	if p.Total != 8 {
		t.Errorf("T1 as admin: totalCount %d, want 8", p.Total)
	}
	p = e.okPage(t, dSue, flowRoot, "orderBy: OLDEST")
	sameIDs(t, "T1 as super admin", p.IDs, sids(1, 2, 3, 4, 5, 8, 10, 12))
	p = e.okPage(t, dBen, flowRoot, "")
	sameIDs(t, "T1 as Ben", p.IDs, sids(10, 5, 1, 2))
	if p.Total != 4 {
		t.Errorf("T1 as Ben: totalCount %d, want 4", p.Total)
	}
	// Another tree in flowAnalytics' filter matches nothing.
	if p := e.okPage(t, dAda, flowRoot, `filter: {treeId: "`+dT2+`"}`); p.Total != 0 || len(p.IDs) != 0 {
		t.Errorf("T1 filtered to T2: %+v", p)
	}
}

func TestSessionsIsolation(t *testing.T) {
	e := newEnv(t, drillEnv)
	// Account B's admin sees B's two sessions only (15, A's tree run by B's Bob, counts nowhere).
	p := e.okPage(t, dBert, teamRoot, "orderBy: OLDEST")
	sameIDs(t, "account B", p.IDs, sids(16, 17))
	if p.Total != 2 {
		t.Errorf("account B: totalCount %d", p.Total)
	}
	// A's filter with B's tree or engineer matches nothing; so does B's with A's.
	for _, c := range []struct{ viewer, filter string }{
		{dAda, `treeId: "` + dTB + `"`}, {dAda, `engineerId: "` + dBob + `"`}, {dAda, `engineerId: "` + dBert + `"`},
		{dBert, `treeId: "` + dT1 + `"`}, {dBert, `engineerId: "` + dBen + `"`},
	} {
		if p := e.okPage(t, c.viewer, teamRoot, "filter: {"+c.filter+"}"); p.Total != 0 || len(p.IDs) != 0 {
			t.Errorf("%s with %s: %+v", c.viewer, c.filter, p)
		}
	}
	// B's node ids are T1's: A's visitedNode and droppedOffAt see A's sessions only.
	sameIDs(t, "B dropped off at power", e.okPage(t, dBert, teamRoot, `filter: {droppedOffAt: "power"}`).IDs, sids(17))
	sameIDs(t, "B visited power", e.okPage(t, dBert, teamRoot, `filter: {visitedNode: "power"}, orderBy: OLDEST`).IDs, sids(16, 17))
	// Another account's flow: NOT_FOUND, as flowAnalytics says.
	_, r := e.page(t, dAda, `flowAnalytics(treeId: "`+dTB+`")`, "")
	if r.code(0) != "NOT_FOUND" || r.Errors[0].Message != "flow not found" {
		t.Errorf("B's flow as A: %s", r.Body)
	}
}

func TestSessionsArguments(t *testing.T) {
	e := newEnv(t, drillEnv)
	for _, c := range []struct{ args, arg string }{
		{"first: 0", "first"}, {"first: 101", "first"}, {"first: -1", "first"},
		{"filter: {maxCsat: 0}", "maxCsat"}, {"filter: {maxCsat: 6}", "maxCsat"},
		{`after: ""`, "after"},
	} {
		_, r := e.page(t, dAda, teamRoot, c.args)
		if r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, c.arg+": ") {
			t.Errorf("%s: %s", c.args, r.Body)
		}
		assertSafeMessage(t, r.Errors[0].Message)
	}
	// The largest legitimate values pass.
	if p := e.okPage(t, dAda, teamRoot, "first: 100, filter: {maxCsat: 5}"); len(p.IDs) != 5 {
		t.Errorf("first 100, maxCsat 5: %d sessions", len(p.IDs))
	}
	if p := e.okPage(t, dAda, teamRoot, "first: 1, filter: {maxCsat: 1}"); len(p.IDs) != 1 || p.HasNext {
		t.Errorf("first 1, maxCsat 1: %+v", p)
	}
	// The same through variables.
	r := e.as(t, dAda, `query($f: Int, $c: Int) { teamAnalytics(`+drillWindow+`) { sessions(first: $f, filter: {maxCsat: $c}) { totalCount } } }`, map[string]any{"f": 101, "c": 1})
	if r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, "first: ") {
		t.Errorf("first 101 as a variable: %s", r.Body)
	}
	// steps(limit) is 1 to 100, never clamped.
	for _, limit := range []int{0, 101} {
		r := e.as(t, dAda, fmt.Sprintf(`{ teamAnalytics(%s) { sessions(first: 1) { edges { node { steps(limit: %d) { nodeId } } } } } }`, drillWindow, limit), nil)
		if r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, "limit: ") {
			t.Errorf("steps(limit: %d): %s", limit, r.Body)
		}
	}
	e.ok(t, dAda, `{ teamAnalytics(`+drillWindow+`) { sessions { edges { node { a: steps(limit: 1) { nodeId } b: steps(limit: 100) { nodeId } } } } } }`, nil)
	// A malformed UUID or an unknown enum value in the filter.
	for _, c := range []struct{ args, arg string }{
		{`filter: {treeId: "nope"}`, "treeId"}, {`filter: {engineerId: "1"}`, "engineerId"},
	} {
		_, r := e.page(t, dAda, teamRoot, c.args)
		if r.code(0) != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, c.arg) {
			t.Errorf("%s: %s", c.args, r.Body)
		}
	}
}

// TestSessionsStatements: a page is one store call whatever `first` and
// whatever its sessions show (flow, engineer, csat, steps with titles);
// totalCount is one more; the authentication lookup is one (4 SQL
// statements per store call: BEGIN, set_config, the query, COMMIT).
func TestSessionsStatements(t *testing.T) {
	e := newEnv(t, drillEnv)
	node := `node { id flow { id name } engineer { id name } startedAt completedAt durationMinutes outcome csat stepCount steps { nodeId nodeTitle } s: steps(limit: 1) { nodeId } }`
	for _, c := range []struct {
		name, root, sel string
		calls           int
	}{
		{"page of 1", teamRoot, `sessions(first: 1) { edges { cursor ` + node + ` } pageInfo { hasNextPage endCursor } }`, 1 + 1},
		{"page of 100", teamRoot, `sessions(first: 100) { edges { cursor ` + node + ` } pageInfo { hasNextPage endCursor } }`, 1 + 1},
		{"pageInfo alone", teamRoot, `sessions { pageInfo { hasNextPage } }`, 1 + 1},
		{"totalCount alone", teamRoot, `sessions { totalCount }`, 1 + 1},
		{"page and totalCount", teamRoot, `sessions(first: 100) { totalCount edges { ` + node + ` } pageInfo { endCursor } }`, 1 + 2},
		{"two aliased pages", teamRoot, `a: sessions(first: 5) { edges { cursor } } b: sessions(orderBy: LONGEST) { edges { cursor } totalCount }`, 1 + 3},
		{"flow: lookup, page, totalCount", flowRoot, `sessions(first: 100) { totalCount edges { ` + node + ` } }`, 1 + 1 + 2},
		{"personal", myRoot, `sessions(first: 100, filter: {visitedNode: "power"}) { totalCount edges { ` + node + ` } }`, 1 + 2},
	} {
		n, r := e.calls(t, uuidOf(dAda), "{ "+c.root+" { "+c.sel+" } }")
		if r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("%s: %s", c.name, r.Body)
		}
		if n != int64(c.calls) {
			t.Errorf("%s: %d store calls, want %d", c.name, n, c.calls)
		}
	}
}

// TestPlaygroundDrillDownTab runs the Playground's drill-down tab as it
// stands, then its next page with the cursor it shows. Over LAST_30_DAYS
// ([03-02, 04-01)) the sessions rated 2 or less are 01, 02 and 10;
// LONGEST: 10 (45 min), 01 and 02 (10 min, id order).
func TestPlaygroundDrillDownTab(t *testing.T) {
	e := newEnv(t, drillEnv)
	tab := playground.Examples()[3]
	var vars map[string]any
	if err := json.Unmarshal([]byte(tab.Variables), &vars); err != nil {
		t.Fatal(err)
	}
	var data struct {
		TeamAnalytics struct {
			Sessions connectionJSON `json:"sessions"`
		} `json:"teamAnalytics"`
	}
	if err := json.Unmarshal(e.ok(t, dAda, tab.Query, vars), &data); err != nil {
		t.Fatal(err)
	}
	p := data.TeamAnalytics.Sessions.page()
	sameIDs(t, "the tab", p.IDs, sids(10, 1, 2))
	if p.Total != 3 || p.HasNext || p.End == nil {
		t.Fatalf("the tab's page: %+v", p)
	}
	vars["after"] = *p.End
	if err := json.Unmarshal(e.ok(t, dAda, tab.Query, vars), &data); err != nil {
		t.Fatal(err)
	}
	if n := len(data.TeamAnalytics.Sessions.Edges); n != 0 {
		t.Errorf("after the last session: %d edges", n)
	}
}
