package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// The top fixture. Window W = [2026-03-01T00:00Z, 2026-03-08T00:00Z).
//
// Account A, trees (name, id): F1 "beta" …01, F2 "Beta" …02, F3 "alpha" …03,
// F5 "Same" …04, F4 "Same" …05 (F4 inserted first), F6 "Zed" …06,
// F7 "Émile" …07. Byte order: "Beta" < "Same" < "Zed" < "alpha" < "beta" <
// "Émile" (É is 0xC3 0x89).
// Users (name, id): Zoe …01, "" …02, NULL …03 (inserted before …02; both
// shown as "Unknown"), Bob …05, bob …06 (inactive).
// Account B: tree "AAA", user Bert.
//
//	tree     sessions in W (user, duration; — = not completed)
//	F7 Émile  Bob 10m, Zoe 20m, Bob —
//	F2 Beta   Zoe 5m, NULL 6m
//	F3 alpha  "" —, NULL —
//	F1 beta   Bob 1m, "" —
//	F5 Same   Zoe 2.25m
//	F4 Same   bob 7m
//	F6 Zed    Zoe 3m at W's end and Zoe 3m 1µs before W (outside);
//	          Bert (of B) 3m ×4 in W: tree and user of different accounts, nowhere
//	AAA (B)   Bert 1m ×5
var (
	topA     = uuid.MustParse("a0000000-0000-4000-8000-0000000000a0")
	topB     = uuid.MustParse("b0000000-0000-4000-8000-0000000000b0")
	fBeta    = uuid.MustParse("af000000-0000-4000-8000-000000000001")
	fBetaUp  = uuid.MustParse("af000000-0000-4000-8000-000000000002")
	fAlpha   = uuid.MustParse("af000000-0000-4000-8000-000000000003")
	fSame04  = uuid.MustParse("af000000-0000-4000-8000-000000000004")
	fSame05  = uuid.MustParse("af000000-0000-4000-8000-000000000005")
	fZed     = uuid.MustParse("af000000-0000-4000-8000-000000000006")
	fEmile   = uuid.MustParse("af000000-0000-4000-8000-000000000007")
	fAAA     = uuid.MustParse("bf000000-0000-4000-8000-000000000001")
	eZoe     = uuid.MustParse("ae000000-0000-4000-8000-000000000001")
	eEmpty   = uuid.MustParse("ae000000-0000-4000-8000-000000000002")
	eNull    = uuid.MustParse("ae000000-0000-4000-8000-000000000003")
	eBob     = uuid.MustParse("ae000000-0000-4000-8000-000000000005")
	eBobLow  = uuid.MustParse("ae000000-0000-4000-8000-000000000006")
	eBert    = uuid.MustParse("be000000-0000-4000-8000-000000000001")
	topStart = "2026-03-02T10:00:00Z"
)

func topFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.accounts(topA, topB)
	f.trees(tree{fBeta, topA, "beta"}, tree{fBetaUp, topA, "Beta"}, tree{fAlpha, topA, "alpha"},
		tree{fSame05, topA, "Same"}, tree{fSame04, topA, "Same"}, tree{fZed, topA, "Zed"},
		tree{fEmile, topA, "Émile"}, tree{fAAA, topB, "AAA"})
	f.users(user{id: eZoe, account: topA, name: "Zoe"}, user{id: eNull, account: topA, name: nil},
		user{id: eEmpty, account: topA, name: ""}, user{id: eBob, account: topA, name: "Bob"},
		user{id: eBobLow, account: topA, name: "bob", inactive: true}, user{id: eBert, account: topB, name: "Bert"})
	f.sessions(
		session{fEmile, eBob, topStart, minutes(10), "resolved"},
		session{fEmile, eZoe, topStart, minutes(20), nil},
		session{fEmile, eBob, topStart, 0, nil},
		session{fBetaUp, eZoe, topStart, minutes(5), nil},
		session{fBetaUp, eNull, topStart, minutes(6), nil},
		session{fAlpha, eEmpty, topStart, 0, nil},
		session{fAlpha, eNull, topStart, 0, nil},
		session{fBeta, eBob, topStart, minutes(1), nil},
		session{fBeta, eEmpty, topStart, 0, nil},
		session{fSame04, eZoe, topStart, minutes(2.25), nil},
		session{fSame05, eBobLow, topStart, minutes(7), nil},
		session{fZed, eZoe, "2026-03-08T00:00:00Z", minutes(3), nil},
		session{fZed, eZoe, "2026-02-28T23:59:59.999999Z", minutes(3), nil},
	)
	for range 4 {
		f.sessions(session{fZed, eBert, topStart, minutes(3), nil})
	}
	for range 5 {
		f.sessions(session{fAAA, eBert, topStart, minutes(1), nil})
	}
	return f
}

// ranked is one row of a top list, as compared here.
type ranked struct {
	id       uuid.UUID
	name     string
	sessions int
	median   float64
}

// project returns the ranked form of each row.
func project[R any](rows []R, row func(R) ranked) []ranked {
	var out []ranked
	for _, r := range rows {
		out = append(out, row(r))
	}
	return out
}

// topCase is a top list expected for a scope and limit.
type topCase struct {
	name  string
	sc    models.Scope
	limit int
	want  []ranked
}

// checkTop compares, for each case, what list returns with the case's rows.
func checkTop(t *testing.T, cases []topCase, list func(sc models.Scope, limit int) ([]ranked, error)) {
	t.Helper()
	for _, c := range cases {
		got, err := list(c.sc, c.limit)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
}

func TestTopFlows(t *testing.T) {
	f := topFixture(t)
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	// Sessions desc; the three trees with 2 by name in byte order (Beta,
	// alpha, beta); the two "Same" by id (…04 before …05). Medians of the
	// completed durations: Émile (10, 20) → 15; Beta (5, 6) → 5.5; alpha
	// none → 0; beta (1) → 1; Same …04 (2.25) → 2.3 (half away from zero);
	// Same …05 (7) → 7. Zed's sessions are outside W or nowhere.
	all := []ranked{{fEmile, "Émile", 3, 15}, {fBetaUp, "Beta", 2, 5.5}, {fAlpha, "alpha", 2, 0},
		{fBeta, "beta", 2, 1}, {fSame04, "Same", 1, 2.3}, {fSame05, "Same", 1, 7}}
	cases := []topCase{
		{"account A", models.Scope{AccountID: topA, Window: w}, 10, all},
		{"account A, limit 6", models.Scope{AccountID: topA, Window: w}, 6, all},
		{"account A, limit 5", models.Scope{AccountID: topA, Window: w}, 5, all[:5]},
		{"account A, limit 3", models.Scope{AccountID: topA, Window: w}, 3, all[:3]},
		{"account A, limit 1", models.Scope{AccountID: topA, Window: w}, 1, all[:1]},
		// Bob's sessions: Émile (10m, —) → median 10; beta (1m).
		{"account A, Bob", models.Scope{AccountID: topA, Window: w, UserID: eBob, ByUser: true}, 10,
			[]ranked{{fEmile, "Émile", 2, 10}, {fBeta, "beta", 1, 1}}},
		// Bert's 4 sessions on Zed count nowhere: B lists only AAA.
		{"account B", models.Scope{AccountID: topB, Window: w}, 10, []ranked{{fAAA, "AAA", 5, 1}}},
		{"account A, Bert", models.Scope{AccountID: topA, Window: w, UserID: eBert, ByUser: true}, 10, nil},
		// W's previous window: Zoe's 3m on Zed, 1µs before W.
		{"account A, previous window", models.Scope{AccountID: topA, Window: w.Previous()}, 10,
			[]ranked{{fZed, "Zed", 1, 3}}},
	}
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		checkTop(t, cases, func(sc models.Scope, limit int) ([]ranked, error) {
			rows, err := st.TopFlows(context.Background(), sc, limit)
			return project(rows, func(r models.TopFlow) ranked { return ranked{r.TreeID, r.Name, r.Sessions, r.MedianDurationMinutes} }), err
		})
	})
}

func TestTopEngineers(t *testing.T) {
	f := topFixture(t)
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	// Bob 3 (10, —, 1 → median 5.5), Zoe 3 (20, 5, 2.25 → 5): ties by
	// name, "Bob" < "Zoe" although Zoe's id is smaller. The nameless two
	// both show as "Unknown" with 2 sessions: by id, "" (…02) then NULL
	// (…03, 6m → 6). bob (inactive) 1 (7).
	all := []ranked{{eBob, "Bob", 3, 5.5}, {eZoe, "Zoe", 3, 5}, {eEmpty, "Unknown", 2, 0},
		{eNull, "Unknown", 2, 6}, {eBobLow, "bob", 1, 7}}
	cases := []topCase{
		{"account A", models.Scope{AccountID: topA, Window: w}, 10, all},
		{"account A, limit 4", models.Scope{AccountID: topA, Window: w}, 4, all[:4]},
		{"account A, limit 3", models.Scope{AccountID: topA, Window: w}, 3, all[:3]},
		{"account A, limit 1", models.Scope{AccountID: topA, Window: w}, 1, all[:1]},
		{"account A, Zoe", models.Scope{AccountID: topA, Window: w, UserID: eZoe, ByUser: true}, 10, all[1:2]},
		// Bert's sessions on A's tree Zed are nowhere.
		{"account B", models.Scope{AccountID: topB, Window: w}, 10, []ranked{{eBert, "Bert", 5, 1}}},
		{"account B, Zoe", models.Scope{AccountID: topB, Window: w, UserID: eZoe, ByUser: true}, 10, nil},
	}
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		checkTop(t, cases, func(sc models.Scope, limit int) ([]ranked, error) {
			rows, err := st.TopEngineers(context.Background(), sc, limit)
			return project(rows, func(r models.TopEngineer) ranked {
				return ranked{r.UserID, r.Name, r.Sessions, r.MedianDurationMinutes}
			}), err
		})
	})
}

// TestCompletions: the loaders' batched counts of completed sessions per
// tree and per user; ids without any completed session in scope (or of
// another account) are absent.
func TestCompletions(t *testing.T) {
	f := topFixture(t)
	ctx := context.Background()
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	a := models.Scope{AccountID: topA, Window: w}
	trees := []uuid.UUID{fEmile, fBetaUp, fAlpha, fBeta, fSame04, fSame05, fZed, fAAA}
	users := []uuid.UUID{eBob, eZoe, eEmpty, eNull, eBobLow, eBert}
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name         string
			sc           models.Scope
			flows, users map[uuid.UUID]int
		}{
			// Completed in W: Émile 2 (10m, 20m), Beta 2, beta 1, Same …04 1,
			// Same …05 1; alpha none; Zed's only in-window completions are
			// Bert's, nowhere; AAA is B's. Per user: Bob 2 (10m, 1m), Zoe 3
			// (20m, 5m, 2.25m), NULL 1 (6m), bob 1 (7m); "" none.
			{"account A", a,
				map[uuid.UUID]int{fEmile: 2, fBetaUp: 2, fBeta: 1, fSame04: 1, fSame05: 1},
				map[uuid.UUID]int{eBob: 2, eZoe: 3, eNull: 1, eBobLow: 1}},
			// Zoe's: Émile 20m, Beta 5m, Same …04 2.25m.
			{"account A, Zoe", models.Scope{AccountID: topA, Window: w, UserID: eZoe, ByUser: true},
				map[uuid.UUID]int{fEmile: 1, fBetaUp: 1, fSame04: 1},
				map[uuid.UUID]int{eZoe: 3}},
			// Zed's two completions of Zoe at W's end and 1µs before W: the
			// previous window holds the one before.
			{"account A, previous window", models.Scope{AccountID: topA, Window: w.Previous()},
				map[uuid.UUID]int{fZed: 1}, map[uuid.UUID]int{eZoe: 1}},
			{"account B", models.Scope{AccountID: topB, Window: w},
				map[uuid.UUID]int{fAAA: 5}, map[uuid.UUID]int{eBert: 5}},
		} {
			flows, err := st.FlowCompletions(ctx, c.sc, trees)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !maps.Equal(flows, c.flows) {
				t.Errorf("%s: flow completions %v, want %v", c.name, flows, c.flows)
			}
			engineers, err := st.EngineerCompletions(ctx, c.sc, users)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !maps.Equal(engineers, c.users) {
				t.Errorf("%s: engineer completions %v, want %v", c.name, engineers, c.users)
			}
		}
		// Only the asked ids come back.
		flows, err := st.FlowCompletions(ctx, a, []uuid.UUID{fBeta, fAlpha})
		if want := map[uuid.UUID]int{fBeta: 1}; err != nil || !maps.Equal(flows, want) {
			t.Errorf("flow completions of beta and alpha: %v, %v; want %v", flows, err, want)
		}
		engineers, err := st.EngineerCompletions(ctx, a, []uuid.UUID{eZoe})
		if want := map[uuid.UUID]int{eZoe: 3}; err != nil || !maps.Equal(engineers, want) {
			t.Errorf("engineer completions of Zoe: %v, %v; want %v", engineers, err, want)
		}
	})
}
