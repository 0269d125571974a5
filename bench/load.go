package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// expected is a load-run query with the answer the service gave to it
// alone, before the load.
type expected struct {
	q      query
	answer answer
}

// loadStats are the outcomes of the load run.
type loadStats struct {
	mu        sync.Mutex
	latencies samples
	errors    int
	foreign   int // answers naming another account, or another account's tree or user
	wrong     int // answers that differ from the same query's answer without load
	firstErr  error
}

func (s *loadStats) fail(kind *int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*kind++
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// load runs the load: Clients concurrent clients for Load over a real HTTP
// server on 127.0.0.1, each sending a random mix of the four dashboards
// over both periods for several tenants, as each tenant's users. Every
// answer must name the token's account, list only that account's trees and
// users, and equal the answer the same query got without load.
func (r *runner) load(ctx context.Context) error {
	mix, err := r.loadMix(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r.svc.handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown(context.WithoutCancel(ctx)) }()
	url := "http://" + ln.Addr().String() + "/query"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: r.o.Clients, MaxIdleConnsPerHost: r.o.Clients, IdleConnTimeout: time.Minute}}

	over := fmt.Sprintf("%d tenants", r.loadTenants())
	if r.o.LoadLarge {
		over = "the large tenant only (" + r.data.tenant(roleLarge, 0).Name + ")"
	}
	fmt.Fprintf(r.out, "\nLoad: %d clients for %s on %s, %d distinct queries over %s\n",
		r.o.Clients, r.o.Load, ln.Addr(), len(mix), over)
	stats := &loadStats{}
	deadline := time.Now().Add(r.o.Load)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < r.o.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(c), 42))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				r.loadRequest(ctx, client, url, mix[rnd.IntN(len(mix))], stats)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	n := len(stats.latencies)
	fmt.Fprintf(r.out, "requests %d, throughput %.1f req/s, p50 %s ms, p99 %s ms, max %s ms; errors %d, cross-tenant answers %d, answers differing from the unloaded ones %d\n",
		n+stats.errors+stats.foreign+stats.wrong, float64(n)/elapsed.Seconds(), ms(stats.latencies.p50()), ms(stats.latencies.pct(99)),
		ms(stats.latencies.pct(100)), stats.errors, stats.foreign, stats.wrong)
	if stats.errors+stats.foreign+stats.wrong > 0 {
		return fmt.Errorf("load run: %d errors, %d cross-tenant answers, %d wrong answers; first: %w", stats.errors, stats.foreign, stats.wrong, stats.firstErr)
	}
	return nil
}

// loadTenantList returns the tenants of the load mix: the large tenant,
// the small one and up to four 100,000-session tenants; the large one
// alone with LoadLarge.
func (r *runner) loadTenantList() []*tenant {
	if r.o.LoadLarge {
		return []*tenant{r.data.tenant(roleLarge, 0)}
	}
	var ts []*tenant
	for _, t := range r.data.Tenants {
		if t.Role == roleLarge || t.Role == roleSmall {
			ts = append(ts, t)
		}
	}
	for i := 0; i < 4; i++ {
		if t := r.data.tenant(roleMedium, i); t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// loadTenants returns the number of tenants of the load mix.
func (r *runner) loadTenants() int { return len(r.loadTenantList()) }

// loadMix returns the queries of the load with their unloaded answers.
func (r *runner) loadMix(ctx context.Context) ([]expected, error) {
	var mix []expected
	for _, t := range r.loadTenantList() {
		for _, period := range periods {
			qs, err := r.queries(ctx, t, period)
			if err != nil {
				return nil, err
			}
			for _, q := range qs {
				resp, _, err := r.svc.do(ctx, q)
				if err != nil {
					return nil, err
				}
				mix = append(mix, expected{q: q, answer: resp.Data.A.normalized()})
			}
		}
	}
	return mix, nil
}

// loadRequest sends one request and records its outcome.
func (r *runner) loadRequest(ctx context.Context, client *http.Client, url string, e expected, s *loadStats) {
	req, err := r.svc.request(ctx, url, e.q)
	if err != nil {
		s.fail(&s.errors, err)
		return
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		s.fail(&s.errors, err)
		return
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	d := time.Since(start)
	if err != nil {
		s.fail(&s.errors, err)
		return
	}
	resp, err := decode(res.StatusCode, body)
	if err != nil {
		s.fail(&s.errors, fmt.Errorf("%s of %s: %w", e.q.label(), e.q.Tenant.Name, err))
		return
	}
	if err := belongs(e.q.Tenant, resp); err != nil {
		s.fail(&s.foreign, fmt.Errorf("%s of %s: %w", e.q.label(), e.q.Tenant.Name, err))
		return
	}
	if err := sameAnswer("under load", e.answer, resp.Data.A.normalized()); err != nil {
		s.fail(&s.wrong, fmt.Errorf("%s of %s: %w", e.q.label(), e.q.Tenant.Name, err))
		return
	}
	s.mu.Lock()
	s.latencies = append(s.latencies, d)
	s.mu.Unlock()
}

// belongs checks that a response names t's account and lists only t's
// trees and users.
func belongs(t *tenant, resp *response) error {
	if resp.Data.Viewer.AccountID != t.ID.String() {
		return fmt.Errorf("viewer.accountId %s, token of account %s", resp.Data.Viewer.AccountID, t.ID)
	}
	a := resp.Data.A
	ids := map[string]bool{}
	for id := range t.Trees {
		ids[id.String()] = true
	}
	for _, f := range a.TopFlows {
		if !ids[f.ID] {
			return fmt.Errorf("top flow %s is not a tree of the account", f.ID)
		}
	}
	if a.Flow != nil && !ids[a.Flow.ID] {
		return fmt.Errorf("flow %s is not a tree of the account", a.Flow.ID)
	}
	users := map[string]bool{}
	for id := range t.Users {
		users[id.String()] = true
	}
	for _, e := range a.TopEngineers {
		if !users[e.ID] {
			return fmt.Errorf("top engineer %s is not a user of the account", e.ID)
		}
	}
	return nil
}
