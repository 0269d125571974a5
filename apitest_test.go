package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/dbtest"
)

// The shared harness of the API tests: a fresh database with the fixture of
// apifixture_test.go, the real HTTP handler (auth, loaders, error
// presenter) over the service's own database role, tokens, and a statement
// recorder on the service's connection.

// apiSecret signs the tokens of the API tests.
const apiSecret = "flowlens-api-test-secret-0123456789abcdef"

// fixedNow is the instant the API tests pin as "now": the end of the main
// window W of the fixture.
var fixedNow = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// apiEnv is one fixture database behind the real handler.
type apiEnv struct {
	owner   *bun.DB
	handler http.Handler
	counter *dbtest.Counter
	rec     *stmtRecorder
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

// newAPIEnv creates a database, loads the fixture as the owner and builds
// the real handler over the service's role with statement counting.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	owner, appDB := dbtest.NewApp(t)
	loadFixture(t, owner)
	counter := &dbtest.Counter{}
	rec := &stmtRecorder{}
	counted := appDB.WithQueryHook(counter).WithQueryHook(rec)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := newApp(&config{Env: "development", RequestTimeout: 10 * time.Second}, apiSecret, counted, logger)
	a.now = func() time.Time { return fixedNow }
	return &apiEnv{owner: owner, handler: a.Handler(), counter: counter, rec: rec}
}

// token returns a valid bearer token for user id.
func token(t *testing.T, id string) string {
	t.Helper()
	tok, err := auth.Mint(apiSecret, uuid.MustParse(id), time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResponse is a decoded GraphQL HTTP response.
type gqlResponse struct {
	Status int
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// code returns the extensions.code of error i.
func (r gqlResponse) code(i int) string {
	if i >= len(r.Errors) {
		return ""
	}
	c, _ := r.Errors[i].Extensions["code"].(string)
	return c
}

// post sends a GraphQL request with the raw Authorization header value
// (none when empty).
func (e *apiEnv) post(t *testing.T, authorization, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	res := gqlResponse{Status: w.Code, Body: w.Body.Bytes()}
	if err := json.Unmarshal(res.Body, &res); err != nil {
		t.Fatalf("response is not JSON (status %d): %v\n%s", w.Code, err, res.Body)
	}
	return res
}

// as sends query as user id with a fresh valid token.
func (e *apiEnv) as(t *testing.T, id, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return e.post(t, "Bearer "+token(t, id), query, vars)
}

// ok sends query as user id and fails the test on any error.
func (e *apiEnv) ok(t *testing.T, id, query string, vars map[string]any) json.RawMessage {
	t.Helper()
	res := e.as(t, id, query, vars)
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("status %d, errors: %s", res.Status, res.Body)
	}
	return res.Data
}

// assertJSON compares got with the JSON text want, as values (key order and
// number spelling do not matter).
func assertJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		gp, _ := json.MarshalIndent(g, "", "  ")
		wp, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("mismatch\n--- got\n%s\n--- want\n%s", gp, wp)
	}
}

// assertError checks that res is a data-null answer with exactly one error
// of code whose message contains every fragment.
func assertError(t *testing.T, res gqlResponse, field, code string, fragments ...string) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Errorf("status %d, want 200: %s", res.Status, res.Body)
	}
	if len(res.Errors) != 1 {
		t.Fatalf("want exactly one error, got: %s", res.Body)
	}
	if res.code(0) != code {
		t.Errorf("code %q, want %q: %s", res.code(0), code, res.Body)
	}
	for _, f := range fragments {
		if !strings.Contains(res.Errors[0].Message, f) {
			t.Errorf("message %q does not contain %q", res.Errors[0].Message, f)
		}
	}
	assertSafeMessage(t, res.Errors[0].Message)
	if field != "" {
		assertJSON(t, res.Data, `{"`+field+`":null}`)
	}
}

// assertSafeMessage fails when an error message shows SQL or internals.
func assertSafeMessage(t *testing.T, msg string) {
	t.Helper()
	lower := strings.ToLower(msg)
	for _, bad := range []string{"select ", "sqlstate", "pq:", "pgx", "pgconn", "bun:", "error:", "goroutine", ".go:", "panic", "set_config", "jsonb", "started_at", "account=",
		"json.", "int64", "float64", "interface {}", "map["} {
		if strings.Contains(lower, bad) {
			t.Errorf("error message %q carries internal detail %q", msg, bad)
		}
	}
}

// Selections shared by the API tests.
const (
	summarySel  = `{ totalSessions completedSessions completionRate medianDurationMinutes p90DurationMinutes activeEngineers outcomeBreakdown { resolved escalated workaround unresolved } }`
	pointSel    = `{ date sessions resolved escalated workaround unresolved }`
	topFlowSel  = `{ treeId name sessions completionRate medianDurationMinutes }`
	topEngSel   = `{ userId name sessions completionRate medianDurationMinutes }`
	windowSel   = `{ from to timeZone }`
	stepSel     = `{ nodeId nodeTitle helpfulYes helpfulNo helpfulRate visitCount dropoffCount dropoffRate }`
	commentSel  = `{ rating comment createdAt }`
	ratingSel   = `{ rating count }`
	zeroSummary = `{"totalSessions":0,"completedSessions":0,"completionRate":0,"medianDurationMinutes":0,"p90DurationMinutes":0,"activeEngineers":0,"outcomeBreakdown":{"resolved":0,"escalated":0,"workaround":0,"unresolved":0}}`
)

// sum renders an expected Summary.
func sum(total, completed int, rate, median, p90 float64, active, resolved, escalated, workaround, unresolved int) string {
	return fmt.Sprintf(`{"totalSessions":%d,"completedSessions":%d,"completionRate":%v,"medianDurationMinutes":%v,"p90DurationMinutes":%v,"activeEngineers":%d,"outcomeBreakdown":{"resolved":%d,"escalated":%d,"workaround":%d,"unresolved":%d}}`,
		total, completed, rate, median, p90, active, resolved, escalated, workaround, unresolved)
}

// pt is an expected non-empty time-series point.
type pt struct {
	date                  string
	sessions, r, e, w, un int
}

// series renders the expected points of the buckets dates: zeros except the
// points given.
func series(dates []string, pts ...pt) string {
	byDate := map[string]pt{}
	for _, p := range pts {
		byDate[p.date] = p
	}
	parts := make([]string, len(dates))
	for i, d := range dates {
		p := byDate[d]
		delete(byDate, d)
		parts[i] = fmt.Sprintf(`{"date":%q,"sessions":%d,"resolved":%d,"escalated":%d,"workaround":%d,"unresolved":%d}`, d, p.sessions, p.r, p.e, p.w, p.un)
	}
	if len(byDate) > 0 {
		panic(fmt.Sprintf("series: points outside the buckets: %v", byDate))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// dates returns n bucket dates from first, step days apart.
func dates(first string, n, step int) []string {
	d, err := time.Parse(time.DateOnly, first)
	if err != nil {
		panic(err)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, i*step).Format(time.DateOnly)
	}
	return out
}

// flowRow / engRow render an expected top flow / top engineer.
func flowRow(id, name string, sessions int, rate, median float64) string {
	return fmt.Sprintf(`{"treeId":%q,"name":%q,"sessions":%d,"completionRate":%v,"medianDurationMinutes":%v}`, id, name, sessions, rate, median)
}

func engRow(id, name string, sessions int, rate, median float64) string {
	return fmt.Sprintf(`{"userId":%q,"name":%q,"sessions":%d,"completionRate":%v,"medianDurationMinutes":%v}`, id, name, sessions, rate, median)
}

// list joins JSON values into an array.
func list(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

// pick returns the JSON value at path inside data.
func pick(t *testing.T, data json.RawMessage, path ...string) json.RawMessage {
	t.Helper()
	cur := data
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(cur, &m); err != nil {
			t.Fatalf("pick %v: %v in %s", path, err, data)
		}
		next, ok := m[p]
		if !ok {
			t.Fatalf("pick %v: no %q in %s", path, p, cur)
		}
		cur = next
	}
	return cur
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }
func itoa(n int) string     { return fmt.Sprint(n) }
func ftoa(f float64) string { return fmt.Sprint(f) }
