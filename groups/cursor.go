package groups

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/guildhall/guildhall/errs"
)

// Cursors are opaque to clients: base64url of a small JSON document (member
// cursors padded, group and notification cursors not, as Nakama's are). A
// client can send anything back, so every decoded field is checked against
// what the column it is compared with can hold before it reaches SQL: a
// forged cursor is the listing's 400, never a database error.

// maxCursorLen bounds the text decoded: the longest cursor Guildhall writes
// (a group cursor with a 255-character name in both the key and the filter)
// is well under 4 KiB.
const maxCursorLen = 4096

// Messages of a refused cursor, as Nakama words them per listing.
const (
	msgMalformedCursor = "Malformed cursor was used."
	msgInvalidCursor   = "Cursor is invalid."
)

// EncodeCursor and DecodeCursor are the cursor codec, for the listings of
// other packages (the inbox's): DecodeCursor refuses unknown fields, trailing
// data and oversize text.
func EncodeCursor(v any, enc *base64.Encoding) string { return encodeCursor(v, enc) }

// DecodeCursor: see EncodeCursor.
func DecodeCursor(s string, enc *base64.Encoding, v any) bool { return decodeCursor(s, enc, v) }

// ValidCursorID reports whether a decoded cursor's id is a canonical UUID.
func ValidCursorID(id string) bool { return validCursorID(id) }

func encodeCursor(v any, enc *base64.Encoding) string {
	b, _ := json.Marshal(v)
	return enc.EncodeToString(b)
}

// decodeCursor decodes one JSON object, refusing unknown fields and trailing data.
func decodeCursor(s string, enc *base64.Encoding, v any) bool {
	if len(s) > maxCursorLen {
		return false
	}
	b, err := enc.DecodeString(s)
	if err != nil || !utf8.Valid(b) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(v) != nil {
		return false
	}
	_, err = dec.Token()
	return err != nil // io.EOF: nothing after the object
}

// decodeGroupCursor reads a ListGroups cursor made for order and filter.
func decodeGroupCursor(s string, order GroupOrder, filter string) (*GroupCursor, error) {
	var c GroupCursor
	if !decodeCursor(s, base64.RawURLEncoding, &c) || c.Order != order || c.Filter != filter ||
		!validCursorID(c.ID) || !validCursorText(c.NameKey, MaxNameLen) ||
		c.EdgeCount < 0 || c.EdgeCount > math.MaxInt32 { // edge_count is an INTEGER
		return nil, errs.Invalid(msgMalformedCursor)
	}
	return &c, nil
}

// decodeMemberCursor reads a ListGroupUsers/ListUserGroups cursor made for the
// state filter (-1 for none).
func decodeMemberCursor(s string, filter int) (*MemberCursor, error) {
	var c MemberCursor
	if !decodeCursor(s, base64.URLEncoding, &c) || c.Filter != filter || !c.State.Valid() ||
		(filter >= 0 && int(c.State) != filter) || !validCursorID(c.ID) {
		return nil, errs.Invalid(msgInvalidCursor)
	}
	return &c, nil
}

// validCursorID keeps forged cursors from reaching SQL with a non-UUID key.
func validCursorID(id string) bool {
	v, ok := parseID(id)
	return ok && v == id
}

// validCursorText is checkText for a cursor's key: text PostgreSQL can compare.
func validCursorText(v string, max int) bool {
	return utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 && utf8.RuneCountInString(v) <= max
}
