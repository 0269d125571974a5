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
