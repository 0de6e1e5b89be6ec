package api_test

import (
	"strings"
	"testing"
)

// TestUpdateAccountAndGetUsers: PUT /v2/account with Nakama's rules and
// errors; GET /v2/account, GET /v2/user and a group's member listing show the
// change.
func TestUpdateAccountAndGetUsers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("g", "alice", `{"name":"Profiles","open":true}`)
		e.must("POST", "/v2/group/{g}/join", as("bob"), "")

		const account = "/v2/account"
		manyIDs := strings.TrimSuffix(strings.Repeat("ids={unknown}&", 101), "&")
		e.run([]scenario{
			{name: "update", method: "PUT", path: account, auth: as("alice"), status: 200, exact: "{}",
				body: `{"display_name":"Alice A","avatar_url":"https://example.com/a.png","lang_tag":"fr","location":"Paris","timezone":"Europe/Paris"}`},
			{name: "account shows it", method: "GET", path: account, auth: as("alice"), status: 200, fired: unchecked,
				want: fields{"user.username": "alice", "user.display_name": "Alice A", "user.avatar_url": "https://example.com/a.png",
					"user.lang_tag": "fr", "user.location": "Paris", "user.timezone": "Europe/Paris", "user.update_time": isTime}},
			{name: "users show it", method: "GET", path: "/v2/user?ids={alice}&usernames=BOB&usernames=nobody&ids={unknown}&", auth: as("carol"),
				status: 200, want: fields{"users.#": 2, "users.0.id": "{alice}", "users.0.username": "alice", "users.0.display_name": "Alice A",
					"users.0.lang_tag": "fr", "users.0.timezone": "Europe/Paris", "users.0.metadata": "{}", "users.0.create_time": isTime,
					"users.1.id": "{bob}", "users.1.username": "bob", "users.1.lang_tag": "en"},
				absent: []string{"users.0.online", "users.0.edge_count", "users.1.display_name", "cursor"}},
			{name: "an id and the username of one user: once", method: "GET", path: "/v2/user?ids={alice}&usernames=alice", auth: as("bob"),
				status: 200, want: fields{"users.#": 1, "users.0.id": "{alice}"}},
			{name: "member listing shows the display name", method: "GET", path: "/v2/group/{g}/user", auth: as("bob"), status: 200,
				fired: both("ListGroupUsers"), want: fields{"group_users.0.user.id": "{alice}", "group_users.0.user.display_name": "Alice A"}},

			// Nakama's rules and messages.
			{name: "nothing to update", method: "PUT", path: account, auth: as("bob"), body: `{}`, status: 400, want: fail(3, "No fields to update.")},
			{name: "nulls only", method: "PUT", path: account, auth: as("bob"), body: `{"username":null,"display_name":null}`, status: 400,
				want: fail(3, "No fields to update.")},
			{name: "empty username", method: "PUT", path: account, auth: as("bob"), body: `{"username":""}`, status: 400,
				want: fail(3, "Username invalid, must be 1-128 bytes.")},
			{name: "username too long", method: "PUT", path: account, auth: as("bob"), body: `{"username":"` + strings.Repeat("b", 129) + `"}`,
				status: 400, want: fail(3, "Username invalid, must be 1-128 bytes.")},
			{name: "username with a tab", method: "PUT", path: account, auth: as("bob"), body: `{"username":"b\tob"}`, status: 400,
				want: fail(3, "Username invalid, no spaces or control characters allowed.")},
			{name: "username taken (any case)", method: "PUT", path: account, auth: as("bob"), body: `{"username":"ALICE","display_name":"x"}`,
				status: 409, want: fail(6, "Username is already in use.")},
			{name: "display name too long", method: "PUT", path: account, auth: as("bob"), body: `{"display_name":"` + strings.Repeat("é", 256) + `"}`,
				status: 400, want: fail(3, "Display name must be at most 255 characters.")},
			{name: "lang tag too long", method: "PUT", path: account, auth: as("bob"), body: `{"lang_tag":"` + strings.Repeat("x", 19) + `"}`,
				status: 400, want: fail(3, "Language tag must be at most 18 characters.")},
			{name: "NUL in location", method: "PUT", path: account, auth: as("bob"), body: `{"location":"a\u0000b"}`, status: 400,
				want: fail(3, "Location must not contain NUL characters.")},
			{name: "not a string", method: "PUT", path: account, auth: as("bob"), body: `{"timezone":5}`, status: 400,
				want: fields{"code": 3, "message": hasPrefix(`Invalid value for field "timezone"`)}},
			{name: "update without a token", method: "PUT", path: account, auth: noAuth, body: `{"display_name":"x"}`, status: 401,
				want: fail(16, "Auth token required")},

			// Rename, camelCase keys, and clearing with "".
			{name: "rename and clear", method: "PUT", path: account, auth: as("alice"), body: `{"username":"Alicia","displayName":""}`,
				status: 200, exact: "{}"},
			{name: "account after the rename", method: "GET", path: account, auth: as("alice"), status: 200, fired: unchecked,
				want: fields{"user.username": "Alicia", "user.location": "Paris"}, absent: []string{"user.display_name"}},
			{name: "found by its new username", method: "GET", path: "/v2/user?usernames=alicia", auth: as("bob"), status: 200,
				want: fields{"users.#": 1, "users.0.id": "{alice}", "users.0.username": "Alicia"}},
			{name: "the old username is free", method: "PUT", path: account, auth: as("carol"), body: `{"username":"alice"}`,
				status: 200, exact: "{}"},

			// GetUsers edge cases.
			{name: "users: no query", method: "GET", path: "/v2/user", auth: as("bob"), status: 200, exact: "{}"},
			{name: "users: unknown id", method: "GET", path: "/v2/user?ids={unknown}", auth: as("bob"), status: 200, exact: "{}"},
			{name: "users: malformed id", method: "GET", path: "/v2/user?ids=nope", auth: as("bob"), status: 400,
				want: fail(3, "ID 'nope' is not a valid system ID.")},
			{name: "users: NUL in a username", method: "GET", path: "/v2/user?usernames=a%00b", auth: as("bob"), status: 200, exact: "{}"},
			{name: "users: invalid UTF-8 username", method: "GET", path: "/v2/user?usernames=%ff", auth: as("bob"), status: 200, exact: "{}"},
			{name: "users: over 100", method: "GET", path: "/v2/user?" + manyIDs, auth: as("bob"), status: 400,
				want: fail(3, "At most 100 user ids and usernames may be requested at once.")},
			{name: "users: no token", method: "GET", path: "/v2/user?ids={alice}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
		})

		// Re-sending the current values changes nothing, update_time included.
		updateTime := func() int64 {
			var v int64
			if err := e.app.DB.Read.Raw("SELECT update_time FROM users WHERE id = ?", e.ids["alice"]).Scan(&v).Error; err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := updateTime()
		e.must("PUT", account, as("alice"), `{"username":"Alicia","location":"Paris"}`)
		if after := updateTime(); after != before {
			t.Errorf("update_time moved from %d to %d on an update that changed nothing", before, after)
		}
		e.must("PUT", account, as("alice"), `{"location":"Lyon"}`)
		if after := updateTime(); after <= before {
			t.Errorf("update_time %d did not move past %d on a change", after, before)
		}
	})
}

// TestAuthBeforeRouting: every /v2/ path but authenticate, refresh, RPC and
// the server API is authenticated before routing, so an unknown path answers
// 401 without a valid session and Nakama's 404 (or 501) with one; the
// exceptions keep their own credential, whatever the case or trailing slash.
func TestAuthBeforeRouting(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		invalid := fail(16, "Auth token invalid")
		e.run([]scenario{
			{name: "no token", method: "GET", path: "/v2/nope", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "garbage token", method: "POST", path: "/v2/nope/deeper", auth: header("Bearer garbage"), status: 401, want: invalid},
			{name: "refresh token", method: "GET", path: "/v2/nope", auth: header("Bearer {refresh:alice}"), status: 401, want: invalid},
			{name: "server key", method: "GET", path: "/v2/nope", auth: serverKey, status: 401, want: invalid},
			{name: "http key", method: "GET", path: "/v2/nope", auth: httpKey, status: 401, want: fail(16, "Auth token required")},
			{name: "valid token", method: "GET", path: "/v2/nope", auth: as("alice"), status: 404, exact: `{"code":5,"message":"Not Found"}`},
			{name: "valid token, wrong method", method: "DELETE", path: "/v2/user", auth: as("alice"), status: 501,
				want: fail(12, "Method Not Allowed")},
			{name: "outside /v2/: no auth", method: "GET", path: "/nope", auth: noAuth, status: 404, want: fail(5, "Not Found")},

			// The exceptions, as the router matches them.
			{name: "authenticate, any case", method: "POST", path: "/V2/Account/Authenticate/Device", auth: serverKey,
				body: `{"id":"device-case-1234"}`, status: 200, want: fields{"created": true}, fired: both("AuthenticateDevice")},
			{name: "refresh, trailing slash", method: "POST", path: "/v2/account/session/refresh/", auth: serverKey,
				body: `{"token":"{refresh:alice}"}`, status: 200, fired: both("SessionRefresh")},
			{name: "unknown authenticate path: server key", method: "POST", path: "/v2/account/authenticate/nope", auth: serverKey,
				status: 404, want: fail(5, "Not Found")},
			{name: "server API: http key", method: "GET", path: "/v2/server/group/{unknown}", auth: httpKey, status: 404,
				want: fields{"code": 5}},
			{name: "server API: a session is not enough", method: "GET", path: "/v2/server/group/{unknown}", auth: as("alice"),
				status: 401, want: fields{"code": 16}},
			{name: "RPC: http key", method: "POST", path: "/v2/rpc/whoami", auth: httpKey, status: 200, exact: `{"payload":"system"}`},
		})
	})
}
