// Package ws is the realtime socket's transport: GET /ws on Fiber, upgraded
// with gofiber/contrib/websocket (fasthttp/websocket, a maintained gorilla
// port that runs on Fiber's fasthttp server), Nakama's handshake, control
// pings, read deadlines, frame limits and close frames. The hub
// (package realtime) does the rest.
package ws

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/realtime"
)

// Config is the socket's settings; zero values are Nakama's defaults.
type Config struct {
	Hub *realtime.Hub
	// Verify checks a session token and says whose it is (the server wires
	// accounts.Service.VerifySession).
	Verify func(ctx context.Context, token string) (realtime.SessionInfo, error)
	Log    *slog.Logger
	// MaxMessageSize bounds an inbound frame (4096 bytes); larger → close 1009.
	MaxMessageSize int64
	// PingPeriod is how often the server sends a control ping (15 s).
	PingPeriod time.Duration
	// PongWait is the read deadline, extended by each pong and message (25 s).
	PongWait time.Duration
	// WriteWait bounds one frame's write (10 s).
	WriteWait time.Duration
	// HandlerTimeout bounds the work of one inbound message (10 s).
	HandlerTimeout time.Duration
}

const sessionKey = "guildhall.rtsession"

// Handler returns GET /ws: the handshake (format, token; 400/401 answered
// before any upgrade), then the socket.
func Handler(cfg Config) fiber.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 4096
	}
	if cfg.PingPeriod <= 0 {
		cfg.PingPeriod = 15 * time.Second
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = 25 * time.Second
	}
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = 10 * time.Second
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = 10 * time.Second
	}
	// Small read buffers and pooled write buffers: an idle socket then holds
	// no write buffer at all (10k idle sockets are the common case).
	upgrade := fws.New(func(c *fws.Conn) { serve(c, cfg) }, fws.Config{ReadBufferSize: 1024, WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{}})
	return func(c *fiber.Ctx) error {
		switch c.Query("format") {
		case "", "json":
		case "protobuf":
			return plain(c, fiber.StatusBadRequest, "Protobuf format is not supported")
		default:
			return plain(c, fiber.StatusBadRequest, "Invalid format parameter")
		}
		token := c.Query("token")
		if h := c.Get(fiber.HeaderAuthorization); h != "" {
			const prefix = "Bearer "
			if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
				return plain(c, fiber.StatusUnauthorized, "Missing or invalid token")
			}
			token = strings.TrimSpace(h[len(prefix):])
		}
		if token == "" {
			return plain(c, fiber.StatusUnauthorized, "Missing or invalid token")
		}
		info, err := cfg.Verify(c.UserContext(), token)
		if err != nil {
			return plain(c, fiber.StatusUnauthorized, "Missing or invalid token")
		}
		if !fws.IsWebSocketUpgrade(c) {
			return plain(c, fiber.StatusUpgradeRequired, "Upgrade Required")
		}
		c.Locals(sessionKey, info)
		dropHandshakeCopies(c)
		return upgrade(c)
	}
}

// dropHandshakeCopies empties the request's query and every header the
// upgrade does not read: the websocket adapter copies them into maps kept for
// the socket's whole life, and nothing reads them after the handshake (the
// session is in the locals). The token alone, in the query or the
// Authorization header, is about 0.4 KiB on each idle socket.
func dropHandshakeCopies(c *fiber.Ctx) {
	c.Request().URI().QueryArgs().Reset()
	h := &c.Request().Header
	var drop []string
	h.VisitAll(func(k, _ []byte) {
		switch strings.ToLower(string(k)) {
		case "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
			"sec-websocket-extensions", "sec-websocket-protocol", "origin":
		default:
			drop = append(drop, string(k))
		}
	})
	for _, k := range drop {
		h.Del(k)
	}
}

func plain(c *fiber.Ctx, status int, msg string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(status).SendString(msg)
}

// serve runs one socket: this goroutine reads, writer writes.
func serve(c *fws.Conn, cfg Config) {
	info, _ := c.Locals(sessionKey).(realtime.SessionInfo)
	s := cfg.Hub.Register(info)
	c.SetReadLimit(cfg.MaxMessageSize)
	_ = c.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.SetPongHandler(func(string) error { return c.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	done := make(chan struct{})
	go writer(c.Conn, s, cfg, done)
	for {
		typ, data, err := c.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseMessageTooBig, ""),
					time.Now().Add(cfg.WriteWait))
				s.Close("message too big")
			}
			break
		}
		select {
		case <-s.Done():
			continue // closing: read until the client's close answer
		default:
		}
		if typ != websocket.TextMessage {
			s.Close(realtime.ReasonMalformed) // JSON sessions take text frames only
			continue
		}
		_ = c.SetReadDeadline(time.Now().Add(cfg.PongWait))
		ctx, cancel := context.WithTimeout(context.Background(), cfg.HandlerTimeout)
		cfg.Hub.Handle(ctx, s, data)
		cancel()
	}
	cfg.Hub.Unregister(s)
	<-done
}

// writer writes the session's queue, pings, ends the session at its token's
// expiry, and finally writes what is left and the close frame.
func writer(c *websocket.Conn, s *realtime.Session, cfg Config, done chan<- struct{}) {
	defer close(done)
	ping := time.NewTicker(cfg.PingPeriod)
	defer ping.Stop()
	var expiry <-chan time.Time
	if !s.Expires.IsZero() {
		t := time.NewTimer(time.Until(s.Expires))
		defer t.Stop()
		expiry = t.C
	}
	write := func(b []byte) bool {
		_ = c.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
		return c.WriteMessage(websocket.TextMessage, b) == nil
	}
	for {
		select {
		case b := <-s.Outbound():
			if !write(*b) {
				s.Close(realtime.ReasonServer)
				_ = c.UnderlyingConn().Close()
				return
			}
		case <-ping.C:
			if c.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait)) != nil {
				s.Close(realtime.ReasonServer)
				_ = c.UnderlyingConn().Close()
				return
			}
		case <-expiry:
			s.Close(realtime.ReasonExpired)
		case <-s.Done():
			// Send what is queued (an error before its close), unless the
			// queue filled up: that client is not reading.
			for drained := s.CloseReason() == realtime.ReasonQueueFull; !drained; {
				select {
				case b := <-s.Outbound():
					if !write(*b) {
						drained = true
					}
				default:
					drained = true
				}
			}
			_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, s.CloseReason()),
				time.Now().Add(cfg.WriteWait))
			// Wait at most 2 s for the client's close answer (the reader
			// sees it and ends), then cut the connection.
			time.AfterFunc(2*time.Second, func() { _ = c.UnderlyingConn().Close() })
			return
		}
	}
}
