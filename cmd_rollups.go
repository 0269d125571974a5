package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"flowlens/store"
)

const rollupsUsage = `Usage:
  flowlens rollups verify [--account ID] [--from T --to T]   compare every rolled-up figure with the raw rows; exit 1 naming the first difference
  flowlens rollups rebuild                                  recompute every rollup from the raw rows (writers wait until it commits), then vacuum them
  flowlens rollups fold [--every D]                         move the triggers' delta rows into the folded rollups (once, or every D)
`

func runRollups(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return rollupsCmd(ctx, args, os.Stdout, os.Stderr)
}

// rollupsCmd is `flowlens rollups`: the rollups' maintenance, as the
// tables' owner (DATABASE_URL). Results go to stdout, progress to stderr.
func rollupsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, rollupsUsage)
		return flag.ErrHelp
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("rollups "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := bindConfig(fs)
	var account, from, to *string
	var every *time.Duration
	switch sub {
	case "verify":
		account = fs.String("account", "", "check only this account (its id)")
		from = fs.String("from", "", "compare the blocks from this instant (RFC 3339; default: all)")
		to = fs.String("to", "", "up to this instant (RFC 3339; default: all); the compared answers cover the 366 days before it")
	case "rebuild":
	case "fold":
		every = fs.Duration("every", 0, "fold again after each interval until stopped (0: once)")
	case "-h", "--help", "help":
		fmt.Fprint(stdout, rollupsUsage)
		return nil
	default:
		fmt.Fprint(stderr, rollupsUsage)
		return fmt.Errorf("unknown subcommand %q", sub)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	db, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "rebuild":
		store.NoticesTo(stderr)
		start := time.Now()
		if err := store.RebuildRollups(ctx, db); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rollups rebuilt in %.1fs\n", time.Since(start).Seconds())
		start = time.Now()
		if err := store.VacuumRollups(ctx, db); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rollups vacuumed in %.1fs\n", time.Since(start).Seconds())
		return nil
	case "fold":
		for {
			start := time.Now()
			n, err := store.FoldRollups(ctx, db)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "rollups: folded %d delta rows in %.3fs\n", n, time.Since(start).Seconds())
			if *every <= 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(*every):
			}
		}
	}
	o := store.VerifyOptions{Progress: func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }}
	if *account != "" {
		if o.Account, err = uuid.Parse(*account); err != nil {
			return fmt.Errorf("--account %q is not a UUID", *account)
		}
	}
	for _, f := range []struct {
		name, val string
		dst       *time.Time
	}{{"from", *from, &o.From}, {"to", *to, &o.To}} {
		if f.val == "" {
			continue
		}
		if *f.dst, err = time.Parse(time.RFC3339Nano, f.val); err != nil {
			return fmt.Errorf("--%s %q is not an RFC 3339 time such as 2026-01-31T12:00:00Z", f.name, f.val)
		}
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return fmt.Errorf("--from must be before --to")
	}
	start := time.Now()
	if err := store.VerifyRollups(ctx, db, o); err != nil {
		return err // a *store.Difference names the first difference
	}
	fmt.Fprintf(stdout, "rollups: every figure equals the raw computation (%.1fs)\n", time.Since(start).Seconds())
	return nil
}
