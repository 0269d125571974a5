package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
)

// Limits bound the demand one GraphQL request may place on the service.
// Every limit is checked before any resolver runs (so before any SQL of the
// operation); a zero field turns its limit off. DefaultLimits holds the
// service's defaults, which `serve` takes from its configuration.
type Limits struct {
	// MaxBodyBytes bounds the request body: larger bodies get HTTP 413
	// before anything is parsed.
	MaxBodyBytes int64
	// MaxTokens bounds the lexical tokens of the document.
	MaxTokens int
	// MaxDepth bounds the nesting of fields (`{ a { b } }` has depth 2).
	MaxDepth int
	// MaxAliases bounds the aliased fields of the operation, fragments
	// counted each time they are spread.
	MaxAliases int
	// MaxComplexity bounds the operation's cost: 1 per field plus its
	// children, list fields with a `limit` cost 1 + limit × their children.
	MaxComplexity int
	// MaxErrors bounds the errors of one response; the rest are replaced by
	// one error saying how many were left out.
	MaxErrors int
}

// DefaultLimits are the limits of the service unless configured otherwise.
var DefaultLimits = Limits{
	MaxBodyBytes:  1 << 20,
	MaxTokens:     5000,
	MaxDepth:      10,
	MaxAliases:    15,
	MaxComplexity: 1000,
	MaxErrors:     20,
}

// Error codes (extensions.code) of requests refused by the limits.
const (
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"        // HTTP 405
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"    // HTTP 415
	CodeBodyTooLarge         = "REQUEST_TOO_LARGE"         // HTTP 413
	CodeBatching             = "BATCHING_NOT_SUPPORTED"    // HTTP 400
	CodeBadRequest           = "BAD_REQUEST"               // HTTP 400: an unreadable body
	CodeTokenLimit           = "TOKEN_LIMIT_EXCEEDED"      // HTTP 422 (400 for application/graphql-response+json)
	CodeDepthLimit           = "DEPTH_LIMIT_EXCEEDED"      // HTTP 422 / 400
	CodeAliasLimit           = "ALIAS_LIMIT_EXCEEDED"      // HTTP 422 / 400
	CodeComplexityLimit      = "COMPLEXITY_LIMIT_EXCEEDED" // HTTP 422 / 400 (gqlgen's code)
	CodeTooManyErrors        = "TOO_MANY_ERRORS"           // the last error of a truncated list
)

func init() {
	// Operations refused by a limit never ran: protocol errors, answered
	// with a 4xx status like parse and validation failures.
	for _, code := range []string{CodeTokenLimit, CodeDepthLimit, CodeAliasLimit, CodeComplexityLimit} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// maxCachedQueryBytes is the longest document the parsed-query and
// persisted-query caches keep: a handful of tokens may carry a string
// literal of nearly MaxBodyBytes, and a thousand of those would hold a
// gigabyte. Longer documents still run; they are parsed each time.
const maxCachedQueryBytes = 16 << 10

// LimitTransport guards the GraphQL endpoint before anything is parsed or
// authenticated: only GET, POST and OPTIONS; a POST body must be JSON
// (`application/json`, form and multipart bodies are refused with 415), at
// most l.MaxBodyBytes long (413) and one operation object, not a batch
// array (400). GET carries queries only: gqlgen's GET transport refuses
// mutations.
func LimitTransport(l Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			WriteError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST with a JSON body, or GET for queries")
			return
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			WriteError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request body must be application/json")
			return
		}
		if l.MaxBodyBytes > 0 {
			if r.ContentLength > l.MaxBodyBytes {
				tooLarge(w, l.MaxBodyBytes)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.MaxBodyBytes))
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge(w, l.MaxBodyBytes)
				return
			}
			if err != nil {
				WriteError(w, http.StatusBadRequest, CodeBadRequest, "the request body could not be read")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if isBatch(body) {
				WriteError(w, http.StatusBadRequest, CodeBatching, "send one operation per request; batches (JSON arrays) are not supported")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, max int64) {
	w.Header().Set("Connection", "close")
	WriteError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
		fmt.Sprintf("the request body is larger than %d bytes", max))
}

// isBatch reports whether a JSON body is an array.
func isBatch(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return true
		default:
			return false
		}
	}
	return false
}

// WriteError writes a GraphQL-shaped error response with one error.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// operationLimits is the gqlgen extension that enforces the token, depth
// and alias limits on every operation, and bounds the errors of each
// response. The complexity limit is gqlgen's FixedComplexityLimit with the
// list costs of complexity().
type operationLimits struct {
	Limits
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
// parsed (or stored as a persisted query).
func (l operationLimits) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if l.MaxTokens <= 0 || p.Query == "" {
		return nil
	}
	lex := lexer.New(&ast.Source{Input: p.Query})
	for n := 0; ; n++ {
		tok, err := lex.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil // the parser reports lexical errors
		}
		if n >= l.MaxTokens {
			return limitError(CodeTokenLimit, "the document has more than %d tokens", l.MaxTokens)
		}
	}
}

// MutateOperationContext measures the depth and the aliases of the
// operation to run, after validation and before execution.
func (l operationLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || (l.MaxDepth <= 0 && l.MaxAliases <= 0) {
		return nil
	}
	m := measurer{fragments: map[string]*shape{}}
	s := m.selectionSet(oc.Operation.SelectionSet)
	if l.MaxDepth > 0 && s.depth > l.MaxDepth {
		return limitError(CodeDepthLimit, "the operation has depth %d, which exceeds the limit of %d", s.depth, l.MaxDepth)
	}
	if l.MaxAliases > 0 && s.aliases > l.MaxAliases {
		return limitError(CodeAliasLimit, "the operation has %d aliases, which exceeds the limit of %d", s.aliases, l.MaxAliases)
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
		Extensions: map[string]any{"code": CodeTooManyErrors},
	})
	resp.Errors = errs
	return resp
}

func limitError(code, format string, a ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, a...), Extensions: map[string]any{"code": code}}
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

// complexity sets the costs of the list fields that take a `limit`:
// 1 + limit × the cost of one element (default limit 10).
func complexity(c *ComplexityRoot) {
	list := func(child int, limit *int) int {
		n := defaultLimit
		if limit != nil {
			n = max(*limit, 1)
		}
		return satAdd(1, satMul(n, child))
	}
	c.TeamAnalytics.TopFlows = list
	c.TeamAnalytics.TopEngineers = list
	c.PersonalAnalytics.TopFlows = list
	c.FlowAnalytics.RecentComments = list
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	c := a * b
	if c/b != a || c < 0 {
		return int(^uint(0) >> 1)
	}
	return c
}

// boundedCache keeps only values whose key and value are short (see
// maxCachedQueryBytes) in an underlying cache.
type boundedCache[T any] struct {
	cache graphql.Cache[T]
	size  func(key string, v T) int
}

func (c boundedCache[T]) Get(ctx context.Context, key string) (T, bool) { return c.cache.Get(ctx, key) }

func (c boundedCache[T]) Add(ctx context.Context, key string, v T) {
	if c.size(key, v) <= maxCachedQueryBytes {
		c.cache.Add(ctx, key, v)
	}
}

// queryLen is the size of a parsed-query cache entry: its document's text.
func queryLen(key string, _ *ast.QueryDocument) int { return len(key) }

// persistedLen is the size of a persisted-query cache entry: hash and document.
func persistedLen(key string, v string) int { return len(key) + len(v) }
