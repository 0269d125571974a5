// Package migrations embeds flowlens's SQL migrations: the main
// application's tables for development and tests, and flowlens's additions
// (sessions.account_id with its triggers, analytics indexes).
package migrations

import (
	"embed"

	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var sqlFiles embed.FS

// Migrations returns the embedded migrations.
func Migrations() (*migrate.Migrations, error) {
	m := migrate.NewMigrations()
	if err := m.Discover(sqlFiles); err != nil {
		return nil, err
	}
	return m, nil
}
