package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// readOnly is the options of every transaction of the service.
var readOnly = &sql.TxOptions{ReadOnly: true}

// inAccount runs fn in a read-only transaction whose `flowlens.account_id`
// is account, set with set_config(..., true) so it ends with the
// transaction and never outlives it on a pooled connection. Under the
// row-level security policies (migration 0004) the service's role then sees
// only that account's rows, whatever fn's SQL says.
func (s *Store) inAccount(ctx context.Context, account uuid.UUID, fn func(db bun.IDB) error) error {
	return s.inTx(ctx, "flowlens.account_id", account, fn)
}

// asUser runs fn in a read-only transaction that may see only the user row
// id (and nothing of any account): the authentication lookup.
func (s *Store) asUser(ctx context.Context, id uuid.UUID, fn func(db bun.IDB) error) error {
	return s.inTx(ctx, "flowlens.user_id", id, fn)
}

func (s *Store) inTx(ctx context.Context, setting string, id uuid.UUID, fn func(db bun.IDB) error) error {
	return s.db.RunInTx(ctx, readOnly, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config(?, ?, true)", setting, id.String()); err != nil {
			return fmt.Errorf("set %s: %w", setting, err)
		}
		return fn(tx)
	})
}
