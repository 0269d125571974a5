package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"flowlens/models"
)

// ratingRow is the row of a ratings statement.
type ratingRow struct {
	Avg   *float64 `bun:"avg"`
	Total int      `bun:"total"`
	R1    int      `bun:"r1"`
	R2    int      `bun:"r2"`
	R3    int      `bun:"r3"`
	R4    int      `bun:"r4"`
	R5    int      `bun:"r5"`
}

func (row *ratingRow) stats() *models.RatingStats {
	return &models.RatingStats{
		AvgCsat:      row.Avg,
		TotalRatings: row.Total,
		Distribution: []models.RatingCount{{Rating: 1, Count: row.R1}, {Rating: 2, Count: row.R2}, {Rating: 3, Count: row.R3}, {Rating: 4, Count: row.R4}, {Rating: 5, Count: row.R5}},
	}
}

// Ratings returns the session-rating figures of sc's tree: mean (1 decimal,
// nil when none), count and distribution of the ratings created in the
// window, in one statement from the rollups (rollupRatings).
func (s *Store) Ratings(ctx context.Context, sc models.Scope) (*models.RatingStats, error) {
	if s.raw || !rollupScope(sc, false) || sc.ByUser {
		return s.Reference().Ratings(ctx, sc)
	}
	var row ratingRow
	if err := s.rollupRatings(ctx, sc, &row); err != nil {
		return nil, fmt.Errorf("ratings: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.stats(), nil
}

// Ratings computes Store.Ratings from the raw rows, in one statement.
func (r Reference) Ratings(ctx context.Context, sc models.Scope) (*models.RatingStats, error) {
	var row ratingRow
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return inWindow(treeRatings(db, "session_ratings", sc), sc).
			ColumnExpr("round(avg(r.rating), 1)::float8 AS avg").
			ColumnExpr("count(*) AS total").
			ColumnExpr("count(*) FILTER (WHERE r.rating = 1) AS r1").
			ColumnExpr("count(*) FILTER (WHERE r.rating = 2) AS r2").
			ColumnExpr("count(*) FILTER (WHERE r.rating = 3) AS r3").
			ColumnExpr("count(*) FILTER (WHERE r.rating = 4) AS r4").
			ColumnExpr("count(*) FILTER (WHERE r.rating = 5) AS r5").
			Scan(ctx, &row)
	})
	if err != nil {
		return nil, fmt.Errorf("ratings: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	return row.stats(), nil
}

// RecentComments returns the newest non-empty comments of the tree's
// ratings, whatever the window, ties by id; never who wrote them.
func (s *Store) RecentComments(ctx context.Context, sc models.Scope, limit int) ([]models.FlowComment, error) {
	var rows []models.FlowComment
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return treeRatings(db, "session_ratings", sc).
			Where("r.comment IS NOT NULL AND r.comment <> ''").
			ColumnExpr("r.rating, r.comment, r.created_at").
			OrderExpr("r.created_at DESC, r.id ASC").
			Limit(int64(limit)).
			Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("recent comments: account=%s tree=%s: %w", sc.AccountID, sc.TreeID, err)
	}
	for i := range rows {
		rows[i].CreatedAt = rows[i].CreatedAt.UTC()
	}
	return rows, nil
}

// treeRatings starts a query over the ratings (table session_ratings or
// step_ratings, as r) of sc's tree, which must belong to sc's account.
func treeRatings(db bun.IDB, table string, sc models.Scope) *bun.SelectQuery {
	return db.NewSelect().
		TableExpr("? AS r", bun.Ident(table)).
		Join("JOIN trees AS t ON t.id = r.tree_id").
		Where("t.account_id = ?", sc.AccountID).
		Where("r.tree_id = ?", sc.TreeID)
}

// inWindow keeps the ratings created in sc's window.
func inWindow(q *bun.SelectQuery, sc models.Scope) *bun.SelectQuery {
	return q.Where("r.created_at >= ?", sc.Window.From).Where("r.created_at < ?", sc.Window.To)
}
