package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"flowlens/auth"
	"flowlens/demo"
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
	st, err := demo.Load(ctx, db, data, demo.LoadOptions{Append: *appendData, Batch: *batch, Progress: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, st.Report())

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
