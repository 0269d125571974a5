package observe

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// QueryHook returns the bun query hook that counts and times every SQL
// statement, and counts them per request for the request's log line.
// Attach it with db = db.WithQueryHook(hook): WithQueryHook returns a new
// handle and leaves the receiver without the hook.
func (o *Observer) QueryHook() bun.QueryHook { return queryHook{o.opts.Metrics} }

type queryHook struct{ m *Metrics }

var _ bun.QueryHook = queryHook{}

func (queryHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h queryHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	kind := statementKind(e.Operation())
	outcome := "ok"
	if e.Err != nil && !errors.Is(e.Err, sql.ErrNoRows) {
		outcome = "error"
	}
	h.m.sqlStatements.WithLabelValues(kind, outcome).Inc()
	h.m.sqlDuration.WithLabelValues(kind).Observe(time.Since(e.StartTime).Seconds())
	if req := requestFrom(ctx); req != nil {
		req.sql.Add(1)
	}
}

// statementKind bounds the statement label to the kinds flowlens runs.
func statementKind(op string) string {
	op = strings.ToUpper(op)
	switch op {
	case "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SET", "CREATE", "ALTER", "DROP":
		return op
	}
	return "OTHER"
}
