package api

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/errs"
)

// idRoute is a route with path parameters, split into segments.
type idRoute struct {
	method string
	segs   []string
}

// collectIDRoutes remembers every route with a path parameter, for
// emptyPathID. Fiber's parameters need at least one character, so
// "DELETE /v2/group/" or "/v2/user//group" match no route at all.
func (s *Server) collectIDRoutes(app *fiber.App) {
	for _, r := range app.GetRoutes(true) {
		if len(r.Params) > 0 {
			s.idRoutes = append(s.idRoutes, idRoute{method: r.Method, segs: strings.Split(r.Path, "/")})
		}
	}
}

// emptyPathID finds, for a request that matched no route, the route it would
// match if its empty path segments were ids, and names that parameter; Nakama
// answers such a call with 400 "<Kind> ID must be set.". Only unmatched
// requests get here, so the scan costs nothing on served routes.
func (s *Server) emptyPathID(method, path string) (string, bool) {
	if !strings.Contains(path, "//") && !strings.HasSuffix(path, "/") {
		return "", false
	}
	segs := strings.Split(path, "/")
	for _, r := range s.idRoutes {
		if r.method != method || len(r.segs) != len(segs) {
			continue
		}
		param, ok := "", true
		for i, rs := range r.segs {
			switch {
			case strings.HasPrefix(rs, ":"):
				if segs[i] == "" && param == "" {
					param = strings.TrimSuffix(rs[1:], "?")
				}
			case rs != segs[i]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && param != "" {
			return param, true
		}
	}
	return "", false
}

// emptyIDAnswer answers a call whose path id is empty, as its handler would.
func (s *Server) emptyIDAnswer(c *fiber.Ctx, param string) error {
	switch param {
	case "id": // /v2/rpc/{id}: its own shape, after authentication
		// The request's context ended with the middleware; a session check
		// needs a live one.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), s.cfg.RequestTimeout)
		defer cancel()
		c.SetUserContext(ctx)
		if _, authErr := s.rpcCaller(c); authErr != nil {
			return rpcFail(c, authErr.Code, authErr.Message)
		}
		return rpcFail(c, errs.CodeInvalidArgument, "RPC ID must be set")
	case "user_id":
		return s.errorHandler(c, errs.Invalid("User ID must be set."))
	default:
		// Server routes check their key first, like their handlers do.
		if hasPrefixFold(c.Path(), "/v2/server/") {
			if err := s.checkHTTPKey(c); err != nil {
				return s.errorHandler(c, err)
			}
		}
		msg := "Group ID must be set."
		switch param {
		case "invitation_id":
			msg = "Invitation ID must be set."
		case "key":
			msg = "Attribute key must be set."
		}
		return s.errorHandler(c, errs.Invalid(msg))
	}
}
