package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// Cookie names.
const (
	sessionCookie = "guildhall_console"
	loginCookie   = "guildhall_console_login" // the login form's CSRF token (double submit)
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// authenticator issues and checks console sessions. A session is a signed
// cookie (expiry and a random id, HMAC-SHA256 under a key derived from the
// server's secret and the console credentials), so every node with the same
// settings accepts it and a new password ends all sessions; logout revokes the
// id on this node until it expires. The CSRF token of a session is another
// MAC of its id.
type authenticator struct {
	key      []byte
	ttl      time.Duration
	now      func() time.Time
	mu       sync.Mutex
	revoked  map[string]time.Time // session id → expiry
	userHash [32]byte
	passHash [32]byte
}

func newAuthenticator(cfg Config) *authenticator {
	m := hmac.New(sha256.New, []byte(cfg.SecretKey))
	m.Write([]byte("guildhall console session\x00" + cfg.Username + "\x00" + cfg.Password))
	return &authenticator{
		key: m.Sum(nil), ttl: cfg.SessionTTL, now: time.Now, revoked: map[string]time.Time{},
		userHash: sha256.Sum256([]byte(cfg.Username)), passHash: sha256.Sum256([]byte(cfg.Password)),
	}
}

// credentialsMatch compares in constant time (over hashes, so the lengths
// leak nothing either).
func (a *authenticator) credentialsMatch(user, pass string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	okU := subtle.ConstantTimeCompare(u[:], a.userHash[:])
	okP := subtle.ConstantTimeCompare(p[:], a.passHash[:])
	return okU&okP == 1
}

func (a *authenticator) mac(parts ...[]byte) []byte {
	m := hmac.New(sha256.New, a.key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// issue returns a new session cookie value.
func (a *authenticator) issue() string {
	payload := make([]byte, 8+16)
	binary.BigEndian.PutUint64(payload, uint64(a.now().Add(a.ttl).Unix()))
	_, _ = rand.Read(payload[8:])
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(a.mac([]byte("s"), payload))
}

// session is a verified session: its id and its CSRF token.
type session struct {
	id     string
	expiry time.Time
	csrf   string
}

// verify checks a cookie value.
func (a *authenticator) verify(v string) (session, bool) {
	p, s, ok := strings.Cut(v, ".")
	if !ok {
		return session{}, false
	}
	payload, err1 := b64.DecodeString(p)
	sig, err2 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || len(payload) != 24 || !hmac.Equal(sig, a.mac([]byte("s"), payload)) {
		return session{}, false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(payload)), 0)
	if !a.now().Before(exp) {
		return session{}, false
	}
	id := p
	a.mu.Lock()
	_, revoked := a.revoked[id]
	a.mu.Unlock()
	if revoked {
		return session{}, false
	}
	return session{id: id, expiry: exp, csrf: b64.EncodeToString(a.mac([]byte("c"), payload))}, true
}

// revoke ends a session on this node.
func (a *authenticator) revoke(s session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for id, exp := range a.revoked {
		if !now.Before(exp) {
			delete(a.revoked, id)
		}
	}
	a.revoked[s.id] = s.expiry
}

// ipLimiter is a token bucket per client IP (golang.org/x/time/rate) in a
// map whose idle entries expire, so a scan of many addresses cannot grow it
// without bound.
type ipLimiter struct {
	every time.Duration
	burst int
	mu    sync.Mutex
	ips   map[string]*ipEntry
	now   func() time.Time
}

type ipEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

const maxLimiterIPs = 100_000

func newIPLimiter(every time.Duration, burst int) *ipLimiter {
	return &ipLimiter{every: every, burst: burst, ips: map[string]*ipEntry{}, now: time.Now}
}

// allow takes one attempt of ip's bucket; when it is empty it reports how
// long until the next attempt is allowed.
func (l *ipLimiter) allow(ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.ips[ip]
	if !ok {
		if len(l.ips) >= maxLimiterIPs {
			// An entry idle for a full refill is back at its burst: forgetting
			// it changes nothing.
			idle := l.every * time.Duration(l.burst)
			for k, v := range l.ips {
				if now.Sub(v.seen) > idle {
					delete(l.ips, k)
				}
			}
			if len(l.ips) >= maxLimiterIPs {
				return false, l.every
			}
		}
		e = &ipEntry{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.ips[ip] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// currentSession is the request's verified session, if any: signed, not
// expired, and not logged out here or (with Revocations) on another node.
// A revocation that cannot be read counts as a logout (fail closed).
func (k *Console) currentSession(c *fiber.Ctx) (session, bool) {
	v := c.Cookies(sessionCookie)
	if v == "" {
		return session{}, false
	}
	s, ok := k.auth.verify(v)
	if !ok || k.deps.Revocations == nil {
		return s, ok
	}
	revoked, err := k.deps.Revocations.Revoked(c.UserContext(), s.id)
	if err != nil {
		k.log.ErrorContext(c.UserContext(), "console session check", "error", err)
		return session{}, false
	}
	if revoked {
		k.auth.revoke(s) // remembered here: no more lookups for it
		return session{}, false
	}
	return s, true
}

type sessionKey struct{}

// page guards a page: without a session, a redirect to the login page that
// comes back here afterwards.
func (k *Console) page(c *fiber.Ctx) error {
	s, ok := k.currentSession(c)
	if !ok {
		next := c.OriginalURL()
		if c.Get("HX-Request") != "" {
			c.Set("HX-Redirect", Prefix+"/login")
			return c.SendStatus(http.StatusUnauthorized)
		}
		return c.Redirect(Prefix+"/login?next="+urlQueryEscape(next), http.StatusSeeOther)
	}
	c.Locals(sessionKey{}, s)
	return c.Next()
}

// mutation guards a change: 401 without a session, 403 without the
// session's CSRF token (form field or header).
func (k *Console) mutation(c *fiber.Ctx) error {
	s, ok := k.currentSession(c)
	if !ok {
		c.Set("HX-Redirect", Prefix+"/login")
		return c.Status(http.StatusUnauthorized).SendString("Not logged in to the console.")
	}
	tok := c.FormValue(csrfField)
	if tok == "" {
		tok = c.Get(csrfHeader)
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.csrf)) != 1 {
		return c.Status(http.StatusForbidden).SendString("Missing or invalid CSRF token; reload the page.")
	}
	c.Locals(sessionKey{}, s)
	return c.Next()
}

func sessionOf(c *fiber.Ctx) session {
	s, _ := c.Locals(sessionKey{}).(session)
	return s
}

func (k *Console) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: Prefix, Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Secure(),
	})
}

func (k *Console) loginPage(c *fiber.Ctx) error {
	if _, ok := k.currentSession(c); ok {
		return c.Redirect(nextPath(c.Query("next")), http.StatusSeeOther)
	}
	return k.renderLogin(c, http.StatusOK, "")
}

func (k *Console) renderLogin(c *fiber.Ctx, status int, msg string) error {
	tok := make([]byte, 18)
	_, _ = rand.Read(tok)
	t := b64.EncodeToString(tok)
	k.setCookie(c, loginCookie, t, time.Time{})
	return k.render(c, status, "login", view{Title: "Log in", CSRF: t, Error: msg,
		Data: map[string]string{"Next": nextPath(c.Query("next", c.FormValue("next")))}})
}

func nextPath(p string) string {
	if p == "" || !pagePath(p) {
		return Prefix
	}
	return p
}

func (k *Console) login(c *fiber.Ctx) error {
	cookie, form := c.Cookies(loginCookie), c.FormValue(csrfField)
	if cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) != 1 {
		return k.renderLogin(c, http.StatusForbidden, "The login form expired; please try again.")
	}
	if ok, wait := k.limiter.allow(c.IP()); !ok {
		secs := int(wait/time.Second) + 1
		c.Set("Retry-After", itoa(secs))
		k.log.Warn("console login rate limited", "ip", c.IP())
		return k.renderLogin(c, http.StatusTooManyRequests,
			"Too many login attempts; try again in "+itoa(secs)+" s.")
	}
	if !k.auth.credentialsMatch(c.FormValue("username"), c.FormValue("password")) {
		k.log.Warn("console login refused", "ip", c.IP())
		return k.renderLogin(c, http.StatusUnauthorized, "Wrong username or password.")
	}
	k.setCookie(c, loginCookie, "", time.Unix(1, 0))
	v := k.auth.issue()
	s, _ := k.auth.verify(v)
	k.setCookie(c, sessionCookie, v, s.expiry)
	k.log.Info("console login", "ip", c.IP())
	return c.Redirect(nextPath(c.FormValue("next")), http.StatusSeeOther)
}

func (k *Console) logout(c *fiber.Ctx) error {
	s := sessionOf(c)
	k.auth.revoke(s)
	if k.deps.Revocations != nil {
		if err := k.deps.Revocations.Revoke(c.UserContext(), s.id, s.expiry); err != nil {
			// Ended here, but the other nodes cannot know: say so.
			k.log.ErrorContext(c.UserContext(), "console logout not recorded for the other nodes", "error", err)
			k.setCookie(c, sessionCookie, "", time.Unix(1, 0))
			return c.Status(http.StatusInternalServerError).
				SendString("Logged out on this node, but the logout could not be recorded for the other nodes.")
		}
	}
	k.setCookie(c, sessionCookie, "", time.Unix(1, 0))
	return c.Redirect(Prefix+"/login", http.StatusSeeOther)
}
