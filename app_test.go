package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/httpapi"
	"flowlens/store"
)

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
	app := httpapi.New(httpapi.Defaults, httpapi.Deps{DB: appDB, Verifier: auth.NewVerifier(seedSecret, "flowlens-test", "analytics"), Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)

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
