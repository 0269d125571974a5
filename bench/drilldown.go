package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/google/uuid"
)

// The drill-down part: pages of the sessions connections of the large
// tenant over LAST_90_DAYS, the first page and page 100 (after walking 99
// pages of 50 with the cursors) in each order, for the whole account, the
// busiest engineer, the busiest flow, drop-offs at a node, visits of a
// node (a common and the rarest node that still has 100 pages) and
// csat ≤ 2; and each list's totalCount.

// drillDoc is the document of a page: every field a drill-down table shows.
const drillDoc = `query Drill($tree: UUID!, $engineer: UUID, $filter: SessionFilter, $order: SessionOrder!, $after: String, $flow: Boolean!) {
  team: teamAnalytics(period: LAST_90_DAYS, engineerId: $engineer) @skip(if: $flow) { sessions(filter: $filter, orderBy: $order, after: $after) { ...C } }
  flow: flowAnalytics(treeId: $tree, period: LAST_90_DAYS) @include(if: $flow) { sessions(filter: $filter, orderBy: $order, after: $after) { ...C } }
}
fragment C on SessionConnection {
  edges { cursor node { id flow { id name } engineer { id name } startedAt completedAt durationMinutes outcome csat stepCount steps(limit: 5) { nodeId nodeTitle } } }
  pageInfo { hasNextPage endCursor }
}`

// countDoc asks for totalCount alone.
const countDoc = `query Count($tree: UUID!, $engineer: UUID, $filter: SessionFilter, $flow: Boolean!) {
  team: teamAnalytics(period: LAST_90_DAYS, engineerId: $engineer) @skip(if: $flow) { sessions(filter: $filter) { totalCount } }
  flow: flowAnalytics(treeId: $tree, period: LAST_90_DAYS) @include(if: $flow) { sessions(filter: $filter) { totalCount } }
}`

// drillCase is one list of the drill-down part.
type drillCase struct {
	name     string
	flow     bool // flowAnalytics of the busiest tree, else teamAnalytics
	engineer *uuid.UUID
	filter   map[string]any
}

// drillAnswer is a decoded page or count.
type drillAnswer struct {
	Data map[string]*struct {
		Sessions struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Cursor string `json:"cursor"`
				Node   struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"sessions"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// post sends a GraphQL document as viewer through the handler in process.
func (s *service) post(ctx context.Context, viewer uuid.UUID, doc string, vars map[string]any) (*drillAnswer, time.Duration, error) {
	tok, err := s.bearer(viewer)
	if err != nil {
		return nil, 0, err
	}
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/query", bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	start := time.Now()
	s.handler.ServeHTTP(rec, req)
	d := time.Since(start)
	var a drillAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != 200 || len(a.Errors) > 0 {
		return nil, d, fmt.Errorf("HTTP %d: %s", rec.Code, clip(rec.Body.Bytes()))
	}
	return &a, d, nil
}

// drillCases returns the lists of the large tenant t.
func (r *runner) drillCases(ctx context.Context, t *tenant) ([]drillCase, uuid.UUID, error) {
	eng, tree, err := r.busiest(ctx, t)
	if err != nil {
		return nil, tree, err
	}
	from, to := anchor.Add(-90*24*time.Hour), anchor
	// Per node of the busiest tree: sessions that visited it, drop-offs.
	rows, err := r.flr.pool.Query(ctx, `SELECT e.step ->> 'node_id', count(DISTINCT s.id),
			count(*) FILTER (WHERE s.completed_at IS NULL AND e.ord = jsonb_array_length(s.decisions))
		FROM sessions s, jsonb_array_elements(s.decisions) WITH ORDINALITY AS e(step, ord)
		WHERE s.tree_id = $1 AND s.account_id = $2 AND s.started_at >= $3 AND s.started_at < $4
		  AND jsonb_typeof(s.decisions) = 'array' AND jsonb_typeof(e.step -> 'node_id') = 'string'
		GROUP BY 1 ORDER BY 2 DESC, 1`, tree, t.ID, from, to)
	if err != nil {
		return nil, tree, err
	}
	type node struct {
		id              string
		visits, dropped int
	}
	var nodes []node
	for rows.Next() {
		var n node
		if err := rows.Scan(&n.id, &n.visits, &n.dropped); err != nil {
			return nil, tree, err
		}
		nodes = append(nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, tree, err
	}
	if len(nodes) < 2 {
		return nil, tree, fmt.Errorf("the busiest tree has %d nodes", len(nodes))
	}
	// Common: the most visited node but the root; rare: the least visited
	// with at least 100 pages (else the least visited); drop-offs: the node
	// with the most.
	common, rare, drop := nodes[1], nodes[len(nodes)-1], nodes[0]
	for _, n := range nodes {
		if n.visits >= 100*50+1 {
			rare = n
		}
		if n.dropped > drop.dropped {
			drop = n
		}
	}
	cases := []drillCase{
		{name: "account"},
		{name: "engineer", engineer: &eng},
		{name: "flow", flow: true},
		{name: fmt.Sprintf("droppedOffAt %s", drop.id), flow: true, filter: map[string]any{"droppedOffAt": drop.id}},
		{name: fmt.Sprintf("visitedNode %s", common.id), flow: true, filter: map[string]any{"visitedNode": common.id}},
		{name: fmt.Sprintf("visitedNode %s", rare.id), flow: true, filter: map[string]any{"visitedNode": rare.id}},
		{name: "maxCsat 2", filter: map[string]any{"maxCsat": 2}},
	}
	return cases, tree, nil
}

// drillVars returns the variables of case c.
func drillVars(c drillCase, tree uuid.UUID) map[string]any {
	v := map[string]any{"tree": tree, "flow": c.flow}
	if c.engineer != nil {
		v["engineer"] = *c.engineer
	}
	if c.filter != nil {
		v["filter"] = c.filter
	}
	return v
}

// drillRoot returns the response key of case c's parent.
func drillRoot(c drillCase) string {
	if c.flow {
		return "flow"
	}
	return "team"
}

// drilldown measures the drill-down pages and counts.
func (r *runner) drilldown(ctx context.Context) error {
	t := r.data.tenant(roleLarge, 0)
	lastPage := 100
	if r.o.Quick {
		lastPage = 5 // the tiny data set: that the part works
	}
	cases, tree, err := r.drillCases(ctx, t)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "\nDrill-down pages of %s (%s sessions), LAST_90_DAYS, first 50 with every Session field; p50 and p95 ms of %d runs (+%d warm-up); page 100 is after 99 pages walked with their cursors\n",
		t.Name, count(t.Sessions), r.o.Runs, r.o.Warmup)
	fmt.Fprintf(r.out, "%-26s %-8s %9s %9s %11s %11s %9s %7s\n", "list", "order", "p1 p50", "p1 p95", "page", "pN p50", "pN p95", "pN/p1")
	over := 0
	for _, c := range cases {
		for _, order := range []string{"NEWEST", "OLDEST", "LONGEST"} {
			vars := drillVars(c, tree)
			vars["order"] = order
			// Walk to page 100 (or the last page).
			page, after := 1, ""
			var first *drillAnswer
			for page < lastPage {
				if after != "" {
					vars["after"] = after
				}
				a, _, err := r.svc.post(ctx, t.Admin, drillDoc, vars)
				if err != nil {
					return fmt.Errorf("drill-down %s %s page %d: %w", c.name, order, page, err)
				}
				conn := a.Data[drillRoot(c)].Sessions
				if page == 1 {
					first = a
				}
				if !conn.PageInfo.HasNextPage {
					break
				}
				if len(conn.Edges) != 50 {
					return fmt.Errorf("drill-down %s %s page %d: %d edges with a next page", c.name, order, page, len(conn.Edges))
				}
				after, page = *conn.PageInfo.EndCursor, page+1
			}
			if first == nil {
				return fmt.Errorf("drill-down %s %s: no first page", c.name, order)
			}
			if after != "" {
				vars["after"] = after
			}
			pN := cloneVars(vars)
			p1 := cloneVars(vars)
			delete(p1, "after")
			s1, err := r.drillRuns(ctx, t.Admin, p1)
			if err != nil {
				return fmt.Errorf("drill-down %s %s page 1: %w", c.name, order, err)
			}
			sN, err := r.drillRuns(ctx, t.Admin, pN)
			if err != nil {
				return fmt.Errorf("drill-down %s %s page %d: %w", c.name, order, page, err)
			}
			flag := ""
			if s1.p50() > 50*time.Millisecond || sN.p50() > 50*time.Millisecond {
				flag, over = "  > 50 ms", over+1
			}
			fmt.Fprintf(r.out, "%-26s %-8s %9s %9s %11s %11s %9s %7s%s\n", c.name, order, ms(s1.p50()), ms(s1.p95()),
				fmt.Sprintf("page %d", page), ms(sN.p50()), ms(sN.p95()), times(sN.p50(), s1.p50()), flag)
		}
	}
	fmt.Fprintf(r.out, "pages with a p50 over 50 ms: %d\n", over)
	fmt.Fprintf(r.out, "\ntotalCount of each list (one statement), p50 and p95 ms\n%-26s %10s %9s %9s\n", "list", "sessions", "p50", "p95")
	for _, c := range cases {
		vars := drillVars(c, tree)
		var n int
		var s samples
		for i := 0; i < r.o.Warmup+r.o.Runs; i++ {
			a, d, err := r.svc.post(ctx, t.Admin, countDoc, vars)
			if err != nil {
				return fmt.Errorf("totalCount of %s: %w", c.name, err)
			}
			n = a.Data[drillRoot(c)].Sessions.TotalCount
			if i >= r.o.Warmup {
				s = append(s, d)
			}
		}
		fmt.Fprintf(r.out, "%-26s %10s %9s %9s\n", c.name, count(n), ms(s.p50()), ms(s.p95()))
	}
	return nil
}

// drillRuns measures one page.
func (r *runner) drillRuns(ctx context.Context, viewer uuid.UUID, vars map[string]any) (samples, error) {
	var s samples
	for i := 0; i < r.o.Warmup+r.o.Runs; i++ {
		_, d, err := r.svc.post(ctx, viewer, drillDoc, vars)
		if err != nil {
			return nil, err
		}
		if i >= r.o.Warmup {
			s = append(s, d)
		}
	}
	return s, nil
}

func cloneVars(v map[string]any) map[string]any {
	c := make(map[string]any, len(v))
	for k, x := range v {
		c[k] = x
	}
	return c
}
