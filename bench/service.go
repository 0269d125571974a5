package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/store"
)

// statementCounter is a bun query hook that counts the statements the service runs,
// split into queries (the SELECTs that compute answers and load the viewer)
// and transaction control (BEGIN, COMMIT, ROLLBACK and the set_config that
// gives each read-only transaction its account).
type statementCounter struct {
	queries, control atomic.Int64
	// slowestNanos is the longest statement since the last slowest().
	slowestNanos atomic.Int64

	mu       sync.Mutex
	record   bool
	recorded []string        // the queries seen while record is set
	took     []time.Duration // and how long each took
}

// BeforeQuery implements bun.QueryHook.
func (c *statementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (c *statementCounter) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if d := int64(time.Since(e.StartTime)); d > c.slowestNanos.Load() {
		c.slowestNanos.Store(d) // racy max: close enough for a report
	}
	q := strings.TrimSpace(e.Query)
	switch {
	case store.TransactionControl(q):
		c.control.Add(1)
	default:
		c.queries.Add(1)
		c.mu.Lock()
		if c.record {
			c.recorded = append(c.recorded, q)
			c.took = append(c.took, time.Since(e.StartTime))
		}
		c.mu.Unlock()
	}
}

// capture records the queries run by fn.
func (c *statementCounter) capture(fn func() error) ([]string, error) {
	qs, _, err := c.captureTimed(fn)
	return qs, err
}

// captureTimed records the queries run by fn and how long each took (from
// the driver's call to its answer).
func (c *statementCounter) captureTimed(fn func() error) ([]string, []time.Duration, error) {
	c.mu.Lock()
	c.record, c.recorded, c.took = true, nil, nil
	c.mu.Unlock()
	err := fn()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.record = false
	return c.recorded, c.took, err
}

// slowest returns the longest statement since the last call and resets it.
func (c *statementCounter) slowest() time.Duration { return time.Duration(c.slowestNanos.Swap(0)) }

// take returns the counts since the last call and resets them.
func (c *statementCounter) take() (queries, control int) {
	return int(c.queries.Swap(0)), int(c.control.Swap(0))
}

// service sends GraphQL requests to the service's real HTTP handler.
type service struct {
	handler http.Handler
	counter *statementCounter
	token   func(uuid.UUID) (string, error)

	mu     sync.Mutex
	tokens map[uuid.UUID]string
}

func (s *service) bearer(user uuid.UUID) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[user]; ok {
		return t, nil
	}
	t, err := s.token(user)
	if err != nil {
		return "", err
	}
	s.tokens[user] = t
	return t, nil
}

// response is a GraphQL response of the bench's documents.
type response struct {
	Data struct {
		Viewer struct {
			AccountID string `json:"accountId"`
		} `json:"viewer"`
		A *answer `json:"a"`
	} `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// decode reads a response body; any GraphQL error or a missing answer is an error.
func decode(status int, body []byte) (*response, error) {
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", status, clip(body))
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decode response: %w: %s", err, clip(body))
	}
	if len(r.Errors) > 0 {
		return nil, fmt.Errorf("GraphQL error: %s (%v)", r.Errors[0].Message, r.Errors[0].Extensions["code"])
	}
	if r.Data.A == nil {
		return nil, fmt.Errorf("no answer: %s", clip(body))
	}
	return &r, nil
}

// request builds the HTTP request of q.
func (s *service) request(ctx context.Context, url string, q query) (*http.Request, error) {
	tok, err := s.bearer(q.Viewer)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(q.body()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return req, nil
}

// do runs q through the handler in process and returns the answer and the
// wall time of ServeHTTP.
func (s *service) do(ctx context.Context, q query) (*response, time.Duration, error) {
	req, err := s.request(ctx, "/query", q)
	if err != nil {
		return nil, 0, err
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	s.handler.ServeHTTP(rec, req)
	elapsed := time.Since(start)
	r, err := decode(rec.Code, rec.Body.Bytes())
	if err != nil {
		return nil, elapsed, fmt.Errorf("%s of %s: %w", q.label(), q.Tenant.Name, err)
	}
	return r, elapsed, nil
}
