package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Assertions and expected values of the API tests (api_*_test.go) over the
// fixture of apifixture_test.go.

// fixedNow is the instant the API tests pin as "now": the end of the main
// window W of the fixture.
var fixedNow = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

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
func assertError(t *testing.T, res response, field, code string, fragments ...string) {
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
