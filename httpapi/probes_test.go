package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// probeServer serves the real application over the service pool db, which
// may be unreachable: the probes need no fixture.
func probeServer(t *testing.T, db *bun.DB) *httptest.Server {
	t.Helper()
	return newEnv(t, envOptions{serviceDB: db}).srv
}

func status(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestHealthzNeedsNoDatabase: /healthz answers 200 while the database is
// unreachable (nothing listens on port 1), and /readyz says 503.
func TestHealthzNeedsNoDatabase(t *testing.T) {
	db, err := store.Open("postgres://postgres@127.0.0.1:1/none?sslmode=disable", store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counter := &dbtest.Counter{}
	srv := probeServer(t, db.WithQueryHook(counter))
	if code, body := status(t, srv.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 \"ok\\n\"", code, body)
	}
	if counter.Count() != 0 {
		t.Errorf("/healthz ran %d statements", counter.Count())
	}
	if code, _ := status(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database unreachable: %d, want 503", code)
	}
}

// waitStatus polls url until it answers want or the limit passes.
func waitStatus(t *testing.T, url string, want int, limit time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if code, _ := status(t, url); code == want {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReadyzFollowsTheDatabase stops and starts a throwaway PostgreSQL
// under a running app: /readyz turns 503 while it is down and 200 again
// when it is back, without restarting the app; /healthz stays 200.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	db, err := store.Open(cluster.DSN("postgres"), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := probeServer(t, db)
	ready := srv.URL + "/readyz"

	if code, body := status(t, ready); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz with the database up: %d %q", code, body)
	}
	cluster.Stop()
	if !waitStatus(t, ready, http.StatusServiceUnavailable, 2*time.Second) {
		t.Fatal("/readyz did not turn 503 within 2 s of the database stopping")
	}
	if code, body := status(t, ready); code != http.StatusServiceUnavailable || body != "database unreachable\n" {
		t.Errorf("/readyz with the database down: %d %q", code, body)
	}
	if code, _ := status(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the database down: %d, want 200", code)
	}
	cluster.Start()
	if !waitStatus(t, ready, http.StatusOK, 10*time.Second) {
		t.Fatal("/readyz did not return to 200 after the database came back")
	}
}
