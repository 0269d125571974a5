package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

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
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestEnvVarsListsTheConfiguration(t *testing.T) {
	vars := envVars()
	for _, want := range []string{"DATABASE_URL", "APP_DATABASE_URL", "JWT_SECRET", "ADDR", "FLOWLENS_ENV", "PLAYGROUND_TOKEN", "SLOW_REQUEST_THRESHOLD"} {
		if !slices.Contains(vars, want) {
			t.Errorf("envVars() lacks %s: %v", want, vars)
		}
	}
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
	// JWT_SECRET: ${JWT_SECRET:-default}: the default must be long enough.
	secret := env["JWT_SECRET"]
	if m := regexp.MustCompile(`^\$\{JWT_SECRET:-(.+)\}$`).FindStringSubmatch(secret); m != nil {
		secret = m[1]
	}
	if len(secret) < minSecretLen {
		t.Errorf("the Compose JWT secret is %d bytes; flowlens refuses less than %d", len(secret), minSecretLen)
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
