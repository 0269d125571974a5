package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"flowlens/models"
)

// Media types of GraphQL responses (GraphQL over HTTP).
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// graphqlHTTP is the GraphQL-over-HTTP transport of /query: POST with a
// JSON body, and GET with the parameters in the query string (queries
// only). It follows the GraphQL-over-HTTP specification where gqlgen's own
// transports cannot be configured to:
//   - a request error (a document that does not parse or validate,
//     variables that do not coerce, a demand limit) has no `data` entry;
//   - under Accept: application/graphql-response+json such a request is
//     answered 400; under application/json it is answered 200, except for
//     the demand limits (token, depth, alias, statement budget), which are
//     answered 422 like before;
//   - a body that is not a JSON GraphQL request is a 400 BAD_REQUEST that
//     names the problem and never repeats the body.
type graphqlHTTP struct{}

var _ graphql.Transport = graphqlHTTP{}

func (graphqlHTTP) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

func (graphqlHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	media := responseMedia(r.Header.Get("Accept"))
	start := graphql.Now()
	params, perr := readParams(r)
	if perr == nil && params.Query == "" && params.Extensions["persistedQuery"] == nil {
		perr = models.Errorf(models.CodeBadRequest, "the request has no query: send the GraphQL document in the query parameter")
	}
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	if r.Method == http.MethodGet {
		if op := operationType(params); op != "" && op != ast.Query {
			w.Header().Set("Allow", "POST")
			writeError(w, http.StatusMethodNotAllowed, models.Errorf(models.CodeMethodNotAllowed, "GET carries queries only: send a %s with POST", op))
			return
		}
	}

	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeResponse(w, media, requestErrorStatus(media, errs), resp, false)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	resp := responses(ctx)
	if resp == nil {
		// gqlgen runs nothing once the request's context has ended (its
		// deadline passed while it waited for its turn, or the client
		// went away) and answers nil: the answer is the deadline's usual
		// error, through the error presenter.
		resp = exec.DispatchError(ctx, gqlerror.List{gqlerror.WrapIfUnwrapped(context.Cause(ctx))})
	}
	writeResponse(w, media, http.StatusOK, resp, true)
}

// operationType returns the type of the operation a GET would run, before
// validation (a schema without mutations would only say that it does not
// support them): "" when the document does not parse or names no such
// operation, which validation then reports. Only documents that mention
// another operation type are parsed here.
func operationType(p *graphql.RawParams) ast.Operation {
	if !strings.Contains(p.Query, string(ast.Mutation)) && !strings.Contains(p.Query, string(ast.Subscription)) {
		return ""
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return ""
	}
	if op := doc.Operations.ForName(p.OperationName); op != nil {
		return op.Operation
	}
	return ""
}

// request is the body of a POST (GraphQL over HTTP, "JSON encoding").
type request struct {
	Query         *string        `json:"query"`
	OperationName *string        `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// readParams returns the GraphQL request of r, or the BAD_REQUEST error
// that says what is wrong with it.
func readParams(r *http.Request) (*graphql.RawParams, *models.Error) {
	p := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, models.Errorf(models.CodeBadRequest, "the query string is malformed")
		}
		p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
		if err := decodeParam(q.Get("variables"), &p.Variables); err != nil {
			return nil, models.Errorf(err.code, "variables: %s", err.msg)
		}
		if err := decodeParam(q.Get("extensions"), &p.Extensions); err != nil {
			return nil, models.Errorf(err.code, "extensions: %s", err.msg)
		}
		return p, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, models.Errorf(models.CodeBadRequest, "the request body could not be read")
	}
	var req request
	if err := decodeJSON(body, &req); err != nil {
		return nil, models.Errorf(err.code, "the request body is not a JSON GraphQL request: %s", err.msg)
	}
	if req.Query != nil {
		p.Query = *req.Query
	}
	if req.OperationName != nil {
		p.OperationName = *req.OperationName
	}
	p.Variables, p.Extensions = req.Variables, req.Extensions
	return p, nil
}

// decodeParam decodes a JSON object of a GET parameter, when given.
func decodeParam(s string, v *map[string]any) *jsonProblem {
	if s == "" {
		return nil
	}
	return decodeJSON([]byte(s), v)
}

// jsonProblem is what is wrong with a JSON input: INVALID_JSON when it is
// not one JSON value, BAD_REQUEST when the value has the wrong shape.
type jsonProblem struct {
	code models.Code
	msg  string
}

// decodeJSON decodes one JSON object into v (numbers kept exact) and says
// what is wrong in terms a client can act on, without repeating the input.
func decodeJSON(data []byte, v any) *jsonProblem {
	invalid := func(format string, a ...any) *jsonProblem {
		return &jsonProblem{models.CodeInvalidJSON, fmt.Sprintf(format, a...)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return invalid("it is empty")
		case errors.As(err, &syn) && strings.Contains(syn.Error(), "exceeded max depth"):
			return invalid("the JSON nests more than %d levels deep", maxJSONDepth)
		case errors.As(err, &syn):
			return invalid("invalid JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			if typ.Field != "" {
				return &jsonProblem{models.CodeBadRequest, fmt.Sprintf("%s must not be a JSON %s", typ.Field, typ.Value)}
			}
			return &jsonProblem{models.CodeBadRequest, fmt.Sprintf("it must be a JSON object, not a %s", typ.Value)}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return invalid("the JSON ends early")
		}
		return invalid("invalid JSON")
	}
	if dec.More() {
		return invalid("more than one JSON value")
	}
	return nil
}

// maxJSONDepth is how deep encoding/json lets JSON nest.
const maxJSONDepth = 10000

// responseMedia returns the media type to answer with for an Accept
// header: application/json when it is absent, allows any type or names
// application/json first; application/graphql-response+json otherwise.
func responseMedia(accept string) string {
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// demandLimits are the codes of operations refused by a demand limit.
var demandLimits = map[string]bool{
	string(models.CodeTokenLimit):      true,
	string(models.CodeFieldLimit):      true,
	string(models.CodeDepthLimit):      true,
	string(models.CodeAliasLimit):      true,
	string(models.CodeComplexityLimit): true,
}

// requestErrorStatus is the status of a request that failed before
// execution (see graphqlHTTP).
func requestErrorStatus(media string, errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if media == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	for _, e := range errs {
		if code, _ := e.Extensions["code"].(string); demandLimits[code] {
			return http.StatusUnprocessableEntity
		}
	}
	return http.StatusOK
}

// writeResponse writes a GraphQL response; the `data` entry only when the
// operation executed.
func writeResponse(w http.ResponseWriter, media string, status int, resp *graphql.Response, executed bool) {
	out := map[string]any{}
	if executed {
		out["data"] = resp.Data
	}
	if len(resp.Errors) > 0 {
		out["errors"] = resp.Errors
	}
	if len(resp.Extensions) > 0 {
		out["extensions"] = resp.Extensions
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, models.Errorf(models.CodeInternal, "the response could not be encoded"))
		return
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
