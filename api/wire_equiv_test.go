package api

// The hand-written JSON encoder writes exactly what encoding/json writes for the
// reference wire structs. Native fuzz targets, one per hand-written type:
//
//	FuzzGroupJSON FuzzGroupListJSON FuzzGroupUserListJSON
//	FuzzUserGroupListJSON FuzzErrorBodyJSON
//
// `go test ./api` runs their seeds (values from a fixed-seed generator:
// escapes, invalid UTF-8, U+2028/9, years 0001-9999 and beyond, zero times,
// empty fields); `go test ./api -run '^$' -fuzz '^FuzzGroupJSON$'` explores.
// String fields come in one fuzzed string, split at \x1e.

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

func randStr(r *rand.Rand) string {
	alphabet := []string{"a", "Z", "<", ">", "&", "\"", "\\", "\n", "\t", "\b", "\f", "\x01", "\x1f", "\u2028", "\u2029", "é", "日本", "\xff", "\xe2\x80", "🙂", " ", "/", "\x7f", "\ufffd"}
	s := ""
	for i := r.Intn(6); i > 0; i-- {
		s += alphabet[r.Intn(len(alphabet))]
	}
	return s
}

func randTime(r *rand.Rand) time.Time {
	switch r.Intn(5) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(r.Int63n(1<<40)-1<<39, r.Int63n(1e9)).In(time.FixedZone("x", 3600))
	}
	return time.UnixMicro(r.Int63n(4e15)).UTC()
}

// wireSeeds is how many generated seeds each target gets.
const wireSeeds = 100

// fuzzFields splits a fuzzed string into n string fields.
func fuzzFields(s string, n int) []string {
	f := strings.SplitN(s, "\x1e", n)
	for len(f) < n {
		f = append(f, "")
	}
	return f
}

func joinFields(f ...string) string { return strings.Join(f, "\x1e") }

// fuzzTime is the instant sec.nsec in a zone offset (seconds) east of UTC.
func fuzzTime(sec, nsec int64, zone int32) time.Time {
	t := time.Unix(sec, nsec)
	if zone == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("z", int(zone%(18*3600))))
}

// timeArgs are a time's fuzz arguments (sec, nsec) and its zone offset.
func timeArgs(t time.Time) (int64, int64, int32) {
	_, off := t.Zone()
	return t.Unix(), int64(t.Nanosecond()), int32(off)
}

// groupArgs are the fuzz arguments a group is built from.
type groupArgs struct {
	fields                   string
	open                     bool
	edge, max                int
	csec, cnsec, usec, unsec int64
	zone                     int32
}

func (a groupArgs) group() groups.Group {
	f := fuzzFields(a.fields, 10)
	return groups.Group{ID: f[0], CreatorID: f[1], Name: f[2], Description: f[3], LangTag: f[4], Metadata: f[5],
		AvatarURL: f[6], Open: a.open, EdgeCount: a.edge, MaxCount: a.max,
		CreateTime: fuzzTime(a.csec, a.cnsec, a.zone), UpdateTime: fuzzTime(a.usec, a.unsec, a.zone),
		JoinPolicy: groups.JoinPolicy(f[7]), Tag: f[8], Category: f[9], Hidden: a.max%2 != 0,
		AdminsOnlyCreateAttributes: a.edge%2 != 0}
}

func randGroupArgs(r *rand.Rand) groupArgs {
	a := groupArgs{fields: joinFields(randStr(r), randStr(r), randStr(r), randStr(r), randStr(r), randStr(r), randStr(r),
		randStr(r), randStr(r), randStr(r)),
		open: r.Intn(2) == 0, edge: r.Intn(3) - 1, max: r.Intn(3)}
	ct, ut := randTime(r), randTime(r)
	a.csec, a.cnsec, a.zone = timeArgs(ct)
	a.usec, a.unsec, _ = timeArgs(ut)
	return a
}

// userArgs are the fuzz arguments a user is built from.
type userArgs struct {
	fields                   string
	csec, cnsec, usec, unsec int64
	zone                     int32
}

func (a userArgs) user() groups.User {
	f := fuzzFields(a.fields, 9)
	return groups.User{ID: f[0], Username: f[1], DisplayName: f[2], AvatarURL: f[3], LangTag: f[4], Location: f[5],
		Timezone: f[6], Metadata: f[7], CreateTime: fuzzTime(a.csec, a.cnsec, a.zone), UpdateTime: fuzzTime(a.usec, a.unsec, a.zone)}
}

func randUserArgs(r *rand.Rand) userArgs {
	a := userArgs{fields: joinFields(randStr(r), randStr(r), randStr(r), randStr(r), randStr(r), randStr(r), randStr(r), randStr(r),
		randStr(r))}
	ct, ut := randTime(r), randTime(r)
	a.csec, a.cnsec, a.zone = timeArgs(ct)
	a.usec, a.unsec, _ = timeArgs(ut)
	return a
}

// sameJSON checks that the app's encoder and encoding/json both write what
// encoding/json writes for the reference struct.
func sameJSON(t *testing.T, ref, wire any) {
	t.Helper()
	want, err := json.Marshal(ref)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	got, err := encodeJSON(wire)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("encodeJSON:\n got %s (%v)\nwant %s", got, err, want)
	}
	if viaStd, _ := json.Marshal(wire); !bytes.Equal(viaStd, want) {
		t.Fatalf("via encoding/json:\n got %s\nwant %s", viaStd, want)
	}
}

func FuzzGroupJSON(f *testing.F) {
	r := rand.New(rand.NewSource(1))
	for range wireSeeds {
		a := randGroupArgs(r)
		f.Add(a.fields, a.open, a.edge, a.max, a.csec, a.cnsec, a.usec, a.unsec, a.zone)
	}
	f.Fuzz(func(t *testing.T, fields string, open bool, edge, max int, csec, cnsec, usec, unsec int64, zone int32) {
		g := groupArgs{fields, open, edge, max, csec, cnsec, usec, unsec, zone}.group()
		sameJSON(t, toGroupJSON(g), groupOut{&g})
	})
}

// The list targets repeat one fuzzed item n%3 times (0 is the empty list):
// the items' own encoding is FuzzGroupJSON's; these cover the framing,
// the cursor and the state.

func FuzzGroupListJSON(f *testing.F) {
	r := rand.New(rand.NewSource(2))
	for range wireSeeds {
		a := randGroupArgs(r)
		f.Add(a.fields, a.open, a.edge, a.max, a.csec, a.cnsec, a.usec, a.unsec, a.zone, randStr(r), uint8(r.Intn(3)))
	}
	f.Fuzz(func(t *testing.T, fields string, open bool, edge, max int, csec, cnsec, usec, unsec int64, zone int32,
		cursor string, n uint8) {
		g := groupArgs{fields, open, edge, max, csec, cnsec, usec, unsec, zone}.group()
		l := groups.GroupList{Cursor: cursor}
		ref := groupListStruct{Cursor: cursor}
		for range n % 3 {
			l.Groups = append(l.Groups, g)
			ref.Groups = append(ref.Groups, toGroupJSON(g))
		}
		sameJSON(t, ref, toGroupListJSON(&l))
	})
}

func FuzzGroupUserListJSON(f *testing.F) {
	r := rand.New(rand.NewSource(3))
	for range wireSeeds {
		a := randUserArgs(r)
		f.Add(a.fields, a.csec, a.cnsec, a.usec, a.unsec, a.zone, r.Intn(5), randStr(r), uint8(r.Intn(3)))
	}
	f.Fuzz(func(t *testing.T, fields string, csec, cnsec, usec, unsec int64, zone int32, state int, cursor string, n uint8) {
		u := userArgs{fields, csec, cnsec, usec, unsec, zone}.user()
		msg := fuzzFields(fields, 9)[8] // a join request's message
		l := groups.GroupUserList{Cursor: cursor}
		ref := groupUserListStruct{Cursor: cursor}
		for i := range n % 3 {
			gu := groups.GroupUser{User: u, State: groups.State(state), Message: msg}
			want := groupUserJSON{User: toUserJSON(u), State: groups.State(state), Message: msg}
			if i == 1 { // a custom role (issue 11) on every second entry
				gu.Role = &groups.RoleRef{ID: u.ID, Name: msg, Rank: state + 100}
				want.Role = &roleRefJSON{ID: u.ID, Name: msg, Rank: state + 100}
			}
			l.GroupUsers = append(l.GroupUsers, gu)
			ref.GroupUsers = append(ref.GroupUsers, want)
		}
		sameJSON(t, ref, toGroupUserListJSON(&l))
	})
}

func FuzzUserGroupListJSON(f *testing.F) {
	r := rand.New(rand.NewSource(4))
	for range wireSeeds {
		a := randGroupArgs(r)
		f.Add(a.fields, a.open, a.edge, a.max, a.csec, a.cnsec, a.usec, a.unsec, a.zone, r.Intn(5), randStr(r), uint8(r.Intn(3)))
	}
	f.Fuzz(func(t *testing.T, fields string, open bool, edge, max int, csec, cnsec, usec, unsec int64, zone int32,
		state int, cursor string, n uint8) {
		g := groupArgs{fields, open, edge, max, csec, cnsec, usec, unsec, zone}.group()
		l := groups.UserGroupList{Cursor: cursor}
		ref := userGroupListStruct{Cursor: cursor}
		for range n % 3 {
			l.UserGroups = append(l.UserGroups, groups.UserGroup{Group: g, State: groups.State(state)})
			ref.UserGroups = append(ref.UserGroups, userGroupJSON{Group: toGroupJSON(g), State: groups.State(state)})
		}
		sameJSON(t, ref, toUserGroupListJSON(&l))
	})
}

func FuzzErrorBodyJSON(f *testing.F) {
	r := rand.New(rand.NewSource(5))
	for range wireSeeds {
		f.Add(r.Intn(17), randStr(r))
	}
	f.Fuzz(func(t *testing.T, code int, msg string) {
		eb := errorBody{Code: errs.Code(code), Message: msg}
		sameJSON(t, eb, eb)
	})
}
