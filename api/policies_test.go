package api_test

import (
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// Issue 10: join policies, tags, hidden groups, categories and join request
// messages, through HTTP on both databases.

// eachWith runs fn on a fresh app per database whose configuration mod changes.
func eachWith(t *testing.T, mod func(*server.Config), fn func(t *testing.T, e *env)) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		fn(t, startWith(t, dialect, url, mod))
	})
}

func withCategories(spec string) func(*server.Config) {
	return func(c *server.Config) {
		cats, err := server.ParseCategories(spec)
		if err != nil {
			panic(err)
		}
		c.GroupCategories = cats
	}
}

func TestGroupPolicyFields(t *testing.T) {
	eachWith(t, withCategories("clan=1,guild=3"), func(t *testing.T, e *env) {
		e.addUsers("alice", "bob")
		e.group("plain", "alice", `{"name":"Plain"}`)
		cg := both("CreateGroup")
		ug := both("UpdateGroup")
		contradict := fail(3, "Group open and join_policy contradict each other.")
		e.run([]scenario{
			// Create: open ⇔ join_policy, defaults.
			{name: "create/absent open is request, category group", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"Req"}`, status: 200, fired: cg,
				want:   fields{"open": false, "join_policy": "request", "category": "group"},
				absent: []string{"tag", "hidden"}},
			{name: "create/open true is open", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"Op","open":true}`, status: 200, fired: cg, want: fields{"open": true, "join_policy": "open"}},
			{name: "create/join_policy open alone sets open", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"Op2","join_policy":"open"}`, status: 200, fired: cg, want: fields{"open": true, "join_policy": "open"}},
			{name: "create/every new field", method: "POST", path: "/v2/group", auth: as("alice"),
				body:   `{"name":"Clan","open":false,"join_policy":"invite_only","tag":"AbC1","hidden":true,"category":"clan"}`,
				status: 200, save: "clan", fired: cg,
				want: fields{"open": false, "join_policy": "invite_only", "tag": "AbC1", "hidden": true, "category": "clan"}},
			{name: "create/camelCase joinPolicy", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"Shut","joinPolicy":"closed"}`, status: 200, save: "shut", fired: cg,
				want: fields{"open": false, "join_policy": "closed"}},
			{name: "create/open true contradicts request", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"X1","open":true,"join_policy":"request"}`, status: 400, fired: refused("CreateGroup"), want: contradict},
			{name: "create/open false contradicts open", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"X2","open":false,"join_policy":"open"}`, status: 400, fired: refused("CreateGroup"), want: contradict},
			{name: "create/unknown policy", method: "POST", path: "/v2/group", auth: as("alice"),
				body: `{"name":"X3","join_policy":"maybe"}`, status: 400, fired: refused("CreateGroup"),
				want: fail(3, "Group join_policy must be one of open, request, invite_only, closed.")},
			{name: "create/tag taken case-insensitively", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"X4","tag":"abc1"}`, status: 409, fired: refused("CreateGroup"), want: fail(6, "Group tag is in use.")},
			{name: "create/tag too short", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"X5","tag":"a"}`, status: 400, fired: refused("CreateGroup"), want: fail(3, "Group tag must be 2 to 5 letters or digits.")},
			{name: "create/tag not letters", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"X6","tag":"a-b"}`, status: 400, fired: refused("CreateGroup"), want: fail(3, "Group tag must be 2 to 5 letters or digits.")},
			{name: "create/unknown category", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"X7","category":"raid"}`, status: 400, fired: refused("CreateGroup"), want: fail(3, `Unknown group category "raid".`)},
			{name: "create/server API sets category and policy", method: "POST", path: "/v2/server/group", auth: httpKey,
				body:   `{"name":"Guild","user_id":"{bob}","category":"guild","join_policy":"invite_only","tag":"GLD"}`,
				status: 200, save: "guild", want: fields{"category": "guild", "join_policy": "invite_only", "tag": "GLD", "open": false}},

			// Update.
			{name: "update/open true makes request open", method: "PUT", path: "/v2/group/{plain}", auth: as("alice"),
				body: `{"open":true}`, status: 200, fired: ug, check: groupHas("plain", fields{"open": true, "join_policy": "open"})},
			{name: "update/open false turns open into request", method: "PUT", path: "/v2/group/{plain}", auth: as("alice"),
				body: `{"open":false}`, status: 200, fired: ug, check: groupHas("plain", fields{"open": false, "join_policy": "request"})},
			{name: "update/open false leaves invite_only alone", method: "PUT", path: "/v2/group/{clan}", auth: as("alice"),
				body: `{"open":false}`, status: 200, fired: ug, check: groupHas("clan", fields{"join_policy": "invite_only"})},
			{name: "update/contradiction", method: "PUT", path: "/v2/group/{clan}", auth: as("alice"),
				body: `{"open":true,"join_policy":"closed"}`, status: 400, fired: refused("UpdateGroup"), want: contradict},
			{name: "update/tag taken", method: "PUT", path: "/v2/group/{plain}", auth: as("alice"),
				body: `{"tag":"gld"}`, status: 409, fired: refused("UpdateGroup"), want: fail(6, "Group tag is in use.")},
			{name: "update/join_policy, tag and hidden", method: "PUT", path: "/v2/group/{plain}", auth: as("alice"),
				body: `{"join_policy":"closed","tag":"PLN","hidden":true}`, status: 200, fired: ug,
				check: groupHas("plain", fields{"join_policy": "closed", "open": false, "tag": "PLN", "hidden": true, "category": "group"})},
			{name: "update/empty tag clears it, the tag is free again", method: "PUT", path: "/v2/group/{clan}", auth: as("alice"),
				body: `{"tag":"","hidden":false}`, status: 200, fired: ug,
				check: groupHas("clan", fields{"category": "clan"}, "tag", "hidden")},
			{name: "update/the freed tag is taken by another", method: "PUT", path: "/v2/group/{shut}", auth: as("bob"),
				body: `{"tag":"ABC1"}`, status: 200, fired: ug, check: groupHas("shut", fields{"tag": "ABC1"})},
			{name: "update/category is create-only (ignored)", method: "PUT", path: "/v2/group/{shut}", auth: as("bob"),
				body: `{"category":"clan"}`, status: 400, fired: refused("UpdateGroup"), want: fail(3, "Specify at least one field to update.")},
			{name: "get group shows the fields", method: "GET", path: "/v2/group/{guild}", auth: as("bob"), status: 200, fired: both("GetGroup"),
				want: fields{"group.category": "guild", "group.join_policy": "invite_only", "group.tag": "GLD", "state": 0}},
		})
	})
}

func TestJoinByPolicy(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave")
		e.group("open", "alice", `{"name":"Open","open":true}`)
		e.group("req", "alice", `{"name":"Req","join_policy":"request"}`)
		e.group("inv", "alice", `{"name":"Inv","join_policy":"invite_only"}`)
		e.group("closed", "alice", `{"name":"Closed","join_policy":"closed"}`)
		e.group("hidden", "alice", `{"name":"Hidden","open":true,"hidden":true}`)
		e.must("POST", "/v2/group/{hidden}/join", as("dave"), "")
		jg := both("JoinGroup")
		long := `"` + strings.Repeat("x", 256) + `"`
		e.run([]scenario{
			{name: "open: member", method: "POST", path: "/v2/group/{open}/join", auth: as("bob"), status: 200, fired: jg,
				check: membersAre("open", "alice:0", "bob:2")},
			{name: "request: join request with its message", method: "POST", path: "/v2/group/{req}/join", auth: as("bob"),
				body: `{"message":"let me in <3"}`, status: 200, fired: jg, check: membersAre("req", "alice:0", "bob:3")},
			{name: "request: message shown in the member listing", method: "GET", path: "/v2/group/{req}/user", auth: as("alice"),
				status: 200, fired: both("ListGroupUsers"),
				want:   fields{"group_users.1.user.id": "{bob}", "group_users.1.state": 3, "group_users.1.message": "let me in <3"},
				absent: []string{"group_users.0.message"}},
			{name: "request: no message, none shown", method: "POST", path: "/v2/group/{req}/join", auth: as("carol"), status: 200, fired: jg},
			{name: "request: message too long", method: "POST", path: "/v2/group/{req}/join", auth: as("dave"),
				body: `{"message":` + long + `}`, status: 400, fired: refused("JoinGroup"),
				want: fail(3, "Join request message must be at most 255 characters.")},
			{name: "invite_only refuses", method: "POST", path: "/v2/group/{inv}/join", auth: as("bob"), status: 403, fired: refused("JoinGroup"),
				want: fail(7, "This group accepts new members by invitation only.")},
			{name: "closed refuses", method: "POST", path: "/v2/group/{closed}/join", auth: as("bob"), status: 403, fired: refused("JoinGroup"),
				want: fail(7, "This group is closed to new members.")},
			{name: "accepting the request (add) clears the message", method: "POST", path: "/v2/group/{req}/add?user_ids={bob}",
				auth: as("alice"), status: 200, fired: both("AddGroupUsers"), check: func(t *testing.T, e *env, _ resp) {
					r := e.do("GET", e.expand("/v2/group/{req}/user"), as("alice"), "")
					e.hooks.take()
					e.checkFields(t, r, fields{"group_users.1.state": 2, "group_users.2.state": 3}, []string{"group_users.1.message", "group_users.2.message"})
				}},
			{name: "hidden: never in ListGroups", method: "GET", path: "/v2/group?limit=100", auth: as("dave"), status: 200, fired: both("ListGroups"),
				want: fields{"groups.#": 4}, check: func(t *testing.T, e *env, r resp) {
					for _, g := range r.body["groups"].([]any) {
						if g.(map[string]any)["name"] == "Hidden" {
							t.Errorf("hidden group listed")
						}
					}
				}},
			{name: "hidden: not found by name either", method: "GET", path: "/v2/group?name=Hidden", auth: as("dave"), status: 200,
				fired: both("ListGroups"), absent: []string{"groups"}},
			{name: "hidden: in its member's ListUserGroups", method: "GET", path: "/v2/user/{dave}/group", auth: as("dave"), status: 200,
				fired: both("ListUserGroups"), want: fields{"user_groups.0.group.name": "Hidden", "user_groups.0.group.hidden": true}},
		})
	})
}

// TestCategoryLimit: with clan=1, every way into a second clan is refused
// with 400 code 9 — create, join, add, invitation accept and the server API
// — while the unlimited default category is not counted.
func TestCategoryLimit(t *testing.T) {
	eachWith(t, withCategories("clan=1,party=0"), func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave")
		e.group("c1", "alice", `{"name":"Clan One","category":"clan","open":true}`)
		e.group("c2", "bob", `{"name":"Clan Two","category":"clan","join_policy":"invite_only"}`)
		e.group("p1", "alice", `{"name":"Party","category":"party","open":true}`)
		e.group("g1", "alice", `{"name":"Plain","open":true}`)
		e.must("POST", "/v2/group/{c1}/join", as("carol"), "")
		r := e.must("POST", "/v2/group/{c2}/invite", as("bob"), `{"user_ids":["{carol}","{dave}"]}`)
		e.ids["i-carol"], e.ids["i-dave"] = r.str("invitations.0.id"), r.str("invitations.1.id")
		limit := fail(9, `User is already in the maximum number of groups of category "clan".`)
		e.run([]scenario{
			{name: "create a second clan", method: "POST", path: "/v2/group", auth: as("alice"), body: `{"name":"Clan Three","category":"clan"}`,
				status: 400, fired: refused("CreateGroup"), want: limit},
			{name: "server API create for the owner", method: "POST", path: "/v2/server/group", auth: httpKey,
				body: `{"name":"Clan Four","category":"clan","user_id":"{alice}"}`, status: 400, want: limit},
			{name: "join a second clan", method: "POST", path: "/v2/group/{c2}/join", auth: as("alice"), status: 403,
				fired: refused("JoinGroup"), want: fail(7, "This group accepts new members by invitation only.")},
			{name: "add to a second clan", method: "POST", path: "/v2/group/{c2}/add?user_ids={alice}", auth: as("bob"), status: 400,
				fired: refused("AddGroupUsers"), want: limit},
			{name: "server API add", method: "POST", path: "/v2/server/group/{c2}/add?user_ids={alice}", auth: httpKey, status: 400, want: limit},
			{name: "accept an invitation to a second clan", method: "POST", path: "/v2/invitation/{i-carol}/accept", auth: as("carol"),
				status: 400, fired: refused("AcceptInvitation"), want: limit},
			{name: "a user in no clan accepts", method: "POST", path: "/v2/invitation/{i-dave}/accept", auth: as("dave"), status: 200,
				fired: both("AcceptInvitation")},
			{name: "join an open clan when in one", method: "POST", path: "/v2/group/{c1}/join", auth: as("dave"), status: 400,
				fired: refused("JoinGroup"), want: limit},
			{name: "unlimited categories are not counted", method: "POST", path: "/v2/group/{p1}/join", auth: as("dave"), status: 200,
				fired: both("JoinGroup")},
			{name: "the default category is unlimited", method: "POST", path: "/v2/group/{g1}/join", auth: as("dave"), status: 200,
				fired: both("JoinGroup")},
			{name: "after leaving, a clan is free again", method: "POST", path: "/v2/group/{c1}/leave", auth: as("carol"), status: 200,
				fired: both("LeaveGroup"), check: func(t *testing.T, e *env, _ resp) {
					if r := e.do("POST", e.expand("/v2/invitation/{i-carol}/accept"), as("carol"), ""); r.status != 200 {
						t.Errorf("accept after leaving: %d %s", r.status, r.raw)
					}
					e.hooks.take()
				}},
		})
	})
}

// TestGroupsDisabled: --groups.enabled=false answers every group route 403
// code 7 before decoding or hooks; authentication, account and RPCs work.
func TestGroupsDisabled(t *testing.T) {
	eachWith(t, func(c *server.Config) { c.GroupsEnabled = false }, func(t *testing.T, e *env) {
		e.addUsers("alice")
		off := fail(7, "Groups are disabled.")
		rows := []scenario{
			{name: "account works", method: "GET", path: "/v2/account", auth: as("alice"), status: 200, fired: unchecked},
			{name: "rpc works", method: "POST", path: "/v2/rpc/Echo?http_key=" + "test-http-key&unwrap", body: `{"a":1}`, status: 200, fired: unchecked},
		}
		for _, r := range []struct{ method, path string }{
			{"POST", "/v2/group"}, {"GET", "/v2/group"}, {"GET", "/v2/group/{unknown}"}, {"PUT", "/v2/group/{unknown}"},
			{"DELETE", "/v2/group/{unknown}"}, {"POST", "/v2/group/{unknown}/join"}, {"POST", "/v2/group/{unknown}/leave"},
			{"POST", "/v2/group/{unknown}/add"}, {"GET", "/v2/group/{unknown}/user"}, {"GET", "/v2/user/{alice}/group"},
			{"POST", "/v2/group/{unknown}/invite"}, {"GET", "/v2/invitation"}, {"GET", "/v2/group/{unknown}/invitation"},
			{"POST", "/v2/invitation/{unknown}/accept"}, {"POST", "/v2/invitation/{unknown}/decline"}, {"DELETE", "/v2/invitation/{unknown}"},
		} {
			rows = append(rows, scenario{name: r.method + " " + r.path, method: r.method, path: r.path, auth: as("alice"),
				body: `{"name":"x"}`, status: 403, want: off})
		}
		for _, r := range []struct{ method, path string }{
			{"POST", "/v2/server/group"}, {"GET", "/v2/server/group/{unknown}"}, {"POST", "/v2/server/group/{unknown}/invite"},
			{"DELETE", "/v2/server/invitation/{unknown}"},
		} {
			rows = append(rows, scenario{name: "server " + r.method + " " + r.path, method: r.method, path: r.path, auth: httpKey,
				body: `{"name":"x"}`, status: 403, want: off})
		}
		e.run(rows)
	})
}
