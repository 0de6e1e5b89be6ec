package api_test

import (
	"net/url"
	"testing"
)

// TestChannelHistory: GET /v2/channel/{id} pages a group channel's history
// with Nakama's rules (limit default 1 and 1–100, forward default true,
// cursors bound to direction and channel), for members only; the join and
// kick event messages are in it, in order, with the affected user as sender.
func TestChannelHistory(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("open", "alice", `{"name":"Open Club","open":true}`)
		e.must("POST", "/v2/group/{open}/join", as("bob"), "")
		e.must("POST", "/v2/group/{open}/kick?user_ids={bob}", as("alice"), "")
		e.ids["chan"] = url.PathEscape("3." + e.ids["open"] + "..")
		first := e.must("GET", "/v2/channel/{chan}", as("alice"), "")
		e.ids["next"] = first.str("next_cursor")

		e.run([]scenario{
			{name: "no token", method: "GET", path: "/v2/channel/{chan}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "default limit 1, oldest first", fired: unchecked, method: "GET", path: "/v2/channel/{chan}", auth: as("alice"), status: 200,
				want: fields{"messages.#": 1, "messages.0.code": 3, "messages.0.sender_id": "{bob}", "messages.0.username": "bob",
					"messages.0.content": "{}", "messages.0.group_id": "{open}", "messages.0.persistent": true,
					"messages.0.create_time": isTime, "next_cursor": present, "cacheable_cursor": present},
				absent: []string{"prev_cursor"}},
			{name: "all, in order", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?limit=100", auth: as("alice"), status: 200,
				want:   fields{"messages.#": 2, "messages.0.code": 3, "messages.1.code": 6, "messages.1.sender_id": "{bob}"},
				absent: []string{"next_cursor", "prev_cursor"}},
			{name: "newest first", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?forward=false", auth: as("alice"), status: 200,
				want: fields{"messages.#": 1, "messages.0.code": 6, "next_cursor": present}},
			{name: "next page", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?cursor={next}", auth: as("alice"), status: 200,
				want: fields{"messages.#": 1, "messages.0.code": 6, "prev_cursor": present}, absent: []string{"next_cursor"}},
			{name: "cursor of the other direction", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?forward=false&cursor={next}",
				auth: as("alice"), status: 400, want: fail(3, "Cursor is invalid or expired.")},
			{name: "garbage cursor", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?cursor=abc", auth: as("alice"),
				status: 400, want: fail(3, "Cursor is invalid or expired.")},
			{name: "limit 0", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?limit=0", auth: as("alice"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "limit 101", fired: unchecked, method: "GET", path: "/v2/channel/{chan}?limit=101", auth: as("alice"),
				status: 400, want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "kicked user", fired: unchecked, method: "GET", path: "/v2/channel/{chan}", auth: as("bob"),
				status: 400, want: fail(3, "Group not found.")},
			{name: "never a member", fired: unchecked, method: "GET", path: "/v2/channel/{chan}", auth: as("carol"),
				status: 400, want: fail(3, "Group not found.")},
			{name: "bad channel id", fired: unchecked, method: "GET", path: "/v2/channel/9.x..", auth: as("alice"),
				status: 400, want: fail(3, "Invalid channel ID.")},
			{name: "room: open to all, empty", fired: unchecked, method: "GET", path: "/v2/channel/2...lobby", auth: as("carol"),
				status: 200, absent: []string{"messages", "next_cursor"}},
			{name: "direct channel of others", fired: unchecked, method: "GET", path: "/v2/channel/4.00000000-0000-4000-8000-000000000001.00000000-0000-4000-8000-000000000002.",
				auth: as("carol"), status: 400, want: fail(3, "Channel not found.")},
		})
	})
}
