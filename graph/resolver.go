// Package graph is flowlens's GraphQL layer: thin resolvers that validate
// arguments, build a models.Scope and call the store or a per-request
// dataloader; the error presenter; and gqlgen's generated executor.
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
