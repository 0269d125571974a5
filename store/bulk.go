package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// AppTables are the six tables of the main application, parents first (the
// order in which rows can be loaded).
var AppTables = []string{"accounts", "users", "trees", "sessions", "session_ratings", "step_ratings"}

// sessionAccountTrigger is the trigger that fills sessions.account_id
// (migration 20260101000002).
const sessionAccountTrigger = "sessions_set_account"

// sessionCsatTrigger is the trigger on session_ratings that fills
// sessions.csat (migration 20260101000020).
const sessionCsatTrigger = "session_ratings_set_csat"

// sessionVisitsTrigger is the trigger on sessions that keeps
// session_visits (migration 20260101000020).
const sessionVisitsTrigger = "sessions_visits"

// Bulk is one transaction on a dedicated connection, for loading many rows
// with COPY.
type Bulk struct {
	tx pgx.Tx
}

// BulkLoad runs fn in one transaction on a dedicated pgx connection taken
// from db's pool, and commits when fn returns nil; any error rolls
// everything back.
func BulkLoad(ctx context.Context, db *bun.DB, fn func(context.Context, *Bulk) error) error {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("bulk load: the database driver is %T, not pgx", driverConn)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("bulk load: begin: %w", err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if err := fn(ctx, &Bulk{tx: tx}); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("bulk load: commit: %w", err)
		}
		return nil
	})
}

// Copy writes the rows of src into columns of table with COPY and returns
// how many it wrote.
func (b *Bulk) Copy(ctx context.Context, table string, columns []string, src pgx.CopyFromSource) (int64, error) {
	n, err := b.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, src)
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

// MissingTables returns those of AppTables that do not exist (the database
// is not migrated).
func (b *Bulk) MissingTables(ctx context.Context) ([]string, error) {
	var missing []string
	for _, t := range AppTables {
		var exists bool
		if err := b.tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "public."+t).Scan(&exists); err != nil {
			return nil, fmt.Errorf("check table %s: %w", t, err)
		}
		if !exists {
			missing = append(missing, t)
		}
	}
	return missing, nil
}

// TablesWithRows returns those of AppTables that hold at least one row.
func (b *Bulk) TablesWithRows(ctx context.Context) ([]string, error) {
	var full []string
	for _, t := range AppTables {
		var any bool
		if err := b.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{t}.Sanitize()+")").Scan(&any); err != nil {
			return nil, fmt.Errorf("check table %s: %w", t, err)
		}
		if any {
			full = append(full, t)
		}
	}
	return full, nil
}

// AccountExists reports whether an account with id exists.
func (b *Bulk) AccountExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var exists bool
	if err := b.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", id).Scan(&exists); err != nil {
		return false, fmt.Errorf("account exists: id=%s: %w", id, err)
	}
	return exists, nil
}

// derivedTriggers are the triggers that fill flowlens's derived data row
// by row, by table: sessions.account_id (migration 20260101000002),
// sessions.csat and session_visits (migration 20260101000020). The
// trigger that fills sessions.longest_key and dropoff_node stays on: it
// only computes two values of the row.
var derivedTriggers = []struct{ table, trigger string }{
	{"sessions", sessionAccountTrigger},
	{"session_ratings", sessionCsatTrigger},
	{"sessions", sessionVisitsTrigger},
}

// fillVisits writes the session_visits rows of the sessions that have
// none, in one statement (what the visits trigger writes row by row).
const fillVisits = `INSERT INTO session_visits (session_id, node, account_id, tree_id, user_id, started_at, longest_key)
SELECT s.id, n, s.account_id, s.tree_id, s.user_id, s.started_at, s.longest_key
FROM sessions s CROSS JOIN LATERAL flowlens_visited_nodes(s.decisions) AS n
WHERE NOT EXISTS (SELECT 1 FROM session_visits v WHERE v.session_id = s.id)`

// WithoutDerivedTriggers runs fn with the triggers that fill
// sessions.account_id, sessions.csat and session_visits disabled for this
// transaction's writes, writes the visits of the new sessions in one
// statement, and enables the triggers again before returning, whatever fn
// returns. The caller must write both columns itself, with the values the
// triggers would compute: account_id the account of both the tree and the
// user (NULL when they differ), csat the rating of the session's latest
// session rating (greatest created_at, ties by the smallest id).
//
// ALTER TABLE takes an ACCESS EXCLUSIVE lock on sessions and
// session_ratings until the transaction ends: readers wait for the load to
// finish. Being part of the transaction, the change is undone on rollback
// too, so a trigger can never stay disabled.
func (b *Bulk) WithoutDerivedTriggers(ctx context.Context, fn func() error) error {
	for _, t := range derivedTriggers {
		if _, err := b.tx.Exec(ctx, "ALTER TABLE "+t.table+" DISABLE TRIGGER "+t.trigger); err != nil {
			return fmt.Errorf("disable trigger %s: %w", t.trigger, err)
		}
	}
	ferr := fn()
	if ferr != nil {
		return ferr // the rollback restores the triggers
	}
	if _, err := b.tx.Exec(ctx, fillVisits); err != nil {
		return fmt.Errorf("fill session_visits: %w", err)
	}
	for _, t := range derivedTriggers {
		if _, err := b.tx.Exec(ctx, "ALTER TABLE "+t.table+" ENABLE TRIGGER "+t.trigger); err != nil {
			return fmt.Errorf("enable trigger %s: %w", t.trigger, err)
		}
	}
	return nil
}

// Analyze refreshes the planner statistics of tables.
func Analyze(ctx context.Context, db *bun.DB, tables ...string) error {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pgx.Identifier{t}.Sanitize()
	}
	if _, err := db.ExecContext(ctx, "ANALYZE "+strings.Join(quoted, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
