package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"flowlens/models"
)

// requestIDHeader carries the request id, in both directions.
const requestIDHeader = "X-Request-Id"

// saneRequestID is what an incoming X-Request-Id must look like to be
// logged (as client_request_id): a short token of letters, digits and
// -_.: (a UUID, a hex id, a proxy's id); anything else is dropped, so logs
// never carry a client's arbitrary text.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// Options configure an Observer.
type Options struct {
	// Log receives one line per request (required).
	Log *slog.Logger
	// Metrics receives the request figures (required).
	Metrics *Metrics
	// SlowThreshold: a request that takes longer is logged at level WARN
	// as "slow request" instead of INFO "request"; 0 turns that off.
	SlowThreshold time.Duration
	// Account, when set, returns the account id of the request's
	// authenticated viewer ("" when there is none).
	Account func(ctx context.Context) string
}

// Observer measures and logs GraphQL requests: Middleware wraps the HTTP
// handler, Extension goes into the gqlgen server, QueryHook into bun, and
// Batches around each dataloader's batch function.
type Observer struct {
	opts Options
}

// New returns an Observer.
func New(opts Options) *Observer {
	return &Observer{opts: opts}
}

// Metrics returns the observer's metrics.
func (o *Observer) Metrics() *Metrics { return o.opts.Metrics }

// request is what is learnt about one request on its way through the
// layers; the middleware creates it and logs it.
type request struct {
	observer *Observer
	id       string
	clientID string // the caller's sane X-Request-Id, or ""
	sql      atomic.Int64

	// export is set for requests of ExportMiddleware.
	export *Export

	mu        sync.Mutex
	operation string // "" until gqlgen has parsed the document
	parsed    bool
	account   string
	code      string // first error code
}

func (r *request) setOperation(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.operation, r.parsed = name, true
}

func (r *request) setAccount(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.account = id
}

func (r *request) setCode(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.code == "" {
		r.code = code
	}
}

type requestKey struct{}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// RequestID returns the id of the request ctx belongs to: the one its log
// line and X-Request-Id header carry. Outside a request observed by
// Middleware it returns a new id, so an error message always has one.
func RequestID(ctx context.Context) string {
	if r := requestFrom(ctx); r != nil {
		return r.id
	}
	return newRequestID()
}

// newRequestID returns a random 16-hex-digit id: the service's one
// request id generator.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Middleware wraps the GraphQL endpoint: it gives the request a new id of
// its own, always (two requests never share one, whatever callers send),
// returns it in the X-Request-Id header and keeps a sane incoming
// X-Request-Id apart, as the log line's client_request_id; then it counts,
// times and logs the request once it is answered, with the operation,
// account id and error code the inner layers found.
func (o *Observer) Middleware(next http.Handler) http.Handler {
	return o.observe(next, nil)
}

// observe wraps next, with export counters when export is set.
func (o *Observer) observe(next http.Handler, export *exportKind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		clientID := r.Header.Get(requestIDHeader)
		if !saneRequestID.MatchString(clientID) {
			clientID = ""
		}
		w.Header().Set(requestIDHeader, id)
		req := &request{observer: o, id: id, clientID: clientID}
		if export != nil {
			req.export = &Export{kind: export}
		}
		ctx := context.WithValue(r.Context(), requestKey{}, req)
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		if req.export != nil {
			// An export cut off after its first byte ends with
			// panic(http.ErrAbortHandler): it is logged all the same.
			defer func() {
				p := recover()
				o.finishExport(r, req, rec, time.Since(start))
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rec, r.WithContext(ctx))
			return
		}
		next.ServeHTTP(rec, r.WithContext(ctx))
		o.finish(r, req, rec, time.Since(start))
	})
}

// finish records the metrics of one answered request and logs it.
func (o *Observer) finish(r *http.Request, req *request, rec *recorder, d time.Duration) {
	req.mu.Lock()
	operation, parsed, account, code := req.operation, req.parsed, req.account, req.code
	req.mu.Unlock()
	if code == "" && rec.status >= 400 {
		// Refused before or outside GraphQL execution (authentication, rate
		// limit, transport limits): the body says why, GraphQL-shaped.
		code = codeOf(rec.head)
		if code == "" {
			code = statusCode(rec.status)
		}
	}
	if !parsed {
		operation = OperationUnknown
	}
	m := o.opts.Metrics
	opLabel := m.operationLabel(operation)
	m.requests.WithLabelValues(opLabel, outcomeLabel(code)).Inc()
	m.requestDuration.WithLabelValues(opLabel).Observe(d.Seconds())

	level, msg := slog.LevelInfo, "request"
	attrs := []slog.Attr{
		slog.String("request_id", req.id),
		slog.String("client_request_id", req.clientID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.String("operation", opLabel),
		slog.String("account_id", account),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("error_code", code),
		slog.Int64("sql_statements", req.sql.Load()),
	}
	if o.opts.SlowThreshold > 0 && d > o.opts.SlowThreshold {
		level, msg = slog.LevelWarn, "slow request"
		attrs = append(attrs, slog.Float64("slow_threshold_ms", float64(o.opts.SlowThreshold.Microseconds())/1000))
	}
	o.opts.Log.LogAttrs(r.Context(), level, msg, attrs...)
}

// statusCode names an HTTP error status whose body gave no code.
func statusCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return string(models.CodeUnauthenticated)
	case http.StatusTooManyRequests:
		return string(models.CodeRateLimited)
	case http.StatusRequestEntityTooLarge:
		return string(models.CodeRequestTooLarge)
	case http.StatusMethodNotAllowed:
		return string(models.CodeMethodNotAllowed)
	case http.StatusUnsupportedMediaType:
		return string(models.CodeUnsupportedMediaType)
	}
	if status >= 500 {
		return string(models.CodeInternal)
	}
	return string(models.CodeBadRequest)
}

// codeOf returns the first extensions.code of a GraphQL-shaped error body.
func codeOf(body []byte) string {
	var resp struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &resp) != nil || len(resp.Errors) == 0 {
		return ""
	}
	return resp.Errors[0].Extensions.Code
}

// recorder remembers the status and, for error statuses, the start of the
// body (enough for the error code of the small error bodies).
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	head        []byte
}

const recordedBody = 4 << 10

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.wroteHeader = true
	}
	if r.status >= 400 && len(r.head) < recordedBody {
		r.head = append(r.head, b[:min(len(b), recordedBody-len(r.head))]...)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes flushes through (gqlgen flushes multipart responses).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
