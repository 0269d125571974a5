package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// TopFlows returns the at most limit trees with the most sessions of sc,
// busiest first, ties by name (byte order) then id, in one statement from
// the rollups (rollupTop). Completion counts are loaded separately
// (FlowCompletions), batched per request.
func (s *Store) TopFlows(ctx context.Context, sc models.Scope, limit int) ([]models.TopFlow, error) {
	if !lists(s, sc) {
		return s.Reference().TopFlows(ctx, sc, limit)
	}
	return rollupTop[models.TopFlow](ctx, s, sc, "tree_id", limit, "top flows")
}

// TopFlows computes Store.TopFlows from the raw rows. One statement: counts
// per tree (hash aggregate), the top rows, then the median duration of
// those rows' sessions only.
func (r Reference) TopFlows(ctx context.Context, sc models.Scope, limit int) ([]models.TopFlow, error) {
	var rows []models.TopFlow
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		named := db.NewSelect().TableExpr("trees AS t").
			ColumnExpr("t.id, t.name").Where("t.account_id = ?", sc.AccountID)
		return topQuery(db, sc, "s.tree_id", "tree_id", named, limit).Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("top flows: account=%s: %w", sc.AccountID, err)
	}
	return rows, nil
}

// TopEngineers returns the at most limit users with the most sessions of
// sc, busiest first, ties by name as shown (`Unknown` when the user has no
// name; byte order) then id; like TopFlows, in one statement.
func (s *Store) TopEngineers(ctx context.Context, sc models.Scope, limit int) ([]models.TopEngineer, error) {
	if !lists(s, sc) {
		return s.Reference().TopEngineers(ctx, sc, limit)
	}
	return rollupTop[models.TopEngineer](ctx, s, sc, "user_id", limit, "top engineers")
}

// TopEngineers computes Store.TopEngineers from the raw rows.
func (r Reference) TopEngineers(ctx context.Context, sc models.Scope, limit int) ([]models.TopEngineer, error) {
	var rows []models.TopEngineer
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
		named := db.NewSelect().TableExpr("users AS u").
			ColumnExpr("u.id, coalesce(nullif(u.name, ''), 'Unknown') AS name").Where("u.account_id = ?", sc.AccountID)
		return topQuery(db, sc, "s.user_id", "user_id", named, limit).Scan(ctx, &rows)
	})
	if err != nil {
		return nil, fmt.Errorf("top engineers: account=%s: %w", sc.AccountID, err)
	}
	return rows, nil
}

// topQuery ranks the values of key (s.tree_id or s.user_id) among the
// sessions of sc, names them from named (columns id, name), keeps the first
// limit and adds each one's median duration, computed over their sessions
// only: one aggregate per listed row (LEFT JOIN LATERAL), read from the
// covering (tree_id | user_id, started_at) index, so each median sorts
// its own few thousand durations in memory instead of one sort of every
// listed row's sessions by key spilling to disk. Columns: the id (named
// idColumn), name, sessions, median_duration_minutes.
func topQuery(db bun.IDB, sc models.Scope, key, idColumn string, named *bun.SelectQuery, limit int) *bun.SelectQuery {
	counts := sessions(db, sc).
		ColumnExpr("? AS id", bun.Safe(key)).
		ColumnExpr("count(*) AS sessions").
		GroupExpr("1")
	top := db.NewSelect().TableExpr("counts AS c").
		Join("JOIN named AS n ON n.id = c.id").
		ColumnExpr("c.id, n.name, c.sessions").
		OrderExpr(`c.sessions DESC, n.name COLLATE "C", c.id`).
		Limit(int64(limit))
	median := sessions(db, sc).
		ColumnExpr("percentile_cont(0.5) WITHIN GROUP (ORDER BY "+durationMinutes+") AS median").
		Where(completed).
		Where("? = top.id", bun.Safe(key))
	return db.NewSelect().
		With("counts", counts).
		With("named", named).
		With("top", top).
		TableExpr("top").
		Join("LEFT JOIN LATERAL (?) AS m ON true", median).
		ColumnExpr("top.id AS ?, top.name, top.sessions", bun.Ident(idColumn)).
		ColumnExpr(roundedMinutes("m.median") + " AS median_duration_minutes").
		OrderExpr(`top.sessions DESC, top.name COLLATE "C", top.id`)
}

// FlowCompletions returns the completed sessions of sc per tree, for the
// trees ids, in one statement; trees without any are absent from the map.
func (s *Store) FlowCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	if !lists(s, sc) {
		return s.Reference().FlowCompletions(ctx, sc, ids)
	}
	m, err := s.completions(ctx, sc, "tree_id", ids)
	if err != nil {
		return nil, fmt.Errorf("flow completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

// FlowCompletions computes Store.FlowCompletions from the raw rows.
func (r Reference) FlowCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	m, err := r.completions(ctx, sc, "s.tree_id", ids)
	if err != nil {
		return nil, fmt.Errorf("flow completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

// EngineerCompletions returns the completed sessions of sc per user, for the
// user ids, in one statement.
func (s *Store) EngineerCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	if !lists(s, sc) {
		return s.Reference().EngineerCompletions(ctx, sc, ids)
	}
	m, err := s.completions(ctx, sc, "user_id", ids)
	if err != nil {
		return nil, fmt.Errorf("engineer completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

// EngineerCompletions computes Store.EngineerCompletions from the raw rows.
func (r Reference) EngineerCompletions(ctx context.Context, sc models.Scope, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	m, err := r.completions(ctx, sc, "s.user_id", ids)
	if err != nil {
		return nil, fmt.Errorf("engineer completions: account=%s keys=%d: %w", sc.AccountID, len(ids), err)
	}
	return m, nil
}

// completionRows are the rows of a completion count statement.
type completionRows []struct {
	ID        uuid.UUID `bun:"id"`
	Completed int       `bun:"completed"`
}

func (c completionRows) byID() map[uuid.UUID]int {
	m := make(map[uuid.UUID]int, len(c))
	for _, r := range c {
		m[r.ID] = r.Completed
	}
	return m
}

// completions counts the completed sessions of sc per tree or user (col)
// from the rollups (rollupCompletions).
func (s *Store) completions(ctx context.Context, sc models.Scope, col string, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows completionRows
	if err := s.rollupCompletions(ctx, sc, col, ids, &rows); err != nil {
		return nil, err
	}
	return rows.byID(), nil
}

func (r Reference) completions(ctx context.Context, sc models.Scope, col string, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	var rows completionRows
	err := r.s.inAccount(ctx, sc.AccountID, func(db bun.IDB) error {
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
	return rows.byID(), nil
}
