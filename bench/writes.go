package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"

	"flowlens/demo"
	"flowlens/store"
)

// WriteOptions steer the write-path measurement.
type WriteOptions struct {
	// Rows is the number of sessions inserted then completed one at a time.
	Rows int
	// Writers and For are the concurrent writers and their duration.
	Writers int
	For     time.Duration
	// CopySessions is the number of sessions of the COPY run (0: none).
	CopySessions int
	// Split adds a third database with the rollups' column and indexes but
	// not their triggers, to tell the two costs apart.
	Split bool
}

// rollupTriggers drops the rollups' triggers of a migrated database;
// rollupColumnAndIndexes then its duration-bin column and the indexes on
// it and on engineers' trees: together, the schema without the rollups (the
// rollup tables stay, unused; everything else, such as the drill-down's
// triggers and the funnel's path key, stays in both databases).
var (
	rollupTriggers = []string{
		"DROP TRIGGER sessions_rollups_insert ON sessions", "DROP TRIGGER sessions_rollups_update ON sessions",
		"DROP TRIGGER sessions_rollups_delete ON sessions", "DROP TRIGGER sessions_rollups_truncate ON sessions",
		"DROP TRIGGER session_ratings_rollups_insert ON session_ratings", "DROP TRIGGER session_ratings_rollups_update ON session_ratings",
		"DROP TRIGGER session_ratings_rollups_delete ON session_ratings", "DROP TRIGGER session_ratings_rollups_truncate ON session_ratings",
		"DROP TRIGGER step_ratings_rollups_insert ON step_ratings", "DROP TRIGGER step_ratings_rollups_update ON step_ratings",
		"DROP TRIGGER step_ratings_rollups_delete ON step_ratings", "DROP TRIGGER step_ratings_rollups_truncate ON step_ratings",
	}
	rollupColumnAndIndexes = []string{"DROP INDEX sessions_user_tree_idx", "ALTER TABLE sessions DROP COLUMN duration_bin CASCADE"}
)

// writeDB is one of the two databases of the write-path measurement.
type writeDB struct {
	name    string // "with rollups", "without"
	url     string
	pool    *pgxpool.Pool
	account uuid.UUID
	tree    uuid.UUID
	users   []uuid.UUID
	rollups bool
}

// Writes measures the write path with and without the rollups, side by
// side in one run, on two databases created on the server of o.AdminURL:
// the same migrations in both, then the rollups' triggers, column and
// indexes dropped in one (and, with w.Split, a third without the triggers
// only). It prints the
// latencies of a single-row INSERT of a session and of the UPDATE
// completing it, the throughput and failures of concurrent writers of one
// account and tree (with a fold every second beside them when the rollups
// are on), and the time of a COPY of generated sessions.
func Writes(ctx context.Context, o Options, w WriteOptions) error {
	out := o.Out
	var dbs []*writeDB
	defer func() {
		for _, d := range dbs {
			d.pool.Close()
		}
	}()
	variants := []string{"on", "off"}
	if w.Split {
		variants = append(variants, "indexes")
	}
	for _, v := range variants {
		name, label := o.Database+"_writes_"+v, map[string]string{"on": "with rollups", "off": "without", "indexes": "indexes only"}[v]
		d, err := newWriteDB(ctx, o.AdminURL, name, label, v)
		if err != nil {
			return err
		}
		dbs = append(dbs, d)
	}
	names := o.Database + "_writes_on and _off"
	if w.Split {
		names += " and _indexes"
	}
	fmt.Fprintf(out, "\nWrite path, with and without the rollups (databases %s, same server, measured alternately)\n", names)
	if err := singleRows(ctx, out, dbs, w.Rows); err != nil {
		return err
	}
	if err := concurrent(ctx, out, dbs, w.Writers, w.For); err != nil {
		return err
	}
	if w.CopySessions > 0 {
		return copyRun(ctx, out, dbs, w.CopySessions)
	}
	return nil
}

// newWriteDB (re)creates database name, migrated, with one account, one
// tree and 16 engineers.
func newWriteDB(ctx context.Context, adminURL, name, label, variant string) (*writeDB, error) {
	rollups := variant == "on"
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	for _, q := range []string{"DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)", "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	url, err := withDatabase(adminURL, name, "")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(url, store.PoolConfig{MaxOpen: 2, MaxIdle: 1})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := store.Migrate(ctx, db); err != nil {
		return nil, err
	}
	var drop []string
	switch variant {
	case "off":
		drop = append(append(drop, rollupTriggers...), rollupColumnAndIndexes...)
	case "indexes":
		drop = rollupTriggers
	}
	if !rollups {
		for _, q := range drop {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	d := &writeDB{name: label, url: url, account: uuid.New(), tree: uuid.New(), rollups: rollups}
	if _, err := db.ExecContext(ctx, "INSERT INTO accounts (id, name) VALUES (?, 'writes')", d.account); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO trees (id, account_id, name, tree_structure) VALUES (?, ?, 'flow', '{"id":"root","children":[{"id":"a"},{"id":"b"}]}')`, d.tree, d.account); err != nil {
		return nil, err
	}
	for i := 0; i < 16; i++ {
		u := uuid.New()
		d.users = append(d.users, u)
		if _, err := db.ExecContext(ctx, "INSERT INTO users (id, account_id, name) VALUES (?, ?, 'eng')", u, d.account); err != nil {
			return nil, err
		}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 32
	if d.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, err
	}
	return d, nil
}

// session writes one session the way the application does: an INSERT when
// it starts, an UPDATE when it completes (with its decisions), each its
// own transaction; it returns both latencies.
func (d *writeDB) session(ctx context.Context, c *pgxpool.Conn, user uuid.UUID, at time.Time) (ins, upd time.Duration, err error) {
	id := uuid.New()
	start := time.Now()
	if _, err = c.Exec(ctx, "INSERT INTO sessions (id, tree_id, user_id, started_at, decisions) VALUES ($1, $2, $3, $4, '[]')", id, d.tree, user, at); err != nil {
		return
	}
	ins = time.Since(start)
	start = time.Now()
	_, err = c.Exec(ctx, `UPDATE sessions SET completed_at = started_at + interval '7 minutes 13.5 seconds', outcome = 'resolved',
		decisions = '[{"node_id":"root"},{"node_id":"a"}]' WHERE id = $1`, id)
	upd = time.Since(start)
	return
}

// singleRows inserts and completes rows sessions one at a time in each
// database, alternately, and prints the latencies' p50 and p99.
func singleRows(ctx context.Context, out io.Writer, dbs []*writeDB, rows int) error {
	ins := make([]samples, len(dbs))
	upd := make([]samples, len(dbs))
	conns := make([]*pgxpool.Conn, len(dbs))
	for i, d := range dbs {
		c, err := d.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer c.Release()
		conns[i] = c
	}
	at := anchor.Add(-30 * 24 * time.Hour)
	for n := 0; n < rows; n++ {
		for i, d := range dbs {
			a, b, err := d.session(ctx, conns[i], d.users[n%len(d.users)], at.Add(time.Duration(n)*time.Second))
			if err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
			ins[i], upd[i] = append(ins[i], a), append(upd[i], b)
		}
	}
	pair := make([]samples, len(dbs))
	for i := range dbs {
		for j := range ins[i] {
			pair[i] = append(pair[i], ins[i][j]+upd[i][j])
		}
	}
	fmt.Fprintf(out, "single-row writes, %d sessions each, one connection (ms):\n", rows)
	fmt.Fprintf(out, "  %-34s", "")
	for _, d := range dbs {
		fmt.Fprintf(out, " %14s", d.name)
	}
	fmt.Fprintf(out, " %9s\n", "ratio")
	for _, s := range []struct {
		what string
		v    []samples
	}{{"INSERT of a session", ins}, {"UPDATE completing it", upd}, {"both", pair}} {
		for _, p := range []float64{50, 99} {
			fmt.Fprintf(out, "  %-34s", fmt.Sprintf("%s p%.0f", s.what, p))
			for i := range dbs {
				fmt.Fprintf(out, " %14s", ms(s.v[i].pct(p)))
			}
			fmt.Fprintf(out, " %8s\n", times(s.v[0].pct(p), s.v[1].pct(p)))
		}
	}
	return nil
}

// concurrent runs writers concurrent writers of one account and tree in
// each database for d, in alternating slices, with a fold every second
// beside them where the rollups are on, and prints throughput and failures
// (deadlocks, serialization failures, any other error).
func concurrent(ctx context.Context, out io.Writer, dbs []*writeDB, writers int, d time.Duration) error {
	type result struct {
		sessions                         atomic.Int64
		deadlocks, serialization, others atomic.Int64
		folds                            atomic.Int64
		firstErr                         atomic.Value
		elapsed                          time.Duration
	}
	res := make([]*result, len(dbs))
	for i := range res {
		res[i] = &result{}
	}
	const slices = 3
	at := anchor.Add(-10 * 24 * time.Hour)
	var seq atomic.Int64
	for s := 0; s < slices; s++ {
		for i, db := range dbs {
			r := res[i]
			sctx, cancel := context.WithTimeout(ctx, d/slices)
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(user uuid.UUID) {
					defer wg.Done()
					c, err := db.pool.Acquire(sctx)
					if err != nil {
						return
					}
					defer c.Release()
					for sctx.Err() == nil {
						n := seq.Add(1)
						_, _, err := db.session(sctx, c, user, at.Add(time.Duration(n)*time.Millisecond))
						var pg *pgconn.PgError
						switch {
						case err == nil:
							r.sessions.Add(1)
						case sctx.Err() != nil:
						case errors.As(err, &pg) && pg.Code == "40P01":
							r.deadlocks.Add(1)
						case errors.As(err, &pg) && pg.Code == "40001":
							r.serialization.Add(1)
						default:
							r.others.Add(1)
							r.firstErr.CompareAndSwap(nil, err.Error())
						}
					}
				}(db.users[w%len(db.users)])
			}
			if db.rollups {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for sctx.Err() == nil {
						if _, err := db.pool.Exec(sctx, "SELECT flowlens_rollups_fold()"); err == nil {
							r.folds.Add(1)
						} else if sctx.Err() == nil {
							r.others.Add(1)
							r.firstErr.CompareAndSwap(nil, "fold: "+err.Error())
						}
						select {
						case <-sctx.Done():
						case <-time.After(time.Second):
						}
					}
				}()
			}
			start := time.Now()
			wg.Wait()
			r.elapsed += time.Since(start)
			cancel()
		}
	}
	fmt.Fprintf(out, "%d concurrent writers on one account and tree, %s each (%d slices, alternating), each session an INSERT then an UPDATE:\n", writers, d, slices)
	rate := func(r *result) float64 { return float64(r.sessions.Load()) / r.elapsed.Seconds() }
	for i, db := range dbs {
		r := res[i]
		extra := ""
		if db.rollups {
			extra = fmt.Sprintf(", %d folds beside them", r.folds.Load())
		}
		fmt.Fprintf(out, "  %-13s %8.0f sessions/s (%d), deadlocks %d, serialization failures %d, other errors %d%s\n",
			db.name, rate(r), r.sessions.Load(), r.deadlocks.Load(), r.serialization.Load(), r.others.Load(), extra)
		if e, ok := r.firstErr.Load().(string); ok {
			fmt.Fprintf(out, "                first other error: %s\n", e)
		}
	}
	fmt.Fprintf(out, "  throughput with rollups / without: %.2f\n", rate(res[0])/rate(res[1]))
	if res[0].deadlocks.Load()+res[0].serialization.Load()+res[0].others.Load() > 0 {
		return errors.New("the concurrent writers failed with the rollups on")
	}
	return nil
}

// copyRun COPYs n generated sessions (one account; batches of 50,000, as
// `flowlens seed` does, each batch into every database in turn, in
// alternating order) and prints the time of the COPY statements, then of
// folding the journal rows the triggers appended.
func copyRun(ctx context.Context, out io.Writer, dbs []*writeDB, n int) error {
	spec := demo.Spec{Seed: 11, Anchor: anchor, Days: 95, Skew: demo.DefaultSkew,
		Accounts: []demo.AccountSpec{{Name: "Copy", Trees: 300, Engineers: 200, Sessions: n}}}
	if err := spec.Validate(); err != nil {
		return err
	}
	data, err := demo.Generate(spec)
	if err != nil {
		return err
	}
	conns := make([]*bun.DB, len(dbs))
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	for i, d := range dbs {
		if conns[i], err = store.Open(d.url, store.PoolConfig{MaxOpen: 2, MaxIdle: 1}); err != nil {
			return err
		}
		err = store.BulkLoad(ctx, conns[i], func(ctx context.Context, b *store.Bulk) error {
			if _, err := b.Copy(ctx, store.Table{Name: "accounts", Columns: []string{"id", "name"}}, 1, func(int) []any {
				return []any{data.Accounts[0].ID, "copy"}
			}); err != nil {
				return err
			}
			if _, err := b.Copy(ctx, store.Table{Name: "users", Columns: []string{"id", "account_id"}}, len(data.Users), func(j int) []any {
				return []any{data.Users[j].ID, data.Users[j].AccountID}
			}); err != nil {
				return err
			}
			_, err := b.Copy(ctx, store.Table{Name: "trees", Columns: []string{"id", "account_id", "name"}}, len(data.Trees), func(j int) []any {
				return []any{data.Trees[j].ID, data.Trees[j].AccountID, data.Trees[j].Name}
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	copies := make([]time.Duration, len(dbs))
	k := 0
	for batch := range data.Batches(50000) {
		for j := range dbs {
			i := (j + k) % len(dbs)
			err := store.BulkLoad(ctx, conns[i], func(ctx context.Context, b *store.Bulk) error {
				start := time.Now()
				_, err := b.Copy(ctx, store.SessionsTable, len(batch.Sessions), func(j int) []any {
					s := &batch.Sessions[j]
					return []any{s.ID, s.TreeID, s.UserID, s.StartedAt, s.CompletedAt, s.Outcome, s.Decisions}
				})
				copies[i] += time.Since(start)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", dbs[i].name, err)
			}
		}
		k++
	}
	start := time.Now()
	folded, err := store.FoldRollups(ctx, conns[0])
	if err != nil {
		return err
	}
	fold := time.Since(start)
	fmt.Fprintf(out, "COPY of %s sessions (one account, 300 trees, 200 engineers, %d batches of 50,000, each its own transaction, into each database in turn):\n", count(n), k)
	for i, d := range dbs {
		fmt.Fprintf(out, "  %-13s %8.1f s\n", d.name, copies[i].Seconds())
	}
	fmt.Fprintf(out, "  ratio %.2f; then folding the %s journal rows took %.1f s (in the background, not in the writers' transactions)\n",
		copies[0].Seconds()/copies[1].Seconds(), count(int(folded)), fold.Seconds())
	return nil
}
