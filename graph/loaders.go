package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"flowlens/models"
	"flowlens/observe"
	"flowlens/store"
)

// loaderWait is how long a loader collects keys before it runs its batch.
const loaderWait = 2 * time.Millisecond

// ItemKey identifies a per-item value: an id (tree or user) under the scope
// it was listed in.
type ItemKey struct {
	Scope models.ScopeKey
	ID    uuid.UUID
}

// Loaders are the dataloaders of one request.
type Loaders struct {
	FlowCompletions     *dataloader.Loader[ItemKey, int]
	EngineerCompletions *dataloader.Loader[ItemKey, int]
	Ratings             *dataloader.Loader[models.ScopeKey, *models.RatingStats]

	// The batch functions of the completion loaders, which list resolvers
	// run once for all their items (see preload).
	flowCompletionsBatch, engineerCompletionsBatch dataloader.BatchFunc[ItemKey, int]

	// scopes remembers the full scope of each scope key seen, so a batch
	// function can run its query with it.
	scopes scopeRegistry
}

type loadersKey struct{}

// NewLoaders returns fresh loaders over st.
func NewLoaders(st *store.Store) *Loaders {
	l := &Loaders{scopes: newScopeRegistry()}
	// observe.Batches records each batch's size (flowlens_dataloader_batch_size).
	l.flowCompletionsBatch = observe.Batches("flow_completions", l.completions(st.FlowCompletions))
	l.engineerCompletionsBatch = observe.Batches("engineer_completions", l.completions(st.EngineerCompletions))
	l.FlowCompletions = dataloader.NewBatchedLoader(l.flowCompletionsBatch, dataloader.WithWait[ItemKey, int](loaderWait))
	l.EngineerCompletions = dataloader.NewBatchedLoader(l.engineerCompletionsBatch, dataloader.WithWait[ItemKey, int](loaderWait))
	l.Ratings = dataloader.NewBatchedLoader(observe.Batches("ratings", l.ratings(st)), dataloader.WithWait[models.ScopeKey, *models.RatingStats](loaderWait))
	return l
}

// LoaderMiddleware gives every request its own loaders, so no cache or
// batch is shared between requests (or tenants).
func LoaderMiddleware(st *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), loadersKey{}, NewLoaders(st))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// loadersFor returns the request's loaders.
func loadersFor(ctx context.Context) *Loaders {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	return l
}

// preload runs batch once for all keys and primes loader with the results,
// so that later Loads of those keys are answered from its cache. A list
// resolver calls it with every listed item: the items' own resolvers then
// share that one statement however they are scheduled, where the loader's
// time window alone splits a list into several batches whenever the item
// resolvers do not all start within it (a busy process). Keys whose load
// failed are not primed and load again on demand.
func preload[K comparable, V any](ctx context.Context, loader *dataloader.Loader[K, V], batch dataloader.BatchFunc[K, V], keys []K) {
	if len(keys) == 0 {
		return
	}
	for i, res := range batch(ctx, keys) {
		if res != nil && res.Error == nil {
			loader.Prime(ctx, keys[i], res.Data)
		}
	}
}

// completionsFn is the signature of the store's batched completion counts.
type completionsFn func(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error)

// completions returns a batch function that runs one statement per scope
// among the keys (one in practice) and answers in key order, 0 for ids
// without completed sessions.
func (l *Loaders) completions(fetch completionsFn) dataloader.BatchFunc[ItemKey, int] {
	return func(ctx context.Context, keys []ItemKey) []*dataloader.Result[int] {
		results := make([]*dataloader.Result[int], len(keys))
		groups := map[models.ScopeKey][]int{}
		var order []models.ScopeKey
		for i, k := range keys {
			if _, ok := groups[k.Scope]; !ok {
				order = append(order, k.Scope)
			}
			groups[k.Scope] = append(groups[k.Scope], i)
		}
		for _, sk := range order {
			idx := groups[sk]
			ids := make([]uuid.UUID, len(idx))
			for j, i := range idx {
				ids[j] = keys[i].ID
			}
			counts, err := fetch(ctx, l.scopes.get(sk), ids)
			for _, i := range idx {
				if err != nil {
					results[i] = &dataloader.Result[int]{Error: dataloader.NewSkipCacheError(err)}
					continue
				}
				results[i] = &dataloader.Result[int]{Data: counts[keys[i].ID]}
			}
		}
		return results
	}
}

// ratings returns the batch function of the rating figures: the three
// rating fields of one flow share one statement.
func (l *Loaders) ratings(st *store.Store) dataloader.BatchFunc[models.ScopeKey, *models.RatingStats] {
	return func(ctx context.Context, keys []models.ScopeKey) []*dataloader.Result[*models.RatingStats] {
		results := make([]*dataloader.Result[*models.RatingStats], len(keys))
		for i, k := range keys {
			stats, err := st.Ratings(ctx, l.scopes.get(k))
			if err != nil {
				results[i] = &dataloader.Result[*models.RatingStats]{Error: dataloader.NewSkipCacheError(err)}
				continue
			}
			results[i] = &dataloader.Result[*models.RatingStats]{Data: stats}
		}
		return results
	}
}
