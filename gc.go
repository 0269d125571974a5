package main

import (
	"runtime/debug"
	"strings"
)

// defaultGCPercent is the garbage collector's target when GOGC is not
// set: the heap may grow to five times what is live before a collection,
// instead of Go's twice. The service keeps little live (a few MiB: a
// request's results and loaders, an export's current batch), so that is
// still tens of MiB, while the collector runs a quarter as often: under
// the bench's load over the 1M tenant it served 2.8–10.7% more requests
// a second than Go's default in alternating runs, and an export 1.5× the
// rows a second (docs/benchmarks.md, "The collector's target").
const defaultGCPercent = 400

// applyGCDefault sets the collector's target to defaultGCPercent unless
// the environment (getenv) sets GOGC, which the Go runtime has already
// applied then, or GOMEMLIMIT, whose operator chose how memory is
// traded for CPU. It returns whether it set the target.
func applyGCDefault(getenv func(string) string) bool {
	if strings.TrimSpace(getenv("GOGC")) != "" || strings.TrimSpace(getenv("GOMEMLIMIT")) != "" {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}
