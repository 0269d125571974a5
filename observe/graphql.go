package observe

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"flowlens/models"
)

// Extension returns the gqlgen extension that tells the request's log line
// and metrics its operation name, the viewer's account and the code of its
// first error. It sees every response, including parse and validation
// failures.
func (o *Observer) Extension() graphql.HandlerExtension { return extension{o} }

type extension struct{ o *Observer }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = extension{}

func (extension) ExtensionName() string { return "Observe" }

func (extension) Validate(graphql.ExecutableSchema) error { return nil }

func (e extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	req := requestFrom(ctx)
	if req != nil && graphql.HasOperationContext(ctx) {
		// Operation is set only for a parsed, valid document; before that
		// the request stays "unknown".
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			req.setOperation(op.Name)
		}
	}
	if req != nil && e.o.opts.Account != nil {
		req.setAccount(e.o.opts.Account(ctx))
	}
	resp := next(ctx)
	if req != nil && resp != nil && len(resp.Errors) > 0 {
		code, _ := resp.Errors[0].Extensions["code"].(string)
		if code == "" {
			code = string(models.CodeUnknown)
		}
		req.setCode(code)
	}
	return resp
}
