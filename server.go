// Command flowlens serves the flowlens analytics API over GraphQL and holds
// its operational subcommands: serve, migrate, seed, token, bench and
// rollups. This file is the composition root: configuration, database,
// HTTP server, shutdown.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // IANA time zones even on machines without zoneinfo

	"github.com/uptrace/bun"

	"flowlens/httpapi"
	"flowlens/store"
)

const usage = `flowlens: GraphQL analytics for guided troubleshooting flows.

Usage:
  flowlens serve   [flags]   serve GraphQL at /query, the Playground at /
  flowlens migrate [flags]   apply the embedded database migrations
  flowlens seed    [flags]   load deterministic demo data
  flowlens token   --user <id or email> [flags]   print a signed JWT for a user
  flowlens bench   [flags]   run the performance benchmark
  flowlens rollups verify|rebuild|fold [flags]   maintain the rollup tables

Run "flowlens <command> -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "serve":
		err = runServe(args)
	case "migrate":
		err = runMigrate(args)
	case "seed":
		err = runSeed(args)
	case "token":
		err = runToken(args)
	case "bench":
		err = runBench(args)
	case "rollups":
		err = runRollups(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "flowlens: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "flowlens %s: %v\n", cmd, err)
		os.Exit(exitCode(err))
	}
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// connect opens the database of cfg and checks that it answers; an
// unreachable database is one clear error naming host and port.
func connect(ctx context.Context, cfg *config) (*bun.DB, error) {
	return connectTo(ctx, cfg, cfg.DatabaseURL)
}

// connectTo is connect with another address.
func connectTo(ctx context.Context, cfg *config, dsn string) (*bun.DB, error) {
	db, err := store.Open(dsn, cfg.pool())
	if err != nil {
		return nil, err
	}
	if err := store.Ping(ctx, db, 5*time.Second); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %s", store.HostPort(dsn), rootCause(err))
	}
	return db, nil
}

// rootCause returns the reason of a connection failure in one line: the
// network error itself when there is one (e.g. "connect: connection
// refused"), else the first line of the innermost error of err's chain.
func rootCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func runMigrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg := bindConfig(fs)
	if err := cfg.parse(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := store.Migrate(ctx, db)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("migrate: the database is up to date")
		return nil
	}
	for _, name := range applied {
		fmt.Println("migrate: applied", name)
	}
	return nil
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := bindConfig(fs)
	if err := cfg.parse(fs, args); err != nil {
		return err
	}
	log := newLogger()
	secret, err := cfg.secret()
	if err != nil {
		return err
	}
	replicaURLs, err := cfg.replicas()
	if err != nil {
		return err
	}
	log.Info("flowlens starting", "config", cfg.String())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	db, err := connectTo(ctx, cfg, cfg.serviceURL())
	if err != nil {
		return err
	}
	defer db.Close()
	if limit, err := store.ConnectionLimit(ctx, db); err != nil {
		return err
	} else if cfg.MaxOpenConns > limit {
		return fmt.Errorf("DB_MAX_OPEN_CONNS=%d is more connections than %s lets this role open (%d): lower it", cfg.MaxOpenConns, store.HostPort(cfg.serviceURL()), limit)
	}
	// Row-level security: refuse a role that escapes it, unless the
	// development flag allows it (loopback, not production).
	bypass, err := store.BypassesRLS(ctx, db)
	if err != nil {
		return err
	}
	if err := cfg.checkRLSBypass(bypass, store.HostPort(cfg.serviceURL())); err != nil {
		return err
	}
	if bypass {
		log.Warn("DEVELOPMENT ONLY: FLOWLENS_DEV_ALLOW_RLS_BYPASS=true and the database role bypasses row-level security: "+
			"nothing but the queries' own filters keeps one account from another; never run like this outside this machine",
			"addr", cfg.Addr, "database", store.HostPort(cfg.serviceURL()))
	}

	// Replicas: a standby that does not answer yet is not an error; the
	// service reads from the primary until it does.
	var replicas []*bun.DB
	for i, u := range replicaURLs {
		r, err := store.Open(u, cfg.pool())
		if err != nil {
			return err
		}
		defer r.Close()
		replicas = append(replicas, r)
		if err := store.Ping(ctx, r, 2*time.Second); err != nil {
			log.Warn("replica does not answer yet: reads go to the primary until it does", "replica", httpapi.ReplicaName(i), "address", store.HostPort(u), "error", rootCause(err))
		} else {
			log.Info("replica", "replica", httpapi.ReplicaName(i), "address", store.HostPort(u))
		}
	}
	app := httpapi.New(cfg.appSettings(), httpapi.Deps{DB: db, Replicas: replicas, Verifier: cfg.verifier(secret), Log: log})
	// The metrics have a listener of their own, loopback by default.
	metricsListener, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
	}
	metricsSrv := httpapi.NewServer("", app.MetricsHandler(), cfg.RequestTimeout)
	srv := httpapi.NewServer(cfg.Addr, app.Handler(), cfg.RequestTimeout)
	errc := make(chan error, 2)
	go func() { errc <- fmt.Errorf("listen on %s: %w", cfg.Addr, srv.ListenAndServe()) }()
	go func() { errc <- fmt.Errorf("metrics on %s: %w", cfg.MetricsAddr, metricsSrv.Serve(metricsListener)) }()
	log.Info("flowlens listening", "addr", cfg.Addr, "graphql", "/query", "playground", !cfg.production(), "metrics", metricsListener.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	// Draining: /readyz answers 503 so load balancers stop sending
	// traffic, while requests still arriving are served. Then the
	// listener closes (new connections are refused), in-flight requests
	// finish, and the pool closes.
	log.Info("shutting down: draining", "drain_delay", cfg.DrainDelay.String())
	app.SetDraining()
	time.Sleep(cfg.DrainDelay)
	log.Info("shutting down: closing the listener, waiting for in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	_ = metricsSrv.Shutdown(shutdownCtx)
	if err := db.Close(); err != nil {
		return fmt.Errorf("close the database pool: %w", err)
	}
	log.Info("flowlens stopped: database pool closed")
	return nil
}
