package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/httpapi"
	"flowlens/store"
)

// Tests of the subcommands and of the built binary: errors of serve and
// migrate, graceful shutdown, the token, bench, seed and rollups commands
// (the seed's loader is tested in package demo).

// An unreachable database is one line that names host and port, and the
// command fails.
func TestUnreachableDatabaseIsOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more

	err = runMigrate([]string{"--database-url", "postgres://flowlens@" + addr + "/flowlens?sslmode=disable&connect_timeout=2"})
	if err == nil {
		t.Fatal("migrate against a closed port succeeded")
	}
	msg := err.Error()
	want := "cannot reach PostgreSQL at " + addr + ": "
	if !strings.HasPrefix(msg, want) {
		t.Errorf("got %q, want it to start with %q", msg, want)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("got %q, want one line", msg)
	}
	if !strings.Contains(msg, "refused") {
		t.Errorf("got %q, want the network error (connection refused)", msg)
	}
}

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

// TestBenchQuick runs `flowlens bench --quick` end to end on a tiny data
// set in a database of its own: data set build, service through the HTTP
// handler, original and floor baselines (whose numbers must equal the
// service's, or the bench fails), cost curve, statements by limit, memory
// and a short load run. It asserts nothing about timings.
func TestBenchQuick(t *testing.T) {
	name := dbtest.UnusedName(t, "flowlens_test_bench_")

	run := func(flags ...string) string {
		var out bytes.Buffer
		err := benchCmd(context.Background(), append([]string{"--quick", "--db", name, "--load", "2s", "--clients", "4", "--explain"}, flags...), &out)
		if err != nil {
			t.Fatalf("bench --quick: %v\n%s", err, out.String())
		}
		return out.String()
	}
	out := run()
	for _, want := range []string{"data set: ready", "team 90d", "flow 7d", "Flow paths: busiest tree", "all four in one request", "Cost curve", "limit 50", "Memory per flowAnalytics", "flow paths:", "EXPLAIN (ANALYZE, BUFFERS)", "Load: 4 clients", "cross-tenant answers 0", "Drill-down pages of", "totalCount of each list", "CSV export of every session", "peak heap"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A second run reuses the complete data set; its load run is the
	// large tenant's dashboards only.
	out = run("--load-large")
	if !strings.Contains(out, "data set: reusing database "+name) {
		t.Errorf("second run did not reuse the data set:\n%s", out)
	}
	if !strings.Contains(out, "distinct queries over the large tenant only") || !strings.Contains(out, "cross-tenant answers 0") {
		t.Errorf("--load-large: no load run over the large tenant alone:\n%s", out)
	}
}

// TestBenchQuickReplica runs `flowlens bench --quick` against a throwaway
// primary with a streaming standby given as REPLICA_DATABASE_URLS: the
// replica part checks that the replica's answers equal the primary's and
// prints both latencies, the added latency and the freshness check (p50,
// p99) for the idle primary and under writes. No timing is asserted.
func TestBenchQuickReplica(t *testing.T) {
	primary := dbtest.NewCluster(t, "synchronous_commit=on")
	standby := primary.NewStandby(t)
	var out bytes.Buffer
	err := benchCmd(context.Background(), []string{"--quick", "--db", "flowlens_bench_replica", "--skip", "latencies,original,curve,limits,memory",
		"--database-url", primary.DSN("postgres"), "--app-database-url", dbtest.AppDSN(t, primary.DSN("postgres")),
		"--replica-database-urls", dbtest.AppDSN(t, standby.DSN("postgres")), "--replica-runs", "3"}, &out)
	if err != nil {
		t.Fatalf("bench --quick with a replica: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"Replica reads: ", "REPLICA_WAIT 250ms", "added p50", "check99", "idle primary", "50 commits/s", "50 async commits/s"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// Every row says how many reads went to the replica; with the primary
	// idle, the check never waits past REPLICA_WAIT, so some did.
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "idle primary") {
			rows++
			if strings.Contains(line, "| 0 of ") {
				t.Errorf("no read on the replica with the primary idle: %s", line)
			}
		}
	}
	if rows != 4 {
		t.Errorf("%d rows for the idle primary, want 4:\n%s", rows, text)
	}
}

// seedSecret signs the tokens of the seed tests.
const seedSecret = "flowlens-seed-test-secret-0123456789abcdef"

// seedAnchor fixes the time span of seeded data.
const seedAnchor = "2026-03-01T12:00:00Z"

// runSeedCmd runs `flowlens seed` against dsn with small sizes and the
// fixed anchor, then args; it returns stdout and the error.
func runSeedCmd(t *testing.T, dsn string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	base := []string{"--database-url", dsn, "--jwt-secret", seedSecret, "--jwt-issuer", "", "--jwt-audience", "",
		"--addr", "127.0.0.1:9999", "--anchor", seedAnchor, "--sessions", "2000", "--batch", "700"}
	err := seed(context.Background(), append(base, args...), &out, &errOut)
	return out.String(), err
}

// TestSeedPrintsHeaders: seed ends with the Playground address and
// Authorization headers of the demo team admin and engineer, which the
// server's verifier accepts.
func TestSeedPrintsHeaders(t *testing.T) {
	db, dsn := dbtest.New(t)
	out, err := runSeedCmd(t, dsn, "--sessions", "100")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Playground: http://127.0.0.1:9999/\n") {
		t.Errorf("output lacks the Playground address:\n%s", out)
	}
	headers := regexp.MustCompile(`(?m)^(Team admin|Engineer) (\S+) \(Acme Support\):\n(\{.*\})$`).FindAllStringSubmatch(out, -1)
	if len(headers) != 2 {
		t.Fatalf("want two headers, got output:\n%s", out)
	}
	verifier := auth.NewVerifier(seedSecret, "", "")
	for i, h := range headers {
		wantEmail := []string{"admin@acme.example", "engineer@acme.example"}[i]
		if h[2] != wantEmail {
			t.Errorf("header %d is for %s, want %s", i, h[2], wantEmail)
		}
		var hdr map[string]string
		if err := json.Unmarshal([]byte(h[3]), &hdr); err != nil {
			t.Fatalf("header %q is not JSON: %v", h[3], err)
		}
		id, err := verifier.Verify(strings.TrimPrefix(hdr["Authorization"], "Bearer "))
		if err != nil {
			t.Fatalf("the printed token of %s: %v", h[2], err)
		}
		var email string
		var admin bool
		if err := db.QueryRowContext(context.Background(), "SELECT email, is_team_admin FROM users WHERE id = ?", id).Scan(&email, &admin); err != nil {
			t.Fatal(err)
		}
		if email != wantEmail || admin != (i == 0) {
			t.Errorf("token %d names %s (team admin %v)", i, email, admin)
		}
	}
}

func TestPlaygroundURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080/",
		"0.0.0.0:8080":   "http://localhost:8080/",
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"[::1]:9000":     "http://[::1]:9000/",
		"example:80":     "http://example:80/",
	} {
		if got := playgroundURL(addr); got != want {
			t.Errorf("playgroundURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

// runRollupsCmd runs `flowlens rollups args...` against dsn.
func runRollupsCmd(t *testing.T, dsn string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := rollupsCmd(context.Background(), append(args, "--database-url", dsn), &out, &errOut)
	return out.String(), err
}

// TestRollupsCommand: after `flowlens seed`, `flowlens rollups verify`
// finds every figure equal to the raw computation; a rollup row changed
// by hand makes it fail naming that row (a session count, then a
// duration count of a tier); `rollups rebuild` repairs it;
// `rollups fold` folds what the triggers appended; --from and --to bound
// it, and a malformed one is named.
func TestRollupsCommand(t *testing.T) {
	db, dsn := dbtest.New(t)
	if _, err := runSeedCmd(t, dsn, "--accounts", "2", "--trees", "3", "--engineers", "3", "--sessions", "500"); err != nil {
		t.Fatal(err)
	}
	if out, err := runRollupsCmd(t, dsn, "verify"); err != nil || !strings.Contains(out, "every figure equals the raw computation") {
		t.Fatalf("verify after seed: %v\n%s", err, out)
	}
	if _, err := db.Exec("UPDATE rollup_counts SET completed = completed + 1 WHERE ctid = (SELECT ctid FROM rollup_counts WHERE lvl = 5 AND tree_id IS NULL AND user_id IS NULL LIMIT 1)"); err != nil {
		t.Fatal(err)
	}
	_, err := runRollupsCmd(t, dsn, "verify")
	var diff *store.Difference
	if !errors.As(err, &diff) || !strings.Contains(diff.What, "rollup_counts") || !strings.Contains(diff.What, `"lvl":5`) {
		t.Fatalf("verify after a rollup row was changed: %v, want a difference naming that rollup_counts row", err)
	}
	// vacuums returns how often each rollup table was vacuumed by hand
	// (vacuum_count; migrations 0038 and 0040 vacuum rollup_durations).
	vacuums := func() map[string]int {
		counts := map[string]int{}
		for _, table := range store.RollupTables {
			var n int
			if err := db.QueryRow(`SELECT coalesce((SELECT vacuum_count FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname = ?), 0)`, table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			counts[table] = n
		}
		return counts
	}
	before := vacuums()
	if out, err := runRollupsCmd(t, dsn, "rebuild"); err != nil || !strings.Contains(out, "rollups rebuilt") || !strings.Contains(out, "rollups vacuumed") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	// Then vacuumed, each rollup table once.
	after := vacuums()
	for _, table := range store.RollupTables {
		if after[table] != before[table]+1 {
			t.Errorf("%s vacuumed %d times before the rebuild, %d after; want %d", table, before[table], after[table], before[table]+1)
		}
	}
	if _, err := runRollupsCmd(t, dsn, "verify"); err != nil {
		t.Fatalf("verify after rebuild: %v", err)
	}
	// A duration count of the coarsest tier (migration 0037) changed.
	if _, err := db.Exec("UPDATE rollup_durations SET n = n + 1 WHERE ctid = (SELECT ctid FROM rollup_durations WHERE res = 8 AND lvl = 3 AND tree_id IS NOT NULL LIMIT 1)"); err != nil {
		t.Fatal(err)
	}
	_, err = runRollupsCmd(t, dsn, "verify")
	if !errors.As(err, &diff) || !strings.Contains(diff.What, "rollup_durations") || !strings.Contains(diff.What, `"res":8`) || !strings.Contains(diff.What, `"lvl":3`) {
		t.Fatalf("verify after a duration row was changed: %v, want a difference naming that rollup_durations row", err)
	}
	if _, err := runRollupsCmd(t, dsn, "rebuild"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO session_ratings (tree_id, rating) SELECT id, 3 FROM trees LIMIT 1"); err != nil {
		t.Fatal(err)
	}
	if out, err := runRollupsCmd(t, dsn, "fold"); err != nil || !strings.Contains(out, "folded 1 delta rows") {
		t.Fatalf("fold: %v\n%s", err, out)
	}
	if _, err := runRollupsCmd(t, dsn, "verify", "--from", "2026-01-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z"); err != nil {
		t.Fatalf("verify after fold: %v", err)
	}
	if _, err := runRollupsCmd(t, dsn, "verify", "--from", "nope"); err == nil || !strings.Contains(err.Error(), "--from") {
		t.Errorf("verify --from nope: %v, want an error naming --from", err)
	}
}
