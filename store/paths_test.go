package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"flowlens/models"
)

// Hostile input for the path statistics (transitions, exit nodes,
// funnels): computed in SQL, checked against a plain Go reading of the
// rules of shared/API.md over the same decisions, as FuzzStepStatistics
// does for the step statistics.

// refPath returns the counted decisions of a session in array order: the
// entries of a JSON array that are objects whose node_id (the last, as
// jsonb keeps) is a non-empty string; nothing when decisions is not an
// array.
func refPath(decisions string) []string {
	var entries []json.RawMessage
	if json.Unmarshal([]byte(decisions), &entries) != nil {
		return nil
	}
	var path []string
	for _, raw := range entries {
		if id, ok := refCounted(raw); ok {
			path = append(path, id)
		}
	}
	return path
}

// refCounted returns the node id of a counted decision.
func refCounted(raw json.RawMessage) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", false
	}
	var id string
	if json.Unmarshal(obj["node_id"], &id) != nil || id == "" {
		return "", false
	}
	return id, true
}

// refExit returns the exit node of a completed session: the node id of
// its array's last entry when that entry is a counted decision.
func refExit(decisions string) (string, bool) {
	var entries []json.RawMessage
	if json.Unmarshal([]byte(decisions), &entries) != nil || len(entries) == 0 {
		return "", false
	}
	return refCounted(entries[len(entries)-1])
}

// refTransitions returns the transitions of the paths in the contract's
// order, with counts, shares and titles.
func refTransitions(paths [][]string, titles map[string]string) []models.Transition {
	type pair struct{ from, to string }
	counts := map[pair]int{}
	out := map[string]int{}
	for _, p := range paths {
		for i := 0; i+1 < len(p); i++ {
			counts[pair{p[i], p[i+1]}]++
			out[p[i]]++
		}
	}
	var ts []models.Transition
	for k, n := range counts {
		ts = append(ts, models.Transition{FromNodeID: k.from, FromNodeTitle: refTitle(titles, k.from), ToNodeID: k.to,
			ToNodeTitle: refTitle(titles, k.to), Count: n, OutOf: out[k.from], Share: models.Ratio(n, out[k.from], 3)})
	}
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.FromNodeID != b.FromNodeID {
			return a.FromNodeID < b.FromNodeID // Go compares strings byte by byte, as COLLATE "C"
		}
		return a.ToNodeID < b.ToNodeID
	})
	return ts
}

// refFunnel returns how many of the paths hold ids[0..i] as a
// subsequence, for each i, by dynamic programming over prefixes rather
// than the greedy walk the SQL uses: can[j] says whether ids[0..j) occur
// in order within the part of the path read so far.
func refFunnel(paths [][]string, ids []string) []int {
	reached := make([]int, len(ids))
	for _, p := range paths {
		can := make([]bool, len(ids)+1)
		can[0] = true
		for _, n := range p {
			for j := len(ids); j >= 1; j-- {
				if !can[j] && can[j-1] && ids[j-1] == n {
					can[j] = true
				}
			}
		}
		for i := range ids {
			if can[i+1] {
				reached[i]++
			}
		}
	}
	return reached
}

func refTitle(titles map[string]string, id string) string {
	if t, ok := titles[id]; ok {
		return t
	}
	return models.UnknownStep
}

// pathSeeds are decisions that exercise the counting rules.
var pathSeeds = []string{
	`[{"node_id":"root"},{"node_id":"a"},{"node_id":"b"}]`,
	`[{"node_id":"a"},{"node_id":"b"},{"node_id":"a"},{"node_id":"b"}]`,
	`[{"node_id":"a"},{"node_id":"a"},{"node_id":"a"}]`,
	`[{"node_id":"root"},"junk",{"node_id":""},{"node_id":5},{"foo":1},null,[{"node_id":"x"}],{"node_id":"a"}]`,
	`[{"node_id":"a"}, "junk last"]`, `[{"node_id":"a","node_id":7}]`, `[{"node_id":7,"node_id":"a"}]`,
	`[{"node_id":["a"]}]`, `[{"node_id":{"a":1}}]`, `[{"node_id":null}]`, `[{"node_id":true}]`,
	`[]`, `null`, `{"node_id":"a"}`, `"a string"`, `[[{"node_id":"a"}]]`, `42`,
	`[{"node_id":"\u00e9"},{"node_id":"e\u0301"},{"node_id":"💥"},{"node_id":"é"}]`,
	`[{"node_id":"a\"b"},{"node_id":"c, d"},{"node_id":"[\"x\"]"},{"node_id":"\\"}]`,
	`[{"node_id":"\u0000"}]`, `[{"node_id":"x"`,
}

// check compares Transitions and ExitNodes with the references for one
// stored session.
func (e *stepsEnv) checkPaths(t *testing.T, decisions string, completed bool, outcome string) {
	t.Helper()
	ctx := context.Background()
	var paths [][]string
	if p := refPath(decisions); p != nil {
		paths = append(paths, p)
	}
	want := refTransitions(paths, stepsTitles)
	got, err := e.st.Transitions(ctx, e.scope, models.MaxPathLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Fatalf("transitions of %s:\n got %+v\nwant %+v", decisions, got, want)
	}
	if len(want) > 0 {
		one, err := e.st.Transitions(ctx, e.scope, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, want[:1]) {
			t.Fatalf("transitions(limit 1) of %s: %+v, want %+v", decisions, one, want[:1])
		}
	}
	exits, err := e.st.ExitNodes(ctx, e.scope, models.MaxPathLimit)
	if err != nil {
		t.Fatal(err)
	}
	var wantExits []models.ExitNode
	if node, ok := refExit(decisions); ok && completed {
		x := models.ExitNode{NodeID: node, NodeTitle: refTitle(stepsTitles, node), Sessions: 1}
		switch outcome {
		case "resolved":
			x.Resolved = 1
		case "escalated":
			x.Escalated = 1
		case "workaround":
			x.Workaround = 1
		case "unresolved":
			x.Unresolved = 1
		}
		wantExits = append(wantExits, x)
	}
	if len(exits) != len(wantExits) || (len(exits) > 0 && !reflect.DeepEqual(exits, wantExits)) {
		t.Fatalf("exit nodes of %s (completed %v, outcome %q): got %+v, want %+v", decisions, completed, outcome, exits, wantExits)
	}
}

func FuzzTransitions(f *testing.F) {
	e := newStepsEnv(f)
	outcomes := []string{"resolved", "escalated", "workaround", "unresolved", "Resolved", "gave_up", ""}
	for i, s := range pathSeeds {
		f.Add(s, i%2 == 0, outcomes[i%len(outcomes)])
	}
	f.Fuzz(func(t *testing.T, decisions string, completed bool, outcome string) {
		id, ok := e.addPathSession(t, decisions, completed, outcome)
		if !ok {
			return // not storable: nothing the service could ever read
		}
		defer e.remove(t, id)
		e.checkPaths(t, decisions, completed, outcome)
	})
}

func FuzzFunnel(f *testing.F) {
	e := newStepsEnv(f)
	for _, ids := range []string{"a,b", "root,a,b", "a,b,a,b", "a,a", "b,a", "a,a,a,a", "root", "é,💥", "a\"b,c, d", "\\", "ghost,a", "a,\x00,b"} {
		for _, s := range pathSeeds {
			f.Add(s, ids)
		}
	}
	f.Fuzz(func(t *testing.T, decisions string, ids string) {
		funnel := strings.Split(ids, ",")
		if len(funnel) > models.MaxFunnelSteps {
			funnel = funnel[:models.MaxFunnelSteps]
		}
		for _, id := range funnel {
			if id == "" {
				return // the API refuses empty ids before any statement
			}
		}
		id, ok := e.addPathSession(t, decisions, false, "")
		if !ok {
			return
		}
		defer e.remove(t, id)
		// A second, fixed session: the first step divides by both.
		id2, _ := e.addPathSession(t, `[{"node_id":"root"},{"node_id":"a"},{"node_id":"b"}]`, true, "resolved")
		defer e.remove(t, id2)

		paths := [][]string{refPath(decisions), {"root", "a", "b"}}
		check := func(copies int) {
			t.Helper()
			var all [][]string
			for range copies {
				all = append(all, paths...)
			}
			reached := refFunnel(all, funnel)
			got, err := e.st.Funnels(context.Background(), e.scope, [][]string{funnel, {"root"}})
			if err != nil {
				t.Fatal(err)
			}
			want := models.FunnelSteps(funnel, reached, len(all), models.Titles(stepsTitles))
			if !reflect.DeepEqual(got[0], want) {
				t.Fatalf("funnel %q over %d× %s:\n got %+v\nwant %+v", funnel, copies, decisions, got[0], want)
			}
			if r := refFunnel(all, []string{"root"}); !reflect.DeepEqual(got[1], models.FunnelSteps([]string{"root"}, r, len(all), models.Titles(stepsTitles))) {
				t.Fatalf("second funnel [root] over %d× %s: %+v (reached %v)", copies, decisions, got[1], r)
			}
		}
		// Two sessions, at most two keys: the paths worked out of every
		// session's decisions.
		check(1)
		// Five of each: at least five sessions per key, the paths read
		// by key.
		for range 4 {
			c, _ := e.addPathSession(t, decisions, false, "")
			defer e.remove(t, c)
			c2, _ := e.addPathSession(t, `[{"node_id":"root"},{"node_id":"a"},{"node_id":"b"}]`, true, "resolved")
			defer e.remove(t, c2)
		}
		check(5)
	})
}

// addPathSession stores a session of the window with the decisions and
// outcome ("" = NULL); false when PostgreSQL refuses the text as jsonb or
// the outcome as text.
func (e *stepsEnv) addPathSession(t testing.TB, decisions string, completed bool, outcome string) (string, bool) {
	t.Helper()
	if strings.ContainsRune(outcome, 0) || !utf8.ValidString(outcome) {
		return "", false
	}
	id := uuid.New()
	done := "NULL"
	if completed {
		done = "'2026-01-02T00:10:00Z'"
	}
	_, err := e.owner.Exec(`INSERT INTO sessions (id, tree_id, user_id, started_at, completed_at, outcome, decisions)
		VALUES (?, ?, ?, '2026-01-02T00:00:00Z', `+done+`, nullif(?, ''), ?::jsonb)`, id, e.tree, e.user, outcome, decisions)
	return id.String(), err == nil
}

func (e *stepsEnv) remove(t testing.TB, id string) {
	t.Helper()
	if _, err := e.owner.Exec("DELETE FROM sessions WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
}

// TestPathReferencesAgree is a plain check of the references themselves,
// worked out by hand.
func TestPathReferencesAgree(t *testing.T) {
	// Counted: a, b, a, b (the string, the empty id and the number are removed).
	p := refPath(`[{"node_id":"a"},"x",{"node_id":"b"},{"node_id":""},{"node_id":"a"},{"node_id":3},{"node_id":"b"}]`)
	if !reflect.DeepEqual(p, []string{"a", "b", "a", "b"}) {
		t.Fatalf("path %v", p)
	}
	// a→b twice, b→a once: out of a 2, out of b 1.
	ts := refTransitions([][]string{p, {"c", "c"}}, nil)
	want := []models.Transition{
		{FromNodeID: "a", FromNodeTitle: models.UnknownStep, ToNodeID: "b", ToNodeTitle: models.UnknownStep, Count: 2, OutOf: 2, Share: 1},
		{FromNodeID: "b", FromNodeTitle: models.UnknownStep, ToNodeID: "a", ToNodeTitle: models.UnknownStep, Count: 1, OutOf: 1, Share: 1},
		{FromNodeID: "c", FromNodeTitle: models.UnknownStep, ToNodeID: "c", ToNodeTitle: models.UnknownStep, Count: 1, OutOf: 1, Share: 1},
	}
	if !reflect.DeepEqual(ts, want) {
		t.Errorf("transitions %+v", ts)
	}
	// [b, a] is reached by neither path past b (a b a b has b then a; c c has no b).
	if got := refFunnel([][]string{p, {"c", "c"}}, []string{"b", "a", "a"}); !reflect.DeepEqual(got, []int{1, 1, 0}) {
		t.Errorf("funnel %v", got)
	}
	if _, ok := refExit(`[{"node_id":"a"},"junk"]`); ok {
		t.Error("a last entry that does not count is an exit node")
	}
}

// TestPathsHugeDecisions: one session of 100,000 entries (the nodes
// root, a, b, ghost in turn, so every transition is one of root→a, a→b,
// b→ghost, ghost→root), and a completed one of 100,000 entries that
// alternates a and junk, so its counted path is a, a, … (50,000 times:
// 49,999 a→a) and its last entry is junk (no exit node). The service
// receives one row per listed item: its memory does not grow with the
// entries.
func TestPathsHugeDecisions(t *testing.T) {
	e := newStepsEnv(t)
	cycle, alternating := hugeDecisions()
	if _, ok := e.addPathSession(t, cycle, false, ""); !ok {
		t.Fatal("the 100,000 decisions were not stored")
	}
	if _, ok := e.addPathSession(t, alternating, true, "resolved"); !ok {
		t.Fatal("the second session was not stored")
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ts, err := e.st.Transitions(ctx, e.scope, models.MaxPathLimit)
	if err != nil {
		t.Fatal(err)
	}
	exits, err := e.st.ExitNodes(ctx, e.scope, models.MaxPathLimit)
	if err != nil {
		t.Fatal(err)
	}
	funnels, err := e.st.Funnels(ctx, e.scope, [][]string{{"root", "a", "b", "ghost", "root", "a"}, {"a", "a", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	// Session one: 99,999 pairs; i → i+1 for i = 0…99,998: root→a at
	// i%4 = 0 (25,000), a→b (25,000), b→ghost (25,000), ghost→root at
	// i%4 = 3 except the last entry (24,999). Session two: a→a 49,999.
	// Out of a: 25,000 + 49,999 = 74,999 → a→a 49,999/74,999 = 0.667,
	// a→b 25,000/74,999 = 0.333.
	want := []models.Transition{
		{FromNodeID: "a", FromNodeTitle: "A?", ToNodeID: "a", ToNodeTitle: "A?", Count: 49999, OutOf: 74999, Share: 0.667},
		{FromNodeID: "a", FromNodeTitle: "A?", ToNodeID: "b", ToNodeTitle: "Unnamed", Count: 25000, OutOf: 74999, Share: 0.333},
		{FromNodeID: "b", FromNodeTitle: "Unnamed", ToNodeID: "ghost", ToNodeTitle: models.UnknownStep, Count: 25000, OutOf: 25000, Share: 1},
		{FromNodeID: "root", FromNodeTitle: "Start", ToNodeID: "a", ToNodeTitle: "A?", Count: 25000, OutOf: 25000, Share: 1},
		{FromNodeID: "ghost", FromNodeTitle: models.UnknownStep, ToNodeID: "root", ToNodeTitle: "Start", Count: 24999, OutOf: 24999, Share: 1},
	}
	if !reflect.DeepEqual(ts, want) {
		t.Errorf("transitions:\n got %+v\nwant %+v", ts, want)
	}
	// The first session is not completed, the second ends on junk.
	if len(exits) != 0 {
		t.Errorf("exit nodes %+v, want none", exits)
	}
	// Both sessions reach root? Only the first: root a b ghost root a (6 of
	// 6). a a a: the first has a at 1, 5, 9 …; the second 50,000 times: 2.
	if got := []int{funnels[0][0].Sessions, funnels[0][5].Sessions, funnels[1][2].Sessions}; !reflect.DeepEqual(got, []int{1, 1, 2}) {
		t.Errorf("funnels: %+v", funnels)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("path statistics over 200,000 decisions: %.2f MiB allocated by the service", float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("%d MiB allocated; the service should receive only the listed figures", alloc>>20)
	}
}

// TestFunnelPathKeys: the funnel groups sessions by sessions.path_key and
// reads one session's decisions per key, so sessions whose decisions
// differ only in entries that do not count share a key, and each key is
// the SHA-256 of the counted path (as the reference reads it) as jsonb.
// Sessions (by hand): s1 a,"x",b and s2 a,{"node_id":""},b (path a, b:
// one key); s3 b, a; s4 decisions NULL (no key); s5 an object, not an
// array (path [], its own key). Funnel [a, b]: a in s1, s2, s3 = 3 of 5
// sessions (0.6), then b after a in s1, s2 = 2 (2/3 = 0.667). Funnel
// [b, a]: b in s1, s2, s3 = 3 (0.6), then a after b only in s3 = 1
// (0.333). The other account's session on the tree (newStepsEnv) counts
// nowhere.
//
// Once with one session each (4 key groups, NULL included, for 5
// sessions: fewer than keyedPathShare per key, so the paths are worked out
// of every session's decisions), once with five of each (25 sessions, 4
// groups: the paths read by key): the same rates, counts times five.
func TestFunnelPathKeys(t *testing.T) {
	for _, copies := range []int{1, 5} {
		t.Run(fmt.Sprintf("%d each", copies), func(t *testing.T) { testFunnelPathKeys(t, copies) })
	}
}

func testFunnelPathKeys(t *testing.T, copies int) {
	e := newStepsEnv(t)
	decisions := []string{
		`[{"node_id":"a"},"x",{"node_id":"b"}]`,
		`[{"node_id":"a"},{"node_id":""},{"node_id":"b"}]`,
		`[{"node_id":"b"},{"node_id":"a"}]`,
		`null`,
		`{"node_id":"a"}`,
	}
	for range copies {
		for _, d := range decisions {
			if _, ok := e.addPathSession(t, d, false, ""); !ok {
				t.Fatalf("session %s not stored", d)
			}
		}
	}
	// s4's decisions: SQL NULL rather than the JSON null of the literal.
	if _, err := e.owner.Exec("UPDATE sessions SET decisions = NULL WHERE tree_id = ? AND account_id = ? AND decisions = 'null'::jsonb", e.tree, e.account); err != nil {
		t.Fatal(err)
	}
	for _, d := range decisions {
		want := "\\N"
		if d != "null" {
			p := refPath(d)
			if p == nil {
				p = []string{}
			}
			b, _ := json.Marshal(p)
			if err := e.owner.QueryRow("SELECT encode(sha256(jsonb_send(?::jsonb)), 'hex')", string(b)).Scan(&want); err != nil {
				t.Fatal(err)
			}
		}
		var got string
		if err := e.owner.QueryRow(`SELECT string_agg(DISTINCT coalesce(encode(path_key, 'hex'), '\N'), ',') FROM sessions
			WHERE tree_id = ? AND account_id = ? AND coalesce(decisions, 'null'::jsonb) = ?::jsonb`, e.tree, e.account, d).Scan(&got); err != nil {
			t.Fatalf("path key of %s: %v", d, err)
		}
		if got != want {
			t.Errorf("path keys of %s: %s, want %s", d, got, want)
		}
	}
	var keys int
	if err := e.owner.QueryRow("SELECT count(DISTINCT path_key) FROM sessions WHERE tree_id = ? AND account_id = ?", e.tree, e.account).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != 3 {
		t.Errorf("%d distinct keys, want 3 (a,b; b,a; [])", keys)
	}
	got, err := e.st.Funnels(context.Background(), e.scope, [][]string{{"a", "b"}, {"b", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]models.FunnelStep{
		{{NodeID: "a", NodeTitle: "A?", Sessions: 3 * copies, ConversionRate: 0.6}, {NodeID: "b", NodeTitle: "Unnamed", Sessions: 2 * copies, ConversionRate: 0.667}},
		{{NodeID: "b", NodeTitle: "Unnamed", Sessions: 3 * copies, ConversionRate: 0.6}, {NodeID: "a", NodeTitle: "A?", Sessions: 1 * copies, ConversionRate: 0.333}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("funnels:\n got %+v\nwant %+v", got, want)
	}
}
