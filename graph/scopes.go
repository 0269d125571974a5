package graph

import (
	"sync"

	"flowlens/models"
)

// scopeRegistry maps the comparable keys of the scopes a request used back
// to the scopes themselves (which hold a *time.Location).
type scopeRegistry struct {
	mu sync.Mutex
	m  map[models.ScopeKey]models.Scope
}

func newScopeRegistry() scopeRegistry { return scopeRegistry{m: map[models.ScopeKey]models.Scope{}} }

// key registers sc and returns its key.
func (r *scopeRegistry) key(sc models.Scope) models.ScopeKey {
	k := sc.Key()
	r.mu.Lock()
	r.m[k] = sc
	r.mu.Unlock()
	return k
}

func (r *scopeRegistry) get(k models.ScopeKey) models.Scope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[k]
}
