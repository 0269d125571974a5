package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"flowlens/models"
	"flowlens/observe"
	"flowlens/store"
)

// The path fields of a flow (transitions, exitNodes, funnel) run one
// statement each per FlowAnalytics object, however often they are asked
// for under aliases: transitions(limit: 5) and transitions(limit: 1000)
// share the statement of the largest limit (the order is total, so the
// first 5 of the 1,000 are the list of 5), and every funnel of the object
// is counted by one statement over the same grouped paths.
//
// Each alias's resolver works out the same loader key from the parent's
// selection (the largest valid limit among the parent's fields of its
// name, or all the parent's valid funnels), so the aliases meet in the
// loader's cache whenever each of them runs: no time window decides
// whether they share.

// pathKey identifies one path statement: the FlowAnalytics object's scope
// (by address) and what the statement computes.
type pathKey struct {
	scope *models.Scope
	// limit is the rows a transitions or exitNodes statement lists.
	limit int
	// funnels is the JSON list of the funnels a funnel statement counts.
	funnels string
}

// pathLoaders are the path fields' loaders of one operation.
type pathLoaders struct {
	transitions *dataloader.Loader[pathKey, []models.Transition]
	exitNodes   *dataloader.Loader[pathKey, []models.ExitNode]
	funnels     *dataloader.Loader[pathKey, [][]models.FunnelStep]
}

func newPathLoaders(st *store.Store) pathLoaders {
	return pathLoaders{
		transitions: dataloader.NewBatchedLoader(observe.Batches("transitions", pathBatch(func(ctx context.Context, k pathKey) ([]models.Transition, error) {
			return st.Transitions(ctx, *k.scope, k.limit)
		})), dataloader.WithWait[pathKey, []models.Transition](loaderWait)),
		exitNodes: dataloader.NewBatchedLoader(observe.Batches("exit_nodes", pathBatch(func(ctx context.Context, k pathKey) ([]models.ExitNode, error) {
			return st.ExitNodes(ctx, *k.scope, k.limit)
		})), dataloader.WithWait[pathKey, []models.ExitNode](loaderWait)),
		funnels: dataloader.NewBatchedLoader(observe.Batches("funnels", pathBatch(func(ctx context.Context, k pathKey) ([][]models.FunnelStep, error) {
			var funnels [][]string
			if err := json.Unmarshal([]byte(k.funnels), &funnels); err != nil {
				return nil, err
			}
			return st.Funnels(ctx, *k.scope, funnels)
		})), dataloader.WithWait[pathKey, [][]models.FunnelStep](loaderWait)),
	}
}

// pathBatch returns a batch function that runs fetch once per key: one
// statement per FlowAnalytics object (the keys of one object are equal),
// the objects' statements at the same time, as their fields would run
// without a loader.
func pathBatch[V any](fetch func(context.Context, pathKey) (V, error)) dataloader.BatchFunc[pathKey, V] {
	return func(ctx context.Context, keys []pathKey) []*dataloader.Result[V] {
		results := make([]*dataloader.Result[V], len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { // as the loader does for its own goroutine
					if p := recover(); p != nil {
						results[i] = &dataloader.Result[V]{Error: fmt.Errorf("path statement: panic: %v", p)}
					}
				}()
				v, err := fetch(ctx, k)
				if err != nil {
					results[i] = &dataloader.Result[V]{Error: dataloader.NewSkipCacheError(err)}
					return
				}
				results[i] = &dataloader.Result[V]{Data: v}
			}()
		}
		wg.Wait()
		return results
	}
}

// transitions returns the first limit transitions of the flow of sc.
func transitions(ctx context.Context, sc *models.Scope, limit int) ([]models.Transition, error) {
	ts, err := loadersFor(ctx).paths.transitions.Load(ctx, pathKey{scope: sc, limit: siblingLimit(ctx, limit)})()
	if err != nil {
		return nil, err
	}
	return ts[:min(limit, len(ts))], nil
}

// exitNodes returns the first limit exit nodes of the flow of sc.
func exitNodes(ctx context.Context, sc *models.Scope, limit int) ([]models.ExitNode, error) {
	xs, err := loadersFor(ctx).paths.exitNodes.Load(ctx, pathKey{scope: sc, limit: siblingLimit(ctx, limit)})()
	if err != nil {
		return nil, err
	}
	return xs[:min(limit, len(xs))], nil
}

// funnel returns the steps of the funnel ids over the flow of sc, counted
// with every other valid funnel of the same FlowAnalytics object.
func funnel(ctx context.Context, sc *models.Scope, ids []string) ([]models.FunnelStep, error) {
	all := siblingFunnels(ctx, ids)
	spec, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	steps, err := loadersFor(ctx).paths.funnels.Load(ctx, pathKey{scope: sc, funnels: string(spec)})()
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(f []string) bool { return slices.Equal(f, ids) })
	return steps[i], nil
}

// siblings returns the fields of the parent object's selection with the
// name of the field being resolved (itself and its aliases), fragments
// expanded and @skip/@include applied.
func siblings(ctx context.Context) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Parent == nil || fc.Parent.Field.Field == nil {
		return nil
	}
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Parent.Field.Selections, []string{fc.Field.ObjectDefinition.Name}) {
		if f.Name == fc.Field.Name {
			out = append(out, f)
		}
	}
	return out
}

// siblingLimit returns the largest valid `limit` among the field being
// resolved and its aliases under the same parent (own is the field's
// own, valid limit).
func siblingLimit(ctx context.Context, own int) int {
	n := own
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range siblings(ctx) {
		var limit *int // null, like an absent limit, is the default
		if v := f.ArgumentMap(vars)["limit"]; v != nil {
			l, err := graphql.UnmarshalInt(v)
			if err != nil {
				continue
			}
			limit = &l
		}
		if l, err := pathLimitArg(limit); err == nil && l > n {
			n = l
		}
	}
	return n
}

// siblingFunnels returns the valid, distinct nodeIds of the funnel being
// resolved and its aliases under the same parent, in selection order
// (own, valid, is among them).
func siblingFunnels(ctx context.Context, own []string) [][]string {
	var out [][]string
	add := func(ids []string) {
		if !slices.ContainsFunc(out, func(f []string) bool { return slices.Equal(f, ids) }) {
			out = append(out, ids)
		}
	}
	vars := graphql.GetOperationContext(ctx).Variables
	for _, f := range siblings(ctx) {
		var ids []string
		ok := true
		for _, v := range graphql.CoerceList(f.ArgumentMap(vars)["nodeIds"]) {
			s, isString := v.(string) // validation admits nothing else for [String!]!
			ok = ok && isString
			ids = append(ids, s)
		}
		if ok && funnelArg(ids) == nil {
			add(ids)
		}
	}
	add(own)
	return out
}
