package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"flowlens/store"
)

// LoadOptions steer Load.
type LoadOptions struct {
	// Append allows loading into a database that already holds data.
	Append bool
	// Batch is the number of sessions per COPY.
	Batch int
	// Progress receives a line per batch; nil prints nothing.
	Progress io.Writer
}

// LoadStats counts what Load wrote.
type LoadStats struct {
	Accounts, Users, Trees, Sessions, SessionRatings, StepRatings int64
	Rows                                                          int64
	Elapsed                                                       time.Duration
}

// String lists the rows written per table.
func (s LoadStats) String() string {
	return fmt.Sprintf("%s accounts, %s users, %s trees, %s sessions, %s session ratings, %s step ratings",
		count(s.Accounts), count(s.Users), count(s.Trees), count(s.Sessions), count(s.SessionRatings), count(s.StepRatings))
}

// Report is the line that says what Load wrote and how fast.
func (s LoadStats) Report() string {
	return fmt.Sprintf("Loaded %s rows in %.1fs (%s rows/s): %s.", count(s.Rows), s.Elapsed.Seconds(),
		count(int64(float64(s.Rows)/max(s.Elapsed.Seconds(), 0.001))), s)
}

// Load writes data into db in one transaction with COPY, batch by batch
// (the next batch is generated while the previous one is written), then
// refreshes the planner statistics. It refuses a database that is not
// migrated, one that already holds data unless opts.Append is set, and a data
// set that is already there (same seed); it never deletes or changes rows.
//
// sessions.account_id and sessions.csat are written directly, with the
// account of the session's tree and user (always the same account in demo
// data) and the rating of its latest session rating. Into an empty
// database, the triggers that would compute the same values row by row are
// disabled inside the transaction (store.Bulk.WithoutDerivedTriggers),
// which saves about a quarter of the load time but locks the sessions
// tables until the load commits; when appending to existing data, which a
// running service may be reading, the triggers stay on and nothing is
// locked. The rollups likewise: into an empty database their triggers are
// off during the load and the rollups are rebuilt set-based before it
// commits (store.Bulk.WithoutRollupTriggers); when appending, the triggers
// keep them exact and their journal rows are folded after the commit.
func Load(ctx context.Context, db *bun.DB, data *Dataset, opts LoadOptions) (LoadStats, error) {
	var st LoadStats
	start := time.Now()
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	err := store.BulkLoad(ctx, db, func(ctx context.Context, b *store.Bulk) error {
		missing, err := b.MissingTables(ctx)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("the database has no table %s: run `flowlens migrate` first", strings.Join(missing, ", "))
		}
		full, err := b.TablesWithRows(ctx)
		if err != nil {
			return err
		}
		if len(full) > 0 && !opts.Append {
			return fmt.Errorf("the database already holds data (rows in %s); seed fills only an empty database and never deletes anything: pass --append to add the demo data next to it, or point DATABASE_URL at an empty database", strings.Join(full, ", "))
		}
		if exists, err := b.AccountExists(ctx, data.Accounts[0].ID); err != nil {
			return err
		} else if exists {
			return fmt.Errorf("the data set of seed %d is already in this database (account %s exists): pass another --seed to add more", data.Spec.Seed, data.Accounts[0].ID)
		}

		if st.Accounts, err = b.Copy(ctx, store.AccountsTable, len(data.Accounts), func(i int) []any {
			a := &data.Accounts[i]
			return []any{a.ID, a.Name, a.CreatedAt}
		}); err != nil {
			return err
		}
		if st.Users, err = b.Copy(ctx, store.UsersTable, len(data.Users), func(i int) []any {
			u := &data.Users[i]
			return []any{u.ID, u.AccountID, u.Name, u.Email, u.IsActive, u.IsTeamAdmin, u.IsSuperAdmin, u.CreatedAt}
		}); err != nil {
			return err
		}
		if st.Trees, err = b.Copy(ctx, store.TreesTable, len(data.Trees), func(i int) []any {
			t := &data.Trees[i]
			return []any{t.ID, t.AccountID, t.Name, t.Structure, t.CreatedAt}
		}); err != nil {
			return err
		}
		load := func() error { return copySessions(ctx, b, data, opts.Batch, progress, start, &st) }
		if len(full) > 0 {
			return load() // existing data: keep the triggers, take no table lock
		}
		return b.WithoutDerivedTriggers(ctx, func() error { return b.WithoutRollupTriggers(ctx, load) })
	})
	if err != nil {
		return st, err
	}
	// Appended rows reached the rollups through the triggers' delta rows:
	// fold them, so requests read few rows (answers are the same either way).
	if _, err := store.FoldRollups(ctx, db); err != nil {
		return st, err
	}
	if err := store.Analyze(ctx, db, store.AppTables...); err != nil {
		return st, err
	}
	st.Rows = st.Accounts + st.Users + st.Trees + st.Sessions + st.SessionRatings + st.StepRatings
	st.Elapsed = time.Since(start)
	return st, nil
}

// copySessions writes the sessions of data and their ratings, batch by
// batch, while a goroutine generates the next batches.
func copySessions(ctx context.Context, b *store.Bulk, data *Dataset, size int, progress io.Writer, start time.Time, st *LoadStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *Batch, 2)
	go func() {
		defer close(batches)
		for batch := range data.Batches(size) {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	total := data.Spec.TotalSessions()
	for batch := range batches {
		csat := batch.Csat()
		n, err := b.Copy(ctx, store.SessionsWithDerived, len(batch.Sessions), func(i int) []any {
			s := &batch.Sessions[i]
			var c *int16
			if r, ok := csat[s.ID]; ok {
				c = &r
			}
			return []any{s.ID, s.TreeID, s.UserID, s.StartedAt, s.CompletedAt, s.Outcome, s.Decisions, s.AccountID, c}
		})
		st.Sessions += n
		if err != nil {
			return err
		}
		n, err = b.Copy(ctx, store.SessionRatingsTable, len(batch.SessionRatings), func(i int) []any {
			r := &batch.SessionRatings[i]
			return []any{r.ID, r.SessionID, r.TreeID, r.UserID, int32(r.Rating), r.Comment, r.CreatedAt}
		})
		st.SessionRatings += n
		if err != nil {
			return err
		}
		n, err = b.Copy(ctx, store.StepRatingsTable, len(batch.StepRatings), func(i int) []any {
			r := &batch.StepRatings[i]
			return []any{r.ID, r.SessionID, r.TreeID, r.NodeID, r.Helpful, r.UserID, r.CreatedAt}
		})
		st.StepRatings += n
		if err != nil {
			return err
		}
		rows := st.Sessions + st.SessionRatings + st.StepRatings
		secs := max(time.Since(start).Seconds(), 0.001)
		fmt.Fprintf(progress, "seed: %s/%s sessions, %s rows, %s rows/s\n",
			count(st.Sessions), count(int64(total)), count(rows), count(int64(float64(rows)/secs)))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if st.Sessions != int64(total) {
		return errors.New("seed: the session stream ended early")
	}
	return nil
}

// count formats n with thousands separators (1,000,000).
func count(n int64) string { return english.Sprintf("%d", n) }

// english formats numbers as the messages print them.
var english = message.NewPrinter(language.English)
