package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/uptrace/bun"
)

// The fixture of the API tests. Every expected number in the api*_test.go
// files is worked out by hand from shared/API.md over the tables below.
//
// Windows used throughout (all UTC):
//
//	W = [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z)  31 days; fixedNow = W's end
//	P = [2026-01-29T00:00:00Z, 2026-03-01T00:00:00Z)  W's previous window (31 days)
//
// 2026-03-01 is a Sunday; Mondays of March: 2, 9, 16, 23, 30. Europe/Berlin
// moves from CET (+01) to CEST (+02) at 2026-03-29T01:00:00Z.
//
// Account A (0a…): users
//
//	uEmile  1a…01 "Émile"  engineer
//	uAlpha  1a…02 "alpha"  super admin (not team admin)
//	uZeta   1a…03 "Zeta"   team admin
//	uNoName 1a…04 NULL     engineer (shown as "Unknown")
//	uIvan   1a…05 "Ivan"   engineer, INACTIVE
//	uBob    1a…06 "Bob"    engineer
//
// Byte order ("C"): "Bob" < "Ivan" < "Unknown" < "Zeta" < "alpha" < "Émile";
// the ids are chosen so that id order differs from that.
//
// Trees of A: T1 2a…01 "Checkout" (structure below), T2 2a…02 "beta"
// (structure is the JSON string "not a tree"), T3 2a…03 "Beta" (structure is
// an array at the root), T4 2a…04 "Deep" (10,000 nested levels n0…n9999,
// titled "Level i"), T5 2a…05 "Same" (structure SQL NULL), T6 2a…06 "Same"
// (structure {}), inserted before T5.
//
// Account B (0b…): uBert 1b…01 "Bert" team admin, uZetaB 1b…02 "Zeta"
// engineer; tree TB 2b…01 "Beta flow".
//
// Sessions (dur = completed_at - started_at; "—" = not completed):
//
//	#   tree user    started_at (UTC)             dur     outcome     decisions
//	a   T1   Zeta    2026-03-01 00:00:00 (= W from) 10m   resolved    [root,q1,t1]
//	b   T1   Zeta    2026-03-02 10:00               1m    escalated   [junk×7, root, q1, q1]
//	c   T1   Émile   2026-03-10 18:15               —     resolved    [root,q1,root,ghost]
//	d   T1   Émile   2026-03-10 18:45               47m   NULL        SQL NULL
//	e   T1   Ivan    2026-03-28 23:30               —     NULL        [t2,n3,nn,"7",nt,deep,meta,arr,objchild,q1]
//	f   T2   alpha   2026-03-29 00:30               2m    workaround  JSON string
//	g   T2   Zeta    2026-03-29 22:30               8.5m  gave_up     [x]
//	h   T3   alpha   2026-03-29 21:59:59            —     NULL        [r, "junk"]
//	i   T3   NoName  2026-03-15 12:00               30m   unresolved  JSON null
//	j   T4   Émile   2026-03-31 22:30               4m    resolved    [n0, n9999]
//	k   T5   alpha   2026-03-09 12:00               5m    resolved    JSON object {"node_id":"x"}
//	l   T6   Bob     2026-03-23 00:00               —     escalated   []
//	p1  T1   Zeta    2026-02-28 23:59:59.999999 (1µs before W) 20m resolved [root]
//	p2  T2   alpha   2026-02-10 12:00               —     NULL        NULL
//	p3  T3   Émile   2026-01-29 00:00 (= P from)    3m    escalated   NULL
//	p4  T1   Zeta    2026-01-28 23:59:59.999999 (1µs before P) 100m resolved NULL
//	l2  T6   Bob     2025-03-30 12:00               —     NULL        [s1, s1] (revisit, then drop-off)
//	z1  T1   alpha   2026-04-01 00:00 (= W to)      15m   resolved    [root, late]
//	x1  T1   ZetaB(B) 2026-03-10 20:30              —     NULL        [root, xleak]   cross-account: nowhere
//	x2  TB   Émile   2026-03-10 20:00               9m    resolved    [root]          cross-account: nowhere
//	b1  TB   Bert    2026-03-05 09:00               7m    resolved    [broot]         account B
//	b2  TB   ZetaB   2026-03-06 09:00               —     NULL        [broot]         account B
//
// In W, account A: a…l (12 sessions). In P: p1, p2, p3 (p4 is 1µs early).
//
// T1 "Checkout" tree_structure: root "Start" → q1 (question "Is it plugged
// in?") → { t1 (title "", question "Restart it"), n3 (neither) → deep
// ("Deep title") }; root → t2 (title "Call support", question "ignored"),
// nn (title "", question ""), a node whose id is the number 7, nt (title 5,
// question "Q5"). Objects that are no nodes: "meta" (a value of root's key
// meta), "arr" (inside an array inside n3's children), "objchild" (t2's
// children is an object, not an array).
//
// Session ratings (T1 unless said): R1 5 "Great" 03-10; R2 4 NULL 03-11;
// R3 4 "" 03-12; R4 2 "Too long" 03-20 08:00; R5 1 "old one"
// 2026-02-28T23:59:59.999999; R6 (id …0f) 3 "tie later id" and R7 (id …0e)
// 3 "tie earlier id", both 2026-04-01T00:00 (= W to); RB on TB 1 "B secret".
//
// Step ratings: T1 root yes 03-05, yes 03-06, no 03-07, no 02-15 (out of W);
// q1 no 03-08; t1 yes 03-09, no 2026-02-28T23:59:59.999999 (out), no
// 2026-04-01T00:00 (out); "unvisited" yes 03-10 (no decision: no entry);
// T2 x yes 03-29; TB root yes 03-10.

// Ids of the fixture.
const (
	acctA = "0a000000-0000-0000-0000-000000000000"
	acctB = "0b000000-0000-0000-0000-000000000000"

	uEmile  = "1a000000-0000-0000-0000-000000000001"
	uAlpha  = "1a000000-0000-0000-0000-000000000002"
	uZeta   = "1a000000-0000-0000-0000-000000000003"
	uNoName = "1a000000-0000-0000-0000-000000000004"
	uIvan   = "1a000000-0000-0000-0000-000000000005"
	uBob    = "1a000000-0000-0000-0000-000000000006"
	uBert   = "1b000000-0000-0000-0000-000000000001"
	uZetaB  = "1b000000-0000-0000-0000-000000000002"

	tCheckout = "2a000000-0000-0000-0000-000000000001" // T1
	tBetaLow  = "2a000000-0000-0000-0000-000000000002" // T2 "beta"
	tBetaUp   = "2a000000-0000-0000-0000-000000000003" // T3 "Beta"
	tDeep     = "2a000000-0000-0000-0000-000000000004" // T4
	tSame5    = "2a000000-0000-0000-0000-000000000005" // T5
	tSame6    = "2a000000-0000-0000-0000-000000000006" // T6
	tB        = "2b000000-0000-0000-0000-000000000001" // TB
)

// deepLevels is the nesting depth of T4's structure.
const deepLevels = 10000

const checkoutStructure = `{"id":"root","title":"Start","meta":{"id":"meta","title":"Not a node"},"children":[
  {"id":"q1","question":"Is it plugged in?","children":[
    {"id":"t1","title":"","question":"Restart it","children":[]},
    {"id":"n3","children":["junk", 7, null, [{"id":"arr","title":"Not a node"}], {"id":"deep","title":"Deep title"}]}
  ]},
  {"id":"t2","title":"Call support","question":"ignored","children":{"id":"objchild","title":"Not a node"}},
  {"id":"nn","title":"","question":""},
  {"id":7,"title":"numeric id"},
  {"id":"nt","title":5,"question":"Q5"}
]}`

// junkThenCounted is session b's decisions: seven entries that do not count
// (not objects, empty or non-string node_id, no node_id), then root, q1, q1.
const junkThenCounted = `["str", 42, null, [1], {"node_id":""}, {"node_id":5}, {"foo":"bar"},
  {"node_id":"root"}, {"node_id":"q1"}, {"node_id":"q1"}]`

// deepStructure returns T4's structure: n0 → n1 → … → n9999, each titled
// "Level i".
func deepStructure() string {
	var b strings.Builder
	for i := 0; i < deepLevels; i++ {
		fmt.Fprintf(&b, `{"id":"n%d","title":"Level %d","children":[`, i, i)
	}
	for i := 0; i < deepLevels; i++ {
		b.WriteString("]}")
	}
	return b.String()
}

func decisions(ids ...string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf(`{"node_id":%q}`, id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// loadFixture writes the fixture as the owner.
func loadFixture(t testing.TB, owner bun.IDB) {
	t.Helper()
	ctx := context.Background()
	exec := func(db bun.IDB, q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("fixture: %v\n%s", err, q)
		}
	}
	exec(owner, `INSERT INTO accounts (id, name) VALUES (?, 'Acme'), (?, 'Beta Corp')`, acctA, acctB)
	exec(owner, `INSERT INTO users (id, account_id, name, email, is_active, is_team_admin, is_super_admin) VALUES
		(?, ?, 'Émile', 'emile@a.test', true,  false, false),
		(?, ?, 'alpha', 'alpha@a.test', true,  false, true),
		(?, ?, 'Zeta',  'zeta@a.test',  true,  true,  false),
		(?, ?, NULL,    NULL,           true,  false, false),
		(?, ?, 'Ivan',  'ivan@a.test',  false, false, false),
		(?, ?, 'Bob',   'bob@a.test',   true,  false, false),
		(?, ?, 'Bert',  'bert@b.test',  true,  true,  false),
		(?, ?, 'Zeta',  'zeta@b.test',  true,  false, false)`,
		uEmile, acctA, uAlpha, acctA, uZeta, acctA, uNoName, acctA, uIvan, acctA, uBob, acctA,
		uBert, acctB, uZetaB, acctB)
	exec(owner, `INSERT INTO trees (id, account_id, name, tree_structure) VALUES
		(?, ?, 'Checkout', ?::jsonb),
		(?, ?, 'beta', '"not a tree"'),
		(?, ?, 'Beta', '[{"id":"r","title":"Root"}]'),
		(?, ?, 'Same', '{}'),
		(?, ?, 'Same', NULL),
		(?, ?, 'Beta flow', '{"id":"root","title":"B root"}')`,
		tCheckout, acctA, checkoutStructure, tBetaLow, acctA, tBetaUp, acctA,
		tSame6, acctA, tSame5, acctA, tB, acctB)
	// jsonb input of 10,000 levels needs more than the default 2MB stack.
	err := owner.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL max_stack_depth = '7MB'"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO trees (id, account_id, name, tree_structure) VALUES (?, ?, 'Deep', ?::jsonb)`,
			tDeep, acctA, deepStructure())
		return err
	})
	if err != nil {
		t.Fatalf("fixture: deep tree: %v", err)
	}

	type session struct {
		tree, user, started, dur, outcome, decisions string // dur "" = not completed; outcome/decisions "" = NULL
	}
	sessions := []session{
		{tCheckout, uZeta, "2026-03-01T00:00:00Z", "10 minutes", "resolved", decisions("root", "q1", "t1")},                                 // a
		{tCheckout, uZeta, "2026-03-02T10:00:00Z", "1 minute", "escalated", junkThenCounted},                                                // b
		{tCheckout, uEmile, "2026-03-10T18:15:00Z", "", "resolved", decisions("root", "q1", "root", "ghost")},                               // c
		{tCheckout, uEmile, "2026-03-10T18:45:00Z", "47 minutes", "", ""},                                                                   // d
		{tCheckout, uIvan, "2026-03-28T23:30:00Z", "", "", decisions("t2", "n3", "nn", "7", "nt", "deep", "meta", "arr", "objchild", "q1")}, // e
		{tBetaLow, uAlpha, "2026-03-29T00:30:00Z", "2 minutes", "workaround", `"a string"`},                                                 // f
		{tBetaLow, uZeta, "2026-03-29T22:30:00Z", "510 seconds", "gave_up", decisions("x")},                                                 // g
		{tBetaUp, uAlpha, "2026-03-29T21:59:59Z", "", "", `[{"node_id":"r"}, "junk"]`},                                                      // h
		{tBetaUp, uNoName, "2026-03-15T12:00:00Z", "30 minutes", "unresolved", `null`},                                                      // i
		{tDeep, uEmile, "2026-03-31T22:30:00Z", "4 minutes", "resolved", decisions("n0", "n9999")},                                          // j
		{tSame5, uAlpha, "2026-03-09T12:00:00Z", "5 minutes", "resolved", `{"node_id":"x"}`},                                                // k
		{tSame6, uBob, "2026-03-23T00:00:00Z", "", "escalated", `[]`},                                                                       // l
		{tCheckout, uZeta, "2026-02-28T23:59:59.999999Z", "20 minutes", "resolved", decisions("root")},                                      // p1
		{tBetaLow, uAlpha, "2026-02-10T12:00:00Z", "", "", ""},                                                                              // p2
		{tBetaUp, uEmile, "2026-01-29T00:00:00Z", "3 minutes", "escalated", ""},                                                             // p3
		{tCheckout, uZeta, "2026-01-28T23:59:59.999999Z", "100 minutes", "resolved", ""},                                                    // p4
		{tSame6, uBob, "2025-03-30T12:00:00Z", "", "", decisions("s1", "s1")},                                                               // l2
		{tCheckout, uAlpha, "2026-04-01T00:00:00Z", "15 minutes", "resolved", decisions("root", "late")},                                    // z1
		{tCheckout, uZetaB, "2026-03-10T20:30:00Z", "", "", decisions("root", "xleak")},                                                     // x1
		{tB, uEmile, "2026-03-10T20:00:00Z", "9 minutes", "resolved", decisions("root")},                                                    // x2
		{tB, uBert, "2026-03-05T09:00:00Z", "7 minutes", "resolved", decisions("broot")},                                                    // b1
		{tB, uZetaB, "2026-03-06T09:00:00Z", "", "", decisions("broot")},                                                                    // b2
	}
	for _, s := range sessions {
		exec(owner, `INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions)
			VALUES (?, ?, ?::timestamptz,
			        ?::timestamptz + nullif(?, '')::interval,
			        nullif(?, ''), nullif(?, '')::jsonb)`,
			s.tree, s.user, s.started, s.started, s.dur, s.outcome, s.decisions)
	}

	exec(owner, `INSERT INTO session_ratings (id, tree_id, user_id, rating, comment, created_at) VALUES
		('4a000000-0000-0000-0000-000000000001', ?, ?, 5, 'Great',          '2026-03-10T10:00:00Z'),
		('4a000000-0000-0000-0000-000000000002', ?, ?, 4, NULL,             '2026-03-11T10:00:00Z'),
		('4a000000-0000-0000-0000-000000000003', ?, ?, 4, '',               '2026-03-12T10:00:00Z'),
		('4a000000-0000-0000-0000-000000000004', ?, ?, 2, 'Too long',       '2026-03-20T08:00:00Z'),
		('4a000000-0000-0000-0000-000000000005', ?, ?, 1, 'old one',        '2026-02-28T23:59:59.999999Z'),
		('4a000000-0000-0000-0000-00000000000f', ?, ?, 3, 'tie later id',   '2026-04-01T00:00:00Z'),
		('4a000000-0000-0000-0000-00000000000e', ?, ?, 3, 'tie earlier id', '2026-04-01T00:00:00Z'),
		('4b000000-0000-0000-0000-000000000001', ?, ?, 1, 'B secret',       '2026-03-10T10:00:00Z')`,
		tCheckout, uEmile, tCheckout, uZeta, tCheckout, uAlpha, tCheckout, uEmile, tCheckout, uZeta,
		tCheckout, uEmile, tCheckout, uBob, tB, uBert)

	exec(owner, `INSERT INTO step_ratings (tree_id, node_id, helpful, created_at) VALUES
		(?, 'root', true,  '2026-03-05T00:00:00Z'),
		(?, 'root', true,  '2026-03-06T00:00:00Z'),
		(?, 'root', false, '2026-03-07T00:00:00Z'),
		(?, 'root', false, '2026-02-15T00:00:00Z'),
		(?, 'q1',   false, '2026-03-08T00:00:00Z'),
		(?, 't1',   true,  '2026-03-09T00:00:00Z'),
		(?, 't1',   false, '2026-02-28T23:59:59.999999Z'),
		(?, 't1',   false, '2026-04-01T00:00:00Z'),
		(?, 'unvisited', true, '2026-03-10T00:00:00Z'),
		(?, 'x',    true,  '2026-03-29T00:00:00Z'),
		(?, 'root', true,  '2026-03-10T00:00:00Z')`,
		tCheckout, tCheckout, tCheckout, tCheckout, tCheckout, tCheckout, tCheckout, tCheckout, tCheckout,
		tBetaLow, tB)
}
