package api

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Accept back-off while the process is out of file descriptors.
const (
	acceptMinDelay = 5 * time.Millisecond
	acceptMaxDelay = time.Second
)

// Linger bounds for a connection closed with unread request bytes.
const (
	lingerTimeout = 2 * time.Second
	lingerMaxRead = 4 << 20
)

// Listener wraps the API's TCP listener:
//   - running out of file descriptors (EMFILE, ENFILE) is temporary: Accept
//     retries with capped exponential back-off instead of returning an error
//     that would end fasthttp's Serve and the process;
//   - a connection the HTTP layer closes after refusing a request it did not
//     read to the end (an oversize request line or header) drains the unread
//     bytes before closing, so the kernel does not reset the connection and
//     throw away the error answer before the client has read it.
type Listener struct {
	net.Listener
	log       *slog.Logger
	done      chan struct{}
	closeOnce sync.Once
}

// NewListener wraps ln; see Listener.
func NewListener(ln net.Listener, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.Default()
	}
	return &Listener{Listener: ln, log: log, done: make(chan struct{})}
}

// Accept waits for the next connection, riding out descriptor exhaustion. It
// logs once when a burst of failures starts and once when it ends.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	failures := 0
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			if failures > 0 {
				l.log.Info("accepting connections again", "failed_accepts", failures)
			}
			return &conn{Conn: c}, nil
		}
		if !isFDExhausted(err) {
			return nil, err
		}
		if failures == 0 {
			l.log.Warn("out of file descriptors; new connections wait until some close", "error", err)
			delay = acceptMinDelay
		} else {
			delay = min(2*delay, acceptMaxDelay)
		}
		failures++
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-l.done:
			t.Stop()
			return nil, net.ErrClosed
		}
	}
}

// Close stops Accept, including one waiting out a back-off.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func isFDExhausted(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// lingerer is a connection that can drain unread input when it is closed.
type lingerer interface{ lingerOnClose() }

// conn is an accepted connection; linger marks it for a draining close.
type conn struct {
	net.Conn
	linger atomic.Bool
}

func (c *conn) lingerOnClose() { c.linger.Store(true) }

// Close closes at once, or, when marked, half-closes and discards what the
// client still sends (bounded in time and bytes) in the background, so the
// serving goroutine is free at once.
func (c *conn) Close() error {
	if !c.linger.Load() {
		return c.Conn.Close()
	}
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return c.Conn.Close()
	}
	go func() {
		_ = tc.CloseWrite()
		_ = tc.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.CopyN(io.Discard, tc, lingerMaxRead)
		_ = tc.Close()
	}()
	return nil
}
