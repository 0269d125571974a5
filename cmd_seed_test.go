package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/store"
)

// seedSecret signs the tokens of the seed tests.
const seedSecret = "flowlens-seed-test-secret-0123456789abcdef"

// seedAnchor fixes the time span of seeded data.
const seedAnchor = "2026-03-01T12:00:00Z"

// runSeedCmd runs `flowlens seed` against dsn with small sizes and the
// fixed anchor, then args; it returns stdout and the error.
func runSeedCmd(t *testing.T, dsn string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	base := []string{"--database-url", dsn, "--jwt-secret", seedSecret, "--jwt-issuer", "", "--jwt-audience", "",
		"--addr", "127.0.0.1:9999", "--anchor", seedAnchor, "--sessions", "2000", "--batch", "700"}
	err := seed(context.Background(), append(base, args...), &out, &errOut)
	return out.String(), err
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

func TestSeedIsDeterministic(t *testing.T) {
	dbA, dsnA := dbtest.New(t)
	dbB, dsnB := dbtest.New(t)
	dbC, dsnC := dbtest.New(t)
	for _, run := range []struct {
		dsn  string
		seed string
	}{{dsnA, "3"}, {dsnB, "3"}, {dsnC, "4"}} {
		if _, err := runSeedCmd(t, run.dsn, "--seed", run.seed); err != nil {
			t.Fatalf("seed %s: %v", run.seed, err)
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

func TestSeedRefusesNonEmptyDatabase(t *testing.T) {
	db, dsn := dbtest.New(t)
	if _, err := runSeedCmd(t, dsn); err != nil {
		t.Fatalf("first seed: %v", err)
	}
	before := digests(t, db)

	_, err := runSeedCmd(t, dsn, "--seed", "2")
	if err == nil || !strings.Contains(err.Error(), "already holds data") || !strings.Contains(err.Error(), "--append") {
		t.Errorf("seed into a database with data: got %v, want a refusal that mentions --append", err)
	}
	_, err = runSeedCmd(t, dsn, "--append")
	if err == nil || !strings.Contains(err.Error(), "seed 1 is already in this database") {
		t.Errorf("seed 1 appended to seed 1: got %v, want a refusal naming the seed", err)
	}
	if after := digests(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused seeds changed the data: %v, then %v", before, after)
	}

	old := rowsByID(t, db)
	if _, err := runSeedCmd(t, dsn, "--append", "--seed", "2", "--sessions", "500"); err != nil {
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

// TestSeedRefusesAnyRow: one row in any of the six tables is enough to refuse.
func TestSeedRefusesAnyRow(t *testing.T) {
	db, dsn := dbtest.New(t)
	if _, err := db.ExecContext(context.Background(), "INSERT INTO accounts (name) VALUES ('Someone else')"); err != nil {
		t.Fatal(err)
	}
	_, err := runSeedCmd(t, dsn)
	if err == nil || !strings.Contains(err.Error(), "rows in accounts") {
		t.Errorf("got %v, want a refusal naming accounts", err)
	}
	if n := digests(t, db)["accounts"].Rows; n != 1 {
		t.Errorf("accounts: %d rows, want the 1 that was there", n)
	}
}

func TestSeedNeedsMigrations(t *testing.T) {
	_, err := runSeedCmd(t, dbtest.NewEmpty(t))
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

func TestSeededDataFollowsTrees(t *testing.T) {
	db, dsn := dbtest.New(t)
	if _, err := runSeedCmd(t, dsn, "--seed", "9"); err != nil {
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

// TestSeedPrintsHeaders: seed ends with the Playground address and
// Authorization headers of the demo team admin and engineer, which the
// server's verifier accepts.
func TestSeedPrintsHeaders(t *testing.T) {
	db, dsn := dbtest.New(t)
	out, err := runSeedCmd(t, dsn, "--sessions", "100")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Playground: http://127.0.0.1:9999/\n") {
		t.Errorf("output lacks the Playground address:\n%s", out)
	}
	headers := regexp.MustCompile(`(?m)^(Team admin|Engineer) (\S+) \(Acme Support\):\n(\{.*\})$`).FindAllStringSubmatch(out, -1)
	if len(headers) != 2 {
		t.Fatalf("want two headers, got output:\n%s", out)
	}
	verifier := auth.NewVerifier(seedSecret, "", "")
	for i, h := range headers {
		wantEmail := []string{"admin@acme.example", "engineer@acme.example"}[i]
		if h[2] != wantEmail {
			t.Errorf("header %d is for %s, want %s", i, h[2], wantEmail)
		}
		var hdr map[string]string
		if err := json.Unmarshal([]byte(h[3]), &hdr); err != nil {
			t.Fatalf("header %q is not JSON: %v", h[3], err)
		}
		id, err := verifier.Verify(strings.TrimPrefix(hdr["Authorization"], "Bearer "))
		if err != nil {
			t.Fatalf("the printed token of %s: %v", h[2], err)
		}
		var email string
		var admin bool
		if err := db.QueryRowContext(context.Background(), "SELECT email, is_team_admin FROM users WHERE id = ?", id).Scan(&email, &admin); err != nil {
			t.Fatal(err)
		}
		if email != wantEmail || admin != (i == 0) {
			t.Errorf("token %d names %s (team admin %v)", i, email, admin)
		}
	}
}

func TestPlaygroundURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080/",
		"0.0.0.0:8080":   "http://localhost:8080/",
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"[::1]:9000":     "http://[::1]:9000/",
		"example:80":     "http://example:80/",
	} {
		if got := playgroundURL(addr); got != want {
			t.Errorf("playgroundURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
