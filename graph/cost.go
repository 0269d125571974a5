package graph

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// The cost of an operation is what it makes the server do: the SQL
// statements it will run (shared/API.md, "Demand"). Each SQL-backed field
// runs one statement each time it is resolved (so each alias counts); a
// list is one statement whatever its `limit`; per-item values (completion
// rates of listed flows and engineers) are one loader batch per list; the
// three rating fields of a flow share one statement, and each path field
// (transitions, exitNodes, funnel) is one statement per flow whatever its
// aliases; the authentication
// lookup adds one to every request. A statement here is one store call:
// one query in its own read-only transaction.

// DefaultStatementBudget is the most statements one operation may run
// unless configured otherwise. The largest operation a dashboard sends,
// every field of teamAnalytics, myAnalytics and flowAnalytics selected
// once in one document with a list or series repeated under each of the
// 15 aliases the alias limit allows, runs fewer (cost_test.go builds
// those operations from the schema); 15 aliased flowAnalytics, each with
// every field, run more.
const DefaultStatementBudget = 80

// requestStatements is what every request runs before its operation: the
// lookup of the viewer.
const requestStatements = 1

// maxFieldVisits bounds the fields the statement count visits, fragments
// expanded: a document whose fragments spread each other many times
// expands exponentially, and is refused once it passes this many fields
// (a dashboard has a few hundred) instead of being walked for minutes.
const maxFieldVisits = 10_000

// fieldCost is what resolving one field costs.
type fieldCost struct {
	// statements is the field's own statements, each time it is resolved.
	statements int
	// shared, when set, names a statement that every field of the group
	// shares within one parent object (or one list's items: a loader
	// batch); it counts once per selection set, however many of its fields
	// or aliases are selected.
	shared string
}

// fieldCosts holds the cost of every field that has a resolver, by
// "Type.field"; fields resolved from their parent's value cost nothing and
// are not listed. TestEveryResolverHasACost keeps it complete.
var fieldCosts = map[string]fieldCost{
	"Query.viewer":        {},
	"Query.teamAnalytics": {},
	"Query.myAnalytics":   {},
	"Query.flowAnalytics": {statements: 1}, // the flow's lookup

	"TeamAnalytics.window":          {},
	"TeamAnalytics.summary":         {statements: 1},
	"TeamAnalytics.previousSummary": {statements: 1},
	"TeamAnalytics.timeSeries":      {statements: 1},
	"TeamAnalytics.topFlows":        {statements: 1},
	"TeamAnalytics.topEngineers":    {statements: 1},

	"PersonalAnalytics.window":          {},
	"PersonalAnalytics.summary":         {statements: 1},
	"PersonalAnalytics.previousSummary": {statements: 1},
	"PersonalAnalytics.timeSeries":      {statements: 1},
	"PersonalAnalytics.topFlows":        {statements: 1},

	"FlowAnalytics.flow":               {},
	"FlowAnalytics.window":             {},
	"FlowAnalytics.summary":            {statements: 1},
	"FlowAnalytics.previousSummary":    {statements: 1},
	"FlowAnalytics.avgCsat":            {shared: "ratings"},
	"FlowAnalytics.totalRatings":       {shared: "ratings"},
	"FlowAnalytics.ratingDistribution": {shared: "ratings"},
	"FlowAnalytics.timeSeries":         {statements: 1},
	"FlowAnalytics.stepFeedback":       {statements: 1},
	"FlowAnalytics.recentComments":     {statements: 1},
	// One statement per object for each path field, its aliases included
	// (paths.go): the largest limit's list, all funnels at once.
	"FlowAnalytics.transitions": {shared: "transitions"},
	"FlowAnalytics.exitNodes":   {shared: "exitNodes"},
	"FlowAnalytics.funnel":      {shared: "funnels"},

	"TopFlow.completionRate":     {shared: "completions"}, // one batch per list
	"TopEngineer.completionRate": {shared: "completions"},

	// A sessions connection checks its arguments for free; its page (edges
	// and pageInfo share it, whatever `first`) is one statement, its
	// totalCount another; a listed session's fields, steps included, come
	// with the page.
	"TeamAnalytics.sessions":       {},
	"PersonalAnalytics.sessions":   {},
	"FlowAnalytics.sessions":       {},
	"SessionConnection.totalCount": {statements: 1},
	"SessionConnection.edges":      {shared: "page"},
	"SessionConnection.pageInfo":   {shared: "page"},
	"Session.steps":                {},
}

// statements returns how many SQL statements op would run, or false when
// that is more than budget: counting stops as soon as the count passes
// budget, or the fragments expand past maxFieldVisits.
func statements(op *ast.OperationDefinition, budget int) (int, bool) {
	c := counter{budget: budget - requestStatements}
	n := requestStatements + c.selections([]ast.SelectionSet{op.SelectionSet})
	if c.tooLarge || c.total > c.budget {
		return 0, false
	}
	return n, true
}

// counter counts the statements of selection sets the way gqlgen executes
// them: fields with the same response key are merged into one (resolved
// once), fragments are expanded in place. It stops once total passes
// budget: the operation is refused then, whatever the rest costs.
type counter struct {
	budget   int
	total    int
	visits   int
	tooLarge bool // the fragments expand past maxFieldVisits
}

// field is the fields of one response key of a selection set, merged.
type field struct {
	def  *ast.Field
	sets []ast.SelectionSet
}

// selections returns the statements of the merged selection sets sets
// (one object, or every item of one list).
func (c *counter) selections(sets []ast.SelectionSet) int {
	var order []string
	fields := map[string]*field{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if c.tooLarge {
				return
			}
			switch x := sel.(type) {
			case *ast.Field:
				if c.visits++; c.visits > maxFieldVisits {
					c.tooLarge = true
					return
				}
				key := x.Alias
				if key == "" {
					key = x.Name
				}
				f := fields[key]
				if f == nil {
					f = &field{def: x}
					fields[key] = f
					order = append(order, key)
				}
				if len(x.SelectionSet) > 0 {
					f.sets = append(f.sets, x.SelectionSet)
				}
			case *ast.InlineFragment:
				collect(x.SelectionSet)
			case *ast.FragmentSpread:
				if x.Definition != nil {
					collect(x.Definition.SelectionSet)
				}
			}
		}
	}
	for _, s := range sets {
		collect(s)
	}
	n := 0
	shared := map[string]bool{}
	for _, key := range order {
		if c.tooLarge || c.total > c.budget {
			break
		}
		f := fields[key]
		cost := fieldCosts[costKey(f.def)]
		own := cost.statements
		if cost.shared != "" && !shared[cost.shared] {
			shared[cost.shared] = true
			own++
		}
		n += own
		c.total += own
		if len(f.sets) > 0 {
			n += c.selections(f.sets)
		}
	}
	return n
}

// costKey returns "Type.field" of a validated field.
func costKey(f *ast.Field) string {
	if f.ObjectDefinition == nil {
		return f.Name
	}
	return f.ObjectDefinition.Name + "." + f.Name
}
