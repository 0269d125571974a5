package graph

import (
	"time"

	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"flowlens/auth"
	"flowlens/models"
)

// Bounds of list arguments.
const (
	minLimit     = 1
	maxLimit     = 100
	defaultLimit = 10
)

// viewer returns the verified viewer; the auth middleware guarantees one.
func viewer(ctx context.Context) (*models.User, error) {
	u := auth.Viewer(ctx)
	if u == nil {
		return nil, models.ErrUnauthenticated
	}
	return u, nil
}

// windowArgs collects the window arguments of an analytics query.
func windowArgs(period *models.Period, from, to *time.Time, tz *string) models.WindowArgs {
	a := models.WindowArgs{From: from, To: to, TimeZone: "UTC"}
	if period != nil {
		a.Period = *period
	}
	if tz != nil {
		a.TimeZone = *tz
	}
	return a
}

// scopeFor validates the window arguments and returns the scope of the
// viewer's account over that window.
func (r *Resolver) scopeFor(ctx context.Context, args models.WindowArgs) (*models.User, models.Scope, error) {
	u, err := viewer(ctx)
	if err != nil {
		return nil, models.Scope{}, err
	}
	w, err := models.NewWindow(args, r.Now())
	if err != nil {
		return nil, models.Scope{}, err
	}
	return u, models.Scope{AccountID: u.AccountID, Window: w}, nil
}

// limitArg validates a `limit` argument.
func limitArg(limit *int) (int, error) {
	if limit == nil {
		return defaultLimit, nil
	}
	if *limit < minLimit || *limit > maxLimit {
		return 0, models.BadInput("limit", "must be between %d and %d, got %d", minLimit, maxLimit, *limit)
	}
	return *limit, nil
}

// granularityArg returns the granularity, DAY by default.
func granularityArg(g *models.Granularity) models.Granularity {
	if g == nil {
		return models.GranularityDay
	}
	return *g
}

// completionRate loads, through the request's batched loader, the completed
// sessions of a listed flow or engineer and returns its completion rate.
func completionRate(ctx context.Context, loader func(*Loaders) *dataloader.Loader[ItemKey, int], sc models.Scope, id uuid.UUID, sessions int) (float64, error) {
	l := loadersFor(ctx)
	n, err := loader(l).Load(ctx, ItemKey{Scope: l.scopes.key(sc), ID: id})()
	if err != nil {
		return 0, err
	}
	return models.Ratio(n, sessions, 3), nil
}

func flowCompletions(l *Loaders) *dataloader.Loader[ItemKey, int]     { return l.FlowCompletions }
func engineerCompletions(l *Loaders) *dataloader.Loader[ItemKey, int] { return l.EngineerCompletions }

// preloadFlowCompletions loads the completion counts of all listed flows
// in one statement, when the query asks for their completionRate.
func preloadFlowCompletions(ctx context.Context, flows []models.TopFlow) {
	l := loadersFor(ctx)
	preloadCompletions(ctx, "TopFlow", flows, func(f models.TopFlow) ItemKey {
		return ItemKey{Scope: l.scopes.key(f.Scope), ID: f.TreeID}
	}, l.FlowCompletions, l.flowCompletionsBatch)
}

// preloadEngineerCompletions is preloadFlowCompletions for listed engineers.
func preloadEngineerCompletions(ctx context.Context, engineers []models.TopEngineer) {
	l := loadersFor(ctx)
	preloadCompletions(ctx, "TopEngineer", engineers, func(e models.TopEngineer) ItemKey {
		return ItemKey{Scope: l.scopes.key(e.Scope), ID: e.UserID}
	}, l.EngineerCompletions, l.engineerCompletionsBatch)
}

// preloadCompletions primes loader with the completion counts of items
// (of GraphQL type typ), fetched by batch in one statement, when the
// selection asks for their completionRate.
func preloadCompletions[T any](ctx context.Context, typ string, items []T, key func(T) ItemKey,
	loader *dataloader.Loader[ItemKey, int], batch dataloader.BatchFunc[ItemKey, int]) {
	if len(items) == 0 || !selects(ctx, typ, "completionRate") {
		return
	}
	keys := make([]ItemKey, len(items))
	for i, it := range items {
		keys[i] = key(it)
	}
	preload(ctx, loader, batch, keys)
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

// ratings loads the rating figures of a flow scope (one statement for the
// three rating fields).
func ratings(ctx context.Context, sc models.Scope) (*models.RatingStats, error) {
	l := loadersFor(ctx)
	return l.Ratings.Load(ctx, l.scopes.key(sc))()
}

// personalSummary applies the personal dashboard's rule to a summary:
// activeEngineers is always 1 there (the viewer), as API.md says.
func personalSummary(sum *models.Summary, err error) (*models.Summary, error) {
	if err != nil {
		return nil, err
	}
	sum.ActiveEngineers = 1
	return sum, nil
}

// ptrs returns pointers to the elements of s, as gqlgen's list results want.
func ptrs[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}
