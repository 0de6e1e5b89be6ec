package groups

import (
	"encoding/base64"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/guildhall/guildhall/errs"
)

// FuzzDecodeCursor feeds arbitrary cursor text to the two cursor decoders
// (the notification cursor's is the inbox's FuzzDecodeCursor),
// with the listing's expected order and filters. None may panic; each either
// refuses with a coded 400 or returns a cursor whose every field fits the
// column it is compared with. Without -fuzz it runs the seeds below.
func FuzzDecodeCursor(f *testing.F) {
	const id = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	pad := func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }
	f.Add(encodeCursor(GroupCursor{Order: OrderByName, NameKey: "abc", ID: id, Filter: "0|a%||<nil>|<nil>"}, base64.RawURLEncoding),
		int(OrderByName), "0|a%||<nil>|<nil>", -1)
	f.Add(encodeCursor(GroupCursor{Order: OrderByLangEdges, EdgeCount: 7, ID: id, Filter: "2||en|<nil>|<nil>"}, base64.RawURLEncoding),
		int(OrderByLangEdges), "2||en|<nil>|<nil>", -1)
	f.Add(encodeCursor(MemberCursor{State: Member, Position: 1, ID: id, Filter: 2}, base64.URLEncoding), 0, "", 2)
	f.Add(raw(`{"Order":0,"NameKey":"a\u0000","ID":"`+id+`","Filter":"f"}`), 0, "f", -1)
	f.Add(raw(`{"Order":3,"EdgeCount":9999999999,"ID":"`+id+`","Filter":"f"}`), 3, "f", -1)
	f.Add(raw(`{"Order":1,"ID":"`+id+`","Filter":"f"}trailing`), 1, "f", -1)
	f.Add(pad(`{"State":99,"Position":0,"ID":"`+id+`","Filter":-1}`), 0, "", -1)
	f.Add(pad(`{"State":0,"Position":1e30,"ID":"`+id+`","Filter":-1}`), 0, "", -1)
	f.Add(raw(`{"CreateTime":0,"ID":"`+id+`"}`), 0, "", -1)
	f.Add(raw("\xff\xfe"), 0, "", -1)
	f.Add("", 0, "", -1)
	f.Add("!!!", 0, "", -1)

	f.Fuzz(func(t *testing.T, s string, order int, filter string, state int) {
		refused := func(err error, msg string) bool {
			if err == nil {
				return false
			}
			e, ok := errs.AsError(err)
			if !ok || e.Code != errs.CodeInvalidArgument || e.Message != msg {
				t.Fatalf("error %#v, want code 3 %q", err, msg)
			}
			return true
		}
		canonical := func(v string) {
			if p, ok := parseID(v); !ok || p != v {
				t.Fatalf("accepted id %q", v)
			}
		}

		if c, err := decodeGroupCursor(s, GroupOrder(order), filter); !refused(err, msgMalformedCursor) {
			canonical(c.ID)
			if c.Order != GroupOrder(order) || c.Filter != filter {
				t.Fatalf("accepted a cursor of another listing: %+v", c)
			}
			if !utf8.ValidString(c.NameKey) || utf8.RuneCountInString(c.NameKey) > MaxNameLen || hasNUL(c.NameKey) {
				t.Fatalf("accepted name key %q", c.NameKey)
			}
			if c.EdgeCount < 0 || c.EdgeCount > math.MaxInt32 {
				t.Fatalf("accepted edge count %d", c.EdgeCount)
			}
		}
		if c, err := decodeMemberCursor(s, state); !refused(err, msgInvalidCursor) {
			canonical(c.ID)
			if !c.State.Valid() || c.Filter != state || (state >= 0 && int(c.State) != state) {
				t.Fatalf("accepted member cursor %+v for filter %d", c, state)
			}
		}
	})
}

func hasNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}
