package demo

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"testing"
	"time"

	"flowlens/models"
)

var testAnchor = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testSpec(seed int64, sessions int) Spec {
	return Spec{Seed: seed, Anchor: testAnchor, Days: DefaultDays, Accounts: Accounts(3, DefaultTrees, DefaultEngineers, sessions)}
}

func generate(t *testing.T, spec Spec) *Dataset {
	t.Helper()
	d, err := Generate(spec)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return d
}

// digest hashes every row of d, streamed in batches of size.
func digest(d *Dataset, size int) string {
	h := sha256.New()
	for _, a := range d.Accounts {
		fmt.Fprintf(h, "A %v %q %v\n", a.ID, a.Name, a.CreatedAt)
	}
	for _, u := range d.Users {
		fmt.Fprintf(h, "U %v %v %v %v %v %v %v %v\n", u.ID, u.AccountID, deref(u.Name), deref(u.Email), u.IsActive, u.IsTeamAdmin, u.IsSuperAdmin, u.CreatedAt)
	}
	for _, tr := range d.Trees {
		fmt.Fprintf(h, "T %v %v %q %s %v\n", tr.ID, tr.AccountID, tr.Name, tr.Structure, tr.CreatedAt)
	}
	hs, hr, hp := sha256.New(), sha256.New(), sha256.New()
	for b := range d.Batches(size) {
		hashBatch(hs, hr, hp, b)
	}
	return fmt.Sprintf("%x %x %x %x", h.Sum(nil), hs.Sum(nil), hr.Sum(nil), hp.Sum(nil))
}

// hashBatch hashes sessions into hs, session ratings into hr and step
// ratings into hp, so that the digests do not depend on batch boundaries.
func hashBatch(hs, hr, hp hash.Hash, b *Batch) {
	h := hs
	for _, s := range b.Sessions {
		fmt.Fprintf(h, "S %v %v %v %v %v %v %v %s\n", s.ID, s.TreeID, s.UserID, s.AccountID, s.StartedAt, derefT(s.CompletedAt), deref(s.Outcome), s.Decisions)
	}
	h = hr
	for _, r := range b.SessionRatings {
		fmt.Fprintf(h, "R %v %v %v %v %d %v %v\n", r.ID, r.SessionID, r.TreeID, r.UserID, r.Rating, deref(r.Comment), r.CreatedAt)
	}
	h = hp
	for _, r := range b.StepRatings {
		fmt.Fprintf(h, "P %v %v %v %q %v %v %v\n", r.ID, r.SessionID, r.TreeID, r.NodeID, r.Helpful, r.UserID, r.CreatedAt)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func derefT(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}

func TestSameSpecGivesSameData(t *testing.T) {
	a := digest(generate(t, testSpec(7, 3000)), 7)
	b := digest(generate(t, testSpec(7, 3000)), 1000)
	if a != b {
		t.Errorf("two data sets of seed 7 (batches of 7 and of 1000) differ: %s vs %s", a, b)
	}
	c := digest(generate(t, testSpec(8, 3000)), 1000)
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same data")
	}
	later := testSpec(7, 3000)
	later.Anchor = testAnchor.Add(time.Hour)
	if digest(generate(t, later), 1000) == a {
		t.Errorf("another anchor gave the same data")
	}
}

func TestDifferentSeedsShareNoIDs(t *testing.T) {
	d1, d2 := generate(t, testSpec(1, 100)), generate(t, testSpec(2, 100))
	ids := map[[16]byte]bool{}
	for _, a := range d1.Accounts {
		ids[a.ID] = true
	}
	for _, u := range d1.Users {
		ids[u.ID] = true
	}
	for _, a := range d2.Accounts {
		if ids[a.ID] {
			t.Errorf("account id %s appears under seeds 1 and 2", a.ID)
		}
	}
	for _, u := range d2.Users {
		if ids[u.ID] {
			t.Errorf("user id %s appears under seeds 1 and 2", u.ID)
		}
	}
}

func TestAccountsShareSessions(t *testing.T) {
	got := Accounts(3, 10, 12, 1000)
	want := []int{500, 250, 250}
	for i, a := range got {
		if a.Sessions != want[i] || a.Trees != 10 || a.Engineers != 12 {
			t.Errorf("account %d: got %+v, want %d sessions, 10 trees, 12 engineers", i, a, want[i])
		}
	}
	if got[0].Name != "Acme Support" || got[1].Name != "Globex IT" || got[2].Name != "Initech Helpdesk" {
		t.Errorf("names: got %q, %q, %q", got[0].Name, got[1].Name, got[2].Name)
	}
	odd := Accounts(2, 1, 1, 7) // shares 2:1 of 7: 4 and the remaining 3
	if odd[0].Sessions != 4 || odd[1].Sessions != 3 {
		t.Errorf("7 sessions over 2 accounts: got %d and %d, want 4 and 3", odd[0].Sessions, odd[1].Sessions)
	}
}

func TestDomains(t *testing.T) {
	spec := testSpec(1, 0)
	spec.Accounts = Accounts(12, 1, 1, 0)
	for i, want := range map[int]string{0: "acme.example", 1: "globex.example", 2: "initech.example", 11: "tenant12.example"} {
		if got := spec.domain(i); got != want {
			t.Errorf("seed 1, account %d: got domain %q, want %q", i, got, want)
		}
	}
	spec.Seed = 2
	if got := spec.domain(0); got != "s2.acme.example" {
		t.Errorf("seed 2: got domain %q, want s2.acme.example", got)
	}
	admin, engineer := demoEmails(testSpec(1, 0))
	if admin != "admin@acme.example" || engineer != "engineer@acme.example" {
		t.Errorf("demo e-mails: got %s and %s", admin, engineer)
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Spec){
		"no accounts": func(s *Spec) { s.Accounts = nil },
		"no days":     func(s *Spec) { s.Days = 0 },
		"no anchor":   func(s *Spec) { s.Anchor = time.Time{} },
		"no trees":    func(s *Spec) { s.Accounts[0].Trees = 0 },
		"no engineer": func(s *Spec) { s.Accounts[1].Engineers = 0 },
		"no name":     func(s *Spec) { s.Accounts[2].Name = " " },
		"skew":        func(s *Spec) { s.Skew = -1 },
	} {
		spec := testSpec(1, 10)
		mutate(&spec)
		if _, err := Generate(spec); err == nil {
			t.Errorf("%s: Generate accepted the spec", name)
		}
	}
}

func TestUsers(t *testing.T) {
	d := generate(t, testSpec(1, 10))
	type tally struct{ admins, engineers, inactive, nameless, supers int }
	per := map[[16]byte]*tally{}
	for _, a := range d.Accounts {
		per[a.ID] = &tally{}
	}
	emails := map[string]bool{}
	for _, u := range d.Users {
		c := per[u.AccountID]
		if c == nil {
			t.Fatalf("user %s belongs to no generated account", u.ID)
		}
		switch {
		case u.IsSuperAdmin:
			c.supers++
		case u.IsTeamAdmin:
			c.admins++
		default:
			c.engineers++
		}
		if !u.IsActive {
			c.inactive++
		}
		if u.Name == nil {
			c.nameless++
		}
		if u.Email == nil || emails[*u.Email] {
			t.Errorf("user %s: missing or repeated e-mail", u.ID)
		} else {
			emails[*u.Email] = true
		}
	}
	for i, a := range d.Accounts {
		c := per[a.ID]
		wantSupers := 0
		if i == 0 {
			wantSupers = 1
		}
		// 12 engineers: one team admin (one per ten engineers); engineer 4
		// has no name; the last engineer left the team.
		if c.engineers != 12 || c.admins != 1 || c.supers != wantSupers || c.inactive < 1 || c.nameless != 1 {
			t.Errorf("%s: got %+v, want 12 engineers, 1 admin, %d super admins, at least 1 inactive, 1 without a name", a.Name, *c, wantSupers)
		}
	}
	admin, engineer := d.DemoAdmin(), d.DemoEngineer()
	if *admin.Email != "admin@acme.example" || !admin.IsTeamAdmin || !admin.IsActive || admin.AccountID != d.Accounts[0].ID {
		t.Errorf("demo admin: got %+v", admin)
	}
	if *engineer.Email != "engineer@acme.example" || engineer.IsTeamAdmin || !engineer.IsActive || engineer.AccountID != d.Accounts[0].ID {
		t.Errorf("demo engineer: got %+v", engineer)
	}
}

// node is a node of a tree_structure as the API reads it.
type node struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Question string  `json:"question"`
	Children []*node `json:"children"`
}

// parents maps every node id of a structure to its parent's id ("" for the
// root) and returns the tree's depth.
func parents(t *testing.T, structure []byte) (map[string]string, int) {
	t.Helper()
	var root node
	if err := json.Unmarshal(structure, &root); err != nil {
		t.Fatalf("tree_structure is not JSON: %v", err)
	}
	m := map[string]string{}
	var walk func(n *node, parent string, depth int) int
	walk = func(n *node, parent string, depth int) int {
		if _, dup := m[n.ID]; dup || n.ID == "" {
			t.Errorf("node id %q is empty or repeated", n.ID)
		}
		if n.Title == "" && n.Question == "" {
			t.Errorf("node %q has neither title nor question", n.ID)
		}
		m[n.ID] = parent
		deepest := depth
		for _, k := range n.Children {
			deepest = max(deepest, walk(k, n.ID, depth+1))
		}
		return deepest
	}
	return m, walk(&root, "", 1)
}

func TestTrees(t *testing.T) {
	spec := testSpec(1, 0)
	spec.Accounts = []AccountSpec{{Name: "Big", Trees: 300, Engineers: 2}}
	d := generate(t, spec)
	if len(d.Trees) != 300 {
		t.Fatalf("got %d trees, want 300", len(d.Trees))
	}
	names := map[string]bool{}
	for _, tr := range d.Trees {
		if names[tr.Name] {
			t.Errorf("tree name %q repeated", tr.Name)
		}
		names[tr.Name] = true
		ids, depth := parents(t, tr.Structure)
		if depth <= 3 {
			t.Errorf("tree %q is %d levels deep, want more than 3", tr.Name, depth)
		}
		wanted := map[string]bool{}
		for id := range ids {
			wanted[id] = true
		}
		for id, title := range models.NodeTitles(tr.Structure, wanted) {
			if title == models.UnnamedStep || title == models.UnknownStep {
				t.Errorf("tree %q node %q: title %q", tr.Name, id, title)
			}
		}
	}
	for _, name := range []string{"Printer offline", "VPN will not connect", "Email not syncing", "Laptop will not boot", "Wi-Fi keeps dropping"} {
		if !names[name] {
			t.Errorf("no tree named %q", name)
		}
	}
}
