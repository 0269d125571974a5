package graph

import (
	"context"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"flowlens/models"
	"flowlens/observe"
)

// Options configure the GraphQL server.
type Options struct {
	// Development turns on introspection and field suggestions.
	Development bool
	Log         *slog.Logger
	// Limits bound each operation (tokens, depth, aliases, statements,
	// errors per response); zero fields are off.
	Limits Limits
	// Extensions are further gqlgen extensions, such as the observer's,
	// which records each request's operation name and error code.
	Extensions []graphql.HandlerExtension
}

// NewServer returns the GraphQL executor: a parsed-query cache, automatic
// persisted queries, the operation limits, fresh dataloaders for every
// operation, the error presenter and panic recovery. It has no transport:
// the HTTP layer adds the ones it serves (AddTransport).
func NewServer(r *Resolver, opts Options) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	queries := boundedCache[*ast.QueryDocument]{lru.New[*ast.QueryDocument](1000), queryLen}
	srv.SetQueryCache(queries)
	// The limits come first: a document over the token or field limit is
	// neither validated nor stored as a persisted query.
	srv.Use(operationLimits{Limits: opts.Limits, validated: queries})
	if opts.Limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(opts.Limits.MaxTokens)
	}
	srv.Use(persistedQueries{cache: boundedCache[string]{lru.New[string](100), persistedLen}})
	if opts.Development {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(noIntrospection{})
		// gqlgen swaps the rules of fields and leaves for their forms
		// without suggestions; these are the other rules that make them.
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(rulesWithoutSuggestions)
	}
	for _, ext := range opts.Extensions {
		srv.Use(ext)
	}
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(withLoaders(ctx, r.Store))
	})
	srv.SetErrorPresenter(presenter(opts.Log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		id := observe.RequestID(ctx)
		opts.Log.ErrorContext(ctx, "panic in resolver", "request_id", id, "panic", p)
		return &models.Error{Code: models.CodeInternal, Message: "internal server error (request id " + id + ")"}
	})
	return srv
}

var _ graphql.ErrorPresenterFunc = presenter(nil)

// rulesWithoutSuggestions are gqlparser's validation rules with no "Did
// you mean" in any message: not for arguments, enum values, input fields
// or type names, whose suggestions would tell the schema to anyone.
func rulesWithoutSuggestions() *rules.Rules {
	r := rules.NewDefaultRules()
	for _, rule := range []core.Rule{rules.KnownArgumentNamesRuleWithoutSuggestions, rules.KnownTypeNamesRuleWithoutSuggestions, rules.ValuesOfCorrectTypeRuleWithoutSuggestions} {
		r.RemoveRule(strings.TrimSuffix(rule.Name, "WithoutSuggestions"))
		r.AddRule(rule.Name, rule.RuleFunc)
	}
	return r
}
