package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"testing"

	"flowlens/models"
)

// TestRateLimitPerUser (SECURITY.md §4): a user over their budget gets 429
// with Retry-After and a GraphQL-shaped RATE_LIMITED error, without any
// database work; another tenant's user is served meanwhile.
func TestRateLimitPerUser(t *testing.T) {
	e := newEnv(t, smallEnv.with(func(s *Settings) { s.RateLimitRPS, s.RateLimitBurst = 0.2, 5 })) // 5 at once, then one per 5 s
	q := `{ viewer { accountId } }`
	for i := 1; i <= 5; i++ {
		if r := e.query(t, small.AdminA, q); r.Status != 200 {
			t.Fatalf("A's request %d of the burst: %d %s", i, r.Status, r.Body)
		}
	}
	n, r := e.statements(t, small.AdminA, q)
	if r.Status != http.StatusTooManyRequests || r.code(0) != string(models.CodeRateLimited) || r.hasData() {
		t.Fatalf("A's 6th request: want 429 %s, got %d %s", string(models.CodeRateLimited), r.Status, r.Body)
	}
	if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 5 {
		t.Errorf("Retry-After = %q, want 1..5 seconds", r.Header.Get("Retry-After"))
	}
	if n != 0 {
		t.Errorf("a rate-limited request ran %d statements", n)
	}
	if r := e.query(t, small.AdminB, q); r.Status != 200 || !r.hasData() {
		t.Errorf("B while A is limited: %d %s", r.Status, r.Body)
	}
	if r := e.query(t, small.EngineerA, q); r.Status != 200 {
		t.Errorf("another user of A's account has a budget of their own: %d %s", r.Status, r.Body)
	}
}

// TestRateLimitFlood: while A floods (200 requests, 20 at a time), every
// request B makes at the default budget is answered 200, and A gets at most
// its burst plus what refills.
func TestRateLimitFlood(t *testing.T) {
	e := newEnv(t, smallEnv) // the defaults: 20/s, burst 40
	tokA, tokB := token(t, small.AdminA), token(t, small.AdminB)
	send := func(tok string) int {
		req := e.request(t, "POST", "/query", "application/json", tok, jsonBody(t, map[string]any{"query": small.SummaryQuery}))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	var mu sync.Mutex
	statusA := map[int]int{}
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for w := 0; w < 20; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				s := send(tokA)
				mu.Lock()
				statusA[s]++
				mu.Unlock()
			}
		}()
	}
	bOK := 0
	for i := 0; i < 200; i++ {
		jobs <- struct{}{}
		if i%20 == 0 {
			if s := send(tokB); s == 200 {
				bOK++
			}
		}
	}
	close(jobs)
	wg.Wait()
	if bOK != 10 {
		t.Errorf("B during A's flood: %d of 10 requests answered 200", bOK)
	}
	if statusA[200]+statusA[429] != 200 || statusA[429] == 0 || statusA[200] < 40 {
		t.Errorf("A's flood: %v; want 200s for at least the burst of 40, 429 for the rest", statusA)
	}
	t.Logf("A's flood of 200 requests: %d answered 200, %d answered 429", statusA[200], statusA[429])
}
