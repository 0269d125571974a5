package models

import (
	"errors"
	"fmt"
)

// Code classifies an Error; it is sent to clients as extensions.code. Every
// code the service sends is one of the constants below.
type Code string

// Error codes of the API contract (shared/API.md).
const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeNotFound        Code = "NOT_FOUND"
	CodeBadUserInput    Code = "BAD_USER_INPUT"
	CodeInternal        Code = "INTERNAL_SERVER_ERROR"
)

// Error codes of requests refused before any resolver runs: by the
// transport (HTTP status in the comment), by the demand limits (answered
// 422, or 400 under Accept: application/graphql-response+json), or by
// the per-user rate limit.
const (
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"        // 405
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"    // 415
	CodeRequestTooLarge      Code = "REQUEST_TOO_LARGE"         // 413
	CodeBatching             Code = "BATCHING_NOT_SUPPORTED"    // 400
	CodeBadRequest           Code = "BAD_REQUEST"               // 400: JSON that is not a GraphQL request
	CodeInvalidJSON          Code = "INVALID_JSON"              // 400: a body (or GET parameter) that is not one JSON value
	CodeUnsupportedEncoding  Code = "UNSUPPORTED_ENCODING"      // 400 (415 for a Content-Encoding): not UTF-8 JSON as sent: a byte-order mark, UTF-16/32, compressed
	CodeTokenLimit           Code = "TOKEN_LIMIT_EXCEEDED"      // the document has too many tokens
	CodeFieldLimit           Code = "FIELD_LIMIT_EXCEEDED"      // too many fields, repeated fields or spreads, or too deep nesting
	CodeDepthLimit           Code = "DEPTH_LIMIT_EXCEEDED"      // fields nest too deep
	CodeAliasLimit           Code = "ALIAS_LIMIT_EXCEEDED"      // too many aliased fields
	CodeComplexityLimit      Code = "COMPLEXITY_LIMIT_EXCEEDED" // the operation would run too many SQL statements
	CodeTooManyErrors        Code = "TOO_MANY_ERRORS"           // the last error of a truncated error list
	CodeRateLimited          Code = "RATE_LIMITED"              // 429, with Retry-After
)

// Error codes of documents that do not parse or validate (gqlgen's
// executor sets them itself), of persisted queries and of introspection
// in production: requests refused before any resolver runs.
const (
	CodeParseFailed            Code = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed       Code = "GRAPHQL_VALIDATION_FAILED"
	CodePersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"             // a hash this account has not sent with its query
	CodePersistedQueryMismatch Code = "PERSISTED_QUERY_HASH_MISMATCH"         // sha256Hash is not the SHA-256 of the query sent with it
	CodePersistedQueryVersion  Code = "PERSISTED_QUERY_VERSION_NOT_SUPPORTED" // persistedQuery.version other than 1
	CodePersistedQueryInvalid  Code = "PERSISTED_QUERY_INVALID"               // persistedQuery is not an object with a version and a 64-hex-digit hash
	CodeIntrospectionDisabled  Code = "INTROSPECTION_DISABLED"                // __schema or __type in production
)

// CodeUnknown stands for an error that carries no code, in metrics and logs
// only; no answer carries it.
const CodeUnknown Code = "ERROR"

// Error is flowlens's one error type: a code and a message that is safe to
// show to clients. Err, when set, carries internal detail for the logs only.
type Error struct {
	Code    Code
	Message string
	Err     error
	// Extensions are further extensions entries sent with the code, such
	// as retryAfterSeconds of a rate-limited request.
	Extensions map[string]any
	// ArgFromPath marks input errors raised while reading a value (a
	// scalar) that do not know the argument's name; the GraphQL layer
	// prefixes the message with the argument from the error's path.
	ArgFromPath bool
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ExtensionsMap returns the extensions of the error's answer: its code and
// any further entries.
func (e *Error) ExtensionsMap() map[string]any {
	ext := make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		ext[k] = v
	}
	ext["code"] = string(e.Code)
	return ext
}

// Errorf returns an Error of code with a formatted, client-safe message.
func Errorf(code Code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// BadInput returns a BAD_USER_INPUT error whose message names the argument.
func BadInput(arg, format string, a ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf("%s: %s", arg, fmt.Sprintf(format, a...))}
}

// BadValue returns a BAD_USER_INPUT error for a malformed value whose
// argument name the GraphQL layer adds.
func BadValue(format string, a ...any) *Error {
	return &Error{Code: CodeBadUserInput, Message: fmt.Sprintf(format, a...), ArgFromPath: true}
}

// ErrFlowNotFound is the one answer for a flow that does not exist and for a
// flow of another account alike.
var ErrFlowNotFound = &Error{Code: CodeNotFound, Message: "flow not found"}

// ErrForbidden is returned to users whose role does not allow a query.
var ErrForbidden = &Error{Code: CodeForbidden, Message: "team analytics are for team admins only"}

// ErrUnauthenticated is the one answer for every authentication failure; it
// never says which check failed.
var ErrUnauthenticated = &Error{Code: CodeUnauthenticated, Message: "authentication required: send a valid bearer token of an active user"}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
