package httpapi

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
)

// The fixture of the flow-path tests (transitions, exitNodes, funnel).
// Every expected number in api_paths_test.go is worked out by hand from
// shared/API.md over the rows below.
//
// Window W = [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z), as in the API
// fixture; the clock is fixedNow (W's end).
//
// Account A (5a…): pAdmin 6a…01 team admin, pEng 6a…02 engineer, pEng2
// 6a…03 engineer, pGone 6a…04 engineer, INACTIVE. Trees: TP 7a…01
// "Printer" (structure below), TQ 7a…02 "Other" (same structure).
// Account B (5b…): pBoss 6b…01 team admin; tree TB 7b…01 "B flow".
//
// TP's structure: root "Start" → a (question "Is it on?"), b (title
// "Restart", question "ignored"), c (neither: "Unnamed"), Zed (title "",
// question "Zed?"). "ghost" is in no structure: "Unknown Step".
//
// Sessions on TP in W (counted path = the counted decisions in order,
// other entries removed):
//
//	#    user    done  outcome     decisions                                   counted path
//	s1   pEng    yes   resolved    [root, a, b, a, b]                          root a b a b  (revisits)
//	s2   pEng2   yes   escalated   [root, "junk", a, {node_id:""}, a, 42, a]    root a a a    (self-loops, junk between)
//	s3   pAdmin  yes   Resolved    [root, b, {"foo":1}]                         root b        (last entry does not count)
//	s4   pEng    no    NULL        [root, b, a]                                root b a
//	s5   pEng2   yes   gave_up     [root, c]                                   root c
//	s6   pAdmin  yes   workaround  JSON null                                   —
//	s7   pEng    yes   unresolved  {"node_id":"a"} (an object)                 —
//	s8   pEng    no    NULL        "a string"                                  —
//	s9   pEng2   yes   resolved    [[{node_id:a}], "x", null, 7, {node_id:[b]}] —            (no objects with a string id)
//	s10  pGone   yes   workaround  [b, a, ghost]                               b a ghost     (inactive user: counts)
//	s11  pEng    yes   unresolved  [c]                                         c
//	s12  pEng    yes   RESOLVED    [root, Zed]                                 root Zed      (outcome in capitals: none of the four)
//	s13  pAdmin  no    NULL        SQL NULL                                    —
//
// Not counted for TP over W: o1 (TP, 1µs before W, [root, a]), o2 (TP at W's
// end, [root, a]), o3 (TQ, [root, a]), x1 (TP but pBoss of B: belongs to no
// account, [root, leak]); b1 is B's (TB, pBoss, completed resolved, [root,
// a]).
const (
	pAcctA = "5a000000-0000-0000-0000-000000000000"
	pAcctB = "5b000000-0000-0000-0000-000000000000"

	pAdmin = "6a000000-0000-0000-0000-000000000001"
	pEng   = "6a000000-0000-0000-0000-000000000002"
	pEng2  = "6a000000-0000-0000-0000-000000000003"
	pGone  = "6a000000-0000-0000-0000-000000000004"
	pBoss  = "6b000000-0000-0000-0000-000000000001"

	tPrinter = "7a000000-0000-0000-0000-000000000001" // TP
	tOther   = "7a000000-0000-0000-0000-000000000002" // TQ
	tBFlow   = "7b000000-0000-0000-0000-000000000001" // TB
)

const printerStructure = `{"id":"root","title":"Start","children":[
  {"id":"a","question":"Is it on?"},
  {"id":"b","title":"Restart","question":"ignored"},
  {"id":"c"},
  {"id":"Zed","title":"","question":"Zed?"}
]}`

// pathsEnv is the flow-path fixture with its clock, without a rate limit.
var pathsEnv = envOptions{fixture: loadPathsFixture, now: fixedNow, settings: noRateLimit}

// loadPathsFixture writes the fixture as the owner.
func loadPathsFixture(t testing.TB, owner bun.IDB) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := owner.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("fixture: %v\n%s", err, q)
		}
	}
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'Paths A'), (?, 'Paths B')`, pAcctA, pAcctB)
	exec(`INSERT INTO users (id, account_id, name, is_active, is_team_admin) VALUES
		(?, ?, 'Ada', true, true), (?, ?, 'Eve', true, false), (?, ?, 'Ian', true, false),
		(?, ?, 'Gus', false, false), (?, ?, 'Bo', true, true)`,
		pAdmin, pAcctA, pEng, pAcctA, pEng2, pAcctA, pGone, pAcctA, pBoss, pAcctB)
	exec(`INSERT INTO trees (id, account_id, name, tree_structure) VALUES
		(?, ?, 'Printer', ?::jsonb), (?, ?, 'Other', ?::jsonb), (?, ?, 'B flow', ?::jsonb)`,
		tPrinter, pAcctA, printerStructure, tOther, pAcctA, printerStructure, tBFlow, pAcctB, printerStructure)

	type session struct {
		tree, user, started string
		done                bool
		outcome, decisions  string // "" = NULL
	}
	sessions := []session{
		{tPrinter, pEng, "2026-03-02T10:00:00Z", true, "resolved", decisions("root", "a", "b", "a", "b")},                                                             // s1
		{tPrinter, pEng2, "2026-03-03T10:00:00Z", true, "escalated", `[{"node_id":"root"},"junk",{"node_id":"a"},{"node_id":""},{"node_id":"a"},42,{"node_id":"a"}]`}, // s2
		{tPrinter, pAdmin, "2026-03-04T10:00:00Z", true, "Resolved", `[{"node_id":"root"},{"node_id":"b"},{"foo":1}]`},                                                // s3
		{tPrinter, pEng, "2026-03-05T10:00:00Z", false, "", decisions("root", "b", "a")},                                                                              // s4
		{tPrinter, pEng2, "2026-03-06T10:00:00Z", true, "gave_up", decisions("root", "c")},                                                                            // s5
		{tPrinter, pAdmin, "2026-03-07T10:00:00Z", true, "workaround", `null`},                                                                                        // s6
		{tPrinter, pEng, "2026-03-08T10:00:00Z", true, "unresolved", `{"node_id":"a"}`},                                                                               // s7
		{tPrinter, pEng, "2026-03-09T10:00:00Z", false, "", `"a string"`},                                                                                             // s8
		{tPrinter, pEng2, "2026-03-10T10:00:00Z", true, "resolved", `[[{"node_id":"a"}],"x",null,7,{"node_id":["b"]}]`},                                               // s9
		{tPrinter, pGone, "2026-03-11T10:00:00Z", true, "workaround", decisions("b", "a", "ghost")},                                                                   // s10
		{tPrinter, pEng, "2026-03-12T10:00:00Z", true, "unresolved", decisions("c")},                                                                                  // s11
		{tPrinter, pEng, "2026-03-13T10:00:00Z", true, "RESOLVED", decisions("root", "Zed")},                                                                          // s12
		{tPrinter, pAdmin, "2026-03-14T10:00:00Z", false, "", ""},                                                                                                     // s13
		{tPrinter, pEng, "2026-02-28T23:59:59.999999Z", true, "resolved", decisions("root", "a")},                                                                     // o1
		{tPrinter, pEng, "2026-04-01T00:00:00Z", true, "resolved", decisions("root", "a")},                                                                            // o2
		{tOther, pEng, "2026-03-15T10:00:00Z", true, "resolved", decisions("root", "a")},                                                                              // o3
		{tPrinter, pBoss, "2026-03-16T10:00:00Z", true, "resolved", decisions("root", "leak")},                                                                        // x1
		{tBFlow, pBoss, "2026-03-17T10:00:00Z", true, "resolved", decisions("root", "a")},                                                                             // b1
	}
	for _, s := range sessions {
		exec(`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions)
			VALUES (?, ?, ?::timestamptz, CASE WHEN ? THEN ?::timestamptz + interval '5 minutes' END,
			        nullif(?, ''), nullif(?, '')::jsonb)`,
			s.tree, s.user, s.started, s.done, s.started, s.outcome, s.decisions)
	}
}
