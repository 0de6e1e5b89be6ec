package api

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
)

// rpcError is the RPC endpoint's own error shape (it is not a gateway route):
// Nakama adds an "error" field beside code and message — the message again
// for the endpoint's fixed failures, the serialised error object of a
// function's failure, which for a Go error is {}.
type rpcError struct {
	Code    errs.Code `json:"code"`
	Error   any       `json:"error"`
	Message string    `json:"message"`
}

// rpcFail answers one of the endpoint's fixed failures.
func rpcFail(c *fiber.Ctx, code errs.Code, msg string) error {
	return rpcAnswer(c, httpStatus(code), rpcError{Code: code, Error: msg, Message: msg})
}

// rpcFunctionFail answers a function's failure: "error" is an empty object.
func rpcFunctionFail(c *fiber.Ctx, code errs.Code, msg string) error {
	return rpcAnswer(c, httpStatus(code), rpcError{Code: code, Error: struct{}{}, Message: msg})
}

func rpcAnswer(c *fiber.Ctx, status int, e rpcError) error {
	if status == 401 {
		c.Set("WWW-Authenticate", e.Message)
	}
	return c.Status(status).JSON(e)
}

// rpcCaller authenticates an RPC call: ?http_key= first, then Basic with the
// http key as user, then a Bearer session — Nakama's order.
func (s *Server) rpcCaller(c *fiber.Ctx) (*hooks.Caller, *errs.Error) {
	if key, ok := query(c, "http_key"); ok {
		if !keyEqual(key, s.cfg.HTTPKey) {
			return nil, &errs.Error{Code: errs.CodeUnauthenticated, Message: "HTTP key invalid"}
		}
		return &hooks.Caller{HTTPKey: true, ClientIP: s.clientIP(c)}, nil
	}
	h, ok := authorization(c)
	if !ok {
		return nil, &errs.Error{Code: errs.CodeUnauthenticated, Message: "Auth token or HTTP key required"}
	}
	if user, ok := basicUser(h); ok {
		if !keyEqual(user, s.cfg.HTTPKey) {
			return nil, &errs.Error{Code: errs.CodeUnauthenticated, Message: "HTTP key invalid"}
		}
		return &hooks.Caller{HTTPKey: true, ClientIP: s.clientIP(c)}, nil
	}
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil, &errs.Error{Code: errs.CodeUnauthenticated, Message: "Auth token invalid"}
	}
	claims, err := s.accounts.VerifySession(c.UserContext(), strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return nil, &errs.Error{Code: errs.CodeUnauthenticated, Message: "Auth token invalid"}
	}
	return &hooks.Caller{UserID: claims.UserID, Username: claims.Username, Vars: claims.Vars,
		SessionExp: claims.ExpiresAt, ClientIP: s.clientIP(c)}, nil
}

// rpc serves GET and POST /v2/rpc/{id}.
func (s *Server) rpc(c *fiber.Ctx) error {
	cl, authErr := s.rpcCaller(c)
	if authErr != nil {
		return rpcFail(c, authErr.Code, authErr.Message)
	}
	id := strings.ToLower(param(c, "id"))
	if id == "" {
		return rpcFail(c, errs.CodeInvalidArgument, "RPC ID must be set")
	}
	fn, ok := s.hooks.RPC(id)
	if !ok {
		return rpcFail(c, errs.CodeNotFound, "RPC function not found")
	}
	_, unwrap := query(c, "unwrap")
	payload := ""
	if c.Method() == fiber.MethodPost {
		body, err := requestBody(c)
		if err != nil {
			status, eb := errorAnswer(c, s.log, err)
			return rpcAnswer(c, status, rpcError{Code: eb.Code, Error: eb.Message, Message: eb.Message})
		}
		switch {
		case unwrap:
			payload = string(body)
		case len(strings.TrimSpace(string(body))) > 0:
			if err := json.Unmarshal(body, &payload); err != nil {
				return rpcFail(c, errs.CodeInvalidArgument, "Unable to unmarshal payload: the body must be a JSON string")
			}
		}
	}
	cl.Headers = map[string][]string{}
	c.Request().Header.VisitAll(func(k, v []byte) {
		if !strings.EqualFold(string(k), fiber.HeaderAuthorization) {
			cl.Headers[string(k)] = append(cl.Headers[string(k)], string(v))
		}
	})
	cl.Query = map[string][]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		// The key in either spelling the gateway accepts stays out of scripts.
		if key := string(k); key != "http_key" && key != "httpKey" {
			cl.Query[key] = append(cl.Query[key], string(v))
		}
	})
	out, err := fn(c.UserContext(), cl, payload)
	if err != nil {
		if ge, ok := errs.AsError(err); ok {
			s.log.WarnContext(c.UserContext(), "rpc returned an error", "id", id,
				"code", int(ge.Code), "error", ge.Message)
			return rpcFunctionFail(c, ge.Code, ge.Message)
		}
		s.log.ErrorContext(c.UserContext(), "rpc failed", "id", id, "error", err)
		return rpcFunctionFail(c, errs.CodeInternal, "Error while trying to run the RPC function.")
	}
	if unwrap {
		ct := string(c.Request().Header.ContentType())
		if ct == "" {
			ct = fiber.MIMETextPlain
		}
		c.Set(fiber.HeaderContentType, ct)
		return c.SendString(out)
	}
	return c.JSON(struct {
		Payload string `json:"payload"` // always present, as Nakama marshals {"payload": result}
	}{out})
}
