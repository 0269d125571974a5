package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"flowlens/dbtest"
)

// TestWrites runs the write-path measurement with tiny sizes: single rows,
// concurrent writers with folds beside them, COPY, with and without the
// rollups, in two databases of its own. It asserts nothing about timings,
// only that every part ran and that the concurrent writers saw no failure.
func TestWrites(t *testing.T) {
	admin := dbtest.DSN(t)
	name := dbtest.UnusedName(t, "flowlens_test_writes_", "_writes_on", "_writes_off")
	var out bytes.Buffer
	err := Writes(context.Background(), Options{AdminURL: admin, Database: name, Out: &out},
		WriteOptions{Rows: 20, Writers: 2, For: 1500 * time.Millisecond, CopySessions: 3000})
	if err != nil {
		t.Fatalf("writes: %v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"single-row writes, 20 sessions each", "INSERT of a session p50", "UPDATE completing it p99",
		"2 concurrent writers on one account and tree", "with rollups", "deadlocks 0, serialization failures 0, other errors 0",
		"throughput with rollups / without", "COPY of 3,000 sessions", "folding the"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
