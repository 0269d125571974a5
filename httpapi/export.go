package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"flowlens/auth"
	"flowlens/models"
	"flowlens/observe"
	"flowlens/store"
)

// GET /export/sessions.csv streams exactly the sessions that the sessions
// field of the same view, window and filter lists over all its pages, in
// the same order, as RFC 4180 CSV (API.md, "CSV export").
//
// Every error is found before the first byte: the parameters (400), the
// credentials (401, and 429 over the rate limit, which the export counts
// like a query), the role (403), the flow (404, the same for another
// account's flow as for a missing one), and the first batch's statement
// (500). Then the rows stream in keyset batches of ExportBatchRows, each
// batch one read-only transaction of its own (store.Sessions, the page
// statement of the GraphQL field), each continuing right after the last
// row written. One transaction per batch rather than one snapshot for the
// whole export: no connection or transaction is held while the client
// reads (a slow reader would otherwise hold a pooled connection and, idle
// in transaction, be cut by the role's idle_in_transaction_session_timeout),
// no long snapshot holds back vacuum, and each statement stays far below
// the statement timeout whatever the export's size. The rows are those of
// paging through the field: a session that matches all along is written
// once, in its place, even if sessions are written meanwhile.
//
// Memory does not grow with rows: one batch at a time. A client that goes
// away cancels the request's context, which cancels the running statement
// (store.Open's cancel request) and stops the batches; an export that
// fails after its first byte is cut off (the response never ends
// properly), so that a truncated file is never taken for a whole one.

// exportStall is how long one batch may take to reach the client before
// the connection is closed: a client that stops reading does not hold the
// export forever.
const exportStall = 30 * time.Second

// exportColumns is the header row.
var exportColumns = []string{"session_id", "flow_id", "flow_name", "engineer_id", "engineer_name",
	"started_at", "completed_at", "duration_minutes", "outcome", "csat", "step_count", "last_node_id"}

// exportSessions serves GET /export/sessions.csv for the authenticated viewer.
func (a *App) exportSessions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if a.settings.ExportTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.settings.ExportTimeout)
		defer cancel()
	}
	u := auth.Viewer(ctx)
	exp := observe.ExportOf(ctx)
	exp.SetAccount(u.AccountID.String())
	p, err := parseExportParams(r.URL.Query())
	if err != nil {
		a.exportError(w, r, err)
		return
	}
	q, filename, err := a.exportQuery(ctx, u, p)
	if err != nil {
		a.exportError(w, r, err)
		return
	}
	rows, err := a.store.Sessions(ctx, q)
	if err != nil {
		a.exportError(w, r, err)
		return
	}

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	rc := http.NewResponseController(w)
	// The server's read and write timeouts bound the first response
	// bytes; an export lives longer, bounded per batch by exportStall
	// and in all by ExportTimeout. (An expired read deadline would also
	// cancel the request's context.)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
	w.WriteHeader(http.StatusOK)

	cw := &countingWriter{w: w}
	out := bufio.NewWriterSize(cw, 64<<10)
	loc := q.Scope.Window.Location
	writeRecord(out, exportColumns)
	for {
		for i := range rows {
			writeRecord(out, sessionRecord(&rows[i], loc))
		}
		if err := out.Flush(); err != nil {
			a.exportAborted(r, exp, err)
			return
		}
		_ = rc.Flush()
		exp.Wrote(int64(len(rows)), cw.take())
		if len(rows) < q.Limit {
			return // the last batch
		}
		q.After = &rows[len(rows)-1].Position
		if rows, err = a.store.Sessions(ctx, q); err != nil {
			a.exportAborted(r, exp, err)
			return
		}
		_ = rc.SetWriteDeadline(time.Now().Add(exportStall))
	}
}

// exportQuery returns the sessions query of p for viewer u (the roles and
// scope of the GraphQL field of p's view) and the attachment's file name.
func (a *App) exportQuery(ctx context.Context, u *models.User, p *exportParams) (store.SessionQuery, string, error) {
	win, err := models.NewWindow(p.window, a.now())
	if err != nil {
		return store.SessionQuery{}, "", err
	}
	sc := models.Scope{AccountID: u.AccountID, Window: win}
	switch p.view {
	case viewTeam:
		if !u.CanReadTeam() {
			return store.SessionQuery{}, "", models.ErrForbidden
		}
		if p.engineerID != nil {
			sc.UserID, sc.ByUser = *p.engineerID, true
		}
	case viewMy:
		sc.UserID, sc.ByUser = u.ID, true
	case viewFlow:
		flow, err := a.store.Flow(ctx, u.AccountID, p.treeID)
		if err != nil {
			return store.SessionQuery{}, "", err
		}
		sc.TreeID = flow.ID
		if !u.CanReadTeam() {
			sc.UserID, sc.ByUser = u.ID, true
		}
	}
	batch := a.settings.ExportBatchRows
	if batch <= 0 {
		batch = Defaults.ExportBatchRows
	}
	name := fmt.Sprintf("sessions-%s-%s-%s.csv", p.view, win.From.Format("20060102T150405Z"), win.To.Format("20060102T150405Z"))
	return store.SessionQuery{Scope: sc, Filter: p.filter, Order: p.order, Limit: batch}, name, nil
}

// exportError answers an error found before the first byte, with the
// status of its code and the GraphQL-shaped JSON body; an internal error
// is logged with the request id its message carries.
func (a *App) exportError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := models.AsError(err)
	if !ok || e.Code == models.CodeInternal {
		id := observe.RequestID(r.Context())
		a.log.ErrorContext(r.Context(), "export: internal error", "request_id", id, "error", err)
		writeError(w, http.StatusInternalServerError, &models.Error{Code: models.CodeInternal,
			Message: "internal server error (request id " + id + ")", Extensions: map[string]any{"requestId": id}})
		return
	}
	status := http.StatusBadRequest
	switch e.Code {
	case models.CodeForbidden:
		status = http.StatusForbidden
	case models.CodeNotFound:
		status = http.StatusNotFound
	case models.CodeUnauthenticated:
		status = http.StatusUnauthorized
	}
	writeError(w, status, e)
}

// exportAborted ends an export that failed after its first byte: the
// client went away or the deadline passed (aborted), or a statement failed
// (logged). The connection is cut so that the client sees an incomplete
// response, never a whole-looking file.
func (a *App) exportAborted(r *http.Request, exp *observe.Export, err error) {
	ctx := r.Context()
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isWriteError(err) {
		exp.Ended(observe.OutcomeAborted)
	} else {
		exp.Ended(string(models.CodeInternal))
		a.log.ErrorContext(ctx, "export: failed after the first byte", "request_id", observe.RequestID(ctx), "error", err)
	}
	panic(http.ErrAbortHandler)
}

// isWriteError reports whether err came from writing to the client.
func isWriteError(err error) bool {
	var we writeErr
	return errors.As(err, &we)
}

// writeErr marks an error of the response writer.
type writeErr struct{ error }

func (e writeErr) Unwrap() error { return e.error }

// countingWriter counts the bytes written to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	if err != nil {
		return n, writeErr{err}
	}
	return n, nil
}

// take returns the bytes counted since the last call.
func (c *countingWriter) take() int64 {
	n := c.n
	c.n = 0
	return n
}

// sessionRecord returns the cells of one session: times in RFC 3339 with
// the offset loc has at that instant, empty cells for nulls.
func sessionRecord(s *models.Session, loc *time.Location) []string {
	rec := make([]string, 0, len(exportColumns))
	rec = append(rec, s.ID.String(), s.Flow.ID.String(), s.Flow.Name, s.Engineer.ID.String(), s.Engineer.Name,
		s.StartedAt.In(loc).Format(time.RFC3339Nano))
	if s.CompletedAt != nil {
		rec = append(rec, s.CompletedAt.In(loc).Format(time.RFC3339Nano))
	} else {
		rec = append(rec, "")
	}
	if s.DurationMinutes != nil {
		rec = append(rec, strconv.FormatFloat(*s.DurationMinutes, 'f', 1, 64))
	} else {
		rec = append(rec, "")
	}
	if s.Outcome != nil {
		rec = append(rec, string(*s.Outcome))
	} else {
		rec = append(rec, "")
	}
	if s.Csat != nil {
		rec = append(rec, strconv.Itoa(*s.Csat))
	} else {
		rec = append(rec, "")
	}
	rec = append(rec, strconv.Itoa(s.StepCount))
	if s.LastNodeID != nil {
		rec = append(rec, *s.LastNodeID)
	} else {
		rec = append(rec, "")
	}
	return rec
}

// writeRecord writes one CSV record ending in CRLF: each cell defused
// against formula injection, then quoted as RFC 4180 says. (encoding/csv's
// Writer is not used: with UseCRLF it drops the carriage returns inside a
// field and turns its line feeds into CRLF, changing names.) Errors stay
// in out and surface at its Flush.
func writeRecord(out *bufio.Writer, cells []string) {
	for i, c := range cells {
		if i > 0 {
			_ = out.WriteByte(',')
		}
		_, _ = out.WriteString(quoteCell(defuse(c)))
	}
	_, _ = out.WriteString("\r\n")
}

// defuse puts a ' before a cell that begins with =, +, -, @, a tab or a
// carriage return, so that no spreadsheet takes it for a formula (OWASP,
// "CSV Injection"); numbers and node ids included (-5.0 is written '-5.0).
func defuse(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}

// quoteCell quotes a cell that holds a comma, a quote or a line break,
// doubling its quotes (RFC 4180, 2.6 and 2.7); other cells stay as they are.
func quoteCell(c string) string {
	if !strings.ContainsAny(c, ",\"\r\n") {
		return c
	}
	return `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
}
