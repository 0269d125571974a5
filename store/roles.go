package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// BypassesRLS reports whether the connected role escapes row-level
// security (superuser or BYPASSRLS).
func BypassesRLS(ctx context.Context, db *bun.DB) (bool, error) {
	var bypass bool
	err := db.NewSelect().ColumnExpr("rolsuper OR rolbypassrls").TableExpr("pg_roles").
		Where("rolname = current_user").Scan(ctx, &bypass)
	if err != nil {
		return false, fmt.Errorf("check database role: %w", err)
	}
	return bypass, nil
}

// ConnectionLimit returns how many connections the server lets the
// connected role open: max_connections less the slots reserved for
// superusers (unless the role is one), capped by the role's own
// CONNECTION LIMIT when it has one. Other clients' connections count
// against it too, so a pool should stay well below it.
func ConnectionLimit(ctx context.Context, db *bun.DB) (int, error) {
	var row struct {
		Server int `bun:"server"`
		Role   int `bun:"role"`
	}
	err := db.NewSelect().TableExpr("pg_roles AS r").
		ColumnExpr("current_setting('max_connections')::int - CASE WHEN r.rolsuper THEN 0 ELSE current_setting('superuser_reserved_connections')::int END AS server").
		ColumnExpr("r.rolconnlimit AS role").
		Where("r.rolname = current_user").Scan(ctx, &row)
	if err != nil {
		return 0, fmt.Errorf("connection limit: %w", err)
	}
	if row.Role >= 0 && row.Role < row.Server {
		return row.Role, nil
	}
	return row.Server, nil
}
