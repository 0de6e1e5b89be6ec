package realtime_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// node is one guildhall process of the multi-node test.
type node struct {
	t   *testing.T
	srv *childserver.Server
}

func (n node) call(method, path, token, body string) map[string]any {
	n.t.Helper()
	req := testapp.NewRequest(n.t, method, n.srv.URL+path, body)
	if token == "" {
		req.SetBasicAuth("defaultkey", "")
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res := testapp.Send(n.t, req)
	if res.Status != 200 {
		n.t.Fatalf("%s %s: %d %s", method, path, res.Status, res.Raw)
	}
	return res.Body
}

func (n node) session(device string) (token, userID string) {
	n.t.Helper()
	b := n.call("POST", "/v2/account/authenticate/device?username="+device, "", `{"id":"`+device+`"}`)
	token = b["token"].(string)
	a := n.call("GET", "/v2/account", token, "")
	return token, get(a, "user", "id").(string)
}

func (n node) dial(token string) *client {
	n.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+n.srv.Addr+"/ws?token="+token, nil)
	if err != nil {
		n.t.Fatalf("dial %s: %v", n.srv.Addr, err)
	}
	return newClient(n.t, c)
}

// within waits at most d for the frame match accepts.
func within(t *testing.T, c *client, d time.Duration, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	start := time.Now()
	m := c.nextWhere(what, match)
	if took := time.Since(start); took > d {
		t.Fatalf("%s took %v, want ≤ %v", what, took, d)
	}
	return m
}

// TestTwoNodes: two guildhall processes on one PostgreSQL. A user whose
// socket is on node B sees within 1 s the -4 of an accept made through node
// A, the join of a socket on A to their channel and a message written on A;
// with B's listener connection killed, the messages written meanwhile still
// all arrive (caught up from the stored rows).
func TestTwoNodes(t *testing.T) {
	url := testdb.Postgres(t)
	env := map[string]string{"GUILDHALL_DATABASE_URL": url, "GUILDHALL_LOG_LEVEL": "warn"}
	a := node{t, childserver.Start(t, childserver.Options{Env: env})}
	b := node{t, childserver.Start(t, childserver.Options{Env: env})} // after A: A has migrated
	aliceTok, _ := a.session("multinode-alice")
	bobTok, bobID := b.session("multinode-bob")

	g := a.call("POST", "/v2/group", aliceTok, `{"name":"Two Nodes","open":false}`)
	gid := g["id"].(string)
	bs := b.dial(bobTok)
	bs.request("p", `{"cid":"p","ping":{}}`)
	b.call("POST", "/v2/group/"+gid+"/join", bobTok, "")
	a.call("POST", "/v2/group/"+gid+"/add?user_ids="+bobID, aliceTok, "")
	within(t, bs, time.Second, "the -4 of A's accept", func(m map[string]any) bool {
		list, _ := get(m, "notifications", "notifications").([]any)
		return len(list) == 1 && get(list[0].(map[string]any), "code") == -4.0
	})

	join := `{"cid":"j","channel_join":{"target":"` + gid + `","type":3}}`
	bs.request("j", join)
	as := a.dial(aliceTok)
	as.request("j", join)
	within(t, bs, time.Second, "alice's join on A", func(m map[string]any) bool {
		joins, _ := get(m, "channel_presence_event", "joins").([]any)
		return len(joins) == 1 && get(joins[0].(map[string]any), "user_id") != bobID
	})
	chID := "3." + gid + ".."
	as.send(`{"cid":"m","channel_message_send":{"channel_id":"` + chID + `","content":"{\"n\":-1}"}}`)
	within(t, bs, time.Second, "A's message", func(m map[string]any) bool {
		return get(m, "channel_message", "content") == `{"n":-1}`
	})

	// Kill every realtime listener connection (B's among them) and write
	// at once: what goes out while B is not listening must still arrive.
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var killed int
	if err := db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name LIKE 'guildhall-realtime-listen-%' AND datname = current_database()`).Scan(&killed); err != nil || killed != 2 {
		t.Fatalf("killed %d listeners (%v), want both nodes'", killed, err)
	}
	const n = 20
	for i := 0; i < n; i++ {
		as.send(fmt.Sprintf(`{"cid":"k%d","channel_message_send":{"channel_id":"%s","content":"{\"n\":%d}"}}`, i, chID, i))
	}
	got := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		m := bs.nextMessage(0) // chat messages only, not event messages
		var c struct{ N int }
		if s, ok := get(m, "channel_message", "content").(string); ok && json.Unmarshal([]byte(s), &c) == nil && c.N >= 0 {
			id := get(m, "channel_message", "message_id").(string)
			if got[id] {
				t.Fatalf("message %s delivered twice", id)
			}
			got[id] = true
		}
	}
	if len(got) != n {
		t.Fatalf("B's socket got %d of the %d messages written while its listener was down", len(got), n)
	}
	if !strings.Contains(b.srv.Output(), "listener connection lost") {
		t.Errorf("B did not log the lost listener:\n%s", childserver.Tail(b.srv.Output(), 2048))
	}

	// A node started now learns who is in the channel from the others.
	c := node{t, childserver.Start(t, childserver.Options{Env: env})}
	carolTok, carolID := c.session("multinode-carol")
	a.call("POST", "/v2/group/"+gid+"/add?user_ids="+carolID, aliceTok, "")
	cs := c.dial(carolTok)
	deadline = time.Now().Add(5 * time.Second)
	for {
		got := cs.request("j", join)
		var users []string
		for _, p := range asList(get(got, "channel", "presences")) {
			users = append(users, get(p, "user_id").(string))
		}
		if len(users) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a node started later lists presences %v, want alice's and bob's", users)
		}
		cs.request("l", `{"cid":"l","channel_leave":{"channel_id":"`+chID+`"}}`)
		time.Sleep(100 * time.Millisecond) // the snapshot is on its way
	}

	// A node that shuts down takes its presences with it, on the others too;
	// its sockets get the shutdown close frame (not a cut connection).
	c.srv.Stop(t)
	if code, reason := cs.closed(); code != websocket.CloseNormalClosure || reason != "server shutting down" {
		t.Errorf("C's socket closed %d %q on C's shutdown", code, reason)
	}
	within(t, as, 3*time.Second, "carol's leave on A", func(m map[string]any) bool {
		leaves := asList(get(m, "channel_presence_event", "leaves"))
		return len(leaves) == 1 && get(leaves[0], "user_id") == carolID
	})
}

func asList(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
