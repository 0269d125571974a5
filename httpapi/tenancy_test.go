package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"flowlens/store"
)

// TestTenantsNeverMix (SECURITY.md §3): 2,000 requests of two tenants,
// interleaved, 50 at a time, through the real handler over a pool of only
// 2 connections, so every connection serves both accounts in turn. Every
// answer carries the token's own account and its own figures: A has 3
// sessions (2 completed) in January 2026, B 5 (4 completed).
func TestTenantsNeverMix(t *testing.T) {
	o := smallEnv.with(noRateLimit)
	o.pool = store.PoolConfig{MaxOpen: 2, MaxIdle: 2}
	e := newEnv(t, o)
	interleaveTenants(t, e, 2000, 50)
	var conns int
	if err := e.owner.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'flowlens_app' AND datname = current_database()`).Scan(&conns); err != nil {
		t.Fatal(err)
	}
	if conns > 2 {
		t.Errorf("%d connections of the service's role, the pool has 2", conns)
	}
	t.Logf("2000 requests, 0 mixed, over %d connections", conns)
}

// interleaveTenants sends total summary requests of the small fixture's
// two team admins, A and B in turn, concurrency at a time, and fails the
// test unless every answer carries the token's own account and figures: A
// has 3 sessions (2 completed) in January 2026, B 5 (4 completed).
func interleaveTenants(t *testing.T, e *env, total, concurrency int) {
	t.Helper()
	type want struct {
		account          uuid.UUID
		total, completed int
	}
	wants := map[uuid.UUID]want{small.AdminA: {small.AccountA, 3, 2}, small.AdminB: {small.AccountB, 5, 4}}
	tokens := map[uuid.UUID]string{small.AdminA: token(t, small.AdminA), small.AdminB: token(t, small.AdminB)}
	body, _ := json.Marshal(map[string]any{"query": small.SummaryQuery})

	jobs := make(chan uuid.UUID)
	var mixed, failed atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for user := range jobs {
				req := e.request(t, "POST", "/query", "application/json", tokens[user], bytes.NewReader(body))
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				var r struct {
					Data struct {
						Viewer struct {
							AccountID uuid.UUID `json:"accountId"`
						} `json:"viewer"`
						TeamAnalytics struct {
							Summary struct {
								TotalSessions     int `json:"totalSessions"`
								CompletedSessions int `json:"completedSessions"`
							} `json:"summary"`
						} `json:"teamAnalytics"`
					} `json:"data"`
					Errors []any `json:"errors"`
				}
				err = json.NewDecoder(res.Body).Decode(&r)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 || len(r.Errors) > 0 {
					failed.Add(1)
					continue
				}
				w := wants[user]
				got := want{r.Data.Viewer.AccountID, r.Data.TeamAnalytics.Summary.TotalSessions, r.Data.TeamAnalytics.Summary.CompletedSessions}
				if got != w {
					mixed.Add(1)
					once.Do(func() { t.Errorf("user %s got %+v, want %+v", user, got, w) })
				}
			}
		}()
	}
	for i := 0; i < total; i++ {
		if i%2 == 0 {
			jobs <- small.AdminA
		} else {
			jobs <- small.AdminB
		}
	}
	close(jobs)
	wg.Wait()
	if mixed.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d of %d answers showed another tenant's data, %d failed", mixed.Load(), total, failed.Load())
	}
}
