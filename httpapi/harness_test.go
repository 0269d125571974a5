package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/store"
)

// The one harness of the end-to-end tests: a fresh database with a
// fixture, the real application (New → Handler: observer, deadline,
// transport guard, authentication, rate limit, GraphQL) over the
// service's own database role served by an httptest server, tokens,
// requests, decoded answers, a statement counter and recorder on the
// service's connections, and the application's log.

// testSecret signs the tokens of every test here.
const testSecret = "flowlens-httpapi-test-secret-0123456789abcdef"

// small is the two-account fixture of the hardening tests.
var small = dbtest.Small

// env is one fixture database behind the real application.
type env struct {
	owner *bun.DB // the tables' owner: fixtures and writes
	appDB *bun.DB // the service's role, as the application uses it
	// replicaDBs are the service's pools on the replicas (envOptions.replicas).
	replicaDBs []*bun.DB
	dsn        string // the owner's address of the database
	app        *App
	handler    http.Handler
	srv        *httptest.Server
	counter    *dbtest.Counter
	rec        *stmtRecorder
	logs       *logSink
}

// envOptions say what an env holds and how its application is set up.
type envOptions struct {
	// fixture writes the data as the owner (nil: none).
	fixture func(testing.TB, bun.IDB)
	// now is the instant the application takes as now (zero: the clock).
	now time.Time
	// settings change the service's defaults (in development).
	settings func(*Settings)
	// pool sizes the service's connection pool (zero: store.DefaultPool).
	pool store.PoolConfig
	// owner and dsn name an existing migrated database to use instead of
	// a fresh one.
	owner *bun.DB
	dsn   string
	// serviceDB, when set, is the service's pool as it is: no database is
	// created and no fixture loaded (the probes' tests).
	serviceDB *bun.DB
	// via, when set, changes the service's address (the service's role on
	// the database), e.g. to go through PgBouncer.
	via func(dsn string) string
	// replicas are the addresses (as the owner) of the database's copies
	// on streaming standbys: the service reads from them, as its own
	// role, through via too, with a pool like the primary's.
	replicas []string
}

// The fixtures and clocks of the tests.
var (
	// smallEnv is the hardening fixture with its clock.
	smallEnv = envOptions{fixture: dbtest.LoadSmall, now: small.Now}
	// apiEnv is the API fixture (apifixture_test.go) with its clock and
	// without a rate limit (the API tests send many requests).
	apiEnv = envOptions{fixture: loadFixture, now: fixedNow, settings: noRateLimit}
)

// noRateLimit turns the per-user rate limit off.
func noRateLimit(s *Settings) { s.RateLimitRPS = 0 }

// with returns o with settings changed by mut after o's own.
func (o envOptions) with(mut func(*Settings)) envOptions {
	prev := o.settings
	o.settings = func(s *Settings) {
		if prev != nil {
			prev(s)
		}
		mut(s)
	}
	return o
}

// testSettings returns the settings the tests run with: the service's
// defaults, in development, changed by mut.
func testSettings(mut func(*Settings)) Settings {
	s := Defaults
	s.Development = true
	if mut != nil {
		mut(&s)
	}
	return s
}

// newEnv creates the database (unless o names one), loads the fixture and
// serves the real application over the service's role.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{owner: o.owner, dsn: o.dsn, appDB: o.serviceDB, counter: &dbtest.Counter{}, rec: &stmtRecorder{}, logs: &logSink{}}
	if e.appDB == nil {
		if e.owner == nil {
			e.owner, e.dsn = dbtest.New(t)
		}
		if o.fixture != nil {
			o.fixture(t, e.owner)
		}
		e.appDB = openService(t, e.dsn, o)
	}
	for _, dsn := range o.replicas {
		e.replicaDBs = append(e.replicaDBs, openService(t, dsn, o))
	}
	deps := Deps{
		DB:       e.appDB.WithQueryHook(e.counter).WithQueryHook(e.rec),
		Replicas: e.replicaDBs,
		Verifier: auth.NewVerifier(testSecret, "", ""),
		Log:      slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	if !o.now.IsZero() {
		now := o.now
		deps.Now = func() time.Time { return now }
	}
	e.app = New(testSettings(o.settings), deps)
	e.handler = e.app.Handler()
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// openService opens the service's pool on the database of dsn (an owner's
// address) as the service's role, through o.via when set.
func openService(t testing.TB, dsn string, o envOptions) *bun.DB {
	t.Helper()
	dsn = dbtest.AppDSN(t, dsn)
	if o.via != nil {
		dsn = o.via(dsn)
	}
	db, err := store.Open(dsn, o.pool)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// token returns a valid bearer token of user id.
func token(t testing.TB, id uuid.UUID) string {
	t.Helper()
	tok, err := auth.Mint(testSecret, id, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// gqlError is one entry of a GraphQL answer's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a decoded HTTP answer: status, headers, body and, for JSON
// bodies, its data and errors.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// code returns the extensions.code of error i, or "".
func (r response) code(i int) string {
	if i >= len(r.Errors) {
		return ""
	}
	c, _ := r.Errors[i].Extensions["code"].(string)
	return c
}

// hasData reports whether the answer carries a non-null data member.
func (r response) hasData() bool { return len(r.Data) > 0 && string(r.Data) != "null" }

// request builds a request to the test server; token may be empty.
func (e *env) request(t testing.TB, method, path, contentType, token string, body io.Reader) *http.Request {
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

// do sends a request to the test server and decodes the answer.
func (e *env) do(t testing.TB, req *http.Request) response {
	t.Helper()
	return send(t, http.DefaultClient, req)
}

// send sends req with client c and decodes the answer.
func send(t testing.TB, c *http.Client, req *http.Request) response {
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
	r := response{Status: res.StatusCode, Header: res.Header, Body: body}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && len(body) > 0 {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", req.Method, req.URL.Path, err, body)
		}
	}
	return r
}

// post sends a GraphQL request with the raw Authorization header value
// (none when empty) and fails the test unless the answer is JSON.
func (e *env) post(t testing.TB, authorization, query string, vars map[string]any) response {
	t.Helper()
	req := e.request(t, http.MethodPost, "/query", "application/json", "", jsonBody(t, map[string]any{"query": query, "variables": vars}))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res := e.do(t, req)
	if !json.Valid(res.Body) {
		t.Fatalf("response is not JSON (status %d):\n%s", res.Status, res.Body)
	}
	return res
}

// as sends query as user id (a UUID string) with a fresh valid token.
func (e *env) as(t testing.TB, id, query string, vars map[string]any) response {
	t.Helper()
	return e.post(t, "Bearer "+token(t, uuid.MustParse(id)), query, vars)
}

// ok sends query as user id and fails the test on any error.
func (e *env) ok(t testing.TB, id, query string, vars map[string]any) json.RawMessage {
	t.Helper()
	res := e.as(t, id, query, vars)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("status %d, errors: %s", res.Status, res.Body)
	}
	return res.Data
}

// query POSTs a GraphQL query as user id.
func (e *env) query(t testing.TB, id uuid.UUID, q string) response {
	t.Helper()
	return e.do(t, e.request(t, http.MethodPost, "/query", "application/json", token(t, id), jsonBody(t, map[string]any{"query": q})))
}

// statements returns how many statements the service runs for one query of
// user id, with the answer.
func (e *env) statements(t testing.TB, id uuid.UUID, q string) (int64, response) {
	t.Helper()
	e.counter.Reset()
	r := e.query(t, id, q)
	return e.counter.Count(), r
}

// calls returns how many store calls (dbtest.Counter.Calls) the service
// makes for one query of user id, with the answer, checked by storeCalls.
func (e *env) calls(t testing.TB, id uuid.UUID, q string) (int64, response) {
	t.Helper()
	e.counter.Reset()
	e.rec.reset()
	r := e.query(t, id, q)
	return e.storeCalls(t), r
}

// storeCalls returns the store calls since the counter and the recorder
// were reset, after checking the shape of the statements: each call in a
// transaction has one BEGIN, set_config and COMMIT, nothing else of
// transaction control ran (no ROLLBACK), and every rollup function's call
// is made in one round trip.
func (e *env) storeCalls(t testing.TB) int64 {
	t.Helper()
	stmts := e.rec.all()
	k := classify(stmts)
	rollups := 0
	for _, s := range stmts {
		if strings.Contains(s, "flowlens_rollup_") {
			rollups++
		}
	}
	calls := e.counter.Calls()
	if inTx := k.other - k.single; k.begin != inTx || k.commit != inTx || k.setConfig != inTx || k.total != inTx*4+k.single ||
		int64(k.other) != calls || int64(k.total) != e.counter.Count() || rollups != k.single {
		t.Errorf("statements: %d in all (counter %d), %d queries (counter: %d calls), %d in one round trip of %d rollup calls, BEGIN %d, set_config %d, COMMIT %d; "+
			"want one BEGIN, set_config and COMMIT per query in a transaction, every rollup call in one round trip:\n%s",
			k.total, e.counter.Count(), k.other, calls, k.single, rollups, k.begin, k.setConfig, k.commit, strings.Join(stmts, "\n"))
	}
	return calls
}

// get sends a GET of path to the test server with client c.
func (e *env) get(t testing.TB, c *http.Client, path string) response {
	t.Helper()
	return send(t, c, e.request(t, http.MethodGet, path, "", "", nil))
}

// jsonBody returns v encoded as a JSON request body.
func jsonBody(t testing.TB, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// stmtRecorder is a bun query hook that keeps the text of every statement
// the service runs.
type stmtRecorder struct {
	mu    sync.Mutex
	stmts []string
}

func (r *stmtRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *stmtRecorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	r.stmts = append(r.stmts, e.Query)
	r.mu.Unlock()
}

func (r *stmtRecorder) reset() {
	r.mu.Lock()
	r.stmts = nil
	r.mu.Unlock()
}

func (r *stmtRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stmts...)
}

// logSink keeps the application's log lines, safe for the server's
// goroutines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// leaky matches what no error message may contain: SQL, SQLSTATEs, driver
// and library names, file paths, stack traces, addresses.
var leaky = regexp.MustCompile(`(?i)pq:|pgx|pgconn|SQLSTATE|ERROR:|\.go:\d|goroutine|bun:|\bselect\b|\bfrom\b.*\bwhere\b|relation "|permission denied|dial tcp|connection refused|127\.0\.0\.1|postgres|/tmp/|/usr/`)

// assertMasked fails when an answer's body carries internal detail.
func assertMasked(t testing.TB, r response) {
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

// assertSafeMessage fails when an error message shows SQL or internals.
func assertSafeMessage(t testing.TB, msg string) {
	t.Helper()
	lower := strings.ToLower(msg)
	for _, bad := range []string{"select ", "sqlstate", "pq:", "pgx", "pgconn", "bun:", "error:", "goroutine", ".go:", "panic", "set_config", "jsonb", "started_at", "account=",
		"json.", "int64", "float64", "interface {}", "map["} {
		if strings.Contains(lower, bad) {
			t.Errorf("error message %q carries internal detail %q", msg, bad)
		}
	}
}
