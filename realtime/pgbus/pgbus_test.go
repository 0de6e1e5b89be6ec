package pgbus

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guildhall/guildhall/inbox"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/realtime"
)

// node is one in-process hub with its bus on the test database.
type node struct {
	hub *realtime.Hub
	bus *Bus
}

func startNode(t *testing.T, url, name string) node {
	t.Helper()
	h := realtime.New(nil, realtime.Options{Node: name})
	b := Start(context.Background(), url, h, nil)
	h.SetBus(b)
	n := node{h, b}
	t.Cleanup(n.stop)
	return n
}

func (n node) stop() { n.hub.Close(); n.bus.Close() }

// rawListener LISTENs on the bus channel like a node that never says hello
// (so no node counts it as a peer) and returns its payloads.
func rawListener(t *testing.T, url string) <-chan envelope {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		t.Fatal(err)
	}
	out := make(chan envelope, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			var env envelope
			if json.Unmarshal([]byte(n.Payload), &env) == nil {
				out <- env
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; _ = conn.Close(context.Background()) })
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func note(user, id string) realtime.Delivery {
	return realtime.Delivery{Notifications: []inbox.Notification{{ID: id, UserID: user, Subject: id, Content: "{}", Code: 1}}}
}

// TestAloneNodeSendsNothing: a node that knows no other node publishes no
// delivery (one NOTIFY per commit was the cost of a single node); once a
// second node says hello, deliveries flow to it.
func TestAloneNodeSendsNothing(t *testing.T) {
	url := testdb.Postgres(t)
	raw := rawListener(t, url)
	a := startNode(t, url, "node-a")
	for env := range raw { // a listens once its hello is out
		if env.N == "node-a" && env.Hello {
			break
		}
	}
	const user = "00000000-0000-4000-8000-000000000001"
	a.hub.Deliver(note(user, "while-alone"))

	b := startNode(t, url, "node-b")
	s := b.hub.Register(realtime.SessionInfo{UserID: user})
	waitFor(t, "node a to hear of node b", a.bus.HasPeers)
	a.hub.Deliver(note(user, "with-a-peer"))

	// The bus sends in order: had the first delivery gone out, it would be
	// the first notification a sent, and the first frame b's socket got.
	for env := range raw {
		if env.N == "node-a" && env.D != nil && len(env.D.Notifications) > 0 {
			if id := env.D.Notifications[0].ID; id != "with-a-peer" {
				t.Fatalf("node a published %q while it was alone", id)
			}
			break
		}
	}
	select {
	case f := <-s.Outbound():
		if !strings.Contains(string(*f), "with-a-peer") {
			t.Fatalf("node b's socket got %s first, want the notification sent with a peer", *f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("node b's socket got nothing")
	}
}

// TestSilentNodeForgotten: a node that stops beating without saying goodbye
// (a crash) stops counting as a peer, and its presences leave the others'
// channels.
func TestSilentNodeForgotten(t *testing.T) {
	old := beatEvery
	beatEvery = 100 * time.Millisecond
	t.Cleanup(func() { beatEvery = old })
	url := testdb.Postgres(t)
	a := startNode(t, url, "node-a")
	b := startNode(t, url, "node-b")
	waitFor(t, "the nodes to hear of each other", func() bool { return a.bus.HasPeers() && b.bus.HasPeers() })

	const join = `{"cid":"1","channel_join":{"target":"lobby","type":1,"persistence":false,"hidden":false}}`
	sa := a.hub.Register(realtime.SessionInfo{UserID: "00000000-0000-4000-8000-00000000000a", Username: "ann"})
	a.hub.Handle(context.Background(), sa, []byte(join))
	sb := b.hub.Register(realtime.SessionInfo{UserID: "00000000-0000-4000-8000-00000000000b", Username: "bob"})
	b.hub.Handle(context.Background(), sb, []byte(join))
	frame(t, sa, `"joins"`, "bob")

	b.bus.Close() // b's bus stops without b's hub saying goodbye
	frame(t, sa, `"leaves"`, "bob")
	waitFor(t, "node a to stop counting node b", func() bool { return !a.bus.HasPeers() })
}

// frame waits for a frame of s holding every one of want.
func frame(t *testing.T, s *realtime.Session, want ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-s.Outbound():
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(string(*f), w)
			}
			if ok {
				return
			}
		case <-deadline:
			t.Fatalf("no frame with %q", want)
		}
	}
}

// TestListenerReconnectsAfterQuietWaits: waits that time out with nothing
// to hear keep the connection, and a connection lost after them is still
// noticed and re-established (the node says hello again).
func TestListenerReconnectsAfterQuietWaits(t *testing.T) {
	old := beatEvery
	beatEvery = 50 * time.Millisecond
	t.Cleanup(func() { beatEvery = old })
	url := testdb.Postgres(t)
	raw := rawListener(t, url)
	a := startNode(t, url, "node-a")
	hellos := func() {
		for env := range raw {
			if env.N == "node-a" && env.Hello {
				return
			}
		}
	}
	hellos()
	beats := 0
	for env := range raw { // a's own beats come back to it: its waits do not all time out,
		if env.N == "node-a" && env.Beat { // so wait through a few quiet ones too
			if beats++; beats == 5 {
				break
			}
		}
	}
	time.Sleep(3 * beatEvery)
	if !a.bus.KillListener() {
		t.Fatal("no listener connection to kill")
	}
	done := make(chan struct{})
	go func() { hellos(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the node did not reconnect its listener")
	}
}
