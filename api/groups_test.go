package api_test

import (
	"testing"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

func TestGroupCreateUpdateDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("minimal", "alice", `{"name":"Minimal"}`)
		notAllowedUpdate := fail(errs.CodeNotFound, "Group not found or you're not allowed to update.")
		notAllowedDelete := fail(errs.CodeInvalidArgument, "Group not found or you're not allowed to delete.")

		e.run([]scenario{
			// Create.
			{name: "create/no token", method: "POST", path: "/v2/group", auth: noAuth, body: `{"name":"Heroes"}`,
				status: 401, want: fail(16, "Auth token required")},
			{name: "create/every field", method: "POST", path: "/v2/group", auth: as("alice"),
				body:   `{"name":"Heroes","description":"We fight","lang_tag":"fr","avatar_url":"https://a/h.png","open":true,"max_count":10}`,
				status: 200, save: "heroes", fired: both("CreateGroup"),
				want: fields{
					"id": isUUID, "creator_id": "{alice}", "name": "Heroes", "description": "We fight", "lang_tag": "fr",
					"metadata": "{}", "avatar_url": "https://a/h.png", "open": true, "edge_count": 1, "max_count": 10,
					"create_time": isTime, "update_time": isTime,
				},
				check: membersAre("heroes", "alice:0")},
			{name: "create/defaults: closed, en, 100, zero values omitted", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"Defaults"}`, status: 200, save: "defaults", fired: both("CreateGroup"),
				want:   fields{"open": false, "lang_tag": "en", "max_count": 100, "edge_count": 1, "metadata": "{}", "creator_id": "{bob}"},
				absent: []string{"description", "avatar_url"}},
			{name: "create/max_count 0 means 100", method: "POST", path: "/v2/group", auth: as("bob"),
				body: `{"name":"Zero","max_count":0}`, status: 200, fired: both("CreateGroup"), want: fields{"max_count": 100}},
			{name: "create/camelCase keys and int32 as a string", method: "POST", path: "/v2/group", auth: as("carol"),
				body:   `{"name":"Camel","langTag":"de","maxCount":"7","avatarUrl":"u"}`,
				status: 200, save: "camel", fired: both("CreateGroup"),
				want: fields{"lang_tag": "de", "max_count": 7, "avatar_url": "u"}},
			{name: "create/client cannot set metadata, creator, counts; unknown keys ignored", method: "POST", path: "/v2/group", auth: as("carol"),
				body:   `{"name":"Sneaky","metadata":"{\"admin\":true}","creator_id":"{bob}","edge_count":50,"id":"{heroes}","whatever":{"x":[1]}}`,
				status: 200, save: "sneaky", fired: both("CreateGroup"),
				want: fields{"metadata": "{}", "creator_id": "{carol}", "edge_count": 1, "id": isUUID},
				check: func(t *testing.T, e *env, r resp) {
					if r.str("id") == e.ids["heroes"] {
						t.Errorf("the client chose the group id")
					}
				}},
			{name: "create/null fields are unset", method: "POST", path: "/v2/group", auth: as("carol"),
				body: `{"name":"Nulls","description":null,"open":null,"max_count":null}`, status: 200, fired: both("CreateGroup"),
				want: fields{"open": false, "max_count": 100}, absent: []string{"description"}},
			{name: "create/no name", method: "POST", path: "/v2/group", auth: as("alice"), body: `{"description":"x"}`,
				status: 400, want: fail(3, "Group name must be set."), fired: refused("CreateGroup")},
			{name: "create/empty body", method: "POST", path: "/v2/group", auth: as("alice"),
				status: 400, want: fail(3, "Group name must be set."), fired: refused("CreateGroup")},
			{name: "create/name taken", method: "POST", path: "/v2/group", auth: as("bob"), body: `{"name":"Heroes"}`,
				status: 409, want: fail(6, "Group name is in use."), fired: refused("CreateGroup")},
			{name: "create/negative max_count", method: "POST", path: "/v2/group", auth: as("alice"), body: `{"name":"Neg","max_count":-1}`,
				status: 400, want: fail(3, "Group max count must be >= 1 when set."), fired: refused("CreateGroup")},
			{name: "create/refused by a before hook", method: "POST", path: "/v2/group", auth: as("alice"), body: `{"name":"Hooked"}`,
				reject: "CreateGroup", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("CreateGroup")},

			// Update.
			{name: "update/no token", method: "PUT", path: "/v2/group/{heroes}", auth: noAuth, body: `{"name":"X"}`,
				status: 401, want: fail(16, "Auth token required")},
			{name: "update/not a member", method: "PUT", path: "/v2/group/{heroes}", auth: as("bob"), body: `{"name":"Bob's"}`,
				status: 404, want: notAllowedUpdate, fired: refused("UpdateGroup")},
			{name: "update/unknown group", method: "PUT", path: "/v2/group/{unknown}", auth: as("alice"), body: `{"name":"X"}`,
				status: 404, want: notAllowedUpdate, fired: refused("UpdateGroup")},
			{name: "update/malformed group id", method: "PUT", path: "/v2/group/not-a-uuid", auth: as("alice"), body: `{"name":"X"}`,
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("UpdateGroup")},
			{name: "update/nothing to change", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"), body: `{}`,
				status: 400, want: fail(3, "Specify at least one field to update."), fired: refused("UpdateGroup")},
			{name: "update/only server fields (ignored for clients)", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"),
				body:   `{"max_count":50,"metadata":"{\"a\":1}","creator_id":"{bob}"}`,
				status: 400, want: fail(3, "Specify at least one field to update."), fired: refused("UpdateGroup")},
			{name: "update/empty name", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"), body: `{"name":""}`,
				status: 400, want: fail(3, "Group name cannot be empty."), fired: refused("UpdateGroup")},
			{name: "update/empty lang_tag", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"), body: `{"langTag":""}`,
				status: 400, want: fail(3, "Group language cannot be empty."), fired: refused("UpdateGroup")},
			{name: "update/name taken", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"), body: `{"name":"Minimal"}`,
				status: 400, want: fail(3, "Group name is in use."), fired: refused("UpdateGroup")},
			{name: "update/refused by a before hook", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"), body: `{"name":"Hook"}`,
				reject: "UpdateGroup", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("UpdateGroup")},
			{name: "update/by the superadmin", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"),
				body:   `{"name":"Heroes II","description":"","avatar_url":"","lang_tag":"es","open":false,"max_count":3,"metadata":"{\"a\":1}"}`,
				status: 200, exact: "{}", fired: both("UpdateGroup"),
				check: groupHas("heroes", fields{
					"name": "Heroes II", "lang_tag": "es", "open": false, "max_count": 10, "metadata": "{}",
					"creator_id": "{alice}", "edge_count": 1,
				}, "description", "avatar_url")},
			{name: "update/the body's group_id is overridden by the path", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"),
				body: `{"group_id":"{minimal}","groupId":"{minimal}","description":"path wins"}`, status: 200, exact: "{}", fired: both("UpdateGroup"),
				check: checks(
					groupHas("heroes", fields{"description": "path wins"}),
					groupHas("minimal", fields{"name": "Minimal"}, "description"))},
			{name: "update/identical values", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"),
				body: `{"name":"Heroes II","lang_tag":"es"}`, status: 200, exact: "{}", fired: both("UpdateGroup")},
			{name: "update/camelCase and open", method: "PUT", path: "/v2/group/{heroes}", auth: as("alice"),
				body: `{"avatarUrl":"https://x","langTag":"it","open":true}`, status: 200, fired: both("UpdateGroup"),
				check: groupHas("heroes", fields{"avatar_url": "https://x", "lang_tag": "it", "open": true})},

			// Delete.
			{name: "delete/no token", method: "DELETE", path: "/v2/group/{heroes}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "delete/not a member", method: "DELETE", path: "/v2/group/{heroes}", auth: as("bob"),
				status: 400, want: notAllowedDelete, fired: refused("DeleteGroup")},
			{name: "delete/unknown group", method: "DELETE", path: "/v2/group/{unknown}", auth: as("alice"),
				status: 400, want: notAllowedDelete, fired: refused("DeleteGroup")},
			{name: "delete/malformed group id", method: "DELETE", path: "/v2/group/1234", auth: as("alice"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("DeleteGroup")},
			{name: "delete/refused by a before hook", method: "DELETE", path: "/v2/group/{heroes}", auth: as("alice"),
				reject: "DeleteGroup", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("DeleteGroup")},
			{name: "delete/by the superadmin", method: "DELETE", path: "/v2/group/{heroes}", auth: as("alice"),
				status: 200, exact: "{}", fired: both("DeleteGroup"), check: groupGone("heroes")},
			{name: "delete/again", method: "DELETE", path: "/v2/group/{heroes}", auth: as("alice"),
				status: 400, want: notAllowedDelete, fired: refused("DeleteGroup")},
			{name: "delete/the name is free at once", method: "POST", path: "/v2/group", auth: as("bob"), body: `{"name":"Heroes II"}`,
				status: 200, fired: both("CreateGroup"), want: fields{"creator_id": "{bob}"}},
		})
	})
}

func TestMembership(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "outsider")
		e.group("club", "alice", `{"name":"Club","open":true}`)
		e.group("closed", "alice", `{"name":"Closed"}`)
		denied := fail(errs.CodeNotFound, "Group not found or permission denied.")

		e.run([]scenario{
			// Join.
			{name: "join/no token", method: "POST", path: "/v2/group/{club}/join", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "join/open group", method: "POST", path: "/v2/group/{club}/join", auth: as("bob"),
				status: 200, exact: "{}", fired: both("JoinGroup"),
				check: checks(membersAre("club", "alice:0", "bob:2"), groupHas("club", fields{"edge_count": 2}))},
			{name: "join/again is a no-op", method: "POST", path: "/v2/group/{club}/join", auth: as("bob"), body: `{"ignored":true}`,
				status: 200, exact: "{}", fired: both("JoinGroup"),
				check: checks(membersAre("club", "alice:0", "bob:2"), groupHas("club", fields{"edge_count": 2}))},
			{name: "join/unknown group", method: "POST", path: "/v2/group/{unknown}/join", auth: as("bob"),
				status: 404, want: fail(5, "Group not found."), fired: refused("JoinGroup")},
			{name: "join/malformed group id", method: "POST", path: "/v2/group/xyz/join", auth: as("bob"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("JoinGroup")},
			{name: "join/refused by a before hook", method: "POST", path: "/v2/group/{club}/join", auth: as("carol"),
				reject: "JoinGroup", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("JoinGroup")},
			{name: "join/closed group files a request", method: "POST", path: "/v2/group/{closed}/join", auth: as("carol"),
				status: 200, exact: "{}", fired: both("JoinGroup"),
				check: checks(membersAre("closed", "alice:0", "carol:3"), groupHas("closed", fields{"edge_count": 1}),
					notified("alice", groups.NotifyGroupJoinRequest, 1))},
			{name: "join/closed again: no new request, no new notification", method: "POST", path: "/v2/group/{closed}/join", auth: as("carol"),
				status: 200, exact: "{}", fired: both("JoinGroup"),
				check: checks(membersAre("closed", "alice:0", "carol:3"), notified("alice", groups.NotifyGroupJoinRequest, 1))},

			// Add.
			{name: "add/no token", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "add/by a member", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}", auth: as("bob"),
				status: 404, want: denied, fired: refused("AddGroupUsers")},
			{name: "add/by a non-member", method: "POST", path: "/v2/group/{closed}/add?user_ids={dave}", auth: as("bob"),
				status: 404, want: denied, fired: refused("AddGroupUsers")},
			{name: "add/unknown group", method: "POST", path: "/v2/group/{unknown}/add?user_ids={dave}", auth: as("alice"),
				status: 404, want: denied, fired: refused("AddGroupUsers")},
			{name: "add/one unknown user: nobody added", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}&user_ids={unknown}", auth: as("alice"),
				status: 400, want: fail(3, "One or more users not found."), fired: refused("AddGroupUsers")},
			{name: "add/malformed user id", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}&user_ids=nope", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("AddGroupUsers")},
			{name: "add/malformed group id", method: "POST", path: "/v2/group/nope/add?user_ids={dave}", auth: as("alice"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("AddGroupUsers")},
			{name: "add/no user_ids is a no-op", method: "POST", path: "/v2/group/{club}/add", auth: as("alice"),
				status: 200, exact: "{}", fired: both("AddGroupUsers"), check: membersAre("club", "alice:0", "bob:2")},
			{name: "add/refused by a before hook", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}", auth: as("alice"),
				reject: "AddGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("AddGroupUsers")},
			{name: "add/accepts a join request", method: "POST", path: "/v2/group/{closed}/add?user_ids={carol}", auth: as("alice"),
				status: 200, exact: "{}", fired: both("AddGroupUsers"),
				check: checks(membersAre("closed", "alice:0", "carol:2"), groupHas("closed", fields{"edge_count": 2}),
					notified("carol", groups.NotifyGroupAdd, 1))},
			{name: "add/two users (repeated and camelCase key, duplicates and self skipped)", method: "POST",
				path: "/v2/group/{club}/add?userIds={dave}&userIds={erin}&userIds={dave}&userIds={alice}", auth: as("alice"),
				status: 200, exact: "{}", fired: both("AddGroupUsers"),
				check: checks(membersAre("club", "alice:0", "bob:2", "dave:2", "erin:2"), groupHas("club", fields{"edge_count": 4}),
					notified("dave", groups.NotifyGroupAdd, 1))},
			{name: "add/existing members are left alone", method: "POST", path: "/v2/group/{club}/add?user_ids={bob}", auth: as("alice"),
				status: 200, fired: both("AddGroupUsers"), check: checks(membersAre("club", "alice:0", "bob:2", "dave:2", "erin:2"),
					notified("bob", groups.NotifyGroupAdd, 0))},

			// Promote.
			{name: "promote/no token", method: "POST", path: "/v2/group/{club}/promote?user_ids={bob}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "promote/by a member", method: "POST", path: "/v2/group/{club}/promote?user_ids={dave}", auth: as("bob"),
				status: 404, want: denied, fired: refused("PromoteGroupUsers")},
			{name: "promote/malformed user id", method: "POST", path: "/v2/group/{club}/promote?user_ids=x", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("PromoteGroupUsers")},
			{name: "promote/no user_ids is a no-op", method: "POST", path: "/v2/group/{club}/promote", auth: as("alice"),
				status: 200, exact: "{}", fired: both("PromoteGroupUsers")},
			{name: "promote/member to admin", method: "POST", path: "/v2/group/{club}/promote?user_ids={bob}", auth: as("alice"),
				status: 200, exact: "{}", fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:2", "erin:2")},
			{name: "promote/an admin promotes a member", method: "POST", path: "/v2/group/{club}/promote?user_ids={dave}", auth: as("bob"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:1", "erin:2")},
			{name: "promote/an admin cannot make a superadmin", method: "POST", path: "/v2/group/{club}/promote?user_ids={dave}", auth: as("bob"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:1", "erin:2")},
			{name: "promote/superadmin makes a superadmin", method: "POST", path: "/v2/group/{club}/promote?user_ids={dave}", auth: as("alice"),
				status: 200, fired: both("PromoteGroupUsers"), check: membersAre("club", "alice:0", "dave:0", "bob:1", "erin:2")},
			{name: "promote/refused by a before hook", method: "POST", path: "/v2/group/{club}/promote?user_ids={erin}", auth: as("alice"),
				reject: "PromoteGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("PromoteGroupUsers")},

			// Demote.
			{name: "demote/no token", method: "POST", path: "/v2/group/{club}/demote?user_ids={dave}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "demote/no user_ids", method: "POST", path: "/v2/group/{club}/demote", auth: as("alice"),
				status: 400, want: fail(3, "User IDs must be set."), fired: refused("DemoteGroupUsers")},
			{name: "demote/by a member", method: "POST", path: "/v2/group/{club}/demote?user_ids={bob}", auth: as("erin"),
				status: 404, want: denied, fired: refused("DemoteGroupUsers")},
			{name: "demote/an admin cannot demote a superadmin", method: "POST", path: "/v2/group/{club}/demote?user_ids={dave}", auth: as("bob"),
				status: 200, exact: "{}", fired: both("DemoteGroupUsers"), check: membersAre("club", "alice:0", "dave:0", "bob:1", "erin:2")},
			{name: "demote/superadmin to admin", method: "POST", path: "/v2/group/{club}/demote?user_ids={dave}", auth: as("alice"),
				status: 200, fired: both("DemoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:1", "erin:2")},
			{name: "demote/an admin demotes an admin", method: "POST", path: "/v2/group/{club}/demote?user_ids={dave}", auth: as("bob"),
				status: 200, fired: both("DemoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:2", "erin:2")},
			{name: "demote/a member stays a member", method: "POST", path: "/v2/group/{club}/demote?user_ids={dave}", auth: as("alice"),
				status: 200, fired: both("DemoteGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:2", "erin:2")},
			{name: "demote/refused by a before hook", method: "POST", path: "/v2/group/{club}/demote?user_ids={bob}", auth: as("alice"),
				reject: "DemoteGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("DemoteGroupUsers")},

			// Kick.
			{name: "kick/no token", method: "POST", path: "/v2/group/{club}/kick?user_ids={erin}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "kick/by a member", method: "POST", path: "/v2/group/{club}/kick?user_ids={dave}", auth: as("erin"),
				status: 404, want: denied, fired: refused("KickGroupUsers")},
			{name: "kick/malformed user id", method: "POST", path: "/v2/group/{club}/kick?user_ids={dave}&user_ids=%20", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("KickGroupUsers")},
			{name: "kick/no user_ids is a no-op", method: "POST", path: "/v2/group/{club}/kick", auth: as("alice"),
				status: 200, exact: "{}", fired: both("KickGroupUsers")},
			{name: "kick/an admin cannot kick the superadmin", method: "POST", path: "/v2/group/{club}/kick?user_ids={alice}", auth: as("bob"),
				status: 200, fired: both("KickGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:2", "erin:2")},
			{name: "kick/refused by a before hook", method: "POST", path: "/v2/group/{club}/kick?user_ids={erin}", auth: as("alice"),
				reject: "KickGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("KickGroupUsers")},
			{name: "kick/an admin kicks a member", method: "POST", path: "/v2/group/{club}/kick?user_ids={erin}", auth: as("bob"),
				status: 200, exact: "{}", fired: both("KickGroupUsers"),
				check: checks(membersAre("club", "alice:0", "bob:1", "dave:2"), groupHas("club", fields{"edge_count": 3}))},
			{name: "kick/a user without a row is skipped", method: "POST", path: "/v2/group/{club}/kick?user_ids={outsider}", auth: as("alice"),
				status: 200, fired: both("KickGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:2")},

			// Ban.
			{name: "ban/no token", method: "POST", path: "/v2/group/{club}/ban?user_ids={dave}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "ban/by a member", method: "POST", path: "/v2/group/{club}/ban?user_ids={bob}", auth: as("dave"),
				status: 404, want: denied, fired: refused("BanGroupUsers")},
			{name: "ban/malformed user id", method: "POST", path: "/v2/group/{club}/ban?user_ids=1", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("BanGroupUsers")},
			{name: "ban/no user_ids is a no-op", method: "POST", path: "/v2/group/{club}/ban", auth: as("alice"),
				status: 200, exact: "{}", fired: both("BanGroupUsers")},
			{name: "ban/refused by a before hook", method: "POST", path: "/v2/group/{club}/ban?user_ids={dave}", auth: as("alice"),
				reject: "BanGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("BanGroupUsers")},
			{name: "ban/an admin bans a member", method: "POST", path: "/v2/group/{club}/ban?user_ids={dave}", auth: as("bob"),
				status: 200, exact: "{}", fired: both("BanGroupUsers"),
				check: checks(membersAre("club", "alice:0", "bob:1", "dave:4"), groupHas("club", fields{"edge_count": 2}))},
			{name: "ban/cannot pre-ban a user without a row", method: "POST", path: "/v2/group/{club}/ban?user_ids={outsider}", auth: as("alice"),
				status: 200, fired: both("BanGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:4")},
			{name: "ban/a banned user's join is a no-op", method: "POST", path: "/v2/group/{club}/join", auth: as("dave"),
				status: 200, fired: both("JoinGroup"), check: membersAre("club", "alice:0", "bob:1", "dave:4")},
			{name: "ban/a banned user cannot be re-added", method: "POST", path: "/v2/group/{club}/add?user_ids={dave}", auth: as("alice"),
				status: 200, fired: both("AddGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:4")},
			{name: "ban/a banned user's leave keeps the ban", method: "POST", path: "/v2/group/{club}/leave", auth: as("dave"),
				status: 200, fired: both("LeaveGroup"), check: membersAre("club", "alice:0", "bob:1", "dave:4")},

			// Unban (Guildhall's own route).
			{name: "unban/no token", method: "POST", path: "/v2/group/{club}/unban?user_ids={dave}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "unban/by a non-member", method: "POST", path: "/v2/group/{club}/unban?user_ids={dave}", auth: as("erin"),
				status: 404, want: denied, fired: refused("UnbanGroupUsers")},
			{name: "unban/malformed user id", method: "POST", path: "/v2/group/{club}/unban?user_ids=abc", auth: as("alice"),
				status: 400, want: fail(3, "User ID must be a valid ID."), fired: refused("UnbanGroupUsers")},
			{name: "unban/refused by a before hook", method: "POST", path: "/v2/group/{club}/unban?user_ids={dave}", auth: as("alice"),
				reject: "UnbanGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("UnbanGroupUsers")},
			{name: "unban/a member is not affected", method: "POST", path: "/v2/group/{club}/unban?user_ids={bob}", auth: as("alice"),
				status: 200, fired: both("UnbanGroupUsers"), check: membersAre("club", "alice:0", "bob:1", "dave:4")},
			{name: "unban/an admin lifts a ban", method: "POST", path: "/v2/group/{club}/unban?user_ids={dave}", auth: as("bob"),
				status: 200, exact: "{}", fired: both("UnbanGroupUsers"), check: membersAre("club", "alice:0", "bob:1")},
			{name: "unban/then the user may join again", method: "POST", path: "/v2/group/{club}/join", auth: as("dave"),
				status: 200, fired: both("JoinGroup"), check: membersAre("club", "alice:0", "bob:1", "dave:2")},

			// Leave.
			{name: "leave/no token", method: "POST", path: "/v2/group/{club}/leave", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "leave/malformed group id", method: "POST", path: "/v2/group/0/leave", auth: as("bob"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("LeaveGroup")},
			{name: "leave/refused by a before hook", method: "POST", path: "/v2/group/{club}/leave", auth: as("bob"),
				reject: "LeaveGroup", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("LeaveGroup")},
			{name: "leave/the last superadmin with members", method: "POST", path: "/v2/group/{club}/leave", auth: as("alice"),
				status: 400, want: fail(3, "Cannot leave group when you are the last superadmin."), fired: refused("LeaveGroup")},
			{name: "leave/an admin", method: "POST", path: "/v2/group/{club}/leave", auth: as("bob"),
				status: 200, exact: "{}", fired: both("LeaveGroup"),
				check: checks(membersAre("club", "alice:0", "dave:2"), groupHas("club", fields{"edge_count": 2}))},
			{name: "leave/not a member is a no-op", method: "POST", path: "/v2/group/{club}/leave", auth: as("outsider"),
				status: 200, exact: "{}", fired: both("LeaveGroup"), check: membersAre("club", "alice:0", "dave:2")},
			{name: "leave/withdraw a join request", method: "POST", path: "/v2/group/{closed}/join", auth: as("frank"),
				status: 200, fired: both("JoinGroup"), check: membersAre("closed", "alice:0", "carol:2", "frank:3")},
			{name: "leave/withdrawn", method: "POST", path: "/v2/group/{closed}/leave", auth: as("frank"),
				status: 200, fired: both("LeaveGroup"), check: checks(membersAre("closed", "alice:0", "carol:2"), groupHas("closed", fields{"edge_count": 2}))},
			{name: "leave/a member", method: "POST", path: "/v2/group/{club}/leave", auth: as("dave"),
				status: 200, fired: both("LeaveGroup"), check: membersAre("club", "alice:0")},
			{name: "leave/the last member deletes the group", method: "POST", path: "/v2/group/{club}/leave", auth: as("alice"),
				status: 200, exact: "{}", fired: both("LeaveGroup"), check: groupGone("club")},
		})
	})
}
