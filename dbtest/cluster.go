package dbtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a throwaway PostgreSQL server of one test, for tests that
// stop and start the database (outages, restarts) or replicate it (a
// streaming standby, NewStandby). It never touches the shared server of
// DATABASE_URL. The server binaries come from
// $FLOWLENS_PGBIN (scripts/db.sh sets it) or the Debian location of
// PostgreSQL 15; as root, initdb and pg_ctl run as the postgres user.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string // owned by the server's user; holds data/, the socket and the log
	port int
	as   []string // command prefix: runuser as postgres when root
	// settings are extra "-c name=value" settings of the server.
	settings []string
}

// NewCluster creates and starts a cluster in a temporary folder under
// /tmp, on a free loopback port; it is stopped and removed when the test
// ends. settings are extra server settings ("name=value"), after the
// defaults (fsync, synchronous_commit and full_page_writes off: the data
// is thrown away).
func NewCluster(t testing.TB, settings ...string) *Cluster {
	t.Helper()
	c := newCluster(t, settings)
	c.run(filepath.Join(c.bin, "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "-N")
	c.Start()
	return c
}

// newCluster prepares a cluster's folder and port, without data.
func newCluster(t testing.TB, settings []string) *Cluster {
	t.Helper()
	bin := os.Getenv("FLOWLENS_PGBIN")
	if bin == "" {
		bin = "/usr/lib/postgresql/15/bin"
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("PostgreSQL server binaries not found in %s (set FLOWLENS_PGBIN; scripts/db.sh does)", bin)
	}
	dir, err := os.MkdirTemp("/tmp", "flowlens-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, bin: bin, dir: dir, settings: settings}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			_ = c.pgctl("stop", "-m", "immediate")
		}
		_ = os.RemoveAll(dir)
	})
	c.as = asPostgres(t, dir)
	c.port = freePort(t)
	return c
}

// asPostgres returns the command prefix that runs a server's commands:
// as root, runuser as the postgres user, which then owns dir; else none.
func asPostgres(t testing.TB, dir string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal("running as root but there is no postgres user to run the server as")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return []string{"runuser", "-u", "postgres", "--"}
}

// NewStandby makes a streaming standby of c: pg_basebackup -R of the
// running cluster (loopback, the replication connection that initdb's
// trust rules allow), started on a port of its own as a hot standby with
// c's settings. It is stopped and removed when the test ends.
func (c *Cluster) NewStandby(t testing.TB) *Cluster {
	t.Helper()
	s := newCluster(t, c.settings)
	s.run(filepath.Join(c.bin, "pg_basebackup"), "-D", s.data(), "-R", "-X", "stream", "-c", "fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres")
	s.Start()
	return s
}

// Port returns the loopback port the server listens on.
func (c *Cluster) Port() int { return c.port }

// Bind makes the failures of c's methods fail t: a cluster shared by the
// subtests of one test reports to the one running.
func (c *Cluster) Bind(t testing.TB) { c.t = t }

// DSN returns the address of database name as the superuser postgres.
func (c *Cluster) DSN(name string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), Path: "/" + name, RawQuery: "sslmode=disable"}
	return u.String()
}

// Start starts the server (again) on its port and waits until it accepts
// connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=16MB", c.port, c.dir)
	for _, s := range c.settings {
		opts += " -c " + s
	}
	if err := c.pgctl("start", "-w", "-t", "30", "-l", filepath.Join(c.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("start the test cluster: %v\n%s", err, log)
	}
}

// Stop stops the server (fast shutdown: open connections are terminated)
// and waits until it is down.
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.pgctl("stop", "-w", "-m", "fast"); err != nil {
		c.t.Fatalf("stop the test cluster: %v", err)
	}
}

// Promote ends a standby's recovery: it becomes a primary of its own
// (pg_ctl promote, waiting until it accepts writes).
func (c *Cluster) Promote() {
	c.t.Helper()
	if err := c.pgctl("promote", "-w", "-t", "30"); err != nil {
		c.t.Fatalf("promote the standby: %v", err)
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) pgctl(args ...string) error {
	args = append([]string{filepath.Join(c.bin, "pg_ctl"), "-D", c.data()}, args...)
	return c.exec(args...)
}

func (c *Cluster) run(args ...string) {
	c.t.Helper()
	if err := c.exec(args...); err != nil {
		c.t.Fatalf("%s: %v", filepath.Base(args[0]), err)
	}
}

func (c *Cluster) exec(args ...string) error {
	args = append(append([]string{}, c.as...), args...)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
