package httpapi

import (
	"net/http"

	"flowlens/auth"
	"flowlens/models"
)

// authenticate lets through requests of an active user with a valid bearer
// token (the viewer goes into the context) that the rate limit admits, and
// answers the others: 401 for every credential problem alike, 429 over the
// rate limit, 503 when the user cannot be loaded.
func (a *App) authenticate(next http.Handler) http.Handler {
	var admit auth.Admit
	if a.limiter != nil {
		admit = a.limiter.Admit
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := auth.Authenticate(r.Context(), a.verifier, a.store, r.Header, admit)
		if err != nil {
			e, _ := models.AsError(err)
			status := http.StatusUnauthorized
			switch e.Code {
			case models.CodeRateLimited:
				status = http.StatusTooManyRequests
			case models.CodeInternal:
				a.log.ErrorContext(r.Context(), "authentication: load the user", "error", err)
				status = http.StatusServiceUnavailable
			}
			writeError(w, status, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithViewer(r.Context(), u)))
	})
}
