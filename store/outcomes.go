package store

import (
	"github.com/uptrace/bun"

	"flowlens/models"
)

// outcomeCounts adds one column per outcome of models.Outcomes, named
// after it (resolved, escalated, …), counting the rows whose s.outcome is
// exactly that word and, when cond is not empty, for which cond holds.
// The outcomes are constants, so they are written into the SQL as literals.
func outcomeCounts(q *bun.SelectQuery, cond string) *bun.SelectQuery {
	if cond != "" {
		cond += " AND "
	}
	for _, o := range models.Outcomes() {
		q = q.ColumnExpr("count(*) FILTER (WHERE " + cond + "s.outcome = '" + string(o) + "') AS " + string(o))
	}
	return q
}

// perOutcome adds, for each outcome column of outcomeCounts, the column
// expr(column) AS column, e.g. sum(q.resolved) AS resolved.
func perOutcome(q *bun.SelectQuery, expr func(column string) string) *bun.SelectQuery {
	for _, o := range models.Outcomes() {
		q = q.ColumnExpr(expr(string(o)) + " AS " + string(o))
	}
	return q
}
