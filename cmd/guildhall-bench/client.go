package main

// client.go: the one shared HTTP client, device authentication and session
// upkeep (Nakama session tokens live 60 s by default, shorter than a run).

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// refreshMargin: a session is renewed when its token has less than this left,
// i.e. at ~45 s of age with Nakama's default 60 s life. The margin covers a
// whole request timeout so a token never expires in flight. Servers with a
// shorter token life renew at 3/4 of it instead (see adopt), or every op
// would renew.
const refreshMargin = 15 * time.Second

// client talks to one server. All workers share it so they share one
// connection pool, as the clients of a real deployment share nothing else.
type client struct {
	base  string // scheme://host:port without a trailing slash
	basic string // "Basic base64(serverkey:)", Nakama's credential for authenticate/refresh
	hc    *http.Client
}

func newClient(base, serverKey string, conns int, timeout time.Duration, gzip bool) *client {
	tr := &http.Transport{
		// No proxy: the bench measures the server, not whatever HTTP_PROXY says.
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// Idle pool at least as large as the number of workers, otherwise
		// connections get closed and re-dialled between requests and the bench
		// measures TCP handshakes.
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		// HTTP/1.1 only, like nakama-js over fetch to a plain-HTTP server; an
		// empty TLSNextProto map keeps https on HTTP/1.1 too.
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		// Go sends Accept-Encoding: gzip unless told not to, like browsers do.
		DisableCompression: !gzip,
	}
	return &client{
		base:  strings.TrimRight(base, "/"),
		basic: "Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":")),
		hc:    &http.Client{Transport: tr, Timeout: timeout},
	}
}

// do sends one request and returns the status and the whole body. The body is
// always read to the end and closed so the connection goes back to the pool.
func (c *client) do(method, path, auth string, body []byte) (int, []byte, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, data, fmt.Errorf("reading body: %w", err)
	}
	return resp.StatusCode, data, nil
}

// session is one user's credentials. Its mutex lets fixture goroutines share
// the owner's session while one of them renews it.
type session struct {
	deviceID string

	mu      sync.Mutex
	userID  string
	bearer  string // "Bearer <token>", built once per token
	refresh string
	life    time.Duration // session token life, from the first token's claims
	renewAt time.Time     // when the token is due for renewal
}

func (s *session) uid() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userID
}

// jwtClaims are the two claims the bench needs from a Nakama session token.
type jwtClaims struct {
	UID string `json:"uid"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
}

// parseJWTClaims reads the payload of a JWT without verifying it: the bench
// only wants the user id (saving a GET /v2/account per user) and the token
// life (so it renews before the server starts answering 401).
func parseJWTClaims(token string) (jwtClaims, error) {
	var c jwtClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, fmt.Errorf("token payload: %v", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("token payload: %v", err)
	}
	return c, nil
}

// authenticate logs a device in, creating its account on first use, so
// fixtures are idempotent: the same prefix gives the same users.
func (c *client) authenticate(deviceID string) (*session, error) {
	s := &session{deviceID: deviceID}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := c.login(s); err != nil {
		return nil, err
	}
	return s, nil
}

// login (re)authenticates s; the caller holds s.mu.
func (c *client) login(s *session) error {
	body, _ := json.Marshal(map[string]string{"id": s.deviceID})
	status, data, err := c.do("POST", "/v2/account/authenticate/device?create=true", c.basic, body)
	if err != nil {
		return fmt.Errorf("authenticate %s: %w", s.deviceID, err)
	}
	r, err := validateAuth(status, data)
	if err != nil {
		return fmt.Errorf("authenticate %s: %w", s.deviceID, err)
	}
	return c.adopt(s, r)
}

// adopt installs fresh tokens into s; the caller holds s.mu.
func (c *client) adopt(s *session, r authResponse) error {
	s.bearer = "Bearer " + r.Token
	s.refresh = r.RefreshToken
	claims, err := parseJWTClaims(r.Token)
	if s.life == 0 {
		// Measured once, at login: Nakama's refresh keeps the first iat, so
		// exp-iat of a refreshed token overstates the life.
		s.life = tokenLife(claims, err)
	}
	s.renewAt = renewTime(time.Now(), s.life)
	if s.userID == "" {
		if err == nil && isUUID(claims.UID) {
			s.userID = claims.UID
		} else if s.userID, err = c.accountID(s.bearer); err != nil {
			return err
		}
	}
	return nil
}

// accountID is the fallback when the token carries no readable uid claim.
func (c *client) accountID(bearer string) (string, error) {
	status, data, err := c.do("GET", "/v2/account", bearer, nil)
	if err == nil {
		err = expectOK(status, data)
	}
	if err != nil {
		return "", fmt.Errorf("get account: %w", err)
	}
	var acc struct {
		User wireUser `json:"user"`
	}
	if err := decodeObject(data, &acc); err != nil {
		return "", fmt.Errorf("get account: %w", err)
	}
	if !isUUID(acc.User.ID) {
		return "", fmt.Errorf("get account: user.id %q is not a UUID", acc.User.ID)
	}
	return acc.User.ID, nil
}

// renew refreshes s through /v2/account/session/refresh, falling back to a
// new device login if the refresh token is no longer accepted. Caller holds s.mu.
func (c *client) renew(s *session) error {
	body, _ := json.Marshal(map[string]string{"token": s.refresh})
	status, data, err := c.do("POST", "/v2/account/session/refresh", c.basic, body)
	if err == nil {
		var r authResponse
		if r, err = validateAuth(status, data); err == nil {
			return c.adopt(s, r)
		}
	}
	return c.login(s)
}

// tokenLife is exp-iat of a session token: both are the server's clock, so a
// skewed client clock does not matter. Unreadable claims mean Nakama's default.
func tokenLife(c jwtClaims, err error) time.Duration {
	if err != nil || c.Iat <= 0 || c.Exp <= c.Iat {
		return 60 * time.Second
	}
	return time.Duration(c.Exp-c.Iat) * time.Second
}

// renewTime is when a token received at now is renewed: refreshMargin before
// it expires, or at 3/4 of its life if that is sooner.
func renewTime(now time.Time, life time.Duration) time.Time {
	return now.Add(life - min(refreshMargin, life/4))
}

// auth returns the Authorization header for s, renewing the token first when
// it will be due within ahead (0 for the request about to be sent; a window's
// length before a window). renewed tells the caller to count a renewal.
func (c *client) auth(s *session, ahead time.Duration) (hdr string, renewed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().Add(ahead).After(s.renewAt) {
		if err := c.renew(s); err != nil {
			return "", true, err
		}
		renewed = true
	}
	return s.bearer, renewed, nil
}

// mustAuth is auth for fixture and check code, where a renewal is not counted.
func (c *client) mustAuth(s *session) (string, error) {
	hdr, _, err := c.auth(s, 0)
	return hdr, err
}
