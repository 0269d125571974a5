package playground

import (
	"embed"
	"net/http"
	"path"
	"strings"
)

// AssetsPath is the URL prefix under which Assets serves the embedded
// GraphiQL and React files; the page built by New loads them from there.
const AssetsPath = "/playground/assets/"

//go:embed assets
var assetFS embed.FS

// asset is one embedded file of the page: its path under assets/ (which
// carries the package version, so it can be cached forever) and its
// Subresource Integrity value, the same one gqlgen's stock page uses for the
// copy on the public CDN.
type asset struct {
	Path string
	SRI  string
}

// The pinned npm packages (fetched with `npm pack`, see update-assets.sh).
var (
	graphiqlJS  = asset{"graphiql-4.1.2/graphiql.min.js", "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="}
	graphiqlCSS = asset{"graphiql-4.1.2/graphiql.min.css", "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="}
	reactJS     = asset{"react-18.2.0/react.production.min.js", "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="}
	reactDOMJS  = asset{"react-dom-18.2.0/react-dom.production.min.js", "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="}
)

// pageAssets lists every file the page loads.
var pageAssets = []asset{graphiqlJS, graphiqlCSS, reactJS, reactDOMJS}

// url returns the address the page loads a from.
func (a asset) url() string { return AssetsPath + a.Path }

// Assets serves the embedded files under AssetsPath: only the files the page
// loads and their licences, never a directory listing, cacheable for a year
// because every path names its package version.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, AssetsPath)
		if !ok || !servable(name) {
			http.NotFound(w, r)
			return
		}
		body, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType(name))
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		// Served to the page's own origin only; the CDN copies gqlgen
		// normally loads are cross-origin, ours are not.
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// servable reports whether name is one of the page's files or a licence of
// one of their packages.
func servable(name string) bool {
	for _, a := range pageAssets {
		if name == a.Path || name == path.Dir(a.Path)+"/LICENSE" {
			return true
		}
	}
	return false
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}
