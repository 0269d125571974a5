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
	cfg := &config{AppDatabaseURL: env["APP_DATABASE_URL"], ReplicaURLs: env["REPLICA_DATABASE_URLS"], ReplicaWait: env["REPLICA_WAIT"], QueryExecMode: env["DB_QUERY_EXEC_MODE"]}
	replicas, _, _, err := cfg.scaleOut()
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
