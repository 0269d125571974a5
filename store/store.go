// Package store holds all of flowlens's SQL: bun queries over the main
// application's tables, each scoped by account, and the embedded migrations.
package store

import (
	"github.com/uptrace/bun"
)

// Store runs flowlens's queries on a bun database: the primary, and its
// read replicas when WithReplicas gave it some.
type Store struct {
	db *bun.DB
	// reads routes the requests' reads between the primary and the
	// replicas; nil without replicas: every read on db.
	reads *reads
}

// New returns a Store over db.
func New(db *bun.DB) *Store { return &Store{db: db} }
