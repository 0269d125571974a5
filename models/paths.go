package models

// Path statistics of a flow (shared/API.md, "transitions", "exitNodes",
// "funnel"): how sessions move through its nodes, where completed sessions
// end, and how many pass a given sequence of nodes.

// Bounds of the path arguments.
const (
	// MaxPathLimit is the largest `limit` of transitions and exitNodes.
	MaxPathLimit = 1000
	// MaxFunnelSteps is the most node ids a funnel may name.
	MaxFunnelSteps = 20
)

// Transition counts the moves from one node to the next: two neighbours
// in a session's counted decisions, once the entries that do not count
// are removed.
type Transition struct {
	FromNodeID    string `json:"from_node_id"`
	FromNodeTitle string `json:"-"`
	ToNodeID      string `json:"to_node_id"`
	ToNodeTitle   string `json:"-"`
	Count         int    `json:"count"`
	// OutOf is every transition out of FromNodeID, listed or not.
	OutOf int     `json:"out_of"`
	Share float64 `json:"-"`
}

// ExitNode counts the completed sessions whose last decision is a counted
// one at a node, with their outcomes.
type ExitNode struct {
	NodeID     string `json:"node_id"`
	NodeTitle  string `json:"-"`
	Sessions   int    `json:"sessions"`
	Resolved   int    `json:"resolved"`
	Escalated  int    `json:"escalated"`
	Workaround int    `json:"workaround"`
	Unresolved int    `json:"unresolved"`
}

// FunnelStep is one step of a funnel: the sessions whose counted decisions
// hold the funnel's node ids up to this one as a subsequence, in order.
type FunnelStep struct {
	NodeID         string
	NodeTitle      string
	Sessions       int
	ConversionRate float64
}

// FunnelSteps returns the steps of the funnel ids from the sessions that
// reached each step and the sessions of the scope (the first step's
// divisor): conversion rates are this step over the previous one, 3
// decimals, 0 when the divisor is 0.
func FunnelSteps(ids []string, reached []int, total int, titles Titles) []FunnelStep {
	steps := make([]FunnelStep, len(ids))
	prev := total
	for i, id := range ids {
		steps[i] = FunnelStep{NodeID: id, NodeTitle: titles.Title(id), Sessions: reached[i], ConversionRate: Ratio(reached[i], prev, 3)}
		prev = reached[i]
	}
	return steps
}
