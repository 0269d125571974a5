package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/store"
)

// The harness of the hardening tests (limits, rate limits, time bounds,
// faults, tenancy): a fresh database with a small two-account fixture, the
// real handler over the service's role, a statement counter on the
// service's connections, and helpers to send requests.

// secSecret signs the tokens of the hardening tests.
const secSecret = "flowlens-hardening-test-secret-0123456789"

// secNow is the instant the hardening tests pin as "now".
var secNow = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

// The fixture: account A (Acme) with 3 sessions in January 2026, account B
// (Beta) with 5; a team admin in each, an engineer and an inactive user in A.
var (
	secAccountA = uuid.MustParse("a0000000-0000-4000-8000-00000000000a")
	secAccountB = uuid.MustParse("b0000000-0000-4000-8000-00000000000b")
	secAdminA   = uuid.MustParse("a0000000-0000-4000-8000-0000000000a1")
	secEngA     = uuid.MustParse("a0000000-0000-4000-8000-0000000000a2")
	secInactive = uuid.MustParse("a0000000-0000-4000-8000-0000000000a3")
	secAdminB   = uuid.MustParse("b0000000-0000-4000-8000-0000000000b1")
	secTreeA    = uuid.MustParse("a0000000-0000-4000-8000-0000000000f1")
	secTreeB    = uuid.MustParse("b0000000-0000-4000-8000-0000000000f1")
)

// secSummaryQuery asks for the viewer's account and the team summary of
// January 2026: A has 3 sessions (2 completed), B 5 (4 completed).
const secSummaryQuery = `{ viewer { accountId } teamAnalytics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { summary { totalSessions completedSessions } } }`

// secLoad writes the fixture as the owner.
func secLoad(t testing.TB, owner bun.IDB) {
	t.Helper()
	ctx := context.Background()
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO accounts (id, name) VALUES (?, 'Acme'), (?, 'Beta')`, []any{secAccountA, secAccountB}},
		{`INSERT INTO users (id, account_id, name, is_active, is_team_admin) VALUES
			(?, ?, 'Ada', true, true), (?, ?, 'Eve', true, false), (?, ?, 'Ian', false, false), (?, ?, 'Bea', true, true)`,
			[]any{secAdminA, secAccountA, secEngA, secAccountA, secInactive, secAccountA, secAdminB, secAccountB}},
		{`INSERT INTO trees (id, account_id, name, tree_structure) VALUES
			(?, ?, 'Printer', '{"id":"root","title":"Start","children":[{"id":"n1","question":"Is it on"}]}'),
			(?, ?, 'Router', '{"id":"root","title":"Begin"}')`,
			[]any{secTreeA, secAccountA, secTreeB, secAccountB}},
		{`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome, decisions) VALUES
			(?, ?, '2026-01-05T10:00:00Z', '2026-01-05T10:10:00Z', 'resolved', '[{"node_id":"root"},{"node_id":"n1"}]'),
			(?, ?, '2026-01-06T10:00:00Z', '2026-01-06T10:20:00Z', 'escalated', '[{"node_id":"root"}]'),
			(?, ?, '2026-01-07T10:00:00Z', NULL, NULL, '[{"node_id":"root"},{"node_id":"n1"}]')`,
			[]any{secTreeA, secAdminA, secTreeA, secEngA, secTreeA, secEngA}},
		{`INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome)
			SELECT ?, ?, '2026-01-10T00:00:00Z'::timestamptz + g * interval '1 day',
			       CASE WHEN g < 4 THEN '2026-01-10T00:05:00Z'::timestamptz + g * interval '1 day' END,
			       CASE WHEN g < 4 THEN 'resolved' END
			FROM generate_series(0, 4) AS g`,
			[]any{secTreeB, secAdminB}},
	}
	for _, s := range stmts {
		if _, err := owner.ExecContext(ctx, s.q, s.args...); err != nil {
			t.Fatalf("fixture: %v\n%s", err, s.q)
		}
	}
}

// secConfig returns the configuration `serve` would have with no
// environment or flags (the defaults under test), in development, changed
// by the mutators.
func secConfig(t testing.TB, mut ...func(*config)) *config {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	for _, name := range envVars() {
		if name != "DATABASE_URL" && name != "APP_DATABASE_URL" {
			t.Setenv(name, "") // empty reads as unset: the built-in default
		}
	}
	c := bindConfig(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c.Env = "development"
	for _, m := range mut {
		m(c)
	}
	return c
}

// secEnv is one fixture database behind the real handler.
type secEnv struct {
	owner   *bun.DB
	appDB   *bun.DB
	dsn     string
	app     *app
	srv     *httptest.Server
	counter *dbtest.Counter
}

// newSecEnv creates a database with the fixture and serves the real
// handler over the service's role, with a pool of pool.MaxOpen connections
// (store.DefaultPool when zero).
func newSecEnv(t testing.TB, cfg *config, pool store.PoolConfig) *secEnv {
	t.Helper()
	owner, dsn := dbtest.New(t)
	secLoad(t, owner)
	return newSecEnvOn(t, cfg, pool, owner, dsn)
}

// newSecEnvOn is newSecEnv over an existing migrated database.
func newSecEnvOn(t testing.TB, cfg *config, pool store.PoolConfig, owner *bun.DB, dsn string) *secEnv {
	t.Helper()
	appDB, err := store.Open(dbtest.AppDSN(t, dsn), pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = appDB.Close() })
	counter := &dbtest.Counter{}
	appDB.AddQueryHook(counter)
	a := newApp(cfg, secSecret, appDB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.now = func() time.Time { return secNow }
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &secEnv{owner: owner, appDB: appDB, dsn: dsn, app: a, srv: srv, counter: counter}
}

// secToken returns a valid bearer token of user id.
func secToken(t testing.TB, id uuid.UUID) string {
	t.Helper()
	tok, err := auth.Mint(secSecret, id, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// secResp is a decoded GraphQL HTTP response.
type secResp struct {
	Status int
	Header http.Header
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// code returns the extensions.code of the first error, or "".
func (r secResp) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// hasData reports whether the response carries a non-null data member.
func (r secResp) hasData() bool { return len(r.Data) > 0 && string(r.Data) != "null" }

// do sends a request to the test server and decodes the answer.
func (e *secEnv) do(t testing.TB, req *http.Request) secResp {
	t.Helper()
	return secSend(t, http.DefaultClient, req)
}

func secSend(t testing.TB, c *http.Client, req *http.Request) secResp {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := secResp{Status: res.StatusCode, Header: res.Header, Body: body}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && len(body) > 0 {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", req.Method, req.URL.Path, err, body)
		}
	}
	return r
}

// request builds a request to the test server; token may be empty.
func (e *secEnv) request(t testing.TB, method, path, contentType, token string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// query POSTs a GraphQL query as user id.
func (e *secEnv) query(t testing.TB, id uuid.UUID, q string) secResp {
	t.Helper()
	return e.do(t, e.request(t, http.MethodPost, "/query", "application/json", secToken(t, id), secJSON(t, map[string]any{"query": q})))
}

// statements returns how many statements the service runs for one query of
// user id.
func (e *secEnv) statements(t testing.TB, id uuid.UUID, q string) (int64, secResp) {
	t.Helper()
	e.counter.Reset()
	r := e.query(t, id, q)
	return e.counter.Count(), r
}

func secJSON(t testing.TB, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// leaky matches what no error message may contain: SQL, SQLSTATEs, driver
// and library names, file paths, stack traces, addresses.
var leaky = regexp.MustCompile(`(?i)pq:|pgx|pgconn|SQLSTATE|ERROR:|\.go:\d|goroutine|bun:|\bselect\b|\bfrom\b.*\bwhere\b|relation "|permission denied|dial tcp|connection refused|127\.0\.0\.1|postgres|/tmp/|/usr/`)

// assertMasked fails when an answer's body carries internal detail.
func assertMasked(t testing.TB, r secResp) {
	t.Helper()
	if leaky.Match(r.Body) {
		t.Errorf("the answer leaks internal detail (%s):\n%s", leaky.Find(r.Body), r.Body)
	}
	for _, e := range r.Errors {
		if e.Message == "" {
			t.Errorf("an error without a message:\n%s", r.Body)
		}
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
