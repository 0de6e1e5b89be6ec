// Package errs holds Guildhall's one coded error: a gRPC-style code and a client
// message. Services, hooks and scripts return it; the api package renders it once
// as Nakama's {"code","message"} body. It depends on the standard library only, so
// every other package can use it without importing one another.
package errs

import (
	"errors"
	"fmt"
)

// Code is a gRPC status number, as Nakama puts on the wire. The api package maps
// each code to an HTTP status in one place.
type Code int

// The codes Guildhall uses (gRPC numbering).
const (
	CodeOK                 Code = 0
	CodeCanceled           Code = 1
	CodeUnknown            Code = 2
	CodeInvalidArgument    Code = 3
	CodeDeadlineExceeded   Code = 4
	CodeNotFound           Code = 5
	CodeAlreadyExists      Code = 6
	CodePermissionDenied   Code = 7
	CodeResourceExhausted  Code = 8
	CodeFailedPrecondition Code = 9
	CodeAborted            Code = 10
	CodeOutOfRange         Code = 11
	CodeUnimplemented      Code = 12
	CodeInternal           Code = 13
	CodeUnavailable        Code = 14
	CodeDataLoss           Code = 15
	CodeUnauthenticated    Code = 16
)

// Error is the one coded error of Guildhall: services, hooks and scripts return it,
// and the API turns it into Nakama's {"code","message"} body.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds a coded error.
func Errorf(code Code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is shorthand for an INVALID_ARGUMENT (3) error.
func Invalid(msg string) *Error { return &Error{Code: CodeInvalidArgument, Message: msg} }

// AsError extracts a coded error from err's chain; ok is false for uncoded errors,
// which the API reports as INTERNAL without leaking their text.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
