package bench

import (
	"context"
	"fmt"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"

	"flowlens/store"
)

// result holds the measurements of one query.
type result struct {
	q                query
	service          samples
	queries, control int // service statements of one request
	original         samples
	origStatements   int
	floor            samples
	floorStatements  int
}

// environment prints the machine, PostgreSQL and pool settings.
func (r *runner) environment(ctx context.Context) error {
	fmt.Fprintf(r.out, "\nmachine: %d CPUs (GOMAXPROCS %d), %s memory, %s/%s, %s\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), memTotal(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	var version string
	if err := r.flr.pool.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "postgres: %s\n", version)
	rows, err := r.flr.pool.Query(ctx, `SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN
		('shared_buffers', 'work_mem', 'max_connections', 'max_parallel_workers_per_gather', 'jit', 'effective_cache_size', 'random_page_cost')
		ORDER BY name`)
	if err != nil {
		return err
	}
	var name, setting string
	settings, err := collect(rows, []any{&name, &setting}, func() string { return name + "=" + setting })
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "settings: %s\n", strings.Join(settings, " "))
	var role []string
	if err := r.flr.pool.QueryRow(ctx, "SELECT coalesce(rolconfig, '{}') FROM pg_roles WHERE rolname = 'flowlens_app'").Scan(&role); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "flowlens_app: %s\n", strings.Join(role, " "))
	limit, err := store.ConnectionLimit(ctx, r.app)
	if err != nil {
		return err
	}
	if r.o.Pool.MaxOpen > limit {
		return fmt.Errorf("the service's pool of %d connections is more than the server lets flowlens_app open (%d)", r.o.Pool.MaxOpen, limit)
	}
	fmt.Fprintf(r.out, "service pool: %d connections (the server allows flowlens_app %d); floor pool: %d; runs: %d (+%d warm-up), original %d (+1 warm-up)\n",
		r.o.Pool.MaxOpen, limit, r.o.FloorConns, r.o.Runs, r.o.Warmup, r.o.OriginalRuns)
	return nil
}

// memTotal reads MemTotal from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			var kb float64
			fmt.Sscan(f[1], &kb)
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return "unknown"
}

// busiest returns the active engineer with the most sessions and the tree
// with the most sessions of tenant t in the LAST_90_DAYS window (ties by id).
func (r *runner) busiest(ctx context.Context, t *tenant) (engineer, tree uuid.UUID, err error) {
	from, to := anchor.Add(-90*24*time.Hour), anchor
	err = r.flr.pool.QueryRow(ctx, `SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.account_id = $1 AND s.started_at >= $2 AND s.started_at < $3 AND u.is_active
		GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, t.ID, from, to).Scan(&engineer)
	if err != nil {
		return engineer, tree, fmt.Errorf("busiest engineer of %s: %w", t.Name, err)
	}
	err = r.flr.pool.QueryRow(ctx, `SELECT s.tree_id FROM sessions s
		WHERE s.account_id = $1 AND s.started_at >= $2 AND s.started_at < $3
		GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, t.ID, from, to).Scan(&tree)
	if err != nil {
		return engineer, tree, fmt.Errorf("busiest tree of %s: %w", t.Name, err)
	}
	return engineer, tree, nil
}

// queries returns the four queries of tenant t over period.
func (r *runner) queries(ctx context.Context, t *tenant, period string) ([]query, error) {
	eng, tree, err := r.busiest(ctx, t)
	if err != nil {
		return nil, err
	}
	base := query{Tenant: t, Period: period, Viewer: t.Admin, Limit: 10}
	team, withEng, my, flow := base, base, base, base
	team.Kind = kindTeam
	withEng.Kind, withEng.Engineer = kindTeamEngineer, eng
	my.Kind, my.Engineer, my.Viewer = kindMy, eng, eng
	flow.Kind, flow.Tree = kindFlow, tree
	return []query{team, withEng, my, flow}, nil
}

// serviceRun sends q once and returns the answer, latency and statements.
func (r *runner) serviceRun(ctx context.Context, q query) (*response, time.Duration, int, int, error) {
	r.svc.counter.take()
	resp, d, err := r.svc.do(ctx, q)
	qs, ctl := r.svc.counter.take()
	return resp, d, qs, ctl, err
}

// measure runs q through the service and the floor (alternately) and, when
// withOriginal, the original baseline; it checks that the baselines give
// the service's numbers.
func (r *runner) measure(ctx context.Context, q query, withOriginal bool) (*result, error) {
	res := &result{q: q}
	what := fmt.Sprintf("%s of %s", q.label(), q.Tenant.Name)
	resp, _, _, _, err := r.serviceRun(ctx, q)
	if err != nil {
		return nil, err
	}
	want := resp.Data.A.normalized()
	fa, n, err := r.flr.run(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("floor, %s: %w", what, err)
	}
	res.floorStatements = n
	if err := sameAnswer("floor, "+what, want, fa.normalized()); err != nil {
		return nil, err
	}
	for i := 0; i < r.o.Warmup+r.o.Runs; i++ {
		_, d, qs, ctl, err := r.serviceRun(ctx, q)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if _, _, err := r.flr.run(ctx, q); err != nil {
			return nil, err
		}
		fd := time.Since(start)
		if i >= r.o.Warmup {
			res.service = append(res.service, d)
			res.floor = append(res.floor, fd)
			res.queries, res.control = qs, ctl
		}
	}
	if !withOriginal {
		return res, nil
	}
	for i := 0; i < 1+r.o.OriginalRuns; i++ {
		start := time.Now()
		oa, n, err := r.orig.run(ctx, q)
		d := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("original, %s: %w", what, err)
		}
		if i == 0 {
			if err := sameAnswer("original, "+what, want.without(true), oa.normalized()); err != nil {
				return nil, err
			}
			res.origStatements = n
			continue
		}
		res.original = append(res.original, d)
	}
	return res, nil
}

// key identifies a measured query in the main table.
func key(t *tenant, label string) string { return t.Name + "|" + label }

// latencies measures the four queries for the large tenant and the first
// 100,000-session tenant over both periods, with both baselines.
func (r *runner) latencies(ctx context.Context) error {
	fmt.Fprintf(r.out, "\nLatency through the HTTP handler (ms); statements per request: service = queries + transaction control (BEGIN, set_config, COMMIT)\n")
	fmt.Fprintf(r.out, "(90d* = the 90 days ending at %s: partial blocks at both edges)\n", offHour.Format("2006-01-02 15:04:05.000000Z07:00"))
	fmt.Fprintf(r.out, "%-26s %-17s %8s %8s %9s | %9s %6s | %8s %6s | %9s %9s\n",
		"tenant", "query", "svc p50", "svc p95", "svc stmt", "orig p50", "stmt", "floor p50", "stmt", "orig/svc", "svc/floor")
	for _, role := range []string{roleLarge, roleMedium} {
		t := r.data.tenant(role, 0)
		for _, period := range append(periods, "LAST_90_DAYS*") {
			end := (*time.Time)(nil)
			if strings.HasSuffix(period, "*") {
				period, end = strings.TrimSuffix(period, "*"), &offHour
			}
			qs, err := r.queries(ctx, t, period)
			if err != nil {
				return err
			}
			for _, q := range qs {
				q.To = end
				res, err := r.measure(ctx, q, !r.o.Skip["original"])
				if err != nil {
					return err
				}
				r.main[key(t, q.label())] = res
				orig, origStmts := "-", "-"
				if len(res.original) > 0 {
					orig, origStmts = ms(res.original.p50()), fmt.Sprint(res.origStatements)
				}
				fmt.Fprintf(r.out, "%-26s %-17s %8s %8s %9s | %9s %6s | %8s %6d | %9s %9s\n",
					fmt.Sprintf("%s (%s)", t.Name, count(t.Sessions)), q.label(),
					ms(res.service.p50()), ms(res.service.p95()), fmt.Sprintf("%d+%d", res.queries, res.control),
					orig, origStmts, ms(res.floor.p50()), res.floorStatements,
					times(res.original.p50(), res.service.p50()), times(res.service.p50(), res.floor.p50()))
			}
		}
	}
	return nil
}

// costCurve prints the service's (and the floor's) p50 over LAST_90_DAYS
// for tenants of 10,000, 100,000 and 1,000,000 sessions.
func (r *runner) costCurve(ctx context.Context) error {
	tenants := []*tenant{r.data.tenant(roleSmall, 0), r.data.tenant(roleMedium, 0), r.data.tenant(roleLarge, 0)}
	rows := map[string][]*result{}
	for _, t := range tenants {
		qs, err := r.queries(ctx, t, "LAST_90_DAYS")
		if err != nil {
			return err
		}
		for _, q := range qs {
			res := r.main[key(t, q.label())]
			if res == nil {
				if res, err = r.measure(ctx, q, false); err != nil {
					return err
				}
			}
			rows[q.Kind] = append(rows[q.Kind], res)
		}
	}
	var huge map[string]*result
	if r.o.Huge {
		var err error
		if huge, err = r.hugeCurve(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.out, "\nCost curve, LAST_90_DAYS, p50 ms service (floor)\n%-17s", "query")
	for _, t := range tenants {
		fmt.Fprintf(r.out, " %22s", count(t.Sessions)+" sessions")
	}
	if huge != nil {
		fmt.Fprintf(r.out, " %22s %10s", "10,000,000 sessions", "10M / 1M")
	}
	fmt.Fprintln(r.out)
	for _, k := range kinds {
		fmt.Fprintf(r.out, "%-17s", k)
		for _, res := range rows[k] {
			fmt.Fprintf(r.out, " %22s", ms(res.service.p50())+" ("+ms(res.floor.p50())+")")
		}
		if huge != nil {
			h := huge[k].service.p50()
			fmt.Fprintf(r.out, " %22s %10s", ms(h)+" (-)", times(h, rows[k][len(rows[k])-1].service.p50()))
		}
		fmt.Fprintln(r.out)
	}
	return nil
}

// limits checks that the statements per request do not grow with limit.
func (r *runner) limits(ctx context.Context) error {
	t := r.data.tenant(roleLarge, 0)
	qs, err := r.queries(ctx, t, "LAST_7_DAYS")
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "\nStatements per request by limit (%s, LAST_7_DAYS)\n", t.Name)
	for _, q := range []query{qs[0], qs[2]} {
		var counts []string
		var first int
		for i, limit := range []int{10, 50} {
			q.Limit = limit
			if _, _, _, _, err := r.serviceRun(ctx, q); err != nil {
				return err
			}
			_, _, qn, ctl, err := r.serviceRun(ctx, q)
			if err != nil {
				return err
			}
			if i == 0 {
				first = qn + ctl
			} else if qn+ctl != first {
				return fmt.Errorf("%s: statements per request grow with limit: %d at limit 10, %d at limit 50", q.Kind, first, qn+ctl)
			}
			counts = append(counts, fmt.Sprintf("limit %d: %d queries + %d control", limit, qn, ctl))
		}
		fmt.Fprintf(r.out, "%-17s %s\n", q.Kind, strings.Join(counts, "; "))
	}
	return nil
}

// count formats n with thousands separators (1,000,000).
func count(n int) string { return english.Sprintf("%d", n) }

// english formats numbers as the messages print them.
var english = message.NewPrinter(language.English)
