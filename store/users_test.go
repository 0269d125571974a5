package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"flowlens/models"
	"flowlens/store"
)

var (
	usrA     = uuid.MustParse("a0000000-0000-4000-8000-0000000000aa")
	usrB     = uuid.MustParse("b0000000-0000-4000-8000-0000000000ba")
	usrAdmin = uuid.MustParse("aa000000-0000-4000-8000-000000000001")
	usrAnon  = uuid.MustParse("aa000000-0000-4000-8000-000000000002")
	usrGone  = uuid.MustParse("aa000000-0000-4000-8000-000000000003")
	usrSuper = uuid.MustParse("ba000000-0000-4000-8000-000000000001")
	usrTwin  = uuid.MustParse("ba000000-0000-4000-8000-000000000002")
)

// usersFixture: account A has a team admin (Ada, ada@a.test), a user
// without name or email, and an inactive user (Gus, GUS@a.test); account B
// a super admin (Sue, ada@A.TEST, created after Ada) and a user (Tim,
// gus@a.test, created before Gus).
func usersFixture(t *testing.T) (*fixture, map[uuid.UUID]models.User) {
	f := newFixture(t)
	f.accounts(usrA, usrB)
	str := func(s string) *string { return &s }
	want := map[uuid.UUID]models.User{
		usrAdmin: {ID: usrAdmin, AccountID: usrA, Name: str("Ada"), Email: str("ada@a.test"), IsActive: true, IsTeamAdmin: true,
			CreatedAt: at(t, "2026-01-01T00:00:00Z")},
		usrAnon: {ID: usrAnon, AccountID: usrA, IsActive: true, CreatedAt: at(t, "2026-01-02T00:00:00.000001Z")},
		usrGone: {ID: usrGone, AccountID: usrA, Name: str("Gus"), Email: str("GUS@a.test"), CreatedAt: at(t, "2026-01-05T00:00:00Z")},
		usrSuper: {ID: usrSuper, AccountID: usrB, Name: str("Sue"), Email: str("ada@A.TEST"), IsActive: true, IsSuperAdmin: true,
			CreatedAt: at(t, "2026-01-03T00:00:00Z")},
		usrTwin: {ID: usrTwin, AccountID: usrB, Name: str("Tim"), Email: str("gus@a.test"), IsActive: true,
			CreatedAt: at(t, "2026-01-04T00:00:00Z")},
	}
	for _, id := range []uuid.UUID{usrAdmin, usrAnon, usrGone, usrSuper, usrTwin} {
		u := want[id]
		f.exec(`INSERT INTO users (id, account_id, name, email, is_active, is_team_admin, is_super_admin, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.AccountID, u.Name, u.Email, u.IsActive, u.IsTeamAdmin, u.IsSuperAdmin, u.CreatedAt)
	}
	return f, want
}

func sameUser(a, b *models.User) bool {
	eq := func(x, y *string) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return a.ID == b.ID && a.AccountID == b.AccountID && eq(a.Name, b.Name) && eq(a.Email, b.Email) &&
		a.IsActive == b.IsActive && a.IsTeamAdmin == b.IsTeamAdmin && a.IsSuperAdmin == b.IsSuperAdmin &&
		a.CreatedAt.Equal(b.CreatedAt)
}

// TestUserByID: through the service's role, every user of either account
// is found with all its columns (inactive ones too: the caller refuses
// them); an unknown id gives (nil, nil).
func TestUserByID(t *testing.T) {
	f, want := usersFixture(t)
	ctx := context.Background()
	f.eachStore(t, func(t *testing.T, st *store.Store) {
		for id, w := range want {
			got, err := st.UserByID(ctx, id)
			if err != nil || got == nil || !sameUser(got, &w) {
				t.Errorf("UserByID(%s) = %+v, %v; want %+v", id, got, err, w)
			}
		}
		for _, id := range []uuid.UUID{uuid.New(), usrA, uuid.Nil} {
			if got, err := st.UserByID(ctx, id); got != nil || err != nil {
				t.Errorf("UserByID(%s) of no user = %+v, %v; want nil, nil", id, got, err)
			}
		}
	})
}

// TestUserByEmail: the lookup of `flowlens token`, on the owner's
// connection. Case does not matter; of two users with the same address the
// earlier created wins, whichever account; unknown gives (nil, nil). The
// service's role, outside a transaction that names a user, sees none.
func TestUserByEmail(t *testing.T) {
	f, want := usersFixture(t)
	ctx := context.Background()
	owner := store.New(f.owner)
	for _, c := range []struct {
		email string
		want  uuid.UUID
	}{
		{"ada@a.test", usrAdmin}, // Ada (01-01) before Sue (01-03)
		{"ADA@a.TEST", usrAdmin},
		{"gus@a.test", usrTwin}, // Tim (01-04) before Gus (01-05)
		{"Gus@A.test", usrTwin},
	} {
		got, err := owner.UserByEmail(ctx, c.email)
		if w := want[c.want]; err != nil || got == nil || !sameUser(got, &w) {
			t.Errorf("UserByEmail(%q) = %+v, %v; want %+v", c.email, got, err, w)
		}
	}
	for _, email := range []string{"nobody@a.test", "", "ada@a.test "} {
		if got, err := owner.UserByEmail(ctx, email); got != nil || err != nil {
			t.Errorf("UserByEmail(%q) = %+v, %v; want nil, nil", email, got, err)
		}
	}
	if got, err := f.st.UserByEmail(ctx, "ada@a.test"); got != nil || err != nil {
		t.Errorf("UserByEmail through the service's role = %+v, %v; want nil, nil (row-level security)", got, err)
	}
}
