package playground

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	stdhtml "html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The embedded files are byte for byte the ones gqlgen's stock page loads
// from the CDN: their sha256 equals the SRI strings of gqlgen's page.
func TestAssetsMatchGqlgenSRI(t *testing.T) {
	rec := httptest.NewRecorder()
	gqlplayground.Handler("x", "/query").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	stock := map[string]bool{}
	for _, m := range regexp.MustCompile(`integrity="([^"]+)"`).FindAllStringSubmatch(rec.Body.String(), -1) {
		stock[stdhtml.UnescapeString(m[1])] = true
	}
	for _, a := range pageAssets {
		b, err := assetFS.ReadFile("assets/" + a.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != a.SRI {
			t.Errorf("%s: sha256 %s, want %s", a.Path, got, a.SRI)
		}
		if !stock[a.SRI] {
			t.Errorf("%s: SRI %s is not one of gqlgen's stock page (%v)", a.Path, a.SRI, stock)
		}
	}
}

func TestAssetsHandler(t *testing.T) {
	h := Assets()
	res := get(t, h, AssetsPath+graphiqlJS.Path)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("js: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if n := len(body(t, res)); n != 1066442 {
		t.Errorf("graphiql.min.js: %d bytes, want 1066442", n)
	}
	if ct := get(t, h, AssetsPath+graphiqlCSS.Path).Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("css content type %q", ct)
	}
	if res := get(t, h, AssetsPath+"react-18.2.0/LICENSE"); res.StatusCode != 200 || !strings.Contains(body(t, res), "MIT License") {
		t.Errorf("licence: %d", res.StatusCode)
	}
	for _, p := range []string{AssetsPath, AssetsPath + "react-18.2.0/", AssetsPath + "../playground.go", AssetsPath + "graphiql-4.1.2/graphiql.js", "/elsewhere/graphiql-4.1.2/graphiql.min.js"} {
		if res := get(t, h, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

func TestPage(t *testing.T) {
	headers := `{"Authorization":"Bearer abc.def.ghi"}`
	h := New("/query", headers, []Tab{{Query: "{ viewer { id } }"}, {Query: "{ __typename }", Headers: `{"X":"</script><script>alert(1)</script>"}`}})
	res := get(t, h, "/")
	html := body(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Every script and stylesheet is one of the embedded assets, with its SRI.
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1)
	if len(refs) != 4 {
		t.Fatalf("page loads %d files, want 4: %v", len(refs), refs)
	}
	for _, m := range refs {
		if !strings.HasPrefix(m[1], AssetsPath) {
			t.Errorf("page loads %q from outside %s", m[1], AssetsPath)
		}
	}
	for _, a := range pageAssets {
		if !strings.Contains(stdhtml.UnescapeString(html), `integrity="`+a.SRI+`"`) {
			t.Errorf("page lacks the SRI of %s", a.Path)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if nonce == nil || !strings.Contains(html, `<script nonce="`+nonce[1]+`">`) {
		t.Errorf("inline script does not carry the CSP nonce: %q", csp)
	}
	for _, want := range []string{"default-src 'none'", "connect-src 'self'", "script-src 'self' 'nonce-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// The headers reach the script as a JS string (html/template escapes it),
	// the first tab gets the default headers, the second keeps its own, and
	// nothing breaks out of the script element.
	if !strings.Contains(html, `"headers":"{\"Authorization\":\"Bearer abc.def.ghi\"}"`) {
		t.Errorf("first tab lacks the default headers:\n%s", html)
	}
	if strings.Count(html, "</script>") != 4 || strings.Contains(html, "alert(1)</script>") {
		t.Errorf("a tab's headers escaped the script element")
	}
	if res := get(t, h, "/"); res.Header.Get("Content-Security-Policy") == csp {
		t.Errorf("the nonce is the same for two requests")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

func TestPageAbsoluteEndpoint(t *testing.T) {
	res := get(t, New("https://api.example.test/query", "", nil), "/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.test;") {
		t.Errorf("CSP %q does not allow the endpoint's origin", csp)
	}
	if html := body(t, res); !strings.Contains(html, "var tabs = [];") {
		t.Errorf("no tabs should render as an empty list:\n%s", html)
	}
}

// The example tabs are valid operations of the schema.
func TestExamplesValidateAgainstSchema(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	tabs := Examples()
	// GraphiQL names each tab after its operation.
	names := []string{"TeamDashboard", "MyDashboard", "FlowDashboard", "DrillDown", "FlowPaths"}
	if len(tabs) != len(names) {
		t.Fatalf("%d example tabs, want %d", len(tabs), len(names))
	}
	docs := make([]*ast.QueryDocument, len(tabs))
	for i, tab := range tabs {
		doc, errs := gqlparser.LoadQuery(schema, tab.Query)
		if errs != nil {
			t.Errorf("tab %d: %v", i, errs)
			continue
		}
		if len(doc.Operations) != 1 {
			t.Errorf("tab %d: %d operations, want 1", i, len(doc.Operations))
			continue
		}
		if doc.Operations[0].Name != names[i] {
			t.Errorf("tab %d is %q, want %q", i, doc.Operations[0].Name, names[i])
		}
		docs[i] = doc
	}
	for _, i := range []int{2, 4} {
		if !strings.Contains(tabs[i].Variables, placeholderTreeID) {
			t.Errorf("tab %d's variables %q lack the placeholder", i, tabs[i].Variables)
		}
	}
	// The flow paths tab asks for the three path fields, and its variables
	// give a funnel the API accepts (1 to 20 non-empty ids).
	if docs[4] != nil {
		fields := map[string]bool{}
		for _, sel := range docs[4].Operations[0].SelectionSet[0].(*ast.Field).SelectionSet {
			fields[sel.(*ast.Field).Name] = true
		}
		for _, f := range []string{"transitions", "exitNodes", "funnel"} {
			if !fields[f] {
				t.Errorf("flow paths tab does not ask for %s", f)
			}
		}
	}
	var paths struct {
		Funnel []string `json:"funnel"`
	}
	if err := json.Unmarshal([]byte(tabs[4].Variables), &paths); err != nil || len(paths.Funnel) < 1 || len(paths.Funnel) > 20 || slices.Contains(paths.Funnel, "") {
		t.Errorf("flow paths tab variables %q: funnel %v (%v)", tabs[4].Variables, paths.Funnel, err)
	}
	// The drill-down tab pages: it passes $after to a sessions field and
	// selects the cursor to continue with.
	drill := tabs[3]
	var vars map[string]any
	if err := json.Unmarshal([]byte(drill.Variables), &vars); err != nil {
		t.Fatalf("drill-down tab variables %q: %v", drill.Variables, err)
	}
	if _, ok := vars["after"]; !ok {
		t.Errorf("drill-down tab variables %q lack after", drill.Variables)
	}
	for _, want := range []string{"query DrillDown(", "sessions(", "after: $after", "endCursor", "totalCount", "steps("} {
		if !strings.Contains(drill.Query, want) {
			t.Errorf("drill-down tab lacks %q", want)
		}
	}
}
