package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// readOnly is the options of every transaction of the service.
var readOnly = &sql.TxOptions{ReadOnly: true}

// inAccount runs fn in a read-only transaction whose `flowlens.account_id`
// is account, set with set_config(..., true) so it ends with the
// transaction and never outlives it on a pooled connection. Under the
// row-level security policies (migration 0004) the service's role then sees
// only that account's rows, whatever fn's SQL says.
func (s *Store) inAccount(ctx context.Context, account uuid.UUID, fn func(db bun.IDB) error) error {
	return s.inTx(ctx, "flowlens.account_id", account, analyticsTuning, fn)
}

// inAccountSerial is inAccount for statements that read a page of rows
// from an index in its order and stop after the page: without parallel
// workers (starting them costs more than such a statement, tens of
// milliseconds on a busy server) and with full sorts penalized
// (enable_sort off), so that the planner reads the order's index from the
// cursor on instead of sorting every candidate. It would do either when it
// expects few matches, which it does for criteria it takes to be
// independent when they are not (a node and its flow): then it plans to
// read all candidates anyway. A sort that no index can spare, such as the
// page's own rows, still runs.
func (s *Store) inAccountSerial(ctx context.Context, account uuid.UUID, fn func(db bun.IDB) error) error {
	return s.inTx(ctx, "flowlens.account_id", account, serialTuning, fn)
}

// asUser runs fn in a read-only transaction that may see only the user row
// id (and nothing of any account): the authentication lookup.
func (s *Store) asUser(ctx context.Context, id uuid.UUID, fn func(db bun.IDB) error) error {
	return s.inTx(ctx, "flowlens.user_id", id, analyticsTuning, fn)
}

// inTx runs fn in a read-only transaction with setting set to id and the
// tuning applied: in s.tx when the Store is bound to one (VerifyRollups;
// the setting only, no tuning, which would outlive the call in that
// transaction), else on the primary, or, when replicas are configured and
// ctx carries a request's route (ForRequest), where that route reads
// (route.go).
func (s *Store) inTx(ctx context.Context, setting string, id uuid.UUID, tuning string, fn func(db bun.IDB) error) error {
	if s.tx != nil {
		if _, err := s.tx.ExecContext(ctx, "SELECT set_config(?, ?, true)", setting, id.String()); err != nil {
			return fmt.Errorf("set %s: %w", setting, err)
		}
		return fn(*s.tx)
	}
	if s.reads != nil {
		if rt := routeFrom(ctx); rt != nil && rt.reads == s.reads {
			return rt.inTx(ctx, setting, id, tuning, fn)
		}
		s.reads.metrics.ReplicaRead(TargetPrimary)
	}
	return primaryTx(ctx, s.db, setting, id, tuning, fn)
}

// The tuning of the service's transactions, one expression evaluated by
// the statement that sets the row-level security setting (no extra round
// trip; docs/benchmarks.md): JIT off, since the analytics statements
// aggregate up to a million index entries each and LLVM compiling them
// costs more than it saves, on every request (plans are never reused);
// work_mem 64MB, so that the largest sorts and the step statistics'
// materialized decisions stay in memory whatever the server's default
// (4MB out of the box); and, for pages, no parallel workers and no full
// sort where an index gives the order. All are transaction-local
// (is_local true), so nothing outlives the transaction on a pooled
// connection, behind PgBouncer's transaction pooling too.
const (
	baseTuning      = "set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
	analyticsTuning = "concat(" + baseTuning + ")"
	serialTuning    = "concat(" + baseTuning + ", set_config('max_parallel_workers_per_gather', '0', true), set_config('enable_sort', 'off', true))"
)

// txSettings is the statement that opens every transaction of the
// service: the setting that row-level security reads, and tuning.
func txSettings(tuning string) string { return "SELECT set_config(?, ?, true), " + tuning }

// primaryTx runs fn in a read-only transaction on db with setting set to
// id. When the connection turns out dead (terminated by an administrator,
// a failover, a restart), the transaction runs again on another one: it
// only reads, so running it again is safe, and a killed connection costs
// no request. Several pooled connections may have died at once, hence a
// few attempts; each fails at once on a dead connection.
func primaryTx(ctx context.Context, db *bun.DB, setting string, id uuid.UUID, tuning string, fn func(db bun.IDB) error) error {
	return againOnLostConnection(ctx, func() error {
		return db.RunInTx(ctx, readOnly, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, txSettings(tuning), setting, id.String()); err != nil {
				return fmt.Errorf("set %s: %w", setting, err)
			}
			return fn(tx)
		})
	})
}

// TransactionControl reports whether statement q (as a bun query hook
// sees it) only opens, sets up or ends a transaction of the store: BEGIN
// or START TRANSACTION, the settings that open it (txSettings), COMMIT or
// ROLLBACK; every other statement is a store call's own (for hooks that
// count statements per call).
func TransactionControl(q string) bool {
	q = strings.TrimSpace(q)
	head := strings.ToUpper(q[:min(len(q), 12)])
	for _, p := range []string{"BEGIN", "START", "COMMIT", "ROLLBACK"} {
		if strings.HasPrefix(head, p) {
			return true
		}
	}
	return strings.HasPrefix(q, "SELECT set_config(")
}

// againOnLostConnection runs run, and again (up to maxAttempts in all)
// while it fails because its connection died; run must only read.
func againOnLostConnection(ctx context.Context, run func() error) error {
	err := run()
	for attempt := 1; attempt < maxAttempts && err != nil && ctx.Err() == nil && connectionLost(err); attempt++ {
		err = run()
	}
	return err
}

// accountSettings is the first FROM item, "cfg", of a statement that
// runs alone, without a transaction block of its own
// (inAccountStatement): one row whose column account is the account id,
// set as `flowlens.account_id` for the statement's own (implicit)
// transaction, after the analytics tuning and read-only were set for it
// too (their set_config results, cut to nothing, are part of the
// column's value, so the value exists only once all four have run).
// set_config(..., true) lasts until the end of that transaction, which is
// the statement's end.
const accountSettings = "(SELECT set_config('flowlens.account_id', ?, true) || left(concat(" + analyticsTuning +
	", set_config('transaction_read_only', 'on', true)), 0) AS account) AS cfg"

// inAccountStatement runs one SELECT as account, scanned into dest, in a
// single round trip where inAccount takes four (BEGIN, the settings, the
// statement, COMMIT). build returns the statement given the start of its
// FROM list (from: accountSettings and CROSS JOIN LATERAL) and the
// expression of the account id (cfg.account::uuid); args follow the
// account's placeholder. Everything the statement reads must be computed
// from that expression (a set-returning function called with it as an
// argument: the rollup functions), so that it runs only once the settings
// are in force: row-level security's account, the tuning (the function's
// statement is planned when it first runs, with JIT off) and read-only.
// The statement's own outer part is planned and started before cfg runs,
// so it must be SQL of the store that only selects from the function's
// rows (its JIT and sort memory are the session's, for a few rows). Bound
// to a transaction (VerifyRollups) or with replicas configured (where a
// read first checks the replica's replay position), the statement runs in
// inAccount's transaction instead, built with an empty from and a
// placeholder for the account.
func (s *Store) inAccountStatement(ctx context.Context, account uuid.UUID, build func(from, account string) string, args []any, dest any) error {
	if s.tx != nil || s.reads != nil {
		sql, all := build("", "?::uuid"), append([]any{account}, args...)
		return s.inAccount(ctx, account, func(db bun.IDB) error {
			return db.NewRaw(sql, all...).Scan(ctx, dest)
		})
	}
	sql, all := build(accountSettings+" CROSS JOIN LATERAL ", "cfg.account::uuid"), append([]any{account.String()}, args...)
	return againOnLostConnection(ctx, func() error {
		return s.db.NewRaw(sql, all...).Scan(ctx, dest)
	})
}

// maxAttempts bounds the runs of one transaction over dead connections.
const maxAttempts = 4

// connectionLost reports whether err means an established connection died
// under the transaction: PostgreSQL terminated the backend (SQLSTATE 57P01
// admin_shutdown, 57P02 crash_shutdown) or the socket closed. A failure
// to open a new connection is not one: the database is unreachable, and
// trying again at once would not help.
func connectionLost(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "57P01" || pg.Code == "57P02"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) || ne != nil
}
