package graph

import (
	"context"
	"time"

	"flowlens/auth"
	"flowlens/models"
)

// Bounds of list arguments.
const (
	minLimit     = 1
	maxLimit     = 100
	defaultLimit = 10
)

// viewer returns the verified viewer; the authentication step of the HTTP
// layer guarantees one.
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

// Bounds of the path fields' arguments (transitions, exitNodes: limit; funnel: nodeIds).
const defaultPathLimit = 100

// pathLimitArg validates the `limit` of transitions and exitNodes: 1 to
// models.MaxPathLimit, never clamped.
func pathLimitArg(limit *int) (int, error) {
	if limit == nil {
		return defaultPathLimit, nil
	}
	if *limit < minLimit || *limit > models.MaxPathLimit {
		return 0, models.BadInput("limit", "must be between %d and %d, got %d", minLimit, models.MaxPathLimit, *limit)
	}
	return *limit, nil
}

// funnelArg validates the `nodeIds` of a funnel: 1 to
// models.MaxFunnelSteps ids, none empty.
func funnelArg(ids []string) error {
	if len(ids) < 1 || len(ids) > models.MaxFunnelSteps {
		return models.BadInput("nodeIds", "give 1 to %d node ids, got %d", models.MaxFunnelSteps, len(ids))
	}
	for i, id := range ids {
		if id == "" {
			return models.BadInput("nodeIds", "node id %d of %d is empty", i+1, len(ids))
		}
	}
	return nil
}

// granularityArg returns the granularity, DAY by default.
func granularityArg(g *models.Granularity) models.Granularity {
	if g == nil {
		return models.GranularityDay
	}
	return *g
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
