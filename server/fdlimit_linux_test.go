package server_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// Running out of file descriptors does not end the process (issue 8): under a
// low RLIMIT_NOFILE, idle connections use up every descriptor; accept fails
// with EMFILE, which fasthttp's Serve used to return, exiting the server.
// Now the listener waits it out and serves again once connections close.
func TestFileDescriptorExhaustion(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit (util-linux) not installed")
	}
	const limit = 64
	srv := childserver.Start(t, childserver.Options{
		Prefix: []string{"prlimit", "--nofile=64:64"},
	})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	// Each accepted connection costs the server a descriptor; the kernel
	// completes handshakes for the backlog, so dialing keeps succeeding.
	for i := 0; i < 3*limit && !strings.Contains(srv.Output(), "out of file descriptors"); i++ {
		c, err := net.DialTimeout("tcp", srv.Addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		time.Sleep(5 * time.Millisecond) // let the server accept it
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.Output(), "out of file descriptors") {
		if done, err := srv.Exited(); done {
			t.Fatalf("the server exited (%v):\n%s", err, childserver.Tail(srv.Output(), 4096))
		}
		if time.Now().After(deadline) {
			t.Fatalf("descriptors never ran out with %d connections:\n%s", len(conns), childserver.Tail(srv.Output(), 4096))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Out of descriptors, a new request waits; it must not kill the process.
	if done, err := srv.Exited(); done {
		t.Fatalf("the server exited (%v):\n%s", err, childserver.Tail(srv.Output(), 4096))
	}
	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	srv.RequireAlive(t)

	// And it serves a full request on a new connection.
	c, err := net.DialTimeout("tcp", srv.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET /healthcheck HTTP/1.1\r\nHost: g\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after recovery: %v %v", res, err)
	}
	if !strings.Contains(srv.Output(), "accepting connections again") {
		t.Errorf("no recovery logged:\n%s", childserver.Tail(srv.Output(), 4096))
	}
	srv.Stop(t)
}

// --http.max_conns_per_ip is applied: one connection over it is refused.
func TestMaxConnsPerIP(t *testing.T) {
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{"GUILDHALL_HTTP_MAX_CONNS_PER_IP": "2"}})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	get := func() (*http.Response, error) {
		c, err := net.DialTimeout("tcp", srv.Addr, 2*time.Second)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("GET /healthcheck HTTP/1.1\r\nHost: g\r\n\r\n")); err != nil {
			return nil, err
		}
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	// The health probe's keep-alive connection (childserver's client) may
	// still count against the limit until the server has seen it close:
	// retry the two allowed connections until that has happened.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	for deadline := time.Now().Add(5 * time.Second); ; {
		var failed error
		for i := 0; i < 2 && failed == nil; i++ {
			if res, err := get(); err != nil || res.StatusCode != 200 {
				failed = fmt.Errorf("connection %d: %v %v", i, res, err)
			}
		}
		if failed == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(failed)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		conns = nil
		time.Sleep(20 * time.Millisecond)
	}
	if res, err := get(); err != nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection: %v %v, want 429", res, err)
	}
}
