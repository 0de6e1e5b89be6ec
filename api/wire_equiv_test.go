package api

// The hand-written JSON encoder writes exactly what encoding/json writes for the
// reference wire structs, on random values (escapes, invalid UTF-8, U+2028/9,
// years 0001-9999 and beyond, zero times, empty fields).

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"
	"time"

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

func randGroup(r *rand.Rand) groups.Group {
	return groups.Group{ID: randStr(r), CreatorID: randStr(r), Name: randStr(r), Description: randStr(r), LangTag: randStr(r),
		Metadata: randStr(r), AvatarURL: randStr(r), Open: r.Intn(2) == 0, EdgeCount: r.Intn(3) - 1, MaxCount: r.Intn(3),
		CreateTime: randTime(r), UpdateTime: randTime(r)}
}

func TestWireEncoderMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		var gl groups.GroupList
		var gul groups.GroupUserList
		var ugl groups.UserGroupList
		for j := r.Intn(3); j > 0; j-- {
			gl.Groups = append(gl.Groups, randGroup(r))
			ugl.UserGroups = append(ugl.UserGroups, groups.UserGroup{Group: randGroup(r), State: groups.State(r.Intn(5))})
			gul.GroupUsers = append(gul.GroupUsers, groups.GroupUser{User: groups.User{ID: randStr(r), Username: randStr(r),
				DisplayName: randStr(r), AvatarURL: randStr(r), LangTag: randStr(r), Location: randStr(r), Timezone: randStr(r),
				Metadata: randStr(r), CreateTime: randTime(r), UpdateTime: randTime(r)}, State: groups.State(r.Intn(5))})
		}
		gl.Cursor, gul.Cursor, ugl.Cursor = randStr(r), randStr(r), randStr(r)
		ref1 := groupListStruct{Cursor: gl.Cursor}
		for _, g := range gl.Groups {
			ref1.Groups = append(ref1.Groups, toGroupJSON(g))
		}
		ref2 := groupUserListStruct{Cursor: gul.Cursor}
		for _, gu := range gul.GroupUsers {
			ref2.GroupUsers = append(ref2.GroupUsers, groupUserJSON{User: toUserJSON(gu.User), State: gu.State})
		}
		ref3 := userGroupListStruct{Cursor: ugl.Cursor}
		for _, ug := range ugl.UserGroups {
			ref3.UserGroups = append(ref3.UserGroups, userGroupJSON{Group: toGroupJSON(ug.Group), State: ug.State})
		}
		g := randGroup(r)
		eb := errorBody{Code: groups.Code(r.Intn(17)), Message: randStr(r)}
		for k, pair := range [][2]any{{ref1, toGroupListJSON(&gl)}, {ref2, toGroupUserListJSON(&gul)}, {ref3, toUserGroupListJSON(&ugl)},
			{toGroupJSON(g), groupOut{&g}}, {eb, eb}} {
			want, _ := json.Marshal(pair[0])
			got, err := encodeJSON(pair[1])
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d/%d:\n got %s\nwant %s", i, k, got, want)
			}
			if viaStd, _ := json.Marshal(pair[1]); !bytes.Equal(viaStd, want) {
				t.Fatalf("%d/%d via encoding/json:\n got %s\nwant %s", i, k, viaStd, want)
			}
		}
	}
}
