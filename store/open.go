package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// PoolConfig sizes the connection pool.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
}

// DefaultPool is the pool size used when none is configured: 6
// connections, about three per core of the 2-core database server the
// benchmark runs on (docs/benchmarks.md). A dashboard runs its fields on
// up to 7 connections at once; more connections than that per core only
// slice the CPU thinner: under 32 concurrent clients a pool of 16 made the
// heaviest statements exceed the role's 5 s statement_timeout, while 6 and
// 8 served the same throughput with none. Size it to the database server's
// cores, and keep the sum over all instances below its max_connections.
var DefaultPool = PoolConfig{MaxOpen: 6, MaxIdle: 6, MaxLifetime: 30 * time.Minute}

// Open connects to dsn through pgx (simple protocol: bun formats arguments
// into the SQL text itself, so prepared statements would not be reused) and
// returns a bun database. It does not contact the server; see Ping.
func Open(dsn string, pool PoolConfig) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL address: %w", errDSNForm)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	// When a request's context ends (client gone, deadline passed), ask
	// PostgreSQL to cancel the running statement instead of leaving it to
	// finish; the socket deadline follows shortly after as a backstop.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: time.Second}
	}
	sqldb := stdlib.OpenDB(*cfg)
	if pool.MaxOpen <= 0 {
		pool = DefaultPool
	}
	sqldb.SetMaxOpenConns(pool.MaxOpen)
	sqldb.SetMaxIdleConns(pool.MaxIdle)
	sqldb.SetConnMaxLifetime(pool.MaxLifetime)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// errDSNForm replaces the parser's error about a malformed DATABASE_URL,
// which may quote the address, password included.
var errDSNForm = errors.New("check its form: postgres://user:password@host:port/dbname")

// HostPort returns "host:port" of a DSN, for messages; it never includes
// the password.
func HostPort(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "an unparsable DATABASE_URL"
	}
	return net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
}

// Ping checks that the database answers within timeout.
func Ping(ctx context.Context, db *bun.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return db.PingContext(ctx)
}
