package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"flowlens/dbtest"
	"flowlens/store"
)

// probeConfig returns the configuration of flags args, as `serve` would
// build it.
func probeConfig(t *testing.T, args ...string) *config {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg := bindConfig(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// probeServer serves the real handler of an app over db.
func probeServer(t *testing.T, cfg *config, secret string, db *bun.DB) *httptest.Server {
	t.Helper()
	a := newApp(cfg, secret, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
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
	srv := probeServer(t, probeConfig(t, "--env", "development"), seedSecret, db.WithQueryHook(counter))
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
	srv := probeServer(t, probeConfig(t, "--env", "development"), seedSecret, db)
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

// captureStdout runs fn with os.Stdout redirected and returns what it printed.
func captureStdout(t *testing.T, fn func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	ferr := fn()
	_ = w.Close()
	os.Stdout = old
	return <-done, ferr
}

type viewerResponse struct {
	Data struct {
		Viewer struct {
			ID          string  `json:"id"`
			Name        *string `json:"name"`
			AccountID   string  `json:"accountId"`
			IsTeamAdmin bool    `json:"isTeamAdmin"`
		} `json:"viewer"`
	} `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func queryViewer(t *testing.T, url, authorization string) (int, viewerResponse) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/query",
		strings.NewReader(`{"query":"{ viewer { id name accountId isTeamAdmin } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v viewerResponse
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return res.StatusCode, v
}

// TestTokenCommandIsAccepted: the token `flowlens token` prints (bare and
// as a header) is accepted by the server, and /query answers viewer for
// that user; a token of another secret, issuer or audience is not.
func TestTokenCommandIsAccepted(t *testing.T) {
	owner, dsn := dbtest.New(t)
	if _, err := runSeedCmd(t, dsn, "--sessions", "50"); err != nil {
		t.Fatal(err)
	}
	appDB, err := store.Open(dbtest.AppDSN(t, dsn), store.DefaultPool)
	if err != nil {
		t.Fatal(err)
	}
	defer appDB.Close()
	var want struct {
		ID, AccountID, Name string
	}
	if err := owner.QueryRowContext(context.Background(), "SELECT id::text, account_id::text, name FROM users WHERE email = 'engineer@acme.example'").
		Scan(&want.ID, &want.AccountID, &want.Name); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--database-url", dsn, "--jwt-secret", seedSecret, "--jwt-issuer", "flowlens-test", "--jwt-audience", "analytics"}
	srv := probeServer(t, probeConfig(t, append(flags, "--env", "development")...), seedSecret, appDB)

	bare, err := captureStdout(t, func() error { return runToken(append(flags, "--user", "engineer@acme.example")) })
	if err != nil {
		t.Fatalf("flowlens token: %v", err)
	}
	code, v := queryViewer(t, srv.URL, "Bearer "+strings.TrimSpace(bare))
	got := v.Data.Viewer
	if code != http.StatusOK || len(v.Errors) != 0 || got.ID != want.ID || got.AccountID != want.AccountID ||
		got.Name == nil || *got.Name != want.Name || got.IsTeamAdmin {
		t.Errorf("viewer with the engineer's token: %d %+v", code, v)
	}

	header, err := captureStdout(t, func() error {
		return runToken(append(flags, "--user", "admin@acme.example", "--header"))
	})
	if err != nil {
		t.Fatalf("flowlens token --header: %v", err)
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(header), &h); err != nil {
		t.Fatalf("--header printed %q: %v", header, err)
	}
	if code, v := queryViewer(t, srv.URL, h["Authorization"]); code != http.StatusOK || !v.Data.Viewer.IsTeamAdmin {
		t.Errorf("viewer with the admin's header: %d %+v", code, v)
	}

	for name, other := range map[string][]string{
		"secret":   {"--jwt-secret", "another-secret-of-at-least-32-bytes-xx"},
		"issuer":   {"--jwt-issuer", "someone-else"},
		"audience": {"--jwt-audience", "other"},
	} {
		tok, err := captureStdout(t, func() error {
			return runToken(append(append(flags, other...), "--user", "engineer@acme.example"))
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if code, v := queryViewer(t, srv.URL, "Bearer "+strings.TrimSpace(tok)); code != http.StatusUnauthorized ||
			len(v.Errors) != 1 || v.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
			t.Errorf("token of another %s: %d %+v, want 401 UNAUTHENTICATED", name, code, v)
		}
	}
}
