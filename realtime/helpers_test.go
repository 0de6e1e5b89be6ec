package realtime_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/guildhall/guildhall/internal/testapp"
)

// client is a test socket: a goroutine reads every frame into a channel and
// records how the connection ended.
type client struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan map[string]any
	// pending holds frames a wait for another one passed over, oldest first.
	pending []map[string]any
	mu      sync.Mutex
	code    int
	reason  string
	ended   chan struct{}
}

const wait = 5 * time.Second

func wsURL(app *testapp.App) string { return "ws" + strings.TrimPrefix(app.URL, "http") + "/ws" }

// dial connects with ?token= and the given query; it fails the test unless the
// upgrade succeeds.
func dial(t *testing.T, app *testapp.App, token string) *client {
	t.Helper()
	c, res, err := websocket.DefaultDialer.Dial(wsURL(app)+"?lang=en&status=true&token="+token, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	return newClient(t, c)
}

func newClient(t *testing.T, c *websocket.Conn) *client {
	cl := &client{t: t, conn: c, frames: make(chan map[string]any, 1024), ended: make(chan struct{})}
	go func() {
		defer close(cl.ended)
		defer close(cl.frames)
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				cl.mu.Lock()
				if errors.As(err, &ce) {
					cl.code, cl.reason = ce.Code, ce.Text
				} else {
					cl.code, cl.reason = -1, err.Error()
				}
				cl.mu.Unlock()
				return
			}
			if typ != websocket.TextMessage {
				t.Errorf("frame of type %d", typ)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Errorf("frame %s: %v", data, err)
			}
			cl.frames <- m
		}
	}()
	t.Cleanup(func() { _ = c.Close() })
	return cl
}

// send writes one text frame.
func (c *client) send(frame string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("send %s: %v", frame, err)
	}
}

// next returns the next frame.
func (c *client) next() map[string]any {
	c.t.Helper()
	return c.nextWhere("a frame", func(map[string]any) bool { return true })
}

// nextWhere returns the oldest frame (passed-over ones first) that match
// accepts; frames it passes over stay pending for later waits.
func (c *client) nextWhere(what string, match func(map[string]any) bool) map[string]any {
	c.t.Helper()
	for i, m := range c.pending {
		if match(m) {
			c.pending = append(c.pending[:i:i], c.pending[i+1:]...)
			return m
		}
	}
	deadline := time.After(wait)
	for {
		select {
		case m, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("socket closed (%d %q) while %s was expected", c.code, c.reason, what)
			}
			if match(m) {
				return m
			}
			c.pending = append(c.pending, m)
		case <-deadline:
			c.t.Fatalf("no %s within 5 s", what)
		}
	}
}

// nextWith returns the next frame with the message key (presence events
// arrive asynchronously, in no fixed order with replies).
func (c *client) nextWith(key string) map[string]any {
	c.t.Helper()
	return c.nextWhere(key, func(m map[string]any) bool { _, has := m[key]; return has })
}

// nextMessage returns the next channel_message with the code (the event
// message of a change made just before a join may arrive after it:
// deliveries are asynchronous).
func (c *client) nextMessage(code float64) map[string]any {
	c.t.Helper()
	return c.nextWhere("channel_message", func(m map[string]any) bool { return get(m, "channel_message", "code") == code })
}

// request sends a frame with a cid and returns the frame answering it.
func (c *client) request(cid, frame string) map[string]any {
	c.t.Helper()
	c.send(frame)
	return c.nextWhere("the answer to cid "+cid, func(m map[string]any) bool { return m["cid"] == cid })
}

// closed waits for the connection to end and returns the close frame's code
// and text (-1 and the error when it ended without one).
func (c *client) closed() (int, string) {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				<-c.ended
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.code, c.reason
			}
		case <-time.After(wait):
			c.t.Fatal("socket still open after 5 s")
		}
	}
}

// get returns a nested field: get(m, "channel", "id").
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[p]
	}
	return v
}

// handshake dials with headers and returns the HTTP status (101 on upgrade)
// and the refusal's body.
func handshake(t *testing.T, url string, h http.Header) (int, string) {
	t.Helper()
	c, res, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		_ = c.Close()
		return 101, ""
	}
	if res == nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := res.Body.Read(buf)
	b.Write(buf[:n])
	return res.StatusCode, b.String()
}
