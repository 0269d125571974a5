package models

import (
	"github.com/google/uuid"
)

// Scope says which sessions an analytics field covers: those of one account
// (always set, from the verified viewer), started in Window, optionally of
// one user and of one tree. Every store method takes one.
type Scope struct {
	AccountID uuid.UUID
	Window    Window
	// UserID narrows to one engineer's sessions when ByUser is set.
	UserID uuid.UUID
	ByUser bool
	// TreeID narrows to one tree's sessions when not uuid.Nil.
	TreeID uuid.UUID
}

// WithWindow returns a copy of s over another window.
func (s Scope) WithWindow(w Window) Scope {
	s.Window = w
	return s
}

// Key returns a comparable form of the scope, for dataloader keys.
func (s Scope) Key() ScopeKey {
	return ScopeKey{
		AccountID: s.AccountID,
		From:      s.Window.From.UnixNano(),
		To:        s.Window.To.UnixNano(),
		TimeZone:  s.Window.TimeZone,
		UserID:    s.UserID,
		ByUser:    s.ByUser,
		TreeID:    s.TreeID,
	}
}

// ScopeKey is the comparable identity of a Scope (times as Unix nanoseconds,
// since time.Time's == also compares locations).
type ScopeKey struct {
	AccountID uuid.UUID
	From, To  int64
	TimeZone  string
	UserID    uuid.UUID
	ByUser    bool
	TreeID    uuid.UUID
}
