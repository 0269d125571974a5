package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"flowlens/store/migrations"
)

// Migrate applies every embedded migration that has not run yet and returns
// the names of those it applied (none when the database is up to date),
// then (re)installs the rollup read functions (InstallRollupQueries).
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	ms, err := migrations.Migrations()
	if err != nil {
		return nil, fmt.Errorf("migrate: load: %w", err)
	}
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() { _ = m.Unlock(ctx) }()
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := InstallRollupQueries(ctx, db); err != nil {
		return nil, err
	}
	var names []string
	if group != nil {
		for _, mg := range group.Migrations {
			names = append(names, mg.Name+"_"+mg.Comment)
		}
	}
	return names, nil
}
