package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// Account is a tenant row.
type Account struct {
	ID        uuid.UUID
	Name      string
	CreatedAt time.Time
}

// Tree is a troubleshooting tree row; Structure is its tree_structure JSON:
// nested nodes with `id`, `type`, `title` and/or `question`, the `answer`
// that leads to the node from its parent, and `children`.
type Tree struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Name      string
	Structure []byte
	CreatedAt time.Time
}

// Dataset is a generated data set: its accounts, users and trees, and a
// stream of sessions (see Batches).
type Dataset struct {
	Spec     Spec
	Accounts []Account
	Users    []models.User
	Trees    []Tree

	gens []*accountGen
}

// Random streams of an account.
const (
	streamEntities = 1
	streamSessions = 2
	streamSchedule = 3
)

// Generate builds the data set of spec: accounts, users and trees at once,
// sessions lazily through Batches.
func Generate(spec Spec) (*Dataset, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.Anchor = spec.Anchor.UTC().Truncate(time.Second)
	d := &Dataset{Spec: spec}
	tpls := templates()
	for i := range spec.Accounts {
		g := newAccountGen(d, i, tpls)
		d.gens = append(d.gens, g)
	}
	return d, nil
}

// windowStart returns the start of the sessions' time span.
func (d *Dataset) windowStart() time.Time {
	return d.Spec.Anchor.Add(-time.Duration(d.Spec.Days) * 24 * time.Hour)
}

// DemoAdmin returns the demo team admin: the first team admin of the first
// account (e-mail admin@<domain>).
func (d *Dataset) DemoAdmin() models.User { return d.gens[0].admin }

// DemoEngineer returns the demo engineer: the most active engineer of the
// first account (e-mail engineer@<domain>).
func (d *Dataset) DemoEngineer() models.User { return d.gens[0].engineer }

// demoEmails returns the e-mails of the demo team admin and engineer that a
// data set of spec has, without generating it.
func demoEmails(spec Spec) (admin, engineer string) {
	dom := spec.domain(0)
	return "admin@" + dom, "engineer@" + dom
}

// accountGen holds what the session stream of one account needs.
type accountGen struct {
	index      int
	id         uuid.UUID
	tz         int64 // offset of the account's working hours from UTC, in seconds
	trees      []*ctree
	treePick   weighted
	runners    []runner
	runnerPick weighted
	admin      models.User
	engineer   models.User
}

// runner is a user who runs sessions.
type runner struct {
	id     uuid.UUID
	leftAt int64 // Unix time the user left (inactive users), else 0
	speed  float64
	giveUp float64 // multiplies the drop-off probability of every node
}

var timeZones = []int64{-5, 1, -8, 0, 2, -6, 5, 10, -3, 9}

var firstNames = []string{
	"Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie",
	"Avery", "Quinn", "Drew", "Robin", "Maria", "Li", "Priya", "Omar",
	"Sofia", "Lukas", "Chen", "Aisha", "Mateo", "Hana", "Ivan", "Noah",
	"Emma", "Olivia", "Liam", "Mia", "Ethan", "Zoe", "Lucas", "Elena",
	"Tomas", "Nora", "Kenji", "Fatima", "Diego", "Ingrid", "Kofi", "Anya",
}

var lastNames = []string{
	"Morgan", "Rivera", "Chen", "Patel", "Nguyen", "Kim", "Garcia", "Smith",
	"Johnson", "Okafor", "Silva", "Novak", "Schmidt", "Rossi", "Kowalski",
	"Haddad", "Tanaka", "Larsen", "Murphy", "Dubois", "Costa", "Jensen",
	"Yilmaz", "Fischer", "Moreau", "Singh", "Lopez", "Ivanova", "Brown",
	"Sato", "Andersson", "Mendes", "Walsh", "Kaur", "Petrov", "Baker",
}

func newAccountGen(d *Dataset, i int, tpls []template) *accountGen {
	spec := d.Spec
	as := spec.Accounts[i]
	r := newRand(spec.Seed, i, streamEntities)
	start := d.windowStart()
	g := &accountGen{index: i, tz: timeZones[i%len(timeZones)] * 3600}

	g.id = newID(r)
	created := start.Add(-time.Duration(between(r, 400, 1100)*24) * time.Hour).Truncate(time.Second)
	d.Accounts = append(d.Accounts, Account{ID: g.id, Name: as.Name, CreatedAt: created})
	domain := spec.domain(i)
	userCreated := func() time.Time {
		span := start.Sub(created)
		return created.Add(time.Duration(r.Float64() * float64(span))).Truncate(time.Second)
	}

	// People: team admins, engineers, and the super admin of the first account.
	used := map[string]bool{}
	person := func() (string, string) {
		for {
			f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			if !used[f+" "+l] {
				used[f+" "+l] = true
				return f + " " + l, strings.ToLower(f + "." + l)
			}
		}
	}
	user := func(name *string, email string, admin, super bool) models.User {
		e := email + "@" + domain
		return models.User{ID: newID(r), AccountID: g.id, Name: name, Email: &e, IsActive: true,
			IsTeamAdmin: admin, IsSuperAdmin: super, CreatedAt: userCreated()}
	}
	admins := max(1, as.Engineers/10)
	var adminUsers []models.User
	for a := range admins {
		name, local := person()
		if a == 0 {
			local = "admin"
		}
		adminUsers = append(adminUsers, user(&name, local, true, false))
	}
	g.admin = adminUsers[0]

	span := float64(spec.Days) * 86400
	var engineers []models.User
	var engRunners []runner
	for e := range as.Engineers {
		name, local := person()
		if e == 0 {
			local = "engineer"
		}
		u := user(&name, local, false, false)
		if e == 3 { // provisioned by single sign-on without a display name
			u.Name = nil
		}
		rn := runner{id: u.ID, speed: between(r, 0.7, 1.4), giveUp: between(r, 0.75, 1.3)}
		if e > 0 && (e == as.Engineers-1 && as.Engineers >= 3 || r.Float64() < 0.06) {
			u.IsActive = false // left the team part-way through the span
			rn.leftAt = start.Unix() + int64(between(r, 0.25, 0.8)*span)
		}
		engineers = append(engineers, u)
		engRunners = append(engRunners, rn)
	}
	g.engineer = engineers[0]
	d.Users = append(d.Users, adminUsers...)
	d.Users = append(d.Users, engineers...)
	if i == 0 {
		name := "Riley Quinn"
		d.Users = append(d.Users, user(&name, "superadmin", false, true))
	}

	// Who runs sessions: engineers in a shuffled order of activity (the demo
	// engineer first), then team admins now and then.
	order := append([]int{0}, r.Perm(len(engRunners)-1)...)
	for k := 1; k < len(order); k++ {
		order[k]++
	}
	w := zipf(len(order), 0.7*spec.skew())
	var weights []float64
	for k, e := range order {
		g.runners = append(g.runners, engRunners[e])
		weights = append(weights, w[k])
	}
	for _, a := range adminUsers {
		g.runners = append(g.runners, runner{id: a.ID, speed: between(r, 0.8, 1.2), giveUp: 1})
		weights = append(weights, w[len(w)-1]*0.5)
	}
	g.runnerPick = newWeighted(weights)

	// Trees: every flow once, in an order of popularity of this account,
	// then variants of them.
	perm := r.Perm(len(tpls))
	for k := range as.Trees {
		t := tpls[perm[k%len(tpls)]]
		name := t.name
		if v := k / len(tpls); v > 0 {
			if v <= len(t.variants) {
				name = t.name + " — " + t.variants[v-1]
			} else {
				name = fmt.Sprintf("%s — Site %d", t.name, v-len(t.variants)+1)
			}
		}
		ct := compile(t.root, r)
		ct.nodes[0].drop = 0.05 // opened by mistake, or solved before the first answer
		ct.id = newID(r)
		ct.giveUp = logNormal(r, 1, 0.25)
		ct.speed = between(r, 0.6, 1.6)
		g.trees = append(g.trees, ct)
		d.Trees = append(d.Trees, Tree{
			ID: ct.id, AccountID: g.id, Name: name, Structure: structure(t.root, name),
			CreatedAt: start.Add(-time.Duration(between(r, 5, 300)*24) * time.Hour).Truncate(time.Second),
		})
	}
	g.treePick = newWeighted(zipf(len(g.trees), spec.skew()))
	return g
}

// jsonNode is a node of tree_structure.
type jsonNode struct {
	ID       string      `json:"id"`
	Type     string      `json:"type"`
	Title    string      `json:"title,omitempty"`
	Question string      `json:"question,omitempty"`
	Answer   string      `json:"answer,omitempty"`
	Children []*jsonNode `json:"children,omitempty"`
}

// structure returns the tree_structure JSON of a template, with the root
// titled after the tree.
func structure(root *tnode, name string) []byte {
	var conv func(n *tnode) *jsonNode
	conv = func(n *tnode) *jsonNode {
		j := &jsonNode{ID: n.id, Type: n.kind, Title: n.title, Question: n.question, Answer: n.answer}
		for _, k := range n.kids {
			j.Children = append(j.Children, conv(k))
		}
		return j
	}
	j := conv(root)
	j.Title = name
	b, err := json.Marshal(j)
	if err != nil {
		panic(err) // cannot happen: plain strings and slices
	}
	return b
}

// ctree is a tree compiled for walking: nodes in pre-order, root first.
type ctree struct {
	id     uuid.UUID
	nodes  []cnode
	giveUp float64 // multiplies the drop-off probability of every node
	speed  float64 // multiplies the minutes per step
}

// cnode is a node of a compiled tree, with the JSON fragments of the
// decisions made at it.
type cnode struct {
	kids    []int32
	pick    weighted
	drop    float64 // probability that an engineer gives up here
	helpful float64
	outcome string
	id      string
	edge    [][]byte // per child: {"node_id":…,"answer":<the child's answer>}
	open    []byte   // {"node_id":…}: the engineer left while at this node
	final   [5][]byte
}

// Labels of the last decision of a completed session, by outcome.
var finalAnswers = [5]string{"Fixed", "Workaround applied", "Escalated", "Not fixed", "Done"}

// outcomeIndex returns the index of o in outcomes, 4 for any other value.
func outcomeIndex(o string) int {
	if i := slices.Index(outcomes[:], o); i >= 0 {
		return i
	}
	return 4
}

func compile(root *tnode, r *rand.Rand) *ctree {
	t := &ctree{}
	var add func(n *tnode) int32
	add = func(n *tnode) int32 {
		idx := int32(len(t.nodes))
		t.nodes = append(t.nodes, cnode{})
		c := cnode{drop: n.drop, helpful: n.helpful, outcome: n.outcome, id: n.id}
		c.open = fragment(n.id, "")
		for k, label := range finalAnswers {
			c.final[k] = fragment(n.id, label)
		}
		var w []float64
		for _, k := range n.kids {
			c.kids = append(c.kids, add(k))
			c.edge = append(c.edge, fragment(n.id, k.answer))
			w = append(w, k.weight*between(r, 0.6, 1.4))
		}
		c.pick = newWeighted(w)
		t.nodes[idx] = c
		return idx
	}
	add(root)
	return t
}

// fragment returns one decision as JSON.
func fragment(nodeID, answer string) []byte {
	id, _ := json.Marshal(nodeID)
	if answer == "" {
		return []byte(`{"node_id":` + string(id) + `}`)
	}
	a, _ := json.Marshal(answer)
	return []byte(`{"node_id":` + string(id) + `,"answer":` + string(a) + `}`)
}
