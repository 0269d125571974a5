package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNoLogLineCarriesTheBody sends hostile and malformed requests whose
// bodies (query texts, variables, extensions, raw bytes) carry a marker,
// and checks that no line of the service's log carries it: query texts
// and variables are never logged, not even when a body cannot be decoded.
func TestNoLogLineCarriesTheBody(t *testing.T) {
	const marker = "Zq7MARKERx9"
	e := newEnv(t, smallEnv.with(noRateLimit))
	tok := token(t, small.AdminA)
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat(marker, (2<<20)/len(marker)) + `"}}`
	bodies := map[string]string{
		"not JSON":             `{not json ` + marker,
		"truncated JSON":       `{"query":"{ viewer { id } }", "variables": {"` + marker,
		"byte-order mark":      "\ufeff" + `{"query":"{ ` + marker + ` }"}`,
		"query not a string":   `{"query":{"` + marker + `":1}}`,
		"variables not object": `{"query":"{ __typename }","variables":"` + marker + `"}`,
		"two JSON values":      `{"query":"{ __typename }"} {"` + marker + `":1}`,
		"parse failure":        `{"query":"{ viewer { ` + marker + `( } }"}`,
		"validation failure":   `{"query":"{ viewer { ` + marker + ` } }"}`,
		"unknown variable":     `{"query":"query($x: Int) { teamAnalytics { topFlows(limit: $x) { name } } }","variables":{"x":"` + marker + `"}}`,
		"bad argument":         `{"query":"{ teamAnalytics(timeZone: \"` + marker + `\") { summary { totalSessions } } }"}`,
		"bad UUID":             `{"query":"{ flowAnalytics(treeId: \"` + marker + `\") { flow { name } } }"}`,
		"persisted query hash": `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + marker + `"}}}`,
		"hash not matching":    `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}},"variables":{"m":"` + marker + `"}}`,
		"batch":                `[{"query":"{ ` + marker + ` }"}]`,
		"operation name":       `{"query":"query ` + marker + ` { viewer { id } }","operationName":"` + marker + `"}`,
		"operation name only":  `{"query":"query ` + marker + ` { viewer { id } }"}`,
		"unknown operation":    `{"query":"query A { viewer { id } }","operationName":"` + marker + `"}`,
		"too large":            big,
	}
	for name, body := range bodies {
		r := e.do(t, e.request(t, http.MethodPost, "/query", "application/json", tok, strings.NewReader(body)))
		if r.Status >= 500 {
			t.Errorf("%s: a client's mistake answered %d: %s", name, r.Status, r.Body)
		}
	}
	// The same marker outside JSON bodies: a form, a GET query string.
	e.do(t, e.request(t, http.MethodPost, "/query", "application/x-www-form-urlencoded", tok, strings.NewReader("query="+marker)))
	e.do(t, e.request(t, http.MethodGet, "/query?query="+url.QueryEscape("{ "+marker+" }"), "", tok, nil))
	e.do(t, e.request(t, http.MethodGet, "/query?query="+url.QueryEscape("{ __typename }")+"&variables="+url.QueryEscape(`{"`+marker), "", tok, nil))

	logs := e.logs.String()
	lines := strings.Count(logs, "\n")
	if lines < len(bodies)+3 {
		t.Fatalf("%d log lines for %d requests: the requests were not logged", lines, len(bodies)+3)
	}
	for _, line := range bytes.Split([]byte(logs), []byte("\n")) {
		if bytes.Contains(line, []byte(marker)) || bytes.Contains(line, []byte("MARKER")) {
			t.Errorf("a log line carries part of a request body: %.300s", line)
		}
	}
}
