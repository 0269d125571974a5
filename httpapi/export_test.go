package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// GET /export/sessions.csv (API.md, "CSV export") over the drill-down
// fixture: the rows of the sessions field in its order, RFC 4180, the
// leading-quote rule, time zone offsets, every error before the first
// byte, roles, the rate limit, metrics and the log.

const wParams = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z"

// export GETs the export with query string qs as viewer (no token when
// viewer is empty).
func (e *env) export(t testing.TB, viewer, qs string) response {
	t.Helper()
	tok := ""
	if viewer != "" {
		tok = token(t, uuid.MustParse(viewer))
	}
	return e.do(t, e.request(t, http.MethodGet, "/export/sessions.csv?"+qs, "", tok, nil))
}

// readCSV parses a CSV body with encoding/csv: the header and the rows.
func readCSV(t testing.TB, body []byte) ([]string, [][]string) {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(body))
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, body)
	}
	if len(recs) == 0 {
		t.Fatal("no header row")
	}
	return recs[0], recs[1:]
}

// column returns column i of rows.
func column(rows [][]string, i int) []string {
	out := make([]string, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

func TestExportCSV(t *testing.T) {
	e := newEnv(t, drillEnv)
	r := e.export(t, dAda, "view=team&"+wParams+"&timeZone=Europe/Berlin&orderBy=OLDEST")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="sessions-team-20260301T000000Z-20260401T000000Z.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("Cache-Control %q, X-Content-Type-Options %q", r.Header.Get("Cache-Control"), r.Header.Get("X-Content-Type-Options"))
	}
	header, rows := readCSV(t, r.Body)
	if want := []string{"session_id", "flow_id", "flow_name", "engineer_id", "engineer_name", "started_at", "completed_at",
		"duration_minutes", "outcome", "csat", "step_count", "last_node_id"}; !slices.Equal(header, want) {
		t.Errorf("header %v", header)
	}
	sameIDs(t, "rows", column(rows, 0), oldest)
	byID := map[string][]string{}
	for _, row := range rows {
		byID[label(row[0])] = row
	}
	for n, want := range map[string][]string{
		// Berlin is +01:00 on 03-05; csat 2; last counted node cable.
		"01": {sid(1), dT1, "Printer", dBen, "Ben", "2026-03-05T11:00:00+01:00", "2026-03-05T11:10:00+01:00", "10.0", "resolved", "2", "3", "cable"},
		// Not completed: empty cells; the last entry is junk, the last counted decision is power.
		"05": {sid(5), dT1, "Printer", dBen, "Ben", "2026-03-08T13:00:00+01:00", "", "", "resolved", "", "2", "power"},
		// The negative duration and the flow name get the leading quote.
		"06": {sid(6), dT2, "'=SUM(A1:A2)", dBen, "Ben", "2026-03-09T09:00:00+01:00", "2026-03-09T08:55:00+01:00", "'-5.0", "unresolved", "5", "1", "r"},
		// Unknown engineer; gave_up is none of the four words; no counted decision.
		"07": {sid(7), dT2, "'=SUM(A1:A2)", dNon, "Unknown", "2026-03-10T09:00:00+01:00", "2026-03-10T09:02:30+01:00", "2.5", "", "", "0", ""},
		// Commas, quotes and a line break survive; the leading - is defused.
		"09": {sid(9), dT3, t3Name, dEve, "'" + eveName, "2026-03-12T09:00:00+01:00", "2026-03-12T09:45:00+01:00", "45.0", "", "", "0", ""},
		"11": {sid(11), dT2, "'=SUM(A1:A2)", dAt, "'@home", "2026-03-20T15:00:00+01:00", "2026-03-20T15:01:33+01:00", "1.6", "resolved", "", "0", ""},
		// After the switch to summer time: +02:00.
		"12": {sid(12), dT1, "Printer", dPlus, "'+plus", "2026-03-29T03:30:00+02:00", "", "", "escalated", "", "3", "queue"},
	} {
		if !slices.Equal(byID[n], want) {
			t.Errorf("row %s:\n got %q\nwant %q", n, byID[n], want)
		}
	}
	// RFC 4180 on the wire: CRLF after every record, quotes doubled, the
	// line break inside the quoted name as it is.
	body := string(r.Body)
	if !strings.HasPrefix(body, "session_id,flow_id,flow_name,engineer_id,engineer_name,started_at,completed_at,duration_minutes,outcome,csat,step_count,last_node_id\r\n") ||
		!strings.HasSuffix(body, "\r\n") || strings.Count(body, "\r\n") != 13 {
		t.Errorf("records must end with CRLF: %q", body)
	}
	if !strings.Contains(body, `,"'-Eve, ""the"" @x`+"\n"+`line 2",`) || !strings.Contains(body, `,"Net, ""Wi-Fi""`+"\n"+`Floor 2",`) {
		t.Errorf("quoted cells: %q", body)
	}
	// UTC: the offset Z.
	_, rows = readCSV(t, e.export(t, dAda, "view=team&"+wParams+"&orderBy=OLDEST").Body)
	if rows[0][5] != "2026-03-05T10:00:00Z" || rows[0][6] != "2026-03-05T10:10:00Z" {
		t.Errorf("UTC times: %q %q", rows[0][5], rows[0][6])
	}
}

// TestExportRowsArePages: the export lists exactly what paging through
// the field lists, in the same order, for every view, order and filter,
// in batches of 2 rows or of 1,000.
func TestExportRowsArePages(t *testing.T) {
	for _, batch := range []int{2, 1000} {
		e := newEnv(t, drillEnv.with(func(s *Settings) { s.ExportBatchRows = batch }))
		for _, c := range []struct {
			viewer, params, root, args string
		}{
			{dAda, "view=team", teamRoot, ""},
			{dAda, "view=team&orderBy=LONGEST", teamRoot, "orderBy: LONGEST"},
			{dAda, "view=team&orderBy=OLDEST&engineerId=" + dBen, `teamAnalytics(` + drillWindow + `, engineerId: "` + dBen + `")`, "orderBy: OLDEST"},
			{dAda, "view=team&treeId=" + dT1 + "&completed=false&orderBy=LONGEST", teamRoot, `filter: {treeId: "` + dT1 + `", completed: false}, orderBy: LONGEST`},
			{dAda, "view=team&outcomes=resolved&outcomes=unresolved&minDurationMinutes=5", teamRoot, "filter: {outcomes: [RESOLVED, UNRESOLVED], minDurationMinutes: 5}"},
			{dAda, "view=team&visitedNode=power&maxCsat=2&orderBy=LONGEST", teamRoot, `filter: {visitedNode: "power", maxCsat: 2}, orderBy: LONGEST`},
			{dAda, "view=team&maxDurationMinutes=10&completed=true", teamRoot, "filter: {maxDurationMinutes: 10, completed: true}"},
			{dAda, "view=flow&treeId=" + dT1 + "&droppedOffAt=power&orderBy=LONGEST", flowRoot, `filter: {droppedOffAt: "power"}, orderBy: LONGEST`},
			{dAda, "view=flow&treeId=" + dT1 + "&engineerId=" + dBen, flowRoot, `filter: {engineerId: "` + dBen + `"}`},
			{dBen, "view=flow&treeId=" + dT1, flowRoot, ""},
			{dBen, "view=my&orderBy=OLDEST", myRoot, "orderBy: OLDEST"},
			{dBen, "view=my&treeId=" + dT2, myRoot, `filter: {treeId: "` + dT2 + `"}`},
			{dBert, "view=team", teamRoot, ""},
		} {
			r := e.export(t, c.viewer, c.params+"&"+wParams)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", c.params, r.Status, r.Body)
			}
			_, rows := readCSV(t, r.Body)
			sameIDs(t, c.params, column(rows, 0), e.all(t, c.viewer, c.root, c.args, 3))
		}
		// An empty list is the header alone.
		r := e.export(t, dAda, "view=team&outcomes=workaround&completed=false&"+wParams)
		if _, rows := readCSV(t, r.Body); len(rows) != 0 || r.Status != 200 {
			t.Errorf("empty export: %d %q", r.Status, r.Body)
		}
	}
}

func TestExportErrorsBeforeTheFirstByte(t *testing.T) {
	e := newEnv(t, drillEnv)
	for _, c := range []struct{ qs, param string }{
		{"", "view"}, {"view=all", "view"}, {"view=team&view=my", "view"},
		{"view=flow", "treeId"}, {"view=flow&treeId=nope", "treeId"}, {"view=team&treeId=" + dT1[:35], "treeId"},
		{"view=team&engineerId=x", "engineerId"},
		{"view=team&period=LAST_8_DAYS", "period"}, {"view=team&period=", "period"},
		{"view=team&from=2026-03-01", "from"}, {"view=team&to=tomorrow", "to"},
		{"view=team&from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from"},
		{"view=team&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
		{"view=team&timeZone=Mars/Olympus", "timeZone"}, {"view=team&timeZone=Local", "timeZone"},
		{"view=team&outcomes=RESOLVED", "outcomes"}, {"view=team&outcomes=resolved&outcomes=gave_up", "outcomes"},
		{"view=team&completed=yes", "completed"},
		{"view=team&minDurationMinutes=ten", "minDurationMinutes"}, {"view=team&maxDurationMinutes=NaN", "maxDurationMinutes"},
		{"view=team&maxCsat=0", "maxCsat"}, {"view=team&maxCsat=6", "maxCsat"}, {"view=team&maxCsat=2.5", "maxCsat"},
		{"view=team&orderBy=newest", "orderBy"},
		{"view=team&first=10", "first"}, {"view=team&bogus=1", "bogus"},
	} {
		r := e.export(t, dAda, c.qs)
		if r.Status != http.StatusBadRequest || r.code(0) != "BAD_USER_INPUT" || !strings.HasPrefix(r.Errors[0].Message, c.param+": ") {
			t.Errorf("%q: want 400 naming %s, got %d %s", c.qs, c.param, r.Status, r.Body)
		}
		assertMasked(t, r)
	}
	// 401: no token, a bad token; the body is the GraphQL-shaped error.
	for _, auth := range []string{"", "Bearer nope"} {
		req := e.request(t, http.MethodGet, "/export/sessions.csv?view=team", "", "", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if r := e.do(t, req); r.Status != 401 || r.code(0) != "UNAUTHENTICATED" {
			t.Errorf("%q: %d %s", auth, r.Status, r.Body)
		}
	}
	// 403: an engineer's team export.
	if r := e.export(t, dBen, "view=team"); r.Status != 403 || r.code(0) != "FORBIDDEN" {
		t.Errorf("engineer, team: %d %s", r.Status, r.Body)
	}
	// 404: another account's flow answers byte for byte like a random id.
	other := e.export(t, dAda, "view=flow&treeId="+dTB)
	random := e.export(t, dAda, "view=flow&treeId="+uuid.NewString())
	if other.Status != 404 || other.code(0) != "NOT_FOUND" || !bytes.Equal(other.Body, random.Body) || random.Status != 404 {
		t.Errorf("other account's flow %d %s; random id %d %s", other.Status, other.Body, random.Status, random.Body)
	}
	if string(other.Body) != `{"errors":[{"extensions":{"code":"NOT_FOUND"},"message":"flow not found"}]}`+"\n" {
		t.Errorf("404 body %q", other.Body)
	}
	if other.Header.Get("Content-Type") != random.Header.Get("Content-Type") || other.Header.Get("Content-Disposition") != "" {
		t.Errorf("404 headers differ or name an attachment: %v / %v", other.Header, random.Header)
	}
	// 405 with the JSON body.
	r := e.do(t, e.request(t, http.MethodPost, "/export/sessions.csv?view=team", "application/json", token(t, uuid.MustParse(dAda)), strings.NewReader("{}")))
	if r.Status != 405 || r.code(0) != "METHOD_NOT_ALLOWED" {
		t.Errorf("POST: %d %s", r.Status, r.Body)
	}
}

// TestExportRateLimit: an export takes a request from the caller's budget
// like a query.
func TestExportRateLimit(t *testing.T) {
	e := newEnv(t, drillEnv.with(func(s *Settings) { s.RateLimitRPS, s.RateLimitBurst = 0.1, 2 }))
	if r := e.as(t, dAda, `{ viewer { id } }`, nil); r.Status != 200 {
		t.Fatalf("query: %d", r.Status)
	}
	if r := e.export(t, dAda, "view=team"); r.Status != 200 {
		t.Fatalf("export within the budget: %d %s", r.Status, r.Body)
	}
	r := e.export(t, dAda, "view=team")
	if r.Status != http.StatusTooManyRequests || r.code(0) != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
		t.Errorf("export over the budget: %d %s", r.Status, r.Body)
	}
	if r := e.as(t, dAda, `{ viewer { id } }`, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("query after the export used the budget: %d", r.Status)
	}
	if r := e.export(t, dBen, "view=my"); r.Status != 200 {
		t.Errorf("another user has a budget of their own: %d", r.Status)
	}
}

// TestExportObserved: the export shows in the metrics and the log line,
// with its rows, bytes and duration; each batch is one read-only
// transaction (4 statements).
func TestExportObserved(t *testing.T) {
	e := newEnv(t, drillEnv.with(func(s *Settings) { s.ExportBatchRows = 5 }))
	e.counter.Reset()
	e.rec.reset()
	r := e.export(t, dAda, "view=team&"+wParams)
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	// 12 rows in batches of 5: 5, 5, 2 (the short batch is the last):
	// the user lookup and three batches, 4 store calls.
	if n := e.storeCalls(t); n != 4 {
		t.Errorf("%d store calls, want 4", n)
	}
	m := e.metrics(t)
	if v := metricValue(t, m, `flowlens_export_rows_total{export="sessions_csv"}`); v != 12 {
		t.Errorf("rows metric %v, want 12", v)
	}
	if v := metricValue(t, m, `flowlens_export_bytes_total{export="sessions_csv"}`); v != float64(len(r.Body)) {
		t.Errorf("bytes metric %v, want %d", v, len(r.Body))
	}
	if v := metricValue(t, m, `flowlens_exports_total{export="sessions_csv",outcome="ok"}`); v != 1 {
		t.Errorf("exports metric %v", v)
	}
	if v := metricValue(t, m, `flowlens_export_duration_seconds_count{export="sessions_csv"}`); v != 1 {
		t.Errorf("duration metric count %v", v)
	}
	e.export(t, dBen, "view=team") // 403
	if v := metricValue(t, e.metrics(t), `flowlens_exports_total{export="sessions_csv",outcome="FORBIDDEN"}`); v != 1 {
		t.Errorf("refused exports metric %v", v)
	}
	var line map[string]any
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"export"`) && strings.Contains(l, `"status":200`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil || line["rows"] != float64(12) || line["bytes"] != float64(len(r.Body)) || line["outcome"] != "ok" ||
		line["account_id"] != drillA || line["path"] != "/export/sessions.csv" || line["duration_ms"] == nil {
		t.Errorf("log line %v", line)
	}
	if strings.Contains(e.logs.String(), "Bearer") || strings.Contains(e.logs.String(), "visitedNode") {
		t.Error("the log carries a token or the query string")
	}
}

// TestExportDefusesEveryCell: the leading quote goes before every cell
// that begins with =, +, -, @, a tab or a carriage return, then RFC 4180
// quoting; encoding/csv reads the values back.
func TestExportDefusesEveryCell(t *testing.T) {
	for _, c := range []struct{ in, cell, wire string }{
		{"plain", "plain", "plain"},
		{"=1+2", "'=1+2", "'=1+2"},
		{"+1", "'+1", "'+1"},
		{"-5.0", "'-5.0", "'-5.0"},
		{"@SUM(A1)", "'@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx", "'\tx"},
		{"\rx", "'\rx", "\"'\rx\""},
		{"a,b", "a,b", `"a,b"`},
		{`say "hi"`, `say "hi"`, `"say ""hi"""`},
		{"=a,\"b\"\nc", "'=a,\"b\"\nc", "\"'=a,\"\"b\"\"\nc\""},
		{"", "", ""},
		{" =x", " =x", " =x"},
	} {
		wire := quoteCell(defuse(c.in))
		if wire != c.wire {
			t.Errorf("%q: written %q, want %q", c.in, wire, c.wire)
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(wire + ",end\r\n")).Read()
		if err != nil || rec[0] != c.cell && strings.ReplaceAll(c.cell, "\r", "") != rec[0] {
			t.Errorf("%q: read back %q (%v), want %q", c.in, rec, err, c.cell)
		}
	}
}
