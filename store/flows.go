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

// Flow returns the tree id of the account. A tree that does not exist and a
// tree of another account both give models.ErrFlowNotFound, with the same
// single indexed lookup.
func (s *Store) Flow(ctx context.Context, accountID, id uuid.UUID) (*models.Flow, error) {
	f := new(models.Flow)
	err := s.inAccount(ctx, accountID, func(db bun.IDB) error {
		return db.NewSelect().TableExpr("trees AS t").ColumnExpr("t.id, t.name").
			Where("t.id = ?", id).Where("t.account_id = ?", accountID).Scan(ctx, f)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, models.ErrFlowNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("flow: account=%s tree=%s: %w", accountID, id, err)
	}
	return f, nil
}
