package graph

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/models"
)

// The shape of documents (document.go) through the whole GraphQL
// pipeline of the service: the token count, parsing, the shape check,
// gqlparser's validation and the operation limits, exactly as NewServer
// assembles them.

func TestAttacksAreRefusedBeforeValidation(t *testing.T) {
	for _, dev := range []bool{true, false} {
		p := newPipeline(t, dev, nil)
		for _, a := range attacks() {
			t.Run(fmt.Sprintf("%s, development=%v", a.name, dev), func(t *testing.T) {
				if n := tokenCount(a.doc); n > DefaultLimits.MaxTokens {
					t.Fatalf("the attack has %d tokens, over the token limit: it shows nothing", n)
				}
				errs := p.run(a.doc)
				if len(errs) != 1 || errs[0].Extensions["code"] != a.code {
					t.Fatalf("want one %s error, got %v", a.code, errs)
				}
				// The work: the shape check stops at its bounds, so it
				// visits at most MaxFields+1 selections whatever the
				// document's expansion (2^40 for a bomb).
				if v := shapeVisits(t, a.doc); v > DefaultMaxFields+1 {
					t.Errorf("the shape check visited %d selections", v)
				}
				// And the whole pipeline's allocations stay proportional
				// to the document, not to its expansion or to pairs of
				// its fields (validating `{ __typename ×4900 }` allocated
				// about 48 million times).
				allocs := testing.AllocsPerRun(2, func() { p.run(a.doc) })
				if perToken := allocs / float64(tokenCount(a.doc)); perToken > 30 {
					t.Errorf("%.0f allocations for %d tokens (%.1f per token)", allocs, tokenCount(a.doc), perToken)
				}
			})
		}
	}
}

// shapeVisits returns how many selections checkDocument visits for q.
func shapeVisits(t *testing.T, q string) int {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("the document does not parse: %v", err)
	}
	s := newShapeCheck(doc, DefaultMaxFields)
	s.run(doc)
	return s.fields
}

// TestWithinBoundsAreValidated: the costliest documents within the shape's
// bounds go on to validation and the operation limits (which refuse the
// aliased ones), with allocations proportional to their size.
func TestWithinBoundsAreValidated(t *testing.T) {
	p := newPipeline(t, false, nil)
	for _, a := range withinBounds() {
		t.Run(a.name, func(t *testing.T) {
			errs := p.run(a.doc)
			switch {
			case a.code == "" && errs != nil:
				t.Fatalf("refused: %v", errs)
			case a.code != "" && (len(errs) != 1 || errs[0].Extensions["code"] != a.code):
				t.Fatalf("want one %s error after validation, got %v", a.code, errs)
			}
			allocs := testing.AllocsPerRun(2, func() { p.run(fresh(a.doc)) })
			if perToken := allocs / float64(tokenCount(a.doc)); perToken > 30 {
				t.Errorf("%.0f allocations for %d tokens (%.1f per token)", allocs, tokenCount(a.doc), perToken)
			}
		})
	}
}

// BenchmarkRefusal measures the time to answer each attack and each
// costliest document within the bounds through the whole pipeline
// (parse, shape check, validation, operation limits):
//
//	go test ./graph -run '^$' -bench Refusal -benchtime 20x
func BenchmarkRefusal(b *testing.B) {
	p := newPipeline(b, false, nil)
	all := append(attacks(), withinBounds()...)
	for _, a := range all {
		b.Run(strings.ReplaceAll(a.name, " ", "_"), func(b *testing.B) {
			docs := make([]string, b.N)
			for i := range docs {
				docs[i] = fresh(a.doc)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				p.run(docs[i])
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(tokenCount(a.doc)), "tokens")
		})
	}
}

// cpuTime returns the CPU time the process has used: on a shared machine
// it says more about the work than the wall-clock time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkValidationWithoutShapeCheck measures the attacks through
// gqlgen's executor without the service's checks (parse and validation
// as they were): the figures the shape check removes. Seconds for some;
// run it with a short -benchtime:
//
//	go test ./graph -run '^$' -bench WithoutShapeCheck -benchtime 1x
func BenchmarkValidationWithoutShapeCheck(b *testing.B) {
	e := executor.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	e.SetDisableSuggestion(true)
	p := pipeline{exec: e}
	for _, a := range attacks() {
		b.Run(strings.ReplaceAll(a.name, " ", "_"), func(b *testing.B) {
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				p.run(fresh(a.doc))
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func TestDocumentShapeBounds(t *testing.T) {
	// No token limit here: 2,000 aliased fields take 6,000 tokens.
	p := newPipeline(t, false, func(l *Limits) { l.MaxTokens = 0 })
	field := string(models.CodeFieldLimit)
	validation := string(models.CodeValidationFailed)
	for _, c := range []struct {
		name, doc, code, msg string
	}{
		{"20 fields of one name", "{ viewer { " + strings.Repeat("id ", maxSameKey) + "} }", "", ""},
		{"21 fields of one name", "{ viewer { " + strings.Repeat("id ", maxSameKey+1) + "} }", field, `"id" is selected more than 20 times in one selection set`},
		{"21 through fragments and inline fragments", "{ viewer { ...A ... on Viewer { id } } } fragment A on Viewer { " + strings.Repeat("id ", maxSameKey) + "}", field, `"id" is selected more than 20 times`},
		{"one alias for 21 fields", "{ " + strings.Repeat("x: __typename ", maxSameKey+1) + "}", field, `"x" is selected more than 20`},
		{"merged one level down", "{ " + strings.Repeat("viewer { id id } ", 11) + "}", field, `"id" is selected more than 20`},
		{"16 fragments, each with its __typename, and one more", "{ viewer { __typename " + repeat(maxSpreads, func(i int) string { return fmt.Sprintf("...F%d ", i) }) + "} }" +
			repeat(maxSpreads, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { __typename a%d: id }", i, i) }), string(models.CodeAliasLimit), ""},
		{"16 spreads", "{ viewer { " + repeat(maxSpreads, func(i int) string { return fmt.Sprintf("...F%d ", i) }) + "} }" +
			repeat(maxSpreads, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { a%d: id }", i, i) }), string(models.CodeAliasLimit), ""},
		{"17 spreads", "{ viewer { " + repeat(maxSpreads+1, func(i int) string { return fmt.Sprintf("...F%d ", i) }) + "} }" +
			repeat(maxSpreads+1, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { id }", i) }), field, "more than 16 fragments are spread into one selection set"},
		{"16 levels", "{ " + strings.Repeat("... on Query { ", maxNesting-1) + "__typename" + strings.Repeat(" }", maxNesting-1) + " }", "", ""},
		{"17 levels", "{ " + strings.Repeat("... on Query { ", maxNesting) + "__typename" + strings.Repeat(" }", maxNesting) + " }", field, "selections nest more than 16 levels deep"},
		{"2,000 fields", "{ " + repeat(DefaultMaxFields, func(i int) string { return fmt.Sprintf("a%d: __typename ", i) }) + "}", string(models.CodeAliasLimit), ""},
		{"2,001 fields", "{ " + repeat(DefaultMaxFields+1, func(i int) string { return fmt.Sprintf("a%d: __typename ", i) }) + "}", field, "the document has more than 2000 fields"},
		{"2,001 through a fragment spread twice", "{ a: viewer { ...F } b: viewer { ...F } } fragment F on Viewer { " +
			repeat(DefaultMaxFields/3, func(i int) string { return fmt.Sprintf("i%d: id ", i) }) + "}", field, "the document has more than 2000 fields"},
		{"a fragment cycle", "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { id ...A }", validation, "spreads itself"},
		{"a cycle through a field", "{ viewer { ...A } } fragment A on Viewer { id ... on Viewer { ...A } }", validation, "fragment A spreads itself"},
		{"@defer on an inline fragment", "{ viewer { id ... @defer { name } } }", validation, "@defer is not supported"},
		{"@defer on a spread", "{ viewer { ...A @defer } } fragment A on Viewer { id }", validation, "@defer is not supported"},
		{"@defer in a fragment", "{ viewer { ...A } } fragment A on Viewer { ... @defer(label: \"x\") { id } }", validation, "@defer is not supported"},
		{"@stream", "{ teamAnalytics { topFlows @stream(initialCount: 1) { name } } }", validation, "@stream is not supported"},
	} {
		errs := p.run(c.doc)
		switch {
		case c.code == "" && errs != nil:
			t.Errorf("%s: refused: %v", c.name, errs)
		case c.code != "" && (len(errs) == 0 || errs[0].Extensions["code"] != c.code || !strings.Contains(errs[0].Message, c.msg)):
			t.Errorf("%s: want %s saying %q, got %v", c.name, c.code, c.msg, errs)
		}
	}
	// The field count is off at 0; the other bounds hold still.
	off := newPipeline(t, false, func(l *Limits) { l.MaxFields, l.MaxAliases, l.MaxTokens = 0, 0, 0 })
	if errs := off.run("{ " + repeat(DefaultMaxFields+1, func(i int) string { return fmt.Sprintf("a%d: __typename ", i) }) + "}"); errs != nil {
		t.Errorf("MaxFields 0: %v", errs)
	}
	if errs := off.run("{ " + strings.Repeat("__typename ", maxSameKey+1) + "}"); len(errs) != 1 || errs[0].Extensions["code"] != field {
		t.Errorf("MaxFields 0, 33 fields of one name: %v", errs)
	}
}

// largestLegitimate builds, from the schema, the largest operation a
// dashboard sends: every field of the viewer and of the three analytics
// queries in one document, and one SQL-backed field with all its subfields
// repeated under each of the aliases the alias limit allows — the one of
// them that selects the most fields. It returns the document and its field
// count.
func largestLegitimate() (string, int) {
	all := "viewer " + selectAll("Viewer")
	for _, root := range sortedRoots() {
		def := schema.Query.Fields.ForName(root)
		all += " " + root + requiredArgs(def) + " " + selectAll(roots[root])
	}
	best, bestN := "", 0
	for _, root := range sortedRoots() {
		def := schema.Query.Fields.ForName(root)
		typ := roots[root]
		for _, f := range schema.Types[typ].Fields {
			var extra strings.Builder
			for i := 0; i < DefaultLimits.MaxAliases; i++ {
				fmt.Fprintf(&extra, " a%d: %s%s%s", i, f.Name, requiredArgs(f), subSelection(f.Type))
			}
			body := selectAll(typ)
			body = body[:len(body)-1] + extra.String() + " }"
			doc := "{ " + strings.Replace(all, root+requiredArgs(def)+" "+selectAll(typ), root+requiredArgs(def)+" "+body, 1) + " }"
			d, err := parser.ParseQuery(&ast.Source{Input: doc})
			if err != nil {
				panic(err)
			}
			s := newShapeCheck(d, 0)
			s.run(d)
			if s.fields > bestN {
				best, bestN = doc, s.fields
			}
		}
	}
	return best, bestN
}

func sortedRoots() []string {
	var names []string
	for r := range roots {
		names = append(names, r)
	}
	sort.Strings(names)
	return names
}

// TestLargestDashboardsWithinFieldLimit: the largest legitimate operation
// passes the field limit with room for the fields the contract adds
// (sessions, transitions, exit nodes, funnels: a few hundred more fields
// under the aliases), and the whole pipeline accepts it.
func TestLargestDashboardsWithinFieldLimit(t *testing.T) {
	doc, n := largestLegitimate()
	t.Logf("the largest legitimate operation has %d fields (fragments expanded); the limit is %d", n, DefaultMaxFields)
	if n*2 > DefaultMaxFields {
		t.Errorf("the largest dashboard has %d fields: less than twice that is left under the limit of %d; raise DefaultMaxFields (and check BenchmarkRefusal)", n, DefaultMaxFields)
	}
	if errs := newPipeline(t, false, nil).run(doc); errs != nil {
		t.Fatalf("the largest dashboard is refused: %v", errs)
	}
	// The same written with fragments, as component-based clients do: one
	// fragment per analytics type, spread in place.
	var frags []string
	withFrags := doc
	for _, typ := range roots {
		body := selectAll(typ)
		if strings.Contains(withFrags, body) {
			frags = append(frags, "fragment All"+typ+" on "+typ+" "+body)
			withFrags = strings.Replace(withFrags, body, "{ ...All"+typ+" }", 1)
		}
	}
	withFrags += " " + strings.Join(frags, " ")
	if errs := newPipeline(t, false, nil).run(withFrags); errs != nil {
		t.Fatalf("the largest dashboard written with fragments is refused: %v", errs)
	}
}

// TestIntrospectionQueryWithinShape: the Playground's schema query (with
// its fragments and nested type references) passes in development.
func TestIntrospectionQueryWithinShape(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: introspection.Query})
	if err != nil {
		t.Fatal(err)
	}
	if e := checkDocument(doc, DefaultMaxFields); e != nil {
		t.Fatalf("the introspection query: %v", e)
	}
}
