package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"flowlens/auth"
	"flowlens/bench"
	"flowlens/httpapi"
	"flowlens/store"
)

func runBench(args []string) error {
	return benchCmd(context.Background(), args, os.Stdout)
}

// benchCmd is `flowlens bench`: it builds (once) the benchmark data set in
// its own database on the server of DATABASE_URL and measures the service
// against the original and floor baselines (see package bench).
func benchCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(out)
	cfg := bindConfig(fs)
	dbName := fs.String("db", "flowlens_bench", "name of the bench database, created on the server of DATABASE_URL and reused while its data set is complete")
	rebuild := fs.Bool("rebuild", false, "drop and rebuild the bench data set even when it is complete")
	quick := fs.Bool("quick", false, "tiny data set and few runs: checks that the bench works, measures nothing meaningful")
	runs := fs.Int("runs", 15, "measured runs of each query through the service and the floor")
	warmup := fs.Int("warmup", 2, "unmeasured warm-up runs before them")
	origRuns := fs.Int("original-runs", 5, "measured runs of the (slow) original baseline, after one warm-up run")
	floorConns := fs.Int("floor-conns", 8, "connections of the floor's pool")
	load := fs.Duration("load", 0, "duration of the load run over a loopback HTTP server (0: none), e.g. 60s")
	clients := fs.Int("clients", 32, "concurrent clients of the load run")
	loadLarge := fs.Bool("load-large", false, "load run over the 1,000,000-session tenant's dashboards only (default: six tenants of 10,000 to 1,000,000 sessions)")
	explain := fs.Bool("explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of the statements of the large tenant's team and flow dashboards")
	skip := fs.String("skip", "", "comma-separated parts not to run: latencies (the main table), original, paths, curve, limits, memory, replica, drilldown, export")
	replicaRuns := fs.Int("replica-runs", 40, "measured runs of each request of the replica part (with REPLICA_DATABASE_URLS), each way")
	huge := fs.Bool("huge", false, "add a 10,000,000-session tenant to the cost curve (database <db>_10m, built on first use: tens of minutes)")
	writes := fs.Bool("writes", false, "measure the write path with and without the rollups instead (two databases of its own)")
	writeRows := fs.Int("write-rows", 2000, "with --writes: sessions inserted then completed one at a time")
	writers := fs.Int("writers", 16, "with --writes: concurrent writers of one account and tree")
	writeFor := fs.Duration("write-for", 30*time.Second, "with --writes: how long the concurrent writers run, in each database")
	copySessions := fs.Int("copy-sessions", 1000000, "with --writes: sessions of the COPY run (0: none)")
	writeSplit := fs.Bool("write-split", false, "with --writes: also a database with the rollups' column and indexes but no triggers")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (service and load clients) to the file, for go tool pprof")
	if err := cfg.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *quick && !flagSet(fs, "runs") {
		*runs, *warmup, *origRuns = 2, 1, 1
	}
	// The load run's 32 clients share a dozen users: per-user rate limiting
	// would answer most of them 429. It stays off unless asked for.
	if !flagSet(fs, "rate-limit-rps") && os.Getenv("RATE_LIMIT_RPS") == "" {
		cfg.RateLimitRPS = 0
	}
	skipped := map[string]bool{}
	for _, p := range strings.Split(*skip, ",") {
		switch p = strings.TrimSpace(p); p {
		case "":
		case "latencies", "original", "paths", "curve", "limits", "memory", "replica", "drilldown", "export":
			skipped[p] = true
		default:
			return fmt.Errorf("--skip: unknown part %q (latencies, original, paths, curve, limits, memory, replica, drilldown, export)", p)
		}
	}
	// The bench mints and verifies its own tokens, in this process only:
	// without JWT_SECRET it uses a random secret of its own for the run.
	if cfg.JWTSecret == "" {
		cfg.JWTSecret = rand.Text() + rand.Text()
	}
	secret, err := cfg.secret()
	if err != nil {
		return err
	}
	replicas, err := cfg.replicas()
	if err != nil {
		return err
	}
	if *quick && !flagSet(fs, "replica-runs") {
		*replicaRuns = 2
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if *writes {
		return bench.Writes(ctx, bench.Options{AdminURL: cfg.DatabaseURL, Database: *dbName, Out: out},
			bench.WriteOptions{Rows: *writeRows, Writers: *writers, For: *writeFor, CopySessions: *copySessions, Split: *writeSplit})
	}
	return bench.Run(ctx, bench.Options{
		AdminURL: cfg.DatabaseURL, AppURL: cfg.AppDatabaseURL, Database: *dbName, Rebuild: *rebuild, Quick: *quick,
		Runs: *runs, Warmup: *warmup, OriginalRuns: *origRuns, FloorConns: *floorConns, Load: *load, Clients: *clients, LoadLarge: *loadLarge, Skip: skipped, Explain: *explain, Huge: *huge,
		Pool: cfg.pool(), Replicas: replicas, ReplicaWait: cfg.ReplicaWait, ReplicaRuns: *replicaRuns,
		Handler: func(db *bun.DB, now func() time.Time) http.Handler {
			return httpapi.New(cfg.appSettings(), httpapi.Deps{DB: db, Verifier: cfg.verifier(secret), Log: log, Now: now}).Handler()
		},
		Server: func(h http.Handler) *http.Server { return httpapi.NewServer("127.0.0.1:0", h, cfg.RequestTimeout) },
		ReplicaHandler: func(db *bun.DB, replicas []*bun.DB, now func() time.Time, m store.ReadMetrics) http.Handler {
			return httpapi.New(cfg.appSettings(), httpapi.Deps{DB: db, Replicas: replicas, ReadMetrics: m, Verifier: auth.NewVerifier(secret, cfg.JWTIssuer, cfg.JWTAudience), Log: log, Now: now}).Handler()
		},
		Token: func(user uuid.UUID) (string, error) {
			return auth.Mint(secret, user, 24*time.Hour, cfg.JWTIssuer, cfg.JWTAudience)
		},
		Out: out,
	})
}

// startCPUProfile profiles this process's CPU into the file until the
// returned function runs.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
