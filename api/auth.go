package api

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
)

const callerKey = "guildhall.caller"

func unauthenticated(msg string) error {
	return &errs.Error{Code: errs.CodeUnauthenticated, Message: msg}
}

// authorization returns the single Authorization header, or ok=false when it
// is missing or repeated (Nakama refuses both).
func authorization(c *fiber.Ctx) (string, bool) {
	var values []string
	c.Request().Header.VisitAll(func(k, v []byte) {
		if strings.EqualFold(string(k), fiber.HeaderAuthorization) {
			values = append(values, string(v))
		}
	})
	if len(values) != 1 {
		return "", false
	}
	return values[0], true
}

// basicUser returns the user part of a Basic credential.
func basicUser(header string) (string, bool) {
	const prefix = "Basic "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header[len(prefix):]))
	if err != nil {
		return "", false
	}
	user, _, ok := strings.Cut(string(raw), ":")
	return user, ok
}

// keyEqual compares a presented key with the configured one in constant time.
// An empty (or all-whitespace) configured key matches nothing:
// ConstantTimeCompare("", "") is 1, so an unset key would otherwise open its
// routes to an empty credential. The server refuses to start with such a key;
// this is the second line of defence.
func keyEqual(presented, configured string) bool {
	if strings.TrimSpace(configured) == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(presented), []byte(configured)) == 1
}

// serverKeyAuth guards authenticate and refresh: Basic with the server key as user.
func (s *Server) serverKeyAuth(c *fiber.Ctx) error {
	h, ok := authorization(c)
	if !ok {
		return unauthenticated("Server key required")
	}
	user, ok := basicUser(h)
	if !ok || !keyEqual(user, s.cfg.ServerKey) {
		return unauthenticated("Server key invalid")
	}
	c.Locals(callerKey, &hooks.Caller{ClientIP: s.clientIP(c)})
	return c.Next()
}

// authBeforeRouting authenticates every /v2/ request that takes a session
// before it is routed (Nakama's order): a bad or missing token is a 401 even on a
// path Guildhall does not serve, and a valid token there gets the router's 404
// or 501. The claims it stores are what sessionAuth then finds, so a request
// verifies its token once.
func (s *Server) authBeforeRouting(c *fiber.Ctx) error {
	if takesSession(c.Path()) {
		if err := s.verifyBearer(c); err != nil {
			return err
		}
	}
	return c.Next()
}

// takesSession reports whether a path is a session route as the router sees it
// (case-insensitively, trailing slashes ignored): anything under /v2/ but the
// routes with a credential of their own — authenticate and session refresh
// (server key), /v2/rpc/… (http key or session, checked by the handler in its
// own order) and /v2/server/… (http key).
func takesSession(path string) bool {
	const v2 = "/v2/"
	if !hasPrefixFold(path, v2) {
		return false
	}
	rest := path[len(v2):]
	switch {
	case hasPrefixFold(rest, "account/authenticate/"), hasPrefixFold(rest, "rpc/"), hasPrefixFold(rest, "server/"):
		return false
	case strings.EqualFold(strings.TrimRight(rest, "/"), "account/session/refresh"):
		return false
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sessionAuth guards client routes: a Bearer session token of an existing,
// enabled user that has not logged out. authBeforeRouting has normally
// verified it already (every session route is under /v2/); the check here
// keeps each route safe on its own.
func (s *Server) sessionAuth(c *fiber.Ctx) error {
	if _, done := c.Locals(claimsKey).(accounts.Claims); !done {
		if err := s.verifyBearer(c); err != nil {
			return err
		}
	}
	return c.Next()
}

// verifyBearer verifies the request's Bearer session token and stores the
// caller and the claims in Locals.
func (s *Server) verifyBearer(c *fiber.Ctx) error {
	h, ok := authorization(c)
	if !ok {
		if c.Request().Header.Peek(fiber.HeaderAuthorization) == nil {
			return unauthenticated("Auth token required")
		}
		return unauthenticated("Auth token invalid")
	}
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return unauthenticated("Auth token invalid")
	}
	claims, err := s.accounts.VerifySession(c.UserContext(), strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return err
	}
	c.Locals(callerKey, &hooks.Caller{
		UserID: claims.UserID, Username: claims.Username, Vars: claims.Vars,
		SessionExp: claims.ExpiresAt, ClientIP: s.clientIP(c),
	})
	c.Locals(claimsKey, claims)
	return nil
}

const claimsKey = "guildhall.claims"

// httpKeyAuth guards server-to-server routes: ?http_key= or Basic with the
// http key as user, as Nakama's RPC endpoint takes it.
func (s *Server) httpKeyAuth(c *fiber.Ctx) error {
	if err := s.checkHTTPKey(c); err != nil {
		return err
	}
	c.Locals(callerKey, &hooks.Caller{HTTPKey: true, ClientIP: s.clientIP(c)})
	return c.Next()
}

// checkHTTPKey is the http key check of server-to-server routes.
func (s *Server) checkHTTPKey(c *fiber.Ctx) error {
	if key, ok := query(c, "http_key"); ok {
		if !keyEqual(key, s.cfg.HTTPKey) {
			return unauthenticated("HTTP key invalid")
		}
	} else if h, ok := authorization(c); !ok {
		return unauthenticated("HTTP key required")
	} else if user, ok := basicUser(h); !ok || !keyEqual(user, s.cfg.HTTPKey) {
		return unauthenticated("HTTP key invalid")
	}
	return nil
}

func caller(c *fiber.Ctx) *hooks.Caller {
	cl, _ := c.Locals(callerKey).(*hooks.Caller)
	return cl
}

// authRequest decodes an authenticate body and its create/username query.
func authRequest(c *fiber.Ctx, email bool) (accounts.AuthRequest, error) {
	var req accounts.AuthRequest
	b, err := parseBody(c)
	if err != nil {
		return req, err
	}
	fields := []struct {
		name string
		dst  *string
	}{{"id", &req.ID}}
	if email {
		fields = []struct {
			name string
			dst  *string
		}{{"email", &req.Email}, {"password", &req.Password}}
	}
	for _, f := range fields {
		v, err := b.str(f.name)
		if err != nil {
			return req, err
		}
		if v != nil {
			*f.dst = *v
		}
	}
	if req.Vars, err = b.strMap("vars"); err != nil {
		return req, err
	}
	if req.Create, err = queryBool(c, "create"); err != nil {
		return req, err
	}
	req.Username, _ = query(c, "username")
	if !utf8.ValidString(req.Username) {
		// Would reach the database as invalid text (a 500 on PostgreSQL).
		return req, errs.Invalid("Username invalid, must be valid UTF-8.")
	}
	return req, nil
}

type authFunc func(context.Context, accounts.AuthRequest) (accounts.Session, error)

func (s *Server) authenticate(c *fiber.Ctx, email bool, p *hooks.Point[*accounts.AuthRequest, *accounts.Session], fn authFunc) error {
	req, err := authRequest(c, email)
	if err != nil {
		return err
	}
	sess, err := hooks.Run(c.UserContext(), p, caller(c), &req,
		func(ctx context.Context, r *accounts.AuthRequest) (*accounts.Session, error) {
			sess, err := fn(ctx, *r)
			return &sess, err
		})
	if err != nil {
		return failed("authenticate", err)
	}
	return c.JSON(sessionJSON{Created: sess.Created, Token: sess.Token, RefreshToken: sess.RefreshToken})
}

func (s *Server) authenticateDevice(c *fiber.Ctx) error {
	return s.authenticate(c, false, hooks.AuthenticateDevice.Point(s.hooks), s.accounts.AuthenticateDevice)
}

func (s *Server) authenticateCustom(c *fiber.Ctx) error {
	return s.authenticate(c, false, hooks.AuthenticateCustom.Point(s.hooks), s.accounts.AuthenticateCustom)
}

func (s *Server) authenticateEmail(c *fiber.Ctx) error {
	return s.authenticate(c, true, hooks.AuthenticateEmail.Point(s.hooks), s.accounts.AuthenticateEmail)
}

func (s *Server) sessionRefresh(c *fiber.Ctx) error {
	b, err := parseBody(c)
	if err != nil {
		return err
	}
	token, err := b.str("token")
	if err != nil {
		return err
	}
	vars, err := b.strMap("vars")
	if err != nil {
		return err
	}
	req := &hooks.SessionRefreshRequest{Token: deref(token), Vars: vars}
	sess, err := hooks.Run(c.UserContext(), hooks.SessionRefresh.Point(s.hooks), caller(c), req,
		func(ctx context.Context, r *hooks.SessionRefreshRequest) (*accounts.Session, error) {
			sess, err := s.accounts.Refresh(ctx, r.Token, r.Vars)
			return &sess, err
		})
	if err != nil {
		return failed("refresh session", err)
	}
	return c.JSON(sessionJSON{Token: sess.Token, RefreshToken: sess.RefreshToken})
}

func (s *Server) sessionLogout(c *fiber.Ctx) error {
	b, err := parseBody(c)
	if err != nil {
		return err
	}
	token, err := b.str("token")
	if err != nil {
		return err
	}
	refresh, err := b.str("refresh_token")
	if err != nil {
		return err
	}
	claims, _ := c.Locals(claimsKey).(accounts.Claims)
	if err := s.accounts.Logout(c.UserContext(), claims, deref(token), deref(refresh)); err != nil {
		return failed("logout", err)
	}
	return empty(c)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type accountJSON struct {
	User        accountUserJSON `json:"user"`
	Wallet      string          `json:"wallet,omitempty"`
	Email       string          `json:"email,omitempty"`
	Devices     []deviceJSON    `json:"devices,omitempty"`
	CustomID    string          `json:"custom_id,omitempty"`
	VerifyTime  string          `json:"verify_time,omitempty"`
	DisableTime string          `json:"disable_time,omitempty"`
}

type accountUserJSON = userJSON

type deviceJSON struct {
	ID string `json:"id"`
}

func (s *Server) getAccount(c *fiber.Ctx) error {
	a, err := s.accounts.GetAccount(c.UserContext(), caller(c).UserID)
	if err != nil {
		return failed("get account", err)
	}
	out := accountJSON{
		User:   wireUser(a.User),
		Wallet: a.Wallet, Email: a.Email, CustomID: a.CustomID,
		VerifyTime: timestamp(a.VerifyTime), DisableTime: timestamp(a.DisableTime),
	}
	for _, d := range a.Devices {
		out.Devices = append(out.Devices, deviceJSON{ID: d})
	}
	return c.JSON(out)
}
