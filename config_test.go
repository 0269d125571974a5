package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/dbtest"
	"flowlens/graph"
	"flowlens/httpapi"
	"flowlens/store"
)

// The configuration table (config.go): every setting is read from the
// environment and its flag, validated, masked, documented; a malformed
// value stops the command with exit status 2 (SECURITY.md §8).

// lookupIn is an environment made of vars.
func lookupIn(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// malformedValues holds, for every variable of the table, values the
// service must refuse. A new variable without a case fails
// TestConfigRefusesMalformedValues.
var malformedValues = map[string][]string{
	"DATABASE_URL":                  {"garbage", "postgres://owner:hunter2@db:99999/x", "postgres://db/x?sslmode=bogus", "http://db/x"},
	"APP_DATABASE_URL":              {"postgres://flowlens_app:s3cret@db:port/x", "flowlens_app@db"},
	"JWT_SECRET":                    {"short", strings.Repeat("k", 31)},
	"JWT_ISSUER":                    {"https://auth.example/\n", " https://auth.example/", "iss\x00"},
	"JWT_AUDIENCE":                  {"analytics ", "ana\tlytics"},
	"JWT_MAX_LIFETIME":              {"30d", "720", "-1h"},
	"ADDR":                          {"8080", "localhost", ":99999", ":http", "127.0.0.1:-1"},
	"METRICS_ADDR":                  {"9090", "localhost", ":99999"},
	"FLOWLENS_ENV":                  {"Production", "PRODUCTION", "prod", "staging", " production", "production ", "production\n", "dev", "Development"},
	"DB_MAX_OPEN_CONNS":             {"0", "-3", "six", "2.5"},
	"MAX_ACTIVE_REQUESTS":           {"-1", "Auto", "four", "2.5", "auto "},
	"REQUEST_TIMEOUT":               {"10", "0s", "0", "-1s", "ten seconds"},
	"PLAYGROUND_TOKEN":              {"Bearer aaa.bbb.ccc", "not-a-token", "a.b"},
	"SLOW_REQUEST_THRESHOLD":        {"1", "0s", "-5ms"},
	"MAX_BODY_BYTES":                {"-1", "1MB", "1e6"},
	"MAX_TOKENS":                    {"-1", "5k"},
	"MAX_FIELDS":                    {"-1", "2,000", "2e3"},
	"MAX_DEPTH":                     {"-1", "ten", "1.5"},
	"MAX_ALIASES":                   {"-1", "x"},
	"MAX_COMPLEXITY":                {"-1", "1,000"},
	"MAX_ERRORS":                    {"-1", "20 "},
	"RATE_LIMIT_RPS":                {"abc", "-1", "NaN", "Inf", "20/s"},
	"RATE_LIMIT_BURST":              {"0", "-1", "forty"},
	"DRAIN_DELAY":                   {"1", "-1s"},
	"SHUTDOWN_TIMEOUT":              {"8", "0s"},
	"FLOWLENS_DEV_ALLOW_RLS_BYPASS": {"yes", "1", "TRUE", "on"},
	"REPLICA_DATABASE_URLS":         {"postgres://flowlens_app:s3cret@r1:port/x", "postgres://flowlens_app@r1/x,,postgres://flowlens_app@r2/x", "postgres://flowlens_app@r1/x,", "garbage"},
	"REPLICA_WAIT":                  {"250", "-1s", "soon"},
	"DB_QUERY_EXEC_MODE":            {"cache_statement", "cache_describe", "describe_exec", "EXEC", "simple", " exec"},
}

// secretsOf lists the parts of a malformed value that no message may show.
var secretsOf = map[string]string{
	"postgres://owner:hunter2@db:99999/x":      "hunter2",
	"postgres://flowlens_app:s3cret@db:port/x": "s3cret",
	"postgres://flowlens_app:s3cret@r1:port/x": "s3cret",
	"short":                 "short",
	strings.Repeat("k", 31): strings.Repeat("k", 31),
	"Bearer aaa.bbb.ccc":    "aaa.bbb.ccc",
	"not-a-token":           "not-a-token",
}

// Every variable of the table, malformed, in the environment or as its
// flag, is refused with a configError (exit status 2) whose one line
// names the variable (and the flag) and what it expects, and never shows a
// secret.
func TestConfigRefusesMalformedValues(t *testing.T) {
	for _, s := range settings {
		values, ok := malformedValues[s.env]
		if !ok || len(values) == 0 {
			t.Errorf("%s has no malformed-value case in malformedValues", s.env)
			continue
		}
		for _, v := range values {
			for _, viaFlag := range []bool{false, true} {
				env, args := map[string]string{s.env: v}, []string(nil)
				prefix := s.env + "="
				if viaFlag {
					env, args = nil, []string{"--" + s.flag + "=" + v}
					prefix = "--" + s.flag + "="
				}
				_, err := loadConfig(lookupIn(env), args)
				if err == nil {
					t.Errorf("%s %q (flag %v): accepted", s.env, v, viaFlag)
					continue
				}
				msg := err.Error()
				if exitCode(err) != 2 {
					t.Errorf("%s %q: exit code %d, want 2 (%v)", s.env, v, exitCode(err), err)
				}
				if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, ": expects "+s.expects) ||
					(viaFlag && !strings.Contains(msg, "("+s.env+")")) || strings.Contains(msg, "\n") {
					t.Errorf("%s %q (flag %v): message %q, want one line starting %q, naming %s and saying it expects %q", s.env, v, viaFlag, msg, prefix, s.env, s.expects)
				}
				if leak, ok := secretsOf[v]; ok && strings.Contains(msg, leak) {
					t.Errorf("%s: message %q shows %q", s.env, msg, leak)
				}
			}
		}
	}
	for name := range malformedValues {
		if !slices.Contains(envVars(), name) {
			t.Errorf("malformedValues has %s, which is not in the table", name)
		}
	}
}

// The messages of the examples, word for word.
func TestConfigMalformedMessages(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"RATE_LIMIT_RPS": "abc"}, nil, `RATE_LIMIT_RPS="abc": expects a number of requests per second ≥ 0`},
		{nil, []string{"--rate-limit-rps", "abc"}, `--rate-limit-rps="abc" (RATE_LIMIT_RPS): expects a number of requests per second ≥ 0`},
		{map[string]string{"REQUEST_TIMEOUT": "10"}, nil, `REQUEST_TIMEOUT="10": expects a duration > 0 with its unit, such as 10s or 1m30s`},
		{map[string]string{"MAX_DEPTH": "-1"}, nil, `MAX_DEPTH="-1": expects a whole number ≥ 0 (0: no limit)`},
		{map[string]string{"DB_MAX_OPEN_CONNS": "-3"}, nil, `DB_MAX_OPEN_CONNS="-3": expects a whole number of connections ≥ 1`},
		{map[string]string{"FLOWLENS_ENV": " production"}, nil, `FLOWLENS_ENV=" production": expects development or production, exactly so (lower case, no spaces)`},
		{nil, []string{"--env", "Production"}, `--env="Production" (FLOWLENS_ENV): expects development or production, exactly so (lower case, no spaces)`},
		{map[string]string{"JWT_SECRET": "short"}, nil, `JWT_SECRET=(hidden, 5 bytes): expects the main application's HS256 secret, at least 32 bytes`},
		{map[string]string{"DATABASE_URL": "postgres://owner@db:99999/x"}, nil,
			`DATABASE_URL="postgres://owner@db:99999/x": expects a PostgreSQL address such as postgres://user:password@host:5432/dbname (invalid port)`},
		{map[string]string{"DATABASE_URL": "postgres://owner:hunter2@db:99999/x"}, nil,
			`DATABASE_URL="postgres://owner:******@db:99999/x": expects a PostgreSQL address such as postgres://user:password@host:5432/dbname`},
		{map[string]string{"APP_DATABASE_URL": "host=db password=hunter2 port=x"}, nil,
			`APP_DATABASE_URL=(hidden, 31 bytes): expects a PostgreSQL address such as postgres://flowlens_app:password@host:5432/dbname`},
		// The first malformed value is the one reported, the environment's
		// before the flags'.
		{map[string]string{"MAX_DEPTH": "x", "MAX_ALIASES": "y"}, []string{"--max-errors", "z"}, `MAX_DEPTH="x": expects a whole number ≥ 0 (0: no limit)`},
		// A malformed variable is refused even when its flag overrides it.
		{map[string]string{"MAX_DEPTH": "x"}, []string{"--max-depth", "3"}, `MAX_DEPTH="x": expects a whole number ≥ 0 (0: no limit)`},
		{nil, []string{"--no-such-flag"}, `flag provided but not defined: -no-such-flag`},
	} {
		_, err := loadConfig(lookupIn(tc.env), tc.args)
		if err == nil || err.Error() != tc.want || exitCode(err) != 2 {
			t.Errorf("env %v args %v: got %v (exit %d), want %q (exit 2)", tc.env, tc.args, err, exitCode(err), tc.want)
		}
	}
}

// validValues holds, for every variable of the table, a valid value other
// than the default and the field it must give.
var validValues = map[string]struct {
	text string
	want any
	get  func(*config) any
}{
	"DATABASE_URL":                  {"postgres://owner:pw@db:5433/flowlens?sslmode=require", "postgres://owner:pw@db:5433/flowlens?sslmode=require", func(c *config) any { return c.DatabaseURL }},
	"APP_DATABASE_URL":              {"host=db port=5433 user=flowlens_app dbname=flowlens", "host=db port=5433 user=flowlens_app dbname=flowlens", func(c *config) any { return c.AppDatabaseURL }},
	"JWT_SECRET":                    {strings.Repeat("x", 32), strings.Repeat("x", 32), func(c *config) any { return c.JWTSecret }},
	"JWT_ISSUER":                    {"https://auth.example/", "https://auth.example/", func(c *config) any { return c.JWTIssuer }},
	"JWT_AUDIENCE":                  {"analytics api", "analytics api", func(c *config) any { return c.JWTAudience }},
	"JWT_MAX_LIFETIME":              {"0", time.Duration(0), func(c *config) any { return c.JWTMaxLifetime }},
	"ADDR":                          {"[::1]:9000", "[::1]:9000", func(c *config) any { return c.Addr }},
	"METRICS_ADDR":                  {"0.0.0.0:9100", "0.0.0.0:9100", func(c *config) any { return c.MetricsAddr }},
	"FLOWLENS_ENV":                  {"production", "production", func(c *config) any { return c.Env }},
	"DB_MAX_OPEN_CONNS":             {"12", 12, func(c *config) any { return c.MaxOpenConns }},
	"MAX_ACTIVE_REQUESTS":           {"7", 7, func(c *config) any { return c.MaxActiveRequests }},
	"REQUEST_TIMEOUT":               {"1m30s", 90 * time.Second, func(c *config) any { return c.RequestTimeout }},
	"PLAYGROUND_TOKEN":              {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_", func(c *config) any { return c.PlaygroundToken }},
	"SLOW_REQUEST_THRESHOLD":        {"250ms", 250 * time.Millisecond, func(c *config) any { return c.SlowRequestThreshold }},
	"MAX_BODY_BYTES":                {"0", int64(0), func(c *config) any { return c.MaxBodyBytes }},
	"MAX_TOKENS":                    {"99", 99, func(c *config) any { return c.MaxTokens }},
	"MAX_FIELDS":                    {"500", 500, func(c *config) any { return c.MaxFields }},
	"MAX_DEPTH":                     {"4", 4, func(c *config) any { return c.MaxDepth }},
	"MAX_ALIASES":                   {"0", 0, func(c *config) any { return c.MaxAliases }},
	"MAX_COMPLEXITY":                {"50", 50, func(c *config) any { return c.MaxComplexity }},
	"MAX_ERRORS":                    {"5", 5, func(c *config) any { return c.MaxErrors }},
	"RATE_LIMIT_RPS":                {"2.5", 2.5, func(c *config) any { return c.RateLimitRPS }},
	"RATE_LIMIT_BURST":              {"7", 7, func(c *config) any { return c.RateLimitBurst }},
	"DRAIN_DELAY":                   {"0", time.Duration(0), func(c *config) any { return c.DrainDelay }},
	"SHUTDOWN_TIMEOUT":              {"2s", 2 * time.Second, func(c *config) any { return c.ShutdownTimeout }},
	"FLOWLENS_DEV_ALLOW_RLS_BYPASS": {"true", true, func(c *config) any { return c.DevAllowRLSBypass }},
	"REPLICA_DATABASE_URLS":         {"postgres://flowlens_app@r1/x,postgres://flowlens_app@r2:5433,r3/x", "postgres://flowlens_app@r1/x,postgres://flowlens_app@r2:5433,r3/x", func(c *config) any { return c.ReplicaURLs }},
	"REPLICA_WAIT":                  {"0s", time.Duration(0), func(c *config) any { return c.ReplicaWait }},
	"DB_QUERY_EXEC_MODE":            {"exec", "exec", func(c *config) any { return c.QueryExecMode }},
}

// Every variable of the table, valid, sets its own field and no other,
// from the environment and from its flag.
func TestConfigParsesValidValues(t *testing.T) {
	defaults, err := loadConfig(lookupIn(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		tc, ok := validValues[s.env]
		if !ok {
			t.Errorf("%s has no case in validValues", s.env)
			continue
		}
		if tc.get(defaults) == tc.want {
			t.Errorf("%s: the valid case %q is the default; choose another value", s.env, tc.text)
		}
		for _, viaFlag := range []bool{false, true} {
			env, args := map[string]string{s.env: tc.text}, []string(nil)
			if viaFlag {
				env, args = nil, []string{"--" + s.flag, tc.text}
			}
			c, err := loadConfig(lookupIn(env), args)
			if err != nil {
				t.Errorf("%s %q (flag %v): %v", s.env, tc.text, viaFlag, err)
				continue
			}
			if got := tc.get(c); got != tc.want {
				t.Errorf("%s %q (flag %v): field is %#v, want %#v", s.env, tc.text, viaFlag, got, tc.want)
			}
			for _, other := range settings {
				if o := validValues[other.env]; other.env != s.env && o.get != nil && o.get(c) != o.get(defaults) {
					t.Errorf("%s %q also changed %s", s.env, tc.text, other.env)
				}
			}
		}
	}
}

// With nothing set, every field has its documented default.
func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(lookupIn(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		Addr:        ":8080", MetricsAddr: "127.0.0.1:9090", Env: "development", MaxOpenConns: 6, MaxActiveRequests: autoActive, JWTMaxLifetime: 30 * 24 * time.Hour,
		RequestTimeout: 10 * time.Second, SlowRequestThreshold: time.Second,
		MaxBodyBytes: 1 << 20, MaxTokens: 5000, MaxFields: 2000, MaxDepth: 10, MaxAliases: 15, MaxComplexity: graph.DefaultStatementBudget, MaxErrors: 20,
		RateLimitRPS: 20, RateLimitBurst: 40, DrainDelay: time.Second, ShutdownTimeout: 8 * time.Second,
		ReplicaWait: 250 * time.Millisecond, QueryExecMode: "simple_protocol",
	}
	if *c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

// With nothing set, the application runs with httpapi.Defaults (in
// development): a setting of the application that the table forgets to
// pass on would be zero, which turns a limit off.
func TestAppSettingsDefaults(t *testing.T) {
	c, err := loadConfig(lookupIn(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := httpapi.Defaults
	want.Development = true
	if got := c.appSettings(); got != want {
		t.Errorf("application settings:\n got %+v\nwant %+v", got, want)
	}
}

// The configuration's verifier applies JWT_MAX_LIFETIME: 30 days by
// default, none at 0.
func TestConfigVerifier(t *testing.T) {
	long, err := auth.Mint(strings.Repeat("s", 32), uuid.MustParse("a0000000-0000-4000-8000-000000000001"), 40*24*time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for lifetime, ok := range map[string]bool{"": false, "0": true, "1000h": true, "1h": false} {
		env := map[string]string{}
		if lifetime != "" {
			env["JWT_MAX_LIFETIME"] = lifetime
		}
		c, err := loadConfig(lookupIn(env), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.verifier(strings.Repeat("s", 32)).Verify(long); (err == nil) != ok {
			t.Errorf("JWT_MAX_LIFETIME=%q, a 40-day token: %v, want accepted=%v", lifetime, err, ok)
		}
	}
}

// The flag wins over the variable; an empty variable is unset; an empty
// flag is the default.
func TestConfigPrecedence(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		args  []string
		depth int
	}{
		{map[string]string{"MAX_DEPTH": "4"}, nil, 4},
		{map[string]string{"MAX_DEPTH": "4"}, []string{"--max-depth", "3"}, 3},
		{map[string]string{"MAX_DEPTH": "4"}, []string{"-max-depth=2"}, 2},
		{map[string]string{"MAX_DEPTH": ""}, nil, 10},
		{map[string]string{"MAX_DEPTH": "4"}, []string{"--max-depth="}, 10},
	} {
		c, err := loadConfig(lookupIn(tc.env), tc.args)
		if err != nil || c.MaxDepth != tc.depth {
			t.Errorf("env %v args %v: depth %v, %v; want %d", tc.env, tc.args, c, err, tc.depth)
		}
	}
	// The development flag is a boolean flag: given alone it is true.
	if c, err := loadConfig(lookupIn(nil), []string{"--dev-allow-rls-bypass"}); err != nil || !c.DevAllowRLSBypass {
		t.Errorf("--dev-allow-rls-bypass: %v", err)
	}
	// FLOWLENS_ENV unset or empty is development; the two values are kept.
	for env, want := range map[string]string{"": "development", "development": "development", "production": "production"} {
		c, err := loadConfig(lookupIn(map[string]string{"FLOWLENS_ENV": env}), nil)
		if err != nil || c.Env != want || c.production() != (want == "production") {
			t.Errorf("FLOWLENS_ENV=%q: %+v, %v", env, c, err)
		}
	}
}

// There is no built-in secret: a missing or short JWT secret is refused
// in every environment.
func TestSecretRules(t *testing.T) {
	for _, tc := range []struct {
		cfg     config
		wantErr string
	}{
		{config{JWTSecret: "short", Env: "development"}, "JWT_SECRET is 5 bytes long; it must be at least 32 bytes"},
		{config{JWTSecret: "", Env: "production"}, "JWT_SECRET is not set"},
		{config{JWTSecret: "", Env: "development"}, "JWT_SECRET is not set"},
		{config{JWTSecret: strings.Repeat("k", 31), Env: "production"}, "JWT_SECRET is 31 bytes long; it must be at least 32 bytes"},
		{config{JWTSecret: strings.Repeat("k", 32), Env: "production"}, ""},
		{config{JWTSecret: strings.Repeat("k", 32), Env: "development"}, ""},
	} {
		got, err := tc.cfg.secret()
		switch {
		case tc.wantErr == "" && (err != nil || got != tc.cfg.JWTSecret):
			t.Errorf("%+v: got %q, %v; want the secret", tc.cfg, got, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err) != 2):
			t.Errorf("%+v: got %v, want %q (exit 2)", tc.cfg, err, tc.wantErr)
		}
	}
}

// A role that bypasses row-level security is refused unless the
// development flag allows it, and the flag allows it only outside
// production on a loopback address.
func TestCheckRLSBypass(t *testing.T) {
	for _, tc := range []struct {
		bypass, allow bool
		env, addr     string
		app           string
		wantErr       string
	}{
		{false, false, "production", ":8080", "postgres://flowlens_app@db/x", ""},
		{false, true, "production", ":8080", "", ""},
		{true, false, "development", "127.0.0.1:8080", "", "the database role of db:5432 (DATABASE_URL, as APP_DATABASE_URL is unset) is superuser or has BYPASSRLS"},
		{true, false, "development", "127.0.0.1:8080", "postgres://postgres@db/x", "db:5432 (APP_DATABASE_URL) is superuser or has BYPASSRLS, so row-level security would not confine the service: set APP_DATABASE_URL to the service's own role flowlens_app"},
		{true, false, "production", "127.0.0.1:8080", "", "FLOWLENS_DEV_ALLOW_RLS_BYPASS=true allows it"},
		{true, true, "production", "127.0.0.1:8080", "", "FLOWLENS_DEV_ALLOW_RLS_BYPASS is a development flag and FLOWLENS_ENV=production refuses it"},
		{true, true, "development", ":8080", "", `FLOWLENS_DEV_ALLOW_RLS_BYPASS allows it only on a loopback address (127.0.0.1, ::1, localhost), and ADDR is ":8080"`},
		{true, true, "development", "0.0.0.0:8080", "", "only on a loopback address"},
		{true, true, "development", "192.168.1.4:8080", "", "only on a loopback address"},
		{true, true, "development", "127.0.0.1:8080", "", ""},
		{true, true, "development", "localhost:8080", "", ""},
		{true, true, "development", "[::1]:8080", "", ""},
	} {
		c := config{DatabaseURL: "postgres://postgres@db/x", AppDatabaseURL: tc.app, Env: tc.env, Addr: tc.addr, DevAllowRLSBypass: tc.allow}
		err := c.checkRLSBypass(tc.bypass, "db:5432")
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v, want no error", tc, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err) != 2):
			t.Errorf("%+v: %v, want %q (exit 2)", tc, err, tc.wantErr)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:80": true, "[::1]:8080": true, "localhost:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.1:8080": false,
		"example.com:8080": false, "localhost.example.com:8080": false, "127.0.0.1": false, "": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// The logged configuration has every variable of the table and never
// shows a secret, a token or a password, in any form of address.
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

	loaded, err := loadConfig(lookupIn(map[string]string{
		"DATABASE_URL":     "postgres://owner@db:5432/x?sslmode=require&password=pa55word&sslpassword=keypass",
		"APP_DATABASE_URL": "host=db user=flowlens_app password='it\\'s long' dbname=x",
		"JWT_SECRET":       strings.Repeat("q", 33),
		"PLAYGROUND_TOKEN": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
		"JWT_ISSUER":       "https://auth.example/",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	s = loaded.String()
	for _, leak := range []string{"pa55word", "keypass", "long", strings.Repeat("q", 33), "c2lnbmF0dXJl", "eyJzdWIiOiJ4In0"} {
		if strings.Contains(s, leak) {
			t.Errorf("config string %q shows %q", s, leak)
		}
	}
	for _, want := range []string{
		"DATABASE_URL=postgres://owner@db:5432/x?sslmode=require&password=******&sslpassword=******",
		`APP_DATABASE_URL="host=db user=flowlens_app password=****** dbname=x"`,
		"JWT_SECRET=******(length=33) ", "PLAYGROUND_TOKEN=******(length=49) ", "JWT_ISSUER=https://auth.example/",
		"FLOWLENS_ENV=development", "RATE_LIMIT_RPS=20 ", "REQUEST_TIMEOUT=10s ", "FLOWLENS_DEV_ALLOW_RLS_BYPASS=false",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("config string %q lacks %q", s, want)
		}
	}
	for _, name := range envVars() {
		if !strings.Contains(s, name+"=") {
			t.Errorf("config string lacks %s", name)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5432/d":                   "postgres://u:******@h:5432/d",
		"postgresql://u:p%40ss@h/d?sslmode=disable": "postgresql://u:******@h/d?sslmode=disable",
		"postgres://u:a@b@h/d":                      "postgres://u:******@h/d",
		"postgres://u@h/d?x=1&Password=p":           "postgres://u@h/d?x=1&Password=******",
		"postgres://h/d?email=a@b.c":                "postgres://h/d?email=a@b.c",
		"postgres://u@h1:5432,h2:5433/d":            "postgres://u@h1:5432,h2:5433/d",
		"host=h password=secret user=u":             "host=h password=****** user=u",
		"host=h password = 'a b\\' c' user=u":       "host=h password = ****** user=u",
		"":                                          "",
	} {
		if got := maskURL(in); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// The scale-out settings reach where they act: the pool's driver mode, the
// application's replica wait, the replica addresses, which must connect as
// the service's role (serve and bench refuse another, exit status 2);
// the startup line masks every replica's password.
func TestReplicaSettings(t *testing.T) {
	const app = "postgres://flowlens_app:pw@primary:5432/x"
	c, err := loadConfig(lookupIn(map[string]string{"APP_DATABASE_URL": app, "REPLICA_WAIT": "1s", "DB_QUERY_EXEC_MODE": "exec",
		"REPLICA_DATABASE_URLS": "postgres://flowlens_app:r3plica1@r1:5432/x, postgres://flowlens_app:r3plica2@r2:5432,r3:5433/x"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.pool(); p.ExecMode != store.ExecExtended || p.MaxOpen != 6 {
		t.Errorf("pool %+v: want exec mode, 6 connections", p)
	}
	if w := c.appSettings().ReplicaWait; w != time.Second {
		t.Errorf("the application's replica wait is %v, want 1s", w)
	}
	urls, err := c.replicas()
	if err != nil || len(urls) != 2 || urls[1] != "postgres://flowlens_app:r3plica2@r2:5432,r3:5433/x" {
		t.Errorf("replicas: %q, %v", urls, err)
	}
	s := c.String()
	if !strings.Contains(s, "REPLICA_DATABASE_URLS=postgres://flowlens_app:******@r1:5432/x,postgres://flowlens_app:******@r2:5432,r3:5433/x ") ||
		strings.Contains(s, "r3plica") || !strings.Contains(s, "REPLICA_WAIT=1s DB_QUERY_EXEC_MODE=exec") {
		t.Errorf("config string %q", s)
	}
	if d, err := loadConfig(lookupIn(nil), nil); err != nil || d.pool().ExecMode != store.ExecSimpleProtocol {
		t.Errorf("default pool mode: %v", err)
	}
	c, err = loadConfig(lookupIn(map[string]string{"APP_DATABASE_URL": app, "REPLICA_DATABASE_URLS": "postgres://postgres:r3plica1@r1:5432/x"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.replicas()
	want := `REPLICA_DATABASE_URLS: address 1 (r1:5432) connects as "postgres", not as the service's role "flowlens_app": a standby has the primary's roles, use the same one`
	if err == nil || err.Error() != want || exitCode(err) != 2 {
		t.Errorf("a replica as another role: %v (exit %d), want %q (exit 2)", err, exitCode(err), want)
	}
}

// The README's configuration table is the table of config.go.
func TestREADMEConfigTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| variable | flag | default | accepts | meaning |\n|---|---|---|---|---|\n")
	for _, s := range settings {
		def := "(unset)"
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | %s | %s | %s |\n", s.env, s.flag, def, s.expects, s.meaning)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), b.String()) {
		t.Errorf("README.md's configuration table differs from config.go's; it should read:\n\n%s", b.String())
	}
}

// serveEnv is the environment of a flowlens process: none of the
// service's configuration but vars.
// The metrics listener takes a free port, so that processes of tests
// running at once do not contend for the default one.
func serveEnv(vars ...string) []string {
	return append(append(filteredEnv(), "METRICS_ADDR=127.0.0.1:0"), vars...)
}

// runFlowlens runs the binary to its end and returns its exit code and
// standard error.
func runFlowlens(t *testing.T, bin string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	}
	t.Fatalf("run %v: %v", args, err)
	return 0, ""
}

// The real binary stops with exit status 2 and one line naming the
// variable on a malformed value, an unknown FLOWLENS_ENV or a missing
// secret, in serve and the other commands that read the configuration.
func TestBinaryRefusesBadConfiguration(t *testing.T) {
	bin := buildBinary(t)
	secret := "JWT_SECRET=" + strings.Repeat("s", 32)
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"RATE_LIMIT_RPS=abc", secret}, []string{"serve"},
			"flowlens serve: RATE_LIMIT_RPS=\"abc\": expects a number of requests per second ≥ 0\n"},
		{[]string{secret}, []string{"serve", "--rate-limit-rps", "abc"},
			"flowlens serve: --rate-limit-rps=\"abc\" (RATE_LIMIT_RPS): expects a number of requests per second ≥ 0\n"},
		{[]string{"REQUEST_TIMEOUT=10", secret}, []string{"serve"},
			"flowlens serve: REQUEST_TIMEOUT=\"10\": expects a duration > 0 with its unit, such as 10s or 1m30s\n"},
		{[]string{"MAX_DEPTH=-1"}, []string{"migrate"},
			"flowlens migrate: MAX_DEPTH=\"-1\": expects a whole number ≥ 0 (0: no limit)\n"},
		{[]string{"DB_MAX_OPEN_CONNS=-2"}, []string{"seed"},
			"flowlens seed: DB_MAX_OPEN_CONNS=\"-2\": expects a whole number of connections ≥ 1\n"},
		{[]string{"FLOWLENS_ENV=staging"}, []string{"token", "--user", "x@example.com"},
			"flowlens token: FLOWLENS_ENV=\"staging\": expects development or production, exactly so (lower case, no spaces)\n"},
		{[]string{"ADDR=8080"}, []string{"bench"},
			"flowlens bench: ADDR=\"8080\": expects a listen address host:port, such as :8080 or 127.0.0.1:8080\n"},
		{[]string{"FLOWLENS_ENV=Production", secret}, []string{"serve"},
			"flowlens serve: FLOWLENS_ENV=\"Production\": expects development or production, exactly so (lower case, no spaces)\n"},
		{[]string{"FLOWLENS_ENV=production"}, []string{"serve"},
			"flowlens serve: JWT_SECRET is not set: give the main application's HS256 secret (at least 32 bytes) in JWT_SECRET or --jwt-secret; flowlens has no built-in secret\n"},
		{nil, []string{"serve"}, "flowlens serve: JWT_SECRET is not set: "},
		{nil, []string{"token", "--user", "admin@acme.example"}, "flowlens token: JWT_SECRET is not set: "},
		// Tokens the service would refuse are not minted.
		{[]string{secret}, []string{"token", "--user", "x@example.com", "--ttl", "800h"},
			"flowlens token: --ttl 800h0m0s is longer than JWT_MAX_LIFETIME (720h0m0s): the service would refuse the token\n"},
		{[]string{secret, "JWT_MAX_LIFETIME=1h"}, []string{"seed", "--token-ttl", "2h"},
			"flowlens seed: --token-ttl 2h0m0s is longer than JWT_MAX_LIFETIME (1h0m0s): the service would refuse the token\n"},
	} {
		code, stderr := runFlowlens(t, bin, serveEnv(tc.env...), tc.args...)
		if code != 2 || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v flowlens %v: exit %d, stderr %q; want exit 2 and %q", tc.env, tc.args, code, stderr, tc.want)
		}
	}
	// Every unknown environment stops serve.
	for _, env := range malformedValues["FLOWLENS_ENV"] {
		code, stderr := runFlowlens(t, bin, serveEnv("FLOWLENS_ENV="+env, secret), "serve")
		if code != 2 || !strings.Contains(stderr, "FLOWLENS_ENV=") || !strings.Contains(stderr, "development or production") {
			t.Errorf("FLOWLENS_ENV=%q: exit %d, %q; want exit 2 naming FLOWLENS_ENV and the two values", env, code, stderr)
		}
	}
}

// serve on a role that bypasses row-level security (the owner, a
// superuser) refuses to start (exit 2) without the development flag, with
// it on an address that is not loopback, and with it in production; with
// it on a loopback address in development it serves, with a warning.
func TestServeRefusesRLSBypass(t *testing.T) {
	bin := buildBinary(t)
	_, owner := dbtest.New(t)
	base := []string{"DATABASE_URL=" + owner, "JWT_SECRET=" + strings.Repeat("s", 32)}
	loop := freeAddr(t)
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"ADDR=" + loop}, "is superuser or has BYPASSRLS, so row-level security would not confine the service: set APP_DATABASE_URL to the service's own role flowlens_app"},
		{[]string{"ADDR=" + loop, "FLOWLENS_DEV_ALLOW_RLS_BYPASS=false"}, "only for development on a loopback address, FLOWLENS_DEV_ALLOW_RLS_BYPASS=true allows it"},
		{[]string{"ADDR=:8080", "FLOWLENS_DEV_ALLOW_RLS_BYPASS=true"}, `allows it only on a loopback address (127.0.0.1, ::1, localhost), and ADDR is ":8080"`},
		{[]string{"ADDR=0.0.0.0:8080", "FLOWLENS_DEV_ALLOW_RLS_BYPASS=true"}, `and ADDR is "0.0.0.0:8080"`},
		{[]string{"ADDR=" + loop, "FLOWLENS_DEV_ALLOW_RLS_BYPASS=true", "FLOWLENS_ENV=production"}, "FLOWLENS_ENV=production refuses it"},
		{[]string{"APP_DATABASE_URL=" + owner, "ADDR=" + loop}, "(APP_DATABASE_URL) is superuser or has BYPASSRLS"},
	} {
		code, stderr := runFlowlens(t, bin, serveEnv(append(base, tc.env...)...), "serve")
		last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		if code != 2 || !strings.HasPrefix(last, "flowlens serve: the database role of ") || !strings.Contains(last, tc.want) {
			t.Errorf("%v: exit %d, last line %q; want exit 2 and %q", tc.env, code, last, tc.want)
		}
	}
	// The same refusal through the flag.
	code, stderr := runFlowlens(t, bin, serveEnv(base...), "serve", "--addr", ":8080", "--dev-allow-rls-bypass")
	if code != 2 || !strings.Contains(stderr, "only on a loopback address") {
		t.Errorf("--dev-allow-rls-bypass on :8080: exit %d, %q", code, stderr)
	}

	// Allowed: development, loopback, the flag.
	cmd := exec.Command(bin, "serve", "--dev-allow-rls-bypass")
	cmd.Env = serveEnv(append(base, "ADDR="+loop, "DRAIN_DELAY=0s")...)
	logs := newProcessLog(t)
	cmd.Stdout, cmd.Stderr = logs.file, logs.file
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	ready := false
	for end := time.Now().Add(10 * time.Second); !ready && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get("http://" + loop + "/readyz"); err == nil {
			res.Body.Close()
			ready = res.StatusCode == http.StatusOK
		}
	}
	if !ready {
		t.Fatalf("serve with the development flag on %s never became ready:\n%s", loop, logs.String())
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"DEVELOPMENT ONLY: FLOWLENS_DEV_ALLOW_RLS_BYPASS=true and the database role bypasses row-level security`) {
		t.Errorf("no warning in the log:\n%s", logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Error("serve did not exit after SIGTERM")
	}
}

// The variables every other place relies on are in the table.
func TestEnvVarsListsTheConfiguration(t *testing.T) {
	vars := envVars()
	for _, want := range []string{"DATABASE_URL", "APP_DATABASE_URL", "JWT_SECRET", "ADDR", "FLOWLENS_ENV", "PLAYGROUND_TOKEN", "SLOW_REQUEST_THRESHOLD", "FLOWLENS_DEV_ALLOW_RLS_BYPASS"} {
		if !slices.Contains(vars, want) {
			t.Errorf("envVars() lacks %s: %v", want, vars)
		}
	}
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.env] || seen["--"+s.flag] {
			t.Errorf("%s / --%s appears twice in the table", s.env, s.flag)
		}
		seen[s.env], seen["--"+s.flag] = true, true
	}
}

// composeFile is the part of docker-compose.yml the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string         `yaml:"image"`
	Build       any            `yaml:"build"`
	Environment any            `yaml:"environment"` // a map or a list of NAME=value
	DependsOn   map[string]any `yaml:"depends_on"`
	Ports       []string       `yaml:"ports"`
	User        string         `yaml:"user"`
	Entrypoint  []string       `yaml:"entrypoint"`
	Volumes     []string       `yaml:"volumes"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// env returns the service's environment as a map, whichever form it has.
func (s composeService) env(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch e := s.Environment.(type) {
	case map[string]any:
		for k, v := range e {
			out[k] = strings.TrimSpace(strings.Trim(toString(v), `"`))
		}
	case []any:
		for _, item := range e {
			k, v, _ := strings.Cut(toString(item), "=")
			out[k] = v
		}
	case nil:
	default:
		t.Fatalf("environment has the unexpected form %T", e)
	}
	return out
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	return readComposeFile(t, "docker-compose.yml")
}

func readComposeFile(t *testing.T, name string) composeFile {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// Every variable docker-compose.yml sets for flowlens is one the binary
// reads, and the values it relies on are ones the binary accepts.
func TestComposeEnvironmentIsKnownToTheBinary(t *testing.T) {
	c := readCompose(t)
	svc, ok := c.Services["flowlens"]
	if !ok {
		t.Fatal("docker-compose.yml has no flowlens service")
	}
	env := svc.env(t)
	known := envVars()
	for name := range env {
		if !slices.Contains(known, name) {
			t.Errorf("docker-compose.yml sets %s, which flowlens does not read (it reads %v)", name, known)
		}
	}
	for _, want := range []string{"DATABASE_URL", "APP_DATABASE_URL", "JWT_SECRET", "ADDR"} {
		if env[want] == "" {
			t.Errorf("docker-compose.yml does not set %s", want)
		}
	}
	// JWT_SECRET: the operator's own, required (${JWT_SECRET:?message});
	// the file carries no default secret.
	if !regexp.MustCompile(`^\$\{JWT_SECRET:\?[^}]+\}$`).MatchString(env["JWT_SECRET"]) {
		t.Errorf("docker-compose.yml sets JWT_SECRET to %q; want ${JWT_SECRET:?…}: the operator's own secret, no default", env["JWT_SECRET"])
	}
	// The binary accepts every value the file sets (the secret as the
	// operator would give it).
	vals := map[string]string{}
	for k, v := range env {
		vals[k] = v
	}
	vals["JWT_SECRET"] = strings.Repeat("s", minSecretLen)
	if _, err := loadConfig(lookupIn(vals), nil); err != nil {
		t.Errorf("flowlens refuses the Compose environment: %v", err)
	}
	if env["FLOWLENS_ENV"] != "development" && env["FLOWLENS_ENV"] != "production" {
		t.Errorf("FLOWLENS_ENV %q", env["FLOWLENS_ENV"])
	}
	for _, name := range []string{"DATABASE_URL", "APP_DATABASE_URL"} {
		if !strings.Contains(env[name], "@db:5432/flowlens") {
			t.Errorf("%s %q does not point at the db service's flowlens database", name, env[name])
		}
	}
	if !strings.HasPrefix(env["APP_DATABASE_URL"], "postgres://flowlens_app:") {
		t.Errorf("APP_DATABASE_URL must use the service's role flowlens_app")
	}
}

func TestComposeServicesAndHealthChecks(t *testing.T) {
	c := readCompose(t)
	db, app := c.Services["db"], c.Services["flowlens"]
	if db.Image != "postgres:15" {
		t.Errorf("db image %q, want postgres:15", db.Image)
	}
	if !strings.Contains(strings.Join(db.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("db health check %v", db.Healthcheck.Test)
	}
	if app.Build == nil {
		t.Error("flowlens is not built from the repository")
	}
	dep, _ := app.DependsOn["db"].(map[string]any)
	if dep["condition"] != "service_healthy" {
		t.Errorf("flowlens depends_on db: %v, want condition service_healthy", app.DependsOn)
	}
	if hc := strings.Join(app.Healthcheck.Test, " "); !strings.Contains(hc, "http://127.0.0.1:8080/readyz") {
		t.Errorf("flowlens health check %q does not ask /readyz", hc)
	}
	if !slices.Contains(app.Ports, "8080:8080") || app.env(t)["ADDR"] != ":8080" {
		t.Errorf("port %v and ADDR %q disagree", app.Ports, app.env(t)["ADDR"])
	}
	// The initdb folder it mounts creates the service's role as migration
	// 0004 would, plus a password.
	var initdb string
	for _, v := range db.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.HasPrefix(dst, "/docker-entrypoint-initdb.d") {
			initdb = src
		}
	}
	sql, err := os.ReadFile(strings.TrimPrefix(initdb, "./") + "/01-flowlens-app-role.sql")
	if err != nil {
		t.Fatalf("initdb script: %v", err)
	}
	migration, err := os.ReadFile("store/migrations/20260101000004_row_level_security.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	const attrs = "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT"
	if !strings.Contains(string(sql), attrs) || !strings.Contains(string(migration), attrs) {
		t.Errorf("the Compose role and migration 0004 disagree on flowlens_app's attributes (%s)", attrs)
	}
}

// The image's entrypoint migrates, seeds on the first start and serves.
func TestDockerfileEntrypoint(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(df), "COPY docker/entrypoint.sh ") {
		t.Fatal("the Dockerfile does not install docker/entrypoint.sh")
	}
	sh, err := os.ReadFile("docker/entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	s := string(sh)
	im, is, iv := strings.Index(s, "flowlens migrate"), strings.Index(s, "flowlens seed"), strings.Index(s, "exec flowlens serve")
	if im < 0 || is < im || iv < is {
		t.Errorf("entrypoint must run migrate, seed, then serve:\n%s", s)
	}
}

// docker-compose.scale.yml adds a streaming standby and PgBouncer on top
// of docker-compose.yml (which stays two services) and points flowlens at
// them, with values the binary accepts; the pieces it refers to agree:
// the replication role and pg_hba line, the standby's pg_basebackup -R,
// PgBouncer's package, pooling mode, port, databases and user list.
func TestComposeScaleOut(t *testing.T) {
	base := readCompose(t)
	if len(base.Services) != 2 {
		t.Errorf("docker-compose.yml has %d services; the default stays db and flowlens", len(base.Services))
	}
	c := readComposeFile(t, "docker-compose.scale.yml")
	standby, bouncer, app := c.Services["db-standby"], c.Services["pgbouncer"], c.Services["flowlens"]
	if standby.Image != base.Services["db"].Image {
		t.Errorf("standby image %q, primary %q: a standby runs the primary's major version", standby.Image, base.Services["db"].Image)
	}
	for name, s := range map[string]composeService{"db-standby": standby, "pgbouncer": bouncer} {
		if dep, _ := s.DependsOn["db"].(map[string]any); dep["condition"] != "service_healthy" {
			t.Errorf("%s depends_on db: %v", name, s.DependsOn)
		}
		if len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	if dep, _ := app.DependsOn["pgbouncer"].(map[string]any); dep["condition"] != "service_healthy" {
		t.Errorf("flowlens depends_on pgbouncer: %v", app.DependsOn)
	}
	if _, ok := c.Volumes["standbydata"]; !ok {
		t.Error("no volume for the standby's data")
	}

	// The standby copies db as the replication role docker/initdb creates.
	script := ""
	for _, v := range standby.Volumes {
		if src, dst, _ := strings.Cut(v, ":"); strings.TrimSuffix(dst, ":ro") == standby.Entrypoint[len(standby.Entrypoint)-1] {
			script = strings.TrimPrefix(src, "./")
		}
	}
	sh, err := os.ReadFile(script)
	if err != nil {
		t.Fatalf("the standby's entrypoint %v is not a mounted script: %v", standby.Entrypoint, err)
	}
	for _, want := range []string{"pg_basebackup -h db -p 5432 -U replicator", " -R ", "exec postgres -c hot_standby=on"} {
		if !strings.Contains(string(sh), want) {
			t.Errorf("%s lacks %q", script, want)
		}
	}
	repl, err := os.ReadFile("docker/initdb/02-replication.sh")
	if err != nil {
		t.Fatal(err)
	}
	pw := standby.env(t)["PGPASSWORD"]
	if !strings.Contains(string(repl), "CREATE ROLE replicator LOGIN REPLICATION PASSWORD '"+pw+"'") || !strings.Contains(string(repl), "host replication replicator all scram-sha-256") {
		t.Errorf("docker/initdb/02-replication.sh does not create the role and pg_hba line the standby uses (password %q)", pw)
	}
	if standby.User != "postgres" {
		t.Errorf("the standby runs as %q; PostgreSQL refuses root", standby.User)
	}

	// PgBouncer: Debian's package, transaction pooling, the databases and
	// user the service's addresses name.
	df, err := os.ReadFile("docker/pgbouncer/Dockerfile")
	if err != nil || !strings.Contains(string(df), "FROM debian:bookworm") || !strings.Contains(string(df), "apt-get install -y --no-install-recommends pgbouncer") {
		t.Errorf("docker/pgbouncer/Dockerfile does not install Debian 12's pgbouncer (%v)", err)
	}
	if bouncer.Build != "./docker/pgbouncer" {
		t.Errorf("pgbouncer is built from %v", bouncer.Build)
	}
	ini, err := os.ReadFile("docker/pgbouncer/pgbouncer.ini")
	if err != nil {
		t.Fatal(err)
	}
	conf := map[string]string{}
	for _, line := range strings.Split(string(ini), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(strings.TrimSpace(line), ";") {
			conf[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if conf["pool_mode"] != "transaction" {
		t.Errorf("pool_mode = %q, want transaction", conf["pool_mode"])
	}
	users, _ := os.ReadFile("docker/pgbouncer/userlist.txt")
	env := app.env(t)
	known := envVars()
	for name := range env {
		if !slices.Contains(known, name) {
			t.Errorf("docker-compose.scale.yml sets %s, which flowlens does not read", name)
		}
	}
	vals := map[string]string{"JWT_SECRET": strings.Repeat("s", minSecretLen)}
	for k, v := range base.Services["flowlens"].env(t) {
		vals[k] = v
	}
	for k, v := range env {
		vals[k] = v
	}
	cfg, err := loadConfig(lookupIn(vals), nil)
	if err != nil {
		t.Fatalf("flowlens refuses the scaled-out Compose environment: %v", err)
	}
	replicas, err := cfg.replicas()
	if err != nil || len(replicas) != 1 {
		t.Fatalf("the scaled-out settings: %v (%d replicas)", err, len(replicas))
	}
	for name, u := range map[string]string{"APP_DATABASE_URL": env["APP_DATABASE_URL"], "REPLICA_DATABASE_URLS": replicas[0]} {
		m := regexp.MustCompile(`^postgres://flowlens_app:([^@]+)@pgbouncer:(\d+)/(\w+)`).FindStringSubmatch(u)
		if m == nil {
			t.Errorf("%s %q does not go through pgbouncer as flowlens_app", name, u)
			continue
		}
		if m[2] != conf["listen_port"] {
			t.Errorf("%s uses port %s, PgBouncer listens on %s", name, m[2], conf["listen_port"])
		}
		if !strings.Contains(string(users), `"flowlens_app" "`+m[1]+`"`) {
			t.Errorf("%s's password is not PgBouncer's for flowlens_app", name)
		}
		want := "host=db port=5432 dbname=flowlens"
		if name == "REPLICA_DATABASE_URLS" {
			want = "host=db-standby port=5432 dbname=flowlens"
		}
		if conf[m[3]] != want {
			t.Errorf("%s names PgBouncer's database %q = %q, want %q", name, m[3], conf[m[3]], want)
		}
	}
}

// MAX_ACTIVE_REQUESTS=auto (the default) is two thirds, rounded up, of the
// connections that serve reads: the primary's pool and each replica's; a
// number is taken as it is, 0 turning the bound off.
func TestConfigActiveRequests(t *testing.T) {
	replicas, app := "postgres://flowlens_app@r1/x,postgres://flowlens_app@r2/x", "postgres://flowlens_app@primary/x"
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, 4},
		{map[string]string{"MAX_ACTIVE_REQUESTS": "auto"}, 4},
		{map[string]string{"DB_MAX_OPEN_CONNS": "1"}, 1},
		{map[string]string{"DB_MAX_OPEN_CONNS": "7"}, 5},
		{map[string]string{"DB_MAX_OPEN_CONNS": "12"}, 8},
		{map[string]string{"REPLICA_DATABASE_URLS": replicas, "APP_DATABASE_URL": app}, 12},
		{map[string]string{"REPLICA_DATABASE_URLS": replicas, "APP_DATABASE_URL": app, "DB_MAX_OPEN_CONNS": "4"}, 8},
		{map[string]string{"MAX_ACTIVE_REQUESTS": "0"}, 0},
		{map[string]string{"MAX_ACTIVE_REQUESTS": "3", "DB_MAX_OPEN_CONNS": "12"}, 3},
	} {
		cfg, err := loadConfig(lookupIn(c.env), nil)
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if got := cfg.appSettings().MaxActiveRequests; got != c.want {
			t.Errorf("%v: %d requests at once, want %d", c.env, got, c.want)
		}
	}
}
