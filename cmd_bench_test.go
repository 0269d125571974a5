package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"flowlens/dbtest"
)

// TestBenchQuick runs `flowlens bench --quick` end to end on a tiny data
// set in a database of its own: data set build, service through the HTTP
// handler, original and floor baselines (whose numbers must equal the
// service's, or the bench fails), cost curve, statements by limit, memory
// and a short load run. It asserts nothing about timings.
func TestBenchQuick(t *testing.T) {
	admin := dbtest.DSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "flowlens_test_bench_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})

	run := func() string {
		var out bytes.Buffer
		err := benchCmd(context.Background(), []string{"--quick", "--db", name, "--load", "2s", "--clients", "4", "--explain"}, &out)
		if err != nil {
			t.Fatalf("bench --quick: %v\n%s", err, out.String())
		}
		return out.String()
	}
	out := run()
	for _, want := range []string{"data set: ready", "team 90d", "flow 7d", "Cost curve", "limit 50", "Memory per flowAnalytics", "EXPLAIN (ANALYZE, BUFFERS)", "Load: 4 clients", "cross-tenant answers 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A second run reuses the complete data set.
	if out := run(); !strings.Contains(out, "data set: reusing database "+name) {
		t.Errorf("second run did not reuse the data set:\n%s", out)
	}
}

// TestBenchQuickReplica runs `flowlens bench --quick` against a throwaway
// primary with a streaming standby given as REPLICA_DATABASE_URLS: the
// replica part checks that the replica's answers equal the primary's and
// prints both latencies, the added latency and the freshness check (p50,
// p99) for the idle primary and under writes. No timing is asserted.
func TestBenchQuickReplica(t *testing.T) {
	primary := dbtest.NewCluster(t, "synchronous_commit=on")
	standby := primary.NewStandby(t)
	var out bytes.Buffer
	err := benchCmd(context.Background(), []string{"--quick", "--db", "flowlens_bench_replica", "--skip", "latencies,original,curve,limits,memory",
		"--database-url", primary.DSN("postgres"), "--app-database-url", dbtest.AppDSN(t, primary.DSN("postgres")),
		"--replica-database-urls", dbtest.AppDSN(t, standby.DSN("postgres")), "--replica-runs", "3"}, &out)
	if err != nil {
		t.Fatalf("bench --quick with a replica: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"Replica reads: ", "REPLICA_WAIT 250ms", "added p50", "check99", "idle primary", "50 commits/s", "50 async commits/s"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// Every row says how many reads went to the replica; with the primary
	// idle, the check never waits past REPLICA_WAIT, so some did.
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "idle primary") {
			rows++
			if strings.Contains(line, "| 0 of ") {
				t.Errorf("no read on the replica with the primary idle: %s", line)
			}
		}
	}
	if rows != 4 {
		t.Errorf("%d rows for the idle primary, want 4:\n%s", rows, text)
	}
}
