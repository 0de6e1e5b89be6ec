package inbox

import (
	"encoding/base64"
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// FuzzDecodeCursor feeds arbitrary text to the notification cursor's decoder
// (moved here from groups' FuzzDecodeCursor with the inbox): it never panics,
// and either refuses with a coded 400 or returns a canonical id.
func FuzzDecodeCursor(f *testing.F) {
	const id = "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	f.Add(groups.EncodeCursor(Cursor{CreateTime: 1, ID: id}, base64.RawURLEncoding))
	f.Add(raw(`{"CreateTime":0,"ID":"` + id + `"}`))
	f.Add(raw(`{"CreateTime":0,"ID":"\u0000"}`))
	f.Add(raw(`{"CreateTime":1e40,"ID":"` + id + `"}`))
	f.Add(raw(`{"CreateTime":1,"ID":"` + id + `"}trailing`))
	f.Add(raw("\xff\xfe"))
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if e, ok := errs.AsError(err); !ok || e.Code != errs.CodeInvalidArgument || e.Message != msgMalformedCursor {
				t.Fatalf("error %#v, want code 3 %q", err, msgMalformedCursor)
			}
			return
		}
		if p, ok := groups.ParseID(c.ID); !ok || p != c.ID {
			t.Fatalf("accepted id %q", c.ID)
		}
	})
}
