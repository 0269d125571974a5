package dbtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncerPath is where the tests find PgBouncer: Debian's package
// (scripts/test installs it when missing).
const PgBouncerPath = "/usr/sbin/pgbouncer"

// PgBouncer is a throwaway PgBouncer of one test in transaction pooling
// mode, in front of one PostgreSQL server: every database name a client
// asks for is the server's database of that name, logged into as the
// client's user without a password (the test servers trust loopback).
type PgBouncer struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
}

// NewPgBouncer starts a PgBouncer on a free loopback port in front of the
// server at 127.0.0.1:serverPort, with at most poolSize server
// connections per database and user; it is stopped when the test ends.
// The users postgres and flowlens_app may connect; postgres may also use
// the admin console (database pgbouncer).
func NewPgBouncer(t testing.TB, serverPort, poolSize int) *PgBouncer {
	t.Helper()
	if _, err := os.Stat(PgBouncerPath); err != nil {
		t.Fatalf("PgBouncer is not installed at %s: scripts/test installs Debian's pgbouncer package (as root: apt-get install -y pgbouncer)", PgBouncerPath)
	}
	dir, err := os.MkdirTemp("/tmp", "flowlens-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	b := &PgBouncer{t: t, dir: dir, port: freePort(t)}
	ini := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = postgres
pool_mode = transaction
default_pool_size = %d
max_client_conn = 500
logfile = %s
pidfile = %s
`, serverPort, b.port, filepath.Join(dir, "users.txt"), poolSize, filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	for name, content := range map[string]string{"pgbouncer.ini": ini, "users.txt": "\"postgres\" \"\"\n\"flowlens_app\" \"\"\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root: it switches to postgres.
		asPostgres(t, dir)
		args = append([]string{"-u", "postgres"}, args...)
	}
	b.cmd = exec.Command(PgBouncerPath, args...)
	b.cmd.Dir = dir
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start PgBouncer: %v", err)
	}
	t.Cleanup(b.stop)
	if !WaitFor(10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", b.addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		t.Fatalf("PgBouncer did not listen on %s:\n%s", b.addr(), log)
	}
	return b
}

func (b *PgBouncer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)) }

// Log returns PgBouncer's log so far.
func (b *PgBouncer) Log() string {
	log, _ := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log"))
	return string(log)
}

// stop ends PgBouncer at once (SIGTERM: immediate shutdown).
func (b *PgBouncer) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

// Port returns the loopback port PgBouncer listens on.
func (b *PgBouncer) Port() int { return b.port }

// Via returns dsn (an address of PgBouncer's server) going through
// PgBouncer instead: same user and database, PgBouncer's host and port.
func (b *PgBouncer) Via(dsn string) string {
	b.t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		b.t.Fatalf("DSN is not a URL: %v", err)
	}
	u.Host = b.addr()
	return u.String()
}

// Admin runs a command of PgBouncer's admin console (PAUSE, RESUME, SHOW
// POOLS, ...) and returns its rows as text.
func (b *PgBouncer) Admin(command string) [][]string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig("postgres://postgres@" + b.addr() + "/pgbouncer?sslmode=disable")
	if err != nil {
		b.t.Fatal(err)
	}
	// The console speaks only the simple protocol.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		b.t.Fatalf("PgBouncer's admin console: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, command)
	if err != nil {
		b.t.Fatalf("PgBouncer %s: %v", command, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := rows.RawValues()
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = string(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil && !strings.Contains(err.Error(), "no rows") {
		b.t.Fatalf("PgBouncer %s: %v", command, err)
	}
	return out
}
