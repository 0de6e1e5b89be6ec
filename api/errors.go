package api

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
)

// httpStatus is grpc-gateway's mapping of gRPC codes to HTTP statuses, which
// Nakama clients see. It is the only place a code becomes a status.
func httpStatus(code errs.Code) int {
	switch code {
	case errs.CodeOK:
		return 200
	case errs.CodeCanceled:
		return 499
	case errs.CodeInvalidArgument, errs.CodeFailedPrecondition, errs.CodeOutOfRange:
		return 400
	case errs.CodeDeadlineExceeded:
		return 504
	case errs.CodeNotFound:
		return 404
	case errs.CodeAlreadyExists, errs.CodeAborted:
		return 409
	case errs.CodePermissionDenied:
		return 403
	case errs.CodeResourceExhausted:
		return 429
	case errs.CodeUnimplemented:
		return 501
	case errs.CodeUnavailable:
		return 503
	case errs.CodeUnauthenticated:
		return 401
	}
	return 500
}

// errorBody is Nakama's gateway error shape.
type errorBody struct {
	Code    errs.Code `json:"code"`
	Message string    `json:"message"`
}

// opError is an uncoded failure of a named operation: the client sees Nakama's
// "Error while trying to …" text, the log sees the cause.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// failed wraps err with the operation name for the error handler.
func failed(op string, err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: op, err: err}
}

// errorHandler writes every error a handler returns in Nakama's shape. A call
// that matched no route only because a path id is empty gets the handler's
// "… ID must be set." instead of 404 or 501.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) && (fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed) {
		if param, ok := s.emptyPathID(c.Method(), c.Path()); ok {
			return s.emptyIDAnswer(c, param)
		}
	}
	status, body := errorAnswer(c, s.log, err)
	if status == 401 {
		c.Set("WWW-Authenticate", body.Message)
	}
	return c.Status(status).JSON(body)
}

// errorAnswer is the status and body of an error; an uncoded one is logged.
func errorAnswer(c *fiber.Ctx, log *slog.Logger, err error) (int, errorBody) {
	var fe *fiber.Error
	switch ge, coded := errs.AsError(err); {
	case coded:
		return httpStatus(ge.Code), errorBody{Code: ge.Code, Message: ge.Message}
	case errors.As(err, &fe):
		return fiberError(fe)
	}
	msg := "Internal server error."
	var oe *opError
	if errors.As(err, &oe) {
		msg = "Error while trying to " + oe.op + "."
	}
	log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "error", err)
	return 500, errorBody{Code: errs.CodeInternal, Message: msg}
}

// fiberError translates the router's and the HTTP layer's own errors into
// Nakama's answers. Sizes and encodings keep their HTTP status (413, 415,
// 431), which no gRPC code maps to, with code 3 in the body.
func fiberError(fe *fiber.Error) (int, errorBody) {
	invalid := func(msg string) (int, errorBody) {
		return fe.Code, errorBody{Code: errs.CodeInvalidArgument, Message: msg}
	}
	switch fe.Code {
	case fiber.StatusNotFound:
		return 404, errorBody{Code: errs.CodeNotFound, Message: "Not Found"}
	case fiber.StatusMethodNotAllowed:
		return 501, errorBody{Code: errs.CodeUnimplemented, Message: "Method Not Allowed"}
	case fiber.StatusRequestEntityTooLarge:
		return invalid("Request body too large.")
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return invalid("Request line or header fields too large.")
	case fiber.StatusUnsupportedMediaType:
		return invalid(fe.Message)
	case fiber.StatusRequestTimeout:
		return 504, errorBody{Code: errs.CodeDeadlineExceeded, Message: "Request timed out."}
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return 400, errorBody{Code: errs.CodeInvalidArgument, Message: fe.Message}
	}
	return 500, errorBody{Code: errs.CodeInternal, Message: "Internal server error."}
}
