package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"github.com/uptrace/bun"
)

// logLines decodes the JSON lines of buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// scrape returns the metrics text of m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func newTestObserver(slow time.Duration) (*Observer, *bytes.Buffer) {
	var buf bytes.Buffer
	o := New(Options{
		Log:           slog.New(slog.NewJSONHandler(&buf, nil)),
		Metrics:       NewMetrics("TeamDashboard"),
		SlowThreshold: slow,
		Account:       func(context.Context) string { return "acct-1" },
	})
	return o, &buf
}

// A handler standing in for the GraphQL layers: it sets what the gqlgen
// extension would (operation, account, error code) and runs one SQL
// statement and one dataloader batch.
func fakeGraphQL(o *Observer, op, code string, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestFrom(r.Context())
		req.setOperation(op)
		req.setAccount(o.opts.Account(r.Context()))
		if code != "" {
			req.setCode(code)
		}
		o.QueryHook().AfterQuery(r.Context(), &bun.QueryEvent{Query: "SELECT 1", StartTime: time.Now()})
		Batches("flow_completions", func(context.Context, []int) []*dataloader.Result[int] { return nil })(r.Context(), []int{1, 2, 3})
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"data":{}}`))
	})
}

func TestRequestIDHeaderAndLogLine(t *testing.T) {
	o, buf := newTestObserver(time.Hour)
	const secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"
	h := o.Middleware(fakeGraphQL(o, "TeamDashboard", "", 200))

	req := httptest.NewRequest(http.MethodPost, "/query?token="+secret, strings.NewReader(`{"query":"{ viewer { id } }"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	id := rec.Header().Get(requestIDHeader)
	if len(id) != 16 {
		t.Fatalf("X-Request-Id %q, want a new 16-hex-digit id", id)
	}
	lines := logLines(t, buf)
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %s", len(lines), buf)
	}
	l := lines[0]
	for k, want := range map[string]any{
		"level": "INFO", "msg": "request", "request_id": id, "operation": "TeamDashboard",
		"account_id": "acct-1", "error_code": "", "status": float64(200), "method": "POST", "path": "/query",
		"sql_statements": float64(1),
	} {
		if l[k] != want {
			t.Errorf("log %s = %v, want %v", k, l[k], want)
		}
	}
	if d, ok := l["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v", l["duration_ms"])
	}
	if strings.Contains(buf.String(), "c2VjcmV0") || strings.Contains(buf.String(), "Bearer") {
		t.Errorf("the log line carries the token: %s", buf)
	}
}

// TestIncomingRequestID: every request gets a new id of its own, even
// when the caller sends one (two callers could send the same); a sane
// incoming X-Request-Id is logged apart as client_request_id, any other
// is dropped.
func TestIncomingRequestID(t *testing.T) {
	o, buf := newTestObserver(0)
	h := o.Middleware(fakeGraphQL(o, "Q", "", 200))
	seen := map[string]bool{}
	for _, tc := range []struct{ in, client string }{
		{"3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55", "3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55"},
		{"3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55", "3f2b6c1e-8a4d-4c1e-9b1a-2f9d6e0c7a55"}, // the same again
		{"proxy.abc:42_x", "proxy.abc:42_x"},
		{"bad id with spaces", ""},
		{`"}{"injected":1`, ""},
		{strings.Repeat("a", 65), ""},
		{"", ""},
	} {
		buf.Reset()
		req := httptest.NewRequest(http.MethodPost, "/query", nil)
		if tc.in != "" {
			req.Header.Set(requestIDHeader, tc.in)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(requestIDHeader)
		if got == tc.in || len(got) != 16 || seen[got] {
			t.Errorf("incoming %q: id %q, want a new 16-hex-digit id of its own", tc.in, got)
		}
		seen[got] = true
		if l := logLines(t, buf); len(l) != 1 || l[0]["request_id"] != got || l[0]["client_request_id"] != tc.client {
			t.Errorf("incoming %q: log %v, want request_id %q and client_request_id %q", tc.in, l, got, tc.client)
		}
	}
}

func TestSlowRequestIsLoggedAsWarning(t *testing.T) {
	o, buf := newTestObserver(time.Nanosecond) // every request is slower than that
	o.Middleware(fakeGraphQL(o, "Q", "", 200)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	l := logLines(t, buf)
	if len(l) != 1 || l[0]["level"] != "WARN" || l[0]["msg"] != "slow request" || l[0]["slow_threshold_ms"] != 0.0 {
		t.Errorf("slow request log: %v", l)
	}
	o, buf = newTestObserver(0) // off
	o.Middleware(fakeGraphQL(o, "Q", "", 200)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	if l := logLines(t, buf); len(l) != 1 || l[0]["level"] != "INFO" {
		t.Errorf("threshold 0 must not log slow requests: %v", l)
	}
}

func TestMetricsAfterRequests(t *testing.T) {
	o, _ := newTestObserver(0)
	serve := func(h http.Handler) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	}
	serve(o.Middleware(fakeGraphQL(o, "TeamDashboard", "", 200)))
	serve(o.Middleware(fakeGraphQL(o, "TeamDashboard", "", 200)))
	serve(o.Middleware(fakeGraphQL(o, "TeamDashboard", "FORBIDDEN", 200)))
	serve(o.Middleware(fakeGraphQL(o, "", "", 200)))
	// Refused before GraphQL: the outcome comes from the body, else the status.
	serve(o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"errors":[{"message":"no","extensions":{"code":"UNAUTHENTICATED"}}]}`)
	})))
	serve(o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	})))
	text := scrape(t, o.Metrics())
	for _, want := range []string{
		`flowlens_graphql_requests_total{operation="TeamDashboard",outcome="ok"} 2`,
		`flowlens_graphql_requests_total{operation="TeamDashboard",outcome="FORBIDDEN"} 1`,
		`flowlens_graphql_requests_total{operation="anonymous",outcome="ok"} 1`,
		`flowlens_graphql_requests_total{operation="unknown",outcome="UNAUTHENTICATED"} 1`,
		`flowlens_graphql_requests_total{operation="unknown",outcome="RATE_LIMITED"} 1`,
		`flowlens_graphql_request_duration_seconds_count{operation="TeamDashboard"} 3`,
		`flowlens_sql_statements_total{outcome="ok",statement="SELECT"} 4`,
		`flowlens_sql_statement_duration_seconds_count{statement="SELECT"} 4`,
		`flowlens_dataloader_batch_size_count{loader="flow_completions"} 4`,
		`flowlens_dataloader_batch_size_sum{loader="flow_completions"} 12`,
		`flowlens_dataloader_batch_size_bucket{loader="flow_completions",le="2"} 0`,
		`flowlens_dataloader_batch_size_bucket{loader="flow_completions",le="5"} 4`,
		"go_goroutines ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestOperationLabelsAreBounded: only the known operation names become
// labels; any other name, however harmless it looks, is "other".
func TestOperationLabelsAreBounded(t *testing.T) {
	m := NewMetrics("TeamDashboard", "MyDashboard")
	for name, want := range map[string]string{
		"TeamDashboard":             "TeamDashboard",
		"MyDashboard":               "MyDashboard",
		"":                          OperationAnonymous,
		OperationUnknown:            OperationUnknown,
		"BetaCorpQ4LayoffDashboard": OperationOther,
		"teamdashboard":             OperationOther,
		"Op7":                       OperationOther,
		"has space":                 OperationOther,
		"ümlaut":                    OperationOther,
		strings.Repeat("x", 65):     OperationOther,
		`x"}`:                       OperationOther,
	} {
		if got := m.operationLabel(name); got != want {
			t.Errorf("%q: label %q, want %q", name, got, want)
		}
	}
	if got := NewMetrics().operationLabel("TeamDashboard"); got != OperationOther {
		t.Errorf("no known names: %q", got)
	}
	if outcomeLabel(`weird "code"`) != "ERROR" || outcomeLabel("NOT_FOUND") != "NOT_FOUND" || outcomeLabel("") != OutcomeOK {
		t.Error("outcome labels")
	}
}

func TestStatementKinds(t *testing.T) {
	for in, want := range map[string]string{"SELECT": "SELECT", "select": "SELECT", "WITH": "WITH", "BEGIN": "BEGIN", "VACUUM": "OTHER", "": "OTHER"} {
		if got := statementKind(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// Outside an observed request the hook and the tracer record metrics but
// touch no request.
func TestHookOutsideRequest(t *testing.T) {
	o, _ := newTestObserver(0)
	o.QueryHook().AfterQuery(context.Background(), &bun.QueryEvent{Query: "BEGIN", StartTime: time.Now()})
	Batches("x", func(context.Context, []int) []*dataloader.Result[int] { return nil })(context.Background(), []int{1})
	text := scrape(t, o.Metrics())
	if !strings.Contains(text, `flowlens_sql_statements_total{outcome="ok",statement="BEGIN"} 1`) {
		t.Error("statement outside a request not counted")
	}
	if strings.Contains(text, `loader="x"`) {
		t.Error("a batch outside a request was recorded")
	}
}
