package httpapi

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Helpers of the drill-down tests: a sessions page as its ids, and the
// roots of the three sessions fields over the fixture's window W.

// The parents of the three sessions fields, over W.
const (
	teamRoot = "teamAnalytics(" + drillWindow + ")"
	myRoot   = "myAnalytics(" + drillWindow + ")"
	flowRoot = `flowAnalytics(treeId: "` + dT1 + `", ` + drillWindow + ")"
)

// sessionsPage is one decoded page of a sessions connection.
type sessionsPage struct {
	Total   int
	IDs     []string
	Cursors []string
	HasNext bool
	End     *string
}

// rootName returns the response key of a root such as teamRoot.
func rootName(root string) string {
	name, _, _ := strings.Cut(root, "(")
	return name
}

// page sends `{ root { sessions(args) { … } } }` as viewer and decodes the
// page; the answer is returned too, for its errors.
func (e *env) page(t testing.TB, viewer, root, args string) (sessionsPage, response) {
	t.Helper()
	if args != "" {
		args = "(" + args + ")"
	}
	q := "{ " + root + " { sessions" + args + " { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }"
	r := e.as(t, viewer, q, nil)
	var data map[string]*struct {
		Sessions connectionJSON `json:"sessions"`
	}
	var p sessionsPage
	if len(r.Errors) > 0 || !r.hasData() {
		return p, r
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	s := data[rootName(root)]
	if s == nil {
		return p, r
	}
	return s.Sessions.page(), r
}

// connectionJSON is a sessions connection as the API answers it, with the
// fields page asks for.
type connectionJSON struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Cursor string `json:"cursor"`
		Node   struct {
			ID string `json:"id"`
		} `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
}

// page returns the connection as a sessionsPage.
func (c connectionJSON) page() sessionsPage {
	p := sessionsPage{Total: c.TotalCount, HasNext: c.PageInfo.HasNextPage, End: c.PageInfo.EndCursor, IDs: []string{}, Cursors: []string{}}
	for _, ed := range c.Edges {
		p.IDs = append(p.IDs, ed.Node.ID)
		p.Cursors = append(p.Cursors, ed.Cursor)
	}
	return p
}

// ok is page without errors.
func (e *env) okPage(t testing.TB, viewer, root, args string) sessionsPage {
	t.Helper()
	p, r := e.page(t, viewer, root, args)
	if r.Status != 200 || len(r.Errors) > 0 || !r.hasData() {
		t.Fatalf("%s sessions(%s): %d %s", root, args, r.Status, r.Body)
	}
	return p
}

// all pages through a list `first` at a time and returns every id, and
// checks each page's pageInfo on the way.
func (e *env) all(t testing.TB, viewer, root, args string, first int) []string {
	t.Helper()
	var ids []string
	after := ""
	for pages := 0; ; pages++ {
		a := args
		if a != "" {
			a += ", "
		}
		a += "first: " + strconv.Itoa(first)
		if after != "" {
			a += `, after: "` + after + `"`
		}
		p := e.okPage(t, viewer, root, a)
		ids = append(ids, p.IDs...)
		if len(p.IDs) > first {
			t.Fatalf("a page of %d edges with first %d", len(p.IDs), first)
		}
		if len(p.IDs) == 0 {
			if p.End != nil || p.HasNext {
				t.Fatalf("an empty page has endCursor %v, hasNextPage %v", p.End, p.HasNext)
			}
			return ids
		}
		if *p.End != p.Cursors[len(p.Cursors)-1] {
			t.Fatalf("endCursor is not the last edge's cursor")
		}
		if !p.HasNext {
			return ids
		}
		if len(p.IDs) < first {
			t.Fatalf("a page of %d < first %d says another page follows", len(p.IDs), first)
		}
		after = *p.End
		if pages > 100 {
			t.Fatal("paging does not end")
		}
	}
}

// sids returns the ids of fixture sessions ns.
func sids(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = sid(n)
	}
	return out
}

// label returns the NN of a fixture session id (its last two digits), or the id.
func label(id string) string {
	if strings.HasPrefix(id, "d5000000-0000-0000-0000-0000000000") {
		return id[len(id)-2:]
	}
	return id
}

// labels returns the labels of ids, for messages.
func labels(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = label(id)
	}
	return out
}

// sameIDs fails unless got equals want, in order.
func sameIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, labels(got), labels(want))
	}
}

// uuidOf parses a fixture id.
func uuidOf(id string) uuid.UUID { return uuid.MustParse(id) }
