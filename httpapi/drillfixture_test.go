package httpapi

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"
)

// The fixture of the drill-down tests (the sessions connections and the
// CSV export). Every expected list in drill*_test.go and export*_test.go
// is worked out by hand from shared/API.md over the tables below.
//
// Window W = [2026-03-01T00:00:00Z, 2026-04-01T00:00:00Z) (drillNow = W's
// end). Europe/Berlin moves from +01:00 to +02:00 at 2026-03-29T01:00:00Z.
//
// Account A (da…): users Ada (team admin), Ben (engineer), Sue (super
// admin), a nameless engineer ("Unknown"), and three engineers whose names
// test the CSV: Eve `-Eve, "the" @x` + newline + `line 2`, At `@home`,
// Plus `+plus`. Trees: T1 "Printer" (structure below), T2 `=SUM(A1:A2)`
// ({"id":"r","title":"Root"}), T3 `Net, "Wi-Fi"` + newline + `Floor 2`
// (no structure).
// Account B (db…): Bert (team admin), Bob (engineer); tree TB "B flow"
// whose structure uses T1's node ids.
//
// T1's nodes: start "Start" → power (question "Power on?") → cable
// "Check the cable"; start → queue (title "", no question: "Unnamed").
//
// Sessions (ids d5…NN, so id order is NN order; dur = completed_at −
// started_at; "—" not completed):
//
//	NN tree user started (UTC)      dur     outcome     decisions
//	01 T1   Ben  03-05 10:00        10m     resolved    [start, power, cable]
//	02 T1   Ben  03-05 10:00        10m     escalated   [start, queue]
//	03 T1   Ada  03-06 09:00        —       NULL        [start, power]              drop-off at power
//	04 T1   Ada  03-07 09:00        30m     workaround  [start, "junk", {"node_id":""}, power]
//	05 T1   Ben  03-08 12:00        —       resolved    [start, power, "junk"]      last entry not counted
//	06 T2   Ben  03-09 08:00        −5m     unresolved  [r]
//	07 T2   Non  03-10 08:00        2.5m    gave_up     {"node_id":"r"} (no array)
//	08 T1   Sue  03-11 08:00        —       NULL        [start, cable]              drop-off at cable
//	09 T3   Eve  03-12 08:00        45m     Resolved    NULL
//	10 T1   Ben  03-12 08:00        45m     unresolved  [start, power, power]
//	11 T2   At   03-20 14:00        93s     resolved    []
//	12 T1   Plus 03-29 01:30        —       escalated   [start, ghost, queue]       drop-off at queue
//	13 T1   Ben  02-20 10:00        5m      resolved    [start]                     before W
//	14 T1   Ben  04-01 00:00        5m      resolved    [start]                     = W's end: outside
//	15 T1   Bob  03-15 10:00        —       NULL        [start, power]              A's tree, B's user: nowhere
//	16 TB   Bert 03-05 10:00        10m     resolved    [start, power]              account B
//	17 TB   Bob  03-20 10:00        —       NULL        [start, power]              account B, drop-off at power
//
// Session ratings (id r…NN): s01 5 at 03-05 10:20 (…01) and 2 at 03-06
// (…02): csat 2; s02 4 (…04) and 1 (…03) both at 03-05 11:00: the smaller
// id wins, csat 1; s04 3 at 2026-05-01 (after W): csat 3; s06 5: csat 5;
// s10 2: csat 2; s16 (B) 1; one rating of T1 without a session. Every
// other session: csat null.
//
// In W, account A: 01…12 (12 sessions).
//
//	NEWEST  12 11 09 10 08 07 06 05 04 03 01 02   (09/10 and 01/02: equal starts, id order)
//	OLDEST  01 02 03 04 05 06 07 08 09 10 11 12
//	LONGEST 09 10 04 01 02 07 11 06 03 05 08 12   (45 45 30 10 10 2.5 1.55 −5, then not completed by id)

// Ids of the drill-down fixture.
const (
	drillA = "da000000-0000-0000-0000-000000000000"
	drillB = "db000000-0000-0000-0000-000000000000"

	dAda  = "d1a00000-0000-0000-0000-000000000001"
	dBen  = "d1a00000-0000-0000-0000-000000000002"
	dSue  = "d1a00000-0000-0000-0000-000000000003"
	dNon  = "d1a00000-0000-0000-0000-000000000004"
	dEve  = "d1a00000-0000-0000-0000-000000000005"
	dAt   = "d1a00000-0000-0000-0000-000000000006"
	dPlus = "d1a00000-0000-0000-0000-000000000007"
	dBert = "d1b00000-0000-0000-0000-000000000001"
	dBob  = "d1b00000-0000-0000-0000-000000000002"

	dT1 = "d2a00000-0000-0000-0000-000000000001"
	dT2 = "d2a00000-0000-0000-0000-000000000002"
	dT3 = "d2a00000-0000-0000-0000-000000000003"
	dTB = "d2b00000-0000-0000-0000-000000000001"

	// Names that the CSV must defuse and quote.
	eveName = "-Eve, \"the\" @x\nline 2"
	t2Name  = "=SUM(A1:A2)"
	t3Name  = "Net, \"Wi-Fi\"\nFloor 2"
)

// drillNow is the fixture's clock: W's end.
var drillNow = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// drillWindow is W as the queries' arguments.
const drillWindow = `from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"`

// sid returns the id of fixture session NN.
func sid(n int) string { return fmt.Sprintf("d5000000-0000-0000-0000-0000000000%02d", n) }

// drillEnv is the drill-down fixture with its clock, without a rate limit.
var drillEnv = envOptions{fixture: loadDrill, now: drillNow, settings: noRateLimit}

const t1Structure = `{"id":"start","title":"Start","children":[
  {"id":"power","question":"Power on?","children":[{"id":"cable","title":"Check the cable"}]},
  {"id":"queue","title":""}]}`

// loadDrill writes the drill-down fixture as the owner.
func loadDrill(t testing.TB, owner bun.IDB) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := owner.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("drill fixture: %v\n%s", err, q)
		}
	}
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'A'), (?, 'B')`, drillA, drillB)
	exec(`INSERT INTO users (id, account_id, name, is_team_admin, is_super_admin) VALUES
		(?, ?, 'Ada', true, false), (?, ?, 'Ben', false, false), (?, ?, 'Sue', false, true),
		(?, ?, NULL, false, false), (?, ?, ?, false, false), (?, ?, '@home', false, false), (?, ?, '+plus', false, false),
		(?, ?, 'Bert', true, false), (?, ?, 'Bob', false, false)`,
		dAda, drillA, dBen, drillA, dSue, drillA, dNon, drillA, dEve, drillA, eveName, dAt, drillA, dPlus, drillA,
		dBert, drillB, dBob, drillB)
	exec(`INSERT INTO trees (id, account_id, name, tree_structure) VALUES
		(?, ?, 'Printer', ?::jsonb), (?, ?, ?, '{"id":"r","title":"Root"}'), (?, ?, ?, NULL),
		(?, ?, 'B flow', ?::jsonb)`,
		dT1, drillA, t1Structure, dT2, drillA, t2Name, dT3, drillA, t3Name, dTB, drillB, t1Structure)
	type session struct {
		n                        int
		tree, user, started, dur string // dur "" = not completed
		outcome, decisions       string // "" = NULL
	}
	for _, s := range []session{
		{1, dT1, dBen, "2026-03-05T10:00:00Z", "10 minutes", "resolved", decisions("start", "power", "cable")},
		{2, dT1, dBen, "2026-03-05T10:00:00Z", "10 minutes", "escalated", decisions("start", "queue")},
		{3, dT1, dAda, "2026-03-06T09:00:00Z", "", "", decisions("start", "power")},
		{4, dT1, dAda, "2026-03-07T09:00:00Z", "30 minutes", "workaround", `[{"node_id":"start"}, "junk", {"node_id":""}, {"node_id":"power"}]`},
		{5, dT1, dBen, "2026-03-08T12:00:00Z", "", "resolved", `[{"node_id":"start"}, {"node_id":"power"}, "junk"]`},
		{6, dT2, dBen, "2026-03-09T08:00:00Z", "-5 minutes", "unresolved", decisions("r")},
		{7, dT2, dNon, "2026-03-10T08:00:00Z", "150 seconds", "gave_up", `{"node_id":"r"}`},
		{8, dT1, dSue, "2026-03-11T08:00:00Z", "", "", decisions("start", "cable")},
		{9, dT3, dEve, "2026-03-12T08:00:00Z", "45 minutes", "Resolved", ""},
		{10, dT1, dBen, "2026-03-12T08:00:00Z", "45 minutes", "unresolved", decisions("start", "power", "power")},
		{11, dT2, dAt, "2026-03-20T14:00:00Z", "93 seconds", "resolved", `[]`},
		{12, dT1, dPlus, "2026-03-29T01:30:00Z", "", "escalated", decisions("start", "ghost", "queue")},
		{13, dT1, dBen, "2026-02-20T10:00:00Z", "5 minutes", "resolved", decisions("start")},
		{14, dT1, dBen, "2026-04-01T00:00:00Z", "5 minutes", "resolved", decisions("start")},
		{15, dT1, dBob, "2026-03-15T10:00:00Z", "", "", decisions("start", "power")},
		{16, dTB, dBert, "2026-03-05T10:00:00Z", "10 minutes", "resolved", decisions("start", "power")},
		{17, dTB, dBob, "2026-03-20T10:00:00Z", "", "", decisions("start", "power")},
	} {
		insertSession(t, owner, sid(s.n), s.tree, s.user, s.started, s.dur, s.outcome, s.decisions)
	}
	r := func(n int) string { return fmt.Sprintf("d6000000-0000-0000-0000-0000000000%02d", n) }
	exec(`INSERT INTO session_ratings (id, session_id, tree_id, rating, comment, created_at) VALUES
		(?, ?, ?, 5, 'first', '2026-03-05T10:20:00Z'),
		(?, ?, ?, 2, 'second', '2026-03-06T00:00:00Z'),
		(?, ?, ?, 4, NULL, '2026-03-05T11:00:00Z'),
		(?, ?, ?, 1, NULL, '2026-03-05T11:00:00Z'),
		(?, ?, ?, 3, NULL, '2026-05-01T00:00:00Z'),
		(?, ?, ?, 5, NULL, '2026-03-09T09:00:00Z'),
		(?, ?, ?, 2, NULL, '2026-03-12T09:00:00Z'),
		(?, ?, ?, 1, NULL, '2026-03-05T11:00:00Z'),
		(?, NULL, ?, 1, 'no session', '2026-03-05T11:00:00Z')`,
		r(1), sid(1), dT1, r(2), sid(1), dT1, r(4), sid(2), dT1, r(3), sid(2), dT1, r(5), sid(4), dT1,
		r(6), sid(6), dT2, r(7), sid(10), dT1, r(8), sid(16), dTB, r(9), dT1)
}

// insertSession writes one session as the main application does (it knows
// none of flowlens's columns).
func insertSession(t testing.TB, owner bun.IDB, id, tree, user, started, dur, outcome, decisions string) {
	t.Helper()
	_, err := owner.ExecContext(context.Background(), `INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions)
		VALUES (?, ?, ?, ?::timestamptz, ?::timestamptz + nullif(?, '')::interval, nullif(?, ''), nullif(?, '')::jsonb)`,
		id, tree, user, started, started, dur, outcome, decisions)
	if err != nil {
		t.Fatalf("insert session %s: %v", id, err)
	}
}
