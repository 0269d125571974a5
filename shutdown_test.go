package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/dbtest"
)

// TestGracefulShutdown (SECURITY.md §6) runs the real binary and sends it
// SIGTERM while a request is in flight (its statement waits for a lock the
// test holds): /readyz turns 503 while requests are still served, then new
// connections are refused, the in-flight request finishes with its data,
// the pool closes and the process exits 0 within 10 s.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	owner, dsn := dbtest.New(t)
	dbtest.LoadSmall(t, owner)
	name := dbtest.DatabaseName(t, dsn)
	if _, err := owner.Exec("ALTER ROLE flowlens_app IN DATABASE " + name + " SET lock_timeout = '30s'"); err != nil {
		t.Fatal(err)
	}
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	base := "http://" + addr
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(filteredEnv(),
		"DATABASE_URL="+dsn, "APP_DATABASE_URL="+dbtest.AppDSN(t, dsn), "ADDR="+addr, "METRICS_ADDR="+metricsAddr,
		"JWT_SECRET="+seedSecret, "FLOWLENS_ENV=production", "DRAIN_DELAY=1s")
	logs := newProcessLog(t)
	cmd.Stdout, cmd.Stderr = logs.file, logs.file
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	fresh := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	status := func(path string) int {
		res, err := fresh.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	if !dbtest.WaitFor(10*time.Second, func() bool { return status("/readyz") == 200 }) {
		t.Fatal("the server never became ready")
	}
	// The metrics are served on their own listener, not on the API's port.
	if res, err := fresh.Get("http://" + metricsAddr + "/metrics"); err != nil || res.StatusCode != 200 {
		t.Errorf("GET /metrics on METRICS_ADDR %s: %v %v", metricsAddr, res, err)
	} else {
		res.Body.Close()
	}
	if code := status("/metrics"); code != http.StatusNotFound {
		t.Errorf("GET /metrics on the API's port: %d, want 404", code)
	}

	tx, err := owner.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	inflight := make(chan inflightAnswer, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/query", strings.NewReader(`{"query":`+strconv.Quote(dbtest.Small.SummaryQuery)+`}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+mintToken(t, seedSecret, dbtest.Small.AdminA))
		res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			inflight <- inflightAnswer{Body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		inflight <- inflightAnswer{Status: res.StatusCode, Body: b.Bytes()}
	}()
	if !dbtest.WaitFor(5*time.Second, func() bool { _, w := dbtest.AppActivity(t, owner); return w > 0 }) {
		t.Fatal("the request's statement never waited for the lock")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	if !dbtest.WaitFor(900*time.Millisecond, func() bool { return status("/readyz") == http.StatusServiceUnavailable }) {
		t.Error("/readyz did not answer 503 while draining")
	}
	if !dbtest.WaitFor(5*time.Second, func() bool { return status("/healthz") == 0 }) {
		t.Fatal("new connections were still accepted after the drain delay")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a new connection after the drain: %v, want refused", err)
	}
	select {
	case err := <-exited:
		t.Fatalf("the server exited (%v) before its in-flight request finished", err)
	case r := <-inflight:
		t.Fatalf("the in-flight request ended before the lock was released: %d %s", r.Status, r.Body)
	default:
	}

	_ = tx.Rollback() // the in-flight statement gets its lock
	r := <-inflight
	if r.Status != 200 || !strings.Contains(string(r.Body), `"totalSessions":3`) || strings.Contains(string(r.Body), `"errors"`) {
		t.Fatalf("the in-flight request: %d %s", r.Status, r.Body)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v, want code 0", err)
		}
	case <-time.After(10*time.Second - time.Since(signalled)):
		t.Fatal("the server did not exit within 10 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "database pool closed") {
		t.Error("the log does not say the pool closed")
	}
	// The process has exited, so it opens nothing more; a backend leaves
	// pg_stat_activity only when it has finished exiting after the
	// client's goodbye, which a loaded machine may take a moment to do.
	var left int
	gone := dbtest.WaitFor(2*time.Second, func() bool {
		if err := owner.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = 'flowlens_app' AND datname = current_database()`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		return left == 0
	})
	if !gone {
		t.Errorf("%d connections of the service remain 2 s after exit", left)
	}
}

// buildBinary builds flowlens into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "flowlens")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// filteredEnv is the environment without the service's configuration.
func filteredEnv() []string {
	skip := map[string]bool{}
	for _, name := range envVars() {
		skip[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !skip[name] {
			env = append(env, kv)
		}
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// processLog is a process's output in a file of the test's own, which the
// test reads while the process writes.
type processLog struct{ file *os.File }

func newProcessLog(t *testing.T) processLog {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return processLog{file: f}
}

// String returns what the process has written so far.
func (l processLog) String() string {
	b, _ := os.ReadFile(l.file.Name())
	return string(b)
}

// inflightAnswer is the status and body of the request in flight.
type inflightAnswer struct {
	Status int
	Body   []byte
}

// mintToken returns a token of user id signed with secret.
func mintToken(t *testing.T, secret string, id uuid.UUID) string {
	t.Helper()
	tok, err := auth.Mint(secret, id, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
