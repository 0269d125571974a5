package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// TopFlows returns the at most limit trees with the most sessions of sc,
// busiest first, ties by name (byte order) then id. Completion counts are
// loaded separately (FlowCompletions), batched per request.
func (s *Store) TopFlows(ctx context.Context, sc models.Scope, limit int) ([]models.TopFlow, error) {
	var rows []models.TopFlow
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		ranked := sessions(db, sc).
			ColumnExpr("s.tree_id").
			ColumnExpr("count(*) AS sessions").
			ColumnExpr(percentile("0.5") + " AS median_duration_minutes").
			GroupExpr("s.tree_id")
		return db.NewSelect().
			With("ranked", ranked).
			TableExpr("ranked AS r").
			Join("JOIN trees AS t ON t.id = r.tree_id").
			Where("t.account_id = ?", sc.AccountID).
			ColumnExpr("r.tree_id, t.name, r.sessions, r.median_duration_minutes").
			OrderExpr(`r.sessions DESC, t.name COLLATE "C", r.tree_id`).
			Limit(int64(limit)).
			Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("top flows: account=%s: %w", sc.AccountID, err)
	}
	for i := range rows {
		rows[i].Scope = sc
	}
	return rows, nil
}

// TopEngineers returns the at most limit users with the most sessions of
// sc, busiest first, ties by name as shown (`Unknown` when the user has no
// name; byte order) then id.
func (s *Store) TopEngineers(ctx context.Context, sc models.Scope, limit int) ([]models.TopEngineer, error) {
	var rows []models.TopEngineer
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		ranked := sessions(db, sc).
			ColumnExpr("s.user_id").
			ColumnExpr("count(*) AS sessions").
			ColumnExpr(percentile("0.5") + " AS median_duration_minutes").
			GroupExpr("s.user_id")
		return db.NewSelect().
			With("ranked", ranked).
			TableExpr("ranked AS r").
			Join("JOIN users AS u ON u.id = r.user_id").
			Where("u.account_id = ?", sc.AccountID).
			ColumnExpr("r.user_id, coalesce(nullif(u.name, ''), 'Unknown') AS name, r.sessions, r.median_duration_minutes").
			OrderExpr(`r.sessions DESC, coalesce(nullif(u.name, ''), 'Unknown') COLLATE "C", r.user_id`).
			Limit(int64(limit)).
			Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("top engineers: account=%s: %w", sc.AccountID, err)
	}
	for i := range rows {
		rows[i].Scope = sc
	}
	return rows, nil
}

// FlowCompletions returns the completed sessions of sc per tree, for the
// trees ids, in one statement; trees without any are absent from the map.
func (s *Store) FlowCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	m, err := s.completions(ctx, sc, "s.tree_id", ids)
	if err != nil {
		return nil, fmt.Errorf("flow completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

// EngineerCompletions returns the completed sessions of sc per user, for the
// user ids, in one statement.
func (s *Store) EngineerCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	m, err := s.completions(ctx, sc, "s.user_id", ids)
	if err != nil {
		return nil, fmt.Errorf("engineer completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

func (s *Store) completions(ctx context.Context, sc models.Scope, col string, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows []struct {
		ID        uuid.UUID `bun:"id"`
		Completed int       `bun:"completed"`
	}
	err := s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		return sessions(db, sc).
			ColumnExpr("? AS id", bun.Safe(col)).
			ColumnExpr("count(*) AS completed").
			Where("? IN (?)", bun.Safe(col), bun.In(ids)).
			Where(completed).
			GroupExpr("1").
			Scan(ctx, &rows)
	})
	if err != nil {
		return nil, err
	}
	m := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Completed
	}
	return m, nil
}
