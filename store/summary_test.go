package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// The summary fixture. Window W = [2026-03-01T00:00Z, 2026-03-08T00:00Z).
//
// Account A: users Ann, Ben, Cy, Dee (inactive), Eve, Fay; trees A1, A2, A3.
// Account B: user Bo; tree B1.
//
//	#   tree user started_at (UTC)                dur     outcome
//	s1  A1   Ann  03-01 00:00:00 (= W from)       10m     resolved
//	s2  A1   Ann  03-02 10:00                     20m     resolved
//	s3  A1   Ben  03-03 10:00                     30m     escalated
//	s4  A2   Ben  03-04 10:00                     40m     workaround
//	s5  A2   Ann  03-05 10:00                     50m     unresolved
//	s6  A2   Ben  03-06 10:00                     60m     Resolved (not the word)
//	s7  A1   Ann  03-06 12:00                     —       resolved (not completed)
//	s8  A1   Dee  03-07 23:59:59.999999 (= to−1µs) —      NULL
//	s9  A1   Ann  03-07 12:00                     70m     NULL
//	e1  A1   Fay  03-08 00:00 (= W to)            5m      resolved   outside W
//	e2  A1   Ann  02-28 23:59:59.999999 (from−1µs) 5m     resolved   outside W (in W's previous window)
//	x1  A1   Bo   03-02 12:00                     7m      resolved   tree of A, user of B: nowhere
//	x2  B1   Eve  03-02 12:00                     7m      resolved   tree of B, user of A: nowhere
//	b1  B1   Bo   03-03 09:00                     100m    unresolved
//	b2  B1   Bo   03-04 09:00                     —       NULL
//	r1…r16 A3 Cy  2026-04-01 10:00 (window W2 = [04-01, 04-02)): 9 completed
//	          in 1, 1, 1, 1, 2.25, 3, 3, 3, 8 minutes, 7 not completed; NULL outcomes
var (
	sumA  = uuid.MustParse("a0000000-0000-4000-8000-000000000000")
	sumB  = uuid.MustParse("b0000000-0000-4000-8000-000000000000")
	sumA1 = uuid.MustParse("a1000000-0000-4000-8000-000000000001")
	sumA2 = uuid.MustParse("a1000000-0000-4000-8000-000000000002")
	sumA3 = uuid.MustParse("a1000000-0000-4000-8000-000000000003")
	sumB1 = uuid.MustParse("b1000000-0000-4000-8000-000000000001")
	ann   = uuid.MustParse("a2000000-0000-4000-8000-000000000001")
	ben   = uuid.MustParse("a2000000-0000-4000-8000-000000000002")
	cy    = uuid.MustParse("a2000000-0000-4000-8000-000000000003")
	dee   = uuid.MustParse("a2000000-0000-4000-8000-000000000004")
	eve   = uuid.MustParse("a2000000-0000-4000-8000-000000000005")
	fay   = uuid.MustParse("a2000000-0000-4000-8000-000000000006")
	bo    = uuid.MustParse("b2000000-0000-4000-8000-000000000001")
)

func summaryFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.accounts(sumA, sumB)
	f.users(user{id: ann, account: sumA, name: "Ann"}, user{id: ben, account: sumA, name: "Ben"},
		user{id: cy, account: sumA, name: "Cy"}, user{id: dee, account: sumA, name: "Dee", inactive: true},
		user{id: eve, account: sumA, name: "Eve"}, user{id: fay, account: sumA, name: "Fay"},
		user{id: bo, account: sumB, name: "Bo"})
	f.trees(tree{sumA1, sumA, "A1"}, tree{sumA2, sumA, "A2"}, tree{sumA3, sumA, "A3"}, tree{sumB1, sumB, "B1"})
	f.sessions(
		session{sumA1, ann, "2026-03-01T00:00:00Z", minutes(10), "resolved"},
		session{sumA1, ann, "2026-03-02T10:00:00Z", minutes(20), "resolved"},
		session{sumA1, ben, "2026-03-03T10:00:00Z", minutes(30), "escalated"},
		session{sumA2, ben, "2026-03-04T10:00:00Z", minutes(40), "workaround"},
		session{sumA2, ann, "2026-03-05T10:00:00Z", minutes(50), "unresolved"},
		session{sumA2, ben, "2026-03-06T10:00:00Z", minutes(60), "Resolved"},
		session{sumA1, ann, "2026-03-06T12:00:00Z", 0, "resolved"},
		session{sumA1, dee, "2026-03-07T23:59:59.999999Z", 0, nil},
		session{sumA1, ann, "2026-03-07T12:00:00Z", minutes(70), nil},
		session{sumA1, fay, "2026-03-08T00:00:00Z", minutes(5), "resolved"},
		session{sumA1, ann, "2026-02-28T23:59:59.999999Z", minutes(5), "resolved"},
		session{sumA1, bo, "2026-03-02T12:00:00Z", minutes(7), "resolved"},
		session{sumB1, eve, "2026-03-02T12:00:00Z", minutes(7), "resolved"},
		session{sumB1, bo, "2026-03-03T09:00:00Z", minutes(100), "unresolved"},
		session{sumB1, bo, "2026-03-04T09:00:00Z", 0, nil},
	)
	for _, m := range []float64{1, 1, 1, 1, 2.25, 3, 3, 3, 8, 0, 0, 0, 0, 0, 0, 0} {
		f.sessions(session{sumA3, cy, "2026-04-01T10:00:00Z", minutes(m), nil})
	}
	return f
}

func TestSummary(t *testing.T) {
	f := summaryFixture(t)
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	w2 := window(t, "2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z", "UTC")
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name string
			sc   models.Scope
			want models.Summary
		}{
			// s1…s9: 9 sessions; completed s1…s6, s9 = 7; 7/9 = 0.7777… → 0.778.
			// Durations 10, 20, 30, 40, 50, 60, 70: median at rank (7−1)×0.5 = 3
			// → 40; p90 at rank (7−1)×0.9 = 5.4 → 60 + 0.4×(70−60) = 64.
			// Engineers Ann, Ben, Dee (inactive counts) = 3; Eve's and Fay's
			// sessions are nowhere and outside W. Outcomes of completed
			// sessions: resolved s1, s2; escalated s3; workaround s4;
			// unresolved s5 (s6 "Resolved" and s7, not completed, do not count).
			{"account A", models.Scope{AccountID: sumA, Window: w},
				models.Summary{TotalSessions: 9, CompletedSessions: 7, CompletionRate: 0.778,
					MedianDurationMinutes: 40, P90DurationMinutes: 64, ActiveEngineers: 3,
					OutcomeBreakdown: models.OutcomeBreakdown{Resolved: 2, Escalated: 1, Workaround: 1, Unresolved: 1}}},
			// b1, b2 (x1, x2 are nowhere): 1 of 2 completed = 0.5; one duration, 100.
			{"account B", models.Scope{AccountID: sumB, Window: w},
				models.Summary{TotalSessions: 2, CompletedSessions: 1, CompletionRate: 0.5,
					MedianDurationMinutes: 100, P90DurationMinutes: 100, ActiveEngineers: 1,
					OutcomeBreakdown: models.OutcomeBreakdown{Unresolved: 1}}},
			// Ann: s1, s2, s5, s7, s9 = 5; completed 4 → 0.8. Durations 10, 20,
			// 50, 70: median at rank 1.5 → 20 + 0.5×30 = 35; p90 at rank 2.7 →
			// 50 + 0.7×20 = 64.
			{"account A, Ann", models.Scope{AccountID: sumA, Window: w, UserID: ann, ByUser: true},
				models.Summary{TotalSessions: 5, CompletedSessions: 4, CompletionRate: 0.8,
					MedianDurationMinutes: 35, P90DurationMinutes: 64, ActiveEngineers: 1,
					OutcomeBreakdown: models.OutcomeBreakdown{Resolved: 2, Unresolved: 1}}},
			// Tree A2: s4, s5, s6, all completed. Durations 40, 50, 60: median
			// 50; p90 at rank 1.8 → 50 + 0.8×10 = 58. Engineers Ben and Ann.
			{"account A, tree A2", models.Scope{AccountID: sumA, Window: w, TreeID: sumA2},
				models.Summary{TotalSessions: 3, CompletedSessions: 3, CompletionRate: 1,
					MedianDurationMinutes: 50, P90DurationMinutes: 58, ActiveEngineers: 2,
					OutcomeBreakdown: models.OutcomeBreakdown{Workaround: 1, Unresolved: 1}}},
			// Tree A1 and Ben: s3 only.
			{"account A, tree A1, Ben", models.Scope{AccountID: sumA, Window: w, TreeID: sumA1, UserID: ben, ByUser: true},
				models.Summary{TotalSessions: 1, CompletedSessions: 1, CompletionRate: 1,
					MedianDurationMinutes: 30, P90DurationMinutes: 30, ActiveEngineers: 1,
					OutcomeBreakdown: models.OutcomeBreakdown{Escalated: 1}}},
			// Dee: s8 (1µs before W's end), not completed: rate and durations 0.
			{"account A, Dee", models.Scope{AccountID: sumA, Window: w, UserID: dee, ByUser: true},
				models.Summary{TotalSessions: 1, ActiveEngineers: 1}},
			// W's previous window [02-22, 03-01): e2 only (1µs before W).
			{"account A, previous window", models.Scope{AccountID: sumA, Window: w.Previous()},
				models.Summary{TotalSessions: 1, CompletedSessions: 1, CompletionRate: 1,
					MedianDurationMinutes: 5, P90DurationMinutes: 5, ActiveEngineers: 1,
					OutcomeBreakdown: models.OutcomeBreakdown{Resolved: 1}}},
			// Tree A3 in W2: 9 of 16 completed = 0.5625 → 0.563 (half away from
			// zero; half to even would give 0.562). Sorted durations 1, 1, 1,
			// 1, 2.25, 3, 3, 3, 8: median at rank 4 → 2.25 → 2.3 (half away
			// from zero); p90 at rank 8×0.9 = 7.2 → 3 + 0.2×(8−3) = 4.
			{"rounding", models.Scope{AccountID: sumA, Window: w2, TreeID: sumA3},
				models.Summary{TotalSessions: 16, CompletedSessions: 9, CompletionRate: 0.563,
					MedianDurationMinutes: 2.3, P90DurationMinutes: 4, ActiveEngineers: 1}},
			// Matching nothing: B's user or B's tree under A, an account
			// without data; all zeros.
			{"account A, B's user", models.Scope{AccountID: sumA, Window: w, UserID: bo, ByUser: true}, models.Summary{}},
			{"account A, B's tree", models.Scope{AccountID: sumA, Window: w, TreeID: sumB1}, models.Summary{}},
			{"unknown account", models.Scope{AccountID: uuid.New(), Window: w}, models.Summary{}},
			// B with A's tree A1: x1 (A1 by Bo) belongs to no account.
			{"account B, tree A1", models.Scope{AccountID: sumB, Window: w, TreeID: sumA1}, models.Summary{}},
		} {
			got, err := st.Summary(context.Background(), c.sc)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if *got != c.want {
				t.Errorf("%s:\n got %+v\nwant %+v", c.name, *got, c.want)
			}
		}
	})
}

// TestSummaryWindowEdges: a session at W's first instant counts, one at
// W's end does not, to the microsecond on both sides.
func TestSummaryWindowEdges(t *testing.T) {
	f := summaryFixture(t)
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			from, to string
			want     int
		}{
			{"2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000001Z", 1},        // s1 at from
			{"2026-03-01T00:00:00.000001Z", "2026-03-02T00:00:00Z", 0},        // s1 1µs before from
			{"2026-02-28T23:59:59.999999Z", "2026-03-01T00:00:00Z", 1},        // e2 at from; s1 at to
			{"2026-03-07T23:59:59.999999Z", "2026-03-08T00:00:00Z", 1},        // s8 at from; e1 at to
			{"2026-03-07T23:59:59.999999Z", "2026-03-08T00:00:00.000001Z", 2}, // s8 and e1
			{"2026-03-07T23:59:59.999998Z", "2026-03-07T23:59:59.999999Z", 0}, // s8 at to
		} {
			sc := models.Scope{AccountID: sumA, Window: window(t, c.from, c.to, "UTC")}
			got, err := st.Summary(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			if got.TotalSessions != c.want {
				t.Errorf("[%s, %s): %d sessions, want %d", c.from, c.to, got.TotalSessions, c.want)
			}
		}
	})
}
