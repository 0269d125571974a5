package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"

	"flowlens/models"
)

// A client's mistake is never an internal error (issue 11, finding 4):
// each gets its own code and a message naming the problem, is logged at
// INFO like any answered request, never at ERROR, and runs no statement
// of an operation.

// utf16Body returns s in UTF-16, little or big endian, with or without a
// byte-order mark.
func utf16Body(s string, little, bom bool) string {
	var b []byte
	put := func(r uint16) {
		if little {
			b = append(b, byte(r), byte(r>>8))
		} else {
			b = append(b, byte(r>>8), byte(r))
		}
	}
	if bom {
		put(0xfeff)
	}
	for _, r := range utf16.Encode([]rune(s)) {
		put(r)
	}
	return string(b)
}

func TestClientMistakesAreNotInternal(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit).with(func(s *Settings) { s.Development = false }))
	tok := token(t, small.AdminA)
	const q = `{"query":"{ __typename }"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(q))
	_ = zw.Close()
	wrongHash := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name, body string
		header     map[string]string
		status     int
		code       models.Code
		msg        string
	}{
		{"not JSON", `{"query": nope}`, nil, 400, models.CodeInvalidJSON, "invalid JSON at byte 12"},
		{"two JSON values", q + q, nil, 400, models.CodeInvalidJSON, "more than one JSON value"},
		{"JSON nested 20,000 deep", `{"query":"{ __typename }","variables":{"v":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`, nil, 400, models.CodeInvalidJSON, "nests more than 10000 levels deep"},
		{"a byte-order mark", "\ufeff" + q, nil, 400, models.CodeUnsupportedEncoding, "starts with a byte-order mark"},
		{"UTF-16LE with its mark", utf16Body(q, true, true), nil, 400, models.CodeUnsupportedEncoding, "is UTF-16 or UTF-32"},
		{"UTF-16BE without a mark", utf16Body(q, false, false), nil, 400, models.CodeUnsupportedEncoding, "is UTF-16 or UTF-32"},
		{"gzip without Content-Encoding", gz.String(), nil, 400, models.CodeUnsupportedEncoding, "is gzip-compressed"},
		{"Content-Encoding: gzip", gz.String(), map[string]string{"Content-Encoding": "gzip"}, 415, models.CodeUnsupportedEncoding, "Content-Encoding is not supported"},
		{"Latin-1 bytes", `{"query":"{ __typename }","variables":{"name":"Jos` + "\xe9" + `"}}`, nil, 400, models.CodeUnsupportedEncoding, "is not valid UTF-8"},
		{"persisted query hash not matching", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + wrongHash + `"}}}`, nil, 200, models.CodePersistedQueryMismatch, "is not the SHA-256 of the query"},
		{"persisted query version 2", `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + wrongHash + `"}}}`, nil, 200, models.CodePersistedQueryVersion, "persistedQuery.version 2 is not supported"},
		{"persisted query not an object", `{"query":"{ __typename }","extensions":{"persistedQuery":"x"}}`, nil, 200, models.CodePersistedQueryInvalid, "must be an object"},
		{"persisted query hash not hex", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"xyz"}}}`, nil, 200, models.CodePersistedQueryInvalid, "64 hexadecimal digits"},
		{"introspection in production", `{"query":"{ __schema { types { name } } }"}`, nil, 200, models.CodeIntrospectionDisabled, "introspection (__schema, __type) is disabled"},
		{"__type through a fragment", `{"query":"{ ...Q } fragment Q on Query { __type(name: \"Query\") { name } }"}`, nil, 200, models.CodeIntrospectionDisabled, "is disabled"},
		{"a window in year 1", `{"query":"{ teamAnalytics(to: \"0001-01-01T00:00:00Z\") { summary { totalSessions } } }"}`, nil, 200, models.CodeBadUserInput, "to: the window from 0000-12-02T00:00:00Z to 0001-01-01T00:00:00Z is out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := e.request(t, http.MethodPost, "/query", "application/json", tok, strings.NewReader(c.body))
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			before := strings.Count(e.logs.String(), "\n")
			e.counter.Reset()
			r := e.do(t, req)
			if r.Status != c.status || len(r.Errors) != 1 || r.code(0) != string(c.code) || !strings.Contains(r.Errors[0].Message, c.msg) {
				t.Fatalf("want %d %s saying %q, got %d %s", c.status, c.code, c.msg, r.Status, r.Body)
			}
			if c.code != models.CodeBadUserInput && r.hasData() {
				t.Errorf("a refused request has data: %s", r.Body)
			}
			// Refused before authentication: nothing; after it: the user
			// lookup (a transaction: 4 statements) and nothing of the
			// operation.
			if n := e.counter.Count(); n != 0 && n != 4 {
				t.Errorf("%d statements", n)
			}
			assertMasked(t, r)
			lines := strings.Split(e.logs.String(), "\n")[before:]
			for _, l := range lines {
				if strings.Contains(l, `"level":"ERROR"`) || strings.Contains(l, string(models.CodeInternal)) {
					t.Errorf("logged as an internal error: %s", l)
				}
			}
		})
	}
	// Under application/graphql-response+json the request errors are 400.
	req := e.request(t, http.MethodPost, "/query", "application/json", tok, strings.NewReader(`{"query":"{ __schema { types { name } } }"}`))
	req.Header.Set("Accept", "application/graphql-response+json")
	if r := e.do(t, req); r.Status != 400 || r.code(0) != string(models.CodeIntrospectionDisabled) {
		t.Errorf("introspection under graphql-response+json: %d %s", r.Status, r.Body)
	}
}

// TestPersistedQueriesPerAccount: a hash registered by a user of account A
// runs for A's users only; for B it is answered exactly like a hash nobody
// sent, until B sends the query itself (issue 11, finding 8).
func TestPersistedQueriesPerAccount(t *testing.T) {
	e := newEnv(t, smallEnv.with(noRateLimit))
	const doc = `query Secret { viewer { accountId } }`
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:])
	send := func(user string, withQuery bool, h string) response {
		body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}}
		if withQuery {
			body["query"] = doc
		}
		req := e.request(t, http.MethodPost, "/query", "application/json", user, jsonBody(t, body))
		return e.do(t, req)
	}
	a, a2, b := token(t, small.AdminA), token(t, small.EngineerA), token(t, small.AdminB)
	if r := send(a, false, hash); r.code(0) != string(models.CodePersistedQueryNotFound) {
		t.Fatalf("an unknown hash: %d %s", r.Status, r.Body)
	}
	if r := send(a, true, hash); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountA.String()) {
		t.Fatalf("registering: %d %s", r.Status, r.Body)
	}
	if r := send(a2, false, hash); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountA.String()) {
		t.Errorf("another user of the same account, by hash: %d %s", r.Status, r.Body)
	}
	unknown := send(b, false, strings.Repeat("0", 64))
	other := send(b, false, hash)
	if other.code(0) != string(models.CodePersistedQueryNotFound) || string(other.Body) != string(unknown.Body) || other.Status != unknown.Status {
		t.Errorf("another account's hash must be answered like an unknown one:\n%d %s\n%d %s", other.Status, other.Body, unknown.Status, unknown.Body)
	}
	if r := send(b, true, hash); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountB.String()) {
		t.Errorf("B registering the same document: %d %s", r.Status, r.Body)
	}
	if r := send(b, false, hash); r.Status != 200 || !strings.Contains(string(r.Data), small.AccountB.String()) || strings.Contains(string(r.Data), small.AccountA.String()) {
		t.Errorf("B by hash after registering: %d %s", r.Status, r.Body)
	}
}
