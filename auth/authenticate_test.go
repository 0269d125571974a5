package auth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/models"
	"flowlens/store"
)

const secret = "flowlens-auth-test-secret-0123456789abcdef"

// TestAuthenticate: the viewer of a request is the active user a valid
// bearer token names; everything else is the one UNAUTHENTICATED error,
// admit runs between the token check and the user lookup, and a database
// that cannot be reached is an internal error (never "unauthenticated").
func TestAuthenticate(t *testing.T) {
	owner, appDB := dbtest.NewApp(t)
	dbtest.LoadSmall(t, owner)
	counter := &dbtest.Counter{}
	users := store.New(appDB.WithQueryHook(counter))
	v := auth.NewVerifier(secret, "", "")
	f := dbtest.Small
	mint := func(id uuid.UUID) string {
		tok, err := auth.Mint(secret, id, time.Hour, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	header := func(value string) http.Header {
		h := http.Header{}
		if value != "" {
			h.Set("Authorization", value)
		}
		return h
	}
	ctx := context.Background()

	for name, value := range map[string]string{
		"no header":        "",
		"basic":            "Basic " + mint(f.AdminA),
		"bearer, no token": "Bearer ",
		"not a JWT":        "Bearer abc",
		"unknown user":     "Bearer " + mint(uuid.MustParse("a0000000-0000-4000-8000-0000000000ff")),
		"inactive user":    "Bearer " + mint(f.InactiveA),
		"other secret":     "Bearer " + func() string { s, _ := auth.Mint(secret+"x", f.AdminA, time.Hour, "", ""); return s }(),
	} {
		u, err := auth.Authenticate(ctx, v, users, header(value), nil)
		if u != nil || err != models.ErrUnauthenticated {
			t.Errorf("%s: got %v, %v; want ErrUnauthenticated", name, u, err)
		}
	}
	for _, id := range []uuid.UUID{f.AdminA, f.EngineerA, f.AdminB} {
		u, err := auth.Authenticate(ctx, v, users, header("bearer "+mint(id)), nil)
		if err != nil || u == nil || u.ID != id {
			t.Errorf("user %s: got %+v, %v", id, u, err)
		}
	}
	if u, _ := auth.Authenticate(ctx, v, users, header("Bearer "+mint(f.AdminB)), nil); u == nil || u.AccountID != f.AccountB {
		t.Errorf("B's admin is in account %v, want %v", u, f.AccountB)
	}

	// Two Authorization headers, whatever they hold, are no credential:
	// "the first wins" would let a proxy and the service see different
	// callers.
	for name, values := range map[string][]string{
		"the same token twice":   {"Bearer " + mint(f.AdminA), "Bearer " + mint(f.AdminA)},
		"two users' tokens":      {"Bearer " + mint(f.AdminA), "Bearer " + mint(f.AdminB)},
		"a token and an invalid": {"Bearer " + mint(f.AdminA), "Bearer abc"},
	} {
		h := http.Header{}
		for _, v := range values {
			h.Add("Authorization", v)
		}
		counter.Reset()
		if u, err := auth.Authenticate(ctx, v, users, h, nil); u != nil || err != models.ErrUnauthenticated || counter.Count() != 0 {
			t.Errorf("%s: got %v, %v, %d statements; want ErrUnauthenticated and no lookup", name, u, err, counter.Count())
		}
	}

	// admit sees the verified id; its refusal is returned as it is, with
	// no user lookup.
	refusal := &models.Error{Code: models.CodeRateLimited, Message: "slow down"}
	var seen uuid.UUID
	counter.Reset()
	u, err := auth.Authenticate(ctx, v, users, header("Bearer "+mint(f.AdminA)), func(id uuid.UUID) *models.Error { seen = id; return refusal })
	if u != nil || err != refusal || seen != f.AdminA || counter.Count() != 0 {
		t.Errorf("refused by admit: %v, %v, saw %v, %d statements", u, err, seen, counter.Count())
	}
	// A bad token never reaches admit.
	called := false
	_, _ = auth.Authenticate(ctx, v, users, header("Bearer abc"), func(uuid.UUID) *models.Error { called = true; return nil })
	if called {
		t.Error("admit ran for an invalid token")
	}

	// The database unreachable: an internal error whose message is safe.
	down, err := store.Open("postgres://flowlens_app@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	_, err = auth.Authenticate(ctx, v, store.New(down), header("Bearer "+mint(f.AdminA)), nil)
	if e, ok := models.AsError(err); !ok || e.Code != models.CodeInternal || e.Message != "the service cannot reach its database; try again shortly" {
		t.Errorf("database down: %v", err)
	}
}
