package store

import (
	"context"
	"database/sql"
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
	"github.com/uptrace/bun/migrate"

	"flowlens/store/migrations"
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
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL address: %w", maskDSN(err))
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.OnNotice = printNotice
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

// Where returns "host:port" of a DSN, for messages; it never includes the password.
func Where(dsn string) string {
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

// Migrate applies every embedded migration that has not run yet and returns
// the names of those it applied (none when the database is up to date).
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	ms, err := migrations.Migrations()
	if err != nil {
		return nil, fmt.Errorf("migrate: load: %w", err)
	}
	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrate: init: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() { _ = m.Unlock(ctx) }()
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := InstallRollupQueries(ctx, db); err != nil {
		return nil, err
	}
	var names []string
	if group != nil {
		for _, mg := range group.Migrations {
			names = append(names, mg.Name+"_"+mg.Comment)
		}
	}
	return names, nil
}

// IsConnError reports whether err means the database could not be reached.
func IsConnError(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, sql.ErrConnDone)
}

func maskDSN(err error) error {
	return errors.New("check its form: postgres://user:password@host:port/dbname")
}

// BypassesRLS reports whether the connected role escapes row-level
// security (superuser or BYPASSRLS).
func BypassesRLS(ctx context.Context, db *bun.DB) (bool, error) {
	var bypass bool
	err := db.NewSelect().ColumnExpr("rolsuper OR rolbypassrls").TableExpr("pg_roles").
		Where("rolname = current_user").Scan(ctx, &bypass)
	if err != nil {
		return false, fmt.Errorf("check database role: %w", err)
	}
	return bypass, nil
}

// ConnectionLimit returns how many connections the server lets the
// connected role open: max_connections less the slots reserved for
// superusers (unless the role is one), capped by the role's own
// CONNECTION LIMIT when it has one. Other clients' connections count
// against it too, so a pool should stay well below it.
func ConnectionLimit(ctx context.Context, db *bun.DB) (int, error) {
	var row struct {
		Server int `bun:"server"`
		Role   int `bun:"role"`
	}
	err := db.NewSelect().TableExpr("pg_roles AS r").
		ColumnExpr("current_setting('max_connections')::int - CASE WHEN r.rolsuper THEN 0 ELSE current_setting('superuser_reserved_connections')::int END AS server").
		ColumnExpr("r.rolconnlimit AS role").
		Where("r.rolname = current_user").Scan(ctx, &row)
	if err != nil {
		return 0, fmt.Errorf("connection limit: %w", err)
	}
	if row.Role >= 0 && row.Role < row.Server {
		return row.Role, nil
	}
	return row.Server, nil
}
