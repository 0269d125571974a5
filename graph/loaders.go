package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"flowlens/models"
	"flowlens/observe"
	"flowlens/store"
)

// Per-item values that would otherwise cost one statement per listed row
// (the completion counts of listed flows and engineers) and values that
// several fields of one parent share (a flow's three rating figures) go
// through dataloaders, created fresh for every operation so that no cache
// or batch is shared between requests (or tenants).

// loaderWait is how long a loader collects keys before it runs its batch.
const loaderWait = 2 * time.Millisecond

// flowRow is a listed flow (GraphQL TopFlow) with the scope of the list it
// belongs to, which its completion rate is counted over.
type flowRow struct {
	models.TopFlow
	scope *models.Scope
}

// engineerRow is a listed engineer (GraphQL TopEngineer) with the scope of
// its list.
type engineerRow struct {
	models.TopEngineer
	scope *models.Scope
}

// itemKey identifies a listed flow or engineer: its id under the scope of
// its list's parent. The scope is compared by address: the parent object's
// own scope, shared by all the rows listed under it.
type itemKey struct {
	scope *models.Scope
	id    uuid.UUID
}

// loaders are the dataloaders of one operation.
type loaders struct {
	flowCompletions     *dataloader.Loader[itemKey, int]
	engineerCompletions *dataloader.Loader[itemKey, int]
	// ratings is keyed by the address of a FlowAnalytics' scope.
	ratings *dataloader.Loader[*models.Scope, *models.RatingStats]
	// paths holds the loaders of the path fields (paths.go).
	paths pathLoaders

	// The batch functions of the completion loaders, which list resolvers
	// run once for all their items (see preload).
	flowCompletionsBatch, engineerCompletionsBatch dataloader.BatchFunc[itemKey, int]
}

type loadersKey struct{}

// withLoaders returns ctx carrying fresh loaders over st.
func withLoaders(ctx context.Context, st *store.Store) context.Context {
	l := &loaders{}
	// observe.Batches records each batch's size (flowlens_dataloader_batch_size).
	l.flowCompletionsBatch = observe.Batches("flow_completions", completions(st.FlowCompletions))
	l.engineerCompletionsBatch = observe.Batches("engineer_completions", completions(st.EngineerCompletions))
	l.flowCompletions = dataloader.NewBatchedLoader(l.flowCompletionsBatch, dataloader.WithWait[itemKey, int](loaderWait))
	l.engineerCompletions = dataloader.NewBatchedLoader(l.engineerCompletionsBatch, dataloader.WithWait[itemKey, int](loaderWait))
	l.ratings = dataloader.NewBatchedLoader(observe.Batches("ratings", ratingsBatch(st)), dataloader.WithWait[*models.Scope, *models.RatingStats](loaderWait))
	l.paths = newPathLoaders(st)
	return context.WithValue(ctx, loadersKey{}, l)
}

// loadersFor returns the operation's loaders.
func loadersFor(ctx context.Context) *loaders {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return l
}

// flowRows returns the listed flows of the parent scope sc and, when the
// selection asks for their completion rate, loads the completion counts
// of all of them in one statement.
func flowRows(ctx context.Context, sc *models.Scope, flows []models.TopFlow) []*flowRow {
	l := loadersFor(ctx)
	return listRows(ctx, sc, "TopFlow", flows, l.flowCompletions, l.flowCompletionsBatch,
		func(f models.TopFlow) (*flowRow, uuid.UUID) { return &flowRow{TopFlow: f, scope: sc}, f.TreeID })
}

// engineerRows is flowRows for listed engineers.
func engineerRows(ctx context.Context, sc *models.Scope, engineers []models.TopEngineer) []*engineerRow {
	l := loadersFor(ctx)
	return listRows(ctx, sc, "TopEngineer", engineers, l.engineerCompletions, l.engineerCompletionsBatch,
		func(e models.TopEngineer) (*engineerRow, uuid.UUID) {
			return &engineerRow{TopEngineer: e, scope: sc}, e.UserID
		})
}

// listRows wraps the items of a list (of GraphQL type typ) listed under
// scope sc and, when the selection asks for their completionRate, primes
// loader with all their completion counts, fetched by batch in one
// statement.
func listRows[T, R any](ctx context.Context, sc *models.Scope, typ string, items []T,
	loader *dataloader.Loader[itemKey, int], batch dataloader.BatchFunc[itemKey, int], row func(T) (R, uuid.UUID)) []R {
	rows := make([]R, len(items))
	keys := make([]itemKey, len(items))
	for i, it := range items {
		var id uuid.UUID
		rows[i], id = row(it)
		keys[i] = itemKey{scope: sc, id: id}
	}
	if selects(ctx, typ, "completionRate") {
		preload(ctx, loader, batch, keys)
	}
	return rows
}

// completionRate returns the completion rate of a listed row: its
// completed sessions, through loader, over its sessions.
func completionRate(ctx context.Context, loader *dataloader.Loader[itemKey, int], key itemKey, sessions int) (float64, error) {
	n, err := loader.Load(ctx, key)()
	if err != nil {
		return 0, err
	}
	return models.Ratio(n, sessions, 3), nil
}

// ratings loads the rating figures of a flow's scope (one statement for the
// three rating fields).
func ratings(ctx context.Context, sc *models.Scope) (*models.RatingStats, error) {
	return loadersFor(ctx).ratings.Load(ctx, sc)()
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

// selects reports whether the selection of the field being resolved, a
// list of typ, asks for its field name.
func selects(ctx context.Context, typ, name string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, []string{typ}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// completionsFn is the signature of the store's batched completion counts.
type completionsFn func(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error)

// completions returns a batch function that runs one statement per scope
// among the keys (one in practice) and answers in key order, 0 for ids
// without completed sessions.
func completions(fetch completionsFn) dataloader.BatchFunc[itemKey, int] {
	return func(ctx context.Context, keys []itemKey) []*dataloader.Result[int] {
		results := make([]*dataloader.Result[int], len(keys))
		byScope := map[*models.Scope][]int{}
		var order []*models.Scope
		for i, k := range keys {
			if _, ok := byScope[k.scope]; !ok {
				order = append(order, k.scope)
			}
			byScope[k.scope] = append(byScope[k.scope], i)
		}
		for _, sc := range order {
			idx := byScope[sc]
			ids := make([]uuid.UUID, len(idx))
			for j, i := range idx {
				ids[j] = keys[i].id
			}
			counts, err := fetch(ctx, *sc, ids)
			for _, i := range idx {
				if err != nil {
					results[i] = &dataloader.Result[int]{Error: dataloader.NewSkipCacheError(err)}
					continue
				}
				results[i] = &dataloader.Result[int]{Data: counts[keys[i].id]}
			}
		}
		return results
	}
}

// ratingsBatch returns the batch function of the rating figures: one
// statement per flow scope.
func ratingsBatch(st *store.Store) dataloader.BatchFunc[*models.Scope, *models.RatingStats] {
	return func(ctx context.Context, keys []*models.Scope) []*dataloader.Result[*models.RatingStats] {
		results := make([]*dataloader.Result[*models.RatingStats], len(keys))
		for i, sc := range keys {
			stats, err := st.Ratings(ctx, *sc)
			if err != nil {
				results[i] = &dataloader.Result[*models.RatingStats]{Error: dataloader.NewSkipCacheError(err)}
				continue
			}
			results[i] = &dataloader.Result[*models.RatingStats]{Data: stats}
		}
		return results
	}
}
