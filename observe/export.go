package observe

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Exports (files streamed to the client, such as the sessions CSV) are
// observed like GraphQL requests, with their own metrics and log line:
// rows and bytes written, duration, and how the export ended.

// Outcomes of an export besides OutcomeOK and error codes.
const (
	// OutcomeAborted labels an export that stopped after its first byte
	// because the client went away or its deadline passed.
	OutcomeAborted = "aborted"
)

// exportKind names one export endpoint in metrics and logs.
type exportKind struct{ name string }

// Export holds what is learnt about one export request; its handler
// reports through it.
type Export struct {
	kind    *exportKind
	rows    atomic.Int64
	bytes   atomic.Int64
	outcome atomic.Value // string: "" until the handler says
	account atomic.Value // string
}

// ExportOf returns the export counters of the request ctx belongs to, or
// nil outside ExportMiddleware.
func ExportOf(ctx context.Context) *Export {
	if r := requestFrom(ctx); r != nil {
		return r.export
	}
	return nil
}

// Wrote adds rows and bytes written to the client.
func (e *Export) Wrote(rows, bytes int64) {
	if e == nil {
		return
	}
	e.rows.Add(rows)
	e.bytes.Add(bytes)
}

// SetAccount records the account of the export's viewer.
func (e *Export) SetAccount(id string) {
	if e != nil {
		e.account.Store(id)
	}
}

// Ended records how an export that had started streaming ended early:
// OutcomeAborted, or an error code.
func (e *Export) Ended(outcome string) {
	if e != nil {
		e.outcome.Store(outcome)
	}
}

// ExportMiddleware wraps an export endpoint named name (a metric label):
// the request id as Middleware gives it, then once the export is over the
// metrics flowlens_exports_total{export,outcome},
// flowlens_export_duration_seconds{export}, flowlens_export_rows_total
// and flowlens_export_bytes_total, and one log line "export" with the
// rows, bytes and duration.
func (o *Observer) ExportMiddleware(name string, next http.Handler) http.Handler {
	return o.observe(next, &exportKind{name: name})
}

// finishExport records the metrics of one export and logs it.
func (o *Observer) finishExport(r *http.Request, req *request, rec *recorder, d time.Duration) {
	e := req.export
	outcome, _ := e.outcome.Load().(string)
	if outcome == "" && rec.status >= 400 {
		outcome = codeOf(rec.head)
		if outcome == "" {
			outcome = statusCode(rec.status)
		}
	}
	account, _ := e.account.Load().(string)
	rows, bytes := e.rows.Load(), e.bytes.Load()
	m := o.opts.Metrics
	m.exports.WithLabelValues(e.kind.name, outcomeLabel(outcome)).Inc()
	m.exportDuration.WithLabelValues(e.kind.name).Observe(d.Seconds())
	m.exportRows.WithLabelValues(e.kind.name).Add(float64(rows))
	m.exportBytes.WithLabelValues(e.kind.name).Add(float64(bytes))
	if outcome == "" {
		outcome = OutcomeOK
	}
	o.opts.Log.LogAttrs(r.Context(), slog.LevelInfo, "export",
		slog.String("request_id", req.id),
		slog.String("client_request_id", req.clientID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.String("export", e.kind.name),
		slog.String("account_id", account),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("outcome", outcome),
		slog.Int64("rows", rows),
		slog.Int64("bytes", bytes),
		slog.Int64("sql_statements", req.sql.Load()),
	)
}
