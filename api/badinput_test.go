package api_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Bad input is refused with a 4xx {"code","message"} and a clear message, is
// never a 500, and writes nothing (the harness compares every table before and
// after each refused call).
func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("g", "alice", `{"name":"Target","open":true}`)
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")
		e.ids["gupper"] = strings.ToUpper(e.ids["g"])
		e.ids["carolupper"] = strings.ToUpper(e.ids["carol"])
		e.ids["nil"] = uuid.Nil.String()
		e.ids["n256"] = strings.Repeat("n", 256)
		e.ids["n257"] = strings.Repeat("n", 257)
		e.ids["e255"] = strings.Repeat("é", 255)
		e.ids["l19"] = strings.Repeat("l", 19)
		e.ids["l18"] = strings.Repeat("l", 18)
		e.ids["a513"] = strings.Repeat("a", 513)
		var many []string
		for i := 0; i < 101; i++ {
			many = append(many, "user_ids="+uuid.NewString())
		}
		e.ids["many"] = strings.Join(many, "&")
		e.ids["hundred"] = strings.Join(many[:100], "&")
		e.ids["forged"] = base64.URLEncoding.EncodeToString([]byte(`{"State":0,"Position":0,"ID":"1 OR 1=1","Filter":-1}`))
		e.ids["extra"] = base64.URLEncoding.EncodeToString([]byte(`{"State":0,"Position":0,"ID":"` + e.ids["alice"] + `","Filter":-1,"X":1}`))

		notObject := fail(3, "Request body must be a JSON object.")
		trailing := fail(3, "Request body has trailing data after the JSON object.")
		badUTF8 := fail(3, "Request body must be valid UTF-8.")
		typeErr := func(field, want string) fields {
			return fail(3, `Invalid value for field "`+field+`": expected `+want+`.`)
		}
		badGroup := fail(3, "Group ID must be a valid ID.")
		badUser := fail(3, "User ID must be a valid ID.")
		create := func(name, body string, status int, want fields, fired []string) scenario {
			return scenario{name: "create/" + name, method: "POST", path: "/v2/group", auth: as("carol"), body: body,
				status: status, want: want, fired: fired}
		}
		update := func(name, body string, status int, want fields, fired []string) scenario {
			return scenario{name: "update/" + name, method: "PUT", path: "/v2/group/{g}", auth: as("alice"), body: body,
				status: status, want: want, fired: fired}
		}
		cg := refused("CreateGroup")
		ug := refused("UpdateGroup")

		e.run([]scenario{
			// Bodies that are not one JSON object.
			create("truncated JSON", `{"name":`, 400, notObject, nil),
			create("an array", `[{"name":"x"}]`, 400, notObject, nil),
			create("null", `null`, 400, notObject, nil),
			create("a string", `"name"`, 400, notObject, nil),
			create("a number", `42`, 400, notObject, nil),
			create("single quotes", `{'name':'x'}`, 400, notObject, nil),
			create("trailing garbage", `{"name":"x"} junk`, 400, trailing, nil),
			create("two objects", `{"name":"x"}{"name":"y"}`, 400, trailing, nil),
			create("invalid UTF-8", "{\"name\":\"a\xffb\"}", 400, badUTF8, nil),
			create("invalid UTF-8 in an unknown key", "{\"name\":\"ok\",\"x\xfe\":1}", 400, badUTF8, nil),

			// Wrong types.
			create("name a number", `{"name":5}`, 400, typeErr("name", "a string"), nil),
			create("description an array", `{"name":"x","description":["a"]}`, 400, typeErr("description", "a string"), nil),
			create("open a string", `{"name":"x","open":"yes"}`, 400, typeErr("open", "a boolean"), nil),
			create("open a number", `{"name":"x","open":1}`, 400, typeErr("open", "a boolean"), nil),
			create("max_count a fraction", `{"name":"x","max_count":1.5}`, 400, typeErr("max_count", "a 32-bit integer"), nil),
			create("max_count over int32", `{"name":"x","max_count":2147483648}`, 400, typeErr("max_count", "a 32-bit integer"), nil),
			create("max_count text", `{"name":"x","maxCount":"abc"}`, 400, typeErr("max_count", "a 32-bit integer"), nil),
			create("max_count a bool", `{"name":"x","max_count":true}`, 400, typeErr("max_count", "a 32-bit integer"), nil),

			// Sizes and characters.
			create("name of 256 characters", `{"name":"{n256}"}`, 400, fail(3, "Group name must be at most 255 characters."), cg),
			create("description of 256 characters", `{"name":"x","description":"{n256}"}`, 400, fail(3, "Group description must be at most 255 characters."), cg),
			create("lang_tag of 19 characters", `{"name":"x","lang_tag":"{l19}"}`, 400, fail(3, "Group language must be at most 18 characters."), cg),
			create("avatar_url of 513 characters", `{"name":"x","avatar_url":"{a513}"}`, 400, fail(3, "Group avatar URL must be at most 512 characters."), cg),
			create("NUL in the name", `{"name":"a\u0000b"}`, 400, fail(3, "Group name must not contain NUL characters."), cg),
			create("NUL in the description", `{"name":"x","description":"\u0000"}`, 400, fail(3, "Group description must not contain NUL characters."), cg),
			create("NUL in lang_tag", `{"name":"x","lang_tag":"e\u0000"}`, 400, fail(3, "Group language must not contain NUL characters."), cg),
			{name: "create/255 two-byte characters and an 18-character lang_tag fit", method: "POST", path: "/v2/group", auth: as("carol"),
				body: `{"name":"{e255}","lang_tag":"{l18}"}`, status: 200, fired: both("CreateGroup"), want: fields{"name": "{e255}", "lang_tag": "{l18}"}},

			// Update bodies.
			update("truncated JSON", `{"name"`, 400, notObject, nil),
			update("trailing garbage", `{"name":"x"},`, 400, trailing, nil),
			update("invalid UTF-8", "{\"description\":\"\xc3\"}", 400, badUTF8, nil),
			update("open a string", `{"open":"false"}`, 400, typeErr("open", "a boolean"), nil),
			update("name 256", `{"name":"{n256}"}`, 400, fail(3, "Group name must be at most 255 characters."), ug),
			update("lang_tag 19", `{"lang_tag":"{l19}"}`, 400, fail(3, "Group language must be at most 18 characters."), ug),
			update("NUL in the description", `{"description":"x\u0000"}`, 400, fail(3, "Group description must not contain NUL characters."), ug),
			update("avatar_url 513", `{"avatarUrl":"{a513}"}`, 400, fail(3, "Group avatar URL must be at most 512 characters."), ug),

			// Ids.
			{name: "ids/nil UUID group", method: "POST", path: "/v2/group/{nil}/join", auth: as("carol"), status: 400, want: badGroup, fired: refused("JoinGroup")},
			{name: "ids/NUL in a group id", method: "POST", path: "/v2/group/a%00b/join", auth: as("carol"), status: 400, want: badGroup, fired: refused("JoinGroup")},
			{name: "ids/invalid UTF-8 in a group id", method: "DELETE", path: "/v2/group/%FF", auth: as("carol"), status: 400, want: badGroup, fired: refused("DeleteGroup")},
			{name: "ids/malformed for update", method: "PUT", path: "/v2/group/12345678-1234-1234-1234-12345678901", auth: as("alice"), body: `{"name":"x"}`,
				status: 400, want: badGroup, fired: refused("UpdateGroup")},
			{name: "ids/malformed for leave", method: "POST", path: "/v2/group/g/leave", auth: as("bob"), status: 400, want: badGroup, fired: refused("LeaveGroup")},
			{name: "ids/malformed for list users", method: "GET", path: "/v2/group/{nil}/user", auth: as("bob"), status: 400, want: badGroup, fired: refused("ListGroupUsers")},
			{name: "ids/malformed user for user groups", method: "GET", path: "/v2/user/{nil}/group", auth: as("bob"), status: 400, want: badGroup, fired: refused("ListUserGroups")},
			{name: "ids/nil UUID user", method: "POST", path: "/v2/group/{g}/kick?user_ids={nil}", auth: as("alice"), status: 400, want: badUser, fired: refused("KickGroupUsers")},
			{name: "ids/NUL in a user id", method: "POST", path: "/v2/group/{g}/ban?user_ids=%00", auth: as("alice"), status: 400, want: badUser, fired: refused("BanGroupUsers")},
			{name: "ids/invalid UTF-8 in a user id", method: "POST", path: "/v2/group/{g}/promote?user_ids=%FF%FE", auth: as("alice"), status: 400, want: badUser, fired: refused("PromoteGroupUsers")},
			{name: "ids/one bad among good", method: "POST", path: "/v2/group/{g}/demote?user_ids={bob}&user_ids=nope", auth: as("alice"), status: 400, want: badUser, fired: refused("DemoteGroupUsers")},
			{name: "ids/101 user ids", method: "POST", path: "/v2/group/{g}/add?{many}", auth: as("alice"),
				status: 400, want: fail(3, "Too many user IDs, at most 100 per call."), fired: refused("AddGroupUsers")},
			{name: "ids/100 user ids fit in the request line", method: "POST", path: "/v2/group/{g}/add?{hundred}", auth: as("alice"),
				status: 400, want: fail(3, "One or more users not found."), fired: refused("AddGroupUsers")},
			{name: "ids/upper-case group and user ids are the same ids", method: "POST", path: "/v2/group/{gupper}/add?user_ids={carolupper}", auth: as("alice"),
				status: 200, fired: both("AddGroupUsers"), check: membersAre("g", "alice:0", "bob:2", "carol:2")},

			// Filters and listing parameters.
			{name: "filters/NUL in name", method: "GET", path: "/v2/group?name=a%00", auth: as("bob"),
				status: 400, want: fail(3, "Name filter must not contain NUL characters."), fired: refused("ListGroups")},
			{name: "filters/invalid UTF-8 in name", method: "GET", path: "/v2/group?name=%FFa", auth: as("bob"),
				status: 400, want: fail(3, "Name filter must be valid UTF-8."), fired: refused("ListGroups")},
			{name: "filters/name of 257 characters", method: "GET", path: "/v2/group?name={n257}", auth: as("bob"),
				status: 400, want: fail(3, "Name filter must be at most 256 characters."), fired: refused("ListGroups")},
			{name: "filters/NUL in lang_tag", method: "GET", path: "/v2/group?lang_tag=%00", auth: as("bob"),
				status: 400, want: fail(3, "Language filter must not contain NUL characters."), fired: refused("ListGroups")},
			{name: "filters/invalid UTF-8 in lang_tag", method: "GET", path: "/v2/group?lang_tag=%C3", auth: as("bob"),
				status: 400, want: fail(3, "Language filter must be valid UTF-8."), fired: refused("ListGroups")},
			{name: "filters/lang_tag of 19 characters", method: "GET", path: "/v2/group?lang_tag={l19}", auth: as("bob"),
				status: 400, want: fail(3, "Language filter must be at most 18 characters."), fired: refused("ListGroups")},
			{name: "filters/limit -1", fired: unchecked, method: "GET", path: "/v2/group?limit=-1", auth: as("bob"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "filters/limit beyond int32", method: "GET", path: "/v2/group/{g}/user?limit=99999999999", auth: as("bob"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "limit"`)}},
			{name: "filters/members beyond int32", method: "GET", path: "/v2/group?members=4294967296", auth: as("bob"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "members"`)}},
			{name: "filters/state 1.0", method: "GET", path: "/v2/user/{bob}/group?state=1.0", auth: as("bob"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "state"`)}},
			{name: "filters/forged member cursor", method: "GET", path: "/v2/group/{g}/user?cursor={forged}", auth: as("bob"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListGroupUsers")},
			{name: "filters/member cursor with unknown fields", method: "GET", path: "/v2/user/{bob}/group?cursor={extra}", auth: as("bob"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListUserGroups")},
			{name: "filters/group cursor that is member cursor", method: "GET", path: "/v2/group?cursor={forged}", auth: as("bob"),
				status: 400, want: fail(3, "Malformed cursor was used."), fired: refused("ListGroups")},

			// Authentication input.
			{name: "auth/invalid UTF-8 username", method: "POST", path: "/v2/account/authenticate/device?username=a%FFb", auth: serverKey,
				body: `{"id":"a-new-device-1"}`, status: 400, want: fail(3, "Username invalid, must be valid UTF-8.")},
			{name: "auth/NUL in the username", method: "POST", path: "/v2/account/authenticate/device?username=a%00b", auth: serverKey,
				body: `{"id":"a-new-device-1"}`, status: 400, want: fail(3, "Username invalid, no spaces or control characters allowed."), fired: refused("AuthenticateDevice")},
			{name: "auth/invalid UTF-8 device id", method: "POST", path: "/v2/account/authenticate/device", auth: serverKey,
				body: "{\"id\":\"device-\xff-123456\"}", status: 400, want: badUTF8},
			{name: "auth/NUL in the device id", method: "POST", path: "/v2/account/authenticate/device", auth: serverKey,
				body: `{"id":"device-\u0000-1234"}`, status: 400, want: fail(3, "Device ID invalid, no spaces or control characters allowed."), fired: refused("AuthenticateDevice")},
			{name: "auth/NUL in the email", method: "POST", path: "/v2/account/authenticate/email", auth: serverKey,
				body: `{"email":"a\u0000@example.com","password":"password1"}`, status: 400,
				want: fail(3, "Invalid email address, no spaces or control characters allowed."), fired: refused("AuthenticateEmail")},
			{name: "auth/trailing garbage", method: "POST", path: "/v2/account/authenticate/custom", auth: serverKey,
				body: `{"id":"custom-123"}]`, status: 400, want: trailing},
			{name: "auth/refresh body not an object", method: "POST", path: "/v2/account/session/refresh", auth: serverKey,
				body: `["{refresh:alice}"]`, status: 400, want: notObject},
			{name: "auth/logout body malformed", method: "POST", path: "/v2/session/logout", auth: as("bob"),
				body: `{"token":}`, status: 400, want: notObject},

			// Server route input.
			{name: "server/malformed JSON", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"S",`, status: 400, want: notObject},
			{name: "server/invalid UTF-8", method: "POST", path: "/v2/server/group", auth: httpKey, body: "{\"name\":\"\xff\",\"user_id\":\"{alice}\"}", status: 400, want: badUTF8},
			{name: "server/NUL in the name", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"\u0000","user_id":"{alice}"}`,
				status: 400, want: fail(3, "Group name must not contain NUL characters.")},
			{name: "server/max_count text", method: "PUT", path: "/v2/server/group/{g}", auth: httpKey, body: `{"max_count":"lots"}`,
				status: 400, want: typeErr("max_count", "a 32-bit integer")},
			{name: "server/trailing garbage on update", method: "PUT", path: "/v2/server/group/{g}", auth: httpKey, body: `{"max_count":5} {}`,
				status: 400, want: trailing},
			{name: "server/empty http_key", method: "GET", path: "/v2/server/group/{g}?http_key=", auth: noAuth,
				status: 401, want: fail(16, "HTTP key invalid")},
		})
	})
}
