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
	return migrateThrough(ctx, db, "")
}

// readsChange names the migrations that change what the rollup read
// functions read (rollup_durations' tiers, migration 0037; the account's
// hourly durations, 0039): Migrate installs this binary's functions in the
// same transaction, as they read the database at that migration, so that
// no answer is ever read through functions older or newer than the rows
// (the install after all migrations would come only after the later ones,
// 0038's VACUUM say, or not at all when one of them fails).
var readsChange = map[string]bool{"20260101000037": true, accountHours: true}

// accountHours is the migration from which an account's durations are
// rolled up from hours.
const accountHours = "20260101000039"

// migrateThrough is Migrate, stopping after the migration named last when
// last is not empty (then without the final install: tests of a migration
// start from the schema before it).
func migrateThrough(ctx context.Context, db *bun.DB, last string) ([]string, error) {
	all, err := migrations.Migrations()
	if err != nil {
		return nil, fmt.Errorf("migrate: load: %w", err)
	}
	ms := all
	if last != "" {
		ms = migrate.NewMigrations()
		for _, m := range all.Sorted() {
			if m.Name <= last {
				ms.Add(m)
			}
		}
	}
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true),
		migrate.AfterMigration(func(ctx context.Context, conn bun.IConn, mg *migrate.Migration) error {
			if !readsChange[mg.Name] {
				return nil
			}
			return installRollupQueries(ctx, conn, mg.Name >= accountHours)
		}))
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
	if last == "" {
		if err := InstallRollupQueries(ctx, db); err != nil {
			return nil, err
		}
	}
	var names []string
	if group != nil {
		for _, mg := range group.Migrations {
			names = append(names, mg.Name+"_"+mg.Comment)
		}
	}
	return names, nil
}
