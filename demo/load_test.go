package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// loadArgs are the sizes and options of a test load; zero values take the
// defaults of `flowlens seed` (sessions: 2,000).
type loadArgs struct {
	seed                       int64
	accounts, trees, engineers int
	sessions                   int
	append                     bool
}

// seedAnchor fixes the time span of loaded data.
var seedAnchor = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// load generates the data set of a (as `flowlens seed` does with the same
// flags) and loads it into db in batches of 700 sessions.
func load(t *testing.T, db *bun.DB, a loadArgs) error {
	t.Helper()
	def := func(v, d int) int {
		if v == 0 {
			return d
		}
		return v
	}
	seed := a.seed
	if seed == 0 {
		seed = DefaultSeed
	}
	spec := Spec{Seed: seed, Anchor: seedAnchor, Days: DefaultDays, Skew: DefaultSkew,
		Accounts: Accounts(def(a.accounts, DefaultAccounts), def(a.trees, DefaultTrees), def(a.engineers, DefaultEngineers), def(a.sessions, 2000))}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), db, data, LoadOptions{Append: a.append, Batch: 700})
	return err
}

// tableDigest is the row count and an md5 of the ordered rows of a table.
type tableDigest struct {
	Rows int
	MD5  string
}

// digests returns the digest of each of the six tables.
func digests(t *testing.T, db *bun.DB) map[string]tableDigest {
	t.Helper()
	out := map[string]tableDigest{}
	for _, tb := range store.AppTables {
		table := tb.Name
		var d tableDigest
		err := db.QueryRowContext(context.Background(), fmt.Sprintf(
			"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM %s t", table)).Scan(&d.Rows, &d.MD5)
		if err != nil {
			t.Fatalf("digest of %s: %v", table, err)
		}
		out[table] = d
	}
	return out
}

func counts(d map[string]tableDigest) map[string]int {
	c := map[string]int{}
	for k, v := range d {
		c[k] = v.Rows
	}
	return c
}

func TestLoadIsDeterministic(t *testing.T) {
	dbA, _ := dbtest.New(t)
	dbB, _ := dbtest.New(t)
	dbC, _ := dbtest.New(t)
	for _, run := range []struct {
		db   *bun.DB
		seed int64
	}{{dbA, 3}, {dbB, 3}, {dbC, 4}} {
		if err := load(t, run.db, loadArgs{seed: run.seed}); err != nil {
			t.Fatalf("seed %d: %v", run.seed, err)
		}
	}
	a, b, c := digests(t, dbA), digests(t, dbB), digests(t, dbC)
	// 3 accounts; 12 engineers and 1 team admin each, and one super admin;
	// 10 trees each; 2,000 sessions.
	for table, want := range map[string]int{"accounts": 3, "users": 40, "trees": 30, "sessions": 2000} {
		if a[table].Rows != want {
			t.Errorf("%s: %d rows, want %d", table, a[table].Rows, want)
		}
	}
	if a["session_ratings"].Rows == 0 || a["step_ratings"].Rows == 0 {
		t.Errorf("no ratings: %v", counts(a))
	}
	for _, tb := range store.AppTables {
		table := tb.Name
		if a[table] != b[table] {
			t.Errorf("%s: seed 3 twice gave %+v and %+v", table, a[table], b[table])
		}
		if a[table].MD5 == c[table].MD5 {
			t.Errorf("%s: seeds 3 and 4 gave the same rows", table)
		}
	}
}

// rowsByID returns the text of every row of the six tables, by table and id.
func rowsByID(t *testing.T, db *bun.DB) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, tb := range store.AppTables {
		table := tb.Name
		rows, err := db.QueryContext(context.Background(), "SELECT id::text, t::text FROM "+table+" t")
		if err != nil {
			t.Fatal(err)
		}
		out[table] = map[string]string{}
		for rows.Next() {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				t.Fatal(err)
			}
			out[table][id] = text
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestLoadRefusesNonEmptyDatabase(t *testing.T) {
	db, _ := dbtest.New(t)
	if err := load(t, db, loadArgs{}); err != nil {
		t.Fatalf("first seed: %v", err)
	}
	before := digests(t, db)

	err := load(t, db, loadArgs{seed: 2})
	if err == nil || !strings.Contains(err.Error(), "already holds data") || !strings.Contains(err.Error(), "--append") {
		t.Errorf("seed into a database with data: got %v, want a refusal that mentions --append", err)
	}
	err = load(t, db, loadArgs{append: true})
	if err == nil || !strings.Contains(err.Error(), "seed 1 is already in this database") {
		t.Errorf("seed 1 appended to seed 1: got %v, want a refusal naming the seed", err)
	}
	if after := digests(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused seeds changed the data: %v, then %v", before, after)
	}

	old := rowsByID(t, db)
	if err := load(t, db, loadArgs{append: true, seed: 2, sessions: 500}); err != nil {
		t.Fatalf("seed 2 appended: %v", err)
	}
	now := rowsByID(t, db)
	for _, tb := range store.AppTables {
		table := tb.Name
		for id, text := range old[table] {
			if now[table][id] != text {
				t.Fatalf("%s %s changed or vanished with --append: %q, now %q", table, id, text, now[table][id])
			}
		}
	}
	if got := len(now["sessions"]); got != 2500 {
		t.Errorf("sessions after appending 500 to 2000: %d", got)
	}
	checkSessionAccounts(t, db)
}

// TestLoadRefusesAnyRow: one row in any of the six tables is enough to refuse.
func TestLoadRefusesAnyRow(t *testing.T) {
	db, _ := dbtest.New(t)
	if _, err := db.ExecContext(context.Background(), "INSERT INTO accounts (name) VALUES ('Someone else')"); err != nil {
		t.Fatal(err)
	}
	err := load(t, db, loadArgs{})
	if err == nil || !strings.Contains(err.Error(), "rows in accounts") {
		t.Errorf("got %v, want a refusal naming accounts", err)
	}
	if n := digests(t, db)["accounts"].Rows; n != 1 {
		t.Errorf("accounts: %d rows, want the 1 that was there", n)
	}
}

func TestLoadNeedsMigrations(t *testing.T) {
	db, err := store.Open(dbtest.NewEmpty(t), store.PoolConfig{MaxOpen: 2, MaxIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = load(t, db, loadArgs{})
	if err == nil || !strings.Contains(err.Error(), "flowlens migrate") {
		t.Errorf("seed into a database without tables: got %v, want advice to run flowlens migrate", err)
	}
}

// checkSessionAccounts: every session's account_id is what the trigger
// computes, and the trigger is enabled.
func checkSessionAccounts(t *testing.T, db *bun.DB) {
	t.Helper()
	ctx := context.Background()
	var wrong, missing int
	if err := db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE account_id IS DISTINCT FROM flowlens_session_account(tree_id, user_id)),
		count(*) FILTER (WHERE account_id IS NULL) FROM sessions`).Scan(&wrong, &missing); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 || missing != 0 {
		t.Errorf("sessions: %d with another account_id than the trigger computes, %d without one", wrong, missing)
	}
	var enabled string
	if err := db.QueryRowContext(ctx, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'sessions_set_account'").Scan(&enabled); err != nil {
		t.Fatal(err)
	}
	if enabled != "O" {
		t.Errorf("trigger sessions_set_account: %q, want O (enabled)", enabled)
	}
}

func TestLoadedDataFollowsTrees(t *testing.T) {
	db, _ := dbtest.New(t)
	if err := load(t, db, loadArgs{seed: 9}); err != nil {
		t.Fatal(err)
	}
	checkSessionAccounts(t, db)
	ctx := context.Background()

	type node struct {
		ID       string  `json:"id"`
		Children []*node `json:"children"`
	}
	parent := map[string]map[string]string{} // tree id -> node id -> parent node id
	rows, err := db.QueryContext(ctx, "SELECT id::text, tree_structure FROM trees")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var structure []byte
		if err := rows.Scan(&id, &structure); err != nil {
			t.Fatal(err)
		}
		var root node
		if err := json.Unmarshal(structure, &root); err != nil {
			t.Fatalf("tree %s: %v", id, err)
		}
		m := map[string]string{}
		var walk func(n *node, p string)
		walk = func(n *node, p string) {
			m[n.ID] = p
			for _, k := range n.Children {
				walk(k, n.ID)
			}
		}
		walk(&root, "")
		parent[id] = m
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	rows, err = db.QueryContext(ctx, "SELECT id::text, tree_id::text, decisions FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id, tree string
		var raw []byte
		if err := rows.Scan(&id, &tree, &raw); err != nil {
			t.Fatal(err)
		}
		var ds []struct {
			NodeID string `json:"node_id"`
		}
		if err := json.Unmarshal(raw, &ds); err != nil || len(ds) == 0 {
			t.Fatalf("session %s: decisions %s: %v", id, raw, err)
		}
		for i, d := range ds {
			p, ok := parent[tree][d.NodeID]
			switch {
			case !ok:
				t.Fatalf("session %s: node %q is not in tree %s", id, d.NodeID, tree)
			case i == 0 && p != "":
				t.Fatalf("session %s: starts at %q, not at the root", id, d.NodeID)
			case i > 0 && p != ds[i-1].NodeID:
				t.Fatalf("session %s: %q follows %q, which is not its parent", id, d.NodeID, ds[i-1].NodeID)
			}
		}
		n++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if n != 2000 {
		t.Errorf("checked %d sessions, want 2000", n)
	}
	var strays int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM step_ratings r JOIN sessions s ON s.id = r.session_id
		WHERE r.tree_id <> s.tree_id OR r.user_id <> s.user_id
		   OR NOT s.decisions @> jsonb_build_array(jsonb_build_object('node_id', r.node_id))`).Scan(&strays); err != nil {
		t.Fatal(err)
	}
	if strays != 0 {
		t.Errorf("%d step ratings of a node, tree or user that is not their session's", strays)
	}
}

// checkDerived: every session's csat, longest_key and dropoff_node, and
// session_visits, are what the triggers compute, and there are some.
func checkDerived(t *testing.T, db *bun.DB) {
	t.Helper()
	var csat, longest, dropoff, visits, rated, visited int
	if err := db.QueryRow(`SELECT
		count(*) FILTER (WHERE csat IS DISTINCT FROM flowlens_session_csat(id)),
		count(*) FILTER (WHERE longest_key IS DISTINCT FROM flowlens_longest_key(started_at, completed_at)),
		count(*) FILTER (WHERE dropoff_node IS DISTINCT FROM flowlens_dropoff_node(completed_at, decisions)),
		(SELECT count(*) FROM ((SELECT s.id, n FROM sessions s CROSS JOIN LATERAL flowlens_visited_nodes(s.decisions) AS n
		                        EXCEPT SELECT session_id, node FROM session_visits)
		                       UNION ALL (SELECT session_id, node FROM session_visits
		                        EXCEPT SELECT s.id, n FROM sessions s CROSS JOIN LATERAL flowlens_visited_nodes(s.decisions) AS n)) AS x),
		count(*) FILTER (WHERE csat IS NOT NULL), (SELECT count(*) FROM session_visits) FROM sessions`).Scan(&csat, &longest, &dropoff, &visits, &rated, &visited); err != nil {
		t.Fatal(err)
	}
	if csat != 0 || longest != 0 || dropoff != 0 || visits != 0 || rated == 0 || visited == 0 {
		t.Errorf("sessions whose csat, longest_key, dropoff_node differ from the triggers': %d, %d, %d; visits that differ: %d (of %d; %d rated sessions)",
			csat, longest, dropoff, visits, visited, rated)
	}
}

// TestLoadLeavesDerivedDataAndRollupsExact: after a load into an empty
// database (the derived-data and rollup triggers off, the visits written
// and the rollups rebuilt before the commit) and after an appended one
// (the triggers on, the rollups' delta rows folded after the commit), the
// derived columns and visits are what the triggers compute, every
// rolled-up figure equals the raw computation (store.VerifyRollups), and
// no delta row is left.
func TestLoadLeavesDerivedDataAndRollupsExact(t *testing.T) {
	ctx := context.Background()
	db, _ := dbtest.New(t)
	for _, a := range []loadArgs{{accounts: 2, trees: 3, engineers: 3}, {append: true, seed: 9, accounts: 2, trees: 3, engineers: 3}} {
		if err := load(t, db, a); err != nil {
			t.Fatalf("load %+v: %v", a, err)
		}
		if err := store.VerifyRollups(ctx, db, store.VerifyOptions{}); err != nil {
			var diff *store.Difference
			if errors.As(err, &diff) {
				t.Fatalf("after load %+v: %s", a, diff.What)
			}
			t.Fatal(err)
		}
		checkDerived(t, db)
	}
	var delta int
	if err := db.QueryRow("SELECT (SELECT count(*) FROM rollup_counts_delta) + (SELECT count(*) FROM rollup_session_journal)").Scan(&delta); err != nil || delta != 0 {
		t.Errorf("after an appended load: %d delta and journal rows (%v), want 0 (folded)", delta, err)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
