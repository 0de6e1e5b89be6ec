package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonBody marshals v as a request body.
func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The server-to-server routes under /v2/server/group: http key (query or
// Basic), acting as the system, no client hooks, able to set metadata and
// max_count; the invariants still hold.
func TestServerRoutes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave")
		e.group("client", "alice", `{"name":"Client","open":true}`)
		e.must("POST", "/v2/group/{client}/join", as("bob"), "")

		meta16k := `{"k":"` + strings.Repeat("x", 16*1024-8) + `"}`
		metaOver := `{"k":"` + strings.Repeat("x", 16*1024-7) + `"}`
		denied := fail(5, "Group not found or permission denied.")

		e.run([]scenario{
			// Credentials.
			{name: "create/no key", method: "POST", path: "/v2/server/group", auth: noAuth, body: `{"name":"S","user_id":"{alice}"}`,
				status: 401, want: fail(16, "HTTP key required")},
			{name: "create/wrong key in the query", method: "POST", path: "/v2/server/group", auth: keyQuery("nope"), body: `{"name":"S","user_id":"{alice}"}`,
				status: 401, want: fail(16, "HTTP key invalid")},
			{name: "create/wrong key in Basic", method: "POST", path: "/v2/server/group", auth: basic("nope"), body: `{"name":"S","user_id":"{alice}"}`,
				status: 401, want: fail(16, "HTTP key invalid")},
			{name: "create/the server key is not the http key", method: "POST", path: "/v2/server/group", auth: serverKey, body: `{"name":"S","user_id":"{alice}"}`,
				status: 401, want: fail(16, "HTTP key invalid")},
			{name: "create/a session is not the http key", method: "POST", path: "/v2/server/group", auth: as("alice"), body: `{"name":"S","user_id":"{alice}"}`,
				status: 401, want: fail(16, "HTTP key invalid")},

			// Create.
			{name: "create/with metadata and max_count (key in the query)", method: "POST", path: "/v2/server/group", auth: httpKey,
				body:   `{"name":"Server","user_id":"{alice}","metadata":"{\"tier\":2}","max_count":3,"open":true,"description":"d"}`,
				status: 200, save: "server",
				want: fields{"id": isUUID, "creator_id": "{alice}", "name": "Server", "metadata": `{"tier":2}`, "max_count": 3,
					"edge_count": 1, "open": true, "description": "d", "lang_tag": "en", "create_time": isTime},
				check: membersAre("server", "alice:0")},
			{name: "create/key as Basic, camelCase", method: "POST", path: "/v2/server/group", auth: httpKeyBasic,
				body:   `{"name":"Basic","userId":"{bob}","maxCount":"2","langTag":"pt"}`,
				status: 200, save: "basic", want: fields{"creator_id": "{bob}", "max_count": 2, "lang_tag": "pt", "metadata": "{}"}},
			{name: "create/metadata of exactly 16 KB", method: "POST", path: "/v2/server/group", auth: httpKey,
				body:   jsonBody(map[string]any{"name": "Big", "user_id": e.ids["carol"], "metadata": meta16k}),
				status: 200, save: "big", want: fields{"metadata": meta16k}},
			{name: "create/metadata over 16 KB", method: "POST", path: "/v2/server/group", auth: httpKey,
				body:   jsonBody(map[string]any{"name": "Bigger", "user_id": e.ids["carol"], "metadata": metaOver}),
				status: 400, want: fail(3, "Metadata must be at most 16384 bytes.")},
			{name: "create/metadata not an object", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Arr","user_id":"{carol}","metadata":"[1,2]"}`, status: 400, want: fail(3, "Metadata must be a JSON object.")},
			{name: "create/metadata not JSON", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Arr","user_id":"{carol}","metadata":"{nope"}`, status: 400, want: fail(3, "Metadata must be a JSON object.")},
			{name: "create/metadata \"null\"", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Arr","user_id":"{carol}","metadata":"null"}`, status: 400, want: fail(3, "Metadata must be a JSON object.")},
			{name: "create/metadata with a NUL escape", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Arr","user_id":"{carol}","metadata":"{\"a\":\"\\u0000\"}"}`, status: 400,
				want: fail(3, "Metadata must not contain NUL characters.")},
			{name: "create/metadata as a JSON object instead of text", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Arr","user_id":"{carol}","metadata":{"a":1}}`, status: 400,
				want: fields{"code": 3, "message": hasPrefix(`Invalid value for field "metadata"`)}},
			{name: "create/no owner", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"Ownerless"}`,
				status: 400, want: fail(3, "Group owner user ID must be set.")},
			{name: "create/malformed owner", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"X","user_id":"bob"}`,
				status: 400, want: fail(3, "User ID must be a valid ID.")},
			{name: "create/unknown owner", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"X","user_id":"{unknown}"}`,
				status: 404, want: fail(5, "User not found.")},
			{name: "create/name taken", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"Client","user_id":"{carol}"}`,
				status: 409, want: fail(6, "Group name is in use.")},
			{name: "create/max_count -5", method: "POST", path: "/v2/server/group", auth: httpKey, body: `{"name":"N","user_id":"{carol}","max_count":-5}`,
				status: 400, want: fail(3, "Group max count must be >= 1 when set.")},

			// Get.
			{name: "get", method: "GET", path: "/v2/server/group/{client}", auth: httpKey, status: 200,
				want: fields{"id": "{client}", "name": "Client", "edge_count": 2, "open": true, "metadata": "{}", "max_count": 100}},
			{name: "get/wrong key", method: "GET", path: "/v2/server/group/{client}", auth: keyQuery("x"), status: 401, want: fail(16, "HTTP key invalid")},
			{name: "get/unknown", method: "GET", path: "/v2/server/group/{unknown}", auth: httpKey, status: 404, want: fail(5, "Group not found.")},
			{name: "runtime", method: "GET", path: "/v2/server/runtime", auth: httpKey, status: 200,
				want: fields{"generation": 0}},
			{name: "runtime/wrong key", method: "GET", path: "/v2/server/runtime", auth: keyQuery("x"), status: 401, want: fail(16, "HTTP key invalid")},
			{name: "get/malformed", method: "GET", path: "/v2/server/group/nope", auth: httpKey, status: 404, want: fail(5, "Group not found.")},

			// Update.
			{name: "update/metadata and max_count", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{"metadata":"{\"roles\":{\"x\":1}}","max_count":"4"}`, status: 200, exact: "{}",
				check: groupHas("client", fields{"metadata": `{"roles":{"x":1}}`, "max_count": 4, "name": "Client", "edge_count": 2})},
			{name: "update/creator", method: "PUT", path: "/v2/server/group/{client}", auth: httpKeyBasic,
				body: `{"creatorId":"{bob}"}`, status: 200, check: groupHas("client", fields{"creator_id": "{bob}"})},
			{name: "update/a client's later update keeps metadata and max_count", method: "PUT", path: "/v2/group/{client}", auth: as("alice"),
				body: `{"name":"Client 2","max_count":50,"metadata":"{}"}`, status: 200, fired: both("UpdateGroup"),
				check: groupHas("client", fields{"name": "Client 2", "metadata": `{"roles":{"x":1}}`, "max_count": 4})},
			{name: "update/no key", method: "PUT", path: "/v2/server/group/{client}", auth: noAuth, body: `{"max_count":5}`,
				status: 401, want: fail(16, "HTTP key required")},
			{name: "update/max_count below the member count", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{"max_count":1}`, status: 400, want: fail(3, "Group max count cannot be below the current member count.")},
			{name: "update/max_count 0", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{"max_count":0}`, status: 400, want: fail(3, "Group max count must be >= 1 when set.")},
			{name: "update/metadata over 16 KB", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: jsonBody(map[string]any{"metadata": metaOver}), status: 400, want: fail(3, "Metadata must be at most 16384 bytes.")},
			{name: "update/metadata not an object", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{"metadata":"\"text\""}`, status: 400, want: fail(3, "Metadata must be a JSON object.")},
			{name: "update/malformed creator", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{"creator_id":"x"}`, status: 400, want: fail(3, "Creator ID must be a valid ID.")},
			{name: "update/nothing", method: "PUT", path: "/v2/server/group/{client}", auth: httpKey,
				body: `{}`, status: 400, want: fail(3, "Specify at least one field to update.")},
			{name: "update/unknown group", method: "PUT", path: "/v2/server/group/{unknown}", auth: httpKey,
				body: `{"max_count":5}`, status: 404, want: fail(5, "Group not found or you're not allowed to update.")},
			{name: "update/malformed group", method: "PUT", path: "/v2/server/group/zz", auth: httpKey,
				body: `{"max_count":5}`, status: 400, want: fail(3, "Group ID must be a valid ID.")},

			// Batch operations as the system.
			{name: "add", method: "POST", path: "/v2/server/group/{server}/add?user_ids={bob}&user_ids={carol}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "alice:0", "bob:2", "carol:2")},
			{name: "add/over capacity: nobody added", method: "POST", path: "/v2/server/group/{server}/add?user_ids={dave}", auth: httpKey,
				status: 400, want: fail(3, "Group is full.")},
			{name: "add/wrong key", method: "POST", path: "/v2/server/group/{server}/add?user_ids={dave}", auth: basic("x"),
				status: 401, want: fail(16, "HTTP key invalid")},
			{name: "add/unknown group", method: "POST", path: "/v2/server/group/{unknown}/add?user_ids={dave}", auth: httpKey,
				status: 404, want: denied},
			{name: "promote", method: "POST", path: "/v2/server/group/{server}/promote?user_ids={bob}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "alice:0", "bob:1", "carol:2")},
			{name: "promote/malformed user", method: "POST", path: "/v2/server/group/{server}/promote?user_ids=bob", auth: httpKey,
				status: 400, want: fail(3, "User ID must be a valid ID.")},
			{name: "promote/to superadmin", method: "POST", path: "/v2/server/group/{server}/promote?user_ids={bob}", auth: httpKey,
				status: 200, check: membersAre("server", "alice:0", "bob:0", "carol:2")},
			{name: "demote", method: "POST", path: "/v2/server/group/{server}/demote?user_ids={alice}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "bob:0", "alice:1", "carol:2")},
			{name: "demote/never the last superadmin", method: "POST", path: "/v2/server/group/{server}/demote?user_ids={bob}", auth: httpKey,
				status: 200, check: membersAre("server", "bob:0", "alice:1", "carol:2")},
			{name: "demote/no user_ids", method: "POST", path: "/v2/server/group/{server}/demote", auth: httpKey,
				status: 400, want: fail(3, "User IDs must be set.")},
			{name: "kick", method: "POST", path: "/v2/server/group/{server}/kick?user_ids={carol}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "bob:0", "alice:1")},
			{name: "kick/never the last superadmin", method: "POST", path: "/v2/server/group/{server}/kick?user_ids={bob}", auth: httpKey,
				status: 200, check: membersAre("server", "bob:0", "alice:1")},
			{name: "kick/no key", method: "POST", path: "/v2/server/group/{server}/kick?user_ids={bob}", auth: noAuth,
				status: 401, want: fail(16, "HTTP key required")},
			{name: "ban", method: "POST", path: "/v2/server/group/{server}/ban?user_ids={alice}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "bob:0", "alice:4")},
			{name: "ban/never the last superadmin", method: "POST", path: "/v2/server/group/{server}/ban?user_ids={bob}", auth: httpKey,
				status: 200, check: membersAre("server", "bob:0", "alice:4")},
			{name: "ban/malformed group", method: "POST", path: "/v2/server/group/x/ban?user_ids={bob}", auth: httpKey,
				status: 400, want: fail(3, "Group ID must be a valid ID.")},
			{name: "unban", method: "POST", path: "/v2/server/group/{server}/unban?user_ids={alice}", auth: httpKey,
				status: 200, exact: "{}", check: membersAre("server", "bob:0")},
			{name: "unban/malformed user", method: "POST", path: "/v2/server/group/{server}/unban?user_ids=1", auth: httpKey,
				status: 400, want: fail(3, "User ID must be a valid ID.")},

			// Delete.
			{name: "delete/wrong key", method: "DELETE", path: "/v2/server/group/{server}", auth: keyQuery("bad"), status: 401, want: fail(16, "HTTP key invalid")},
			{name: "delete/unknown", method: "DELETE", path: "/v2/server/group/{unknown}", auth: httpKey,
				status: 400, want: fail(3, "Group not found or you're not allowed to delete.")},
			{name: "delete", method: "DELETE", path: "/v2/server/group/{server}", auth: httpKey, status: 200, exact: "{}", check: groupGone("server")},
		})
	})
}

func TestNotifications(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("closed", "alice", `{"name":"Closed Club"}`)
		e.must("POST", "/v2/group/{closed}/join", as("bob"), "")
		e.must("POST", "/v2/group/{closed}/join", as("carol"), "")
		e.must("POST", "/v2/group/{closed}/add?user_ids={bob}", as("alice"), "")
		// alice: two -5 (bob, carol); bob: one -4.
		var ids []string
		if err := e.app.DB.Read.Raw("SELECT id FROM notifications WHERE user_id = ? ORDER BY create_time, id", e.ids["alice"]).Scan(&ids).Error; err != nil || len(ids) != 2 {
			t.Fatalf("alice's notifications: %v %v", ids, err)
		}
		e.ids["n1"], e.ids["n2"] = ids[0], ids[1]

		e.run([]scenario{
			{name: "list/no token", method: "GET", path: "/v2/notification", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "list/default limit 1, oldest first", fired: unchecked, method: "GET", path: "/v2/notification", auth: as("alice"), status: 200,
				want: fields{"notifications.#": 1, "notifications.0.id": "{n1}", "notifications.0.code": -5,
					"notifications.0.subject": "User bob wants to join your group", "notifications.0.sender_id": "{bob}",
					"notifications.0.persistent": true, "notifications.0.create_time": isTime, "cacheable_cursor": present},
				check: func(t *testing.T, e *env, r resp) {
					var c map[string]string
					if err := json.Unmarshal([]byte(r.str("notifications.0.content")), &c); err != nil ||
						c["group_id"] != e.ids["closed"] || c["username"] != "bob" {
						t.Errorf("content = %q", r.str("notifications.0.content"))
					}
					next := e.do("GET", "/v2/notification?limit=10&cacheable_cursor="+r.str("cacheable_cursor"), as("alice"), "")
					wantStrings(t, "next page", names(next, "notifications", "id"), e.ids["n2"])
					last := e.do("GET", "/v2/notification?limit=10&cacheable_cursor="+next.str("cacheable_cursor"), as("alice"), "")
					if _, ok := last.body["notifications"]; ok || last.str("cacheable_cursor") != next.str("cacheable_cursor") {
						t.Errorf("past the end: %s, want no notifications and the same cursor", last.raw)
					}
				}},
			{name: "list/the added user's -4", fired: unchecked, method: "GET", path: "/v2/notification?limit=100", auth: as("bob"), status: 200,
				want: fields{"notifications.#": 1, "notifications.0.code": -4, "notifications.0.subject": "You've been added to group Closed Club",
					"notifications.0.sender_id": "{alice}"}},
			{name: "list/none: a cursor, no list", fired: unchecked, method: "GET", path: "/v2/notification", auth: as("carol"), status: 200,
				want: fields{"cacheable_cursor": present}, absent: []string{"notifications"}},
			{name: "list/limit 0", fired: unchecked, method: "GET", path: "/v2/notification?limit=0", auth: as("alice"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "list/limit 101", fired: unchecked, method: "GET", path: "/v2/notification?limit=101", auth: as("alice"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "list/malformed cursor", fired: unchecked, method: "GET", path: "/v2/notification?cacheable_cursor=%21%21", auth: as("alice"),
				status: 400, want: fail(3, "Malformed cursor was used.")},
			{name: "delete/no token", method: "DELETE", path: "/v2/notification?ids={n1}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "delete/malformed id", fired: unchecked, method: "DELETE", path: "/v2/notification?ids=nope", auth: as("alice"),
				status: 400, want: fail(3, "Notification ID must be a valid ID.")},
			{name: "delete/someone else's is left alone", fired: unchecked, method: "DELETE", path: "/v2/notification?ids={n1}", auth: as("bob"),
				status: 200, exact: "{}", check: notified("alice", -5, 2)},
			{name: "delete/none given", fired: unchecked, method: "DELETE", path: "/v2/notification", auth: as("alice"),
				status: 200, exact: "{}", check: notified("alice", -5, 2)},
			{name: "delete/own", fired: unchecked, method: "DELETE", path: "/v2/notification?ids={n1}&ids={unknown}", auth: as("alice"),
				status: 200, exact: "{}", check: notified("alice", -5, 1)},
		})
	})
}

func TestRPC(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		rpcErr := func(code int, msg string) fields { return fields{"code": code, "message": msg, "error": msg} }
		e.run([]scenario{
			{name: "no credential", method: "POST", path: "/v2/rpc/echo", auth: noAuth, body: `"hi"`,
				status: 401, want: rpcErr(16, "Auth token or HTTP key required")},
			{name: "bad session", method: "POST", path: "/v2/rpc/echo", auth: header("Bearer nope"), body: `"hi"`,
				status: 401, want: rpcErr(16, "Auth token invalid")},
			{name: "wrong http key", method: "POST", path: "/v2/rpc/echo", auth: keyQuery("nope"), body: `"hi"`,
				status: 401, want: rpcErr(16, "HTTP key invalid")},
			{name: "wrong Basic key", method: "POST", path: "/v2/rpc/echo", auth: basic("nope"), body: `"hi"`,
				status: 401, want: rpcErr(16, "HTTP key invalid")},
			{name: "session, JSON string body", method: "POST", path: "/v2/rpc/echo", auth: as("alice"), body: `"{\"a\":1}"`,
				status: 200, want: fields{"payload": `{"a":1}`}},
			{name: "ids are case-insensitive", method: "POST", path: "/v2/rpc/ECHO", auth: httpKey, body: `"x"`,
				status: 200, want: fields{"payload": "x"}},
			{name: "caller of a session", method: "POST", path: "/v2/rpc/whoami", auth: as("alice"),
				status: 200, want: fields{"payload": "{alice}"}},
			{name: "caller of the http key (Basic)", method: "POST", path: "/v2/rpc/whoami", auth: httpKeyBasic,
				status: 200, want: fields{"payload": "system"}},
			{name: "GET has no payload; payload still present", method: "GET", path: "/v2/rpc/echo?payload=x", auth: httpKey, status: 200,
				exact: `{"payload":""}`},
			{name: "GET query reaches the function, without http_key", method: "GET", path: "/v2/rpc/query?a=1&a=2", auth: httpKey,
				status: 200, want: fields{"payload": `{"a":["1","2"]}`}},
			{name: "unwrap: the raw body", method: "POST", path: "/v2/rpc/echo?unwrap", auth: as("alice"), body: `{"raw":true}`,
				status: 200, exact: `{"raw":true}`},
			{name: "body not a JSON string", method: "POST", path: "/v2/rpc/echo", auth: as("alice"), body: `{"a":1}`,
				status: 400, want: fields{"code": 3, "message": present}},
			{name: "unknown function", method: "POST", path: "/v2/rpc/nothing", auth: as("alice"),
				status: 404, want: rpcErr(5, "RPC function not found")},
			{name: "GET, unknown function", method: "GET", path: "/v2/rpc/nothing", auth: httpKey,
				status: 404, want: rpcErr(5, "RPC function not found")},
			{name: "GET, wrong http key", method: "GET", path: "/v2/rpc/echo", auth: keyQuery("wrong"),
				status: 401, want: rpcErr(16, "HTTP key invalid")},
			// A function's error: Nakama puts the serialised error object in
			// "error" (usually {}); only code and message are asserted here.
			{name: "coded error", method: "POST", path: "/v2/rpc/refuse", auth: as("alice"),
				status: 403, want: fail(7, "Not for you.")},
			{name: "uncoded error: 500 without the detail", method: "POST", path: "/v2/rpc/crash", auth: as("alice"),
				status: 500, want: fields{"code": 13},
				check: func(t *testing.T, e *env, r resp) {
					if strings.Contains(string(r.raw), "detail") {
						t.Errorf("the error text leaked: %s", r.raw)
					}
				}},
		})
	})
}
