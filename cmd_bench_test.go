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
	for _, want := range []string{"data set: ready", "team 90d", "flow 7d", "Cost curve", "limit 50", "Memory per flowAnalytics", "EXPLAIN (ANALYZE, BUFFERS)", "Load: 4 clients", "cross-tenant answers 0", "Drill-down pages of", "totalCount of each list", "CSV export of every session", "peak heap"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A second run reuses the complete data set.
	if out := run(); !strings.Contains(out, "data set: reusing database "+name) {
		t.Errorf("second run did not reuse the data set:\n%s", out)
	}
}
