package httpapi

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Cursors and pages while sessions are written (API.md, "sessions":
// "after" continues right after the session of its cursor; a cursor the
// server did not issue for the same field and orderBy is BAD_USER_INPUT
// naming `after`).

// assertBadAfter checks that after is refused, naming `after`.
func assertBadAfter(t *testing.T, e *env, what, viewer, root, args string) {
	t.Helper()
	_, r := e.page(t, viewer, root, args)
	if r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, "after: ") {
		t.Errorf("%s: want BAD_USER_INPUT naming after, got %d %s", what, r.Status, r.Body)
	}
	if r.hasData() && !strings.Contains(string(r.Data), "null") {
		t.Errorf("%s: data %s", what, r.Data)
	}
}

func TestSessionsCursors(t *testing.T) {
	e := newEnv(t, drillEnv)
	p := e.okPage(t, dAda, teamRoot, "first: 3")
	sameIDs(t, "first page", p.IDs, sids(12, 11, 9))
	good := *p.End
	// The real cursor works: the next page starts right after 09.
	sameIDs(t, "next page", e.okPage(t, dAda, teamRoot, `first: 3, after: "`+good+`"`).IDs, sids(10, 8, 7))

	raw, err := base64.RawURLEncoding.DecodeString(good)
	if err != nil {
		t.Fatalf("cursor is not base64url: %v", err)
	}
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forged := base64.RawURLEncoding.EncodeToString(make([]byte, len(raw)))
	for what, after := range map[string]string{
		"empty":                      "",
		"truncated by one character": good[:len(good)-1],
		"truncated by half":          good[:len(good)/2],
		"one more character":         good + "A",
		"the key changed":            flip(5),
		"the id changed":             flip(20),
		"the order byte changed":     flip(2),
		"the signature changed":      flip(len(raw) - 1),
		"forged zeros":               forged,
		"not base64":                 "!!!",
		"a UUID":                     sid(9),
	} {
		assertBadAfter(t, e, what, dAda, teamRoot, `after: "`+after+`"`)
	}
	// Issued for another order, another field, another account.
	assertBadAfter(t, e, "NEWEST cursor with OLDEST", dAda, teamRoot, `orderBy: OLDEST, after: "`+good+`"`)
	assertBadAfter(t, e, "NEWEST cursor with LONGEST", dAda, teamRoot, `orderBy: LONGEST, after: "`+good+`"`)
	assertBadAfter(t, e, "team cursor in myAnalytics", dAda, myRoot, `after: "`+good+`"`)
	assertBadAfter(t, e, "team cursor in flowAnalytics", dAda, flowRoot, `after: "`+good+`"`)
	mine := *e.okPage(t, dBen, myRoot, "first: 1").End
	assertBadAfter(t, e, "personal cursor in teamAnalytics", dAda, teamRoot, `after: "`+mine+`"`)
	flow := *e.okPage(t, dAda, flowRoot, "first: 1").End
	assertBadAfter(t, e, "flow cursor in teamAnalytics", dAda, teamRoot, `after: "`+flow+`"`)
	assertBadAfter(t, e, "account A's cursor used by account B", dBert, teamRoot, `after: "`+good+`"`)
	// The same field and order with another filter or window: the
	// position is kept. LONGEST 09 10 04 01 02 07 11 06 | 03 05 08 12.
	l8 := e.okPage(t, dAda, teamRoot, "orderBy: LONGEST, first: 8")
	sameIDs(t, "LONGEST first 8", l8.IDs, sids(9, 10, 4, 1, 2, 7, 11, 6))
	sameIDs(t, "after 06, not completed", e.okPage(t, dAda, teamRoot, `orderBy: LONGEST, filter: {completed: false}, after: "`+*l8.End+`"`).IDs, sids(3, 5, 8, 12))
	sameIDs(t, "after 06, completed", e.okPage(t, dAda, teamRoot, `orderBy: LONGEST, filter: {completed: true}, after: "`+*l8.End+`"`).IDs, []string{})
	l9 := e.okPage(t, dAda, teamRoot, "orderBy: LONGEST, first: 9")
	sameIDs(t, "after 03, dropped off at queue", e.okPage(t, dAda, teamRoot, `orderBy: LONGEST, filter: {droppedOffAt: "queue"}, after: "`+*l9.End+`"`).IDs, sids(12))
	sameIDs(t, "after 03, dropped off at power", e.okPage(t, dAda, teamRoot, `orderBy: LONGEST, filter: {droppedOffAt: "power"}, after: "`+*l9.End+`"`).IDs, []string{})
	sameIDs(t, "after 09, Ben's", e.okPage(t, dAda, teamRoot, `filter: {engineerId: "`+dBen+`"}, after: "`+good+`"`).IDs, sids(10, 6, 5, 1, 2))
	// The last page: no next page; a page after the last session is empty.
	last := e.okPage(t, dAda, teamRoot, "orderBy: OLDEST, first: 12")
	if last.HasNext {
		t.Error("12 of 12: hasNextPage")
	}
	if p := e.okPage(t, dAda, teamRoot, `orderBy: OLDEST, after: "`+*last.End+`"`); len(p.IDs) != 0 || p.End != nil || p.HasNext || p.Total != 12 {
		t.Errorf("after the last session: %+v", p)
	}
}

// TestSessionsPagesWhileWriting: sessions written between two pages
// appear in their place when they come after the cursor and never
// otherwise; no session that matches on both requests is repeated or
// skipped. NEWEST: 12 11 09 10 | 08 07 06 05 04 03 01 02.
func TestSessionsPagesWhileWriting(t *testing.T) {
	e := newEnv(t, drillEnv)
	p := e.okPage(t, dAda, teamRoot, "first: 4")
	sameIDs(t, "page 1", p.IDs, sids(12, 11, 9, 10))
	const (
		newer     = "d7000000-0000-0000-0000-000000000001" // 03-30: before the cursor
		tieBefore = "d5000000-0000-0000-0000-00000000000a" // = 10's start, id between 09 and 10: before the cursor
		tieAfter  = "d7000000-0000-0000-0000-000000000002" // = 10's start, id after 10's: right after the cursor
		mid       = "d4000000-0000-0000-0000-000000000001" // = 05's start, id below 05's: between 06 and 05
		older     = "d7000000-0000-0000-0000-000000000003" // 03-01: last
	)
	for _, s := range []struct{ id, started string }{
		{newer, "2026-03-30T00:00:00Z"}, {tieBefore, "2026-03-12T08:00:00Z"}, {tieAfter, "2026-03-12T08:00:00Z"},
		{mid, "2026-03-08T12:00:00Z"}, {older, "2026-03-01T00:00:00Z"},
	} {
		if s.id == mid {
			continue // written after page 2 below
		}
		insertSession(t, e.owner, s.id, dT1, dBen, s.started, "", "", "")
	}
	p2 := e.okPage(t, dAda, teamRoot, `first: 4, after: "`+*p.End+`"`)
	sameIDs(t, "page 2", p2.IDs, []string{tieAfter, sid(8), sid(7), sid(6)})
	insertSession(t, e.owner, mid, dT1, dBen, "2026-03-08T12:00:00Z", "", "", "")
	// A session already listed moves before the cursor: it is not listed again.
	if _, err := e.owner.Exec("UPDATE sessions SET started_at = '2026-03-31T00:00:00Z' WHERE id = ?", sid(11)); err != nil {
		t.Fatal(err)
	}
	var rest []string
	after := *p2.End
	for {
		pg := e.okPage(t, dAda, teamRoot, `first: 4, after: "`+after+`"`)
		rest = append(rest, pg.IDs...)
		if !pg.HasNext {
			break
		}
		after = *pg.End
	}
	sameIDs(t, "the pages after", rest, []string{mid, sid(5), sid(4), sid(3), sid(1), sid(2), older})
	// The whole list now, for comparison: every session once.
	sameIDs(t, "the list now", e.all(t, dAda, teamRoot, "", 5), []string{sid(11), newer, sid(12), sid(9), tieBefore, sid(10), tieAfter,
		sid(8), sid(7), sid(6), mid, sid(5), sid(4), sid(3), sid(1), sid(2), older})
}
