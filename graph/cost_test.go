package graph

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The statement count of operations, checked against what the resolvers
// run (httpapi's statement tests count the real statements of the same
// documents) and against the budget.

var schema = NewExecutableSchema(Config{}).Schema()

// count returns the statements of document q, and false when counting
// stopped at budget.
func count(t *testing.T, q string, budget int) (int, bool) {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, q)
	if errs != nil {
		t.Fatalf("invalid test document: %v\n%.300s", errs, q)
	}
	return statements(doc.Operations[0], budget)
}

// TestEveryResolverHasACost: a field with a resolver may run SQL, so its
// cost must be stated in fieldCosts (zero included); a new field without
// one fails here instead of being free for the budget.
func TestEveryResolverHasACost(t *testing.T) {
	root := reflect.TypeOf((*ResolverRoot)(nil)).Elem()
	n := 0
	for i := 0; i < root.NumMethod(); i++ {
		m := root.Method(i)
		typ := m.Name // the GraphQL type: FlowAnalytics() returns FlowAnalyticsResolver
		resolver := m.Type.Out(0)
		for j := 0; j < resolver.NumMethod(); j++ {
			name := resolver.Method(j).Name
			def := schema.Types[typ]
			if def == nil {
				t.Fatalf("resolver root method %s names no schema type", typ)
			}
			var field string
			for _, f := range def.Fields {
				if strings.EqualFold(f.Name, name) {
					field = f.Name
				}
			}
			if field == "" {
				t.Errorf("%s.%s: no such schema field", typ, name)
				continue
			}
			if _, ok := fieldCosts[typ+"."+field]; !ok {
				t.Errorf("%s.%s has a resolver but no entry in fieldCosts", typ, field)
			}
			n++
		}
	}
	for key := range fieldCosts {
		typ, field, _ := strings.Cut(key, ".")
		if def := schema.Types[typ]; def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("fieldCosts lists %s, which the schema does not have", key)
		}
	}
	if n < 20 {
		t.Fatalf("only %d resolvers found: the test does not see the resolver interfaces", n)
	}
}

// Full dashboards, as TestAPIStatementCounts (httpapi) counts them: one
// per field, one loader batch per list asking for completion rates, one
// for the three rating fields, one for the flow lookup, one for the user.
const (
	teamFull = `{ teamAnalytics { window { from } summary { totalSessions } previousSummary { totalSessions }
		timeSeries { date } topFlows(limit: 5) { name completionRate } topEngineers(limit: 5) { name completionRate } } }`
	myFull   = `{ viewer { id } myAnalytics { window { from } summary { totalSessions } previousSummary { totalSessions } timeSeries { date } topFlows { name completionRate } } }`
	flowFull = `{ flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { flow { name } window { from } summary { totalSessions }
		previousSummary { totalSessions } avgCsat totalRatings ratingDistribution { rating } timeSeries { date } stepFeedback { nodeId }
		recentComments { comment } } }`
)

func TestStatementCounts(t *testing.T) {
	for _, c := range []struct {
		name string
		q    string
		want int
	}{
		{"viewer only", `{ viewer { id name } }`, 1},
		{"typename", `{ __typename }`, 1},
		{"full team dashboard", teamFull, 8},
		{"full personal dashboard", myFull, 6},
		{"full flow dashboard", flowFull, 8},
		// The path fields: one statement each per flow, aliases included.
		{"flow paths", `{ flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { transitions { count } exitNodes { sessions } funnel(nodeIds: ["a"]) { sessions } } }`, 5},
		{"flow paths under aliases", `{ flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { card: transitions(limit: 5) { count } table: transitions(limit: 1000) { count }
			x: exitNodes(limit: 1) { sessions } y: exitNodes { sessions } f: funnel(nodeIds: ["a"]) { sessions } g: funnel(nodeIds: ["a", "b"]) { sessions } } }`, 5},
		{"flow paths of two flows", `{ a: flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { transitions { count } }
			b: flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { transitions { count } t: transitions(limit: 1) { count } } }`, 5},
		// A list is one statement whatever its limit.
		{"top flows limit 1", `{ teamAnalytics { topFlows(limit: 1) { name } } }`, 2},
		{"top flows limit 100", `{ teamAnalytics { topFlows(limit: 100) { name } } }`, 2},
		{"completion rates of 100 flows", `{ teamAnalytics { topFlows(limit: 100) { name completionRate } } }`, 3},
		// Each alias runs its own statements: a top-10 card and a top-100 table.
		{"card and table", `{ teamAnalytics { card: topFlows(limit: 10) { completionRate } table: topFlows(limit: 100) { name completionRate } } }`, 5},
		{"three granularities", `{ teamAnalytics { d: timeSeries(granularity: DAY) { date } w: timeSeries(granularity: WEEK) { date } m: timeSeries(granularity: MONTH) { date } } }`, 4},
		// The same field twice, or through fragments, is resolved once.
		{"merged fields", `{ teamAnalytics { summary { totalSessions } summary { completedSessions } } }`, 2},
		{"merged through fragments", `{ teamAnalytics { ...A ...B } } fragment A on TeamAnalytics { summary { totalSessions } } fragment B on TeamAnalytics { summary { p90DurationMinutes } ... on TeamAnalytics { summary { activeEngineers } } }`, 2},
		// The rating fields share one statement per flow, aliases included.
		{"ratings shared", `{ flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { avgCsat a: avgCsat totalRatings ratingDistribution { count } } }`, 3},
		// A sessions page is one statement whatever first and whatever a
		// session shows; totalCount is one more; edges and pageInfo share
		// the page.
		{"sessions page of 1", `{ teamAnalytics { sessions(first: 1) { edges { cursor node { id steps { nodeId } } } } } }`, 2},
		{"sessions page of 100", `{ teamAnalytics { sessions(first: 100) { edges { cursor node { id flow { name } engineer { name } csat steps(limit: 100) { nodeTitle } } } pageInfo { endCursor } } } }`, 2},
		{"sessions totalCount", `{ myAnalytics { sessions { totalCount } } }`, 2},
		{"sessions page and totalCount", `{ teamAnalytics { sessions { totalCount pageInfo { hasNextPage } edges { cursor } } } }`, 3},
		{"two sessions lists", `{ teamAnalytics { a: sessions { edges { cursor } } b: sessions(orderBy: LONGEST) { totalCount edges { cursor } } } }`, 4},
		{"ratings of two flows", `{ a: flowAnalytics(treeId: "00000000-0000-4000-8000-000000000001") { avgCsat } b: flowAnalytics(treeId: "00000000-0000-4000-8000-000000000002") { totalRatings } }`, 5},
	} {
		n, ok := count(t, c.q, 1000)
		if !ok || n != c.want {
			t.Errorf("%s: %d statements (ok=%v), want %d", c.name, n, ok, c.want)
		}
	}
}

// selectAll returns a selection of every field of type typ, recursively,
// with values for required arguments.
func selectAll(typ string) string {
	def := schema.Types[typ]
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		parts = append(parts, f.Name+requiredArgs(f)+subSelection(f.Type))
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

func subSelection(t *ast.Type) string {
	name := t.Name()
	if d := schema.Types[name]; d != nil && d.Kind == ast.Object {
		return " " + selectAll(name)
	}
	return ""
}

// requiredArgs returns values for the non-null arguments without default
// of field f.
func requiredArgs(f *ast.FieldDefinition) string {
	var args []string
	for _, a := range f.Arguments {
		if !a.Type.NonNull || a.DefaultValue != nil {
			continue
		}
		var v string
		switch {
		case a.Type.Name() == "UUID":
			v = `"00000000-0000-4000-8000-000000000001"`
		case a.Type.Elem != nil:
			v = `["a"]`
		case a.Type.Name() == "Int":
			v = "1"
		default:
			v = `"a"`
		}
		args = append(args, a.Name+": "+v)
	}
	if len(args) == 0 {
		return ""
	}
	return "(" + strings.Join(args, ", ") + ")"
}

// roots are the analytics queries, with their required arguments.
var roots = map[string]string{
	"teamAnalytics": "TeamAnalytics",
	"myAnalytics":   "PersonalAnalytics",
	"flowAnalytics": "FlowAnalytics",
}

// TestLargestDashboardsWithinBudget: every field of each analytics query
// once, and again any one of its SQL-backed fields (with every subfield)
// under each of the 15 aliases the alias limit allows, stays within the
// default budget; so does every field of all three queries in one
// document, with the aliases on top.
func TestLargestDashboardsWithinBudget(t *testing.T) {
	budget := DefaultStatementBudget
	aliases := DefaultLimits.MaxAliases
	all := "{ viewer " + selectAll("Viewer")
	for root, typ := range roots {
		def := schema.Query.Fields.ForName(root)
		all += " " + root + requiredArgs(def) + " " + selectAll(typ)
	}
	all += " }"
	worst := 0
	for root, typ := range roots {
		def := schema.Query.Fields.ForName(root)
		for _, f := range schema.Types[typ].Fields {
			if c := fieldCosts[typ+"."+f.Name]; c.statements == 0 && c.shared == "" {
				continue
			}
			var extra strings.Builder
			for i := 0; i < aliases; i++ {
				fmt.Fprintf(&extra, " a%d: %s%s%s", i, f.Name, requiredArgs(f), subSelection(f.Type))
			}
			body := selectAll(typ)
			body = body[:len(body)-1] + extra.String() + " }"
			for name, q := range map[string]string{
				"alone":         "{ " + root + requiredArgs(def) + " " + body + " }",
				"with the rest": strings.Replace(all, root+requiredArgs(def)+" "+selectAll(typ), root+requiredArgs(def)+" "+body, 1),
			} {
				n, ok := count(t, q, budget)
				if !ok || n > budget {
					t.Errorf("%s with %d aliased %s (%s): %d statements (ok=%v), over the budget of %d", root, aliases, f.Name, name, n, ok, budget)
				}
				worst = max(worst, n)
			}
		}
	}
	t.Logf("the largest legitimate operation runs %d statements; the budget is %d", worst, budget)
}

// TestAliasedFlowAnalyticsOverBudget: 15 aliased flowAnalytics, each with
// every field, would run far more statements than the budget.
func TestAliasedFlowAnalyticsOverBudget(t *testing.T) {
	def := schema.Query.Fields.ForName("flowAnalytics")
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, " f%d: flowAnalytics%s %s", i, requiredArgs(def), selectAll("FlowAnalytics"))
	}
	b.WriteString(" }")
	if n, ok := count(t, b.String(), DefaultStatementBudget); ok {
		t.Fatalf("15 aliased flowAnalytics: %d statements, within the budget of %d", n, DefaultStatementBudget)
	}
	full, _ := count(t, "{ flowAnalytics"+requiredArgs(def)+" "+selectAll("FlowAnalytics")+" }", 1000)
	if 15*(full-1)+1 <= DefaultStatementBudget {
		t.Fatalf("15 full flow dashboards run %d statements, within the budget", 15*(full-1)+1)
	}
}

// TestFragmentExpansionIsBounded: fragments spreading the previous one
// twice, 40 levels deep, expand to 2^40 fields; the count stops after
// maxFieldVisits fields instead of walking them.
func TestFragmentExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("{ viewer { ...F40 } } fragment F0 on Viewer { id }")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, " fragment F%d on Viewer { ...F%d ...F%d }", i, i-1, i-1)
	}
	if n, ok := count(t, b.String(), DefaultStatementBudget); ok {
		t.Fatalf("a 2^40-field expansion was counted: %d", n)
	}
}
