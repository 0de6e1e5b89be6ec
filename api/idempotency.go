package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

// HeaderIdempotencyKey names the key of a retryable mutation.
const HeaderIdempotencyKey = "Idempotency-Key"

// headerReplayed marks an answer replayed from an earlier request.
const headerReplayed = "Idempotent-Replayed"

// idempotent serves the Idempotency-Key of the client's group mutations (it
// sits on /v2/group…, after authentication): see package idempotency for the
// protocol. A request without the header, or a read, passes straight through.
func (s *Server) idempotent(c *fiber.Ctx) error {
	raw := c.Request().Header.Peek(HeaderIdempotencyKey)
	if raw == nil || s.idem == nil {
		return c.Next()
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	cl := caller(c)
	if cl == nil || cl.UserID == "" {
		return c.Next() // not a session call; nothing to key the answer to
	}
	// The fingerprint: a retry sends the same method, path, query and bytes.
	h := sha256.New()
	h.Write([]byte(c.Method()))
	h.Write([]byte{'\n'})
	h.Write(c.Request().RequestURI())
	h.Write([]byte{'\n'})
	h.Write(c.Request().Body())
	ctx := c.UserContext()
	claim, err := s.idem.Begin(ctx, cl.UserID, string(raw), hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		return err
	}
	if r := claim.Replay(); r != nil {
		c.Set(headerReplayed, "true")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Status(r.Status).Send(r.Body)
	}
	defer claim.Abandon(ctx) // a panic releases the key; after Finish it does nothing
	if err := c.Next(); err != nil {
		// Render the error here, so the answer stored is the one sent.
		if herr := s.errorHandler(c, err); herr != nil {
			return herr
		}
	}
	res := c.Response()
	if ferr := claim.Finish(ctx, res.StatusCode(), bytes.Clone(res.Body())); ferr != nil {
		s.log.ErrorContext(ctx, "storing an idempotent answer", "error", ferr)
	}
	return nil
}
