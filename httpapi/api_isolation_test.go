package httpapi

import (
	"bytes"
	"strings"
	"testing"
)

// TestAPIIsolation checks that no query of a viewer of one account shows
// anything of the other account, that a foreign tree is answered exactly
// like a missing one, and that comments are anonymous.
func TestAPIIsolation(t *testing.T) {
	e := newEnv(t, apiEnv)
	const random = "99999999-9999-4999-8999-999999999999"

	// A tree of the other account gives the same NOT_FOUND body, byte for
	// byte, as an id that does not exist, whoever asks and whatever fields.
	t.Run("foreign tree is not found", func(t *testing.T) {
		pairs := []struct{ viewer, foreign string }{
			{uZeta, tB}, {uAlpha, tB}, {uEmile, tB}, {uNoName, tB},
			{uBert, tCheckout}, {uZetaB, tCheckout}, {uBert, tDeep},
		}
		for _, p := range pairs {
			for _, vars := range []map[string]any{windowW(), {}, {"period": "LAST_90_DAYS", "tz": "Asia/Kolkata"}} {
				foreign := e.as(t, p.viewer, flowQuery, with(vars, "tree", p.foreign))
				missing := e.as(t, p.viewer, flowQuery, with(vars, "tree", random))
				assertError(t, foreign, "flowAnalytics", "NOT_FOUND")
				if foreign.Errors[0].Message != "flow not found" {
					t.Errorf("message %q, want %q", foreign.Errors[0].Message, "flow not found")
				}
				if !bytes.Equal(foreign.Body, missing.Body) {
					t.Errorf("foreign and missing trees answer differently:\n%s\n%s", foreign.Body, missing.Body)
				}
			}
			// The same with the id written in the query.
			lit := func(id string) string {
				return `{ flowAnalytics(treeId: "` + id + `") { flow { id name } avgCsat recentComments { comment } stepFeedback { nodeId } } }`
			}
			foreign, missing := e.as(t, p.viewer, lit(p.foreign), nil), e.as(t, p.viewer, lit(random), nil)
			assertError(t, foreign, "flowAnalytics", "NOT_FOUND", "flow not found")
			if !bytes.Equal(foreign.Body, missing.Body) {
				t.Errorf("foreign and missing trees answer differently:\n%s\n%s", foreign.Body, missing.Body)
			}
		}
	})

	// Everything account A's viewers can read, over a window that covers
	// every session and rating of the fixture, with the longest lists,
	// never mentions account B, its users, tree, ratings or the node ids
	// of its sessions and of the cross-account sessions x1/x2 — and the
	// other way round.
	t.Run("no foreign data in any field", func(t *testing.T) {
		all := map[string]any{"from": "2025-12-01T00:00:00Z", "to": "2026-06-01T00:00:00Z", "lf": 100, "le": 100, "lc": 100}
		leaks := func(t *testing.T, viewer string, markers []string, queries ...string) {
			t.Helper()
			for _, q := range queries {
				for _, tz := range []string{"UTC", "Europe/Berlin"} {
					res := e.as(t, viewer, q, with(all, "tz", tz))
					if res.Status != 200 || len(res.Errors) > 0 {
						t.Fatalf("%d %s", res.Status, res.Body)
					}
					for _, m := range markers {
						if i := strings.Index(string(res.Body), m); i >= 0 {
							t.Errorf("viewer %s sees %q of the other account: …%s…", viewer, m, res.Body[max(0, i-200):min(len(res.Body), i+200)])
						}
					}
				}
			}
		}
		markersOfB := []string{acctB, uBert, uZetaB, tB, "Bert", "Beta flow", "B root", "B secret", "broot", "xleak"}
		var flowsOfA []string
		for _, id := range []string{tCheckout, tBetaLow, tBetaUp, tDeep, tSame5, tSame6} {
			flowsOfA = append(flowsOfA, strings.Replace(flowQuery, "treeId: $tree", `treeId: "`+id+`"`, 1))
		}
		for _, q := range flowsOfA {
			q = strings.Replace(q, "$tree: UUID!, ", "", 1)
			leaks(t, uEmile, markersOfB, q)
		}
		leaks(t, uZeta, markersOfB, teamQuery, myQuery)
		leaks(t, uAlpha, markersOfB, teamQuery, myQuery)
		leaks(t, uEmile, markersOfB, myQuery)

		markersOfA := []string{acctA, uEmile, uAlpha, uZeta, uNoName, uIvan, uBob, tCheckout, tBetaLow, tBetaUp, tDeep, tSame5, tSame6,
			"Checkout", "Émile", "alpha", `"name":"Unknown"`, "Great", "Too long", "ghost", `"nodeId":"root"`, "Start"}
		leaks(t, uBert, markersOfA, teamQuery, myQuery,
			strings.Replace(strings.Replace(flowQuery, "treeId: $tree", `treeId: "`+tB+`"`, 1), "$tree: UUID!, ", "", 1))
		leaks(t, uZetaB, markersOfA, myQuery)
	})

	// Account B's numbers, in every query B's users have: only b1 and b2.
	// Bert: b1 (7m, resolved). Zeta of B: b2 (not completed) — not x1 (on
	// A's tree T1). TB: b1, b2 — not x2 (A's Émile on TB); TB's step
	// feedback: broot visited by b1 and b2 (b2 not completed, last entry
	// broot: 1 drop-off of 2 = 0.5); the "yes" on TB's root belongs to a
	// node no decision visited; rating RB 1 "B secret".
	t.Run("account B sees only B", func(t *testing.T) {
		d := e.ok(t, uZetaB, `query { myAnalytics(from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { summary `+summarySel+` topFlows `+topFlowSel+` } }`, nil)
		assertJSON(t, d, `{"myAnalytics":{"summary":`+sum(1, 0, 0, 0, 0, 1, 0, 0, 0, 0)+`,"topFlows":`+list(flowRow(tB, "Beta flow", 1, 0, 0))+`}}`)
		d = e.ok(t, uBert, `query { flowAnalytics(treeId: "`+tB+`", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") {
			summary `+summarySel+` avgCsat totalRatings stepFeedback `+stepSel+` recentComments `+commentSel+` } }`, nil)
		assertJSON(t, d, `{"flowAnalytics":{"summary":`+sum(2, 1, 0.5, 7, 7, 2, 1, 0, 0, 0)+`,"avgCsat":1,"totalRatings":1,
			"stepFeedback":`+list(step("broot", "Unknown Step", 0, 0, 0, 2, 1, 0.5))+`,
			"recentComments":[{"rating":1,"comment":"B secret","createdAt":"2026-03-10T10:00:00Z"}]}}`)
	})

	// FlowComment has exactly rating, comment and createdAt: nothing that
	// names or identifies the author, and asking for one is invalid.
	t.Run("comments are anonymous", func(t *testing.T) {
		d := e.ok(t, uEmile, `{ __type(name: "FlowComment") { fields { name } } }`, nil)
		assertJSON(t, d, `{"__type":{"fields":[{"name":"rating"},{"name":"comment"},{"name":"createdAt"}]}}`)
		for _, f := range []string{"user", "userId", "author", "session", "id"} {
			res := e.as(t, uEmile, `{ flowAnalytics(treeId: "`+tCheckout+`") { recentComments { comment `+f+` } } }`, nil)
			if len(res.Errors) == 0 || strings.Contains(string(res.Body), "Great") {
				t.Errorf("recentComments { %s } was answered: %s", f, res.Body)
			}
		}
	})
}
