package bench

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The export part: GET /export/sessions.csv of every session of a
// 100,000-session tenant and of the 1,000,000-session tenant (the largest
// window, 366 days), streamed over a real HTTP server on 127.0.0.1 (the
// server of `flowlens serve`, with its timeouts) and read with
// encoding/csv: rows/s, bytes, the slowest statement (against the role's
// statement_timeout) and the process's peak memory while it streams. It
// fails when a row is missing or out of order, or when the peak memory of
// the 1,000,000-row export exceeds the 100,000-row one's by more than it
// could with memory that stays flat (twice as much, plus 16 MiB).

// exportResult is what one export measured.
type exportResult struct {
	rows           int
	bytes          int64
	elapsed        time.Duration
	slowest        time.Duration
	statements     int
	peakHeap       uint64 // highest heap-objects bytes above the value before
	peakRSS        uint64 // VmHWM after resetting it before the export (0: unknown)
	resetPeakRSSok bool
}

// exports runs the export part.
func (r *runner) exports(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r.svc.handler, ReadHeaderTimeout: 5 * time.Second}
	if r.o.Server != nil {
		srv = r.o.Server(r.svc.handler)
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown(context.WithoutCancel(ctx)) }()
	base := "http://" + ln.Addr().String()

	fmt.Fprintf(r.out, "\nCSV export of every session (view=team, 366 days, NEWEST) over %s, read with encoding/csv\n", ln.Addr())
	fmt.Fprintf(r.out, "%-28s %10s %10s %9s %10s %10s %9s %12s %12s\n", "tenant", "rows", "MiB", "seconds", "rows/s", "MiB/s", "batches", "slowest stmt", "peak heap")
	var results []exportResult
	for _, t := range []*tenant{r.data.tenant(roleMedium, 0), r.data.tenant(roleLarge, 0)} {
		res, err := r.exportOnce(ctx, base, t)
		if err != nil {
			return fmt.Errorf("export of %s: %w", t.Name, err)
		}
		if res.rows != t.Sessions {
			return fmt.Errorf("export of %s: %d rows, want %d", t.Name, res.rows, t.Sessions)
		}
		rss := "-"
		if res.resetPeakRSSok {
			rss = mib(res.peakRSS)
		}
		fmt.Fprintf(r.out, "%-28s %10s %10.1f %9.1f %10s %10.1f %9d %12s %12s   process peak RSS %s\n",
			fmt.Sprintf("%s (%s)", t.Name, count(t.Sessions)), count(res.rows), float64(res.bytes)/(1<<20), res.elapsed.Seconds(),
			count(int(float64(res.rows)/res.elapsed.Seconds())), float64(res.bytes)/(1<<20)/res.elapsed.Seconds(),
			res.statements, ms(res.slowest)+" ms", mib(res.peakHeap), rss)
		results = append(results, res)
	}
	small, large := results[0], results[1]
	if !r.o.Quick && large.peakHeap > 2*small.peakHeap+16<<20 {
		return fmt.Errorf("export memory grows with rows: peak heap %s at %s rows, %s at %s rows",
			mib(small.peakHeap), count(small.rows), mib(large.peakHeap), count(large.rows))
	}
	fmt.Fprintf(r.out, "peak heap %s → %s for %.0f× the rows (%s)\n", mib(small.peakHeap), mib(large.peakHeap),
		float64(large.rows)/float64(small.rows), times(time.Duration(large.peakHeap), time.Duration(small.peakHeap)))
	return nil
}

// exportOnce streams the export of every session of t and checks its rows.
func (r *runner) exportOnce(ctx context.Context, base string, t *tenant) (exportResult, error) {
	var res exportResult
	q := url.Values{"view": {"team"}, "from": {anchor.Add(-366 * 24 * time.Hour).Format(time.RFC3339)}, "to": {anchor.Format(time.RFC3339)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/export/sessions.csv?"+q.Encode(), nil)
	if err != nil {
		return res, err
	}
	tok, err := r.svc.bearer(t.Admin)
	if err != nil {
		return res, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)

	runtime.GC()
	res.resetPeakRSSok = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	sample := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	stopWatch := watchHeapPeak(time.Millisecond)
	r.svc.counter.take()
	r.svc.counter.slowest()
	start := time.Now()
	err = readExport(req, t, &res)
	res.elapsed = time.Since(start)
	peak := stopWatch()
	qs, _ := r.svc.counter.take()
	res.statements = qs - 1 // the user's lookup
	res.slowest = r.svc.counter.slowest()
	if peak > before {
		res.peakHeap = peak - before
	}
	if res.resetPeakRSSok {
		res.peakRSS = vmHWM()
	}
	return res, err
}

// readExport reads the CSV of req: the header, then rows of twelve cells
// in NEWEST order (started_at descending, ties by id ascending) of t's
// flows and engineers.
func readExport(req *http.Request, t *tenant, res *exportResult) error {
	client := &http.Client{Timeout: 30 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	body := &countReader{r: resp.Body}
	rd := csv.NewReader(body)
	rd.ReuseRecord = true
	rd.FieldsPerRecord = 12
	if _, err := rd.Read(); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	var lastStart time.Time
	var lastID string
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", res.rows+1, err)
		}
		started, err := time.Parse(time.RFC3339Nano, rec[5])
		if err != nil {
			return fmt.Errorf("row %d: started_at %q", res.rows+1, rec[5])
		}
		if res.rows > 0 && (started.After(lastStart) || started.Equal(lastStart) && rec[0] <= lastID) {
			return fmt.Errorf("row %d (%s) is out of NEWEST order", res.rows+1, rec[0])
		}
		if res.rows%997 == 0 && !t.Trees[uuid.MustParse(rec[1])] {
			return fmt.Errorf("row %d: flow %s is not the tenant's", res.rows+1, rec[1])
		}
		lastStart, lastID = started, strings.Clone(rec[0])
		res.rows++
	}
	res.bytes = body.n
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// vmHWM returns the process's peak resident set size (VmHWM), 0 when unknown.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
