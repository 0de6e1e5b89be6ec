package api_test

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// names lists the values at field (e.g. "name", "user.username") of every
// item of a response's list.
func names(r resp, list, field string) []string {
	items, _ := r.body[list].([]any)
	out := []string{}
	for _, it := range items {
		v, _ := lookup(it, field)
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// listIs checks the names of a listing's items, in order.
func listIs(list, field string, want ...string) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		wantStrings(t, list, names(r, list, field), want...)
	}
}

// pageAll follows a listing's cursor from path (which has a limit) and returns
// every item's field, checking each page's cursor encoding.
func (e *env) pageAll(t testing.TB, path string, a auth, list, field string, enc *base64.Encoding) []string {
	t.Helper()
	var out []string
	cursor := ""
	for i := 0; i < 50; i++ {
		p := e.expand(path)
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do("GET", p, a, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", p, r.status, r.raw)
		}
		out = append(out, names(r, list, field)...)
		cursor = r.str("cursor")
		if cursor == "" {
			return out
		}
		if _, ok := r.body[list]; !ok {
			t.Fatalf("GET %s: a cursor without items: %s", p, r.raw)
		}
		if _, err := enc.DecodeString(cursor); err != nil {
			t.Errorf("cursor %q is not in the expected base64url form: %v", cursor, err)
		}
	}
	t.Fatalf("paging %s did not end", path)
	return nil
}

// paged checks that following the cursor of path yields want.
func paged(path string, a auth, list, field string, enc *base64.Encoding, want ...string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		wantStrings(t, "pages of "+path, e.pageAll(t, path, a, list, field, enc), want...)
		e.hooks.take()
	}
}

// firstCursor fetches path and stores its cursor as placeholder key.
func (e *env) firstCursor(key, path string, a auth) {
	e.t.Helper()
	r := e.must("GET", path, a, "")
	if r.str("cursor") == "" {
		e.t.Fatalf("GET %s gave no cursor: %s", path, r.raw)
	}
	e.ids[key] = url.QueryEscape(r.str("cursor"))
}

func TestListings(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "viewer")
		// update_time order after the joins below: alphabet, Beta, Gamma_1, Alpha.
		e.group("alpha", "alice", `{"name":"Alpha","open":true}`)
		e.group("alphabet", "bob", `{"name":"alphabet"}`)
		e.group("beta", "carol", `{"name":"Beta","open":true,"lang_tag":"fr"}`)
		e.group("gamma", "alice", `{"name":"Gamma_1","open":true,"max_count":5}`)
		for _, u := range []string{"bob", "carol", "dave"} {
			e.must("POST", "/v2/group/{gamma}/join", as(u), "")
		}
		e.must("POST", "/v2/group/{alpha}/join", as("bob"), "")
		e.firstCursor("cursor:open", "/v2/group?open=true&limit=1", as("viewer"))
		e.firstCursor("cursor:members2", "/v2/group/{gamma}/user?state=2&limit=1", as("viewer"))
		e.firstCursor("cursor:bob", "/v2/user/{bob}/group?limit=1", as("viewer"))
		raw := base64.RawURLEncoding
		padded := base64.URLEncoding
		lg := both("ListGroups")
		lgu := both("ListGroupUsers")
		lug := both("ListUserGroups")

		e.run([]scenario{
			// ListGroups.
			{name: "groups/no token", method: "GET", path: "/v2/group", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "groups/default limit is 1", method: "GET", path: "/v2/group", auth: as("viewer"), status: 200, fired: lg,
				want:  fields{"groups.#": 1, "groups.0.name": "alphabet", "groups.0.open": false, "cursor": present},
				check: paged("/v2/group?limit=1", as("viewer"), "groups", "name", raw, "alphabet", "Beta", "Gamma_1", "Alpha")},
			{name: "groups/nakama-js trailing & and limit 100", method: "GET", path: "/v2/group?limit=100&", auth: as("viewer"), status: 200, fired: lg,
				absent: []string{"cursor"}, check: listIs("groups", "name", "alphabet", "Beta", "Gamma_1", "Alpha")},
			{name: "groups/a group's fields", method: "GET", path: "/v2/group?name=gamma_1", auth: as("viewer"), status: 200, fired: lg,
				want: fields{"groups.#": 1, "groups.0.id": "{gamma}", "groups.0.creator_id": "{alice}", "groups.0.edge_count": 4,
					"groups.0.max_count": 5, "groups.0.open": true, "groups.0.lang_tag": "en", "groups.0.metadata": "{}"},
				absent: []string{"cursor", "groups.0.description", "groups.0.avatar_url"}},
			{name: "groups/name is case-insensitive and exact without %", method: "GET", path: "/v2/group?name=ALPHA&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Alpha")},
			{name: "groups/trailing % is a prefix, ordered by name", method: "GET", path: "/v2/group?name=alpha%25&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Alpha", "alphabet")},
			{name: "groups/leading % and spaces are stripped", method: "GET", path: "/v2/group?name=%25%20%25alp%25&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Alpha", "alphabet")},
			{name: "groups/_ matches one character", method: "GET", path: "/v2/group?name=a_pha&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Alpha")},
			{name: "groups/an inner % is a wildcard", method: "GET", path: "/v2/group?name=al%25bet&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "alphabet")},
			{name: "groups/name paging", method: "GET", path: "/v2/group?name=%25", auth: as("viewer"), status: 200, fired: lg,
				check: paged("/v2/group?name=a%25&limit=1", as("viewer"), "groups", "name", raw, "Alpha", "alphabet")},
			{name: "groups/no match is {}", method: "GET", path: "/v2/group?name=zzz", auth: as("viewer"), status: 200, exact: "{}", fired: lg},
			{name: "groups/lang_tag only: edge_count then id ascending", method: "GET", path: "/v2/group?lang_tag=en&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "alphabet", "Alpha", "Gamma_1")},
			{name: "groups/langTag camelCase", method: "GET", path: "/v2/group?langTag=fr&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Beta")},
			{name: "groups/lang_tag is case-sensitive", method: "GET", path: "/v2/group?lang_tag=EN", auth: as("viewer"),
				status: 200, exact: "{}", fired: lg},
			{name: "groups/lang_tag + open: descending", method: "GET", path: "/v2/group?lang_tag=en&open=true&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Gamma_1", "Alpha")},
			{name: "groups/lang_tag + open pages past the first page", method: "GET", path: "/v2/group?lang_tag=en&open=true", auth: as("viewer"),
				status: 200, fired: lg,
				check: paged("/v2/group?lang_tag=en&open=true&limit=1", as("viewer"), "groups", "name", raw, "Gamma_1", "Alpha")},
			{name: "groups/members: edge_count <= N, descending", method: "GET", path: "/v2/group?members=2&limit=10", auth: as("viewer"),
				status: 200, fired: lg, want: fields{"groups.#": 3, "groups.0.name": "Alpha"}},
			{name: "groups/members paging", method: "GET", path: "/v2/group?members=100", auth: as("viewer"), status: 200, fired: lg,
				check: func(t *testing.T, e *env, _ resp) {
					got := e.pageAll(t, "/v2/group?members=100&limit=1", as("viewer"), "groups", "name", raw)
					if len(got) != 4 || got[0] != "Gamma_1" || got[1] != "Alpha" {
						t.Errorf("pages = %q, want Gamma_1, Alpha, then the two groups of one", got)
					}
				}},
			{name: "groups/open=false", method: "GET", path: "/v2/group?open=false&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "alphabet")},
			{name: "groups/open=t (Go bool syntax), update_time order", method: "GET", path: "/v2/group?open=t&limit=10", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Beta", "Gamma_1", "Alpha")},
			{name: "groups/unknown params ignored", method: "GET", path: "/v2/group?foo=bar&limit=1", auth: as("viewer"),
				status: 200, fired: lg, want: fields{"groups.#": 1}},
			{name: "groups/name with lang_tag", method: "GET", path: "/v2/group?name=a%25&lang_tag=en", auth: as("viewer"),
				status: 400, want: fail(3, "name filter cannot be combined with any other filter"), fired: refused("ListGroups")},
			{name: "groups/name with open", method: "GET", path: "/v2/group?name=a&open=true", auth: as("viewer"),
				status: 400, want: fail(3, "name filter cannot be combined with any other filter"), fired: refused("ListGroups")},
			{name: "groups/name with members", method: "GET", path: "/v2/group?name=a&members=3", auth: as("viewer"),
				status: 400, want: fail(3, "name filter cannot be combined with any other filter"), fired: refused("ListGroups")},
			{name: "groups/limit 0", fired: unchecked, method: "GET", path: "/v2/group?limit=0", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "groups/limit 101", fired: unchecked, method: "GET", path: "/v2/group?limit=101", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "groups/limit abc", method: "GET", path: "/v2/group?limit=abc", auth: as("viewer"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "limit"`)}},
			{name: "groups/members abc", method: "GET", path: "/v2/group?members=abc", auth: as("viewer"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "members"`)}},
			{name: "groups/open maybe", method: "GET", path: "/v2/group?open=maybe", auth: as("viewer"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "open"`)}},
			{name: "groups/malformed cursor", method: "GET", path: "/v2/group?cursor=not*a*cursor", auth: as("viewer"),
				status: 400, want: fail(3, "Malformed cursor was used."), fired: refused("ListGroups")},
			{name: "groups/base64 cursor that is not ours", method: "GET", path: "/v2/group?cursor=" + raw.EncodeToString([]byte(`{"Order":1,"ID":"x"}`)),
				auth: as("viewer"), status: 400, want: fail(3, "Malformed cursor was used."), fired: refused("ListGroups")},
			{name: "groups/cursor of another filter", method: "GET", path: "/v2/group?lang_tag=en&cursor={cursor:open}", auth: as("viewer"),
				status: 400, want: fail(3, "Malformed cursor was used."), fired: refused("ListGroups")},
			{name: "groups/cursor of the same filter", method: "GET", path: "/v2/group?open=true&limit=5&cursor={cursor:open}", auth: as("viewer"),
				status: 200, fired: lg, check: listIs("groups", "name", "Gamma_1", "Alpha")},
			{name: "groups/refused by a before hook", method: "GET", path: "/v2/group", auth: as("viewer"),
				reject: "ListGroups", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("ListGroups")},

			// ListGroupUsers.
			{name: "group users/no token", method: "GET", path: "/v2/group/{gamma}/user", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "group users/anyone, default limit 100", method: "GET", path: "/v2/group/{gamma}/user", auth: as("viewer"), status: 200, fired: lgu,
				want: fields{
					"group_users.#": 4, "group_users.0.state": 0, "group_users.1.state": 2,
					"group_users.0.user.id": "{alice}", "group_users.0.user.username": "alice", "group_users.0.user.lang_tag": "en",
					"group_users.0.user.metadata": "{}", "group_users.0.user.create_time": isTime, "group_users.0.user.update_time": isTime,
				},
				absent: []string{"cursor", "group_users.0.user.online", "group_users.0.user.edge_count", "group_users.0.user.display_name"},
				check:  listIs("group_users", "user.username", "alice", "bob", "carol", "dave")},
			{name: "group users/paging (padded base64url cursor)", method: "GET", path: "/v2/group/{gamma}/user?limit=3", auth: as("viewer"),
				status: 200, fired: lgu, want: fields{"group_users.#": 3, "cursor": present},
				check: paged("/v2/group/{gamma}/user?limit=1", as("viewer"), "group_users", "user.username", padded, "alice", "bob", "carol", "dave")},
			{name: "group users/state=2", method: "GET", path: "/v2/group/{gamma}/user?state=2", auth: as("viewer"),
				status: 200, fired: lgu, check: listIs("group_users", "user.username", "bob", "carol", "dave")},
			{name: "group users/state=0 is emitted", method: "GET", path: "/v2/group/{gamma}/user?state=0", auth: as("viewer"),
				status: 200, fired: lgu, want: fields{"group_users.#": 1, "group_users.0.state": 0}},
			{name: "group users/cursor of the same state", method: "GET", path: "/v2/group/{gamma}/user?state=2&cursor={cursor:members2}", auth: as("viewer"),
				status: 200, fired: lgu, check: listIs("group_users", "user.username", "carol", "dave")},
			{name: "group users/cursor of another state", method: "GET", path: "/v2/group/{gamma}/user?cursor={cursor:members2}", auth: as("viewer"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListGroupUsers")},
			{name: "group users/malformed cursor", method: "GET", path: "/v2/group/{gamma}/user?cursor=%25%25%25", auth: as("viewer"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListGroupUsers")},
			{name: "group users/cursor of another listing", method: "GET", path: "/v2/group/{gamma}/user?cursor={cursor:open}", auth: as("viewer"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListGroupUsers")},
			{name: "group users/state 5", fired: unchecked, method: "GET", path: "/v2/group/{gamma}/user?state=5", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid state - state must be between 0 and 4.")},
			{name: "group users/state -1", fired: unchecked, method: "GET", path: "/v2/group/{gamma}/user?state=-1", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid state - state must be between 0 and 4.")},
			{name: "group users/state abc", method: "GET", path: "/v2/group/{gamma}/user?state=abc", auth: as("viewer"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "state"`)}},
			{name: "group users/limit 0", fired: unchecked, method: "GET", path: "/v2/group/{gamma}/user?limit=0", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "group users/limit 101", fired: unchecked, method: "GET", path: "/v2/group/{gamma}/user?limit=101", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "group users/unknown group is {}", method: "GET", path: "/v2/group/{unknown}/user", auth: as("viewer"),
				status: 200, exact: "{}", fired: lgu},
			{name: "group users/malformed group id", method: "GET", path: "/v2/group/gamma/user", auth: as("viewer"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("ListGroupUsers")},
			{name: "group users/refused by a before hook", method: "GET", path: "/v2/group/{gamma}/user", auth: as("viewer"),
				reject: "ListGroupUsers", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("ListGroupUsers")},

			// ListUserGroups.
			{name: "user groups/no token", method: "GET", path: "/v2/user/{bob}/group", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "user groups/anyone's, state then join order", method: "GET", path: "/v2/user/{bob}/group", auth: as("viewer"), status: 200, fired: lug,
				want: fields{
					"user_groups.#": 3, "user_groups.0.state": 0, "user_groups.0.group.id": "{alphabet}",
					"user_groups.0.group.open": false, "user_groups.0.group.creator_id": "{bob}", "user_groups.0.group.edge_count": 1,
					"user_groups.1.state": 2, "user_groups.1.group.edge_count": 4, "user_groups.2.state": 2,
				},
				absent: []string{"cursor"},
				check:  listIs("user_groups", "group.name", "alphabet", "Gamma_1", "Alpha")},
			{name: "user groups/paging", method: "GET", path: "/v2/user/{bob}/group?limit=2", auth: as("viewer"), status: 200, fired: lug,
				want:  fields{"user_groups.#": 2, "cursor": present},
				check: paged("/v2/user/{bob}/group?limit=1", as("viewer"), "user_groups", "group.name", padded, "alphabet", "Gamma_1", "Alpha")},
			{name: "user groups/cursor", method: "GET", path: "/v2/user/{bob}/group?cursor={cursor:bob}", auth: as("viewer"),
				status: 200, fired: lug, check: listIs("user_groups", "group.name", "Gamma_1", "Alpha")},
			{name: "user groups/cursor with a state filter it was not made for", method: "GET", path: "/v2/user/{bob}/group?state=2&cursor={cursor:bob}", auth: as("viewer"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListUserGroups")},
			{name: "user groups/malformed cursor", method: "GET", path: "/v2/user/{bob}/group?cursor=AAAA", auth: as("viewer"),
				status: 400, want: fail(3, "Cursor is invalid."), fired: refused("ListUserGroups")},
			{name: "user groups/state=2", method: "GET", path: "/v2/user/{bob}/group?state=2", auth: as("viewer"),
				status: 200, fired: lug, check: listIs("user_groups", "group.name", "Gamma_1", "Alpha")},
			{name: "user groups/state 9", fired: unchecked, method: "GET", path: "/v2/user/{bob}/group?state=9", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid state - state must be between 0 and 4.")},
			{name: "user groups/limit 101", fired: unchecked, method: "GET", path: "/v2/user/{bob}/group?limit=101", auth: as("viewer"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "user groups/limit abc", method: "GET", path: "/v2/user/{bob}/group?limit=abc", auth: as("viewer"),
				status: 400, want: fields{"code": 3, "message": hasPrefix(`Invalid value for query parameter "limit"`)}},
			{name: "user groups/no groups is {}", method: "GET", path: "/v2/user/{viewer}/group", auth: as("viewer"),
				status: 200, exact: "{}", fired: lug},
			{name: "user groups/unknown user is {}", method: "GET", path: "/v2/user/{unknown}/group", auth: as("viewer"),
				status: 200, exact: "{}", fired: lug},
			{name: "user groups/malformed user id (Nakama's text)", method: "GET", path: "/v2/user/bob/group", auth: as("viewer"),
				status: 400, want: fail(3, "Group ID must be a valid ID."), fired: refused("ListUserGroups")},
			{name: "user groups/refused by a before hook", method: "GET", path: "/v2/user/{bob}/group", auth: as("viewer"),
				reject: "ListUserGroups", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("ListUserGroups")},
		})
	})
}
