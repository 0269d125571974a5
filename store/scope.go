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
// session, and its percentiles rounded to one decimal (0 when none).
const (
	durationMinutes = "extract(epoch FROM s.completed_at - s.started_at)::float8 / 60"
	completed       = "s.completed_at IS NOT NULL"
)

func percentile(p string) string {
	return "coalesce(round((percentile_cont(" + p + ") WITHIN GROUP (ORDER BY " + durationMinutes + ") FILTER (WHERE " + completed + "))::numeric, 1), 0)::float8"
}
