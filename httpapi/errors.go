package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"flowlens/models"
	"flowlens/ratelimit"
)

// writeError writes the GraphQL-shaped answer of one error that the HTTP
// layer finds itself: {"errors":[{"message":…,"extensions":{"code":…}}]}
// with status, and the headers the status calls for (WWW-Authenticate on
// 401, Retry-After on 429, Connection: close on 413). It is the one place
// that writes such a body.
func writeError(w http.ResponseWriter, status int, e *models.Error) {
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="flowlens"`)
	case http.StatusTooManyRequests:
		if secs, ok := e.Extensions[ratelimit.RetryAfterExtension].(int); ok {
			h.Set("Retry-After", strconv.Itoa(secs))
		}
	case http.StatusRequestEntityTooLarge:
		h.Set("Connection", "close")
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": e.Message, "extensions": e.ExtensionsMap()}},
	})
}
