package api

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/guildhall/guildhall/accounts"
	"github.com/guildhall/guildhall/errs"
)

// RateLimit is a token bucket per key: Rate requests per second on average,
// up to Burst at once. A Rate of 0 (or less) turns the limit off; a Burst
// below 1 counts as 1.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Defaults of the rate limits: generous for one player (a client
// authenticates once per session and changes its groups a few times a
// minute), tight enough that a script hammering the server from one address
// or one account is slowed to a trickle. Many players behind one NAT share
// the authenticate bucket, hence its burst.
var (
	DefaultAuthRateLimit  = RateLimit{Rate: 10, Burst: 50}
	DefaultGroupRateLimit = RateLimit{Rate: 10, Burst: 30}
)

// errTooManyRequests is the answer past a limit (429).
var errTooManyRequests = errs.Errorf(errs.CodeResourceExhausted, "Too many requests.")

// Bounds of a limiter's key table. Keys expire maxLimiterTTL at most after
// they were first seen; a key seen again after that starts with a full
// bucket, which at most adds one burst per TTL to what it may send.
const (
	maxLimiterKeys = 100_000
	minLimiterTTL  = time.Minute
)

// limiter holds one token bucket per key (client IP or user id) in a bounded
// table whose entries expire, so neither many keys nor old ones pile up.
// golang.org/x/time/rate is the bucket (maintained by the Go team; handles
// fractional rates and refills lazily, no goroutine per key) and
// hashicorp's expirable LRU the table (already a dependency of accounts).
type limiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex // makes get-or-create atomic
	keys  *expirable.LRU[string, *rate.Limiter]
}

// newLimiter is nil when l is off.
func newLimiter(l RateLimit) *limiter {
	if l.Rate <= 0 || math.IsNaN(l.Rate) {
		return nil
	}
	burst := max(l.Burst, 1)
	// Long enough that an idle key's bucket has refilled (ten times over)
	// before it is forgotten.
	ttl := max(minLimiterTTL, time.Duration(10*float64(burst)/l.Rate*float64(time.Second)))
	return &limiter{rate: rate.Limit(l.Rate), burst: burst,
		keys: expirable.NewLRU[string, *rate.Limiter](maxLimiterKeys, nil, ttl)}
}

// allow takes a token from key's bucket; when there is none it reports how
// long until there is.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	b, ok := l.keys.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.keys.Add(key, b)
	}
	l.mu.Unlock()
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(missing / float64(l.rate) * float64(time.Second))
}

// refuse answers 429 with Retry-After in whole seconds (at least 1).
func refuse(c *fiber.Ctx, wait time.Duration) error {
	secs := max(int64(math.Ceil(wait.Seconds())), 1)
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(secs, 10))
	return errTooManyRequests
}

// limitAuth limits the authenticate routes per client IP (see clientIP),
// before the server key is checked, so guessing keys is limited too.
func (s *Server) limitAuth(c *fiber.Ctx) error {
	if s.authLimit == nil || c.Method() != fiber.MethodPost {
		return c.Next()
	}
	if ok, wait := s.authLimit.allow(s.clientIP(c), time.Now()); !ok {
		return refuse(c, wait)
	}
	return c.Next()
}

// limitGroupMutation limits the group mutations (every method but GET and
// HEAD under /v2/group) per user. It runs after authBeforeRouting, which has
// verified the session of every /v2/group request. It is mounted on /v2 (a
// middleware may not sit on a route's own path: see resolveRoutes).
func (s *Server) limitGroupMutation(c *fiber.Ctx) error {
	if s.groupLimit == nil {
		return c.Next()
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if p := c.Path(); !hasPrefixFold(p, "/v2/group") || len(p) > len("/v2/group") && p[len("/v2/group")] != '/' {
		return c.Next()
	}
	claims, ok := c.Locals(claimsKey).(accounts.Claims)
	if !ok || claims.UserID == "" {
		return c.Next()
	}
	if ok, wait := s.groupLimit.allow(claims.UserID, time.Now()); !ok {
		return refuse(c, wait)
	}
	return c.Next()
}
