package ws

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

// The websocket adapter copies the request's query and headers into maps
// that live as long as the socket. After dropHandshakeCopies the socket holds
// no copy of the token (query or Authorization) nor of other headers, and the
// upgrade still succeeds with the handshake headers it needs, whatever their
// spelling on the wire.
func TestSocketKeepsNoHandshakeCopies(t *testing.T) {
	type seen struct{ token, format, auth, agent, cookie, key string }
	got := make(chan seen, 1)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	upgrade := fws.New(func(c *fws.Conn) {
		got <- seen{c.Query("token"), c.Query("format"), c.Headers("Authorization"), c.Headers("User-Agent"),
			c.Cookies("sid"), c.Headers("Sec-Websocket-Key")}
	})
	app.Get("/ws", func(c *fiber.Ctx) error {
		dropHandshakeCopies(c)
		return upgrade(c)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })

	h := http.Header{}
	h.Set("Authorization", "Bearer secret-token")
	h.Set("User-Agent", "test-agent")
	h.Set("Cookie", "sid=abc")
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws://"+ln.Addr().String()+"/ws?token=secret-token&format=json", h)
	if err != nil {
		t.Fatalf("upgrade failed after dropping the copies: %v (response %v)", err, resp)
	}
	defer conn.Close()
	select {
	case s := <-got:
		if s.token != "" || s.format != "" || s.auth != "" || s.agent != "" || s.cookie != "" {
			t.Fatalf("the socket kept handshake copies: %+v", s)
		}
		if s.key == "" {
			t.Fatalf("the handshake's own headers were dropped: %+v", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the socket handler never ran")
	}
}
