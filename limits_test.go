package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"flowlens/graph"
	"flowlens/store"
)

// Demand control (SECURITY.md §1): every limit refuses its request before
// any SQL of the operation runs. Transport limits (method, media type,
// body size, batching) act before authentication: no statement at all.
// Document limits (tokens, depth, aliases, complexity) act after
// authentication: the only statements are those of the token's user
// lookup, the same as for `{ __typename }`.

// TestLimitDefaults pins the defaults of the issue and that flags change them.
func TestLimitDefaults(t *testing.T) {
	c := secConfig(t)
	want := graph.Limits{MaxBodyBytes: 1 << 20, MaxTokens: 5000, MaxDepth: 10, MaxAliases: 15, MaxComplexity: 1000, MaxErrors: 20}
	if got := c.limits(); got != want {
		t.Errorf("default limits = %+v, want %+v", got, want)
	}
	if graph.DefaultLimits != want {
		t.Errorf("graph.DefaultLimits = %+v, want %+v", graph.DefaultLimits, want)
	}
	if c.RateLimitRPS != 20 || c.RateLimitBurst != 40 {
		t.Errorf("rate limit = %g/s burst %d, want 20/s burst 40", c.RateLimitRPS, c.RateLimitBurst)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c = bindConfig(fs)
	if err := fs.Parse([]string{"-max-depth", "3", "-max-aliases", "2", "-max-complexity", "50", "-max-tokens", "99", "-max-body-bytes", "1000", "-max-errors", "5", "-rate-limit-rps", "2.5", "-rate-limit-burst", "7"}); err != nil {
		t.Fatal(err)
	}
	want = graph.Limits{MaxBodyBytes: 1000, MaxTokens: 99, MaxDepth: 3, MaxAliases: 2, MaxComplexity: 50, MaxErrors: 5}
	if got := c.limits(); got != want || c.RateLimitRPS != 2.5 || c.RateLimitBurst != 7 {
		t.Errorf("limits from flags = %+v, rate %g burst %d; want %+v, rate 2.5 burst 7", got, c.RateLimitRPS, c.RateLimitBurst, want)
	}
	t.Setenv("MAX_DEPTH", "4")
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	if c = bindConfig(fs); c.MaxDepth != 4 {
		t.Errorf("MAX_DEPTH=4 gives depth limit %d", c.MaxDepth)
	}
}

// limitsEnv is the handler with the default limits; rate limiting off so
// the many requests of these tests are not refused for their pace.
func limitsEnv(t *testing.T, mut ...func(*config)) *secEnv {
	t.Helper()
	cfg := secConfig(t, append([]func(*config){func(c *config) { c.RateLimitRPS = 0 }}, mut...)...)
	return newSecEnv(t, cfg, store.PoolConfig{})
}

// authOnly returns the statements of a request that runs no resolver:
// the user lookup of the token, and nothing else.
func authOnly(t *testing.T, e *secEnv) int64 {
	t.Helper()
	n, r := e.statements(t, secAdminA, `{ __typename }`)
	if r.Status != http.StatusOK || r.hasData() == false || n == 0 {
		t.Fatalf("{ __typename }: status %d, %d statements, body %s", r.Status, n, r.Body)
	}
	return n
}

// assertRefused checks that query q of the team admin of A is refused with
// code, no data and no statement beyond the user lookup.
func assertRefused(t *testing.T, e *secEnv, base int64, q, code, msgPart string) {
	t.Helper()
	n, r := e.statements(t, secAdminA, q)
	if r.code() != code || r.hasData() || r.Status < 400 || r.Status > 499 {
		t.Fatalf("want a 4xx with code %s and no data; got %d %s", code, r.Status, r.Body)
	}
	if !strings.Contains(r.Errors[0].Message, msgPart) {
		t.Errorf("message %q does not say %q", r.Errors[0].Message, msgPart)
	}
	if n != base {
		t.Errorf("a refused operation ran %d statements, the user lookup alone runs %d", n, base)
	}
	assertMasked(t, r)
}

// assertAccepted checks that query q runs and answers data without errors.
func assertAccepted(t *testing.T, e *secEnv, q string) secResp {
	t.Helper()
	r := e.query(t, secAdminA, q)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !r.hasData() {
		t.Fatalf("want 200 with data; got %d %s", r.Status, r.Body)
	}
	return r
}

func TestBodyLimit(t *testing.T) {
	e := limitsEnv(t)
	tok := secToken(t, secAdminA)
	max := int(graph.DefaultLimits.MaxBodyBytes)
	// A valid request padded with spaces to exactly the limit runs.
	body := []byte(`{"query":"{ viewer { accountId } }"}`)
	exact := append(body, bytes.Repeat([]byte(" "), max-len(body))...)
	if r := e.do(t, e.request(t, "POST", "/query", "application/json", tok, bytes.NewReader(exact))); r.Status != 200 || !r.hasData() {
		t.Fatalf("a body of exactly %d bytes: %d %s", max, r.Status, r.Body)
	}
	over := append(exact, ' ')
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			var rd io.Reader = bytes.NewReader(over)
			if chunked {
				rd = io.MultiReader(rd) // unknown length: sent chunked, no Content-Length
			}
			req := e.request(t, "POST", "/query", "application/json", tok, rd)
			e.counter.Reset()
			r := e.do(t, req)
			if r.Status != http.StatusRequestEntityTooLarge || r.code() != graph.CodeBodyTooLarge {
				t.Fatalf("a body of %d bytes: want 413 %s, got %d %s", len(over), graph.CodeBodyTooLarge, r.Status, r.Body)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("an oversized body ran %d statements", n)
			}
		})
	}
}

func TestTransportLimits(t *testing.T) {
	e := limitsEnv(t)
	tok := secToken(t, secAdminA)
	form := url.Values{"query": {"{ viewer { accountId } }"}}.Encode()
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("operations", `{"query":"{ viewer { accountId } }"}`)
	_ = mw.Close()
	cases := []struct {
		name, method, ctype string
		body                string
		status              int
		code                string
	}{
		{"form", "POST", "application/x-www-form-urlencoded", form, 415, graph.CodeUnsupportedMediaType},
		{"multipart", "POST", mw.FormDataContentType(), mp.String(), 415, graph.CodeUnsupportedMediaType},
		{"text", "POST", "text/plain", `{"query":"{ viewer { accountId } }"}`, 415, graph.CodeUnsupportedMediaType},
		{"graphql", "POST", "application/graphql", `{ viewer { accountId } }`, 415, graph.CodeUnsupportedMediaType},
		{"no content type", "POST", "", `{"query":"{ viewer { accountId } }"}`, 415, graph.CodeUnsupportedMediaType},
		{"batch", "POST", "application/json", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`, 400, graph.CodeBatching},
		{"batch after spaces", "POST", "application/json", " \n\t[{\"query\":\"{ __typename }\"}]", 400, graph.CodeBatching},
		{"put", "PUT", "application/json", `{"query":"{ viewer { accountId } }"}`, 405, graph.CodeMethodNotAllowed},
		{"delete", "DELETE", "", ``, 405, graph.CodeMethodNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.counter.Reset()
			r := e.do(t, e.request(t, c.method, "/query", c.ctype, tok, strings.NewReader(c.body)))
			if r.Status != c.status || r.code() != c.code || r.hasData() {
				t.Fatalf("want %d %s, got %d %s", c.status, c.code, r.Status, r.Body)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("a refused transport ran %d statements", n)
			}
		})
	}
	t.Run("json with charset", func(t *testing.T) {
		r := e.do(t, e.request(t, "POST", "/query", "application/json; charset=utf-8", tok, strings.NewReader(`{"query":"{ viewer { accountId } }"}`)))
		if r.Status != 200 || !r.hasData() {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("GET query", func(t *testing.T) {
		r := e.do(t, e.request(t, "GET", "/query?query="+url.QueryEscape("{ viewer { accountId } }"), "", tok, nil))
		if r.Status != 200 || !strings.Contains(string(r.Data), secAccountA.String()) {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("GET mutation", func(t *testing.T) {
		e.counter.Reset()
		r := e.do(t, e.request(t, "GET", "/query?query="+url.QueryEscape("mutation { viewer { accountId } }"), "", tok, nil))
		if r.Status < 400 || r.Status > 499 || r.hasData() {
			t.Fatalf("a mutation over GET: want 4xx without data, got %d %s", r.Status, r.Body)
		}
	})
}

// tokens returns a document of exactly n tokens: `{ __typename }` (3
// tokens) and n-3 comment lines (one token each, counted like the parser
// counts them) — so only the token limit is at stake.
func tokens(n int) string {
	return "{ __typename }\n" + strings.Repeat("# padding\n", n-3)
}

func TestTokenLimit(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	assertAccepted(t, e, tokens(5000))
	assertRefused(t, e, base, tokens(5001), graph.CodeTokenLimit, "more than 5000 tokens")
	// Long documents of few tokens are bounded by the body size instead.
	assertRefused(t, e, base, "{ __typename "+strings.Repeat("__typename ", 5000)+"}", graph.CodeTokenLimit, "more than 5000 tokens")
}

// TestDepthLimit: flowlens's schema is at most 4 fields deep (its types
// do not nest), so the default limit of 10 only matters for future types
// and is exercised on a recursive schema in graph/limits_test.go; here the
// configured limit is enforced end to end. Introspection's depth is not
// measured (the Playground's schema query is 15 deep).
func TestDepthLimit(t *testing.T) {
	deepest := `{ myAnalytics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { summary { outcomeBreakdown { resolved } } } }`
	e := limitsEnv(t, func(c *config) { c.MaxDepth = 4 })
	assertAccepted(t, e, deepest)
	e = limitsEnv(t, func(c *config) { c.MaxDepth = 3 })
	base := authOnly(t, e)
	assertRefused(t, e, base, deepest, graph.CodeDepthLimit, "depth 4, which exceeds the limit of 3")
	// Through fragments and inline fragments: depth counts fields only.
	viaFragments := `{ ...Q } fragment Q on Query { ... on Query { myAnalytics { ...S } } } fragment S on PersonalAnalytics { summary { outcomeBreakdown { ... on OutcomeBreakdown { resolved } } } }`
	assertRefused(t, e, base, viaFragments, graph.CodeDepthLimit, "depth 4")
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "v%d: viewer { accountId } ", i)
	}
	b.WriteString("}")
	return b.String()
}

func TestAliasLimit(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	assertAccepted(t, e, aliases(15))
	assertRefused(t, e, base, aliases(16), graph.CodeAliasLimit, "16 aliases, which exceeds the limit of 15")
	// A fragment counts each time it is spread: 2 + 2 × 7 = 16.
	frag := "{ a: viewer { ...F } b: viewer { ...F } } fragment F on Viewer { "
	for i := 1; i <= 7; i++ {
		frag += fmt.Sprintf("i%d: id ", i)
	}
	frag += "}"
	assertRefused(t, e, base, frag, graph.CodeAliasLimit, "16 aliases")
	// 15 aliases of flowAnalytics guessing tree ids: allowed, and each
	// answers NOT_FOUND for another account's tree.
	var guess strings.Builder
	guess.WriteString("{ ")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&guess, `f%d: flowAnalytics(treeId: "%s") { flow { name } } `, i, secTreeB)
	}
	guess.WriteString("}")
	r := e.query(t, secAdminA, guess.String())
	if r.Status != 200 || len(r.Errors) != 15 || strings.Contains(string(r.Body), "Router") {
		t.Fatalf("15 guesses of B's tree: %d %s", r.Status, r.Body)
	}
}

func TestComplexityLimit(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	five := "{ treeId name sessions completionRate medianDurationMinutes }"
	fiveE := "{ userId name sessions completionRate medianDurationMinutes }"
	win := `(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z")`
	// teamAnalytics 1 + summary (1 + 1) + topFlows (1 + 100 × 5) + topEngineers (1 + 99 × 5) = 1000.
	at := "{ teamAnalytics" + win + " { summary { totalSessions } topFlows(limit: 100) " + five + " topEngineers(limit: 99) " + fiveE + " } }"
	assertAccepted(t, e, at)
	// window (1 + 2) instead of summary: 1001.
	over := "{ teamAnalytics" + win + " { window { from to } topFlows(limit: 100) " + five + " topEngineers(limit: 99) " + fiveE + " } }"
	assertRefused(t, e, base, over, graph.CodeComplexityLimit, "complexity 1001, which exceeds the limit of 1000")
	// The default limit (10) costs 10 × the children.
	def := "{ myAnalytics" + win + " { topFlows " + five + " } }"
	assertAccepted(t, e, def)
	// Lists of other types count too: recentComments(limit: 100) × 3 fields, 4 times over aliases.
	rc := "{ "
	for i := 0; i < 4; i++ {
		rc += fmt.Sprintf(`f%d: flowAnalytics(treeId: "%s") { recentComments(limit: 100) { rating comment createdAt } } `, i, secTreeA)
	}
	rc += "}"
	assertRefused(t, e, base, rc, graph.CodeComplexityLimit, "complexity 1208")
}

// TestFragmentExpansion checks that a document whose fragments spread into
// each other (2^20 fields once expanded, 200 tokens) is refused without
// expanding it: by the alias limit here, by complexity without aliases.
func TestFragmentExpansion(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	var b strings.Builder
	b.WriteString("{ viewer { ...F0 } } ")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "fragment F%d on Viewer { a%d: id ...F%d ...F%d } ", i, i, i+1, i+1)
	}
	b.WriteString("fragment F20 on Viewer { id }")
	assertRefused(t, e, base, b.String(), graph.CodeAliasLimit, "aliases")
}

func TestErrorLimit(t *testing.T) {
	e := limitsEnv(t)
	var q strings.Builder
	q.WriteString("{ ")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&q, "nope%d ", i)
	}
	q.WriteString("}")
	r := e.query(t, secAdminA, q.String())
	if len(r.Errors) != 20 {
		t.Fatalf("30 unknown fields: want 20 errors, got %d: %s", len(r.Errors), r.Body)
	}
	last := r.Errors[19]
	if last.Extensions["code"] != graph.CodeTooManyErrors || !strings.Contains(last.Message, "11 more errors were left out") {
		t.Errorf("the last error should say 11 were left out: %+v", last)
	}
	for _, e := range r.Errors[:19] {
		if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("a kept error: %+v", e)
		}
	}
	// At the limit nothing is cut.
	q.Reset()
	q.WriteString("{ ")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&q, "nope%d ", i)
	}
	q.WriteString("}")
	if r := e.query(t, secAdminA, q.String()); len(r.Errors) != 20 || r.Errors[19].Extensions["code"] == graph.CodeTooManyErrors {
		t.Errorf("20 unknown fields: want the 20 errors, got %d", len(r.Errors))
	}
}

func TestProductionMode(t *testing.T) {
	dev := limitsEnv(t)
	prod := limitsEnv(t, func(c *config) { c.Env = "production" })

	introspection := []string{`{ __schema { types { name } } }`, `{ __type(name: "Query") { name } }`}
	for _, q := range introspection {
		if r := dev.query(t, secAdminA, q); r.Status != 200 || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Query") {
			t.Errorf("development %s: %d %s", q, r.Status, r.Body)
		}
		r := prod.query(t, secAdminA, q)
		if len(r.Errors) == 0 || strings.Contains(string(r.Data), "Query") || strings.Contains(string(r.Data), "TeamAnalytics") {
			t.Errorf("production %s must fail without schema data: %d %s", q, r.Status, r.Body)
		}
	}
	if r := prod.query(t, secAdminA, `{ __typename }`); r.Status != 200 || string(r.Data) != `{"__typename":"Query"}` {
		t.Errorf("production { __typename }: %d %s", r.Status, r.Body)
	}

	for _, path := range []string{"/", "/playground", "/index.html"} {
		r := prod.do(t, prod.request(t, "GET", path, "", "", nil))
		if r.Status != http.StatusNotFound {
			t.Errorf("production GET %s: want 404, got %d", path, r.Status)
		}
	}
	if r := dev.do(t, dev.request(t, "GET", "/", "", "", nil)); r.Status != 200 || !strings.Contains(strings.ToLower(string(r.Body)), "graphiql") {
		t.Errorf("development GET /: want the Playground, got %d", r.Status)
	}

	typo := `{ viewer { acountId } }`
	if r := dev.query(t, secAdminA, typo); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("development suggests fields: %s", r.Body)
	}
	r := prod.query(t, secAdminA, typo)
	if len(r.Errors) != 1 || strings.Contains(r.Errors[0].Message, "Did you mean") || strings.Contains(string(r.Body), "accountId") {
		t.Errorf("production must not suggest fields: %s", r.Body)
	}
}

// TestLimitsOff checks that a zero limit is off (the configuration's
// documented meaning): 16 aliases run when MaxAliases is 0.
func TestLimitsOff(t *testing.T) {
	e := limitsEnv(t, func(c *config) { c.MaxAliases = 0 })
	assertAccepted(t, e, aliases(16))
	var out map[string]any
	if err := json.Unmarshal(assertAccepted(t, e, aliases(16)).Data, &out); err != nil || len(out) != 16 {
		t.Errorf("16 aliases: %v %v", out, err)
	}
}
