package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/dbtest"
)

// The team summary of January 2026 (small.SummaryQuery) of each account of
// the small fixture: A has 3 sessions (2 completed), B 5 (4 completed).
var smallSummaries = map[uuid.UUID]string{
	small.AdminA: `{"viewer":{"accountId":"` + small.AccountA.String() + `"},"teamAnalytics":{"summary":{"totalSessions":3,"completedSessions":2}}}`,
	small.AdminB: `{"viewer":{"accountId":"` + small.AccountB.String() + `"},"teamAnalytics":{"summary":{"totalSessions":5,"completedSessions":4}}}`,
}

// admitted is one request's answer.
type admitted struct {
	name   string
	viewer uuid.UUID
	res    response
}

// sendNamed sends the small summary as viewer in the background.
func (e *env) sendNamed(t *testing.T, name string, viewer uuid.UUID, out chan<- admitted) {
	req := e.request(t, http.MethodPost, "/query", "application/json", token(t, viewer), jsonBody(t, map[string]any{"query": small.SummaryQuery}))
	go func() {
		res := send(t, http.DefaultClient, req)
		out <- admitted{name, viewer, res}
	}()
}

// sendHolding sends the first request, which takes the one turn, and
// waits until its statement waits for the lock.
func (e *env) sendHolding(t *testing.T, name string, viewer uuid.UUID, out chan<- admitted) {
	t.Helper()
	e.sendNamed(t, name, viewer, out)
	if !dbtest.WaitFor(5*time.Second, func() bool { _, w := dbtest.AppActivity(t, e.owner); return w == 1 }) {
		t.Fatalf("the %s request's statement does not wait for the lock", name)
	}
}

// waitingRequests returns the requests waiting for their turn (/metrics).
func (e *env) waitingRequests(t *testing.T) float64 {
	return metricValue(t, e.metrics(t), "flowlens_graphql_requests_waiting")
}

// With MaxActiveRequests 1, a request that holds the turn (its statement
// waiting for a lock) keeps the next ones out of the database: they wait
// for their turn, not on the pool, and are counted as waiting. Once the
// lock goes they all run, one after the other in arrival order, and every
// one gets its own account's answer: none is refused.
func TestAdmissionRunsRequestsInArrivalOrder(t *testing.T) {
	e, lock := lockedEnvOn(t, 30*time.Second, dbtest.DSN(t), nil, func(s *Settings) { s.MaxActiveRequests = 1 })
	waited := metricValue(t, e.metrics(t), "flowlens_graphql_admission_wait_seconds_count")
	release := lock()
	defer release()
	out := make(chan admitted, 4)
	e.sendHolding(t, "first", small.AdminA, out)
	order := []struct {
		name   string
		viewer uuid.UUID
	}{{"first", small.AdminA}, {"second", small.AdminB}, {"third", small.AdminA}, {"fourth", small.AdminB}}
	for i, r := range order[1:] {
		e.sendNamed(t, r.name, r.viewer, out)
		if !dbtest.WaitFor(5*time.Second, func() bool { return e.waitingRequests(t) == float64(i+1) }) {
			t.Fatalf("%s request: %v waiting, want %d", r.name, e.waitingRequests(t), i+1)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if a, w := dbtest.AppActivity(t, e.owner); a != 1 || w != 1 {
		t.Fatalf("while the first request holds the turn: %d statements of the service running (%d waiting for the lock), want 1 (1)", a, w)
	}
	release()
	for i, want := range order {
		var got admitted
		select {
		case got = <-out:
		case <-time.After(20 * time.Second):
			t.Fatalf("answer %d never came", i+1)
		}
		if got.name != want.name {
			t.Errorf("answer %d is the %s request's, want the %s request's", i+1, got.name, want.name)
		}
		if got.res.Status != http.StatusOK || len(got.res.Errors) > 0 {
			t.Errorf("%s request: %d %s", got.name, got.res.Status, got.res.Body)
			continue
		}
		assertJSON(t, got.res.Data, smallSummaries[got.viewer])
	}
	if w := e.waitingRequests(t); w != 0 {
		t.Errorf("afterwards %v requests waiting, want 0", w)
	}
	if n := metricValue(t, e.metrics(t), "flowlens_graphql_admission_wait_seconds_count") - waited; n != 4 {
		t.Errorf("admission waits recorded: %v, want 4", n)
	}
}

// A request whose deadline passes while it waits for its turn gets the
// deadline's usual answer, as if it had waited on the pool; the request
// holding the turn too. Then the turn is free again.
func TestAdmissionWaitEndsAtTheDeadline(t *testing.T) {
	e, lock := lockedEnvOn(t, 500*time.Millisecond, dbtest.DSN(t), nil, func(s *Settings) { s.MaxActiveRequests = 1 })
	release := lock()
	defer release()
	out := make(chan admitted, 2)
	e.sendHolding(t, "holder", small.AdminA, out)
	e.sendNamed(t, "waiter", small.AdminB, out)
	for range 2 {
		got := <-out
		if got.res.Status != http.StatusOK || len(got.res.Errors) == 0 || strings.Contains(string(got.res.Data), `"totalSessions"`) {
			t.Fatalf("%s request past its deadline: %d %s, want the deadline's error", got.name, got.res.Status, got.res.Body)
		}
		for _, er := range got.res.Errors {
			if er.Extensions["code"] != "INTERNAL_SERVER_ERROR" || !strings.Contains(er.Message, "took too long") {
				t.Errorf("%s request: error %+v, want INTERNAL_SERVER_ERROR saying it took too long", got.name, er)
			}
		}
	}
	release()
	for _, viewer := range []uuid.UUID{small.AdminA, small.AdminB} {
		r := e.query(t, viewer, small.SummaryQuery)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("after the lock: %d %s", r.Status, r.Body)
		}
		assertJSON(t, r.Data, smallSummaries[viewer])
	}
}

// The default bound, 4, serves more requests at once than it runs: four
// run (their statements wait for the lock), the others wait, for their
// turn or, in authentication, for one of the pool's four connections;
// none is refused.
func TestAdmissionDefaultServesConcurrentDashboards(t *testing.T) {
	if Defaults.MaxActiveRequests != 4 {
		t.Fatalf("default bound %d, want 4 (two thirds of the default pool's 6 connections)", Defaults.MaxActiveRequests)
	}
	e, lock := lockedEnvOn(t, 30*time.Second, dbtest.DSN(t), nil)
	waited := metricValue(t, e.metrics(t), "flowlens_graphql_admission_wait_seconds_count")
	release := lock()
	defer release()
	out := make(chan admitted, 12)
	for i := range 12 {
		viewer := []uuid.UUID{small.AdminA, small.AdminB}[i%2]
		e.sendNamed(t, "dashboard", viewer, out)
	}
	if !dbtest.WaitFor(5*time.Second, func() bool { _, w := dbtest.AppActivity(t, e.owner); return w == 4 }) {
		_, w := dbtest.AppActivity(t, e.owner)
		t.Fatalf("%d statements wait for the lock, want 4", w)
	}
	time.Sleep(200 * time.Millisecond)
	if a, w := dbtest.AppActivity(t, e.owner); a != 4 || w != 4 {
		t.Fatalf("%d statements running (%d waiting for the lock), want 4 (4)", a, w)
	}
	if n := e.waitingRequests(t); n < 1 {
		t.Errorf("%v requests waiting for their turn, want some", n)
	}
	release()
	for range 12 {
		got := <-out
		if got.res.Status != http.StatusOK || len(got.res.Errors) > 0 {
			t.Fatalf("%d %s", got.res.Status, got.res.Body)
		}
		assertJSON(t, got.res.Data, smallSummaries[got.viewer])
	}
	if n := metricValue(t, e.metrics(t), "flowlens_graphql_admission_wait_seconds_count") - waited; n != 12 {
		t.Errorf("admission waits recorded: %v, want 12", n)
	}
}
