// Package ratelimit bounds how often each user may call the API: one token
// bucket per user (golang.org/x/time/rate), refilled at a steady rate up to
// a burst. A user over their budget gets HTTP 429 with Retry-After; other
// users' buckets are untouched, so one tenant's flood does not slow
// another's requests. Buckets of users idle long enough to have refilled
// are dropped, so memory follows the number of recently active users.
package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"flowlens/models"
)

// minIdle is the shortest time a bucket is kept after its last use.
const minIdle = time.Minute

// Limiter holds the token buckets of the users.
type Limiter struct {
	rate  rate.Limit
	burst int
	idle  time.Duration // a bucket unused this long is full again: dropping it loses nothing
	now   func() time.Time

	mu    sync.Mutex
	users map[uuid.UUID]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// New returns a Limiter granting each user perSecond requests per second
// on average and up to burst at once. perSecond must be positive and
// burst at least 1.
func New(perSecond float64, burst int) *Limiter {
	burst = max(burst, 1)
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &Limiter{
		rate:  rate.Limit(perSecond),
		burst: burst,
		idle:  max(refill, minIdle),
		now:   time.Now,
		users: map[uuid.UUID]*bucket{},
	}
}

// Allow takes a token from the bucket of user id. When the bucket is empty
// it takes nothing and returns how long until a token is available.
func (l *Limiter) Allow(id uuid.UUID) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.users[id]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.users[id] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops, at most once per idle period, the buckets unused for that
// long. Callers hold l.mu.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < l.idle {
		return
	}
	for id, b := range l.users {
		if now.Sub(b.last) >= l.idle {
			delete(l.users, id)
		}
	}
	l.swept = now
}

// Users returns how many buckets the limiter holds.
func (l *Limiter) Users() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.users)
}

// Admit takes a token from the bucket of user id, or returns the
// RATE_LIMITED error of a refused request, whose retryAfterSeconds
// extension says in whole seconds (at least 1) when a token is available.
func (l *Limiter) Admit(id uuid.UUID) *models.Error {
	ok, wait := l.Allow(id)
	if ok {
		return nil
	}
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	return &models.Error{
		Code:       models.CodeRateLimited,
		Message:    fmt.Sprintf("too many requests: retry after %d s", secs),
		Extensions: map[string]any{RetryAfterExtension: secs},
	}
}

// RetryAfterExtension is the extensions entry of a RATE_LIMITED error that
// holds the seconds to wait (also sent as the Retry-After header).
const RetryAfterExtension = "retryAfterSeconds"
