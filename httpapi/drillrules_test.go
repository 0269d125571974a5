package httpapi

import (
	"strings"
	"testing"
)

// Corners of the sessions rules (API.md, "sessions") over the drill-down
// fixture (drillfixture_test.go), where a criterion meets the parent's
// scope or an input no stored value can equal.

// TestSessionsFilterWithinTheParentsScope: the filter's treeId and
// engineerId narrow the parent's scope (every criterion given must hold),
// in edges and totalCount alike, whatever other criterion comes with them
// (visitedNode lists are counted from the visits).
func TestSessionsFilterWithinTheParentsScope(t *testing.T) {
	e := newEnv(t, drillEnv)
	teamOfBen := `teamAnalytics(` + drillWindow + `, engineerId: "` + dBen + `")`
	for _, c := range []struct {
		what, viewer, root, filter string
		want                       []int // NEWEST order
	}{
		// T1's sessions that visited power: 10 05 04 03 01; in T1, the filter's T2 matches nothing.
		{"flow T1, filter T1", dAda, flowRoot, `treeId: "` + dT1 + `", visitedNode: "power"`, []int{10, 5, 4, 3, 1}},
		{"flow T1, filter T2", dAda, flowRoot, `treeId: "` + dT2 + `", visitedNode: "power"`, nil},
		{"flow T1, filter T2, node r", dAda, flowRoot, `treeId: "` + dT2 + `", visitedNode: "r"`, nil},
		// Ben's own: 10 05 01 visited power; filtered to Ada's: nothing.
		{"Ben's own", dBen, myRoot, `visitedNode: "power"`, []int{10, 5, 1}},
		{"Ben's own, filter Ada", dBen, myRoot, `engineerId: "` + dAda + `", visitedNode: "power"`, nil},
		{"Ben's own, filter Ben", dBen, myRoot, `engineerId: "` + dBen + `", visitedNode: "power"`, []int{10, 5, 1}},
		// Ben in flowAnalytics sees his own only; filtered to Ada's: nothing.
		{"Ben in T1, filter Ada", dBen, flowRoot, `engineerId: "` + dAda + `", visitedNode: "start"`, nil},
		{"Ben in T1, filter T2", dBen, flowRoot, `treeId: "` + dT2 + `", visitedNode: "start"`, nil},
		// teamAnalytics(engineerId: Ben) filtered to Ada: nothing.
		{"team of Ben, filter Ada", dAda, teamOfBen, `engineerId: "` + dAda + `", visitedNode: "power"`, nil},
		{"team of Ben, filter Ben", dAda, teamOfBen, `engineerId: "` + dBen + `", visitedNode: "power"`, []int{10, 5, 1}},
	} {
		p := e.okPage(t, c.viewer, c.root, "filter: {"+c.filter+"}, first: 100")
		want := sids(c.want...)
		sameIDs(t, c.what, p.IDs, want)
		if p.Total != len(want) {
			t.Errorf("%s: totalCount %d, want %d", c.what, p.Total, len(want))
		}
	}
}

// TestSessionsCursorsAreExactStrings: a cursor is the very string the
// server issued; one character changed, even where base64 decoding would
// not notice (the unused bits of the last character), or a line break
// added, is a cursor the server did not issue.
func TestSessionsCursorsAreExactStrings(t *testing.T) {
	e := newEnv(t, drillEnv)
	good := *e.okPage(t, dAda, teamRoot, "first: 3").End
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, good[len(good)-1])
	q := `query($after: String) { teamAnalytics(` + drillWindow + `) { sessions(first: 3, after: $after) { edges { node { id } } } } }`
	for what, after := range map[string]string{
		"the last character's unused bits": good[:len(good)-1] + string(alphabet[last^1]),
		"a line feed inside":               good[:10] + "\n" + good[10:],
		"a carriage return at the end":     good + "\r",
		"padding added":                    good + "==",
	} {
		r := e.as(t, dAda, q, map[string]any{"after": after})
		if r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, "after: ") {
			t.Errorf("%s: want BAD_USER_INPUT naming after, got %d %s", what, r.Status, r.Body)
		}
	}
	// The cursor itself still continues after 09.
	sameIDs(t, "next page", e.okPage(t, dAda, teamRoot, `first: 3, after: "`+good+`"`).IDs, sids(10, 8, 7))
}

// TestSessionsNodeIdsNoStoredIdCanBe: no stored node id holds a NUL
// character or is not UTF-8 (PostgreSQL text cannot), so visitedNode and
// droppedOffAt with such an id match nothing, in the GraphQL field and in
// the export alike; the export's bytes that are not UTF-8 never stand for
// another character (U+FFFD, a node id that is stored).
func TestSessionsNodeIdsNoStoredIdCanBe(t *testing.T) {
	e := newEnv(t, drillEnv)
	// 18: T1, Ben, 03-25, not completed, last at U+FFFD: visited and dropped off there.
	insertSession(t, e.owner, sid(18), dT1, dBen, "2026-03-25T10:00:00Z", "", "", `[{"node_id":"start"},{"node_id":"\ufffd"}]`)
	sameIDs(t, "visited U+FFFD", e.okPage(t, dAda, teamRoot, `filter: {visitedNode: "\ufffd"}`).IDs, sids(18))
	q := `query($f: SessionFilter) { teamAnalytics(` + drillWindow + `) { sessions(filter: $f) { totalCount edges { node { id } } } } }`
	for _, f := range []map[string]any{
		{"visitedNode": "pow\x00er"}, {"visitedNode": "\x00"}, {"droppedOffAt": "pow\x00er"},
		{"visitedNode": strings.Repeat("n", 300) + "\x00"}, {"droppedOffAt": strings.Repeat("n", 300) + "\x00"},
		{"visitedNode": "power", "droppedOffAt": "\x00"},
	} {
		body := string(e.ok(t, dAda, q, map[string]any{"f": f}))
		if body != `{"teamAnalytics":{"sessions":{"totalCount":0,"edges":[]}}}` {
			t.Errorf("%q: %s", f, body)
		}
	}
	for _, qs := range []string{
		"visitedNode=pow%00er", "droppedOffAt=%00", "visitedNode=%FF", "droppedOffAt=%FF", "visitedNode=%EF%BF",
		"visitedNode=" + strings.Repeat("n", 300) + "%FF", "droppedOffAt=" + strings.Repeat("n", 300) + "%00",
	} {
		r := e.export(t, dAda, "view=team&"+wParams+"&"+qs)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", qs, r.Status, r.Body)
			continue
		}
		if _, rows := readCSV(t, r.Body); len(rows) != 0 {
			t.Errorf("%s: %d rows, want none: %q", qs, len(rows), column(rows, 0))
		}
	}
	// U+FFFD itself, as UTF-8, is 18's node.
	for _, qs := range []string{"visitedNode=%EF%BF%BD", "droppedOffAt=%EF%BF%BD"} {
		_, rows := readCSV(t, e.export(t, dAda, "view=team&"+wParams+"&"+qs).Body)
		sameIDs(t, qs, column(rows, 0), sids(18))
	}
}
