package store

import (
	"context"
	"fmt"
)

// rollupTriggers are the triggers that keep the rollups exact (migration
// 0031), by table.
var rollupTriggers = map[string][]string{
	"sessions":        {"sessions_rollups_insert", "sessions_rollups_update", "sessions_rollups_delete"},
	"session_ratings": {"session_ratings_rollups_insert", "session_ratings_rollups_update", "session_ratings_rollups_delete"},
	"step_ratings":    {"step_ratings_rollups_insert", "step_ratings_rollups_update", "step_ratings_rollups_delete"},
}

// WithoutRollupTriggers runs fn with the rollup triggers disabled for this
// transaction's writes, enables them again, and rebuilds every rollup from
// the raw rows in the same transaction (flowlens_rollups_rebuild), so they
// are exact when it commits: one set-based pass instead of one per COPY
// batch. Like WithoutSessionAccountTrigger, ALTER TABLE locks the tables
// until the transaction ends, and a rollback restores the triggers.
func (b *Bulk) WithoutRollupTriggers(ctx context.Context, fn func() error) error {
	toggle := func(how string) error {
		for table, triggers := range rollupTriggers {
			for _, t := range triggers {
				if _, err := b.tx.Exec(ctx, "ALTER TABLE "+table+" "+how+" TRIGGER "+t); err != nil {
					return fmt.Errorf("%s trigger %s: %w", how, t, err)
				}
			}
		}
		return nil
	}
	if err := toggle("DISABLE"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err // the rollback restores the triggers
	}
	if err := toggle("ENABLE"); err != nil {
		return err
	}
	if _, err := b.tx.Exec(ctx, "SELECT flowlens_rollups_rebuild()"); err != nil {
		return fmt.Errorf("rebuild rollups: %w", err)
	}
	return nil
}
