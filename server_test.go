package main

import (
	"flag"
	"net"
	"strings"
	"testing"

	"flowlens/httpapi"
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
	c := config{DatabaseURL: "postgres://owner:hunter2@db:5432/x", AppDatabaseURL: "postgres://flowlens_app:s3cret@db:5432/x", JWTSecret: strings.Repeat("z", 40)}
	s := c.String()
	for _, leak := range []string{"hunter2", "s3cret", strings.Repeat("z", 40)} {
		if strings.Contains(s, leak) {
			t.Errorf("config string %q shows %q", s, leak)
		}
	}
	if !strings.Contains(s, "postgres://owner:******@db:5432/x") {
		t.Errorf("config string %q does not show the masked address", s)
	}
}

// TestServiceSettingsHaveTheDefaults: without any variable or flag, serve
// runs with every default of the application's settings, those without a
// variable of their own (the field limit) included.
func TestServiceSettingsHaveTheDefaults(t *testing.T) {
	for _, name := range envVars() {
		t.Setenv(name, "")
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := bindConfig(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := serviceSettings(cfg).Limits; got != httpapi.Defaults.Limits {
		t.Errorf("serve's limits %+v, want the defaults %+v", got, httpapi.Defaults.Limits)
	}
}
