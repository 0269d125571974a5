package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"flowlens/models"
	"flowlens/observe"
)

// presenter turns resolver errors into GraphQL errors: a *models.Error keeps
// its code and safe message (prefixed with the argument path for bad input
// that gqlgen reports on an argument); anything else is masked as
// INTERNAL_SERVER_ERROR with a request id, logged once here with its details.
func presenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := models.AsError(err); ok {
			msg := e.Message
			if e.ArgFromPath {
				if arg := argumentName(gqlErr); arg != "" {
					msg = arg + ": " + msg
				}
			}
			gqlErr.Message = msg
			gqlErr.Extensions = e.ExtensionsMap()
			return gqlErr
		}
		// A statement cancelled because the request's context ended comes
		// back as PostgreSQL's "canceling statement" error: the context
		// tells what happened.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
			id := observe.RequestID(ctx)
			log.WarnContext(ctx, "request cancelled or over its deadline", "request_id", id, "path", gqlErr.Path.String(), "error", err)
			gqlErr.Message = "the request took too long or was cancelled (request id " + id + ")"
			gqlErr.Extensions = map[string]any{"code": string(models.CodeInternal), "requestId": id}
			return gqlErr
		}
		// Errors gqlgen raises itself (parse, validation, coercion) already
		// carry a code and a client-safe message.
		var own *gqlerror.Error
		if errors.As(err, &own) && own.Err == nil && own.Extensions["code"] != nil {
			return gqlErr
		}
		id := observe.RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", id, "path", gqlErr.Path.String(), "error", err)
		gqlErr.Message = "internal server error (request id " + id + ")"
		gqlErr.Extensions = map[string]any{"code": string(models.CodeInternal), "requestId": id}
		return gqlErr
	}
}

// argumentName returns the argument an input error is about, from the
// path gqlgen attaches to argument errors (the last path element).
func argumentName(e *gqlerror.Error) string {
	if len(e.Path) == 0 {
		return ""
	}
	if name, ok := e.Path[len(e.Path)-1].(ast.PathName); ok {
		return string(name)
	}
	return ""
}
