package api_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/server"
)

// testClock is the group service's clock in these tests: invitations expire
// by moving it, never by sleeping. Each reading moves it on a millisecond, so
// every operation has its own time (orders by time stay those of the calls).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// eachClocked runs fn per database on a server whose group clock the test moves.
func eachClocked(t *testing.T, mod func(*server.Config), fn func(t *testing.T, e *env, clk *testClock)) {
	testdb.Each(t, func(t *testing.T, dialect, url string) {
		clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
		e := startWith(t, dialect, url, func(c *server.Config) {
			c.Clock = clk.now
			if mod != nil {
				mod(c)
			}
		})
		fn(t, e, clk)
	})
}

// saveInvitation records invitations.<i>.id of a response as placeholder key.
func saveInvitation(i, key string) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		v, ok := lookup(r.body, "invitations."+i+".id")
		if !ok {
			t.Fatalf("no invitations.%s.id in %s", i, r.raw)
		}
		e.ids[key] = v.(string)
	}
}

// oneOf matches any of the (expanded) values.
func oneOf(vals ...string) matchIn {
	return func(e *env, v any) string {
		for _, w := range vals {
			if v == e.expand(w) {
				return ""
			}
		}
		return fmt.Sprintf("one of %q", vals)
	}
}

// expiresIn checks the first invitation's expiry against its update time
// (--groups.invitation_ttl's default when expires_in_sec is absent).
func expiresIn(d time.Duration) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		up, err1 := time.Parse(time.RFC3339, r.str("invitations.0.update_time"))
		ex, err2 := time.Parse(time.RFC3339, r.str("invitations.0.expire_time"))
		if err1 != nil || err2 != nil || ex.Sub(up) != d {
			t.Errorf("expires %v after its update, want %v (%v %v)", ex.Sub(up), d, err1, err2)
		}
	}
}

func TestInvitations(t *testing.T) {
	eachClocked(t, nil, func(t *testing.T, e *env, clk *testClock) {
		e.addUsers("alice", "bob", "carol", "dave", "erin", "frank", "gina", "hal", "ivan")
		e.group("inv", "alice", `{"name":"Inv","join_policy":"invite_only"}`)
		e.group("req", "alice", `{"name":"Req"}`)
		e.group("shut", "alice", `{"name":"Shut","join_policy":"closed"}`)
		e.group("tiny", "alice", `{"name":"Tiny","join_policy":"invite_only","max_count":2}`)
		e.must("POST", "/v2/group/{inv}/add?user_ids={erin}&user_ids={bob}", as("alice"), "")
		e.must("POST", "/v2/group/{inv}/promote?user_ids={bob}", as("alice"), "")
		e.must("POST", "/v2/group/{req}/join", as("gina"), `{"message":"hi"}`)
		e.must("POST", "/v2/group/{req}/join", as("frank"), "")
		e.must("POST", "/v2/group/{req}/ban?user_ids={frank}", as("alice"), "")
		ig := both("InviteGroupUsers")
		notPending := fail(9, "Invitation is no longer pending.")
		notFound := fail(5, "Invitation not found.")
		e.run([]scenario{
			{name: "invite/no token", method: "POST", path: "/v2/group/{inv}/invite", auth: noAuth, body: `{"user_ids":["{carol}"]}`,
				status: 401, want: fail(16, "Auth token required")},
			{name: "invite/not an admin", method: "POST", path: "/v2/group/{inv}/invite", auth: as("erin"), body: `{"user_ids":["{carol}"]}`,
				status: 404, fired: refused("InviteGroupUsers"), want: fail(5, "Group not found or permission denied.")},
			{name: "invite/unknown user: nobody invited", method: "POST", path: "/v2/group/{inv}/invite", auth: as("alice"),
				body: `{"user_ids":["{carol}","{unknown}"]}`, status: 400, fired: refused("InviteGroupUsers"),
				want: fail(3, "One or more users not found.")},
			{name: "invite/expiry over 30 days", method: "POST", path: "/v2/group/{inv}/invite", auth: as("alice"),
				body: `{"user_ids":["{carol}"],"expires_in_sec":2592001}`, status: 400, fired: refused("InviteGroupUsers"),
				want: fail(3, "Invitation expiry must be between 1 and 2592000 seconds.")},
			{name: "invite/user_ids not a list", method: "POST", path: "/v2/group/{inv}/invite", auth: as("alice"),
				body: `{"user_ids":"{carol}"}`, status: 400, want: fail(3, `Invalid value for field "user_ids": expected an array of strings.`)},
			{name: "invite/closed group", method: "POST", path: "/v2/group/{shut}/invite", auth: as("alice"),
				body: `{"user_ids":["{carol}"]}`, status: 403, fired: refused("InviteGroupUsers"), want: fail(7, "This group is closed to new members.")},
			{name: "invite/members and the caller skipped", method: "POST", path: "/v2/group/{inv}/invite", auth: as("bob"),
				body: `{"user_ids":["{carol}","{erin}","{bob}","{alice}","{dave}"],"message":"Join us"}`, status: 200, fired: ig,
				want: fields{"invitations.#": 2, "invitations.0.user_id": "{carol}", "invitations.0.group_id": "{inv}",
					"invitations.0.group_name": "Inv", "invitations.0.inviter_id": "{bob}", "invitations.0.message": "Join us",
					"invitations.0.state": "pending", "invitations.0.id": isUUID, "invitations.0.expire_time": isTime,
					"invitations.1.user_id": "{dave}"},
				check: checks(saveInvitation("0", "i-carol"), saveInvitation("1", "i-dave"), expiresIn(7*24*time.Hour))},
			{name: "invite/re-invite renews: same id, new message", method: "POST", path: "/v2/group/{inv}/invite", auth: as("alice"),
				body: `{"userIds":["{carol}"],"message":"Still?","expiresInSec":3600}`, status: 200, fired: ig,
				want: fields{"invitations.#": 1, "invitations.0.id": "{i-carol}", "invitations.0.message": "Still?", "invitations.0.inviter_id": "{alice}"}},
			{name: "invite/a join request is accepted instead", method: "POST", path: "/v2/group/{req}/invite", auth: as("alice"),
				body: `{"user_ids":["{gina}","{frank}"]}`, status: 200, fired: ig,
				want:  fields{"invitations.#": 1, "invitations.0.user_id": "{gina}", "invitations.0.state": "accepted"},
				check: checks(membersAre("req", "alice:0", "gina:2", "frank:4"), notified("gina", -4, 1))},
			{name: "invite/server API as the system", method: "POST", path: "/v2/server/group/{inv}/invite", auth: httpKey,
				body: `{"user_ids":["{gina}","{hal}"],"expires_in_sec":60}`, status: 200,
				want:   fields{"invitations.#": 2, "invitations.1.user_id": "{hal}"},
				absent: []string{"invitations.0.inviter_id", "invitations.0.message"},
				check:  checks(saveInvitation("0", "i-gina"), saveInvitation("1", "i-hal"))},
			{name: "invite/server API unknown group", method: "POST", path: "/v2/server/group/{unknown}/invite", auth: httpKey,
				body: `{"user_ids":["{hal}"]}`, status: 404, want: fail(5, "Group not found or permission denied.")},

			// Listing.
			{name: "list/mine", method: "GET", path: "/v2/invitation", auth: as("carol"), status: 200, fired: both("ListInvitations"),
				want: fields{"invitations.#": 1, "invitations.0.id": "{i-carol}", "invitations.0.group_name": "Inv", "invitations.0.state": "pending"}},
			{name: "list/limit out of range", method: "GET", path: "/v2/invitation?limit=101", auth: as("carol"), status: 400,
				want: fail(3, "Invalid limit - limit must be between 1 and 100.")},
			{name: "list/a group's, newest first, paged", method: "GET", path: "/v2/group/{inv}/invitation?limit=2", auth: as("alice"),
				status: 200, fired: both("ListGroupInvitations"),
				// gina's and hal's came in one call (one time): either order.
				want: fields{"invitations.#": 2, "invitations.0.id": oneOf("{i-hal}", "{i-gina}"),
					"invitations.1.id": oneOf("{i-hal}", "{i-gina}"), "cursor": present},
				check: func(t *testing.T, e *env, r resp) {
					r2 := e.do("GET", e.expand("/v2/group/{inv}/invitation?limit=2&cursor="+r.str("cursor")), as("alice"), "")
					e.hooks.take()
					e.checkFields(t, r2, fields{"invitations.#": 2, "invitations.0.id": "{i-carol}", "invitations.1.id": "{i-dave}"}, []string{"cursor"})
				}},
			{name: "list/a group's: not for members", method: "GET", path: "/v2/group/{inv}/invitation", auth: as("erin"), status: 404,
				fired: refused("ListGroupInvitations"), want: fail(5, "Group not found or permission denied.")},
			{name: "list/a group's: bad state", method: "GET", path: "/v2/group/{inv}/invitation?state=lost", auth: as("alice"), status: 400,
				fired: refused("ListGroupInvitations"), want: fail(3, "Invalid state - state must be one of pending, accepted, declined, revoked, expired.")},
			{name: "list/server API", method: "GET", path: "/v2/server/group/{inv}/invitation?state=pending", auth: httpKey, status: 200,
				want: fields{"invitations.#": 4}},
			{name: "list/server API unknown group", method: "GET", path: "/v2/server/group/{unknown}/invitation", auth: httpKey, status: 404,
				want: fail(5, "Group not found or permission denied.")},

			// Decline, accept, revoke.
			{name: "decline/not mine", method: "POST", path: "/v2/invitation/{i-dave}/decline", auth: as("carol"), status: 404,
				fired: refused("DeclineInvitation"), want: notFound},
			{name: "decline", method: "POST", path: "/v2/invitation/{i-dave}/decline", auth: as("dave"), status: 200, fired: both("DeclineInvitation")},
			{name: "decline/again", method: "POST", path: "/v2/invitation/{i-dave}/decline", auth: as("dave"), status: 400,
				fired: refused("DeclineInvitation"), want: notPending},
			{name: "accept/declined", method: "POST", path: "/v2/invitation/{i-dave}/accept", auth: as("dave"), status: 400,
				fired: refused("AcceptInvitation"), want: notPending},
			{name: "accept/not mine", method: "POST", path: "/v2/invitation/{i-carol}/accept", auth: as("dave"), status: 404,
				fired: refused("AcceptInvitation"), want: notFound},
			{name: "accept/unknown", method: "POST", path: "/v2/invitation/{unknown}/accept", auth: as("dave"), status: 404,
				fired: refused("AcceptInvitation"), want: notFound},
			{name: "accept/empty id", method: "POST", path: "/v2/invitation//accept", auth: as("dave"), status: 400,
				want: fail(3, "Invitation ID must be set.")},
			{name: "revoke/empty id, server API", method: "DELETE", path: "/v2/server/invitation/", auth: httpKey, status: 400,
				want: fail(3, "Invitation ID must be set.")},
			{name: "accept/malformed id", method: "POST", path: "/v2/invitation/nope/accept", auth: as("dave"), status: 400,
				fired: refused("AcceptInvitation"), want: fail(3, "Invitation ID must be a valid ID.")},
			{name: "accept", method: "POST", path: "/v2/invitation/{i-carol}/accept", auth: as("carol"), status: 200, fired: both("AcceptInvitation"),
				check: membersAre("inv", "alice:0", "bob:1", "erin:2", "carol:2")},
			{name: "accept/again", method: "POST", path: "/v2/invitation/{i-carol}/accept", auth: as("carol"), status: 400,
				fired: refused("AcceptInvitation"), want: notPending},
			{name: "list/accepted by state", method: "GET", path: "/v2/group/{inv}/invitation?state=accepted", auth: as("bob"), status: 200,
				fired: both("ListGroupInvitations"), want: fields{"invitations.#": 1, "invitations.0.state": "accepted", "invitations.0.user_id": "{carol}"}},
			{name: "revoke/a plain member", method: "DELETE", path: "/v2/invitation/{i-gina}", auth: as("erin"), status: 404,
				fired: refused("RevokeInvitation"), want: notFound},
			{name: "revoke/by an admin", method: "DELETE", path: "/v2/invitation/{i-gina}", auth: as("bob"), status: 200, fired: both("RevokeInvitation")},
			{name: "revoke/again", method: "DELETE", path: "/v2/invitation/{i-gina}", auth: as("alice"), status: 400,
				fired: refused("RevokeInvitation"), want: notPending},
			{name: "accept/revoked", method: "POST", path: "/v2/invitation/{i-gina}/accept", auth: as("gina"), status: 400,
				fired: refused("AcceptInvitation"), want: notPending},
		})

		// Expiry, by the injected clock: hal's invitation lasts 60 s.
		clk.advance(61 * time.Second)
		e.run([]scenario{
			{name: "expired/not among my invitations", method: "GET", path: "/v2/invitation", auth: as("hal"), status: 200,
				fired: both("ListInvitations"), absent: []string{"invitations"}},
			{name: "expired/not among the group's pending", method: "GET", path: "/v2/group/{inv}/invitation", auth: as("alice"), status: 200,
				fired: both("ListGroupInvitations"), absent: []string{"invitations"}},
			{name: "expired/listed under the expired filter", method: "GET", path: "/v2/group/{inv}/invitation?state=expired", auth: as("alice"),
				status: 200, fired: both("ListGroupInvitations"), want: fields{"invitations.#": 1, "invitations.0.id": "{i-hal}", "invitations.0.state": "expired"}},
			{name: "expired/cannot be accepted", method: "POST", path: "/v2/invitation/{i-hal}/accept", auth: as("hal"), status: 400,
				fired: refused("AcceptInvitation"), want: fail(9, "Invitation has expired.")},
			{name: "expired/re-invite renews it", method: "POST", path: "/v2/group/{inv}/invite", auth: as("alice"),
				body: `{"user_ids":["{hal}"]}`, status: 200, fired: ig, want: fields{"invitations.0.id": "{i-hal}", "invitations.0.state": "pending"}},
			{name: "expired/server API revokes", method: "DELETE", path: "/v2/server/invitation/{i-hal}", auth: httpKey, status: 200},
			{name: "expired/server API revoke unknown", method: "DELETE", path: "/v2/server/invitation/{unknown}", auth: httpKey, status: 404, want: notFound},
		})

		// Accept is checked at that moment: capacity and bans.
		r := e.must("POST", "/v2/group/{tiny}/invite", as("alice"), `{"user_ids":["{carol}","{dave}"]}`)
		e.ids["t-carol"], e.ids["t-dave"] = r.str("invitations.0.id"), r.str("invitations.1.id")
		r = e.must("POST", "/v2/group/{req}/invite", as("alice"), `{"user_ids":["{ivan}"]}`)
		e.ids["r-ivan"] = r.str("invitations.0.id")
		e.must("POST", "/v2/group/{req}/join", as("ivan"), "")
		e.must("POST", "/v2/group/{req}/ban?user_ids={ivan}", as("alice"), "")
		e.run([]scenario{
			{name: "accept/fills the last seat", method: "POST", path: "/v2/invitation/{t-carol}/accept", auth: as("carol"), status: 200,
				fired: both("AcceptInvitation"), check: groupHas("tiny", fields{"edge_count": 2})},
			{name: "accept/full", method: "POST", path: "/v2/invitation/{t-dave}/accept", auth: as("dave"), status: 400,
				fired: refused("AcceptInvitation"), want: fail(3, "Group is full.")},
			{name: "accept/banned meanwhile", method: "POST", path: "/v2/invitation/{r-ivan}/accept", auth: as("ivan"), status: 403,
				fired: refused("AcceptInvitation"), want: fail(7, "User is banned from this group.")},
		})
	})
}

// TestInvitationTTLConfig: --groups.invitation_ttl is the expiry of an
// invitation without expires_in_sec; an explicit one wins.
func TestInvitationTTLConfig(t *testing.T) {
	eachWith(t, func(c *server.Config) { c.GroupInvitationTTL = 90 * time.Minute }, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "carol")
		e.group("g", "alice", `{"name":"G"}`)
		e.run([]scenario{
			{name: "default from the configuration", method: "POST", path: "/v2/group/{g}/invite", auth: as("alice"),
				body: `{"user_ids":["{bob}"]}`, status: 200, fired: both("InviteGroupUsers"), check: expiresIn(90 * time.Minute)},
			{name: "explicit", method: "POST", path: "/v2/group/{g}/invite", auth: as("alice"),
				body: `{"user_ids":["{carol}"],"expires_in_sec":600}`, status: 200, fired: both("InviteGroupUsers"), check: expiresIn(10 * time.Minute)},
		})
	})
}
