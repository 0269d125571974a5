package auth

import (
	"context"
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

// Admit decides, once a token is verified and before its user is loaded,
// whether the request of user id may go on: nil, or the error to answer
// with. Rate limiting admits requests, so a flood of one user costs no
// database work.
type Admit func(id uuid.UUID) *models.Error

// Authenticate returns the viewer of a request: the existing, active user
// that a valid bearer token in header names. admit, when set, runs between
// the token check and the user lookup. Every credential problem is
// models.ErrUnauthenticated, which never says which check failed; admit's
// refusal is returned as it is; a user that cannot be loaded is a
// models.CodeInternal error whose cause is for the logs only.
func Authenticate(ctx context.Context, v *Verifier, users UserLoader, header http.Header, admit Admit) (*models.User, error) {
	// One Authorization header: with two, which one a proxy or the
	// service reads would decide who the caller is.
	values := header.Values("Authorization")
	if len(values) != 1 {
		return nil, models.ErrUnauthenticated
	}
	token, ok := bearer(values[0])
	if !ok {
		return nil, models.ErrUnauthenticated
	}
	id, err := v.Verify(token)
	if err != nil {
		return nil, models.ErrUnauthenticated
	}
	if admit != nil {
		if refused := admit(id); refused != nil {
			return nil, refused
		}
	}
	u, err := users.UserByID(ctx, id)
	if err != nil {
		return nil, &models.Error{Code: models.CodeInternal, Message: "the service cannot reach its database; try again shortly", Err: err}
	}
	if u == nil || !u.IsActive {
		return nil, models.ErrUnauthenticated
	}
	return u, nil
}

// bearer returns the token of an `Authorization: Bearer <token>` value.
func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}
