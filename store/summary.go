package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// Summary returns the figures of the sessions of sc in one statement, from
// the rollups (rollupSummary) or, for scopes and windows they do not
// serve, from the raw rows.
func (s *Store) Summary(ctx context.Context, sc models.Scope) (*models.Summary, error) {
	if s.raw || !rollupScope(sc, false) {
		return s.Reference().Summary(ctx, sc)
	}
	return s.rollupSummary(ctx, sc)
}

// Summary computes the figures of the sessions of sc from the raw rows in
// one statement: a single scan computes the counts and both percentiles
// (one sort, shared by percentile_cont over an array of fractions); the
// distinct engineers come from a semi-join over the account's users.
func (r Reference) Summary(ctx context.Context, sc models.Scope) (*models.Summary, error) {
	var sum models.Summary
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		inner := sessions(db, sc).
			ColumnExpr("count(*) AS total_sessions").
			ColumnExpr("count(*) FILTER (WHERE "+completed+") AS completed_sessions").
			ColumnExpr("percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY "+durationMinutes+") FILTER (WHERE "+completed+") AS p").
			ColumnExpr("(?) AS active_engineers", activeEngineers(db, sc))
		inner = outcomeCounts(inner, completed)
		return db.NewSelect().TableExpr("(?) AS x", inner).
			ColumnExpr("x.total_sessions, x.completed_sessions, x.active_engineers").
			ColumnExpr("coalesce(round(x.completed_sessions::numeric / nullif(x.total_sessions, 0), 3), 0)::float8 AS completion_rate").
			ColumnExpr(roundedMinutes("x.p[1]")+" AS median_duration_minutes").
			ColumnExpr(roundedMinutes("x.p[2]")+" AS p90_duration_minutes").
			ColumnExpr("x.resolved, x.escalated, x.workaround, x.unresolved").
			Scan(ctx, &sum)
	})
	if err != nil {
		return nil, fmt.Errorf("summary: account=%s window=%s..%s: %w", sc.AccountID, sc.Window.From, sc.Window.To, err)
	}
	return &sum, nil
}
