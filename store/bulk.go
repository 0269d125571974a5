package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
)

// Table is a table of the main application: its name and the columns that
// the main application writes (shared/API.md, "Data model"), in table order.
// A bulk load gives each row's values in the order of Columns.
type Table struct {
	Name    string
	Columns []string
}

// The six tables of the main application.
var (
	AccountsTable       = Table{"accounts", []string{"id", "name", "created_at"}}
	UsersTable          = Table{"users", []string{"id", "account_id", "name", "email", "is_active", "is_team_admin", "is_super_admin", "created_at"}}
	TreesTable          = Table{"trees", []string{"id", "account_id", "name", "tree_structure", "created_at"}}
	SessionsTable       = Table{"sessions", []string{"id", "tree_id", "user_id", "started_at", "completed_at", "outcome", "decisions"}}
	SessionRatingsTable = Table{"session_ratings", []string{"id", "session_id", "tree_id", "user_id", "rating", "comment", "created_at"}}
	StepRatingsTable    = Table{"step_ratings", []string{"id", "session_id", "tree_id", "node_id", "helpful", "user_id", "created_at"}}
)

// AppTables are the six tables of the main application, parents first (the
// order in which rows can be loaded).
var AppTables = []Table{AccountsTable, UsersTable, TreesTable, SessionsTable, SessionRatingsTable, StepRatingsTable}

// SessionsWithDerived is SessionsTable with the columns that flowlens adds
// and a load writes itself (see Bulk.WithoutDerivedTriggers): account_id
// (migration 20260101000002) and csat (migration 20260101000020), last,
// in table order. (flowlens's longest_key and dropoff_node follow them;
// their trigger fills them whatever a writer gives.)
var SessionsWithDerived = Table{SessionsTable.Name, append(slices.Clone(SessionsTable.Columns), "account_id", "csat")}

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

// Copy writes n rows into t with COPY and returns how many it wrote;
// row(i) returns the values of row i in the order of t.Columns.
func (b *Bulk) Copy(ctx context.Context, t Table, n int, row func(i int) []any) (int64, error) {
	src := pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil })
	written, err := b.tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, src)
	if err != nil {
		return written, fmt.Errorf("copy into %s: %w", t.Name, err)
	}
	return written, nil
}

// MissingTables returns the names of those of AppTables that do not exist (the database
// is not migrated).
func (b *Bulk) MissingTables(ctx context.Context) ([]string, error) {
	var missing []string
	for _, t := range AppTables {
		var exists bool
		if err := b.tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "public."+t.Name).Scan(&exists); err != nil {
			return nil, fmt.Errorf("check table %s: %w", t.Name, err)
		}
		if !exists {
			missing = append(missing, t.Name)
		}
	}
	return missing, nil
}

// TablesWithRows returns the names of those of AppTables that hold at least
// one row.
func (b *Bulk) TablesWithRows(ctx context.Context) ([]string, error) {
	var full []string
	for _, t := range AppTables {
		var any bool
		if err := b.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{t.Name}.Sanitize()+")").Scan(&any); err != nil {
			return nil, fmt.Errorf("check table %s: %w", t.Name, err)
		}
		if any {
			full = append(full, t.Name)
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

// fillVisits writes the session_visits rows of every session, in one
// statement (what the visits trigger writes row by row); the rows that are
// there already stay. (ON CONFLICT probes the primary key: an anti-join
// against the table being filled, planned while it is empty, would scan it
// once per session.)
const fillVisits = `INSERT INTO session_visits (session_id, node, account_id, tree_id, user_id, started_at, longest_key)
SELECT s.id, n, s.account_id, s.tree_id, s.user_id, s.started_at, s.longest_key
FROM sessions s CROSS JOIN LATERAL flowlens_visited_nodes(s.decisions) AS n
ON CONFLICT DO NOTHING`

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
func Analyze(ctx context.Context, db *bun.DB, tables ...Table) error {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pgx.Identifier{t.Name}.Sanitize()
	}
	if _, err := db.ExecContext(ctx, "ANALYZE "+strings.Join(quoted, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
