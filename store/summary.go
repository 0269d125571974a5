package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// Summary returns the figures of the sessions of sc in one statement.
func (s *Store) Summary(ctx context.Context, sc models.Scope) (*models.Summary, error) {
	var sum models.Summary
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return sessions(db, sc).
			ColumnExpr("count(*) AS total_sessions").
			ColumnExpr("count(*) FILTER (WHERE "+completed+") AS completed_sessions").
			ColumnExpr("coalesce(round((count(*) FILTER (WHERE "+completed+"))::numeric / nullif(count(*), 0), 3), 0)::float8 AS completion_rate").
			ColumnExpr(percentile("0.5")+" AS median_duration_minutes").
			ColumnExpr(percentile("0.9")+" AS p90_duration_minutes").
			ColumnExpr("count(DISTINCT s.user_id) AS active_engineers").
			ColumnExpr("count(*) FILTER (WHERE "+completed+" AND s.outcome = 'resolved') AS resolved").
			ColumnExpr("count(*) FILTER (WHERE "+completed+" AND s.outcome = 'escalated') AS escalated").
			ColumnExpr("count(*) FILTER (WHERE "+completed+" AND s.outcome = 'workaround') AS workaround").
			ColumnExpr("count(*) FILTER (WHERE "+completed+" AND s.outcome = 'unresolved') AS unresolved").
			Scan(ctx, &sum)
	})
	if err != nil {
		return nil, fmt.Errorf("summary: account=%s window=%s..%s: %w", sc.AccountID, sc.Window.From, sc.Window.To, err)
	}
	return &sum, nil
}
