package store

import (
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/models"
)

// inScope restricts a query over `sessions AS s` to the sessions of sc: its
// account (never optional), its window, and its user and tree when set.
// This is the one place where a scope becomes WHERE clauses.
func inScope(q *bun.SelectQuery, sc models.Scope) *bun.SelectQuery {
	q = q.Where("s.account_id = ?", sc.AccountID).
		Where("s.started_at >= ?", sc.Window.From).
		Where("s.started_at < ?", sc.Window.To)
	if sc.ByUser {
		q = q.Where("s.user_id = ?", sc.UserID)
	}
	if sc.TreeID != uuid.Nil {
		q = q.Where("s.tree_id = ?", sc.TreeID)
	}
	return q
}

// sessions starts a query over the sessions of sc.
func sessions(db bun.IDB, sc models.Scope) *bun.SelectQuery {
	return inScope(db.NewSelect().TableExpr("sessions AS s"), sc)
}

// Duration expressions shared by the aggregates: minutes of a completed
// session (date_part returns float8 directly, much cheaper per row than
// extract's numeric), and percentiles rounded to one decimal (0 when none).
const (
	durationMinutes = "date_part('epoch', s.completed_at - s.started_at) / 60"
	completed       = "s.completed_at IS NOT NULL"
)

// roundedMinutes rounds a float8 minutes expression to one decimal, 0 when NULL.
func roundedMinutes(expr string) string {
	return "coalesce(round((" + expr + ")::numeric, 1), 0)::float8"
}

// activeEngineers counts the distinct users with a session of sc: a
// semi-join from the account's users, one index probe each on
// sessions (user_id, started_at), instead of sorting every session's user id.
// A session with account_id set has its user in that account.
func activeEngineers(db bun.IDB, sc models.Scope) *bun.SelectQuery {
	exists := inScope(db.NewSelect().TableExpr("sessions AS s").ColumnExpr("1"), sc).
		Where("s.user_id = u.id")
	q := db.NewSelect().TableExpr("users AS u").ColumnExpr("count(*)").
		Where("u.account_id = ?", sc.AccountID).
		Where("EXISTS (?)", exists)
	if sc.ByUser {
		q = q.Where("u.id = ?", sc.UserID)
	}
	return q
}
