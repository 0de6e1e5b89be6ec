package api_test

import "testing"

// TestGetGroup is Guildhall's GET /v2/group/{id}: the group and the
// caller's state in it, added as one row of the operation table.
func TestGetGroup(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave")
		e.group("open", "alice", `{"name":"Open","open":true,"description":"d"}`)
		e.group("closed", "alice", `{"name":"Closed"}`)
		e.must("POST", "/v2/group/{open}/join", as("bob"), "")
		e.must("POST", "/v2/group/{closed}/join", as("carol"), "")
		gg := both("GetGroup")

		e.run([]scenario{
			{name: "no token", method: "GET", path: "/v2/group/{open}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "superadmin", method: "GET", path: "/v2/group/{open}", auth: as("alice"), status: 200, fired: gg,
				want: fields{"group.id": "{open}", "group.name": "Open", "group.description": "d", "group.open": true,
					"group.edge_count": 2, "group.creator_id": "{alice}", "state": 0}},
			{name: "member", method: "GET", path: "/v2/group/{open}", auth: as("bob"), status: 200, fired: gg,
				want: fields{"group.id": "{open}", "state": 2}},
			{name: "join request", method: "GET", path: "/v2/group/{closed}", auth: as("carol"), status: 200, fired: gg,
				want: fields{"group.name": "Closed", "group.edge_count": 1, "state": 3}},
			{name: "no relation: state absent", method: "GET", path: "/v2/group/{closed}", auth: as("dave"), status: 200, fired: gg,
				want: fields{"group.id": "{closed}"}, absent: []string{"state"}},
			{name: "unknown group", method: "GET", path: "/v2/group/{unknown}", auth: as("dave"), status: 404, fired: refused("GetGroup"),
				want: fail(5, "Group not found.")},
			{name: "malformed id", method: "GET", path: "/v2/group/not-a-uuid", auth: as("dave"), status: 400, fired: refused("GetGroup"),
				want: fail(3, "Group ID must be a valid ID.")},
			{name: "refused by a before hook", method: "GET", path: "/v2/group/{open}", auth: as("bob"), reject: "GetGroup",
				status: 404, fired: refused("GetGroup"), want: fail(5, "Requested resource was not found.")},
		})
	})
}
