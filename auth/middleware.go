package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"flowlens/models"
)

// UserLoader loads a user by id; it returns (nil, nil) for an unknown user.
type UserLoader interface {
	UserByID(ctx context.Context, id uuid.UUID) (*models.User, error)
}

type viewerKey struct{}

// WithViewer returns ctx carrying the verified viewer.
func WithViewer(ctx context.Context, u *models.User) context.Context {
	return context.WithValue(ctx, viewerKey{}, u)
}

// Viewer returns the verified viewer of the request, or nil.
func Viewer(ctx context.Context) *models.User {
	u, _ := ctx.Value(viewerKey{}).(*models.User)
	return u
}

// Gate decides, once a token is verified and before its user is loaded,
// whether the request of user id may go on; when it may not, the gate has
// written the response and returns false. Rate limiting is a gate, so a
// flood of one user costs no database work.
type Gate func(w http.ResponseWriter, r *http.Request, id uuid.UUID) bool

// Middleware authenticates every request: a valid bearer token of an
// existing, active user, or HTTP 401 with a GraphQL-shaped body that does
// not say which check failed. The gates run between the token check and
// the user lookup.
func Middleware(v *Verifier, users UserLoader, log *slog.Logger, next http.Handler, gates ...Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			Unauthorized(w)
			return
		}
		id, err := v.Verify(token)
		if err != nil {
			Unauthorized(w)
			return
		}
		for _, gate := range gates {
			if !gate(w, r, id) {
				return
			}
		}
		u, err := users.UserByID(r.Context(), id)
		if err != nil {
			log.ErrorContext(r.Context(), "auth: load user", "user_id", id, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the service cannot reach its database; try again shortly", "INTERNAL_SERVER_ERROR")
			return
		}
		if u == nil || !u.IsActive {
			Unauthorized(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithViewer(r.Context(), u)))
	})
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// Unauthorized writes the one 401 answer of every authentication failure.
func Unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="flowlens"`)
	writeError(w, http.StatusUnauthorized, models.ErrUnauthenticated.Message, string(models.CodeUnauthenticated))
}

func writeError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
