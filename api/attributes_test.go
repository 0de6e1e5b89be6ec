package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestAttributes: group attributes through the client and server APIs on
// both databases — members only, creator-only edit, the attributes holders'
// edit when it is off, who may flip it, admins-only creation (the group
// field, set by admins and omitted when false), can_edit per caller, key
// order (bytewise), the limits, delete, and the hook traces.
func TestAttributes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "gina")
		e.group("g", "alice", `{"name":"Guild"}`)
		e.must("POST", "/v2/group/{g}/add?user_ids={bob}&user_ids={carol}&user_ids={dave}&user_ids={gina}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/promote?user_ids={bob}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/join", as("frank"), "") // a join request
		e.must("POST", "/v2/group/{g}/ban?user_ids={gina}", as("alice"), "")
		put, list, del := both("PutGroupAttribute"), both("ListGroupAttributes"), both("DeleteGroupAttribute")
		denied := fail(5, "Group not found or permission denied.")
		creatorOnly := fail(7, "Attribute can only be edited by its creator.")
		creatorOrAdmin := fail(7, "Attribute can only be edited by its creator or an admin.")
		badKey := fail(3, "Attribute key must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.' or '-'.")
		badValue := fail(3, "Attribute value must be at most 4096 bytes of UTF-8 text without NUL.")
		attr := "/v2/group/{g}/attribute/"
		e.run([]scenario{
			{name: "list/none yet", method: "GET", path: "/v2/group/{g}/attribute", auth: as("carol"), status: 200, fired: list,
				exact: "{}"},
			{name: "list/an outsider", method: "GET", path: "/v2/group/{g}/attribute", auth: as("erin"), status: 404,
				fired: refused("ListGroupAttributes"), want: denied},
			{name: "list/a join request", method: "GET", path: "/v2/group/{g}/attribute", auth: as("frank"), status: 404,
				fired: refused("ListGroupAttributes"), want: denied},
			{name: "list/banned", method: "GET", path: "/v2/group/{g}/attribute", auth: as("gina"), status: 404,
				fired: refused("ListGroupAttributes"), want: denied},
			{name: "list/unknown group", method: "GET", path: "/v2/group/{unknown}/attribute", auth: as("carol"), status: 404,
				fired: refused("ListGroupAttributes"), want: denied},
			{name: "put/an outsider", method: "PUT", path: attr + "motd", auth: as("erin"), body: `{"value":"x"}`, status: 404,
				fired: refused("PutGroupAttribute"), want: denied},
			{name: "put/banned", method: "PUT", path: attr + "motd", auth: as("gina"), body: `{"value":"x"}`, status: 404,
				fired: refused("PutGroupAttribute"), want: denied},
			{name: "put/a member creates, creator-only by default", method: "PUT", path: attr + "motd", auth: as("carol"),
				body: `{"value":"Raid at 9"}`, status: 200, fired: put,
				want: fields{"key": "motd", "value": "Raid at 9", "creator_id": "{carol}", "only_creator_can_edit": true,
					"can_edit": true, "create_time": isTime, "update_time": isTime}},
			{name: "put/an admin may not edit a creator-only one", method: "PUT", path: attr + "motd", auth: as("bob"),
				body: `{"value":"mine"}`, status: 403, fired: refused("PutGroupAttribute"), want: creatorOnly},
			{name: "put/nor another member", method: "PUT", path: attr + "motd", auth: as("dave"),
				body: `{"value":"mine"}`, status: 403, fired: refused("PutGroupAttribute"), want: creatorOnly},
			{name: "delete/nor delete it", method: "DELETE", path: attr + "motd", auth: as("bob"), status: 403,
				fired: refused("DeleteGroupAttribute"), want: creatorOnly},
			{name: "put/a superadmin edits anything", method: "PUT", path: attr + "motd", auth: as("alice"),
				body: `{"value":"Raid at 10"}`, status: 200, fired: put,
				want: fields{"value": "Raid at 10", "creator_id": "{carol}", "only_creator_can_edit": true, "can_edit": true}},
			{name: "put/the creator opens it to admins (value kept)", method: "PUT", path: attr + "motd", auth: as("carol"),
				body: `{"only_creator_can_edit":false}`, status: 200, fired: put,
				want: fields{"value": "Raid at 10", "only_creator_can_edit": false}},
			{name: "put/now an admin edits", method: "PUT", path: attr + "motd", auth: as("bob"),
				body: `{"value":"Raid at 11"}`, status: 200, fired: put, want: fields{"value": "Raid at 11", "creator_id": "{carol}", "can_edit": true}},
			{name: "put/a plain member still not", method: "PUT", path: attr + "motd", auth: as("dave"),
				body: `{"value":"mine"}`, status: 403, fired: refused("PutGroupAttribute"), want: creatorOrAdmin},
			{name: "put/an admin may not make it creator-only", method: "PUT", path: attr + "motd", auth: as("bob"),
				body: `{"only_creator_can_edit":true}`, status: 403, fired: refused("PutGroupAttribute"),
				want: fail(7, "Only the attribute's creator or a superadmin may change only_creator_can_edit.")},
			{name: "put/an admin may restate the flag unchanged", method: "PUT", path: attr + "motd", auth: as("bob"),
				body: `{"value":"Raid at 12","only_creator_can_edit":false}`, status: 200, fired: put},
			{name: "put/a member's open attribute", method: "PUT", path: attr + "dave.color", auth: as("dave"),
				body: `{"value":"#ff0000","only_creator_can_edit":false}`, status: 200, fired: put,
				want: fields{"only_creator_can_edit": false, "can_edit": true}},
			{name: "put/an empty value", method: "PUT", path: attr + "Banner", auth: as("dave"), body: `{"value":""}`, status: 200,
				fired: put, want: fields{"key": "Banner"}, absent: []string{"value"}},
			{name: "put/keys", method: "PUT", path: attr + "a_1", auth: as("dave"), body: `{"value":"1"}`, status: 200, fired: put},
			{name: "put/keys 2", method: "PUT", path: attr + "a-1", auth: as("dave"), body: `{"value":"2"}`, status: 200, fired: put},
			{name: "put/keys 3", method: "PUT", path: attr + "0rank", auth: as("dave"), body: `{"value":"3"}`, status: 200, fired: put},
			{name: "list/by key, bytewise; can_edit for a member", method: "GET", path: "/v2/group/{g}/attribute", auth: as("dave"),
				status: 200, fired: list,
				want: fields{"attributes.#": 6, "attributes.0.key": "0rank", "attributes.1.key": "Banner", "attributes.2.key": "a-1",
					"attributes.3.key": "a_1", "attributes.4.key": "dave.color", "attributes.5.key": "motd",
					"attributes.4.can_edit": true, "attributes.5.can_edit": false, "attributes.5.value": "Raid at 12",
					"attributes.5.creator_id": "{carol}"}},
			{name: "list/can_edit for an admin", method: "GET", path: "/v2/group/{g}/attribute", auth: as("bob"),
				status: 200, fired: list,
				want: fields{"attributes.0.can_edit": false, "attributes.4.can_edit": true, "attributes.5.can_edit": true}},
			{name: "list/can_edit for the creator of none", method: "GET", path: "/v2/group/{g}/attribute", auth: as("carol"),
				status: 200, fired: list,
				want: fields{"attributes.0.can_edit": false, "attributes.4.can_edit": false, "attributes.5.can_edit": true}},
			{name: "list/server API", method: "GET", path: "/v2/server/group/{g}/attribute", auth: httpKey, status: 200,
				want: fields{"attributes.#": 6, "attributes.0.can_edit": true}},

			// Limits.
			{name: "put/key too long", method: "PUT", path: attr + strings.Repeat("k", 65), auth: as("carol"), body: `{"value":"x"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: badKey},
			{name: "put/key of 64", method: "PUT", path: attr + strings.Repeat("k", 64), auth: as("carol"), body: `{"value":"x"}`,
				status: 200, fired: put},
			{name: "put/key with a space", method: "PUT", path: attr + "a%20b", auth: as("carol"), body: `{"value":"x"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: badKey},
			{name: "put/key with a slash", method: "PUT", path: attr + "a%2Fb", auth: as("carol"), body: `{"value":"x"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: badKey},
			{name: "put/key non-ASCII", method: "PUT", path: attr + "%C3%A9", auth: as("carol"), body: `{"value":"x"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: badKey},
			{name: "put/empty key", method: "PUT", path: attr, auth: as("carol"), body: `{"value":"x"}`,
				status: 400, want: fail(3, "Attribute key must be set.")},
			{name: "put/value over 4096 bytes", method: "PUT", path: attr + "big", auth: as("carol"),
				body: `{"value":"` + strings.Repeat("é", 2048) + `x"}`, status: 400, fired: refused("PutGroupAttribute"), want: badValue},
			{name: "put/value of 4096 bytes", method: "PUT", path: attr + "big", auth: as("carol"),
				body: `{"value":"` + strings.Repeat("é", 2048) + `"}`, status: 200, fired: put},
			{name: "put/value with NUL", method: "PUT", path: attr + "nul", auth: as("carol"), body: `{"value":"a\u0000b"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: badValue},
			{name: "put/no value to create", method: "PUT", path: attr + "novalue", auth: as("carol"), body: `{}`,
				status: 400, fired: refused("PutGroupAttribute"), want: fail(3, "Attribute value must be set.")},
			{name: "put/value not a string", method: "PUT", path: attr + "num", auth: as("carol"), body: `{"value":5}`,
				status: 400, want: fail(3, `Invalid value for field "value": expected a string.`)},

			// Delete.
			{name: "delete/a plain member, not the creator", method: "DELETE", path: attr + "motd", auth: as("dave"), status: 403,
				fired: refused("DeleteGroupAttribute"), want: creatorOrAdmin},
			{name: "delete/an admin, open attribute", method: "DELETE", path: attr + "dave.color", auth: as("bob"), status: 200,
				fired: del, exact: "{}"},
			{name: "delete/missing", method: "DELETE", path: attr + "dave.color", auth: as("bob"), status: 404,
				fired: refused("DeleteGroupAttribute"), want: fail(5, "Attribute not found.")},
			{name: "delete/an outsider", method: "DELETE", path: attr + "motd", auth: as("erin"), status: 404,
				fired: refused("DeleteGroupAttribute"), want: denied},
			{name: "delete/bad key", method: "DELETE", path: attr + "a%20b", auth: as("carol"), status: 400,
				fired: refused("DeleteGroupAttribute"), want: badKey},
			{name: "delete/the creator", method: "DELETE", path: attr + "motd", auth: as("carol"), status: 200, fired: del},

			// Admins-only creation.
			{name: "group/field omitted while false", method: "GET", path: "/v2/group/{g}", auth: as("carol"), status: 200,
				fired: both("GetGroup"), absent: []string{"group.admins_only_create_attributes"}},
			{name: "group/a member may not set it", method: "PUT", path: "/v2/group/{g}", auth: as("carol"),
				body: `{"admins_only_create_attributes":true}`, status: 404, fired: refused("UpdateGroup"),
				want: fail(5, "Group not found or you're not allowed to update.")},
			{name: "group/an admin sets it", method: "PUT", path: "/v2/group/{g}", auth: as("bob"),
				body: `{"admins_only_create_attributes":true}`, status: 200, fired: both("UpdateGroup"),
				check: groupHas("g", fields{"admins_only_create_attributes": true})},
			{name: "put/a member may no longer create", method: "PUT", path: attr + "carol2", auth: as("carol"), body: `{"value":"x"}`,
				status: 403, fired: refused("PutGroupAttribute"), want: fail(7, "Only admins may create attributes in this group.")},
			{name: "put/but still edits her own", method: "PUT", path: attr + "big", auth: as("carol"), body: `{"value":"small"}`,
				status: 200, fired: put},
			{name: "put/an admin creates", method: "PUT", path: attr + "rules", auth: as("bob"), body: `{"value":"be nice"}`,
				status: 200, fired: put, want: fields{"creator_id": "{bob}"}},
			{name: "put/the server creates (no creator)", method: "PUT", path: "/v2/server/group/{g}/attribute/season", auth: httpKey,
				body: `{"value":"7"}`, status: 200, want: fields{"key": "season", "can_edit": true, "only_creator_can_edit": true},
				absent: []string{"creator_id"}},
			{name: "server/unknown group", method: "GET", path: "/v2/server/group/{unknown}/attribute", auth: httpKey,
				status: 404, want: denied},
			{name: "server/bad key", method: "PUT", path: "/v2/server/group/{g}/attribute/a%20b", auth: httpKey,
				body: `{"value":"x"}`, status: 400, want: badKey},
			{name: "server/delete missing", method: "DELETE", path: "/v2/server/group/{g}/attribute/nothing", auth: httpKey,
				status: 404, want: fail(5, "Attribute not found.")},
			{name: "server/delete anyone's", method: "DELETE", path: "/v2/server/group/{g}/attribute/rules", auth: httpKey,
				status: 200, exact: "{}"},
			{name: "put/the system's creator-only attribute: admins may not edit", method: "PUT", path: attr + "season", auth: as("bob"),
				body: `{"value":"8"}`, status: 403, fired: refused("PutGroupAttribute"), want: creatorOnly},
			{name: "group/an admin turns it off", method: "PUT", path: "/v2/group/{g}", auth: as("bob"),
				body: `{"admins_only_create_attributes":false}`, status: 200, fired: both("UpdateGroup"),
				check: groupHas("g", fields{"name": "Guild"}, "admins_only_create_attributes")},
			{name: "group/created with it", method: "POST", path: "/v2/group", auth: as("dave"),
				body: `{"name":"Strict","admins_only_create_attributes":true}`, status: 200, fired: both("CreateGroup"),
				want: fields{"admins_only_create_attributes": true}, save: "strict"},
			{name: "group/listed with it", method: "GET", path: "/v2/user/{dave}/group", auth: as("dave"), status: 200,
				fired: both("ListUserGroups"), want: fields{"user_groups.0.group.admins_only_create_attributes": true}},
		})

		// At most 64 per group; the 65th is refused, an update at 64 is not.
		e.group("full", "alice", `{"name":"Full"}`)
		for i := 0; i < 64; i++ {
			e.must("PUT", fmt.Sprintf("/v2/server/group/{full}/attribute/k%02d", i), httpKey, `{"value":"v"}`)
		}
		e.run([]scenario{
			{name: "limit/the 65th", method: "PUT", path: "/v2/group/{full}/attribute/k64", auth: as("alice"), body: `{"value":"v"}`,
				status: 400, fired: refused("PutGroupAttribute"), want: fail(3, "A group has at most 64 attributes.")},
			{name: "limit/an update at 64", method: "PUT", path: "/v2/group/{full}/attribute/k63", auth: as("alice"), body: `{"value":"w"}`,
				status: 200, fired: put, want: fields{"value": "w"}},
			{name: "limit/deleting the group deletes them", method: "DELETE", path: "/v2/group/{full}", auth: as("alice"), status: 200,
				fired: both("DeleteGroup"), check: sqlCount("SELECT count(*) FROM group_attributes WHERE group_id = ?", 0, "full")},
		})

		// A creator who left may no longer edit.
		e.must("POST", "/v2/group/{g}/leave", as("carol"), "")
		e.run([]scenario{
			{name: "left/the creator is an outsider now", method: "PUT", path: attr + "big", auth: as("carol"), body: `{"value":"x"}`,
				status: 404, fired: refused("PutGroupAttribute"), want: denied},
		})
	})
}
