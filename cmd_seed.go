package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/demo"
	"flowlens/store"
)

func runSeed(args []string) error {
	// Ctrl-C or SIGTERM aborts the load; its transaction rolls back.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return seed(ctx, args, os.Stdout, os.Stderr)
}

// seed is `flowlens seed`: it generates the demo data set that its flags
// describe, loads it with COPY into an empty database (or next to existing
// data with --append; it never deletes anything), and prints Authorization
// headers for the demo team admin and engineer. Results go to stdout,
// progress to stderr.
func seed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := bindConfig(fs)
	seedN := fs.Int64("seed", demo.DefaultSeed, "selects the data set: the same seed and anchor give identical data")
	accounts := fs.Int("accounts", demo.DefaultAccounts, "number of accounts (tenants); the first is the demo account")
	trees := fs.Int("trees", demo.DefaultTrees, "troubleshooting trees per account")
	engineers := fs.Int("engineers", demo.DefaultEngineers, "engineers per account (team admins come on top)")
	sessions := fs.Int("sessions", demo.DefaultSessions, "sessions in total: the demo account gets a double share, every other account one share")
	days := fs.Int("days", demo.DefaultDays, "sessions start within this many days before the anchor")
	anchor := fs.String("anchor", "", "end of the data's time span, RFC 3339 (default: the start of the current UTC hour); give it to get the same data on another day")
	skew := fs.Float64("skew", demo.DefaultSkew, "Zipf exponent of tree popularity and engineer activity")
	appendData := fs.Bool("append", false, "add the data set to a database that already holds data (without it, seed refuses)")
	batch := fs.Int("batch", 50000, "sessions per COPY batch")
	ttl := fs.Duration("token-ttl", 24*time.Hour, "validity of the printed tokens")
	if err := cfg.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err := cfg.checkTTL("token-ttl", *ttl); err != nil {
		return err
	}
	at := time.Now().UTC().Truncate(time.Hour)
	if *anchor != "" {
		t, err := time.Parse(time.RFC3339, *anchor)
		if err != nil {
			return fmt.Errorf("--anchor %q is not an RFC 3339 time such as 2026-01-31T12:00:00Z", *anchor)
		}
		at = t.UTC()
	}
	if *accounts < 1 || *accounts > 1000 {
		return fmt.Errorf("--accounts must be between 1 and 1000, got %d", *accounts)
	}
	spec := demo.Spec{Seed: *seedN, Anchor: at, Days: *days, Skew: *skew,
		Accounts: demo.Accounts(*accounts, *trees, *engineers, *sessions)}
	if err := spec.Validate(); err != nil {
		return err
	}
	secret, err := cfg.secret()
	if err != nil {
		return err
	}
	db, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	data, err := demo.Generate(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seed: seed %d, anchor %s, %d accounts, %d sessions\n",
		spec.Seed, spec.Anchor.Format(time.RFC3339), len(spec.Accounts), spec.TotalSessions())
	st, err := loadDemo(ctx, db, data, loadOptions{Append: *appendData, Batch: *batch, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Loaded %s rows in %.1fs (%s rows/s): %s.\n", count(st.Rows), st.Elapsed.Seconds(),
		count(int64(float64(st.Rows)/max(st.Elapsed.Seconds(), 0.001))), st)

	admin, engineer := data.DemoAdmin(), data.DemoEngineer()
	account := data.Accounts[0].Name
	fmt.Fprintf(stdout, "\nPlayground: %s\nPaste one of these into the Playground's headers editor:\n", playgroundURL(cfg.Addr))
	for _, p := range []struct {
		role, email string
		user        uuid.UUID
	}{{"Team admin", *admin.Email, admin.ID}, {"Engineer", *engineer.Email, engineer.ID}} {
		tok, err := auth.Mint(secret, p.user, *ttl, cfg.JWTIssuer, cfg.JWTAudience)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s %s (%s):\n{\"Authorization\": \"Bearer %s\"}\n", p.role, p.email, account, tok)
	}
	return nil
}

// loadOptions steer loadDemo.
type loadOptions struct {
	// Append allows loading into a database that already holds data.
	Append bool
	// Batch is the number of sessions per COPY.
	Batch int
	// Progress receives a line per batch; nil prints nothing.
	Progress io.Writer
}

// loadStats counts what loadDemo wrote.
type loadStats struct {
	Accounts, Users, Trees, Sessions, SessionRatings, StepRatings int64
	Rows                                                          int64
	Elapsed                                                       time.Duration
}

func (s loadStats) String() string {
	return fmt.Sprintf("%s accounts, %s users, %s trees, %s sessions, %s session ratings, %s step ratings",
		count(s.Accounts), count(s.Users), count(s.Trees), count(s.Sessions), count(s.SessionRatings), count(s.StepRatings))
}

// loadDemo writes data into db in one transaction with COPY, batch by batch
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
// locked.
func loadDemo(ctx context.Context, db *bun.DB, data *demo.Dataset, opts loadOptions) (loadStats, error) {
	var st loadStats
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
			return load() // existing data: keep the trigger, take no table lock
		}
		return b.WithoutDerivedTriggers(ctx, load)
	})
	if err != nil {
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
func copySessions(ctx context.Context, b *store.Bulk, data *demo.Dataset, size int, progress io.Writer, start time.Time, st *loadStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *demo.Batch, 2)
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

// playgroundURL returns the address of the Playground for a listen address.
func playgroundURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// count formats n with thousands separators (1,000,000).
func count(n int64) string { return english.Sprintf("%d", n) }

// english formats numbers as the messages print them.
var english = message.NewPrinter(language.English)
