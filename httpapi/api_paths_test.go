package httpapi

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Flow paths (shared/API.md, version 2) end to end over the fixture of
// pathsfixture_test.go.

const (
	transitionSel = `{ fromNodeId fromNodeTitle toNodeId toNodeTitle count share }`
	exitSel       = `{ nodeId nodeTitle sessions resolved escalated workaround unresolved }`
	funnelSel     = `{ nodeId nodeTitle sessions conversionRate }`
	pathsWindow   = `from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"`
)

func transition(from, fromTitle, to, toTitle string, count int, share float64) string {
	return fmt.Sprintf(`{"fromNodeId":%s,"fromNodeTitle":%s,"toNodeId":%s,"toNodeTitle":%s,"count":%d,"share":%v}`,
		quote(from), quote(fromTitle), quote(to), quote(toTitle), count, share)
}

func exitNode(id, title string, sessions, resolved, escalated, workaround, unresolved int) string {
	return fmt.Sprintf(`{"nodeId":%s,"nodeTitle":%s,"sessions":%d,"resolved":%d,"escalated":%d,"workaround":%d,"unresolved":%d}`,
		quote(id), quote(title), sessions, resolved, escalated, workaround, unresolved)
}

func fstep(id, title string, sessions int, rate float64) string {
	return fmt.Sprintf(`{"nodeId":%s,"nodeTitle":%s,"sessions":%d,"conversionRate":%v}`, quote(id), quote(title), sessions, rate)
}

// printerQ returns a flowAnalytics query of TP over W with body.
func printerQ(body string) string {
	return `{ flowAnalytics(treeId: "` + tPrinter + `", ` + pathsWindow + `) { ` + body + ` } }`
}

// Transitions of TP over W. Pairs of neighbours in each counted path:
//
//	s1  root a b a b   root→a, a→b, b→a, a→b
//	s2  root a a a     root→a, a→a, a→a
//	s3  root b         root→b
//	s4  root b a       root→b, b→a
//	s5  root c         root→c
//	s10 b a ghost      b→a, a→ghost
//	s12 root Zed       root→Zed
//	(s11 has one counted decision, the others none: no pair)
//
// Counts: b→a 3; a→a 2, a→b 2, root→a 2, root→b 2; a→ghost 1, root→Zed 1,
// root→c 1. Out of root 2+2+1+1 = 6, of a 2+2+1 = 5, of b 3. Shares: b→a
// 3/3 = 1; a→a, a→b 2/5 = 0.4; root→a, root→b 2/6 = 0.333; a→ghost 1/5 =
// 0.2; root→Zed, root→c 1/6 = 0.167. Order: count, then fromNodeId
// ("a" < "b" < "root"), then toNodeId in byte order ("Zed" < "c": "Z" is
// 0x5A, "c" 0x63).
var printerTransitions = []string{
	transition("b", "Restart", "a", "Is it on?", 3, 1),
	transition("a", "Is it on?", "a", "Is it on?", 2, 0.4),
	transition("a", "Is it on?", "b", "Restart", 2, 0.4),
	transition("root", "Start", "a", "Is it on?", 2, 0.333),
	transition("root", "Start", "b", "Restart", 2, 0.333),
	transition("a", "Is it on?", "ghost", "Unknown Step", 1, 0.2),
	transition("root", "Start", "Zed", "Zed?", 1, 0.167),
	transition("root", "Start", "c", "Unnamed", 1, 0.167),
}

// Exit nodes of TP over W: completed sessions whose last entry is a
// counted decision: s1 b (resolved), s2 a (escalated), s5 c (gave_up: no
// outcome column), s10 ghost (workaround), s11 c (unresolved), s12 Zed
// (RESOLVED: not the word resolved, no outcome column either). s3 ends on {"foo":1}, s6, s7, s9 have no counted last
// entry; s4, s8, s13 are not completed. Order: sessions (c 2), then
// nodeId in byte order: "Zed" < "a" < "b" < "ghost".
var printerExits = []string{
	exitNode("c", "Unnamed", 2, 0, 0, 0, 1),
	exitNode("Zed", "Zed?", 1, 0, 0, 0, 0),
	exitNode("a", "Is it on?", 1, 0, 1, 0, 0),
	exitNode("b", "Restart", 1, 1, 0, 0, 0),
	exitNode("ghost", "Unknown Step", 1, 0, 0, 1, 0),
}

func TestAPIFlowPaths(t *testing.T) {
	e := newEnv(t, pathsEnv)

	// Every role sees all of the flow's sessions (an engineer too, and
	// whoever ran them): the same answer for the admin, both engineers.
	t.Run("transitions, exit nodes and the flow's total, every viewer", func(t *testing.T) {
		q := printerQ(`summary { totalSessions } transitions ` + transitionSel + ` exitNodes ` + exitSel)
		for _, viewer := range []string{pAdmin, pEng, pEng2} {
			d := e.ok(t, viewer, q, nil)
			assertJSON(t, d, `{"flowAnalytics":{"summary":{"totalSessions":13},
				"transitions":`+list(printerTransitions...)+`,"exitNodes":`+list(printerExits...)+`}}`)
		}
	})

	t.Run("limits at their bounds", func(t *testing.T) {
		d := e.ok(t, pEng, printerQ(`t1: transitions(limit: 1) `+transitionSel+` t1000: transitions(limit: 1000) `+transitionSel+
			` t3: transitions(limit: 3) `+transitionSel+` x1: exitNodes(limit: 1) `+exitSel+` x1000: exitNodes(limit: 1000) `+exitSel), nil)
		assertJSON(t, d, `{"flowAnalytics":{"t1":`+list(printerTransitions[:1]...)+`,"t1000":`+list(printerTransitions...)+
			`,"t3":`+list(printerTransitions[:3]...)+`,"x1":`+list(printerExits[:1]...)+`,"x1000":`+list(printerExits...)+`}}`)
		// Outside 1..1000: BAD_USER_INPUT naming limit, never clamped, and
		// the field's statement does not run (only the viewer's and the
		// flow's lookups do).
		for _, field := range []string{"transitions", "exitNodes"} {
			sel := transitionSel
			if field == "exitNodes" {
				sel = exitSel
			}
			for _, limit := range []string{"0", "1001", "-1"} {
				n, r := e.calls(t, uuid.MustParse(pEng), printerQ(field+`(limit: `+limit+`) `+sel))
				assertError(t, r, "", "BAD_USER_INPUT", "limit", "between 1 and 1000", "got "+limit)
				if want := int64(2); n != want {
					t.Errorf("%s(limit: %s): %d store calls, want %d (the viewer and the flow)", field, limit, n, want)
				}
			}
			// Through a variable too.
			r := e.as(t, pEng, `query($l: Int) { flowAnalytics(treeId: "`+tPrinter+`") { `+field+`(limit: $l) `+sel+` } }`, map[string]any{"l": 1001})
			assertError(t, r, "", "BAD_USER_INPUT", "limit")
		}
	})

	// Counted paths (13 sessions, the first step's divisor): s1 root a b a
	// b; s2 root a a a; s3 root b; s4 root b a; s5 root c; s10 b a ghost;
	// s11 c; s12 root Zed; the five others none.
	t.Run("funnels", func(t *testing.T) {
		cases := []struct {
			name, ids string
			want      []string
		}{
			// a: s1, s2, s4, s10 = 4 → 4/13 = 0.308; b after a: s1 only (s4
			// and s10 pass b before a: out of order) → 1/4 = 0.25.
			{"passed out of order by some", `["a", "b"]`, []string{fstep("a", "Is it on?", 4, 0.308), fstep("b", "Restart", 1, 0.25)}},
			// root: s1 s2 s3 s4 s5 s12 = 6 → 6/13 = 0.462; then a: s1 s2 s4
			// = 3 → 0.5; a again: s1 (a twice), s2 (three times), not s4
			// (once) = 2 → 2/3 = 0.667.
			{"an id given twice", `["root", "a", "a"]`, []string{fstep("root", "Start", 6, 0.462), fstep("a", "Is it on?", 3, 0.5), fstep("a", "Is it on?", 2, 0.667)}},
			// b: s1 s3 s4 s10 = 4 → 0.308; a after b: s1 s4 s10 = 3 → 0.75;
			// b after that a: s1 (b a b at 3, 4, 5) = 1 → 0.333.
			{"b a b", `["b", "a", "b"]`, []string{fstep("b", "Restart", 4, 0.308), fstep("a", "Is it on?", 3, 0.75), fstep("b", "Restart", 1, 0.333)}},
			// No session passes "nope": 0/13 = 0, then 0 over a divisor of 0.
			{"zero divisor", `["nope", "a"]`, []string{fstep("nope", "Unknown Step", 0, 0), fstep("a", "Is it on?", 0, 0)}},
			// One id: c in s5 and s11 → 2/13 = 0.154.
			{"one id", `["c"]`, []string{fstep("c", "Unnamed", 2, 0.154)}},
		}
		for _, c := range cases {
			d := e.ok(t, pEng, printerQ(`funnel(nodeIds: `+c.ids+`) `+funnelSel), nil)
			assertJSON(t, pick(t, d, "flowAnalytics", "funnel"), list(c.want...))
		}
		// 20 ids: root a b a b, then x1 … x15. root 6 → 0.462; root a 3
		// → 0.5; root a b: s1 only (s2 has no b, s4's b is before its a)
		// → 1/3 = 0.333; a, b again: s1 → 1/1 = 1, 1; x1: 0/1 = 0; then 0
		// over 0.
		ids := []string{"root", "a", "b", "a", "b"}
		want := []string{fstep("root", "Start", 6, 0.462), fstep("a", "Is it on?", 3, 0.5), fstep("b", "Restart", 1, 0.333),
			fstep("a", "Is it on?", 1, 1), fstep("b", "Restart", 1, 1)}
		for i := 1; len(ids) < 20; i++ {
			ids = append(ids, fmt.Sprintf("x%d", i))
			want = append(want, fstep(fmt.Sprintf("x%d", i), "Unknown Step", 0, 0))
		}
		d := e.ok(t, pAdmin, `query($ids: [String!]!) { flowAnalytics(treeId: "`+tPrinter+`", `+pathsWindow+`) { funnel(nodeIds: $ids) `+funnelSel+` } }`, map[string]any{"ids": ids})
		assertJSON(t, pick(t, d, "flowAnalytics", "funnel"), list(want...))
		// A single string is a list of one (GraphQL input coercion).
		d = e.ok(t, pAdmin, printerQ(`funnel(nodeIds: "c") `+funnelSel), nil)
		assertJSON(t, pick(t, d, "flowAnalytics", "funnel"), list(fstep("c", "Unnamed", 2, 0.154)))
		// An id with a NUL character matches nothing (no stored id has one).
		d = e.ok(t, pAdmin, `query($ids: [String!]!) { flowAnalytics(treeId: "`+tPrinter+`", `+pathsWindow+`) { funnel(nodeIds: $ids) `+funnelSel+` } }`,
			map[string]any{"ids": []string{"root", "a\x00", "a"}})
		assertJSON(t, pick(t, d, "flowAnalytics", "funnel"), list(fstep("root", "Start", 6, 0.462), fstep("a\x00", "Unknown Step", 0, 0), fstep("a", "Is it on?", 0, 0)))
	})

	t.Run("funnel arguments out of bounds", func(t *testing.T) {
		var ids21 []string
		for i := 0; i < 21; i++ {
			ids21 = append(ids21, "root")
		}
		for name, ids := range map[string][]string{"no id": {}, "21 ids": ids21, "an empty id": {"root", ""}, "only an empty id": {""}} {
			n, r := e.calls(t, uuid.MustParse(pEng), `{ flowAnalytics(treeId: "`+tPrinter+`") { funnel(nodeIds: `+jsonList(ids)+`) `+funnelSel+` } }`)
			assertError(t, r, "", "BAD_USER_INPUT", "nodeIds")
			if want := int64(2); n != want {
				t.Errorf("%s: %d store calls, want %d (the viewer and the flow)", name, n, want)
			}
		}
		r := e.as(t, pEng, `query($ids: [String!]!) { flowAnalytics(treeId: "`+tPrinter+`") { funnel(nodeIds: $ids) `+funnelSel+` } }`, map[string]any{"ids": ids21})
		assertError(t, r, "", "BAD_USER_INPUT", "nodeIds", "1 to 20", "got 21")
	})

	// Several of each under aliases: one statement per field however many
	// aliases (the largest limit's list, both funnels at once), with the
	// right answers.
	t.Run("aliases share one statement per field", func(t *testing.T) {
		q := printerQ(`small: transitions(limit: 2) `+transitionSel+` all: transitions(limit: 1000) `+transitionSel+
			` ...More x1: exitNodes(limit: 1) `+exitSel+` x2: exitNodes `+exitSel+
			` f1: funnel(nodeIds: ["a", "b"]) `+funnelSel+` f2: funnel(nodeIds: ["root", "a", "a"]) `+funnelSel+` f3: funnel(nodeIds: ["a", "b"]) `+funnelSel) +
			` fragment More on FlowAnalytics { mid: transitions(limit: 5) ` + transitionSel + ` null: transitions(limit: null) ` + transitionSel + ` }`
		e.rec.reset()
		n, r := e.calls(t, uuid.MustParse(pEng), q)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %s", r.Body)
		}
		ab := list(fstep("a", "Is it on?", 4, 0.308), fstep("b", "Restart", 1, 0.25))
		assertJSON(t, r.Data, `{"flowAnalytics":{"small":`+list(printerTransitions[:2]...)+`,"all":`+list(printerTransitions...)+
			`,"mid":`+list(printerTransitions[:5]...)+`,"null":`+list(printerTransitions...)+`,"x1":`+list(printerExits[:1]...)+`,"x2":`+list(printerExits...)+
			`,"f1":`+ab+`,"f2":`+list(fstep("root", "Start", 6, 0.462), fstep("a", "Is it on?", 3, 0.5), fstep("a", "Is it on?", 2, 0.667))+`,"f3":`+ab+`}}`)
		// The viewer, the flow, transitions, exit nodes, funnels.
		if want := int64(5); n != want {
			t.Errorf("%d store calls, want %d", n, want)
		}
		paths := 0
		for _, s := range e.rec.all() {
			if strings.Contains(s, "jsonb_path_query") || strings.Contains(s, "flowlens_rollup_transitions") || strings.Contains(s, "flowlens_rollup_exits") {
				paths++
			}
		}
		// An alias outside the bounds fails with its own path (and, the
		// field being non-null, nulls its flow).
		r = e.as(t, pEng, printerQ(`ok: transitions(limit: 1) `+transitionSel+` bad: transitions(limit: 0) `+transitionSel), nil)
		if len(r.Errors) != 1 || r.code(0) != "BAD_USER_INPUT" || fmt.Sprint(r.Errors[0].Path) != "[flowAnalytics bad]" {
			t.Fatalf("want one BAD_USER_INPUT at flowAnalytics.bad: %s", r.Body)
		}
		if paths != 3 {
			t.Errorf("%d path statements for three path fields", paths)
		}
	})

	// Two flowAnalytics of the same tree under aliases are two objects:
	// each runs its own statements, with its own window.
	t.Run("two flow objects", func(t *testing.T) {
		q := `{ w: flowAnalytics(treeId: "` + tPrinter + `", ` + pathsWindow + `) { transitions(limit: 1) ` + transitionSel + ` }
			empty: flowAnalytics(treeId: "` + tPrinter + `", from: "2025-01-01T00:00:00Z", to: "2025-02-01T00:00:00Z") { transitions ` + transitionSel + ` exitNodes ` + exitSel + ` funnel(nodeIds: ["root"]) ` + funnelSel + ` } }`
		n, r := e.calls(t, uuid.MustParse(pAdmin), q)
		if len(r.Errors) > 0 {
			t.Fatalf("%s", r.Body)
		}
		assertJSON(t, r.Data, `{"w":{"transitions":`+list(printerTransitions[:1]...)+`},"empty":{"transitions":[],"exitNodes":[],"funnel":[`+fstep("root", "Start", 0, 0)+`]}}`)
		if want := int64(1 + 2 + 4); n != want {
			t.Errorf("%d store calls, want %d", n, want)
		}
	})

	// B's flow for B's admin: b1 only (x1, on A's tree by B's user, is in
	// neither account). A's viewers get TB exactly like a missing tree.
	t.Run("tenants", func(t *testing.T) {
		q := `{ flowAnalytics(treeId: "` + tBFlow + `", ` + pathsWindow + `) { transitions ` + transitionSel + ` exitNodes ` + exitSel + ` funnel(nodeIds: ["root", "a"]) ` + funnelSel + ` } }`
		d := e.ok(t, pBoss, q, nil)
		assertJSON(t, d, `{"flowAnalytics":{"transitions":[`+transition("root", "Start", "a", "Is it on?", 1, 1)+`],
			"exitNodes":[`+exitNode("a", "Is it on?", 1, 1, 0, 0, 0)+`],"funnel":[`+fstep("root", "Start", 1, 1)+`,`+fstep("a", "Is it on?", 1, 1)+`]}}`)
		const random = "99999999-9999-4999-8999-999999999999"
		for _, viewer := range []string{pAdmin, pEng} {
			foreign := e.as(t, viewer, q, nil)
			missing := e.as(t, viewer, strings.Replace(q, tBFlow, random, 1), nil)
			assertError(t, foreign, "flowAnalytics", "NOT_FOUND", "flow not found")
			if !bytes.Equal(foreign.Body, missing.Body) {
				t.Errorf("foreign and missing trees answer differently:\n%s\n%s", foreign.Body, missing.Body)
			}
		}
		foreign := e.as(t, pBoss, printerQ(`transitions `+transitionSel), nil)
		assertError(t, foreign, "flowAnalytics", "NOT_FOUND", "flow not found")
		// Nothing of B or of x1 in A's answers over every session of the fixture.
		all := e.ok(t, pAdmin, `{ flowAnalytics(treeId: "`+tPrinter+`", from: "2025-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z") { transitions(limit: 1000) `+transitionSel+` exitNodes(limit: 1000) `+exitSel+` } }`, nil)
		if bytes.Contains(all, []byte("leak")) {
			t.Errorf("x1's node shows in A's answer: %s", all)
		}
	})
}

// jsonList renders ids as a GraphQL list literal.
func jsonList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = quote(id)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
