package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

// HeaderRequestID carries a request's id: taken from the client (or the
// proxy in front) when valid, made up otherwise, and echoed in the answer.
const HeaderRequestID = "X-Request-Id"

// maxRequestIDLen bounds a client's request id.
const maxRequestIDLen = 128

// requestID is the request's X-Request-Id when it is 1–128 printable ASCII
// characters (space to tilde), else a fresh random 16-hex-digit id. Anything
// else (control bytes, non-ASCII, too long) is replaced rather than refused:
// the id is for tracing, and a log line must not carry what the client chose
// to break it with.
func requestID(c *fiber.Ctx) string {
	if h := c.Request().Header.Peek(HeaderRequestID); validRequestID(h) {
		return string(h)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for _, ch := range id {
		if ch < 0x20 || ch > 0x7e {
			return false
		}
	}
	return true
}

// RequestID is the id of the request ctx was handed out for (by the API to
// handlers, hooks, runtimes and services), or "" outside a request. For
// records that outlive the log line, e.g. an audit entry.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
