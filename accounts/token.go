package accounts

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Claims are the claims of a verified session token (Nakama's tid, uid, usn, vrs,
// exp, iat). TokenID and UserID are canonical lowercase UUID strings.
type Claims struct {
	TokenID   string
	UserID    string
	Username  string
	Vars      map[string]string
	ExpiresAt int64 // unix seconds
	IssuedAt  int64 // unix seconds
}

// tokenClaims is the JWT payload: Nakama's claim set (no registered claims beyond
// exp and iat) plus typ, the kind of token. It implements jwt.Claims for the
// parser.
type tokenClaims struct {
	TokenID   string            `json:"tid"`
	UserID    string            `json:"uid"`
	Username  string            `json:"usn"`
	Vars      map[string]string `json:"vrs,omitempty"`
	ExpiresAt int64             `json:"exp"`
	IssuedAt  int64             `json:"iat"`
	Type      string            `json:"typ,omitempty"`
}

// Token kinds (the typ claim). Both tokens of a pair carry the same claims but
// for exp and typ; typ keeps one kind from ever passing as the other, even when
// the two signing keys are equal (nakama-js ignores claims it does not know).
const (
	typeSession = "session"
	typeRefresh = "refresh"
)

func numericDate(sec int64) *jwt.NumericDate {
	if sec == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(sec, 0))
}

func (c *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return numericDate(c.ExpiresAt), nil
}
func (c *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return numericDate(c.IssuedAt), nil }
func (c *tokenClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c *tokenClaims) GetIssuer() (string, error)              { return "", nil }
func (c *tokenClaims) GetSubject() (string, error)             { return "", nil }
func (c *tokenClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }

func (c *tokenClaims) toClaims() Claims {
	return Claims{
		TokenID:   c.TokenID,
		UserID:    c.UserID,
		Username:  c.Username,
		Vars:      c.Vars,
		ExpiresAt: c.ExpiresAt,
		IssuedAt:  c.IssuedAt,
	}
}

// jwtHeader is the encoded header every token carries, byte for byte what
// golang-jwt (and so Nakama) writes for HS256.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// signToken builds an HS256 JWT with the claims c. The token is assembled here
// rather than by jwt.Token.SignedString so the payload bytes are exactly those of
// encodePayload.
func signToken(key string, c tokenClaims) (string, error) {
	payload, err := encodePayload(c)
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(key))
	if err != nil {
		return "", err
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// encodePayload marshals the claims to JSON in a form nakama-js can decode.
//
// nakama-js reads the payload with atob() after deleting every character outside
// [A-Za-z0-9+/], so a base64url payload containing '-' or '_' (the base64url forms
// of '+' and '/') shifts the decoded bytes and the client's JSON.parse throws. It
// also decodes the bytes as Latin-1, garbling any UTF-8.
//
// The base64 sextets 62 ('-') and 63 ('_') can only come from a byte whose low six
// bits are 11111x at the third position of a 3-byte group; for bytes below 0x80
// that means exactly '>', '?', '~' and DEL, and bytes of 0x80 and above (UTF-8)
// can produce them anywhere. Such bytes occur only inside JSON strings (usn, vrs),
// where writing a character as a \uXXXX escape leaves the decoded value unchanged.
// So the payload is made pure ASCII without those four characters: every non-ASCII
// character and every one of the four is written as a JSON \u escape (surrogate
// pairs above U+FFFF). The base64url of such a payload never contains '-' or '_',
// whatever the username or vars, with no retry loop, and nakama-js also gets
// non-ASCII usernames right. Any JSON parser (ours included) reads it unchanged.
func encodePayload(c tokenClaims) ([]byte, error) {
	raw, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return asciiJSON(raw), nil
}

// asciiJSON rewrites JSON text (valid UTF-8, as json.Marshal produces) so that it
// holds only ASCII bytes other than '>', '?', '~' and DEL, escaping those
// characters and all non-ASCII ones. Outside strings JSON is already plain ASCII.
func asciiJSON(raw []byte) []byte {
	clean := true
	for _, b := range raw {
		if needsEscape(b) {
			clean = false
			break
		}
	}
	if clean {
		return raw
	}
	var out bytes.Buffer
	out.Grow(len(raw) + 32)
	for i := 0; i < len(raw); {
		b := raw[i]
		if b < utf8.RuneSelf {
			if needsEscape(b) {
				fmt.Fprintf(&out, `\u%04x`, b)
			} else {
				out.WriteByte(b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		} else {
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		i += size
	}
	return out.Bytes()
}

func needsEscape(b byte) bool {
	return b >= utf8.RuneSelf || b == '>' || b == '?' || b == '~' || b == 0x7f
}

// tokenParser accepts HS256 only and requires exp (in the future). A Parser with
// its options set is safe for concurrent use.
var tokenParser = newTokenParser(time.Now)

// newTokenParser is tokenParser on the given clock (a Service's, which tests
// may move).
func newTokenParser(now func() time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(now),
	)
}

// parseToken verifies token's signature with key and its exp, checks that its
// typ is want and that tid and uid are UUIDs (returned canonical). ok is false
// on any failure.
//
// A token without typ (issued before the claim existed) is accepted only when
// legacy is true, which the Service sets when its two keys differ: then the
// signature alone tells the kinds apart.
func parseToken(key, token, want string, legacy bool) (c tokenClaims, ok bool) {
	return parseTokenWith(tokenParser, key, token, want, legacy)
}

// parseTokenWith is parseToken with the given parser (and so its clock).
func parseTokenWith(p *jwt.Parser, key, token, want string, legacy bool) (c tokenClaims, ok bool) {
	if key == "" {
		return tokenClaims{}, false // never verify against an empty key
	}
	parsed, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return []byte(key), nil
	})
	if err != nil || !parsed.Valid {
		return tokenClaims{}, false
	}
	if c.Type != want && (c.Type != "" || !legacy) {
		return tokenClaims{}, false
	}
	uid, err := uuid.Parse(c.UserID)
	if err != nil {
		return tokenClaims{}, false
	}
	tid, err := uuid.Parse(c.TokenID)
	if err != nil {
		return tokenClaims{}, false
	}
	c.UserID, c.TokenID = uid.String(), tid.String()
	return c, true
}
