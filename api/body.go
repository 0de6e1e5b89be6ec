package api

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
)

// bodyLimit caps a request body: fasthttp applies it to the bytes on the wire
// (Fiber's BodyLimit) and requestBody to the bytes after decompression.
const bodyLimit = 256 * 1024

var (
	errBodyTooLarge = fiber.NewError(fiber.StatusRequestEntityTooLarge)
	errBadEncoding  = fiber.NewError(fiber.StatusUnsupportedMediaType,
		"Unsupported Content-Encoding: send one of gzip, deflate, br or identity, at most one layer.")
	errCorruptBody = fiber.NewError(fiber.StatusBadRequest, "Request body does not match its Content-Encoding.")
)

// requestBody is the request body, decompressed. It is the only way handlers
// read a body: Fiber's c.Body() unpacks up to three layers without any size
// cap, so a few KB of nested gzip would unpack to gigabytes. Here one layer of
// gzip, deflate (zlib) or br is unpacked, and only up to bodyLimit bytes.
func requestBody(c *fiber.Ctx) ([]byte, error) {
	req := c.Request()
	raw := req.Body()
	enc := req.Header.Peek(fiber.HeaderContentEncoding)
	if len(enc) == 0 {
		return raw, nil
	}
	// A second Content-Encoding header is a second layer too.
	if len(req.Header.PeekAll(fiber.HeaderContentEncoding)) > 1 {
		return nil, errBadEncoding
	}
	return decodeBody(string(enc), raw)
}

// decodeBody unpacks raw by one content coding, capped at bodyLimit.
func decodeBody(encoding string, raw []byte) ([]byte, error) {
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errCorruptBody
		}
		r = zr
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errCorruptBody
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(raw))
	default: // another coding, or a list ("gzip, gzip")
		return nil, errBadEncoding
	}
	out, err := io.ReadAll(io.LimitReader(r, bodyLimit+1))
	switch {
	case len(out) > bodyLimit:
		return nil, errBodyTooLarge
	case err != nil:
		return nil, errCorruptBody
	}
	return out, nil
}
