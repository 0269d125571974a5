package main

import (
	"flag"
	"net"
	"strings"
	"testing"
	"time"
)

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

// A JWT secret shorter than 32 bytes is refused with a message that says
// how long it is and must be; production needs one.
func TestSecretRules(t *testing.T) {
	for _, tc := range []struct {
		cfg     config
		wantErr string
	}{
		{config{JWTSecret: "short", Env: "development"}, "JWT_SECRET is 5 bytes long; it must be at least 32 bytes"},
		{config{JWTSecret: "", Env: "production"}, "JWT_SECRET is not set"},
		{config{JWTSecret: strings.Repeat("k", 32), Env: "production"}, ""},
		{config{JWTSecret: "", Env: "development"}, ""},
	} {
		_, err := tc.cfg.secret()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: got %v, want no error", tc.cfg, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.wantErr)
		}
	}
}

// The logged configuration never shows the secret or a password.
func TestConfigStringMasksSecrets(t *testing.T) {
	c := config{DatabaseURL: "postgres://owner:hunter2@db:5432/x", AppDatabaseURL: "postgres://flowlens_app:s3cret@db:5432/x", JWTSecret: strings.Repeat("z", 40),
		ReplicaURLs: "postgres://flowlens_app:r3plica1@r1:5432/x, postgres://flowlens_app:r3plica2@r2:5432/x"}
	s := c.String()
	if !strings.Contains(s, "REPLICA_DATABASE_URLS=postgres://flowlens_app:******@r1:5432/x,postgres://flowlens_app:******@r2:5432/x") {
		t.Errorf("config string %q does not show the masked replica addresses", s)
	}
	for _, leak := range []string{"hunter2", "s3cret", strings.Repeat("z", 40), "r3plica1", "r3plica2"} {
		if strings.Contains(s, leak) {
			t.Errorf("config string %q shows %q", s, leak)
		}
	}
	if !strings.Contains(s, "postgres://owner:******@db:5432/x") {
		t.Errorf("config string %q does not show the masked address", s)
	}
}

// The scale-out settings: defaults, values from the environment and
// flags, and a malformed value of each refused by name before anything
// connects (`flowlens serve` and `migrate` fail with it).
func TestScaleOutSettings(t *testing.T) {
	parse := func(env map[string]string, args ...string) (*config, []string, time.Duration, error) {
		t.Helper()
		for k, v := range env {
			t.Setenv(k, v)
		}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		c := bindConfig(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		urls, pool, wait, err := c.scaleOut()
		if err == nil && pool.ExecMode == "" {
			t.Errorf("no driver mode in the pool")
		}
		return c, urls, wait, err
	}
	const app = "postgres://flowlens_app@primary:5432/app"
	_, urls, wait, err := parse(map[string]string{"APP_DATABASE_URL": app})
	if err != nil || urls != nil || wait != 250*time.Millisecond {
		t.Errorf("defaults: %v, %v, %v; want no replica, a wait of 250ms", urls, wait, err)
	}
	_, urls, wait, err = parse(map[string]string{"APP_DATABASE_URL": app, "REPLICA_DATABASE_URLS": "postgres://flowlens_app@r1/app,postgres://flowlens_app@r2/app", "REPLICA_WAIT": "1s", "DB_QUERY_EXEC_MODE": "exec"})
	if err != nil || len(urls) != 2 || wait != time.Second {
		t.Errorf("from the environment: %v, %v, %v", urls, wait, err)
	}
	_, urls, wait, err = parse(map[string]string{"APP_DATABASE_URL": app}, "--replica-database-urls", "postgres://flowlens_app@r3/app", "--replica-wait", "0s", "--db-query-exec-mode", "simple_protocol")
	if err != nil || len(urls) != 1 || wait != 0 {
		t.Errorf("from flags: %v, %v, %v", urls, wait, err)
	}
	for name, c := range map[string]struct{ value, want string }{
		"REPLICA_DATABASE_URLS": {"postgres://flowlens_app:pw@r1:notaport/app", "REPLICA_DATABASE_URLS: address 1 is not a valid PostgreSQL address"},
		"REPLICA_WAIT":          {"soon", `REPLICA_WAIT "soon" is not a duration of 0 or more, such as 250ms`},
		"DB_QUERY_EXEC_MODE":    {"cache_statement", `DB_QUERY_EXEC_MODE "cache_statement" relies on statements prepared on the server`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, _, err := parse(map[string]string{"APP_DATABASE_URL": app, name: c.value})
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("%s=%s: %v; want %q", name, c.value, err, c.want)
			}
			if err := runMigrate([]string{"--database-url", "postgres://flowlens@127.0.0.1:1/x?sslmode=disable"}); err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("migrate with %s=%s: %v; want %q", name, c.value, err, c.want)
			}
		})
	}
	if _, _, _, err := parse(map[string]string{"APP_DATABASE_URL": app, "REPLICA_WAIT": "-1s"}); err == nil {
		t.Error("a negative REPLICA_WAIT was accepted")
	}
}
