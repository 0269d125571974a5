package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"flowlens/models"
)

// noIntrospection refuses, in production, an operation that asks for the
// schema (__schema or __type, at the root, through fragments too) before
// it runs: a request error INTROSPECTION_DISABLED instead of the
// executor's uncoded "introspection disabled", which was masked as an
// internal error. { __typename } is not introspection and still works.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func init() {
	errcode.RegisterErrorType(string(models.CodeIntrospectionDisabled), errcode.KindProtocol)
}

func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation != nil && asksForSchema(oc.Operation.SelectionSet, map[string]bool{}) {
		return codedError(models.CodeIntrospectionDisabled, "introspection (__schema, __type) is disabled in production; the schema is published with the API")
	}
	return nil
}

// asksForSchema reports whether a root selection set selects __schema or
// __type, looking into inline fragments and each spread fragment once.
func asksForSchema(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Name == "__schema" || x.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if asksForSchema(x.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if x.Definition != nil && !seen[x.Name] {
				seen[x.Name] = true
				if asksForSchema(x.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}
