package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// body is a decoded JSON request object. Nakama's gateway accepts each field
// under its proto (snake_case) or lowerCamelCase name, ignores unknown keys,
// takes int32 as a number or a numeric string, and treats null as unset.
type body map[string]json.RawMessage

// parseBody decodes the request body; an empty body is an empty object.
func parseBody(c *fiber.Ctx) (body, error) {
	raw, err := requestBody(c)
	if err != nil {
		return nil, err
	}
	return decodeObject(raw)
}

// decodeObject decodes one JSON object; blank input is an empty object.
func decodeObject(raw []byte) (body, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return body{}, nil
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD and store
	// the altered text; refuse it, as Nakama's protojson does.
	if !utf8.Valid(raw) {
		return nil, errs.Invalid("Request body must be valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var b body
	if err := dec.Decode(&b); err != nil || b == nil {
		return nil, errs.Invalid("Request body must be a JSON object.")
	}
	// raw is trimmed, so anything after the object is trailing data. (dec.More
	// would miss a trailing "]" or "}".)
	if dec.InputOffset() != int64(len(raw)) {
		return nil, errs.Invalid("Request body has trailing data after the JSON object.")
	}
	return b, nil
}

// field finds a field by its snake_case name or the lowerCamelCase form of it.
func (b body) field(name string) (json.RawMessage, bool) {
	if v, ok := b[name]; ok && string(v) != "null" {
		return v, true
	}
	if camel := camelCase(name); camel != name {
		if v, ok := b[camel]; ok && string(v) != "null" {
			return v, true
		}
	}
	return nil, false
}

// camelCase is a field's lowerCamelCase name, which the gateway also takes.
func camelCase(s string) string { return codec.Camel(s) }

func typeError(name, want string) error {
	return errs.Invalid(fmt.Sprintf("Invalid value for field %q: expected %s.", name, want))
}

func (b body) str(name string) (*string, error) {
	raw, ok := b.field(name)
	if !ok {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, typeError(name, "a string")
	}
	return &s, nil
}

func (b body) boolean(name string) (*bool, error) {
	raw, ok := b.field(name)
	if !ok {
		return nil, nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, typeError(name, "a boolean")
	}
	return &v, nil
}

func (b body) int32(name string) (*int, error) {
	raw, ok := b.field(name)
	if !ok {
		return nil, nil
	}
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, typeError(name, "an integer")
		}
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return nil, typeError(name, "a 32-bit integer")
	}
	v := int(n)
	return &v, nil
}

// strs reads an array of strings (a body list, e.g. an invite's user_ids).
func (b body) strs(name string) ([]string, error) {
	raw, ok := b.field(name)
	if !ok {
		return nil, nil
	}
	var v []string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, typeError(name, "an array of strings")
	}
	return v, nil
}

func (b body) strMap(name string) (map[string]string, error) {
	raw, ok := b.field(name)
	if !ok {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, typeError(name, "an object of strings")
	}
	return m, nil
}

// query reads a query parameter by its proto or camel name, copied out of
// fasthttp's reusable buffer.
func query(c *fiber.Ctx, name string) (string, bool) {
	args := c.Context().QueryArgs()
	if v := args.Peek(name); v != nil {
		return string(v), true
	}
	if camel := camelCase(name); camel != name {
		if v := args.Peek(camel); v != nil {
			return string(v), true
		}
	}
	return "", false
}

// queryAll reads a repeated query parameter (user_ids=a&user_ids=b).
func queryAll(c *fiber.Ctx, name string) []string {
	args := c.Context().QueryArgs()
	var out []string
	for _, n := range []string{name, camelCase(name)} {
		for _, v := range args.PeekMulti(n) {
			out = append(out, string(v))
		}
		if len(out) > 0 || n == camelCase(name) {
			break
		}
	}
	return out
}

// queryBool parses with Go's rules (true/false/1/0/t/f…), as the gateway does.
func queryBool(c *fiber.Ctx, name string) (*bool, error) {
	s, ok := query(c, name)
	if !ok || s == "" {
		return nil, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errs.Invalid(fmt.Sprintf("Invalid value for query parameter %q: expected a boolean.", name))
	}
	return &v, nil
}

func queryInt(c *fiber.Ctx, name string) (*int, error) {
	s, ok := query(c, name)
	if !ok || s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, errs.Invalid(fmt.Sprintf("Invalid value for query parameter %q: expected an integer.", name))
	}
	v := int(n)
	return &v, nil
}

// listLimit reads `limit`: absent means the listing's default (0 here), but an
// explicit value must be within 1-100.
func listLimit(c *fiber.Ctx) (int, error) {
	n, err := queryInt(c, "limit")
	if err != nil || n == nil {
		return 0, err
	}
	if *n < 1 || *n > groups.MaxListLimit {
		return 0, errs.Invalid("Invalid limit - limit must be between 1 and 100.")
	}
	return *n, nil
}

func stateParam(c *fiber.Ctx) (*groups.State, error) {
	n, err := queryInt(c, "state")
	if err != nil || n == nil {
		return nil, err
	}
	s := groups.State(*n)
	if !s.Valid() {
		return nil, errs.Invalid("Invalid state - state must be between 0 and 4.")
	}
	return &s, nil
}

// param copies a path parameter out of fasthttp's reusable buffer.
func param(c *fiber.Ctx, name string) string {
	return strings.Clone(c.Params(name))
}
