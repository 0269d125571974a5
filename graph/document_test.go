package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/models"
)

// The shape of documents (document.go) through the whole GraphQL
// pipeline of the service: the token count, parsing, the shape check,
// gqlparser's validation and the operation limits, exactly as NewServer
// assembles them.

// pipeline is the GraphQL executor of NewServer, for documents that are
// only parsed, checked and validated (never executed: no store).
type pipeline struct{ exec graphql.GraphExecutor }

// grab is a transport that hands over the executor.
type grab struct{ exec *graphql.GraphExecutor }

func (grab) Supports(*http.Request) bool { return true }

func (g grab) Do(_ http.ResponseWriter, _ *http.Request, exec graphql.GraphExecutor) { *g.exec = exec }

// newPipeline returns the executor of a server in development or production
// with the default limits changed by mut.
func newPipeline(tb testing.TB, development bool, mut func(*Limits)) pipeline {
	tb.Helper()
	l := DefaultLimits
	if mut != nil {
		mut(&l)
	}
	srv := NewServer(&Resolver{}, Options{Development: development, Log: slog.New(slog.DiscardHandler), Limits: l})
	var p pipeline
	srv.AddTransport(grab{&p.exec})
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/query", nil))
	if p.exec == nil {
		tb.Fatal("no executor")
	}
	return p
}

// run parses, checks and validates q and measures the operation: the
// errors that refuse it, or nil when it would execute.
func (p pipeline) run(q string) gqlerror.List {
	ctx := graphql.StartOperationTrace(context.Background())
	_, errs := p.exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q})
	return errs
}

// freshDocs numbers the documents fresh makes.
var freshDocs atomic.Int64

// fresh returns doc made unique with insignificant characters (spaces and
// commas, no tokens), so that the query cache does not answer for a
// document that passed validation before.
func fresh(doc string) string {
	i := freshDocs.Add(1)
	var b strings.Builder
	b.WriteString(doc)
	for ; i > 0; i >>= 1 {
		b.WriteByte(" ,"[i&1])
	}
	b.WriteByte(',')
	return b.String()
}

// tokenCount counts a document's lexical tokens as the token limit does.
func tokenCount(q string) int {
	lex := lexer.New(&ast.Source{Input: q})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
	}
}

// repeat joins f(0) … f(n-1).
func repeat(n int, f func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(f(i))
	}
	return b.String()
}

// largest returns gen(n) for the largest n whose document has at most
// DefaultLimits.MaxTokens tokens: the worst a client can send of that shape.
func largest(gen func(n int) string) string {
	return largestWhere(gen, func(doc string) bool { return tokenCount(doc) <= DefaultLimits.MaxTokens })
}

// largestWithin returns gen(n) for the largest n whose document is within
// both the token limit and the field limit.
func largestWithin(gen func(n int) string) string {
	return largestWhere(gen, func(doc string) bool {
		if tokenCount(doc) > DefaultLimits.MaxTokens {
			return false
		}
		d, err := parser.ParseQuery(&ast.Source{Input: doc})
		if err != nil {
			panic(err)
		}
		s := newShapeCheck(d, DefaultMaxFields)
		s.run(d)
		return !s.full
	})
}

// largestWhere returns gen(n) for the largest n in 1..MaxTokens that fits.
func largestWhere(gen func(n int) string, fits func(string) bool) string {
	lo, hi := 1, DefaultLimits.MaxTokens
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(gen(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return gen(lo)
}

// fragmentBomb is n fragments on Viewer, each spreading the previous one
// twice: 2^n fields once expanded, spread from root.
func fragmentBomb(n int, root string) string {
	return root + " fragment F0 on Viewer { id }" +
		repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { ...F%d ...F%d }", i+1, i, i) })
}

// typeBomb is the same through introspection: __type(name: "Query") { ...Fn }.
func typeBomb(n int) string {
	return fmt.Sprintf(`{ __type(name: "Query") { ...F%d } } fragment F0 on __Type { name }`, n) +
		repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on __Type { ...F%d ...F%d }", i+1, i, i) })
}

// attack is a hostile document and the code that refuses it.
type attack struct {
	name, doc, code string
}

// attacks are the documents that made validation or the limits slow, each
// as large as the token limit allows (or as the finding described it).
func attacks() []attack {
	field := string(models.CodeFieldLimit)
	return []attack{
		{"fragment bomb, 40 levels", fragmentBomb(40, "{ viewer { ...F40 } }"), field},
		{"fragment bomb, 40 levels, no root field", fragmentBomb(40, "{ viewer { id } }"), field},
		{"fragment bomb through __type, 20 levels", typeBomb(20), field},
		{"fragment bomb through __type, 40 levels", typeBomb(40), field},
		{"__typename ×4900", "{ " + strings.Repeat("__typename ", 4900) + "}", field},
		{"viewer { id ×4900 }", "{ viewer { " + strings.Repeat("id ", 4900) + "} }", field},
		{"one alias ×1666", largest(func(n int) string { return "{ " + strings.Repeat("a: __typename ", n) + "}" }), field},
		{"viewer { id ×69 } ×69", "{ " + strings.Repeat("viewer { "+strings.Repeat("id ", 69)+"} ", 69) + "}", field},
		{"inline fragments ×830", largest(func(n int) string { return "{ " + strings.Repeat("... on Query { __typename } ", n) + "}" }), field},
		{"distinct fragments spread into one set", largest(func(n int) string {
			return "{ viewer { " + repeat(n, func(i int) string { return fmt.Sprintf("...F%d ", i) }) + "} }" +
				repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { a%d: id }", i, i) })
		}), field},
		{"fragments of the same field", largest(func(n int) string {
			return "{ viewer { " + repeat(n, func(i int) string { return fmt.Sprintf("...F%d ", i) }) + "} }" +
				repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { id }", i) })
		}), field},
		{"fragment chain", largest(func(n int) string {
			return fmt.Sprintf("{ viewer { ...F%d } } fragment F0 on Viewer { id }", n) +
				repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { ...F%d }", i+1, i) })
		}), field},
		{"fragment chain through fields", largest(func(n int) string {
			return fmt.Sprintf("{ ...F%d } fragment F0 on Query { __typename }", n) +
				repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Query { a%d: __typename ...F%d }", i+1, i, i) })
		}), field},
		{"operations spreading one fragment", largest(func(n int) string {
			return repeat(n, func(i int) string { return fmt.Sprintf("query Q%d { ...F } ", i) }) +
				"fragment F on Query { " + repeat(300, func(i int) string { return fmt.Sprintf("a%d: __typename ", i) }) + "}"
		}), field},
		{"nested inline fragments", largest(func(n int) string {
			return "{ " + strings.Repeat("... on Query { ", n) + "__typename" + strings.Repeat(" }", n) + " }"
		}), field},
		{"unknown fields ×2500", largest(func(n int) string {
			return "{ " + repeat(n, func(i int) string { return fmt.Sprintf("n%d ", i) }) + "}"
		}), field},
	}
}

// withinBounds are the costliest documents that pass the shape check: the
// work validation does for them is the most it can be made to do.
func withinBounds() []attack {
	alias := string(models.CodeAliasLimit)
	return []attack{
		{"2,000 distinct fields through a fragment spread thrice", largestWithin(func(n int) string {
			return "{ a: viewer { ...F } b: viewer { ...F } c: viewer { ...F } } fragment F on Viewer { " +
				repeat(n, func(i int) string { return fmt.Sprintf("i%d: id ", i) }) + "}"
		}), alias},
		{"groups of 20 fields of one alias", largestWithin(func(n int) string {
			return "{ " + repeat(n, func(i int) string { return fmt.Sprintf("a%d: __typename ", i/maxSameKey) }) + "}"
		}), alias},
		{"20 × v: viewer { id } under each of many aliases", largestWithin(func(n int) string {
			return "{ " + repeat(n, func(i int) string { return fmt.Sprintf("v%d: viewer { id } ", i/maxSameKey) }) + "}"
		}), alias},
		{"sets of 16 distinct fragments", largestWithin(func(n int) string {
			sets := (n + maxSpreads - 1) / maxSpreads
			return "{ " + repeat(sets, func(s int) string {
				return fmt.Sprintf("v%d: viewer { ", s) + repeat(maxSpreads, func(j int) string {
					if k := s*maxSpreads + j; k < n {
						return fmt.Sprintf("...F%d ", k)
					}
					return ""
				}) + "} "
			}) + "}" + repeat(n, func(i int) string { return fmt.Sprintf(" fragment F%d on Viewer { a%d: id }", i, i) })
		}), alias},
		{"16 levels of inline fragments, repeated", largestWithin(func(n int) string {
			return "{ " + repeat(n, func(i int) string {
				return fmt.Sprintf("a%d: viewer { ", i) + strings.Repeat("... on Viewer { ", maxNesting-2) + "id" + strings.Repeat(" }", maxNesting-2) + " } "
			}) + "}"
		}), alias},
		{"the largest dashboards, all three", largestDashboard(), ""},
	}
}

// largestDashboard is every field of the three analytics queries and the
// viewer in one document, the costliest list repeated under each alias the
// alias limit allows.
func largestDashboard() string {
	doc, _ := largestLegitimate()
	return doc
}

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
