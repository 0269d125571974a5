package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/models"
)

// The pipeline the document tests, benchmarks and fuzz target run
// documents through, and the hostile documents they run.

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
