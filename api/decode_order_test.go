package api_test

import (
	"testing"
)

// TestDecodeOrderDeterministic: a body with several bad fields gets the same
// error every time — fields are read in a fixed order, never in Go's random
// map order (which gave four different messages in 200 tries).
func TestDecodeOrderDeterministic(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		e.group("g", "alice", `{"name":"Target"}`)
		bad := `{"name":1,"description":2,"lang_tag":3,"avatar_url":4,"metadata":5,"creator_id":6,"user_id":7,"open":"x","max_count":"y"}`
		for _, tc := range []struct {
			name, method, path string
			auth               auth
			want               string
		}{
			{"create", "POST", "/v2/group", as("alice"), `Invalid value for field "name": expected a string.`},
			{"update", "PUT", "/v2/group/{g}", as("alice"), `Invalid value for field "name": expected a string.`},
			{"server create", "POST", "/v2/server/group", httpKey, `Invalid value for field "user_id": expected a string.`},
			{"server update", "PUT", "/v2/server/group/{g}", httpKey, `Invalid value for field "max_count": expected a 32-bit integer.`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				seen := map[string]int{}
				for i := 0; i < 200; i++ {
					r := e.do(tc.method, e.expand(tc.path), tc.auth, bad)
					seen[r.str("message")]++
					if r.status != 400 {
						t.Fatalf("status %d: %s", r.status, r.raw)
					}
				}
				if len(seen) != 1 || seen[tc.want] != 200 {
					t.Fatalf("messages over 200 tries: %v; want only %q", seen, tc.want)
				}
			})
		}
		e.hooks.take()
	})
}
