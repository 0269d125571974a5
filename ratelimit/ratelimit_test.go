package ratelimit

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/models"
)

// clock is a hand-driven time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTest(rps float64, burst int) (*Limiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := New(rps, burst)
	l.now = c.now
	return l, c
}

func TestBurstThenRefill(t *testing.T) {
	l, c := newTest(2, 3) // 2 per second, 3 at once
	a := uuid.New()
	for i := 1; i <= 3; i++ {
		if ok, _ := l.Allow(a); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow(a)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request at once: ok=%v wait=%v, want refused, 500ms", ok, wait)
	}
	// A refused request takes nothing: after 500 ms exactly one token is back.
	c.advance(500 * time.Millisecond)
	if ok, _ := l.Allow(a); !ok {
		t.Fatal("after 500 ms one request is allowed")
	}
	if ok, _ := l.Allow(a); ok {
		t.Fatal("and only one")
	}
	c.advance(10 * time.Second) // refilled to the burst, not beyond
	for i := 1; i <= 3; i++ {
		if ok, _ := l.Allow(a); !ok {
			t.Fatalf("after a pause, request %d refused", i)
		}
	}
	if ok, _ := l.Allow(a); ok {
		t.Fatal("the bucket holds at most the burst")
	}
}

func TestUsersAreIndependent(t *testing.T) {
	l, _ := newTest(1, 2)
	a, b := uuid.New(), uuid.New()
	for i := 0; i < 100; i++ {
		l.Allow(a)
	}
	if ok, _ := l.Allow(a); ok {
		t.Fatal("a is over budget")
	}
	for i := 1; i <= 2; i++ {
		if ok, _ := l.Allow(b); !ok {
			t.Fatalf("b's request %d refused because of a's flood", i)
		}
	}
}

func TestIdleUsersAreDropped(t *testing.T) {
	l, c := newTest(20, 40) // refills in 2 s; kept at least a minute
	for i := 0; i < 1000; i++ {
		l.Allow(uuid.New())
	}
	if n := l.Users(); n != 1000 {
		t.Fatalf("%d buckets, want 1000", n)
	}
	active := uuid.New()
	c.advance(30 * time.Second)
	l.Allow(active)
	if n := l.Users(); n != 1001 {
		t.Fatalf("after 30 s: %d buckets, want 1001 (nobody idle for a minute yet)", n)
	}
	c.advance(40 * time.Second) // the 1000 idle 70 s, active 40 s
	l.Allow(uuid.New())
	if n := l.Users(); n != 2 {
		t.Fatalf("after 70 s: %d buckets, want 2 (the active user and the new one)", n)
	}
	// A dropped bucket was full: its user starts with the whole burst again.
	l2, c2 := newTest(1, 2)
	u := uuid.New()
	l2.Allow(u)
	l2.Allow(u)
	c2.advance(2 * time.Minute)
	l2.Allow(uuid.New()) // sweeps u
	for i := 1; i <= 2; i++ {
		if ok, _ := l2.Allow(u); !ok {
			t.Fatalf("returning user: request %d refused", i)
		}
	}
}

func TestAdmitRefusesWithRetryAfter(t *testing.T) {
	l, _ := newTest(0.5, 1) // one request per 2 s
	u := uuid.New()
	if err := l.Admit(u); err != nil {
		t.Fatalf("first request refused: %v", err)
	}
	err := l.Admit(u)
	if err == nil {
		t.Fatal("second request allowed")
	}
	if err.Code != models.CodeRateLimited || err.Extensions[RetryAfterExtension] != 2 || err.Message != "too many requests: retry after 2 s" {
		t.Fatalf("got %+v", err)
	}
}
