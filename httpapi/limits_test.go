package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"flowlens/graph"
	"flowlens/models"
)

// Demand control (SECURITY.md §1): every limit refuses its request before
// any SQL of the operation runs. Transport limits (method, media type,
// body size, batching) act before authentication: no statement at all.
// Document limits (tokens, depth, aliases, complexity) act after
// authentication: the only statements are those of the token's user
// lookup, the same as for `{ __typename }`.

// TestLimitDefaults pins the defaults of the limits (the configuration's
// defaults are these; config_test.go at the root checks flags and
// variables).
func TestLimitDefaults(t *testing.T) {
	want := graph.Limits{MaxTokens: 5000, MaxFields: 2000, MaxDepth: 10, MaxAliases: 15, MaxComplexity: graph.DefaultStatementBudget, MaxErrors: 20}
	if graph.DefaultLimits != want {
		t.Errorf("graph.DefaultLimits = %+v, want %+v", graph.DefaultLimits, want)
	}
	if d := Defaults; d.Limits != want || d.MaxBodyBytes != 1<<20 || d.RateLimitRPS != 20 || d.RateLimitBurst != 40 || d.RequestTimeout != 10*time.Second {
		t.Errorf("defaults = %+v", d)
	}
}

// limitsEnv is the handler with the default limits changed by mut; rate
// limiting off so the many requests of these tests are not refused for
// their pace.
func limitsEnv(t *testing.T, mut ...func(*Settings)) *env {
	t.Helper()
	o := smallEnv.with(noRateLimit)
	for _, m := range mut {
		o = o.with(m)
	}
	return newEnv(t, o)
}

// authOnly returns the statements of a request that runs no resolver:
// the user lookup of the token, and nothing else.
func authOnly(t *testing.T, e *env) int64 {
	t.Helper()
	n, r := e.statements(t, small.AdminA, `{ __typename }`)
	if r.Status != http.StatusOK || r.hasData() == false || n == 0 {
		t.Fatalf("{ __typename }: status %d, %d statements, body %s", r.Status, n, r.Body)
	}
	return n
}

// assertRefused checks that query q of the team admin of A is refused with
// code, no data and no statement beyond the user lookup.
func assertRefused(t *testing.T, e *env, base int64, q, code, msgPart string) {
	t.Helper()
	n, r := e.statements(t, small.AdminA, q)
	if r.code(0) != code || r.hasData() || r.Status < 400 || r.Status > 499 {
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
func assertAccepted(t *testing.T, e *env, q string) response {
	t.Helper()
	r := e.query(t, small.AdminA, q)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !r.hasData() {
		t.Fatalf("want 200 with data; got %d %s", r.Status, r.Body)
	}
	return r
}

func TestBodyLimit(t *testing.T) {
	e := limitsEnv(t)
	tok := token(t, small.AdminA)
	max := int(Defaults.MaxBodyBytes)
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
			if r.Status != http.StatusRequestEntityTooLarge || r.code(0) != string(models.CodeRequestTooLarge) {
				t.Fatalf("a body of %d bytes: want 413 %s, got %d %s", len(over), string(models.CodeRequestTooLarge), r.Status, r.Body)
			}
			if n := e.counter.Count(); n != 0 {
				t.Errorf("an oversized body ran %d statements", n)
			}
		})
	}
}

func TestTransportLimits(t *testing.T) {
	e := limitsEnv(t)
	tok := token(t, small.AdminA)
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
		{"form", "POST", "application/x-www-form-urlencoded", form, 415, string(models.CodeUnsupportedMediaType)},
		{"multipart", "POST", mw.FormDataContentType(), mp.String(), 415, string(models.CodeUnsupportedMediaType)},
		{"text", "POST", "text/plain", `{"query":"{ viewer { accountId } }"}`, 415, string(models.CodeUnsupportedMediaType)},
		{"graphql", "POST", "application/graphql", `{ viewer { accountId } }`, 415, string(models.CodeUnsupportedMediaType)},
		{"no content type", "POST", "", `{"query":"{ viewer { accountId } }"}`, 415, string(models.CodeUnsupportedMediaType)},
		{"batch", "POST", "application/json", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`, 400, string(models.CodeBatching)},
		{"batch after spaces", "POST", "application/json", " \n\t[{\"query\":\"{ __typename }\"}]", 400, string(models.CodeBatching)},
		{"put", "PUT", "application/json", `{"query":"{ viewer { accountId } }"}`, 405, string(models.CodeMethodNotAllowed)},
		{"delete", "DELETE", "", ``, 405, string(models.CodeMethodNotAllowed)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.counter.Reset()
			r := e.do(t, e.request(t, c.method, "/query", c.ctype, tok, strings.NewReader(c.body)))
			if r.Status != c.status || r.code(0) != c.code || r.hasData() {
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
		if r.Status != 200 || !strings.Contains(string(r.Data), small.AccountA.String()) {
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
	assertRefused(t, e, base, tokens(5001), string(models.CodeTokenLimit), "more than 5000 tokens")
	// Long documents of few tokens are bounded by the body size instead.
	assertRefused(t, e, base, "{ __typename "+strings.Repeat("__typename ", 5000)+"}", string(models.CodeTokenLimit), "more than 5000 tokens")
}

// TestDepthLimit: flowlens's schema is at most 4 fields deep (its types
// do not nest), so the default limit of 10 only matters for future types
// and is exercised on a recursive schema in graph/limits_test.go; here the
// configured limit is enforced end to end. Introspection's depth is not
// measured (the Playground's schema query is 15 deep).
func TestDepthLimit(t *testing.T) {
	deepest := `{ myAnalytics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { summary { outcomeBreakdown { resolved } } } }`
	e := limitsEnv(t, func(s *Settings) { s.Limits.MaxDepth = 4 })
	assertAccepted(t, e, deepest)
	e = limitsEnv(t, func(s *Settings) { s.Limits.MaxDepth = 3 })
	base := authOnly(t, e)
	assertRefused(t, e, base, deepest, string(models.CodeDepthLimit), "depth 4, which exceeds the limit of 3")
	// Through fragments and inline fragments: depth counts fields only.
	viaFragments := `{ ...Q } fragment Q on Query { ... on Query { myAnalytics { ...S } } } fragment S on PersonalAnalytics { summary { outcomeBreakdown { ... on OutcomeBreakdown { resolved } } } }`
	assertRefused(t, e, base, viaFragments, string(models.CodeDepthLimit), "depth 4")
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
	assertRefused(t, e, base, aliases(16), string(models.CodeAliasLimit), "16 aliases, which exceeds the limit of 15")
	// A fragment counts each time it is spread: 2 + 2 × 7 = 16.
	frag := "{ a: viewer { ...F } b: viewer { ...F } } fragment F on Viewer { "
	for i := 1; i <= 7; i++ {
		frag += fmt.Sprintf("i%d: id ", i)
	}
	frag += "}"
	assertRefused(t, e, base, frag, string(models.CodeAliasLimit), "16 aliases")
	// 15 aliases of flowAnalytics guessing tree ids: allowed, and each
	// answers NOT_FOUND for another account's tree.
	var guess strings.Builder
	guess.WriteString("{ ")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&guess, `f%d: flowAnalytics(treeId: "%s") { flow { name } } `, i, small.TreeB)
	}
	guess.WriteString("}")
	r := e.query(t, small.AdminA, guess.String())
	if r.Status != 200 || len(r.Errors) != 15 || strings.Contains(string(r.Body), "Router") {
		t.Fatalf("15 guesses of B's tree: %d %s", r.Status, r.Body)
	}
}

// TestFragmentExpansion checks that a document whose fragments spread into
// each other (2^20 fields once expanded, 200 tokens) is refused without
// expanding it: by the shape of the document, before validation (more
// fragments spread into one selection set than the bound), and, were that
// bound not there, by the alias limit (graph's TestFragmentBomb) or the
// statement count (TestFragmentExpansionIsBounded).
func TestFragmentExpansion(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	var b strings.Builder
	b.WriteString("{ viewer { ...F0 } } ")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "fragment F%d on Viewer { a%d: id ...F%d ...F%d } ", i, i, i+1, i+1)
	}
	b.WriteString("fragment F20 on Viewer { id }")
	assertRefused(t, e, base, b.String(), string(models.CodeFieldLimit), "fragments are spread into one selection set")
}

// TestFieldLimit: the documents that made validation take seconds are
// refused before it, with the statements of the user lookup only, and so
// are the fragment bombs, also through introspection; the largest
// dashboards pass (TestLargestDashboardsPass).
func TestFieldLimit(t *testing.T) {
	e := limitsEnv(t)
	base := authOnly(t, e)
	bomb := func(levels int, root, typ, leaf string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s fragment F0 on %s { %s }", root, typ, leaf)
		for i := 1; i <= levels; i++ {
			fmt.Fprintf(&b, " fragment F%d on %s { ...F%d ...F%d }", i, typ, i-1, i-1)
		}
		return b.String()
	}
	for _, c := range []struct{ name, doc, msg string }{
		{"__typename ×4900", "{ " + strings.Repeat("__typename ", 4900) + "}", `"__typename" is selected more than 20 times`},
		{"viewer { id ×4900 }", "{ viewer { " + strings.Repeat("id ", 4900) + "} }", `"id" is selected more than 20 times`},
		{"2,001 fields", "{ a: viewer { ...F } b: viewer { ...F } c: viewer { ...F } } fragment F on Viewer { " +
			func() string {
				var b strings.Builder
				for i := 0; i < 500; i++ {
					fmt.Fprintf(&b, "i%d: id ", i)
				}
				return b.String()
			}() + "}", "the document has more than 2000 fields"},
		{"fragment bomb, 40 levels", bomb(40, "{ viewer { ...F40 } }", "Viewer", "id"), "fragments are spread into one selection set"},
		{"fragment bomb through __type", bomb(20, `{ __type(name: "Query") { ...F20 } }`, "__Type", "name"), "fragments are spread into one selection set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			assertRefused(t, e, base, c.doc, string(models.CodeFieldLimit), c.msg)
		})
	}
}

func TestErrorLimit(t *testing.T) {
	e := limitsEnv(t)
	var q strings.Builder
	q.WriteString("{ ")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&q, "nope%d ", i)
	}
	q.WriteString("}")
	r := e.query(t, small.AdminA, q.String())
	if len(r.Errors) != 20 {
		t.Fatalf("30 unknown fields: want 20 errors, got %d: %s", len(r.Errors), r.Body)
	}
	last := r.Errors[19]
	if last.Extensions["code"] != string(models.CodeTooManyErrors) || !strings.Contains(last.Message, "11 more errors were left out") {
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
	if r := e.query(t, small.AdminA, q.String()); len(r.Errors) != 20 || r.Errors[19].Extensions["code"] == string(models.CodeTooManyErrors) {
		t.Errorf("20 unknown fields: want the 20 errors, got %d", len(r.Errors))
	}
}

func TestProductionMode(t *testing.T) {
	dev := limitsEnv(t)
	prod := limitsEnv(t, func(s *Settings) { s.Development = false })

	introspection := []string{`{ __schema { types { name } } }`, `{ __type(name: "Query") { name } }`}
	for _, q := range introspection {
		if r := dev.query(t, small.AdminA, q); r.Status != 200 || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Query") {
			t.Errorf("development %s: %d %s", q, r.Status, r.Body)
		}
		r := prod.query(t, small.AdminA, q)
		if len(r.Errors) == 0 || strings.Contains(string(r.Data), "Query") || strings.Contains(string(r.Data), "TeamAnalytics") {
			t.Errorf("production %s must fail without schema data: %d %s", q, r.Status, r.Body)
		}
	}
	if r := prod.query(t, small.AdminA, `{ __typename }`); r.Status != 200 || string(r.Data) != `{"__typename":"Query"}` {
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
	if r := dev.query(t, small.AdminA, typo); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("development suggests fields: %s", r.Body)
	}
	r := prod.query(t, small.AdminA, typo)
	if len(r.Errors) != 1 || strings.Contains(r.Errors[0].Message, "Did you mean") || strings.Contains(string(r.Body), "accountId") {
		t.Errorf("production must not suggest fields: %s", r.Body)
	}
}

// TestNoSuggestionsInProduction: no error of production says "Did you
// mean", whatever the misspelling (development suggests each of them).
func TestNoSuggestionsInProduction(t *testing.T) {
	dev := limitsEnv(t)
	prod := limitsEnv(t, func(s *Settings) { s.Development = false })
	tok := token(t, small.AdminA)
	for name, c := range map[string]struct {
		query string
		vars  map[string]any
		named string // the valid name a suggestion would give away ("": none)
		// devSuggests: development suggests here (else the case only
		// checks that production stays silent).
		devSuggests bool
	}{
		"field":                    {`{ viewer { acountId } }`, nil, "accountId", true},
		"argument":                 {`{ teamAnalytics(engineerID: "a1000000-0000-4000-8000-000000000001") { summary { totalSessions } } }`, nil, "engineerId", true},
		"enum value":               {`{ teamAnalytics(period: LAST_7_DAY) { summary { totalSessions } } }`, nil, "LAST_7_DAYS", true},
		"fragment type condition":  {`{ viewer { ...F } } fragment F on Viewr { id }`, nil, "Viewer", true},
		"directive argument":       {`{ viewer { id @skip(iff: true) } }`, nil, "", true},
		"inline type condition":    {`{ viewer { ... on Viewr { id } } }`, nil, "Viewer", false},
		"variable type":            {`query($p: Perod) { viewer { id } }`, nil, "", false},
		"selection on a leaf":      {`{ viewer { id { x } } }`, nil, "", false},
		"enum value in a variable": {`query($p: Period) { teamAnalytics(period: $p) { summary { totalSessions } } }`, map[string]any{"p": "LAST_7_DAY"}, "LAST_7_DAYS", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := prod.post(t, "Bearer "+tok, c.query, c.vars)
			if len(r.Errors) == 0 {
				t.Fatalf("production accepted it: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "Did you mean") || (c.named != "" && strings.Contains(string(r.Body), c.named)) {
				t.Errorf("production suggests: %s", r.Body)
			}
			if c.devSuggests {
				if d := dev.post(t, "Bearer "+tok, c.query, c.vars); !strings.Contains(string(d.Body), "Did you mean") {
					t.Errorf("development should suggest (else this case shows nothing): %s", d.Body)
				}
			}
		})
	}
}

// TestLimitsOff checks that a zero limit is off (the configuration's
// documented meaning): 16 aliases run when MaxAliases is 0.
func TestLimitsOff(t *testing.T) {
	e := limitsEnv(t, func(s *Settings) { s.Limits.MaxAliases = 0 })
	assertAccepted(t, e, aliases(16))
	var out map[string]any
	if err := json.Unmarshal(assertAccepted(t, e, aliases(16)).Data, &out); err != nil || len(out) != 16 {
		t.Errorf("16 aliases: %v %v", out, err)
	}
}

// TestDeferIsRefused: incremental delivery is not implemented, so @defer
// (which answered the deferred fields with null, without an error) and
// @stream are refused before any resolver with a validation error naming
// the directive, in production and in development, and introspection does
// not list them.
func TestDeferIsRefused(t *testing.T) {
	for _, dev := range []bool{true, false} {
		e := limitsEnv(t, func(s *Settings) { s.Development = dev })
		base := authOnly(t, e)
		flow := fmt.Sprintf(`{ flowAnalytics(treeId: "%s") { flow { name } ... @defer { stepFeedback { nodeId } } } }`, small.TreeA)
		for q, msg := range map[string]string{
			flow: "@defer is not supported",
			`{ viewer { ...V @defer(label: "v") } } fragment V on Viewer { id }`: "@defer is not supported",
			`{ teamAnalytics { topFlows @stream(initialCount: 1) { name } } }`:   "@stream is not supported",
		} {
			// A request error: no data entry, 200 under application/json
			// like every validation error (transport.go).
			n, r := e.statements(t, small.AdminA, q)
			if r.Status != http.StatusOK || r.Data != nil || len(r.Errors) != 1 || r.code(0) != string(models.CodeValidationFailed) || !strings.Contains(r.Errors[0].Message, msg) {
				t.Errorf("development=%v %s: %d %s", dev, q, r.Status, r.Body)
			}
			if n != base {
				t.Errorf("a refused operation ran %d statements, the user lookup alone runs %d", n, base)
			}
		}
		// Without the directive the same fields are answered.
		r := assertAccepted(t, e, fmt.Sprintf(`{ flowAnalytics(treeId: "%s") { flow { name } ... { stepFeedback { nodeId } } } }`, small.TreeA))
		if !strings.Contains(string(r.Data), `"stepFeedback":[`) {
			t.Errorf("the fields without @defer: %s", r.Data)
		}
		if dev {
			r := assertAccepted(t, e, `{ __schema { directives { name } } }`)
			if !strings.Contains(string(r.Data), `"skip"`) || strings.Contains(string(r.Data), `"defer"`) || strings.Contains(string(r.Data), `"stream"`) {
				t.Errorf("introspection must list the directives but @defer and @stream: %s", r.Data)
			}
		}
	}
}
