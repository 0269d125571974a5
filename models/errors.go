package models

import (
	"errors"
	"fmt"
)

// Code classifies an Error; it is sent to clients as extensions.code.
type Code string

// Error codes of the API contract.
const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeNotFound        Code = "NOT_FOUND"
	CodeBadUserInput    Code = "BAD_USER_INPUT"
	CodeInternal        Code = "INTERNAL_SERVER_ERROR"
)

// Error is flowlens's one error type: a code and a message that is safe to
// show to clients. Err, when set, carries internal detail for the logs only.
type Error struct {
	Code    Code
	Message string
	Err     error
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
