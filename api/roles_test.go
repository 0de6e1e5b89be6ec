package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// rolesAre checks the custom role each listed member holds ("name:role",
// "name:" for none), in listing order (states 0-3).
func rolesAre(key string, want ...string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		r := e.do("GET", "/v2/group/"+e.ids[key]+"/user", as(e.anyUser()), "")
		e.hooks.take()
		if r.status != 200 {
			t.Fatalf("list members: %d %s", r.status, r.raw)
		}
		var got []string
		list, _ := r.body["group_users"].([]any)
		for _, it := range list {
			id, _ := lookup(it, "user.id")
			name, _ := lookup(it, "role.name")
			s, _ := name.(string)
			got = append(got, e.nameOf(id.(string))+":"+s)
		}
		wantStrings(t, key+" roles", got, want...)
	}
}

func TestRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "gina", "hal")
		e.group("g", "alice", `{"name":"Guild","open":true}`)
		e.must("POST", "/v2/group/{g}/add?user_ids={bob}&user_ids={carol}&user_ids={dave}&user_ids={erin}&user_ids={frank}&user_ids={hal}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/promote?user_ids={bob}", as("alice"), "")
		denied := fail(5, "Group not found or permission denied.")
		create := both("CreateGroupRole")
		e.run([]scenario{
			// Create: superadmins only by default (admins lack manage_roles).
			{name: "create/no token", method: "POST", path: "/v2/group/{g}/role", auth: noAuth,
				body: `{"name":"Officer","rank":150,"permissions":["kick"]}`, status: 401, want: fail(16, "Auth token required")},
			{name: "create/an admin lacks manage_roles", method: "POST", path: "/v2/group/{g}/role", auth: as("bob"),
				body: `{"name":"Officer","rank":150,"permissions":["kick"]}`, status: 404, fired: refused("CreateGroupRole"), want: denied},
			{name: "create/unknown permission is named", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"Officer","rank":150,"permissions":["kick","fly"]}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, `Unknown permission "fly": permissions are update, invite, add, kick, ban, unban, promote, demote, manage_roles, attributes.`)},
			{name: "create/rank 300", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"Officer","rank":300,"permissions":["kick"]}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, "Role rank 300 is out of range: ranks are 101 to 299.")},
			{name: "create/rank 100", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"Officer","rank":100}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, "Role rank 100 is out of range: ranks are 101 to 299.")},
			{name: "create/no name", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"rank":150}`, status: 400, fired: refused("CreateGroupRole"), want: fail(3, "Role name must be set.")},
			{name: "create/name of 33 characters", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"` + strings.Repeat("é", 33) + `","rank":150}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, "Role name must be at most 32 characters.")},
			{name: "create/permissions not a list", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"Officer","rank":150,"permissions":"kick"}`, status: 400,
				want: fail(3, `Invalid value for field "permissions": expected an array of strings.`)},
			{name: "create/officer", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"Officer","rank":150,"permissions":["kick","invite","kick"]}`, status: 200, fired: create,
				want: fields{"id": isUUID, "group_id": "{g}", "name": "Officer", "rank": 150, "permissions.#": 2,
					"permissions.0": "invite", "permissions.1": "kick", "create_time": isTime, "update_time": isTime},
				save: "officer"},
			{name: "create/name taken case-insensitively", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"OFFICER","rank":120}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, `Role name "OFFICER" is in use in this group.`)},
			{name: "create/unknown group", method: "POST", path: "/v2/group/{unknown}/role", auth: as("alice"),
				body: `{"name":"X","rank":120}`, status: 404, fired: refused("CreateGroupRole"), want: denied},
			{name: "create/server API", method: "POST", path: "/v2/server/group/{g}/role", auth: httpKey,
				body: `{"name":"Recruiter","rank":120,"permissions":["invite"]}`, status: 200,
				want: fields{"name": "Recruiter", "rank": 120, "permissions.#": 1}, save: "recruiter"},
			{name: "create/server API, bad rank", method: "POST", path: "/v2/server/group/{g}/role", auth: httpKey,
				body: `{"name":"Nope","rank":0}`, status: 400, want: fail(3, "Role rank 0 is out of range: ranks are 101 to 299.")},

			// List: members, admins and superadmins; by rank.
			{name: "list/a member", method: "GET", path: "/v2/group/{g}/role", auth: as("dave"), status: 200, fired: both("ListGroupRoles"),
				want: fields{"roles.#": 2, "roles.0.name": "Officer", "roles.1.name": "Recruiter"}},
			{name: "list/not a member", method: "GET", path: "/v2/group/{g}/role", auth: as("gina"), status: 404,
				fired: refused("ListGroupRoles"), want: denied},
			{name: "list/server API", method: "GET", path: "/v2/server/group/{g}/role", auth: httpKey, status: 200,
				want: fields{"roles.#": 2}},
			{name: "list/server API unknown group", method: "GET", path: "/v2/server/group/{unknown}/role", auth: httpKey,
				status: 404, want: denied},

			// Assign: members and admins only; others skipped.
			{name: "assign/an admin lacks manage_roles", method: "POST", path: "/v2/group/{g}/role/{officer}/assign?user_ids={carol}",
				auth: as("bob"), status: 404, fired: refused("AssignGroupRole"), want: denied},
			{name: "assign/unknown role", method: "POST", path: "/v2/group/{g}/role/{unknown}/assign?user_ids={carol}",
				auth: as("alice"), status: 404, fired: refused("AssignGroupRole"), want: fail(5, "Role not found.")},
			{name: "assign/bad role id", method: "POST", path: "/v2/group/{g}/role/nope/assign?user_ids={carol}",
				auth: as("alice"), status: 400, fired: refused("AssignGroupRole"), want: fail(3, "Role ID must be a valid ID.")},
			{name: "assign/officers; a non-member and the superadmin skipped", method: "POST",
				path: "/v2/group/{g}/role/{officer}/assign?user_ids={carol}&user_ids={erin}&user_ids={gina}&user_ids={alice}",
				auth: as("alice"), status: 200, fired: both("AssignGroupRole"),
				check: rolesAre("g", "alice:", "bob:", "carol:Officer", "dave:", "erin:Officer", "frank:", "hal:")},
			{name: "assign/server API replaces erin's role", method: "POST",
				path: "/v2/server/group/{g}/role/{recruiter}/assign?user_ids={erin}", auth: httpKey, status: 200,
				check: rolesAre("g", "alice:", "bob:", "carol:Officer", "dave:", "erin:Recruiter", "frank:", "hal:")},
			{name: "assign/server API unknown role", method: "POST",
				path: "/v2/server/group/{g}/role/{unknown}/assign?user_ids={erin}", auth: httpKey, status: 404, want: fail(5, "Role not found.")},
			{name: "assign/server API gives erin the officer role back", method: "POST",
				path: "/v2/server/group/{g}/role/{officer}/assign?user_ids={erin}", auth: httpKey, status: 200,
				check: rolesAre("g", "alice:", "bob:", "carol:Officer", "dave:", "erin:Officer", "frank:", "hal:")},

			// The rank rule: an officer (150, kick) kicks members only.
			{name: "rank/officer kicks a member, not an admin nor another officer", method: "POST",
				path: "/v2/group/{g}/kick?user_ids={bob}&user_ids={erin}&user_ids={dave}", auth: as("carol"), status: 200,
				fired: both("KickGroupUsers"), check: membersAre("g", "alice:0", "bob:1", "carol:2", "erin:2", "frank:2", "hal:2")},
			{name: "rank/officer and the admin alone: skipped, nothing changes", method: "POST",
				path: "/v2/group/{g}/kick?user_ids={bob}&user_ids={erin}&user_ids={alice}", auth: as("carol"), status: 200,
				fired: both("KickGroupUsers"), check: membersAre("g", "alice:0", "bob:1", "carol:2", "erin:2", "frank:2", "hal:2")},
			{name: "rank/a member without a permission", method: "POST", path: "/v2/group/{g}/kick?user_ids={frank}",
				auth: as("hal"), status: 404, fired: refused("KickGroupUsers"), want: denied},
			{name: "rank/officer without ban", method: "POST", path: "/v2/group/{g}/ban?user_ids={frank}",
				auth: as("carol"), status: 404, fired: refused("BanGroupUsers"), want: denied},
			{name: "rank/officer without promote", method: "POST", path: "/v2/group/{g}/promote?user_ids={frank}",
				auth: as("carol"), status: 404, fired: refused("PromoteGroupUsers"), want: denied},
			{name: "rank/the admin still kicks the officer (Nakama's rule)", method: "POST", path: "/v2/group/{g}/kick?user_ids={erin}",
				auth: as("bob"), status: 200, fired: both("KickGroupUsers"),
				check: membersAre("g", "alice:0", "bob:1", "carol:2", "frank:2", "hal:2")},
			{name: "rank/officer invites (invite routed through the permission set)", method: "POST", path: "/v2/group/{g}/invite",
				auth: as("carol"), body: `{"user_ids":["{gina}","{frank}"]}`, status: 200, fired: both("InviteGroupUsers"),
				want: fields{"invitations.#": 1, "invitations.0.user_id": "{gina}", "invitations.0.inviter_id": "{carol}"}},
			{name: "rank/officer lists the group's invitations", method: "GET", path: "/v2/group/{g}/invitation",
				auth: as("carol"), status: 200, fired: both("ListGroupInvitations"),
				want: fields{"invitations.#": 1, "invitations.0.user_id": "{gina}"}},
			{name: "rank/a plain member does not", method: "GET", path: "/v2/group/{g}/invitation",
				auth: as("hal"), status: 404, fired: refused("ListGroupInvitations"), want: denied},

			// Update.
			{name: "update/an officer lacks manage_roles", method: "PUT", path: "/v2/group/{g}/role/{officer}", auth: as("carol"),
				body: `{"rank":120}`, status: 404, fired: refused("UpdateGroupRole"), want: denied},
			{name: "update/nothing to change", method: "PUT", path: "/v2/group/{g}/role/{officer}", auth: as("alice"),
				body: `{}`, status: 400, fired: refused("UpdateGroupRole"), want: fail(3, "Specify at least one field to update.")},
			{name: "update/unknown permission", method: "PUT", path: "/v2/group/{g}/role/{officer}", auth: as("alice"),
				body: `{"permissions":["Kick"]}`, status: 400, fired: refused("UpdateGroupRole"),
				want: fail(3, `Unknown permission "Kick": permissions are update, invite, add, kick, ban, unban, promote, demote, manage_roles, attributes.`)},
			{name: "update/name of another role", method: "PUT", path: "/v2/group/{g}/role/{officer}", auth: as("alice"),
				body: `{"name":"recruiter"}`, status: 400, fired: refused("UpdateGroupRole"), want: fail(3, `Role name "recruiter" is in use in this group.`)},
			{name: "update/unknown role", method: "PUT", path: "/v2/group/{g}/role/{unknown}", auth: as("alice"),
				body: `{"rank":120}`, status: 404, fired: refused("UpdateGroupRole"), want: fail(5, "Role not found.")},
			{name: "update/rank and permissions", method: "PUT", path: "/v2/group/{g}/role/{officer}", auth: as("alice"),
				body: `{"rank":199,"permissions":["kick","ban"]}`, status: 200, fired: both("UpdateGroupRole"),
				want: fields{"id": "{officer}", "name": "Officer", "rank": 199, "permissions.#": 2, "permissions.0": "kick", "permissions.1": "ban"}},
			{name: "update/server API rename", method: "PUT", path: "/v2/server/group/{g}/role/{officer}", auth: httpKey,
				body: `{"name":"Cap:tain"}`, status: 200, want: fields{"name": "Cap:tain", "rank": 199}},
			{name: "update/server API bad rank", method: "PUT", path: "/v2/server/group/{g}/role/{officer}", auth: httpKey,
				body: `{"rank":1000}`, status: 400, want: fail(3, "Role rank 1000 is out of range: ranks are 101 to 299.")},
			{name: "rank/the updated role bans at once", method: "POST", path: "/v2/group/{g}/ban?user_ids={frank}",
				auth: as("carol"), status: 200, fired: both("BanGroupUsers"),
				check: membersAre("g", "alice:0", "bob:1", "carol:2", "hal:2", "frank:4")},

			// Unassign.
			{name: "unassign/a member lacks manage_roles", method: "POST", path: "/v2/group/{g}/role/{officer}/unassign?user_ids={carol}",
				auth: as("hal"), status: 404, fired: refused("UnassignGroupRole"), want: denied},
			{name: "unassign/a holder of another role is skipped", method: "POST", path: "/v2/group/{g}/role/{recruiter}/unassign?user_ids={carol}",
				auth: as("alice"), status: 200, fired: both("UnassignGroupRole"),
				check: rolesAre("g", "alice:", "bob:", "carol:Cap:tain", "hal:")},
			{name: "unassign/server API unknown group", method: "POST", path: "/v2/server/group/{unknown}/role/{officer}/unassign?user_ids={carol}",
				auth: httpKey, status: 404, want: denied},
			{name: "unassign/server API", method: "POST", path: "/v2/server/group/{g}/role/{officer}/unassign?user_ids={carol}",
				auth: httpKey, status: 200, check: rolesAre("g", "alice:", "bob:", "carol:", "hal:")},
			{name: "unassign/the former officer kicks no more", method: "POST", path: "/v2/group/{g}/kick?user_ids={hal}",
				auth: as("carol"), status: 404, fired: refused("KickGroupUsers"), want: denied},
			{name: "assign/back to carol", method: "POST", path: "/v2/group/{g}/role/{officer}/assign?user_ids={carol}",
				auth: as("alice"), status: 200, fired: both("AssignGroupRole"), check: rolesAre("g", "alice:", "bob:", "carol:Cap:tain", "hal:")},

			// Delete: its holders lose it.
			{name: "delete/an admin lacks manage_roles", method: "DELETE", path: "/v2/group/{g}/role/{officer}", auth: as("bob"),
				status: 404, fired: refused("DeleteGroupRole"), want: denied},
			{name: "delete/unknown role", method: "DELETE", path: "/v2/group/{g}/role/{unknown}", auth: as("alice"),
				status: 404, fired: refused("DeleteGroupRole"), want: fail(5, "Role not found.")},
			{name: "delete", method: "DELETE", path: "/v2/group/{g}/role/{officer}", auth: as("alice"), status: 200,
				fired: both("DeleteGroupRole"), exact: "{}", check: rolesAre("g", "alice:", "bob:", "carol:", "hal:")},
			{name: "delete/the holder kicks no more", method: "POST", path: "/v2/group/{g}/kick?user_ids={hal}",
				auth: as("carol"), status: 404, fired: refused("KickGroupUsers"), want: denied},
			{name: "delete/server API unknown role", method: "DELETE", path: "/v2/server/group/{g}/role/{officer}", auth: httpKey,
				status: 404, want: fail(5, "Role not found.")},
			{name: "delete/server API", method: "DELETE", path: "/v2/server/group/{g}/role/{recruiter}", auth: httpKey, status: 200,
				check: func(t *testing.T, e *env, _ resp) {
					if n := e.sqlInt(t, "SELECT count(*) FROM group_roles"); n != 0 {
						t.Errorf("%d roles left", n)
					}
				}},
		})
	})
}

// TestRoleManagers: a role granting manage_roles manages only roles ranking
// below its own, with permissions it holds, and only members it outranks.
func TestRoleManagers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave")
		e.group("g", "alice", `{"name":"Guild","open":true}`)
		e.must("POST", "/v2/group/{g}/add?user_ids={bob}&user_ids={carol}&user_ids={dave}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/promote?user_ids={bob}", as("alice"), "")
		r := e.must("POST", "/v2/group/{g}/role", as("alice"), `{"name":"Steward","rank":250,"permissions":["manage_roles","kick"]}`)
		e.ids["steward"] = r.str("id")
		e.must("POST", "/v2/group/{g}/role/{steward}/assign?user_ids={carol}", as("alice"), "")
		rank := fail(7, "Roles can only be managed below your own rank and with permissions you hold.")
		e.run([]scenario{
			{name: "create at its own rank", method: "POST", path: "/v2/group/{g}/role", auth: as("carol"),
				body: `{"name":"Peer","rank":250}`, status: 403, fired: refused("CreateGroupRole"), want: rank},
			{name: "create with a permission it lacks", method: "POST", path: "/v2/group/{g}/role", auth: as("carol"),
				body: `{"name":"Banner","rank":120,"permissions":["ban"]}`, status: 403, fired: refused("CreateGroupRole"), want: rank},
			{name: "create below", method: "POST", path: "/v2/group/{g}/role", auth: as("carol"),
				body: `{"name":"Bouncer","rank":120,"permissions":["kick"]}`, status: 200, fired: both("CreateGroupRole"), save: "bouncer"},
			{name: "its own role is out of reach", method: "PUT", path: "/v2/group/{g}/role/{steward}", auth: as("carol"),
				body: `{"rank":299}`, status: 403, fired: refused("UpdateGroupRole"), want: rank},
			{name: "assign: the admin (200) is outranked, the superadmin is not", method: "POST",
				path: "/v2/group/{g}/role/{bouncer}/assign?user_ids={bob}&user_ids={alice}&user_ids={dave}", auth: as("carol"),
				status: 200, fired: both("AssignGroupRole"), check: rolesAre("g", "alice:", "bob:Bouncer", "carol:Steward", "dave:Bouncer")},
			{name: "kick by rank 250: an admin, not the superadmin", method: "POST", path: "/v2/group/{g}/kick?user_ids={bob}&user_ids={alice}",
				auth: as("carol"), status: 200, fired: both("KickGroupUsers"), check: membersAre("g", "alice:0", "carol:2", "dave:2")},
		})
	})
}

// TestRoleLimits: at most 32 roles per group.
func TestRoleLimits(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		e.group("g", "alice", `{"name":"Guild"}`)
		for i := range 32 {
			e.must("POST", "/v2/group/{g}/role", as("alice"), fmt.Sprintf(`{"name":"r%d","rank":%d}`, i, 101+i))
		}
		e.run([]scenario{
			{name: "the 33rd role", method: "POST", path: "/v2/group/{g}/role", auth: as("alice"),
				body: `{"name":"one more","rank":150}`, status: 400, fired: refused("CreateGroupRole"),
				want: fail(3, "A group has at most 32 roles.")},
			{name: "list", method: "GET", path: "/v2/group/{g}/role", auth: as("alice"), status: 200, fired: both("ListGroupRoles"),
				want: fields{"roles.#": 32, "roles.0.name": "r31", "roles.31.name": "r0"}},
		})
	})
}
