package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

const userColumns = "id, account_id, name, email, is_active, is_team_admin, is_super_admin, created_at"

// UserByID returns the user with id, or (nil, nil) when there is none.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (*models.User, error) {
	u := new(models.User)
	err := s.asUser(ctx, id, func(db bun.IDB) error {
		return db.NewSelect().TableExpr("users").ColumnExpr(userColumns).
			Where("id = ?", id).Scan(ctx, u)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("user by id: id=%s: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user with that email (case-insensitive), or (nil, nil).
func (s *Store) UserByEmail(ctx context.Context, email string) (*models.User, error) {
	u := new(models.User)
	err := s.db.NewSelect().TableExpr("users").ColumnExpr(userColumns).
		Where("lower(email) = lower(?)", email).OrderExpr("created_at, id").Limit(1).Scan(ctx, u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", err)
	}
	return u, nil
}
