package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

// The ratings fixture. Window W = [2026-03-01T00:00Z, 2026-03-08T00:00Z).
// Session ratings of account A's tree R1 (id, rating, comment, created_at):
//
//	…01 5 "Great"          03-01 00:00:00 (= W from)
//	…02 4 NULL             03-02
//	…03 4 ""               03-03
//	…04 2 "Too long"       03-04 08:00
//	…05 1 "old one"        02-28 23:59:59.999999 (1µs before W)
//	…0f 3 "tie later id"   03-08 00:00 (= W to; inserted before …0e)
//	…0e 3 "tie earlier id" 03-08 00:00 (= W to)
//	…08 3 " "              03-05 (a blank comment is not empty)
//	…09 5 NULL             03-06
//
// Tree R2 of A: ratings 4, 3, 3, 3 on 03-02, no comments. Tree RB of
// account B: …b1 1 "B secret" 03-02.
var (
	ratA  = uuid.MustParse("a0000000-0000-4000-8000-0000000000a7")
	ratB  = uuid.MustParse("b0000000-0000-4000-8000-0000000000b7")
	ratR1 = uuid.MustParse("a7000000-0000-4000-8000-000000000001")
	ratR2 = uuid.MustParse("a7000000-0000-4000-8000-000000000002")
	ratRB = uuid.MustParse("b7000000-0000-4000-8000-000000000001")
)

// ratingID returns the id …n of a rating of the fixture.
func ratingID(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("a8000000-0000-4000-8000-%012x", n))
}

func ratingsFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.accounts(ratA, ratB)
	f.trees(tree{ratR1, ratA, "R1"}, tree{ratR2, ratA, "R2"}, tree{ratRB, ratB, "RB"})
	rate := func(id, tree uuid.UUID, rating int, comment any, created string) {
		f.exec("INSERT INTO session_ratings (id, tree_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?)",
			id, tree, rating, comment, at(t, created))
	}
	rate(ratingID(0x01), ratR1, 5, "Great", "2026-03-01T00:00:00Z")
	rate(ratingID(0x02), ratR1, 4, nil, "2026-03-02T00:00:00Z")
	rate(ratingID(0x03), ratR1, 4, "", "2026-03-03T00:00:00Z")
	rate(ratingID(0x04), ratR1, 2, "Too long", "2026-03-04T08:00:00Z")
	rate(ratingID(0x05), ratR1, 1, "old one", "2026-02-28T23:59:59.999999Z")
	rate(ratingID(0x0f), ratR1, 3, "tie later id", "2026-03-08T00:00:00Z")
	rate(ratingID(0x0e), ratR1, 3, "tie earlier id", "2026-03-08T00:00:00Z")
	rate(ratingID(0x08), ratR1, 3, " ", "2026-03-05T00:00:00Z")
	rate(ratingID(0x09), ratR1, 5, nil, "2026-03-06T00:00:00Z")
	for i, r := range []int{4, 3, 3, 3} {
		rate(ratingID(0x20+i), ratR2, r, nil, "2026-03-02T00:00:00Z")
	}
	rate(ratingID(0xb1), ratRB, 1, "B secret", "2026-03-02T00:00:00Z")
	return f
}

// distribution returns the five counts of ratings 1 to 5, checking that the
// entries are the ratings 1 to 5 in order.
func distribution(t *testing.T, rs *models.RatingStats) []int {
	t.Helper()
	var counts []int
	for i, rc := range rs.Distribution {
		if rc.Rating != i+1 {
			t.Fatalf("distribution entry %d is rating %d", i, rc.Rating)
		}
		counts = append(counts, rc.Count)
	}
	return counts
}

func TestRatings(t *testing.T) {
	f := ratingsFixture(t)
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	avg := func(v float64) *float64 { return &v }
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name  string
			sc    models.Scope
			avg   *float64
			total int
			dist  []int
		}{
			// In W: …01 5, …02 4, …03 4, …04 2, …08 3, …09 5 (…05 is 1µs early,
			// …0e and …0f at W's end). 23 / 6 = 3.833… → 3.8; none rated 1.
			{"R1", models.Scope{AccountID: ratA, Window: w, TreeID: ratR1}, avg(3.8), 6, []int{0, 1, 1, 2, 2}},
			// 13 / 4 = 3.25 → 3.3 (half away from zero; half to even gives 3.2).
			{"R2", models.Scope{AccountID: ratA, Window: w, TreeID: ratR2}, avg(3.3), 4, []int{0, 0, 3, 1, 0}},
			// W's previous window [02-22, 03-01): …05 alone.
			{"R1, previous window", models.Scope{AccountID: ratA, Window: w.Previous(), TreeID: ratR1}, avg(1), 1, []int{1, 0, 0, 0, 0}},
			// [03-08, 03-09): …0e and …0f, created at its start.
			{"R1, next window", models.Scope{AccountID: ratA, Window: window(t, "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", "UTC"), TreeID: ratR1},
				avg(3), 2, []int{0, 0, 2, 0, 0}},
			// No ratings: null mean, zero counts.
			{"R1, no ratings", models.Scope{AccountID: ratA, Window: window(t, "2025-03-01T00:00:00Z", "2025-03-08T00:00:00Z", "UTC"), TreeID: ratR1},
				nil, 0, []int{0, 0, 0, 0, 0}},
			{"RB", models.Scope{AccountID: ratB, Window: w, TreeID: ratRB}, avg(1), 1, []int{1, 0, 0, 0, 0}},
			// A tree of the other account: nothing.
			{"RB under A", models.Scope{AccountID: ratA, Window: w, TreeID: ratRB}, nil, 0, []int{0, 0, 0, 0, 0}},
			{"R1 under B", models.Scope{AccountID: ratB, Window: w, TreeID: ratR1}, nil, 0, []int{0, 0, 0, 0, 0}},
		} {
			got, err := st.Ratings(context.Background(), c.sc)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if (got.AvgCsat == nil) != (c.avg == nil) || got.AvgCsat != nil && *got.AvgCsat != *c.avg {
				t.Errorf("%s: avgCsat %v, want %v", c.name, deref(got.AvgCsat), deref(c.avg))
			}
			if got.TotalRatings != c.total {
				t.Errorf("%s: totalRatings %d, want %d", c.name, got.TotalRatings, c.total)
			}
			if d := distribution(t, got); !slices.Equal(d, c.dist) {
				t.Errorf("%s: distribution %v, want %v", c.name, d, c.dist)
			}
		}
	})
}

func deref(v *float64) any {
	if v == nil {
		return "null"
	}
	return *v
}

func TestRecentComments(t *testing.T) {
	f := ratingsFixture(t)
	w := window(t, "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z", "UTC")
	// Comments of R1 that are neither NULL nor "" (so not …02, …03, …09),
	// newest first; …0e before …0f at the same instant (ids ascending);
	// …05 although it is outside W.
	all := []models.FlowComment{
		{Rating: 3, Comment: "tie earlier id", CreatedAt: at(t, "2026-03-08T00:00:00Z")},
		{Rating: 3, Comment: "tie later id", CreatedAt: at(t, "2026-03-08T00:00:00Z")},
		{Rating: 3, Comment: " ", CreatedAt: at(t, "2026-03-05T00:00:00Z")},
		{Rating: 2, Comment: "Too long", CreatedAt: at(t, "2026-03-04T08:00:00Z")},
		{Rating: 5, Comment: "Great", CreatedAt: at(t, "2026-03-01T00:00:00Z")},
		{Rating: 1, Comment: "old one", CreatedAt: at(t, "2026-02-28T23:59:59.999999Z")},
	}
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for _, c := range []struct {
			name  string
			sc    models.Scope
			limit int
			want  []models.FlowComment
		}{
			{"R1", models.Scope{AccountID: ratA, Window: w, TreeID: ratR1}, 10, all},
			{"R1, limit 6", models.Scope{AccountID: ratA, Window: w, TreeID: ratR1}, 6, all},
			{"R1, limit 2", models.Scope{AccountID: ratA, Window: w, TreeID: ratR1}, 2, all[:2]},
			{"R1, limit 1", models.Scope{AccountID: ratA, Window: w, TreeID: ratR1}, 1, all[:1]},
			// Whatever the window.
			{"R1, another window", models.Scope{AccountID: ratA, TreeID: ratR1,
				Window: window(t, "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", "Europe/Berlin")}, 10, all},
			{"R2 (no comments)", models.Scope{AccountID: ratA, Window: w, TreeID: ratR2}, 10, nil},
			{"RB", models.Scope{AccountID: ratB, Window: w, TreeID: ratRB}, 10,
				[]models.FlowComment{{Rating: 1, Comment: "B secret", CreatedAt: at(t, "2026-03-02T00:00:00Z")}}},
			{"RB under A", models.Scope{AccountID: ratA, Window: w, TreeID: ratRB}, 10, nil},
			{"R1 under B", models.Scope{AccountID: ratB, Window: w, TreeID: ratR1}, 10, nil},
		} {
			got, err := st.RecentComments(context.Background(), c.sc, c.limit)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if !slices.EqualFunc(got, c.want, func(a, b models.FlowComment) bool {
				return a.Rating == b.Rating && a.Comment == b.Comment && a.CreatedAt.Equal(b.CreatedAt) && a.CreatedAt.Location() == time.UTC
			}) {
				t.Errorf("%s:\n got %v\nwant %v (times in UTC)", c.name, got, c.want)
			}
		}
	})
}
