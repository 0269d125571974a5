package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"flowlens/models"
)

// The GraphQL-over-HTTP rules of the transport (transport.go), the same
// that the graphql-http audit suite checks from outside (e2e/).
func TestTransportStatusAndDataEntry(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	tok := token(t, small.AdminA)
	const gqlResp = "application/graphql-response+json"
	for _, c := range []struct {
		name, accept, body string
		status             int
		code               string
		data               bool // whether the answer has a data entry
	}{
		{"parse failure, json", "application/json", `{"query":"{"}`, 200, string(models.CodeParseFailed), false},
		{"parse failure, graphql-response", gqlResp, `{"query":"{"}`, 400, string(models.CodeParseFailed), false},
		{"validation failure, json", "application/json", `{"query":"{ nope }"}`, 200, string(models.CodeValidationFailed), false},
		{"validation failure, graphql-response", gqlResp, `{"query":"{ nope }"}`, 400, string(models.CodeValidationFailed), false},
		{"variable coercion, json", "application/json", `{"query":"query($l: Int!) { teamAnalytics { topFlows(limit: $l) { name } } }","variables":{"l":"x"}}`, 200, string(models.CodeValidationFailed), false},
		{"variable coercion, graphql-response", gqlResp, `{"query":"query($l: Int!) { teamAnalytics { topFlows(limit: $l) { name } } }","variables":{"l":"x"}}`, 400, string(models.CodeValidationFailed), false},
		{"no accept header", "", `{"query":"{ nope }"}`, 200, string(models.CodeValidationFailed), false},
		{"demand limit, json", "application/json", `{"query":"{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } e: viewer { id } f: viewer { id } g: viewer { id } h: viewer { id } i: viewer { id } j: viewer { id } k: viewer { id } l: viewer { id } m: viewer { id } n: viewer { id } o: viewer { id } p: viewer { id } }"}`, 422, string(models.CodeAliasLimit), false},
		{"executed with a field error", "application/json", `{"query":"{ flowAnalytics(treeId: \"` + small.TreeB.String() + `\") { flow { name } } }"}`, 200, string(models.CodeNotFound), true},
		{"executed", gqlResp, `{"query":"{ viewer { accountId } }"}`, 200, "", true},
		{"no query", "application/json", `{"qeury":"{ __typename }"}`, 400, string(models.CodeBadRequest), false},
		{"not JSON", "application/json", `{notjson`, 400, string(models.CodeInvalidJSON), false},
		{"not an object", "application/json", `"{ __typename }"`, 400, string(models.CodeBadRequest), false},
		{"query not a string", "application/json", `{"query":7}`, 400, string(models.CodeBadRequest), false},
		{"two values", "application/json", `{"query":"{ __typename }"}{}`, 400, string(models.CodeInvalidJSON), false},
	} {
		req := e.request(t, http.MethodPost, "/query", "application/json", tok, strings.NewReader(c.body))
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		r := e.do(t, req)
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(r.Body, &raw)
		_, hasData := raw["data"]
		if r.Status != c.status || r.code(0) != c.code || hasData != c.data {
			t.Errorf("%s: %d %s data=%v; want %d %q data=%v\n%s", c.name, r.Status, r.code(0), hasData, c.status, c.code, c.data, r.Body)
		}
		if want := c.accept; r.Status != 400 || (c.code != string(models.CodeBadRequest) && c.code != string(models.CodeInvalidJSON)) {
			if want == "" {
				want = "application/json"
			}
			if ct := r.Header.Get("Content-Type"); ct != want {
				t.Errorf("%s: Content-Type %q, want %q", c.name, ct, want)
			}
		}
		assertMasked(t, r)
	}
}

// TestTransportMessagesNameTheProblem: a body that is not a GraphQL
// request gets a message saying what is wrong, without echoing the body.
func TestTransportMessagesNameTheProblem(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	tok := token(t, small.AdminA)
	for body, want := range map[string]string{
		`{notjson`:                      "invalid JSON at byte 2",
		``:                              "it is empty",
		`{"query":"{ __typename }"`:     "the JSON ends early",
		`{"query":7}`:                   "query must not be a JSON number",
		`{"query":"x","variables":"v"}`: "variables must not be a JSON string",
		`[]`:                            "batches (JSON arrays) are not supported",
		`{"operationName":"A"}`:         "the request has no query",
	} {
		r := e.do(t, e.request(t, http.MethodPost, "/query", "application/json", tok, strings.NewReader(body)))
		if r.Status != 400 || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, want) {
			t.Errorf("%q: %d %s; want 400 saying %q", body, r.Status, r.Body, want)
		}
	}
}

// TestGETCarriesQueriesOnly: GET runs queries; a mutation over GET is 405
// with Allow: POST, before validation (the schema has no mutations at all).
func TestGETCarriesQueriesOnly(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	tok := token(t, small.AdminA)
	get := func(q string) response {
		return e.do(t, e.request(t, http.MethodGet, "/query?query="+url.QueryEscape(q), "", tok, nil))
	}
	if r := get("{ viewer { accountId } }"); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountA.String()) {
		t.Errorf("GET query: %d %s", r.Status, r.Body)
	}
	r := get("mutation { viewer { id } }")
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" || r.code(0) != string(models.CodeMethodNotAllowed) || r.hasData() {
		t.Errorf("GET mutation: %d Allow=%q %s", r.Status, r.Header.Get("Allow"), r.Body)
	}
	// A query that only mentions the word is a query.
	if r := get(`query mutationLike { viewer { accountId } }`); r.Status != 200 {
		t.Errorf("a query named mutationLike: %d %s", r.Status, r.Body)
	}
	if r := get("{ __typename }&variables=%7B"); r.Status != 200 && r.Status != 400 {
		t.Errorf("malformed variables: %d %s", r.Status, r.Body)
	}
}
