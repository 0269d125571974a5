// Package playground serves GraphiQL, the GraphQL Playground, without any
// network beyond the service itself: the pinned GraphiQL and React files of
// gqlgen's stock page are embedded in the binary and served under
// AssetsPath, and the page opens with example queries in tabs and, in
// development, headers prefilled for the demo token.
package playground

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// Tab is one editor tab of the page: an operation, its variables (JSON) and
// the request headers (JSON) it is sent with.
type Tab struct {
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"`
	Headers   string `json:"headers,omitempty"`
}

// pageData fills the page template.
type pageData struct {
	Title          string
	Endpoint       string
	DefaultHeaders string
	Tabs           []Tab
	Nonce          string
	Assets         map[string]asset
}

// New returns the Playground page for the GraphQL endpoint (a path such as
// "/query", or an absolute URL). defaultHeaders, a JSON object such as
// {"Authorization":"Bearer …"}, prefills the headers editor of every tab
// that sets none, and of tabs opened later; tabs are the editor tabs the
// page opens with (none: one empty tab). The page loads only the embedded
// assets (serve Assets under AssetsPath next to it) and talks only to its
// own origin and the endpoint, which its Content-Security-Policy enforces.
func New(endpoint, defaultHeaders string, tabs []Tab) http.Handler {
	filled := make([]Tab, len(tabs))
	for i, t := range tabs {
		if t.Headers == "" {
			t.Headers = defaultHeaders
		}
		filled[i] = t
	}
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		nonce := newNonce()
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", strings.Join([]string{
			"default-src 'none'",
			"script-src 'self' 'nonce-" + nonce + "'",
			"style-src 'self' 'unsafe-inline'",
			"img-src 'self' data:",
			"font-src 'self' data:",
			"connect-src " + connect,
			"base-uri 'none'",
			"form-action 'none'",
			"frame-ancestors 'none'",
		}, "; "))
		if r.Method == http.MethodHead {
			return
		}
		_ = page.Execute(w, pageData{
			Title:          "flowlens GraphQL Playground",
			Endpoint:       endpoint,
			DefaultHeaders: defaultHeaders,
			Tabs:           filled,
			Nonce:          nonce,
			Assets: map[string]asset{
				"js": graphiqlJS, "css": graphiqlCSS, "react": reactJS, "reactDOM": reactDOMJS,
			},
		})
	})
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// page is gqlgen's GraphiQL page (graphql/playground/playground.go) cut down
// to what flowlens uses, plus default tabs and headers, which the stock
// template cannot set, and a CSP nonce on its one inline script.
var page = template.Must(template.New("playground").Funcs(template.FuncMap{
	"url": func(a asset) template.URL { return template.URL(a.url()) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { margin: 0; }
#graphiql { height: 100vh; }
.loading { height: 100%; display: flex; align-items: center; justify-content: center; font-size: 2rem; }
</style>
<script src="{{url .Assets.react}}" integrity="{{.Assets.react.SRI}}" crossorigin="anonymous"></script>
<script src="{{url .Assets.reactDOM}}" integrity="{{.Assets.reactDOM.SRI}}" crossorigin="anonymous"></script>
<link rel="stylesheet" href="{{url .Assets.css}}" integrity="{{.Assets.css.SRI}}" crossorigin="anonymous">
</head>
<body>
<div id="graphiql"><div class="loading">Loading…</div></div>
<script src="{{url .Assets.js}}" integrity="{{.Assets.js.SRI}}" crossorigin="anonymous"></script>
<script nonce="{{.Nonce}}">
(function () {
  var endpoint = {{.Endpoint}};
  var url = /^[a-z][a-z0-9+.-]*:/i.test(endpoint) ? endpoint : location.origin + endpoint;
  var tabs = {{.Tabs}};
  var defaultHeaders = {{.DefaultHeaders}};
  var fallback;
  try { fallback = defaultHeaders ? JSON.parse(defaultHeaders) : undefined; } catch (e) { fallback = undefined; }
  var fetch = GraphiQL.createFetcher({ url: url });
  // GraphiQL introspects the schema before its headers editor exists and
  // then sends no headers; give such requests the default ones.
  function fetcher(params, opts) {
    if (fallback && !(opts && opts.headers)) { opts = Object.assign({}, opts, { headers: fallback }); }
    return fetch(params, opts);
  }
  var props = {
    fetcher: fetcher,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultHeaders: defaultHeaders || undefined,
    defaultEditorToolsVisibility: "headers",
    inputValueDeprecation: true
  };
  if (tabs && tabs.length) { props.defaultTabs = tabs; }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
</script>
</body>
</html>
`))
