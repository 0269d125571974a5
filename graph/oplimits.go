package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/models"
)

// Limits bound the demand one GraphQL operation may place on the service.
// Every limit is checked before any resolver runs (so before any SQL of the
// operation); a zero field turns its limit off. DefaultLimits holds the
// service's defaults, which `serve` takes from its configuration. The HTTP
// request itself (method, media type, body size) is bounded before, by the
// HTTP layer.
type Limits struct {
	// MaxTokens bounds the lexical tokens of the document.
	MaxTokens int
	// MaxFields bounds the fields of the document, counted before
	// validation as validation walks them (checkDocument): every operation
	// and fragment definition, a fragment's fields each time it is spread.
	MaxFields int
	// MaxDepth bounds the nesting of fields (`{ a { b } }` has depth 2).
	MaxDepth int
	// MaxAliases bounds the aliased fields of the operation, fragments
	// counted each time they are spread.
	MaxAliases int
	// MaxComplexity bounds the SQL statements the operation would run
	// (see cost.go): each SQL-backed field and each loader batch counts
	// one, whatever the `limit` of a list.
	MaxComplexity int
	// MaxErrors bounds the errors of one response; the rest are replaced by
	// one error saying how many were left out.
	MaxErrors int
}

// DefaultMaxFields is the default of Limits.MaxFields: the largest
// legitimate operation, every field of all three analytics queries with a
// list repeated under each of the 15 aliases, selects a few hundred
// (TestLargestDashboardsWithinFieldLimit); validation of 2,000 fields stays
// within a few milliseconds (BenchmarkRefusal).
const DefaultMaxFields = 2000

// DefaultLimits are the limits of the service unless configured otherwise.
var DefaultLimits = Limits{
	MaxTokens:     5000,
	MaxFields:     DefaultMaxFields,
	MaxDepth:      10,
	MaxAliases:    15,
	MaxComplexity: DefaultStatementBudget,
	MaxErrors:     20,
}

func init() {
	// Operations refused by a limit never ran: protocol errors, answered
	// with a 4xx status like parse and validation failures.
	for _, code := range []models.Code{models.CodeTokenLimit, models.CodeFieldLimit, models.CodeDepthLimit, models.CodeAliasLimit, models.CodeComplexityLimit} {
		errcode.RegisterErrorType(string(code), errcode.KindProtocol)
	}
}

// operationLimits is the gqlgen extension that enforces the token and
// field limits and the document's shape on every document before it is
// validated, the depth, alias and statement limits on every operation
// after, and bounds the errors of each response.
type operationLimits struct {
	Limits
	// validated, when set, holds documents already parsed and validated
	// (the executor's query cache): they passed these checks before.
	validated graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = operationLimits{}

func (operationLimits) ExtensionName() string { return "OperationLimits" }

func (operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters counts the document's tokens before it is
// parsed (or stored as a persisted query), then checks the shape of the
// parsed document (checkDocument) before gqlgen validates it.
func (l operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // a persisted query by hash: checked when it was stored
	}
	if err := l.countTokens(p.Query); err != nil {
		return err
	}
	if l.validated != nil {
		if _, ok := l.validated.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.MaxTokens)
	if err != nil {
		return nil // the executor's parser reports it
	}
	return checkDocument(doc, l.MaxFields)
}

// countTokens refuses a document of more than MaxTokens lexical tokens.
func (l operationLimits) countTokens(q string) *gqlerror.Error {
	if l.MaxTokens <= 0 {
		return nil
	}
	lex := lexer.New(&ast.Source{Input: q})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // the parser reports lexical errors
		}
		if n >= l.MaxTokens {
			return limitError(models.CodeTokenLimit, "the document has more than %d tokens", l.MaxTokens)
		}
	}
}

// MutateOperationContext measures the depth and the aliases of the
// operation to run, after validation and before execution.
func (l operationLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := measurer{fragments: map[string]*shape{}}
	s := m.selectionSet(oc.Operation.SelectionSet)
	if l.MaxDepth > 0 && s.depth > l.MaxDepth {
		return limitError(models.CodeDepthLimit, "the operation has depth %d, which exceeds the limit of %d", s.depth, l.MaxDepth)
	}
	if l.MaxAliases > 0 && s.aliases > l.MaxAliases {
		return limitError(models.CodeAliasLimit, "the operation has %d aliases, which exceeds the limit of %d", s.aliases, l.MaxAliases)
	}
	if l.MaxComplexity > 0 {
		if _, ok := statements(oc.Operation, l.MaxComplexity); !ok {
			return limitError(models.CodeComplexityLimit, "the operation would run more than %d SQL statements (one per SQL-backed field and alias, one per loader batch), the limit of one request", l.MaxComplexity)
		}
	}
	return nil
}

// InterceptResponse keeps at most MaxErrors errors: the first MaxErrors-1
// and one that says how many more were left out.
func (l operationLimits) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || l.MaxErrors <= 0 || len(resp.Errors) <= l.MaxErrors {
		return resp
	}
	keep := l.MaxErrors - 1
	left := len(resp.Errors) - keep
	errs := make(gqlerror.List, 0, l.MaxErrors)
	errs = append(errs, resp.Errors[:keep]...)
	errs = append(errs, &gqlerror.Error{
		Message:    fmt.Sprintf("%d more errors were left out: a response reports at most %d errors", left, l.MaxErrors),
		Extensions: map[string]any{"code": string(models.CodeTooManyErrors)},
	})
	resp.Errors = errs
	return resp
}

// limitError is the error of an operation refused by a limit.
func limitError(code models.Code, format string, a ...any) *gqlerror.Error {
	return codedError(code, format, a...)
}

// shape is what the limits measure of a selection set.
type shape struct {
	depth   int
	aliases int
}

// measurer walks an operation, each fragment once: a fragment's shape is
// remembered, so a document that spreads fragments into each other many
// times costs time proportional to its size, not to its expansion.
type measurer struct {
	fragments map[string]*shape // nil value: being measured (a cycle, which validation already refuses)
}

func (m *measurer) selectionSet(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		var c shape
		switch x := sel.(type) {
		case *ast.Field:
			c = m.selectionSet(x.SelectionSet)
			c.depth++
			if x.Name == "__schema" || x.Name == "__type" {
				// The depth of introspection (development only) is not
				// measured: the Playground's own schema query is 15 deep,
				// and its type references nest linearly, without any SQL;
				// the token limit bounds it and its aliases still count
				// (graphql-armor's max-depth ignores it likewise).
				c.depth = 1
			}
			if x.Alias != "" && x.Alias != x.Name {
				c.aliases = satAdd(c.aliases, 1)
			}
		case *ast.InlineFragment:
			c = m.selectionSet(x.SelectionSet)
		case *ast.FragmentSpread:
			c = m.fragment(x)
		}
		s.depth = max(s.depth, c.depth)
		s.aliases = satAdd(s.aliases, c.aliases)
	}
	return s
}

func (m *measurer) fragment(f *ast.FragmentSpread) shape {
	if f.Definition == nil {
		return shape{}
	}
	if s, seen := m.fragments[f.Name]; seen {
		if s == nil {
			return shape{}
		}
		return *s
	}
	m.fragments[f.Name] = nil
	s := m.selectionSet(f.Definition.SelectionSet)
	m.fragments[f.Name] = &s
	return s
}

// satAdd adds without overflowing.
func satAdd(a, b int) int {
	if c := a + b; c >= a {
		return c
	}
	return int(^uint(0) >> 1)
}
