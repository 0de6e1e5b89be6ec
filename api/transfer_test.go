package api_test

import (
	"testing"
)

// sqlCount checks a scalar count query over placeholders' ids.
func sqlCount(q string, want int, keys ...string) checkFn {
	return func(t *testing.T, e *env, _ resp) {
		t.Helper()
		args := make([]any, len(keys))
		for i, k := range keys {
			args[i] = e.ids[k]
		}
		if n := e.sqlInt(t, q, args...); n != want {
			t.Errorf("%s %v = %d, want %d", q, keys, n, want)
		}
	}
}

// TestTransfer: leadership transfer through the client and server APIs on
// both databases — the happy paths (to an admin, to a member, by the
// system), each refusal (caller not a superadmin, target not a member or
// admin, banned, a join request, the caller itself, no body, a bad id), the
// hook trace, the audit entry and the channel event message (code 10).
func TestTransfer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "gina")
		e.group("g", "alice", `{"name":"Guild","join_policy":"request"}`)
		e.must("POST", "/v2/group/{g}/add?user_ids={bob}&user_ids={carol}&user_ids={erin}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/promote?user_ids={bob}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/join", as("dave"), "") // a join request
		e.must("POST", "/v2/group/{g}/add?user_ids={frank}", as("alice"), "")
		e.must("POST", "/v2/group/{g}/ban?user_ids={frank}", as("alice"), "")
		tg := both("TransferGroup")
		badTarget := fail(3, "Transfer target must be a member or admin of the group.")
		denied := fail(5, "Group not found or permission denied.")
		e.run([]scenario{
			{name: "no token", method: "POST", path: "/v2/group/{g}/transfer", auth: noAuth, body: `{"user_id":"{bob}"}`,
				status: 401, want: fail(16, "Auth token required")},
			{name: "an admin is not a superadmin", method: "POST", path: "/v2/group/{g}/transfer", auth: as("bob"),
				body: `{"user_id":"{carol}"}`, status: 404, fired: refused("TransferGroup"), want: denied},
			{name: "a member", method: "POST", path: "/v2/group/{g}/transfer", auth: as("carol"),
				body: `{"user_id":"{bob}"}`, status: 404, fired: refused("TransferGroup"), want: denied},
			{name: "an outsider", method: "POST", path: "/v2/group/{g}/transfer", auth: as("gina"),
				body: `{"user_id":"{bob}"}`, status: 404, fired: refused("TransferGroup"), want: denied},
			{name: "unknown group", method: "POST", path: "/v2/group/{unknown}/transfer", auth: as("alice"),
				body: `{"user_id":"{bob}"}`, status: 404, fired: refused("TransferGroup"), want: denied},
			{name: "target not in the group", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{gina}"}`, status: 400, fired: refused("TransferGroup"), want: badTarget},
			{name: "target unknown user", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{unknown}"}`, status: 400, fired: refused("TransferGroup"), want: badTarget},
			{name: "target a join request", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{dave}"}`, status: 400, fired: refused("TransferGroup"), want: badTarget},
			{name: "target banned", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{frank}"}`, status: 400, fired: refused("TransferGroup"), want: badTarget},
			{name: "target the caller", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{alice}"}`, status: 400, fired: refused("TransferGroup"), want: badTarget},
			{name: "no target", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"), body: `{}`,
				status: 400, fired: refused("TransferGroup"), want: fail(3, "Transfer target user ID must be set.")},
			{name: "malformed target", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"), body: `{"user_id":"nope"}`,
				status: 400, fired: refused("TransferGroup"), want: fail(3, "User ID must be a valid ID.")},
			{name: "target not a string", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"), body: `{"user_id":5}`,
				status: 400, want: fail(3, `Invalid value for field "user_id": expected a string.`)},
			{name: "empty group id", method: "POST", path: "/v2/group//transfer", auth: as("alice"), body: `{"user_id":"{bob}"}`,
				status: 400, want: fail(3, "Group ID must be set.")},
			{name: "a before hook refuses", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{bob}"}`, reject: "TransferGroup", status: 404, fired: refused("TransferGroup"),
				want: fail(5, "Requested resource was not found.")},
			{name: "to an admin", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"), body: `{"user_id":"{bob}"}`,
				status: 200, fired: tg, exact: "{}",
				check: checks(membersAre("g", "bob:0", "alice:1", "carol:2", "erin:2", "dave:3", "frank:4"),
					sqlCount("SELECT count(*) FROM audit_log WHERE op = 'transfer_group' AND group_id = ? AND actor_id = ? AND target_ids = ?", 1, "g", "alice", "bob"),
					sqlCount("SELECT count(*) FROM channel_messages WHERE code = 10 AND sender_id = ? AND content LIKE '%'||?||'%'", 1, "bob", "alice"))},
			{name: "the old leader is refused now", method: "POST", path: "/v2/group/{g}/transfer", auth: as("alice"),
				body: `{"user_id":"{carol}"}`, status: 404, fired: refused("TransferGroup"), want: denied},
			{name: "to a member, by the new leader", method: "POST", path: "/v2/group/{g}/transfer", auth: as("bob"),
				body: `{"userId":"{carol}"}`, status: 200, fired: tg,
				check: membersAre("g", "carol:0", "alice:1", "bob:1", "erin:2", "dave:3", "frank:4")},
			{name: "server API: every superadmin becomes admin", method: "POST", path: "/v2/server/group/{g}/transfer", auth: httpKey,
				body: `{"user_id":"{erin}"}`, status: 200,
				check: checks(membersAre("g", "erin:0", "alice:1", "bob:1", "carol:1", "dave:3", "frank:4"),
					sqlCount("SELECT count(*) FROM audit_log WHERE op = 'transfer_group' AND group_id = ? AND actor_id = 'system' AND target_ids = ?", 1, "g", "erin"))},
			{name: "server API: target refused", method: "POST", path: "/v2/server/group/{g}/transfer", auth: httpKey,
				body: `{"user_id":"{dave}"}`, status: 400, want: badTarget},
			{name: "server API: unknown group", method: "POST", path: "/v2/server/group/{unknown}/transfer", auth: httpKey,
				body: `{"user_id":"{dave}"}`, status: 404, want: denied},
		})
	})
}
