package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"flowlens/playground"
)

// playground returns the offline GraphiQL page with the example tabs and
// the Authorization header prefilled: the PlaygroundToken setting when
// set, else a placeholder saying where a token comes from.
func (a *App) playground() http.Handler {
	token := a.settings.PlaygroundToken
	if token == "" {
		token = "<paste a token from flowlens token>"
	}
	var headers strings.Builder
	enc := json.NewEncoder(&headers)
	enc.SetEscapeHTML(false) // the page escapes it; keep "<" readable in the editor
	_ = enc.Encode(map[string]string{"Authorization": "Bearer " + token})
	return playground.New("/query", strings.TrimSpace(headers.String()), playground.Examples())
}
