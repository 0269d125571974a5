package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// heapObjects is the runtime metric of bytes in live and not yet swept heap objects.
const heapObjects = "/memory/classes/heap/objects:bytes"

// memory measures flowAnalytics (the dashboard, then the flow-path fields
// alone) on a tree with 10,000 and one with 100,000 sessions (the whole
// 95-day span, so every session of the tree counts).
// Two figures per request, medians over the runs, with requests one at a
// time and a GC before each: allocated = the growth of the runtime's
// TotalAlloc during the request (every byte the process allocated to
// answer it, freed or not); peak heap = the highest heap-objects bytes
// sampled every 100 µs during the request, minus the value before it.
func (r *runner) memory(ctx context.Context) error {
	fmt.Fprintf(r.out, "\nMemory per flowAnalytics request (whole span; medians of %d runs)\n", r.o.Runs)
	var first [2]uint64 // allocated at 10k: the dashboard, the flow paths
	for _, role := range []string{roleTree10, roleTree100} {
		t := r.data.tenant(role, 0)
		tree := firstKey(t)
		from, to := anchor.Add(-time.Duration(r.data.Spec.Days)*24*time.Hour), anchor
		q := query{Kind: kindFlow, Tenant: t, From: &from, To: &to, Viewer: t.Admin, Tree: tree, Limit: 10}
		resp, _, err := r.svc.do(ctx, q)
		if err != nil {
			return err
		}
		// The dashboard, then the flow-path fields (paths.go) alone.
		for i, q := range []query{q, pathsMemory(q)} {
			var allocs, peaks []uint64
			for i := 0; i < r.o.Runs; i++ {
				a, p, err := r.allocation(ctx, q)
				if err != nil {
					return err
				}
				allocs, peaks = append(allocs, a), append(peaks, p)
			}
			alloc, peak := median(allocs), median(peaks)
			what := "dashboard"
			if i == 1 {
				what = "flow paths"
			}
			fmt.Fprintf(r.out, "tree of %-9s sessions, %-10s: allocated %s, peak heap %s per request\n",
				count(resp.Data.A.Summary.TotalSessions), what, mib(alloc), mib(peak))
			if role == roleTree10 {
				first[i] = alloc
			} else if !r.o.Quick && alloc > 2*first[i]+1<<20 {
				return fmt.Errorf("flowAnalytics (%s) memory grows with sessions: %s at 10k, %s at 100k", what, mib(first[i]), mib(alloc))
			}
		}
	}
	return nil
}

// allocation runs q once and returns its allocated bytes and heap peak.
func (r *runner) allocation(ctx context.Context, q query) (uint64, uint64, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	stop := watchHeapPeak(100 * time.Microsecond)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := r.svc.do(ctx, q)
	runtime.ReadMemStats(&after)
	p := stop()
	if p < base {
		p = base
	}
	return after.TotalAlloc - before.TotalAlloc, p - base, err
}

// firstKey returns a tree of t (the only one of the single-tree tenants).
func firstKey(t *tenant) uuid.UUID {
	for k := range t.Trees {
		return k
	}
	return uuid.Nil
}

func median(v []uint64) uint64 {
	if len(v) == 0 {
		return 0
	}
	c := append([]uint64(nil), v...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[len(c)/2]
}

// watchHeapPeak samples the bytes of live heap objects every interval
// until the returned function is called, which returns the highest sample.
func watchHeapPeak(every time.Duration) (stop func() uint64) {
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: heapObjects}}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}
