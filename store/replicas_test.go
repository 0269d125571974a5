package store

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// upRecorder is a ReadMetrics that keeps the replicas' up and down.
type upRecorder struct {
	noMetrics
	ups []bool
}

func (u *upRecorder) ReplicaUp(_ string, up bool) { u.ups = append(u.ups, up) }

// TestReplicaRotation: a replica that fails leaves rotation; the requests
// that find it failing at once count as one failure; after its pause one
// request (and only one) may check it; each failed check doubles the
// pause up to 8×Retry; a passed check puts it back with the pause reset.
func TestReplicaRotation(t *testing.T) {
	m := &upRecorder{}
	st := (&Store{}).WithReplicas([]Replica{{Name: "replica-1"}}, ReplicaOptions{Retry: time.Second, Metrics: m})
	rd := st.reads
	r := rd.replicas[0]
	now := time.Now()
	if ok, probe := r.claim(now); !ok || probe {
		t.Fatalf("a new replica: claim %v, probe %v; want in rotation", ok, probe)
	}
	pause := func() time.Duration { return r.retryAt.Sub(now).Round(time.Second) }

	r.replayed.Store(100)
	rd.fail(r)
	rd.fail(r) // another request, same moment
	if r.failures != 1 || pause() != time.Second || r.replayed.Load() != 0 {
		t.Fatalf("after one failure: %d failures, pause %v, replayed %d; want 1, 1s, 0", r.failures, pause(), r.replayed.Load())
	}
	if ok, _ := r.claim(now); ok {
		t.Fatal("claimed during its pause")
	}
	later := r.retryAt.Add(time.Millisecond)
	if ok, probe := r.claim(later); !ok || !probe {
		t.Fatalf("after the pause: claim %v, probe %v; want the check", ok, probe)
	}
	if ok, _ := r.claim(later); ok {
		t.Fatal("a second request checks it at the same time")
	}
	for want := 2 * time.Second; want <= 16*time.Second; want *= 2 {
		now = time.Now()
		rd.fail(r) // the check failed
		if got, cap := pause(), min(want, 8*time.Second); got != cap {
			t.Fatalf("after %d failures: pause %v, want %v", r.failures, got, cap)
		}
		if ok, probe := r.claim(r.retryAt.Add(time.Millisecond)); !ok || !probe {
			t.Fatal("no check after the pause")
		}
	}
	r.release(true) // a check that could not take place
	if ok, probe := r.claim(r.retryAt.Add(time.Millisecond)); !ok || !probe {
		t.Fatal("a released check is not due again")
	}
	rd.up(r)
	if ok, probe := r.claim(time.Now()); !ok || probe || r.failures != 0 {
		t.Fatalf("after a passed check: claim %v, probe %v, %d failures", ok, probe, r.failures)
	}
	if len(m.ups) != 3 || !m.ups[0] || m.ups[1] || !m.ups[2] {
		t.Errorf("up metric %v, want up, down, up", m.ups)
	}
}

// TestClassify: which failures of a replica's transaction go to the
// primary, why, and take the replica out of rotation.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err    error
		retry  bool
		reason string
		leave  bool
	}{
		{errStale{promoted: true}, true, FallbackPromoted, true},
		{errStale{}, true, FallbackLagging, true},
		{&pgError57P01, true, FallbackUnreachable, true},
		{&pgError57014, false, "", false},
		{&pgError40001, true, FallbackQueryError, false},
	} {
		retry, reason, leave := classify(c.err)
		if retry != c.retry || reason != c.reason || leave != c.leave {
			t.Errorf("%v: %v %q %v; want %v %q %v", c.err, retry, reason, leave, c.retry, c.reason, c.leave)
		}
	}
}

// PostgreSQL errors of the classification: the server shutting the
// connection down, a statement timeout, a conflict with recovery.
var (
	pgError57P01 = pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	pgError57014 = pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	pgError40001 = pgconn.PgError{Code: "40001", Message: "canceling statement due to conflict with recovery"}
)
