package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
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
	fs.IntVar(&c.MaxOpenConns, "max-open-conns", envInt("DB_MAX_OPEN_CONNS", 16), "connection pool size (env DB_MAX_OPEN_CONNS)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", envDuration("REQUEST_TIMEOUT", 10*time.Second), "deadline of one GraphQL request (env REQUEST_TIMEOUT)")
	fs.StringVar(&c.PlaygroundToken, "playground-token", envOr("PLAYGROUND_TOKEN", ""), "bearer token prefilled in the Playground's headers in development, e.g. from `flowlens token` (env PLAYGROUND_TOKEN)")
	fs.DurationVar(&c.SlowRequestThreshold, "slow-request-threshold", envDuration("SLOW_REQUEST_THRESHOLD", time.Second), "requests slower than this are also logged as slow (env SLOW_REQUEST_THRESHOLD)")
	return c
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
