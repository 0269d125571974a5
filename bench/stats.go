package bench

import (
	"fmt"
	"sort"
	"time"
)

// samples are the latencies of repeated runs.
type samples []time.Duration

// pct returns the p-th percentile (nearest rank) of s, 0 when empty.
func (s samples) pct(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := append(samples(nil), s...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	rank := int(p/100*float64(len(c))+0.9999999) - 1
	return c[min(max(rank, 0), len(c)-1)]
}

func (s samples) p50() time.Duration { return s.pct(50) }
func (s samples) p95() time.Duration { return s.pct(95) }

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// times formats a ratio a/b.
func times(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

// mib formats bytes in MiB.
func mib(b uint64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
