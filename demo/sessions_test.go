package demo

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

type decision struct {
	NodeID string  `json:"node_id"`
	Answer *string `json:"answer"`
}

func TestDecisionsFollowTheTree(t *testing.T) {
	d := generate(t, testSpec(3, 6000))
	tree := map[uuid.UUID]map[string]string{} // tree id -> node id -> parent id
	treeAccount := map[uuid.UUID]uuid.UUID{}
	for _, tr := range d.Trees {
		tree[tr.ID], _ = parents(t, tr.Structure)
		treeAccount[tr.ID] = tr.AccountID
	}
	userAccount := map[uuid.UUID]uuid.UUID{}
	for _, u := range d.Users {
		userAccount[u.ID] = u.AccountID
	}
	paths := map[uuid.UUID][]string{}
	sessionUser := map[uuid.UUID]uuid.UUID{}
	n := 0
	for b := range d.Batches(500) {
		for _, s := range b.Sessions {
			n++
			if treeAccount[s.TreeID] != s.AccountID || userAccount[s.UserID] != s.AccountID {
				t.Fatalf("session %s: account %s, tree of %s, user of %s", s.ID, s.AccountID, treeAccount[s.TreeID], userAccount[s.UserID])
			}
			var ds []decision
			if err := json.Unmarshal(s.Decisions, &ds); err != nil || len(ds) == 0 {
				t.Fatalf("session %s: decisions %s: %v", s.ID, s.Decisions, err)
			}
			nodes := tree[s.TreeID]
			for i, dec := range ds {
				parent, ok := nodes[dec.NodeID]
				switch {
				case !ok:
					t.Fatalf("session %s: node %q is not in its tree", s.ID, dec.NodeID)
				case i == 0 && parent != "":
					t.Fatalf("session %s: starts at %q, not at the root", s.ID, dec.NodeID)
				case i > 0 && parent != ds[i-1].NodeID:
					t.Fatalf("session %s: %q follows %q, which is not its parent", s.ID, dec.NodeID, ds[i-1].NodeID)
				case i < len(ds)-1 && dec.Answer == nil:
					t.Fatalf("session %s: decision %d has no answer", s.ID, i)
				}
			}
			if last := ds[len(ds)-1]; (s.CompletedAt != nil) != (last.Answer != nil) {
				t.Fatalf("session %s (completed %v): the last decision's answer is %v", s.ID, s.CompletedAt != nil, last.Answer)
			}
			for _, dec := range ds {
				paths[s.ID] = append(paths[s.ID], dec.NodeID)
			}
			sessionUser[s.ID] = s.UserID
		}
		for _, r := range b.StepRatings {
			if !slices.Contains(paths[r.SessionID], r.NodeID) {
				t.Fatalf("step rating %s: node %q is not on session %s's path", r.ID, r.NodeID, r.SessionID)
			}
			if sessionUser[r.SessionID] != r.UserID {
				t.Fatalf("step rating %s: user differs from its session's", r.ID)
			}
		}
		for _, r := range b.SessionRatings {
			if sessionUser[r.SessionID] != r.UserID {
				t.Fatalf("session rating %s: user differs from its session's", r.ID)
			}
		}
	}
	if n != 6000 {
		t.Errorf("got %d sessions, want 6000", n)
	}
}

// TestShape checks the distributions the demo data is meant to have, on a
// sample large enough for the ranges below to hold for any seed.
func TestShape(t *testing.T) {
	spec := testSpec(5, 40000)
	d := generate(t, spec)
	start, end := testAnchor.Add(-95*24*time.Hour), testAnchor
	completed, weekend := 0, 0
	outcomes := map[string]int{}
	treeSessions := map[uuid.UUID]int{}
	var minutes []float64
	rated, comments := 0, 0
	completedIDs := map[uuid.UUID]bool{}
	drops, visits := map[string]int{}, map[string]int{}
	last := map[uuid.UUID]time.Time{}
	for b := range d.Batches(4096) {
		for _, s := range b.Sessions {
			if s.StartedAt.Before(start) || !s.StartedAt.Before(end) {
				t.Fatalf("session %s starts at %v, outside [%v, %v)", s.ID, s.StartedAt, start, end)
			}
			if s.StartedAt.Before(last[s.AccountID]) {
				t.Fatalf("session %s starts before the previous session of its account", s.ID)
			}
			last[s.AccountID] = s.StartedAt
			if wd := s.StartedAt.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekend++
			}
			treeSessions[s.TreeID]++
			if s.CompletedAt != nil {
				completed++
				completedIDs[s.ID] = true
				if s.CompletedAt.After(end) || !s.CompletedAt.After(s.StartedAt) {
					t.Fatalf("session %s completes at %v, started %v", s.ID, s.CompletedAt, s.StartedAt)
				}
				minutes = append(minutes, s.CompletedAt.Sub(s.StartedAt).Minutes())
				o := "null"
				if s.Outcome != nil {
					o = *s.Outcome
				}
				outcomes[o]++
			}
			var ds []decision
			_ = json.Unmarshal(s.Decisions, &ds)
			for _, dec := range ds {
				visits[dec.NodeID]++
			}
			if s.CompletedAt == nil {
				drops[ds[len(ds)-1].NodeID]++
			}
		}
		for _, r := range b.SessionRatings {
			rated++
			if !completedIDs[r.SessionID] {
				t.Fatalf("rating %s of a session that did not complete", r.ID)
			}
			if r.Rating < 1 || r.Rating > 5 || r.CreatedAt.After(end) {
				t.Fatalf("rating %s: %d at %v", r.ID, r.Rating, r.CreatedAt)
			}
			if r.Comment != nil && *r.Comment != "" {
				comments++
			}
		}
	}
	total := spec.TotalSessions()
	if rate := float64(completed) / float64(total); rate < 0.70 || rate > 0.80 {
		t.Errorf("completion rate %.3f, want about 0.75", rate)
	}
	resolved, workaround := string(models.OutcomeResolved), string(models.OutcomeWorkaround)
	escalated, unresolved := string(models.OutcomeEscalated), string(models.OutcomeUnresolved)
	if !(outcomes[resolved] > outcomes[workaround] && outcomes[workaround] > outcomes[escalated] &&
		outcomes[escalated] > outcomes[unresolved] && outcomes[unresolved] > outcomes["null"] && outcomes["null"] > 0) {
		t.Errorf("outcomes %v: want resolved > workaround > escalated > unresolved > null > 0", outcomes)
	}
	if share := float64(outcomes[resolved]) / float64(completed); share < 0.5 {
		t.Errorf("resolved share %.3f of completed sessions, want most", share)
	}
	if share := float64(rated) / float64(completed); share < 0.27 || share > 0.33 {
		t.Errorf("%.3f of completed sessions rated, want about 0.3", share)
	}
	if share := float64(comments) / float64(rated); share < 0.35 || share > 0.55 {
		t.Errorf("%.3f of ratings have a comment, want about 0.45", share)
	}
	if share := float64(weekend) / float64(total); share > 0.12 {
		t.Errorf("%.3f of sessions on weekends, want few", share)
	}
	slices.Sort(minutes)
	median, p90 := minutes[len(minutes)/2], minutes[len(minutes)*9/10]
	if median < 5 || median > 30 || p90 < 1.8*median {
		t.Errorf("durations: median %.1f min, p90 %.1f min; want a median of minutes and a long tail", median, p90)
	}
	// Popularity: in each account, the most used tree has far more than
	// its even share (1/10) and the top three most sessions.
	for i, a := range d.Accounts {
		var counts []int
		for _, tr := range d.Trees {
			if tr.AccountID == a.ID {
				counts = append(counts, treeSessions[tr.ID])
			}
		}
		slices.Sort(counts)
		slices.Reverse(counts)
		n := spec.Accounts[i].Sessions
		if top, top3 := float64(counts[0])/float64(n), float64(counts[0]+counts[1]+counts[2])/float64(n); top < 0.25 || top3 < 0.5 {
			t.Errorf("%s: top tree %.2f, top three %.2f of sessions; want a skewed popularity", a.Name, top, top3)
		}
	}
	// Drop-off: engineers give up far more often at the nodes marked hard
	// than elsewhere.
	hard := map[string]bool{}
	var mark func(n *tnode)
	mark = func(n *tnode) {
		if n.drop >= 0.2 {
			hard[n.id] = true
		}
		for _, k := range n.kids {
			mark(k)
		}
	}
	for _, tp := range templates() {
		mark(tp.root)
	}
	var hardDrops, hardVisits, otherDrops, otherVisits int
	for id, v := range visits {
		if hard[id] {
			hardDrops, hardVisits = hardDrops+drops[id], hardVisits+v
		} else {
			otherDrops, otherVisits = otherDrops+drops[id], otherVisits+v
		}
	}
	hardRate, otherRate := float64(hardDrops)/float64(hardVisits), float64(otherDrops)/float64(otherVisits)
	if hardRate < 0.25 || otherRate > 0.1 {
		t.Errorf("drop-off rate %.3f at hard nodes, %.3f elsewhere; want it concentrated at hard nodes", hardRate, otherRate)
	}
}
