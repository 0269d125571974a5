package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/playground"
	"flowlens/store"
)

// Two accounts; Acme's admin has three flows with sessions in the last 30
// days (so the team dashboard lists three flows: one completion batch of 3
// keys), Globex one flow.
var (
	obsAcme       = uuid.MustParse("e1000000-0000-4000-8000-000000000001")
	obsGlobex     = uuid.MustParse("e1000000-0000-4000-8000-000000000002")
	obsAcmeAdmin  = uuid.MustParse("e2000000-0000-4000-8000-000000000001")
	obsGlobexUser = uuid.MustParse("e2000000-0000-4000-8000-000000000002")
)

const obsFixture = `
INSERT INTO accounts (id, name) VALUES ('e1000000-0000-4000-8000-000000000001', 'Acme'), ('e1000000-0000-4000-8000-000000000002', 'Globex');
INSERT INTO users (id, account_id, name, is_active, is_team_admin) VALUES
  ('e2000000-0000-4000-8000-000000000001', 'e1000000-0000-4000-8000-000000000001', 'Ada', true, true),
  ('e2000000-0000-4000-8000-000000000002', 'e1000000-0000-4000-8000-000000000002', 'Gil', true, true);
INSERT INTO trees (id, account_id, name) VALUES
  ('e3000000-0000-4000-8000-000000000001', 'e1000000-0000-4000-8000-000000000001', 'Printer'),
  ('e3000000-0000-4000-8000-000000000002', 'e1000000-0000-4000-8000-000000000001', 'VPN'),
  ('e3000000-0000-4000-8000-000000000003', 'e1000000-0000-4000-8000-000000000001', 'Email'),
  ('e3000000-0000-4000-8000-000000000004', 'e1000000-0000-4000-8000-000000000002', 'Globex flow');
INSERT INTO sessions (tree_id, user_id, started_at, completed_at, outcome) VALUES
  ('e3000000-0000-4000-8000-000000000001', 'e2000000-0000-4000-8000-000000000001', now() - interval '1 day', now() - interval '1 day' + interval '5 minutes', 'resolved'),
  ('e3000000-0000-4000-8000-000000000002', 'e2000000-0000-4000-8000-000000000001', now() - interval '2 days', NULL, NULL),
  ('e3000000-0000-4000-8000-000000000003', 'e2000000-0000-4000-8000-000000000001', now() - interval '3 days', NULL, NULL),
  ('e3000000-0000-4000-8000-000000000004', 'e2000000-0000-4000-8000-000000000002', now() - interval '1 day', NULL, NULL);
`

// newObsEnv serves the observability fixture, with slow as the slow
// request threshold and no rate limit.
func newObsEnv(t *testing.T, slow time.Duration) *env {
	t.Helper()
	return newEnv(t, envOptions{fixture: loadObsFixture, settings: func(s *Settings) {
		s.SlowRequestThreshold, s.RateLimitRPS = slow, 0
	}})
}

// loadObsFixture writes obsFixture as the owner.
func loadObsFixture(t testing.TB, owner bun.IDB) {
	t.Helper()
	if _, err := owner.ExecContext(context.Background(), obsFixture); err != nil {
		t.Fatal(err)
	}
}

// postRaw sends the raw JSON body with a bearer token (none when empty)
// and the extra headers, and returns the HTTP answer with its body read.
func (e *env) postRaw(t *testing.T, token, body string, header map[string]string) *http.Response {
	t.Helper()
	req := e.request(t, http.MethodPost, "/query", "application/json", token, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res
}

// metrics scrapes /metrics from the metrics listener's handler.
func (e *env) metrics(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(e.app.MetricsHandler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	return string(b)
}

// metricValue returns the value of the sample line that starts with series.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	t.Fatalf("/metrics has no %s", series)
	return 0
}

const obsTeamQuery = `{"query":"query TeamDashboard { teamAnalytics { summary { totalSessions } topFlows(limit: 10) { name sessions completionRate } } }","operationName":"TeamDashboard"}`

// Scraping /metrics after real requests shows them counted by operation
// and outcome, timed, with their SQL statements, the pool and the
// completion batch of the three listed flows.
func TestMetricsAfterRealRequests(t *testing.T) {
	e := newObsEnv(t, 0)
	admin := token(t, obsAcmeAdmin)
	if res := e.postRaw(t, admin, obsTeamQuery, nil); res.StatusCode != 200 {
		t.Fatalf("team dashboard: %d", res.StatusCode)
	}
	e.postRaw(t, admin, `{"query":"query Bad { flowAnalytics(treeId: \"e3000000-0000-4000-8000-000000000004\") { totalRatings } }"}`, nil)
	e.postRaw(t, "", obsTeamQuery, nil)
	e.postRaw(t, admin, `{"query":"query Broken { viewer { nope } }"}`, nil)

	text := e.metrics(t)
	for series, want := range map[string]float64{
		`flowlens_graphql_requests_total{operation="TeamDashboard",outcome="ok"}`:                  1,
		`flowlens_graphql_requests_total{operation="other",outcome="NOT_FOUND"}`:                   1,
		`flowlens_graphql_requests_total{operation="unknown",outcome="UNAUTHENTICATED"}`:           1,
		`flowlens_graphql_requests_total{operation="unknown",outcome="GRAPHQL_VALIDATION_FAILED"}`: 1,
		`flowlens_graphql_request_duration_seconds_count{operation="TeamDashboard"}`:               1,
		`flowlens_dataloader_batch_size_count{loader="flow_completions"}`:                          1,
		`flowlens_dataloader_batch_size_sum{loader="flow_completions"}`:                            3,
		`go_sql_max_open_connections{db_name="flowlens"}`:                                          float64(store.DefaultPool.MaxOpen),
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if n := metricValue(t, text, `flowlens_sql_statements_total{outcome="ok",statement="SELECT"}`); n < 4 {
		t.Errorf("SELECT statements = %v, want at least 4 (user lookups and analytics)", n)
	}
	if n := metricValue(t, text, `flowlens_sql_statement_duration_seconds_count{statement="SELECT"}`); n < 4 {
		t.Errorf("SELECT latency samples = %v", n)
	}
	if !regexp.MustCompile(`go_sql_open_connections\{db_name="flowlens"\} [1-9]`).MatchString(text) {
		t.Error("the pool shows no open connection")
	}
}

// One JSON log line per request: request id (as in X-Request-Id), operation,
// account, duration, error code, statements; never the token.
func TestRequestLogLine(t *testing.T) {
	e := newObsEnv(t, time.Hour)
	admin := token(t, obsAcmeAdmin)
	res := e.postRaw(t, admin, obsTeamQuery, map[string]string{"X-Request-Id": "trace-42"})
	id1 := res.Header.Get("X-Request-Id")
	if id1 == "trace-42" || len(id1) != 16 {
		t.Errorf("X-Request-Id = %q, want a new id of the service's own", id1)
	}
	other := token(t, obsGlobexUser)
	res2 := e.postRaw(t, other, `{"query":"query Flow { flowAnalytics(treeId: \"e3000000-0000-4000-8000-000000000001\") { totalRatings } }"}`, nil)
	id2 := res2.Header.Get("X-Request-Id")
	e.postRaw(t, "not-a-token", obsTeamQuery, nil)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if m["msg"] == "request" || m["msg"] == "slow request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d request lines, want 3:\n%s", len(lines), e.logs.String())
	}
	check := func(l map[string]any, want map[string]any) {
		t.Helper()
		for k, v := range want {
			if l[k] != v {
				t.Errorf("%s = %v, want %v (line %v)", k, l[k], v, l)
			}
		}
		if d, ok := l["duration_ms"].(float64); !ok || d <= 0 {
			t.Errorf("duration_ms = %v", l["duration_ms"])
		}
	}
	check(lines[0], map[string]any{"msg": "request", "level": "INFO", "request_id": id1, "client_request_id": "trace-42", "operation": "TeamDashboard",
		"account_id": obsAcme.String(), "error_code": "", "status": float64(200)})
	if n, _ := lines[0]["sql_statements"].(float64); n < 3 {
		t.Errorf("sql_statements = %v, want the request's statements", lines[0]["sql_statements"])
	}
	check(lines[1], map[string]any{"request_id": id2, "client_request_id": "", "operation": "other", "account_id": obsGlobex.String(), "error_code": "NOT_FOUND"})
	check(lines[2], map[string]any{"operation": "unknown", "account_id": "", "error_code": "UNAUTHENTICATED", "status": float64(401)})
	all := e.logs.String()
	for _, secret := range []string{admin, other, "not-a-token", testSecret, "Bearer"} {
		if strings.Contains(all, secret) {
			t.Errorf("the logs carry a token or secret (%.12s…)", secret)
		}
	}
}

// A request over the threshold is logged as a slow request.
func TestSlowRequestLog(t *testing.T) {
	e := newObsEnv(t, time.Nanosecond)
	e.postRaw(t, token(t, obsAcmeAdmin), obsTeamQuery, nil)
	if !strings.Contains(e.logs.String(), `"level":"WARN","msg":"slow request"`) {
		t.Errorf("no slow request line:\n%s", e.logs.String())
	}
}

// TestRequestIDsAreOurs: two requests sending the same X-Request-Id get
// ids of their own; the log keeps the caller's as client_request_id.
func TestRequestIDsAreOurs(t *testing.T) {
	e := newObsEnv(t, time.Hour)
	admin := token(t, obsAcmeAdmin)
	a := e.postRaw(t, admin, obsTeamQuery, map[string]string{"X-Request-Id": "same-id"}).Header.Get("X-Request-Id")
	b := e.postRaw(t, admin, obsTeamQuery, map[string]string{"X-Request-Id": "same-id"}).Header.Get("X-Request-Id")
	if a == b || a == "same-id" || b == "same-id" {
		t.Errorf("ids %q and %q for two requests sending the same X-Request-Id", a, b)
	}
	for _, id := range []string{a, b} {
		if !strings.Contains(e.logs.String(), `"request_id":"`+id+`","client_request_id":"same-id"`) {
			t.Errorf("no log line with request_id %s and client_request_id same-id:\n%s", id, e.logs.String())
		}
	}
}

// TestMetricsListener: /metrics is not on the API's port; its labels and
// the log lines never carry an operation name a client chose, only the
// known ones (the Playground's and the typed client's), "anonymous",
// "other" and "unknown".
func TestMetricsListener(t *testing.T) {
	e := newObsEnv(t, 0)
	if r := e.get(t, http.DefaultClient, "/metrics"); r.Status != http.StatusNotFound {
		t.Errorf("GET /metrics on the API's port: %d, want 404", r.Status)
	}
	if Defaults.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("the metrics listener's default address %q is not loopback:9090", Defaults.MetricsAddr)
	}
	admin := token(t, obsAcmeAdmin)
	e.postRaw(t, admin, `{"query":"query BetaCorpQ4LayoffDashboard { viewer { id } }","operationName":"BetaCorpQ4LayoffDashboard"}`, nil)
	e.postRaw(t, admin, `{"query":"query FlowDashboard { viewer { id } }"}`, nil)
	e.postRaw(t, admin, `{"query":"{ viewer { id } }"}`, nil)
	text := e.metrics(t)
	for series, want := range map[string]float64{
		`flowlens_graphql_requests_total{operation="other",outcome="ok"}`:         1,
		`flowlens_graphql_requests_total{operation="FlowDashboard",outcome="ok"}`: 1,
		`flowlens_graphql_requests_total{operation="anonymous",outcome="ok"}`:     1,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, leak := range []string{"BetaCorp", "Layoff"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics carries the client's operation name (%s)", leak)
		}
		if strings.Contains(e.logs.String(), leak) {
			t.Errorf("the log carries the client's operation name (%s)", leak)
		}
	}
}

// TestKnownOperations: every operation of the Playground's examples and of
// the typed client's documents has its name among KnownOperations.
func TestKnownOperations(t *testing.T) {
	var docs []string
	for _, tab := range playground.Examples() {
		docs = append(docs, tab.Query)
	}
	files, err := filepath.Glob("../examples/client/src/queries/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("the typed client's documents: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	n := 0
	for _, d := range docs {
		doc, err := parser.ParseQuery(&ast.Source{Input: d})
		if err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		for _, op := range doc.Operations {
			n++
			if !slices.Contains(KnownOperations, op.Name) {
				t.Errorf("operation %q is not in KnownOperations", op.Name)
			}
		}
	}
	if n < 6 {
		t.Errorf("only %d operations found", n)
	}
}
