package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// PoolConfig sizes the connection pool and picks the driver's protocol.
type PoolConfig struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
	// ExecMode is how pgx sends statements (zero: ExecSimpleProtocol).
	ExecMode ExecMode
}

// ExecMode is the pgx query execution mode of the pool: how statements
// travel to PostgreSQL (DB_QUERY_EXEC_MODE). Both modes flowlens accepts
// work behind PgBouncer in transaction pooling mode, since neither keeps
// a prepared statement on the server from one transaction to the next:
// PgBouncer 1.18 (Debian 12) hands each transaction whichever server
// connection is free, where a named prepared statement of another one
// does not exist. bun writes every argument into the SQL text itself, so
// nothing would be gained by preparing statements anyway.
type ExecMode string

const (
	// ExecSimpleProtocol sends each statement as one simple-protocol
	// Query message (pgx.QueryExecModeSimpleProtocol): one round trip, no
	// statement on the server. The default.
	ExecSimpleProtocol ExecMode = "simple_protocol"
	// ExecExtended uses the extended protocol with the unnamed statement,
	// parsed, bound and executed in one round trip (pgx.QueryExecModeExec):
	// nothing outlives the statement.
	ExecExtended ExecMode = "exec"
)

// ParseExecMode returns the mode named s ("" is the default). pgx's other
// modes are refused: cache_statement prepares named statements on the
// server, and cache_describe and describe_exec rely on a statement
// description that another server connection behind a pooler may not share.
func ParseExecMode(s string) (ExecMode, error) {
	switch m := ExecMode(strings.TrimSpace(s)); m {
	case "":
		return ExecSimpleProtocol, nil
	case ExecSimpleProtocol, ExecExtended:
		return m, nil
	case "cache_statement", "cache_describe", "describe_exec":
		return "", fmt.Errorf("DB_QUERY_EXEC_MODE %q relies on statements prepared on the server, which PgBouncer's transaction pooling does not keep between transactions: use %s or %s", s, ExecSimpleProtocol, ExecExtended)
	default:
		return "", fmt.Errorf("DB_QUERY_EXEC_MODE %q is not a mode: use %s (the default) or %s", s, ExecSimpleProtocol, ExecExtended)
	}
}

// pgx returns the pgx mode of m.
func (m ExecMode) pgx() pgx.QueryExecMode {
	if m == ExecExtended {
		return pgx.QueryExecModeExec
	}
	return pgx.QueryExecModeSimpleProtocol
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

// Open connects to dsn through pgx in pool.ExecMode (by default the simple
// protocol: bun formats arguments into the SQL text itself, so prepared
// statements would not be reused; a default_query_exec_mode in dsn is
// overridden) and returns a bun database. It does not contact the server;
// see Ping.
func Open(dsn string, pool PoolConfig) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL address: %w", errDSNForm)
	}
	cfg.DefaultQueryExecMode = pool.ExecMode.pgx()
	cfg.OnNotice = printNotice
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	// When a request's context ends (client gone, deadline passed), ask
	// PostgreSQL to cancel the running statement instead of leaving it to
	// finish; the socket deadline follows shortly after as a backstop. The
	// cancel request goes to the address the connection was made to: behind
	// PgBouncer, PgBouncer forwards it to the server connection running the
	// statement (the key pgx holds is PgBouncer's own).
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &cancelHandler{conn: c, deadlineDelay: time.Second}
	}
	sqldb := stdlib.OpenDB(*cfg)
	if pool.MaxOpen <= 0 {
		pool = PoolConfig{MaxOpen: DefaultPool.MaxOpen, MaxIdle: DefaultPool.MaxIdle, MaxLifetime: DefaultPool.MaxLifetime, ExecMode: pool.ExecMode}
	}
	sqldb.SetMaxOpenConns(pool.MaxOpen)
	sqldb.SetMaxIdleConns(pool.MaxIdle)
	sqldb.SetConnMaxLifetime(pool.MaxLifetime)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// cancelHandler is pgx's CancelRequestContextWatcherHandler, except that a
// cancel request, once sent, is seen through to its end: the server's
// closing of the cancel connection (or the deadline). pgx's own handler
// closes that connection as soon as the cancelled statement returns, which
// can be before PgBouncer has finished forwarding the request; PgBouncer
// 1.18 (Debian 12's) then exits with "bad client state: 0" (pgbouncer
// issue #801, fixed by pull request #846), dropping every client. The
// statement's connection is handed back only once the cancel request is
// over, so it can never cancel the connection's next statement.
type cancelHandler struct {
	conn          *pgconn.PgConn
	deadlineDelay time.Duration
	done          chan struct{}
}

// HandleCancel implements ctxwatch.Handler.
func (h *cancelHandler) HandleCancel(context.Context) {
	h.done = make(chan struct{})
	deadline := time.Now().Add(h.deadlineDelay)
	_ = h.conn.Conn().SetDeadline(deadline)
	go func() {
		defer close(h.done)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		_ = h.conn.CancelRequest(ctx)
		// The server has the request; give it a moment to reach the
		// backend before the connection runs anything else (pgx waits
		// the same).
		time.Sleep(100 * time.Millisecond)
	}()
}

// HandleUnwatchAfterCancel implements ctxwatch.Handler.
func (h *cancelHandler) HandleUnwatchAfterCancel() {
	<-h.done
	_ = h.conn.Conn().SetDeadline(time.Time{})
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

// SplitAddresses splits a comma-separated list of PostgreSQL addresses
// (REPLICA_DATABASE_URLS). A comma starts a new address only when what
// follows is another postgres:// or postgresql:// URL (or nothing, or
// another comma: an empty entry), so the comma of a multi-host URL
// (postgres://u@h1:5432,h2:5433/db) stays inside it. Entries are trimmed.
func SplitAddresses(list string) []string {
	var out []string
	start := 0
	for i := 0; i < len(list); i++ {
		if list[i] != ',' {
			continue
		}
		rest := strings.TrimLeft(list[i+1:], " \t")
		if rest == "" || rest[0] == ',' || strings.HasPrefix(rest, "postgres://") || strings.HasPrefix(rest, "postgresql://") {
			out = append(out, strings.TrimSpace(list[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(list[start:]))
}

// ParseReplicaURLs splits REPLICA_DATABASE_URLS (SplitAddresses) and
// checks each address: a valid PostgreSQL address connecting as the same
// role as service, the primary's address of the service: a streaming
// standby is a copy of the primary, roles included, so the service's role
// there is the one whose row-level security was checked on the primary.
// Messages name the entry by position, never by its text (it may hold a
// password). An empty list is no replica.
func ParseReplicaURLs(list, service string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	want := ""
	if cfg, err := pgx.ParseConfig(service); err == nil {
		want = cfg.User
	}
	var urls []string
	for i, u := range SplitAddresses(list) {
		if u == "" {
			return nil, fmt.Errorf("REPLICA_DATABASE_URLS: address %d is empty (addresses are separated by commas)", i+1)
		}
		cfg, err := pgx.ParseConfig(u)
		if err != nil {
			return nil, fmt.Errorf("REPLICA_DATABASE_URLS: address %d is not a valid PostgreSQL address: %w", i+1, errDSNForm)
		}
		if want != "" && cfg.User != want {
			return nil, fmt.Errorf("REPLICA_DATABASE_URLS: address %d (%s) connects as %q, not as the service's role %q: a standby has the primary's roles, use the same one", i+1, HostPort(u), cfg.User, want)
		}
		urls = append(urls, u)
	}
	return urls, nil
}
