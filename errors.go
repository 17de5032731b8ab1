package kassa

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status (package wire).
const (
	EInvalid       = "invalid_request"   // malformed or rule-breaking input
	ENotFound      = "not_found"         // no such resource for this merchant
	EConflict      = "conflict"          // not allowed in the resource's current state
	EUnauthorized  = "unauthorized"      // missing or bad credentials
	EForbidden     = "forbidden"         // valid credentials whose scope does not allow the request
	ETooLarge      = "request_too_large" // body over the size limit
	ENotAcceptable = "not_acceptable"    // no representation the request's Accept names
	ERateLimited   = "rate_limited"      // too many requests of a kind for now; retry later
	ERejected      = "rejected"          // the risk assessment declined the buyer
	EInternal      = "internal"          // anything not caused by the caller

	// ESessionCompleted is Ledyer's numeric code for updating a completed
	// session; clients search error text for it, so it is kept verbatim.
	ESessionCompleted = "40061"

	EIdempotencyInFlight = "idempotency_key_in_use" // same key, first request still running
	EIdempotencyMismatch = "idempotency_key_reused" // same key, different request
)

// Error is the one error type callers see. Message is safe to show to the
// client; Err, if set, is for logs only and never leaves the process.
type Error struct {
	Code    string
	Message string
	Param   string // the offending request field, when there is one
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EInvalid error naming the offending field.
func Invalid(param, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal for non-application errors
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EInternal
}
