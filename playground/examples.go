package playground

import (
	"embed"
)

//go:embed examples/*.graphql
var exampleFS embed.FS

// placeholderTreeID is the treeId of the flow example's variables, to be
// replaced by a real one; as it stands it answers NOT_FOUND.
const placeholderTreeID = "00000000-0000-0000-0000-000000000000"

// Examples returns the example tabs: the team dashboard, the personal
// dashboard, flow analytics (whose treeId variable is a placeholder), a
// drill-down page of sessions (whose after variable continues it) and flow
// paths (with a placeholder treeId variable).
func Examples() []Tab {
	return []Tab{
		{Query: example("team.graphql")},
		{Query: example("personal.graphql")},
		{Query: example("flow.graphql"), Variables: `{"treeId": "` + placeholderTreeID + `"}`},
		{Query: example("drilldown.graphql"), Variables: `{"after": null}`},
		{Query: example("paths.graphql"), Variables: `{"treeId": "` + placeholderTreeID + `", "funnel": ["start", "error-code", "paper-jam"]}`},
	}
}

func example(name string) string {
	b, err := exampleFS.ReadFile("examples/" + name)
	if err != nil {
		panic("playground: missing embedded example " + name)
	}
	return string(b)
}
