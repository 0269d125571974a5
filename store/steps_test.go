package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/models"
	"flowlens/store"
)

// Hostile input (SECURITY.md §7): the step statistics over the sessions'
// `decisions` JSON, computed in SQL, against a pure-Go reading of the rules.

// refStep is the reference figure of one node.
type refStep struct{ visits, dropoffs int }

// refSteps applies the rules of Store.StepFeedback to the decisions of
// one session: only a JSON array counts; each entry that is an object
// whose node_id (its last, as jsonb keeps) is a non-empty string is a visit
// of that node; when the session is not completed, its last entry, if
// counted, is also a drop-off there.
func refSteps(decisions string, completed bool) map[string]refStep {
	out := map[string]refStep{}
	var entries []json.RawMessage
	if json.Unmarshal([]byte(decisions), &entries) != nil {
		return out
	}
	for i, raw := range entries {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			continue
		}
		var id string
		if json.Unmarshal(obj["node_id"], &id) != nil || id == "" {
			continue
		}
		s := out[id]
		s.visits++
		if !completed && i == len(entries)-1 {
			s.dropoffs++
		}
		out[id] = s
	}
	return out
}

// stepsEnv is one account with one tree whose structure titles root, a and
// b, a user, and a Store over the service's role. A second account holds
// the same tree with a session of the window, and its user a session on
// the first account's tree (which belongs to no account): neither may
// show in any figure of the first.
type stepsEnv struct {
	owner   *bun.DB
	st      *store.Store
	account uuid.UUID
	tree    uuid.UUID
	user    uuid.UUID
	scope   models.Scope
}

var stepsTitles = map[string]string{"root": "Start", "a": "A?", "b": "Unnamed"}

func newStepsEnv(t testing.TB) *stepsEnv {
	t.Helper()
	owner, dsn := dbtest.New(t)
	e := &stepsEnv{owner: owner, account: uuid.New(), tree: uuid.New(), user: uuid.New()}
	other, otherTree, otherUser := uuid.New(), uuid.New(), uuid.New()
	for _, s := range []string{
		fmt.Sprintf(`INSERT INTO accounts (id, name) VALUES ('%s', 'other')`, other),
		fmt.Sprintf(`INSERT INTO users (id, account_id) VALUES ('%s', '%s')`, otherUser, other),
		fmt.Sprintf(`INSERT INTO trees (id, account_id, name, tree_structure) VALUES ('%s', '%s', 'flow',
			'{"id":"root","title":"Other","children":[{"id":"a","question":"Other?"}]}')`, otherTree, other),
		fmt.Sprintf(`INSERT INTO accounts (id, name) VALUES ('%s', 'acc')`, e.account),
		fmt.Sprintf(`INSERT INTO users (id, account_id) VALUES ('%s', '%s')`, e.user, e.account),
		fmt.Sprintf(`INSERT INTO trees (id, account_id, name, tree_structure) VALUES ('%s', '%s', 'flow',
			'{"id":"root","title":"Start","children":[{"id":"a","question":"A?"},{"id":"b"}]}')`, e.tree, e.account),
		fmt.Sprintf(`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES
			('%s', '%s', '2026-01-02T00:00:00Z', NULL, NULL, '[{"node_id":"root"},{"node_id":"leak"}]'),
			('%s', '%s', '2026-01-02T00:00:00Z', '2026-01-02T00:05:00Z', 'resolved', '[{"node_id":"a"},{"node_id":"leak"}]')`,
			otherTree, otherUser, e.tree, otherUser),
	} {
		if _, err := owner.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	app, err := store.Open(dbtest.AppDSN(t, dsn), store.PoolConfig{MaxOpen: 2, MaxIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	e.st = store.New(app)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.scope = models.Scope{AccountID: e.account, TreeID: e.tree,
		Window: models.Window{From: from, To: from.AddDate(0, 1, 0), TimeZone: "UTC", Location: time.UTC}}
	return e
}

// addSession stores a session of the window with the decisions; false
// when PostgreSQL refuses the text as jsonb.
func (e *stepsEnv) addSession(t testing.TB, decisions string, completed bool) (uuid.UUID, bool) {
	t.Helper()
	id := uuid.New()
	done := "NULL"
	if completed {
		done = "'2026-01-02T00:10:00Z'"
	}
	_, err := e.owner.Exec(`INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, decisions)
		VALUES (?, ?, ?, '2026-01-02T00:00:00Z', `+done+`, ?::jsonb)`, id, e.tree, e.user, decisions)
	return id, err == nil
}

// check compares StepFeedback with the reference for the stored sessions.
func (e *stepsEnv) check(t testing.TB, want map[string]refStep) {
	t.Helper()
	got, err := e.st.StepFeedback(context.Background(), e.scope)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		ri := models.Ratio(want[ids[i]].dropoffs, want[ids[i]].visits, 3)
		rj := models.Ratio(want[ids[j]].dropoffs, want[ids[j]].visits, 3)
		if ri != rj {
			return ri > rj
		}
		return ids[i] < ids[j]
	})
	if len(got) != len(ids) {
		t.Fatalf("%d steps, the rules give %d: %+v vs %v", len(got), len(ids), got, want)
	}
	for i, s := range got {
		w := want[ids[i]]
		title, ok := stepsTitles[s.NodeID]
		if !ok {
			title = models.UnknownStep
		}
		if s.NodeID != ids[i] || s.VisitCount != w.visits || s.DropoffCount != w.dropoffs || s.NodeTitle != title ||
			s.DropoffRate != models.Ratio(w.dropoffs, w.visits, 3) || s.HelpfulYes != 0 || s.HelpfulRate != 0 {
			t.Fatalf("step %d: got %+v, want %s %+v titled %q", i, s, ids[i], w, title)
		}
	}
}

func FuzzStepStatistics(f *testing.F) {
	e := newStepsEnv(f)
	for _, s := range []string{
		`[{"node_id":"root"},{"node_id":"a"},{"node_id":"b"}]`,
		`[{"node_id":"root"},{"node_id":"root"},{"node_id":"ghost"}]`,
		`["str", 42, null, [1], {"node_id":""}, {"node_id":5}, {"foo":"bar"}, {"node_id":"a"}]`,
		`[{"node_id":"a"}, "junk last"]`,
		`[{"node_id":"a","node_id":7}]`, `[{"node_id":7,"node_id":"a"}]`,
		`[]`, `null`, `{"node_id":"a"}`, `"a string"`, `[[{"node_id":"a"}]]`,
		`[{"node_id":"\u00e9"},{"node_id":"e\u0301"},{"node_id":"💥"}]`,
		`[{"node_id":"\u0000"}]`, `[{"node_id":"x"`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, decisions string, completed bool) {
		id, ok := e.addSession(t, decisions, completed)
		if !ok {
			return // not storable as jsonb: nothing the service could ever read
		}
		defer func() {
			if _, err := e.owner.Exec("DELETE FROM sessions WHERE id = ?", id); err != nil {
				t.Fatal(err)
			}
		}()
		e.check(t, refSteps(decisions, completed))
	})
}

// TestStepFeedbackHugeDecisions stores sessions whose decisions hold
// 100,000 entries and reads their step statistics: computed in SQL, so the
// service receives one row per node and its memory does not grow with the
// entries. The figures are worked out by hand: entry i names node
// ["root","a","b","ghost"][i%4], 25,000 each; the session that is not
// completed ends on entry 99,999, "ghost"; a second, completed session of
// 100,000 entries alternates "a" and junk.
func TestStepFeedbackHugeDecisions(t *testing.T) {
	e := newStepsEnv(t)
	cycle, alternating := hugeDecisions()
	if _, ok := e.addSession(t, cycle, false); !ok {
		t.Fatal("the 100,000 decisions were not stored")
	}
	if _, ok := e.addSession(t, alternating, true); !ok {
		t.Fatal("the second session was not stored")
	}
	want := map[string]refStep{"root": {25000, 0}, "a": {25000 + 50000, 0}, "b": {25000, 0}, "ghost": {25000, 1}}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e.check(t, want)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("step statistics over 200,000 decisions: %.2f MiB allocated by the service", float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("%d MiB allocated; the service should receive only the per-node figures", alloc>>20)
	}
}

// TestRefStepsAgreesOnSeeds is a plain check of the reference itself.
func TestRefStepsAgreesOnSeeds(t *testing.T) {
	got := refSteps(`["x", {"node_id":"a"}, {"node_id":""}, {"node_id":"a","node_id":3}, {"node_id":"b"}]`, false)
	want := map[string]refStep{"a": {1, 0}, "b": {1, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
