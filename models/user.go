package models

import (
	"time"

	"github.com/google/uuid"
)

// User is a person of an account: engineer, team admin or super admin. The
// viewer of a request is the User its bearer token names.
type User struct {
	ID           uuid.UUID `bun:"id,pk"`
	AccountID    uuid.UUID `bun:"account_id"`
	Name         *string   `bun:"name"`
	Email        *string   `bun:"email"`
	IsActive     bool      `bun:"is_active"`
	IsTeamAdmin  bool      `bun:"is_team_admin"`
	IsSuperAdmin bool      `bun:"is_super_admin"`
	CreatedAt    time.Time `bun:"created_at"`
}

// CanReadTeam reports whether the user may read team analytics.
func (u *User) CanReadTeam() bool { return u.IsTeamAdmin || u.IsSuperAdmin }
