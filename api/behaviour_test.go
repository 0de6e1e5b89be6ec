package api_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
)

// groupTimes reads a group's stored create and update times (microseconds).
func (e *env) groupTimes(t testing.TB, key string) (create, update int64) {
	t.Helper()
	row := struct{ CreateTime, UpdateTime int64 }{}
	if err := e.app.DB.Read.Raw("SELECT create_time, update_time FROM groups WHERE id = ?", e.ids[key]).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row.CreateTime, row.UpdateTime
}

// idsSorted checks that a listing's group ids are in ascending (or descending)
// id order.
func idsSorted(desc bool) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		got := names(r, "groups", "id")
		want := append([]string(nil), got...)
		sort.Strings(want)
		if desc {
			sort.Sort(sort.Reverse(sort.StringSlice(want)))
		}
		if len(got) < 2 {
			t.Fatalf("want several groups, got %q", got)
		}
		wantStrings(t, "group ids", got, want...)
	}
}

// The "Observed black-box behaviour of Nakama 3.40.0" list of the reference,
// bullet by bullet, where HTTP can show it.
func TestObservedBehaviour(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "gina")
		e.group("solo", "alice", `{"name":"Solo","open":true,"max_count":1}`)
		e.group("pair", "alice", `{"name":"Pair","open":true,"max_count":2}`)
		e.group("gate", "alice", `{"name":"Gate","max_count":2}`)
		e.group("gate2", "alice", `{"name":"Gate Two"}`)
		e.group("club", "alice", `{"name":"Club","open":true}`)
		for _, u := range []string{"carol", "dave"} {
			e.must("POST", "/v2/group/{gate}/join", as(u), "")
		}
		e.must("POST", "/v2/group/{gate2}/join", as("erin"), "")
		for _, u := range []string{"bob", "carol", "dave"} {
			e.must("POST", "/v2/group/{club}/join", as(u), "")
		}
		for _, n := range []string{"t1", "t2", "t3", "t4"} {
			e.group(n, "gina", `{"name":"Tie `+n+`","lang_tag":"xx","open":true}`)
		}
		full := fail(3, "Group is full.")
		var createBefore, updateBefore int64

		e.run([]scenario{
			// Unknown (well-formed) ids.
			{name: "unknown group/leave is 200", method: "POST", path: "/v2/group/{unknown}/leave", auth: as("bob"),
				status: 200, exact: "{}", fired: both("LeaveGroup")},
			{name: "unknown group/update is 404", method: "PUT", path: "/v2/group/{unknown}", auth: as("bob"), body: `{"name":"x"}`,
				status: 404, want: fail(5, "Group not found or you're not allowed to update."), fired: refused("UpdateGroup")},
			{name: "unknown group/delete is 400", method: "DELETE", path: "/v2/group/{unknown}", auth: as("bob"),
				status: 400, want: fail(3, "Group not found or you're not allowed to delete."), fired: refused("DeleteGroup")},
			{name: "unknown group/list users is {}", method: "GET", path: "/v2/group/{unknown}/user", auth: as("bob"),
				status: 200, exact: "{}", fired: both("ListGroupUsers")},
			{name: "unknown user/list user groups is {}", method: "GET", path: "/v2/user/{unknown}/group?state=0", auth: as("bob"),
				status: 200, exact: "{}", fired: both("ListUserGroups")},
			{name: "malformed user id/list user groups says Group ID", method: "GET", path: "/v2/user/not-a-user/group", auth: as("bob"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("ListUserGroups")},

			// user_ids.
			{name: "user_ids empty/add no-op", method: "POST", path: "/v2/group/{club}/add", auth: as("alice"), status: 200, exact: "{}", fired: both("AddGroupUsers")},
			{name: "user_ids empty/kick no-op", method: "POST", path: "/v2/group/{club}/kick?", auth: as("alice"), status: 200, exact: "{}", fired: both("KickGroupUsers")},
			{name: "user_ids empty/ban no-op", method: "POST", path: "/v2/group/{club}/ban", auth: as("alice"), status: 200, exact: "{}", fired: both("BanGroupUsers")},
			{name: "user_ids= (one empty id) is malformed", method: "POST", path: "/v2/group/{club}/ban?user_ids=", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("BanGroupUsers")},
			{name: "user_ids empty/promote no-op", method: "POST", path: "/v2/group/{club}/promote", auth: as("alice"), status: 200, exact: "{}", fired: both("PromoteGroupUsers")},
			{name: "user_ids empty/demote is 400", method: "POST", path: "/v2/group/{club}/demote", auth: as("alice"),
				status: 400, want: fail(3, "User IDs must be set."), fired: refused("DemoteGroupUsers")},
			{name: "user_ids/one unknown in an add: nobody added", method: "POST", path: "/v2/group/{club}/add?user_ids={erin}&user_ids={unknown}&user_ids={frank}",
				auth: as("alice"), status: 400, want: fail(3, "One or more users not found."), fired: refused("AddGroupUsers"),
				check: membersAre("club", "alice:0", "bob:2", "carol:2", "dave:2")},

			// Capacity.
			{name: "full/max_count 1 is full at creation", method: "POST", path: "/v2/group/{solo}/join", auth: as("bob"),
				status: 400, want: full, fired: refused("JoinGroup")},
			{name: "full/even the creator's repeat join", method: "POST", path: "/v2/group/{solo}/join", auth: as("alice"),
				status: 400, want: full, fired: refused("JoinGroup")},
			{name: "full/the last seat", method: "POST", path: "/v2/group/{pair}/join", auth: as("bob"),
				status: 200, fired: both("JoinGroup"), check: groupHas("pair", fields{"edge_count": 2, "max_count": 2})},
			{name: "full/a member's repeat join", method: "POST", path: "/v2/group/{pair}/join", auth: as("bob"),
				status: 400, want: full, fired: refused("JoinGroup")},
			{name: "full/accepting a request up to max_count", method: "POST", path: "/v2/group/{gate}/add?user_ids={carol}", auth: as("alice"),
				status: 200, fired: both("AddGroupUsers"), check: membersAre("gate", "alice:0", "carol:2", "dave:3")},
			{name: "full/accepting a request beyond max_count: 400, the request stays", method: "POST", path: "/v2/group/{gate}/add?user_ids={dave}",
				auth: as("alice"), status: 400, want: full, fired: refused("AddGroupUsers"),
				check: checks(membersAre("gate", "alice:0", "carol:2", "dave:3"), groupHas("gate", fields{"edge_count": 2}))},
			{name: "full/a new request to a full closed group", method: "POST", path: "/v2/group/{gate}/join", auth: as("erin"),
				status: 400, want: full, fired: refused("JoinGroup")},
			{name: "full/the requester's update is 404", method: "PUT", path: "/v2/group/{gate}", auth: as("dave"), body: `{"description":"mine"}`,
				status: 404, want: fail(5, "Group not found or you're not allowed to update."), fired: refused("UpdateGroup")},

			// Opening and closing.
			{name: "open/opening a closed group", method: "PUT", path: "/v2/group/{gate2}", auth: as("alice"), body: `{"open":true}`,
				status: 200, fired: both("UpdateGroup"), check: membersAre("gate2", "alice:0", "erin:3")},
			{name: "open/a pending request stays a request on a new join", method: "POST", path: "/v2/group/{gate2}/join", auth: as("erin"),
				status: 200, fired: both("JoinGroup"), check: membersAre("gate2", "alice:0", "erin:3")},
			{name: "open/newcomers join as members", method: "POST", path: "/v2/group/{gate2}/join", auth: as("frank"),
				status: 200, fired: both("JoinGroup"), check: membersAre("gate2", "alice:0", "frank:2", "erin:3")},
			{name: "open/closing keeps members", method: "PUT", path: "/v2/group/{gate2}", auth: as("alice"), body: `{"open":false}`,
				status: 200, fired: both("UpdateGroup"),
				check: checks(membersAre("gate2", "alice:0", "frank:2", "erin:3"), groupHas("gate2", fields{"open": false, "edge_count": 2}))},

			// Promote / demote ignore join requests.
			{name: "requests/promote does not accept", method: "POST", path: "/v2/group/{gate2}/promote?user_ids={erin}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("gate2", "alice:0", "frank:2", "erin:3")},
			{name: "requests/demote leaves it", method: "POST", path: "/v2/group/{gate2}/demote?user_ids={erin}", auth: as("alice"),
				status: 200, fired: both("DemoteGroupUsers"), check: membersAre("gate2", "alice:0", "frank:2", "erin:3")},
			{name: "requests/frank becomes an admin", method: "POST", path: "/v2/group/{gate2}/promote?user_ids={frank}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("gate2", "alice:0", "frank:1", "erin:3")},
			{name: "requests/an admin rejects a request with kick", method: "POST", path: "/v2/group/{gate2}/kick?user_ids={erin}", auth: as("frank"),
				status: 200, fired: both("KickGroupUsers"), check: checks(membersAre("gate2", "alice:0", "frank:1"), groupHas("gate2", fields{"edge_count": 2}))},

			// Superadmins.
			{name: "superadmins/make bob a superadmin", method: "POST", path: "/v2/group/{club}/promote?user_ids={bob}&user_ids={carol}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "carol:1", "dave:2")},
			{name: "superadmins/twice", method: "POST", path: "/v2/group/{club}/promote?user_ids={bob}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "bob:0", "carol:1", "dave:2")},
			{name: "superadmins/a superadmin kicks another", method: "POST", path: "/v2/group/{club}/kick?user_ids={bob}", auth: as("alice"),
				status: 200, fired: both("KickGroupUsers"), check: membersAre("club", "alice:0", "carol:1", "dave:2")},
			{name: "superadmins/again", method: "POST", path: "/v2/group/{club}/promote?user_ids={carol}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "carol:0", "dave:2")},
			{name: "superadmins/a superadmin bans another", method: "POST", path: "/v2/group/{club}/ban?user_ids={alice}", auth: as("carol"),
				status: 200, fired: both("BanGroupUsers"), check: membersAre("club", "carol:0", "dave:2", "alice:4")},
			{name: "superadmins/an admin cannot ban a superadmin", method: "POST", path: "/v2/group/{pair}/promote?user_ids={bob}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("pair", "alice:0", "bob:1")},
			{name: "superadmins/admin's ban skipped", method: "POST", path: "/v2/group/{pair}/ban?user_ids={alice}", auth: as("bob"),
				status: 200, fired: both("BanGroupUsers"), check: membersAre("pair", "alice:0", "bob:1")},
			{name: "superadmins/never the last (system kick)", method: "POST", path: "/v2/server/group/{club}/kick?user_ids={carol}", auth: httpKey,
				status: 200, check: membersAre("club", "carol:0", "dave:2", "alice:4")},
			{name: "superadmins/never the last (system ban)", method: "POST", path: "/v2/server/group/{club}/ban?user_ids={carol}", auth: httpKey,
				status: 200, check: membersAre("club", "carol:0", "dave:2", "alice:4")},
			{name: "superadmins/never the last (own demote skipped)", method: "POST", path: "/v2/group/{club}/demote?user_ids={carol}", auth: as("carol"),
				status: 200, fired: both("DemoteGroupUsers"), check: membersAre("club", "carol:0", "dave:2", "alice:4")},

			// Listings.
			{name: "listing/anyone sees bans under state 4", method: "GET", path: "/v2/group/{club}/user?state=4", auth: as("gina"),
				status: 200, fired: both("ListGroupUsers"), want: fields{"group_users.#": 1, "group_users.0.user.id": "{alice}", "group_users.0.state": 4}},
			{name: "listing/bans are not listed without state", method: "GET", path: "/v2/group/{club}/user", auth: as("gina"),
				status: 200, fired: both("ListGroupUsers"), check: listIs("group_users", "user.username", "carol", "dave")},
			{name: "listing/a banned user's groups never show the ban, even with state 4", method: "GET", path: "/v2/user/{alice}/group?state=4", auth: as("gina"),
				status: 200, exact: "{}", fired: both("ListUserGroups")},
			{name: "listing/join order", method: "POST", path: "/v2/group/{club}/join", auth: as("erin"),
				status: 200, fired: both("JoinGroup"), check: membersAre("club", "carol:0", "dave:2", "erin:2", "alice:4")},
			{name: "listing/leave", method: "POST", path: "/v2/group/{club}/leave", auth: as("dave"),
				status: 200, fired: both("LeaveGroup"), check: membersAre("club", "carol:0", "erin:2", "alice:4")},
			{name: "listing/rejoin goes to the end", method: "POST", path: "/v2/group/{club}/join", auth: as("dave"),
				status: 200, fired: both("JoinGroup"), check: membersAre("club", "carol:0", "erin:2", "dave:2", "alice:4")},
			{name: "listing/promote and demote keep the position", method: "POST", path: "/v2/group/{club}/promote?user_ids={erin}", auth: as("carol"),
				status: 200, fired: both("PromoteGroupUsers"),
				check: func(t *testing.T, e *env, r resp) {
					membersAre("club", "carol:0", "erin:1", "dave:2", "alice:4")(t, e, r)
					e.must("POST", "/v2/group/{club}/demote?user_ids={erin}", as("carol"), "")
					membersAre("club", "carol:0", "erin:2", "dave:2", "alice:4")(t, e, r)
					createBefore, updateBefore = e.groupTimes(t, "club")
				}},
			{name: "listing/a join changes update_time, never create_time", method: "POST", path: "/v2/group/{club}/join", auth: as("frank"),
				status: 200, fired: both("JoinGroup"),
				check: func(t *testing.T, e *env, r resp) {
					c, u := e.groupTimes(t, "club")
					if c != createBefore || u <= updateBefore {
						t.Errorf("create_time %d→%d, update_time %d→%d: want create unchanged, update later", createBefore, c, updateBefore, u)
					}
				}},
			{name: "listing/lang_tag only: equal edge_count by id ascending", method: "GET", path: "/v2/group?lang_tag=xx&limit=10", auth: as("bob"),
				status: 200, fired: both("ListGroups"), want: fields{"groups.#": 4}, check: idsSorted(false)},
			{name: "listing/lang_tag + members: id descending", method: "GET", path: "/v2/group?lang_tag=xx&members=1&limit=10", auth: as("bob"),
				status: 200, fired: both("ListGroups"), want: fields{"groups.#": 4}, check: idsSorted(true)},
			{name: "listing/lang_tag + open: id descending", method: "GET", path: "/v2/group?lang_tag=xx&open=true&limit=10", auth: as("bob"),
				status: 200, fired: both("ListGroups"), want: fields{"groups.#": 4}, check: idsSorted(true)},
			{name: "listing/members only: descending", method: "GET", path: "/v2/group?members=1&limit=100", auth: as("bob"),
				status: 200, fired: both("ListGroups"), check: idsSorted(true)},

			// Update details.
			{name: "update/only max_count", method: "PUT", path: "/v2/group/{club}", auth: as("carol"), body: `{"max_count":10}`,
				status: 400, want: fail(3, "Specify at least one field to update."), fired: refused("UpdateGroup")},
			{name: "update/description and avatar set", method: "PUT", path: "/v2/group/{club}", auth: as("carol"), body: `{"description":"d","avatar_url":"a"}`,
				status: 200, fired: both("UpdateGroup"), check: groupHas("club", fields{"description": "d", "avatar_url": "a"})},
			{name: "update/\"\" clears them", method: "PUT", path: "/v2/group/{club}", auth: as("carol"), body: `{"description":"","avatar_url":""}`,
				status: 200, fired: both("UpdateGroup"), check: groupHas("club", fields{"name": "Club"}, "description", "avatar_url")},
			{name: "update/own name again", method: "PUT", path: "/v2/group/{club}", auth: as("carol"), body: `{"name":"Club"}`,
				status: 200, exact: "{}", fired: both("UpdateGroup")},

			// Nakama bugs not copied.
			{name: "not copied/a multi-user ban bans everyone", method: "POST", path: "/v2/group/{club}/ban?user_ids={erin}&user_ids={dave}&user_ids={frank}", auth: as("carol"),
				status: 200, fired: both("BanGroupUsers"),
				check: checks(membersAre("club", "carol:0", "alice:4", "erin:4", "dave:4", "frank:4"), groupHas("club", fields{"edge_count": 1}))},
			{name: "not copied/usernames are unique case-insensitively", method: "POST", path: "/v2/account/authenticate/device?username=Carol", auth: serverKey,
				body: `{"id":"carol-twin-device"}`, status: 409, want: fail(6, "Username is already in use."), fired: refused("AuthenticateDevice")},
		})
	})
}

// Members leaving while an admin kicks and bans them: Nakama's edge_count
// drifts below the real count; here the counter moves under the group lock.
func TestConcurrentLeaveKickBan(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 18
		names := []string{"boss"}
		for i := 0; i < n; i++ {
			names = append(names, fmt.Sprintf("m%02d", i))
		}
		e.addUsers(names...)
		e.group("g", "boss", `{"name":"Crowd","open":true}`)
		for _, m := range names[1:] {
			e.must("POST", "/v2/group/{g}/join", as(m), "")
		}
		var wg sync.WaitGroup
		statuses := make(chan string, 2*n)
		for i, m := range names[1:] {
			wg.Add(2)
			go func() {
				defer wg.Done()
				r := e.do("POST", "/v2/group/"+e.ids["g"]+"/leave", as(m), "")
				statuses <- fmt.Sprintf("leave %d", r.status)
			}()
			op := "kick"
			if i%2 == 1 {
				op = "ban"
			}
			go func() {
				defer wg.Done()
				r := e.do("POST", "/v2/group/"+e.ids["g"]+"/"+op+"?user_ids="+e.ids[m], as("boss"), "")
				statuses <- fmt.Sprintf("%s %d", op, r.status)
			}()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s[len(s)-3:] != "200" {
				t.Errorf("a concurrent call failed: %s", s)
			}
		}
		e.checkInvariants(t)
		g := e.getGroup(t, "g")
		members := e.sqlInt(t, "SELECT count(*) FROM group_members WHERE group_id = ? AND state <= 2", e.ids["g"])
		if ec, _ := g["edge_count"].(float64); int(ec) != members || members != 1 {
			t.Errorf("edge_count %v, members in states 0-2 %d; want both 1 (only the superadmin stays)", g["edge_count"], members)
		}
	})
}
