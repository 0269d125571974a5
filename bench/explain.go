package bench

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
)

// explain prints EXPLAIN (ANALYZE, BUFFERS) of the statements the service
// runs for the full team dashboard, flowAnalytics and the flow-path fields
// (with the step feedback) of the large tenant over LAST_90_DAYS: the exact SQL captured by the query hook, run again
// as the service's role in a read-only transaction set to the account
// (row-level security applies; JIT and work_mem as in the service), full plans for
// the slowest three, execution times for the others.
func (r *runner) explain(ctx context.Context) error {
	t := r.data.tenant(roleLarge, 0)
	qs, err := r.queries(ctx, t, "LAST_90_DAYS")
	if err != nil {
		return err
	}
	ids, err := r.funnelIDs(ctx, qs[3])
	if err != nil {
		return err
	}
	for _, q := range []query{qs[0], qs[3], pathsQuery(qs[3], "flow paths 90d", ids, pathFields...)} {
		stmts, err := r.svc.counter.capture(func() error { _, _, err := r.svc.do(ctx, q); return err })
		if err != nil {
			return err
		}
		type plan struct {
			sql  string
			text []string
			ms   float64
		}
		var plans []plan
		for _, s := range stmts {
			if strings.Contains(s, `"users"`) && strings.Contains(s, "is_super_admin") {
				continue // the viewer's lookup
			}
			lines, err := r.explainOne(ctx, t, s)
			if err != nil {
				return err
			}
			plans = append(plans, plan{sql: s, text: lines, ms: executionMs(lines)})
		}
		sort.Slice(plans, func(i, j int) bool { return plans[i].ms > plans[j].ms })
		fmt.Fprintf(r.out, "\nEXPLAIN (ANALYZE, BUFFERS), %s of %s: %d statements\n", q.label(), t.Name, len(plans))
		for i, p := range plans {
			if i >= 3 {
				fmt.Fprintf(r.out, "-- %.1f ms: %s\n", p.ms, clip([]byte(p.sql)))
				continue
			}
			fmt.Fprintf(r.out, "\n-- %.1f ms\n%s\n%s\n", p.ms, p.sql, strings.Join(p.text, "\n"))
		}
	}
	return nil
}

// explainOne runs EXPLAIN (ANALYZE, BUFFERS) of one statement as the service.
func (r *runner) explainOne(ctx context.Context, t *tenant, stmt string) ([]string, error) {
	var lines []string
	err := r.app.RunInTx(ctx, &sql.TxOptions{ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('flowlens.account_id', ?, true), set_config('jit', 'off', true), set_config('work_mem', '64MB', true)", t.ID.String()); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+stmt)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				return err
			}
			lines = append(lines, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("explain: %w: %s", err, clip([]byte(stmt)))
	}
	return lines, nil
}

var executionTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

func executionMs(lines []string) float64 {
	for _, l := range lines {
		if m := executionTime.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return v
		}
	}
	return 0
}
