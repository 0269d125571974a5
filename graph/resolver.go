// Package graph is flowlens's GraphQL layer and holds GraphQL only: thin
// resolvers that validate arguments, build a models.Scope and call the
// store or a per-operation dataloader; the operation limits (tokens,
// depth, aliases, and the statement budget of cost.go); the error
// presenter; and gqlgen's generated executor. It has no HTTP transport:
// httpapi adds its own.
package graph

import (
	"time"

	"flowlens/store"
)

// Resolver holds the dependencies of every resolver.
type Resolver struct {
	Store *store.Store
	// Now returns the current instant; tests may pin it.
	Now func() time.Time
	// Cursors signs and checks the cursors of the sessions connections.
	Cursors Cursors
}
