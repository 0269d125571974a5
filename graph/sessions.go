package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"flowlens/models"
	"flowlens/store"
)

// The sessions connections (API.md, "sessions"): the parent's resolver
// checks the arguments and returns a SessionConnection that knows its
// query; `edges` and `pageInfo` share one page statement, run once when
// either is selected; `totalCount` is its own statement. Everything a
// listed session shows (flow, engineer, csat, steps with their titles)
// comes from the page statement, so a page costs one statement however
// many sessions it holds.

// Bounds of `first`.
const (
	minFirst     = 1
	maxFirst     = 100
	defaultFirst = 50
)

// SessionConnection is one page of a sessions list (GraphQL
// SessionConnection).
type SessionConnection struct {
	query store.SessionQuery
	field SessionField
	// account signs the cursors.
	account uuid.UUID

	once sync.Once
	page *sessionPage
	err  error
}

// sessionPage is the loaded page of a connection.
type sessionPage struct {
	edges []*SessionEdge
	info  PageInfo
}

// SessionEdge is a listed session with its cursor (GraphQL SessionEdge).
type SessionEdge struct {
	Cursor string
	Node   *models.Session
}

// PageInfo says where a page ends (GraphQL PageInfo).
type PageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// sessionsArgs are the arguments of a sessions field.
type sessionsArgs struct {
	filter  *models.SessionFilter
	orderBy *models.SessionOrder
	first   *int
	after   *string
}

// sessions validates the arguments of a sessions field of field under
// the parent's scope sc and returns its connection. Every argument error
// is BAD_USER_INPUT naming the argument: `first` outside 1..100 (never
// clamped), a filter criterion out of range, a cursor the server did not
// issue for this field and order.
func (r *Resolver) sessions(ctx context.Context, field SessionField, sc models.Scope, a sessionsArgs) (*SessionConnection, error) {
	q := store.SessionQuery{Scope: sc, Order: models.OrderNewest, Limit: defaultFirst}
	if a.orderBy != nil {
		q.Order = *a.orderBy
	}
	if a.first != nil {
		if *a.first < minFirst || *a.first > maxFirst {
			return nil, models.BadInput("first", "must be between %d and %d, got %d", minFirst, maxFirst, *a.first)
		}
		q.Limit = *a.first
	}
	if a.filter != nil {
		if err := a.filter.Validate(); err != nil {
			return nil, err
		}
		q.Filter = *a.filter
	}
	if a.after != nil {
		p, err := r.Cursors.Decode(sc.AccountID, field, q.Order, *a.after)
		if err != nil {
			return nil, err
		}
		q.After = &p
	}
	q.Steps = selectsSteps(ctx)
	return &SessionConnection{query: q, field: field, account: sc.AccountID}, nil
}

// load returns the connection's page, running its statement once: one
// row more than `first` tells whether another page follows.
func (c *SessionConnection) load(ctx context.Context, r *Resolver) (*sessionPage, error) {
	c.once.Do(func() {
		q := c.query
		q.Limit++
		rows, err := r.Store.Sessions(ctx, q)
		if err != nil {
			c.err = err
			return
		}
		p := &sessionPage{edges: make([]*SessionEdge, 0, min(len(rows), c.query.Limit))}
		if len(rows) > c.query.Limit {
			rows, p.info.HasNextPage = rows[:c.query.Limit], true
		}
		for i := range rows {
			cur := r.Cursors.Encode(c.account, c.field, c.query.Order, rows[i].Position)
			p.edges = append(p.edges, &SessionEdge{Cursor: cur, Node: &rows[i]})
		}
		if n := len(p.edges); n > 0 {
			p.info.EndCursor = &p.edges[n-1].Cursor
		}
		c.page = p
	})
	return c.page, c.err
}

// selectsSteps reports whether the selection of the sessions field being
// resolved asks for edges { node { steps } }, fragments included.
func selectsSteps(ctx context.Context) bool {
	op := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFieldsCtx(ctx, []string{"SessionConnection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(op, edges.Selections, []string{"SessionEdge"}) {
			if node.Name != "node" {
				continue
			}
			if hasField(op, node.Selections, "Session", "steps") {
				return true
			}
		}
	}
	return false
}

// hasField reports whether selections of type typ select field name.
func hasField(op *graphql.OperationContext, selections ast.SelectionSet, typ, name string) bool {
	for _, f := range graphql.CollectFields(op, selections, []string{typ}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// stepsArg validates the `limit` of Session.steps: 1 to 100, default 100.
func stepsArg(limit *int) (int, error) {
	if limit == nil {
		return models.MaxSteps, nil
	}
	if *limit < 1 || *limit > models.MaxSteps {
		return 0, models.BadInput("limit", "must be between 1 and %d, got %d", models.MaxSteps, *limit)
	}
	return *limit, nil
}
