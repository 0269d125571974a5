package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"flowlens/graph"
	"flowlens/httpapi"
	"flowlens/store"
)

// config is flowlens's configuration: environment variables, overridden by
// the flags of the same meaning.
type config struct {
	DatabaseURL    string
	AppDatabaseURL string
	JWTSecret      string
	JWTIssuer      string
	JWTAudience    string
	Addr           string
	Env            string
	MaxOpenConns   int
	RequestTimeout time.Duration
	// PlaygroundToken is the bearer token the Playground's headers editor
	// opens with in development (empty: a placeholder to replace).
	PlaygroundToken string
	// SlowRequestThreshold is the duration above which a request is also
	// logged as slow.
	SlowRequestThreshold time.Duration
	// Demand control (SECURITY.md): a zero value turns a limit off.
	MaxBodyBytes  int64
	MaxTokens     int
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
}

// minSecretLen is the shortest JWT secret accepted: 256 bits (RFC 8725 §3.5).
const minSecretLen = 32

// devSecret is the JWT secret used when JWT_SECRET is unset in development,
// so the README's run command works without set-up. Production refuses it.
const devSecret = "flowlens-development-secret-do-not-use-in-production"

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// bindConfig registers the configuration flags on fs, with defaults from the
// environment, and returns the config they fill.
func bindConfig(fs *flag.FlagSet) *config {
	c := &config{}
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL address (env DATABASE_URL)")
	fs.StringVar(&c.AppDatabaseURL, "app-database-url", envOr("APP_DATABASE_URL", ""), "PostgreSQL address `serve` uses instead of DATABASE_URL: the service's non-owner role, confined by row-level security (env APP_DATABASE_URL)")
	fs.StringVar(&c.JWTSecret, "jwt-secret", envOr("JWT_SECRET", ""), "HS256 secret shared with the main application, at least 32 bytes (env JWT_SECRET)")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", envOr("JWT_ISSUER", ""), "required `iss` of tokens, when set (env JWT_ISSUER)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", envOr("JWT_AUDIENCE", ""), "required `aud` of tokens, when set (env JWT_AUDIENCE)")
	fs.StringVar(&c.Addr, "addr", envOr("ADDR", ":8080"), "listen address (env ADDR)")
	fs.StringVar(&c.Env, "env", envOr("FLOWLENS_ENV", "development"), "development or production (env FLOWLENS_ENV)")
	fs.IntVar(&c.MaxOpenConns, "max-open-conns", envInt("DB_MAX_OPEN_CONNS", store.DefaultPool.MaxOpen), "connection pool size: about three per core of the database server, see docs/benchmarks.md (env DB_MAX_OPEN_CONNS)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration("REQUEST_TIMEOUT", 10*time.Second), "deadline of one GraphQL request (env REQUEST_TIMEOUT)")
	fs.StringVar(&c.PlaygroundToken, "playground-token", envOr("PLAYGROUND_TOKEN", ""), "bearer token prefilled in the Playground's headers in development, e.g. from `flowlens token` (env PLAYGROUND_TOKEN)")
	fs.DurationVar(&c.SlowRequestThreshold, "slow-request-threshold", envDuration("SLOW_REQUEST_THRESHOLD", time.Second), "requests slower than this are also logged as slow (env SLOW_REQUEST_THRESHOLD)")
	d := graph.DefaultLimits
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", int64(envInt("MAX_BODY_BYTES", int(httpapi.Defaults.MaxBodyBytes))), "largest GraphQL request body in bytes, else HTTP 413; 0 is no limit (env MAX_BODY_BYTES)")
	fs.IntVar(&c.MaxTokens, "max-tokens", envInt("MAX_TOKENS", d.MaxTokens), "most lexical tokens of a GraphQL document; 0 is no limit (env MAX_TOKENS)")
	fs.IntVar(&c.MaxDepth, "max-depth", envInt("MAX_DEPTH", d.MaxDepth), "deepest field nesting of an operation; 0 is no limit (env MAX_DEPTH)")
	fs.IntVar(&c.MaxAliases, "max-aliases", envInt("MAX_ALIASES", d.MaxAliases), "most aliased fields of an operation; 0 is no limit (env MAX_ALIASES)")
	fs.IntVar(&c.MaxComplexity, "max-complexity", envInt("MAX_COMPLEXITY", d.MaxComplexity), "most SQL statements one operation may run (each SQL-backed field, alias and loader batch counts one); 0 is no limit (env MAX_COMPLEXITY)")
	fs.IntVar(&c.MaxErrors, "max-errors", envInt("MAX_ERRORS", d.MaxErrors), "most errors in one response; 0 is no limit (env MAX_ERRORS)")
	fs.Float64Var(&c.RateLimitRPS, "rate-limit-rps", envFloat("RATE_LIMIT_RPS", 20), "requests per second each user may make on average; 0 turns rate limiting off (env RATE_LIMIT_RPS)")
	fs.IntVar(&c.RateLimitBurst, "rate-limit-burst", envInt("RATE_LIMIT_BURST", 40), "requests each user may make at once (env RATE_LIMIT_BURST)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", envDuration("DRAIN_DELAY", time.Second), "on SIGTERM, how long /readyz answers 503 while requests are still served (env DRAIN_DELAY)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", 8*time.Second), "on SIGTERM, how long in-flight requests may take to finish after the drain delay (env SHUTDOWN_TIMEOUT)")
	return c
}

func envFloat(name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return def
}

// settings returns the settings of the HTTP application.
func (c *config) settings() httpapi.Settings {
	return httpapi.Settings{
		Development:          !c.production(),
		PlaygroundToken:      c.PlaygroundToken,
		RequestTimeout:       c.RequestTimeout,
		SlowRequestThreshold: c.SlowRequestThreshold,
		MaxBodyBytes:         c.MaxBodyBytes,
		Limits: graph.Limits{
			MaxTokens:     c.MaxTokens,
			MaxDepth:      c.MaxDepth,
			MaxAliases:    c.MaxAliases,
			MaxComplexity: c.MaxComplexity,
			MaxErrors:     c.MaxErrors,
		},
		RateLimitRPS:    c.RateLimitRPS,
		RateLimitBurst:  c.RateLimitBurst,
		ExportTimeout:   httpapi.Defaults.ExportTimeout,
		ExportBatchRows: httpapi.Defaults.ExportBatchRows,
	}
}

// envVars returns the environment variables the configuration reads: the
// "(env NAME)" of every flag's usage.
func envVars() []string {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	bindConfig(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if _, rest, ok := strings.Cut(f.Usage, "(env "); ok {
			if name, _, ok := strings.Cut(rest, ")"); ok {
				names = append(names, name)
			}
		}
	})
	return names
}

// serviceURL returns the connection `serve` uses.
func (c *config) serviceURL() string {
	if c.AppDatabaseURL != "" {
		return c.AppDatabaseURL
	}
	return c.DatabaseURL
}

// production reports whether the service runs in production mode.
func (c *config) production() bool { return c.Env == "production" }

// secret returns the JWT secret to use, or an error naming what is wrong.
// In development an unset secret falls back to a built-in one, with a warning.
func (c *config) secret() (string, error) {
	if c.JWTSecret == "" {
		if c.production() {
			return "", fmt.Errorf("JWT_SECRET is not set; production needs the main application's HS256 secret (at least %d bytes)", minSecretLen)
		}
		return devSecret, nil
	}
	if len(c.JWTSecret) < minSecretLen {
		return "", fmt.Errorf("JWT_SECRET is %d bytes long; it must be at least %d bytes (256 bits)", len(c.JWTSecret), minSecretLen)
	}
	return c.JWTSecret, nil
}

// String prints the effective configuration with secrets masked.
func (c *config) String() string {
	secret := "(unset: development secret)"
	if c.JWTSecret != "" {
		secret = fmt.Sprintf("****** (%d bytes)", len(c.JWTSecret))
	}
	return strings.Join([]string{
		"DATABASE_URL=" + maskURL(c.DatabaseURL),
		"APP_DATABASE_URL=" + maskURL(c.AppDatabaseURL),
		"JWT_SECRET=" + secret,
		"JWT_ISSUER=" + c.JWTIssuer,
		"JWT_AUDIENCE=" + c.JWTAudience,
		"ADDR=" + c.Addr,
		"FLOWLENS_ENV=" + c.Env,
		fmt.Sprintf("DB_MAX_OPEN_CONNS=%d", c.MaxOpenConns),
		"REQUEST_TIMEOUT=" + c.RequestTimeout.String(),
		"PLAYGROUND_TOKEN=" + masked(c.PlaygroundToken),
		"SLOW_REQUEST_THRESHOLD=" + c.SlowRequestThreshold.String(),
		fmt.Sprintf("MAX_BODY_BYTES=%d MAX_TOKENS=%d MAX_DEPTH=%d MAX_ALIASES=%d MAX_COMPLEXITY=%d MAX_ERRORS=%d",
			c.MaxBodyBytes, c.MaxTokens, c.MaxDepth, c.MaxAliases, c.MaxComplexity, c.MaxErrors),
		fmt.Sprintf("RATE_LIMIT_RPS=%g RATE_LIMIT_BURST=%d", c.RateLimitRPS, c.RateLimitBurst),
		"DRAIN_DELAY=" + c.DrainDelay.String(),
		"SHUTDOWN_TIMEOUT=" + c.ShutdownTimeout.String(),
	}, " ")
}

// masked hides a secret, telling only whether it is set.
func masked(v string) string {
	if v == "" {
		return ""
	}
	return "******"
}

// maskURL hides the password of a connection URL.
func maskURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	cred := u[scheme+3 : at]
	if i := strings.Index(cred, ":"); i >= 0 {
		return u[:scheme+3] + cred[:i] + ":******" + u[at:]
	}
	return u
}
