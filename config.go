package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"flowlens/auth"
	"flowlens/graph"
	"flowlens/httpapi"
	"flowlens/store"
)

// config is flowlens's configuration: environment variables, overridden by
// the flags of the same meaning. The table settings gives, for each field,
// its variable, flag, default, meaning and accepted values.
type config struct {
	DatabaseURL    string
	AppDatabaseURL string
	JWTSecret      string
	JWTIssuer      string
	JWTAudience    string
	// JWTMaxLifetime bounds how long a token may be valid (0: no bound).
	JWTMaxLifetime time.Duration
	Addr           string
	MetricsAddr    string
	Env            string
	MaxOpenConns   int
	// MaxActiveRequests bounds the GraphQL requests that run at once;
	// autoActive: derived from the pools (activeRequests).
	MaxActiveRequests int
	RequestTimeout    time.Duration
	// PlaygroundToken is the bearer token the Playground's headers editor
	// opens with in development (empty: a placeholder to replace).
	PlaygroundToken string
	// SlowRequestThreshold is the duration above which a request is also
	// logged as slow.
	SlowRequestThreshold time.Duration
	// Demand control (SECURITY.md): a zero value turns a limit off.
	MaxBodyBytes  int64
	MaxTokens     int
	MaxFields     int
	MaxDepth      int
	MaxAliases    int
	MaxComplexity int
	MaxErrors     int
	// RateLimitRPS and RateLimitBurst size each user's token bucket; a
	// zero RateLimitRPS turns rate limiting off.
	RateLimitRPS   float64
	RateLimitBurst int
	// DrainDelay is how long `serve`, on SIGTERM, answers /readyz with 503
	// while still serving, before it stops accepting connections;
	// ShutdownTimeout bounds the wait for in-flight requests after that.
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	// DevAllowRLSBypass lets `serve` run, in development on a loopback
	// address only, on a database role that bypasses row-level security.
	DevAllowRLSBypass bool
	// ReplicaURLs (comma-separated), ReplicaWait and QueryExecMode scale
	// reads out (README, "Scaling out").
	ReplicaURLs   string
	ReplicaWait   time.Duration
	QueryExecMode string

	// err is the first malformed value met while reading the environment
	// and the flags (see parse).
	err error
}

// minSecretLen is the shortest JWT secret accepted: 256 bits (RFC 8725 §3.5).
const minSecretLen = 32

// setting is one row of the configuration table.
type setting struct {
	env     string // environment variable
	flag    string // flag name, without dashes
	def     string // value when neither is given, as it would be written ("" is unset)
	expects string // what a valid value is, for error messages and the README
	meaning string // what it does, for the flag's usage and the README (Markdown)
	mask    mask   // how the startup line and error messages show the value
	field   binding
}

// mask says how a setting's value may be shown.
type mask int

const (
	maskNone      mask = iota // shown as it is
	maskSecret                // never shown: only its length
	maskPassword              // a PostgreSQL address: shown without its password
	maskPasswords             // comma-separated PostgreSQL addresses: shown without their passwords
)

// settings is the configuration table: every field of config, with its
// environment variable and flag. Everything else (flags, environment,
// defaults, validation, usage, the masked startup line, the README's
// table) is read from here.
var settings = []setting{
	{env: "DATABASE_URL", flag: "database-url", def: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", mask: maskPassword,
		expects: "a PostgreSQL address such as postgres://user:password@host:5432/dbname",
		meaning: "PostgreSQL address of the tables' owner: `migrate`, `seed`, `token` and `bench` use it, and `serve` when `APP_DATABASE_URL` is unset",
		field:   textField(func(c *config) *string { return &c.DatabaseURL }, validPostgresURL)},
	{env: "APP_DATABASE_URL", flag: "app-database-url", mask: maskPassword,
		expects: "a PostgreSQL address such as postgres://flowlens_app:password@host:5432/dbname",
		meaning: "address `serve` uses: the service's own role `flowlens_app`, confined by row-level security (`scripts/db.sh` sets it)",
		field:   textField(func(c *config) *string { return &c.AppDatabaseURL }, validPostgresURL)},
	{env: "JWT_SECRET", flag: "jwt-secret", mask: maskSecret,
		expects: fmt.Sprintf("the main application's HS256 secret, at least %d bytes", minSecretLen),
		meaning: "HS256 secret shared with the main application; required by `serve`, `seed` and `token` (there is no built-in secret)",
		field:   textField(func(c *config) *string { return &c.JWTSecret }, validSecret)},
	{env: "JWT_ISSUER", flag: "jwt-issuer",
		expects: "text without control characters or surrounding spaces",
		meaning: "when set, tokens must carry this `iss`",
		field:   textField(func(c *config) *string { return &c.JWTIssuer }, validClaim)},
	{env: "JWT_AUDIENCE", flag: "jwt-audience",
		expects: "text without control characters or surrounding spaces",
		meaning: "when set, tokens must carry this `aud`",
		field:   textField(func(c *config) *string { return &c.JWTAudience }, validClaim)},
	{env: "JWT_MAX_LIFETIME", flag: "jwt-max-lifetime", def: auth.DefaultMaxLifetime.String(),
		expects: "a duration ≥ 0 with its unit, such as 720h (0: no maximum)",
		meaning: "longest a token may be valid: its `exp` at most this far from now and, when it has an `iat`, from that (0: no maximum)",
		field:   durationField(func(c *config) *time.Duration { return &c.JWTMaxLifetime }, true)},
	{env: "ADDR", flag: "addr", def: ":8080",
		expects: "a listen address host:port, such as :8080 or 127.0.0.1:8080",
		meaning: "listen address (`scripts/run` uses `127.0.0.1:8080`)",
		field:   textField(func(c *config) *string { return &c.Addr }, validAddr)},
	{env: "METRICS_ADDR", flag: "metrics-addr", def: httpapi.Defaults.MetricsAddr,
		expects: "a listen address host:port, such as 127.0.0.1:9090",
		meaning: "listen address of `/metrics` (Prometheus), apart from the API's; keep it on loopback or a private network",
		field:   textField(func(c *config) *string { return &c.MetricsAddr }, validAddr)},
	{env: "FLOWLENS_ENV", flag: "env", def: "development",
		expects: "development or production, exactly so (lower case, no spaces)",
		meaning: "`production`: no Playground, no introspection, no suggestions",
		field:   textField(func(c *config) *string { return &c.Env }, validEnv)},
	{env: "DB_MAX_OPEN_CONNS", flag: "max-open-conns", def: strconv.Itoa(store.DefaultPool.MaxOpen),
		expects: "a whole number of connections ≥ 1",
		meaning: "database connection pool size (about three per core of the database server, see [docs/benchmarks.md](docs/benchmarks.md))",
		field:   wholeField(func(c *config) *int { return &c.MaxOpenConns }, 1)},
	{env: "MAX_ACTIVE_REQUESTS", flag: "max-active-requests", def: "auto",
		expects: "auto, or a whole number of requests ≥ 0 (0: no bound)",
		meaning: "GraphQL requests that run at once, the others waiting their turn in arrival order within their deadline; `auto`: two thirds of the connections of the primary's and the replicas' pools, 4 with the default pool (see [docs/benchmarks.md](docs/benchmarks.md), \"Admission\")",
		field:   activeField(func(c *config) *int { return &c.MaxActiveRequests })},
	{env: "REQUEST_TIMEOUT", flag: "request-timeout", def: httpapi.Defaults.RequestTimeout.String(),
		expects: "a duration > 0 with its unit, such as 10s or 1m30s",
		meaning: "deadline of one GraphQL request",
		field:   durationField(func(c *config) *time.Duration { return &c.RequestTimeout }, false)},
	{env: "PLAYGROUND_TOKEN", flag: "playground-token", mask: maskSecret,
		expects: "a JWT: three base64url parts separated by dots, as `flowlens token` prints",
		meaning: "bearer token prefilled in the Playground's headers in development (`scripts/run` sets the demo team admin's)",
		field:   textField(func(c *config) *string { return &c.PlaygroundToken }, validJWT)},
	{env: "SLOW_REQUEST_THRESHOLD", flag: "slow-request-threshold", def: httpapi.Defaults.SlowRequestThreshold.String(),
		expects: "a duration > 0 with its unit, such as 1s or 500ms",
		meaning: "requests slower than this are also logged as slow",
		field:   durationField(func(c *config) *time.Duration { return &c.SlowRequestThreshold }, false)},
	{env: "MAX_BODY_BYTES", flag: "max-body-bytes", def: strconv.FormatInt(httpapi.Defaults.MaxBodyBytes, 10),
		expects: "a whole number of bytes ≥ 0 (0: no limit)",
		meaning: "largest GraphQL request body, else HTTP 413 (0: no limit)",
		field:   wholeField(func(c *config) *int64 { return &c.MaxBodyBytes }, 0)},
	{env: "MAX_TOKENS", flag: "max-tokens", def: strconv.Itoa(graph.DefaultLimits.MaxTokens),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "most lexical tokens of a GraphQL document (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxTokens }, 0)},
	{env: "MAX_FIELDS", flag: "max-fields", def: strconv.Itoa(graph.DefaultLimits.MaxFields),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "most fields of a GraphQL document, counted before validation with fragments expanded each time they are spread (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxFields }, 0)},
	{env: "MAX_DEPTH", flag: "max-depth", def: strconv.Itoa(graph.DefaultLimits.MaxDepth),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "deepest field nesting of an operation (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxDepth }, 0)},
	{env: "MAX_ALIASES", flag: "max-aliases", def: strconv.Itoa(graph.DefaultLimits.MaxAliases),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "most aliased fields of an operation (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxAliases }, 0)},
	{env: "MAX_COMPLEXITY", flag: "max-complexity", def: strconv.Itoa(graph.DefaultLimits.MaxComplexity),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "most SQL statements one operation may run: one per SQL-backed field and alias, one per loader batch, whatever a list's `limit` (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxComplexity }, 0)},
	{env: "MAX_ERRORS", flag: "max-errors", def: strconv.Itoa(graph.DefaultLimits.MaxErrors),
		expects: "a whole number ≥ 0 (0: no limit)",
		meaning: "most errors in one response (0: no limit)",
		field:   wholeField(func(c *config) *int { return &c.MaxErrors }, 0)},
	{env: "RATE_LIMIT_RPS", flag: "rate-limit-rps", def: strconv.FormatFloat(httpapi.Defaults.RateLimitRPS, 'g', -1, 64),
		expects: "a number of requests per second ≥ 0",
		meaning: "requests per second each user may make on average (0: off)",
		field:   floatField(func(c *config) *float64 { return &c.RateLimitRPS })},
	{env: "RATE_LIMIT_BURST", flag: "rate-limit-burst", def: strconv.Itoa(httpapi.Defaults.RateLimitBurst),
		expects: "a whole number of requests ≥ 1",
		meaning: "requests each user may make at once",
		field:   wholeField(func(c *config) *int { return &c.RateLimitBurst }, 1)},
	{env: "DRAIN_DELAY", flag: "drain-delay", def: "1s",
		expects: "a duration ≥ 0 with its unit, such as 1s",
		meaning: "on SIGTERM, how long `/readyz` answers 503 while requests are still served",
		field:   durationField(func(c *config) *time.Duration { return &c.DrainDelay }, true)},
	{env: "SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: "8s",
		expects: "a duration > 0 with its unit, such as 8s",
		meaning: "on SIGTERM, how long in-flight requests may take to finish after the drain delay",
		field:   durationField(func(c *config) *time.Duration { return &c.ShutdownTimeout }, false)},
	{env: "FLOWLENS_DEV_ALLOW_RLS_BYPASS", flag: "dev-allow-rls-bypass", def: "false",
		expects: "true or false",
		meaning: "DEVELOPMENT ONLY: lets `serve` run on a database role that bypasses row-level security (superuser or BYPASSRLS), and only on a loopback address and outside production; without it `serve` refuses such a role",
		field:   boolField(func(c *config) *bool { return &c.DevAllowRLSBypass })},
	{env: "REPLICA_DATABASE_URLS", flag: "replica-database-urls", mask: maskPasswords,
		expects: "comma-separated PostgreSQL URLs such as postgres://flowlens_app:password@standby:5432/dbname",
		meaning: "streaming standbys of the primary, as the service's role (the user of `APP_DATABASE_URL`): a request reads from one once it has replayed the primary's WAL, else from the primary (README, \"Scaling out\")",
		field:   textField(func(c *config) *string { return &c.ReplicaURLs }, validPostgresURLs)},
	{env: "REPLICA_WAIT", flag: "replica-wait", def: httpapi.Defaults.ReplicaWait.String(),
		expects: "a duration ≥ 0 with its unit, such as 250ms",
		meaning: "how long a request waits for a replica to replay the primary's WAL before it reads from the primary (0: only from a replica already there)",
		field:   durationField(func(c *config) *time.Duration { return &c.ReplicaWait }, true)},
	{env: "DB_QUERY_EXEC_MODE", flag: "db-query-exec-mode", def: string(store.ExecSimpleProtocol),
		expects: "simple_protocol or exec",
		meaning: "how pgx sends statements: `simple_protocol` (one Query message) or `exec` (extended protocol, unnamed statement); both work behind PgBouncer's transaction pooling, pgx's modes that prepare statements on the server do not",
		field:   textField(func(c *config) *string { return &c.QueryExecMode }, validExecMode)},
}

// binding ties a setting to its field of config.
type binding interface {
	// set parses and validates s into the field; the error, when not
	// nil, may carry a detail for the message (its text may be empty).
	set(c *config, s string) error
	// show returns the field's value as text, unmasked.
	show(c *config) string
	isBool() bool
}

// typed is a binding to a field of type T.
type typed[T any] struct {
	ptr    func(*config) *T
	parse  func(string) (T, error)
	format func(T) string
	bool   bool
}

func (f typed[T]) set(c *config, s string) error {
	v, err := f.parse(s)
	if err != nil {
		return err
	}
	*f.ptr(c) = v
	return nil
}

func (f typed[T]) show(c *config) string { return f.format(*f.ptr(c)) }
func (f typed[T]) isBool() bool          { return f.bool }

// errInvalid is a malformed value with nothing more to say than what the
// setting expects.
var errInvalid = errors.New("")

func textField(ptr func(*config) *string, valid func(string) error) binding {
	return typed[string]{ptr: ptr, format: func(s string) string { return s },
		parse: func(s string) (string, error) { return s, valid(s) }}
}

// wholeField accepts whole numbers ≥ min.
func wholeField[T int | int64](ptr func(*config) *T, min T) binding {
	return typed[T]{ptr: ptr, format: func(n T) string { return strconv.FormatInt(int64(n), 10) },
		parse: func(s string) (T, error) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || T(n) < min || int64(T(n)) != n {
				return 0, errInvalid
			}
			return T(n), nil
		}}
}

// autoActive is MAX_ACTIVE_REQUESTS=auto.
const autoActive = -1

// activeField binds MAX_ACTIVE_REQUESTS: auto or a whole number ≥ 0.
func activeField(ptr func(*config) *int) binding {
	whole := wholeField(ptr, 0).(typed[int])
	return typed[int]{ptr: ptr,
		format: func(n int) string {
			if n == autoActive {
				return "auto"
			}
			return whole.format(n)
		},
		parse: func(s string) (int, error) {
			if s == "auto" {
				return autoActive, nil
			}
			return whole.parse(s)
		}}
}

func floatField(ptr func(*config) *float64) binding {
	return typed[float64]{ptr: ptr, format: func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) },
		parse: func(s string) (float64, error) {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, errInvalid
			}
			return f, nil
		}}
}

// durationField accepts Go durations with their unit ("10" is refused);
// zero only when zeroOK.
func durationField(ptr func(*config) *time.Duration, zeroOK bool) binding {
	return typed[time.Duration]{ptr: ptr, format: time.Duration.String, parse: func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || (d == 0 && !zeroOK) {
			return 0, errInvalid
		}
		return d, nil
	}}
}

func boolField(ptr func(*config) *bool) binding {
	return typed[bool]{ptr: ptr, format: strconv.FormatBool, bool: true, parse: func(s string) (bool, error) {
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, errInvalid
	}}
}

func validPostgresURL(s string) error {
	if s == "" {
		return nil
	}
	if _, err := pgconn.ParseConfig(s); err != nil {
		// pgconn's message quotes the address with its password
		// redacted, then says why; keep the why when the address has
		// no password that it could show.
		_, why, _ := strings.Cut(err.Error(), "`: ")
		if why == "" || maskURL(s) != s {
			return errInvalid
		}
		return errors.New(why)
	}
	return nil
}

// validPostgresURLs checks a comma-separated list of addresses; the
// detail names a bad one by position, never by its text.
func validPostgresURLs(s string) error {
	if s == "" {
		return nil
	}
	for i, u := range store.SplitAddresses(s) {
		if u == "" {
			return fmt.Errorf("address %d is empty", i+1)
		}
		if _, err := pgconn.ParseConfig(u); err != nil {
			return fmt.Errorf("address %d is not one", i+1)
		}
	}
	return nil
}

// validExecMode accepts the driver modes of store.ParseExecMode, exactly.
func validExecMode(s string) error {
	if _, err := store.ParseExecMode(s); err != nil || strings.TrimSpace(s) != s {
		return errInvalid
	}
	return nil
}

func validSecret(s string) error {
	if s != "" && len(s) < minSecretLen {
		return errInvalid
	}
	return nil
}

// validClaim refuses what is almost always a copy-and-paste slip in an
// issuer or audience: a trailing newline, surrounding spaces.
func validClaim(s string) error {
	if strings.TrimSpace(s) != s || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errInvalid
	}
	return nil
}

func validAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errInvalid
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errInvalid
	}
	return nil
}

func validEnv(s string) error {
	if s != "development" && s != "production" {
		return errInvalid
	}
	return nil
}

var jwtForm = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)

func validJWT(s string) error {
	if s != "" && !jwtForm.MatchString(s) {
		return errInvalid
	}
	return nil
}

// configError is a configuration the command refuses: a malformed value,
// a missing secret, an unsafe combination. The command exits with status 2.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// exitCode is the exit status of a command that failed with err: 2 for a
// refused configuration or command line, 1 for anything else.
func exitCode(err error) int {
	var ce *configError
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// malformed is the error of setting s given value v, by the environment
// or, when flag, by its flag.
func (s *setting) malformed(v string, flag bool, detail error) error {
	name := s.env
	if flag {
		name = "--" + s.flag
	}
	var shown string
	switch s.mask {
	case maskSecret:
		shown = fmt.Sprintf("(hidden, %d bytes)", len(v))
	case maskPassword, maskPasswords:
		// Only addresses that parse as URLs are known to have their
		// passwords where maskURL looks for them.
		shown = strconv.Quote(maskURLs(v))
		for _, one := range store.SplitAddresses(v) {
			if u, err := url.Parse(one); one != "" && (err != nil || u.Scheme == "") {
				shown = fmt.Sprintf("(hidden, %d bytes)", len(v))
			}
		}
	default:
		shown = strconv.Quote(v)
	}
	msg := name + "=" + shown
	if flag {
		msg += " (" + s.env + ")"
	}
	msg += ": expects " + s.expects
	if detail != nil && detail.Error() != "" {
		msg += " (" + detail.Error() + ")"
	}
	return &configError{msg: msg}
}

// flagValue is the flag of a setting.
type flagValue struct {
	c *config
	s *setting
}

func (v flagValue) String() string {
	if v.c == nil { // the flag package's zero value
		return ""
	}
	return v.s.display(v.c)
}

// Set reads the flag's value: empty is the default, like an empty
// variable. A malformed value is kept as the configuration's error (so
// that the message is one line of ours, not the flag package's usage).
func (v flagValue) Set(text string) error {
	if text == "" {
		text = v.s.def
	}
	if err := v.s.field.set(v.c, text); err != nil && v.c.err == nil {
		v.c.err = v.s.malformed(text, true, err)
	}
	return nil
}

func (v flagValue) IsBoolFlag() bool { return v.s.field.isBool() }

// bindConfig registers the configuration's flags on fs and returns the
// configuration, filled with the defaults and the environment. Read the
// command line with cfg.parse(fs, args), which reports malformed values.
func bindConfig(fs *flag.FlagSet) *config {
	return bindConfigFrom(fs, os.LookupEnv)
}

// bindConfigFrom is bindConfig with the environment of lookup. An empty
// variable counts as unset.
func bindConfigFrom(fs *flag.FlagSet, lookup func(string) (string, bool)) *config {
	c := &config{}
	for i := range settings {
		s := &settings[i]
		if err := s.field.set(c, s.def); err != nil {
			panic(fmt.Sprintf("config: the default of %s does not parse", s.env))
		}
		fs.Var(flagValue{c, s}, s.flag, strings.ReplaceAll(s.meaning, "`", "")+" (env "+s.env+")")
	}
	for i := range settings {
		s := &settings[i]
		if v, ok := lookup(s.env); ok && v != "" {
			if err := s.field.set(c, v); err != nil && c.err == nil {
				c.err = s.malformed(v, false, err)
			}
		}
	}
	return c
}

// parse reads the command line args into c: the first malformed value of
// the environment or the flags, or a command line the flag package
// refuses, is a configError.
func (c *config) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &configError{msg: err.Error()}
	}
	return c.err
}

// loadConfig is the configuration of a command with environment lookup
// and command line args, as `serve` reads it.
func loadConfig(lookup func(string) (string, bool), args []string) (*config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := bindConfigFrom(fs, lookup)
	if err := c.parse(fs, args); err != nil {
		return nil, err
	}
	return c, nil
}

// envVars returns the environment variables the configuration reads.
func envVars() []string {
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.env
	}
	return names
}

// appSettings returns the settings of the HTTP application.
func (c *config) appSettings() httpapi.Settings {
	return httpapi.Settings{
		Development:          !c.production(),
		PlaygroundToken:      c.PlaygroundToken,
		RequestTimeout:       c.RequestTimeout,
		SlowRequestThreshold: c.SlowRequestThreshold,
		MaxBodyBytes:         c.MaxBodyBytes,
		Limits: graph.Limits{
			MaxTokens:     c.MaxTokens,
			MaxFields:     c.MaxFields,
			MaxDepth:      c.MaxDepth,
			MaxAliases:    c.MaxAliases,
			MaxComplexity: c.MaxComplexity,
			MaxErrors:     c.MaxErrors,
		},
		RateLimitRPS:      c.RateLimitRPS,
		RateLimitBurst:    c.RateLimitBurst,
		MaxActiveRequests: c.activeRequests(),
		ReplicaWait:       c.ReplicaWait,
		// Not a setting: how long a failed replica is skipped.
		ReplicaRetry: httpapi.Defaults.ReplicaRetry,
		MetricsAddr:  c.MetricsAddr,
		// The export's bounds are the application's own (SECURITY.md §12).
		ExportTimeout:   httpapi.Defaults.ExportTimeout,
		ExportBatchRows: httpapi.Defaults.ExportBatchRows,
	}
}

// verifier returns the token verifier of the configuration with secret.
func (c *config) verifier(secret string) *auth.Verifier {
	return auth.NewVerifier(secret, c.JWTIssuer, c.JWTAudience, auth.WithMaxLifetime(c.JWTMaxLifetime))
}

// checkTTL refuses a validity of minted tokens (flag name) that the
// service would refuse as too long.
func (c *config) checkTTL(name string, ttl time.Duration) error {
	if c.JWTMaxLifetime > 0 && ttl > c.JWTMaxLifetime {
		return configErrorf("--%s %s is longer than JWT_MAX_LIFETIME (%s): the service would refuse the token", name, ttl, c.JWTMaxLifetime)
	}
	return nil
}

// pool is the connection pool of every address: DB_MAX_OPEN_CONNS
// connections in DB_QUERY_EXEC_MODE.
func (c *config) pool() store.PoolConfig {
	mode, _ := store.ParseExecMode(c.QueryExecMode) // validated by the table
	return store.PoolConfig{MaxOpen: c.MaxOpenConns, MaxIdle: c.MaxOpenConns, MaxLifetime: 30 * time.Minute, ExecMode: mode}
}

// activeRequests returns the bound on GraphQL requests at once: the one
// set, or for auto two thirds (rounded up) of the connections that serve
// reads, the primary's pool and each replica's. A dashboard runs up to
// five statements at once, so that many requests keep every connection
// busy while leaving none to wait long on the pool.
func (c *config) activeRequests() int {
	if c.MaxActiveRequests != autoActive {
		return c.MaxActiveRequests
	}
	servers := 1
	if urls, err := c.replicas(); err == nil {
		servers += len(urls)
	}
	return (2*c.MaxOpenConns*servers + 2) / 3
}

// replicas returns the addresses of REPLICA_DATABASE_URLS, refused unless
// each connects as the service's role (store.ParseReplicaURLs).
func (c *config) replicas() ([]string, error) {
	urls, err := store.ParseReplicaURLs(c.ReplicaURLs, c.serviceURL())
	if err != nil {
		return nil, &configError{msg: err.Error()}
	}
	return urls, nil
}

// serviceURL returns the connection `serve` uses.
func (c *config) serviceURL() string {
	if c.AppDatabaseURL != "" {
		return c.AppDatabaseURL
	}
	return c.DatabaseURL
}

// serviceURLName names the variable serviceURL comes from.
func (c *config) serviceURLName() string {
	if c.AppDatabaseURL != "" {
		return "APP_DATABASE_URL"
	}
	return "DATABASE_URL, as APP_DATABASE_URL is unset"
}

// production reports whether the service runs in production mode.
func (c *config) production() bool { return c.Env == "production" }

// secret returns the JWT secret, or an error naming what is wrong: there
// is no built-in secret in any environment.
func (c *config) secret() (string, error) {
	if c.JWTSecret == "" {
		return "", configErrorf("JWT_SECRET is not set: give the main application's HS256 secret (at least %d bytes) in JWT_SECRET or --jwt-secret; flowlens has no built-in secret", minSecretLen)
	}
	if len(c.JWTSecret) < minSecretLen {
		return "", configErrorf("JWT_SECRET is %d bytes long; it must be at least %d bytes (256 bits)", len(c.JWTSecret), minSecretLen)
	}
	return c.JWTSecret, nil
}

// checkRLSBypass refuses to serve on a database role that bypasses
// row-level security (bypass; where is its host:port), unless
// FLOWLENS_DEV_ALLOW_RLS_BYPASS allows it, which it does only in
// development on a loopback address.
func (c *config) checkRLSBypass(bypass bool, where string) error {
	if !bypass {
		return nil
	}
	role := fmt.Sprintf("the database role of %s (%s) is superuser or has BYPASSRLS, so row-level security would not confine the service", where, c.serviceURLName())
	switch {
	case !c.DevAllowRLSBypass:
		return configErrorf("%s: set APP_DATABASE_URL to the service's own role flowlens_app (SECURITY.md, \"Database roles\"); only for development on a loopback address, FLOWLENS_DEV_ALLOW_RLS_BYPASS=true allows it", role)
	case c.production():
		return configErrorf("%s: FLOWLENS_DEV_ALLOW_RLS_BYPASS is a development flag and FLOWLENS_ENV=production refuses it; set APP_DATABASE_URL to the service's own role flowlens_app", role)
	case !loopback(c.Addr):
		return configErrorf("%s: FLOWLENS_DEV_ALLOW_RLS_BYPASS allows it only on a loopback address (127.0.0.1, ::1, localhost), and ADDR is %q", role, c.Addr)
	}
	return nil
}

// loopback reports whether the listen address addr accepts connections
// from this machine only: host localhost or a loopback IP. An empty host
// (":8080") listens on every interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// display is the value of s in c as the startup line shows it.
func (s *setting) display(c *config) string {
	v := s.field.show(c)
	switch s.mask {
	case maskSecret:
		if v == "" {
			return ""
		}
		return fmt.Sprintf("******(length=%d)", len(v))
	case maskPassword:
		return maskURL(v)
	case maskPasswords:
		return maskURLs(v)
	}
	return v
}

// String prints the effective configuration, every setting of the table,
// with secrets and passwords masked.
func (c *config) String() string {
	parts := make([]string, len(settings))
	for i := range settings {
		s := &settings[i]
		v := s.display(c)
		if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == '"' || r == 0x7f }) {
			v = strconv.Quote(v)
		}
		parts[i] = s.env + "=" + v
	}
	return strings.Join(parts, " ")
}

var (
	// queryPassword is a password parameter of a URL's query
	// (postgres://h/db?password=…, sslpassword=…).
	queryPassword = regexp.MustCompile(`(?i)([?&][^=&#]*password=)[^&#]*`)
	// keywordPassword is a password of a keyword/value address
	// ("host=h password=…", quoted or not).
	keywordPassword = regexp.MustCompile(`(?i)(\w*password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)
)

// maskURLs hides the passwords of comma-separated PostgreSQL addresses
// (store.SplitAddresses).
func maskURLs(list string) string {
	if list == "" {
		return ""
	}
	urls := store.SplitAddresses(list)
	for i, u := range urls {
		urls[i] = maskURL(u)
	}
	return strings.Join(urls, ",")
}

// maskURL hides every password of a PostgreSQL address: the URL's
// user:password, password parameters of its query, and the password of a
// keyword/value address.
func maskURL(u string) string {
	scheme := strings.Index(u, "://")
	if scheme < 0 {
		return keywordPassword.ReplaceAllString(u, "${1}******")
	}
	rest := u[scheme+3:]
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		if user, _, ok := strings.Cut(authority[:at], ":"); ok {
			rest = user + ":******" + rest[at:]
		}
	}
	return u[:scheme+3] + queryPassword.ReplaceAllString(rest, "${1}******")
}
