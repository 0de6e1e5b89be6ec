package api

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/groups"
)

// httpStatus is grpc-gateway's mapping of gRPC codes to HTTP statuses, which
// Nakama clients see. It is the only place a code becomes a status.
func httpStatus(code groups.Code) int {
	switch code {
	case groups.CodeOK:
		return 200
	case groups.CodeCanceled:
		return 499
	case groups.CodeInvalidArgument, groups.CodeFailedPrecondition, groups.CodeOutOfRange:
		return 400
	case groups.CodeDeadlineExceeded:
		return 504
	case groups.CodeNotFound:
		return 404
	case groups.CodeAlreadyExists, groups.CodeAborted:
		return 409
	case groups.CodePermissionDenied:
		return 403
	case groups.CodeResourceExhausted:
		return 429
	case groups.CodeUnimplemented:
		return 501
	case groups.CodeUnavailable:
		return 503
	case groups.CodeUnauthenticated:
		return 401
	}
	return 500
}

// errorBody is Nakama's gateway error shape.
type errorBody struct {
	Code    groups.Code `json:"code"`
	Message string      `json:"message"`
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

// errorHandler writes every error a handler returns in Nakama's shape.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var body errorBody
		var fe *fiber.Error
		switch ge, coded := groups.AsError(err); {
		case coded:
			body = errorBody{Code: ge.Code, Message: ge.Message}
		case errors.As(err, &fe):
			body = fiberError(fe)
		default:
			msg := "Internal server error."
			var oe *opError
			if errors.As(err, &oe) {
				msg = "Error while trying to " + oe.op + "."
			}
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(),
				"request_id", requestID(c), "error", err)
			body = errorBody{Code: groups.CodeInternal, Message: msg}
		}
		status := httpStatus(body.Code)
		if status == 401 {
			c.Set("WWW-Authenticate", body.Message)
		}
		return c.Status(status).JSON(body)
	}
}

// fiberError translates the router's own errors into Nakama's answers.
func fiberError(fe *fiber.Error) errorBody {
	switch fe.Code {
	case fiber.StatusNotFound:
		return errorBody{Code: groups.CodeNotFound, Message: "Not Found"}
	case fiber.StatusMethodNotAllowed:
		return errorBody{Code: groups.CodeUnimplemented, Message: "Method Not Allowed"}
	case fiber.StatusRequestEntityTooLarge:
		return errorBody{Code: groups.CodeInvalidArgument, Message: "Request body too large."}
	case fiber.StatusRequestTimeout:
		return errorBody{Code: groups.CodeDeadlineExceeded, Message: "Request timed out."}
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return errorBody{Code: groups.CodeInvalidArgument, Message: fe.Message}
	}
	return errorBody{Code: groups.CodeInternal, Message: "Internal server error."}
}
