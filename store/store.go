// Package store holds all of flowlens's SQL: bun queries over the main
// application's tables, each scoped by account, and the embedded migrations.
// The aggregates answer from rollup tables kept exact by triggers
// (rollup_*.go); Reference computes the same figures from the raw rows.
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
	// raw makes every aggregate answer from the raw rows (Reference).
	raw bool
	// tx, when set, is the transaction every query runs in (VerifyRollups).
	tx *bun.Tx
}

// New returns a Store over db.
func New(db *bun.DB) *Store { return &Store{db: db} }

// DB returns the underlying bun database.
func (s *Store) DB() *bun.DB { return s.db }

// WithoutRollups returns a Store over the same database whose aggregates
// are all computed from the raw rows, as Reference computes them (for
// benchmarks comparing the two).
func (s *Store) WithoutRollups() *Store {
	c := *s
	c.raw = true
	return &c
}

// Reference computes every aggregate of the API from the raw rows, with the
// SQL the service ran before it had rollups: the definition the rollups
// must reproduce exactly (tests and `flowlens rollups verify` compare the
// two). Its methods have the Store methods' names and results.
type Reference struct{ s *Store }

// Reference returns the raw-row computation over s's database.
func (s *Store) Reference() Reference { return Reference{s: s} }
