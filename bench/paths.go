package bench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The flow-path fields (transitions, exitNodes, funnel) against the
// stepFeedback of the same flowAnalytics (same tree, same window), two
// ways: each field alone in its own request, the requests interleaved run
// by run so that the machine's noise falls on all of them alike; and all
// four in one request, each field's statement timed by the query hook
// (they run at the same time, on connections of their own).

// pathField is one measured request: a label and the selection of
// flowAnalytics it sends.
type pathField struct {
	name, selection string
}

var pathFields = []pathField{
	{"stepFeedback", `stepFeedback { nodeId nodeTitle helpfulYes helpfulNo helpfulRate visitCount dropoffCount dropoffRate }`},
	{"transitions", `transitions { fromNodeId fromNodeTitle toNodeId toNodeTitle count share }`},
	{"exitNodes", `exitNodes { nodeId nodeTitle sessions resolved escalated workaround unresolved }`},
	{"funnel", `funnel(nodeIds: $ids) { nodeId nodeTitle sessions conversionRate }`},
}

// pathsDoc returns the document of a request selecting fields of one
// flowAnalytics ($ids is declared only when the funnel is asked for: an
// unused variable is an error).
func pathsDoc(fields ...pathField) string {
	var sel []string
	for _, f := range fields {
		sel = append(sel, f.selection)
	}
	body := strings.Join(sel, " ")
	vars := "$tree: UUID!, $period: Period, $from: Time, $to: Time"
	if strings.Contains(body, "$ids") {
		vars += ", $ids: [String!]!"
	}
	return `query Paths(` + vars + `) { viewer { accountId } a: flowAnalytics(treeId: $tree, period: $period, from: $from, to: $to) { ` + body + ` } }`
}

// pathsQuery returns the request of fields for the flow query q.
func pathsQuery(q query, name string, ids []string, fields ...pathField) query {
	q.Doc, q.Name, q.Vars = pathsDoc(fields...), name, map[string]any{"ids": ids}
	if q.From != nil {
		q.Vars["from"], q.Vars["to"] = q.From, q.To
	}
	return q
}

// mainPath returns the ids of the flow's main path from its transitions
// (most frequent first): from the node with the most transitions out among
// those that no transition enters (the first listed node when every node
// is entered), the most frequent transition out of each node, at most five
// nodes, none twice.
func mainPath(ts []transition) []string {
	if len(ts) == 0 {
		return []string{"start"}
	}
	entered, out := map[string]bool{}, map[string]int{}
	for _, t := range ts {
		entered[t.ToNodeID] = true
		out[t.FromNodeID] += t.Count
	}
	start := ts[0].FromNodeID
	for _, t := range ts {
		if n := t.FromNodeID; !entered[n] && (entered[start] || out[n] > out[start]) {
			start = n
		}
	}
	path := []string{start}
	seen := map[string]bool{start: true}
	for len(path) < 5 {
		next := ""
		for _, t := range ts {
			if t.FromNodeID == path[len(path)-1] && !seen[t.ToNodeID] {
				next = t.ToNodeID
				break
			}
		}
		if next == "" {
			break
		}
		path, seen[next] = append(path, next), true
	}
	return path
}

// paths measures the flow-path fields on the busiest tree of the large
// tenant over LAST_90_DAYS, each against that flow's stepFeedback.
func (r *runner) paths(ctx context.Context) error {
	t := r.data.tenant(roleLarge, 0)
	qs, err := r.queries(ctx, t, "LAST_90_DAYS")
	if err != nil {
		return err
	}
	flow := qs[3]
	ids, err := r.funnelIDs(ctx, flow)
	if err != nil {
		return err
	}
	requests := make([]query, 0, len(pathFields)+1)
	for _, f := range pathFields {
		requests = append(requests, pathsQuery(flow, f.name, ids, f))
	}
	all := pathsQuery(flow, "all four", ids, pathFields...)
	results := make([]samples, len(requests))
	stmts := make([]string, len(requests))
	inRequest := make([]samples, len(pathFields)) // by field, from the request of all four
	var whole samples
	var total int
	for i := 0; i < r.o.Warmup+r.o.Runs; i++ {
		for j, q := range requests {
			resp, d, qn, ctl, err := r.serviceRun(ctx, q)
			if err != nil {
				return err
			}
			if i == 0 && j == 0 {
				total = stepVisits(resp.Data.A.StepFeedback)
			}
			if i >= r.o.Warmup {
				results[j] = append(results[j], d)
				stmts[j] = fmt.Sprintf("%d+%d", qn, ctl)
			}
		}
		var d time.Duration
		sqls, took, err := r.svc.counter.captureTimed(func() error {
			var err error
			_, d, err = r.svc.do(ctx, all)
			return err
		})
		if err != nil {
			return err
		}
		if i < r.o.Warmup {
			continue
		}
		whole = append(whole, d)
		for k, sql := range sqls {
			if f := pathStatement(sql); f >= 0 {
				inRequest[f] = append(inRequest[f], took[k])
			}
		}
	}
	for f, got := range inRequest {
		if len(got) == 0 {
			return fmt.Errorf("flow paths: no statement of the request of all four was %s's (pathStatement knows another statement)", pathFields[f].name)
		}
	}
	fmt.Fprintf(r.out, "\nFlow paths: busiest tree of %s, LAST_90_DAYS (%s counted decisions); funnel %s (ms)\n",
		t.Name, count(total), strings.Join(ids, " → "))
	fmt.Fprintf(r.out, "%-14s | %-39s | %s\n", "", "one field per request, runs interleaved", "all four in one request: the field's statement")
	fmt.Fprintf(r.out, "%-14s | %8s %8s %9s %11s | %8s %8s %11s\n", "field", "p50", "p95", "stmt", "/stepFeedb.", "p50", "p95", "/stepFeedb.")
	for j, q := range requests {
		fmt.Fprintf(r.out, "%-14s | %8s %8s %9s %11s | %8s %8s %11s\n", q.label(),
			ms(results[j].p50()), ms(results[j].p95()), stmts[j], times(results[j].p50(), results[0].p50()),
			ms(inRequest[j].p50()), ms(inRequest[j].p95()), times(inRequest[j].p50(), inRequest[0].p50()))
	}
	fmt.Fprintf(r.out, "%-14s | %39s | %8s %8s (the whole request)\n", "all four", "", ms(whole.p50()), ms(whole.p95()))
	return nil
}

// pathStatement returns the index in pathFields of the field whose
// statement sql is, or -1 (the viewer's and the flow's lookups): the
// rollup functions of the first three (or their raw-row statements, for
// windows the rollups do not serve), the funnel's raw-row statement.
func pathStatement(sql string) int {
	switch {
	case strings.Contains(sql, "flowlens_rollup_steps("), strings.HasPrefix(sql, `WITH "decided"`):
		return 0
	case strings.Contains(sql, "flowlens_rollup_transitions("), strings.HasPrefix(sql, `WITH "paths"`):
		return 1
	case strings.Contains(sql, "flowlens_rollup_exits("), strings.HasPrefix(sql, `WITH "exits"`):
		return 2
	case strings.HasPrefix(sql, `WITH RECURSIVE "keys"`):
		return 3
	}
	return -1
}

// funnelIDs returns the main path of the flow of query flow (its funnel).
func (r *runner) funnelIDs(ctx context.Context, flow query) ([]string, error) {
	probe, _, err := r.svc.do(ctx, pathsQuery(flow, "transitions", nil, pathFields[1]))
	if err != nil {
		return nil, err
	}
	return mainPath(probe.Data.A.Transitions), nil
}

// stepVisits sums the visits of the step feedback: the counted decisions.
func stepVisits(steps []step) int {
	n := 0
	for _, s := range steps {
		n += s.VisitCount
	}
	return n
}

// pathsMemory returns the flow-path request (all four fields) of the
// memory check's flow query q.
func pathsMemory(q query) query {
	return pathsQuery(q, "flow paths", []string{"start", "a"}, pathFields...)
}
