package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/guildhall/guildhall/internal/testapp"
)

// gzipBytes gzips b once.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

func brotliBytes(b []byte) []byte {
	var out bytes.Buffer
	w := brotli.NewWriterLevel(&out, brotli.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// errorIs checks a refusal's status and {"code","message"} body.
func errorIs(t *testing.T, r resp, status, code int, msg string) {
	t.Helper()
	var body struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(r.raw, &body); err != nil || body.Code == nil || body.Message == nil {
		t.Fatalf("status %d, body %q is not {code,message}", r.status, r.raw)
	}
	if r.status != status || *body.Code != code || (msg != "" && *body.Message != msg) {
		t.Errorf("answered %d %s, want %d code %d %q", r.status, r.raw, status, code, msg)
	}
}

// Compressed bodies are unpacked one layer deep and capped at the body limit
// after unpacking (issue 8): a few KB of gzip that unpack to gigabytes are a
// 413, never an out-of-memory crash.
func TestCompressedBodyLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("bob")
		const limit = 256 * 1024
		// A JSON object padded with spaces to exactly n bytes.
		object := func(name string, n int) []byte {
			b := []byte(`{"name":"` + name + `"}`)
			return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
		}
		post := func(path, encoding string, body []byte) resp {
			h := map[string]string{}
			if encoding != "" {
				h["Content-Encoding"] = encoding
			}
			return e.doWith("POST", path, as("bob"), string(body), h)
		}
		zeros := gzipBytes(make([]byte, 64<<20)) // 64 MiB of zeros in ~64 KB
		if len(zeros) > limit {
			t.Fatalf("the bomb is %d bytes, over the wire limit itself", len(zeros))
		}

		t.Run("gzip exactly at the limit", func(t *testing.T) {
			if r := post("/v2/group", "gzip", gzipBytes(object("AtLimit", limit))); r.status != 200 {
				t.Errorf("answered %d %s", r.status, r.raw)
			}
		})
		t.Run("gzip one byte over the limit", func(t *testing.T) {
			errorIs(t, post("/v2/group", "gzip", gzipBytes(object("Over", limit+1))), 413, 3, "Request body too large.")
		})
		t.Run("br within the limit", func(t *testing.T) {
			if r := post("/v2/group", "br", brotliBytes(object("Brotli", 1000))); r.status != 200 {
				t.Errorf("answered %d %s", r.status, r.raw)
			}
		})
		t.Run("br bomb", func(t *testing.T) {
			errorIs(t, post("/v2/group", "br", brotliBytes(make([]byte, 16<<20))), 413, 3, "Request body too large.")
		})
		t.Run("gzip bomb", func(t *testing.T) {
			errorIs(t, post("/v2/group", "gzip", zeros), 413, 3, "Request body too large.")
		})
		t.Run("gzip bomb to an RPC", func(t *testing.T) {
			r := post("/v2/rpc/echo", "gzip", zeros)
			errorIs(t, r, 413, 3, "Request body too large.")
			if !strings.Contains(string(r.raw), `"error":"Request body too large."`) {
				t.Errorf("RPC error body %s lacks its error key", r.raw)
			}
		})
		t.Run("gzip bomb to authenticate", func(t *testing.T) {
			r := e.doWith("POST", "/v2/account/authenticate/device", serverKey, string(zeros),
				map[string]string{"Content-Encoding": "gzip"})
			errorIs(t, r, 413, 3, "Request body too large.")
		})
		t.Run("two layers", func(t *testing.T) {
			errorIs(t, post("/v2/group", "gzip, gzip", gzipBytes(gzipBytes(object("Twice", 100)))), 415, 3, "")
		})
		t.Run("two Content-Encoding headers", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.app.URL+"/v2/group", bytes.NewReader(gzipBytes(gzipBytes(object("Twice", 100)))))
			req.Header.Set("Authorization", "Bearer "+e.users["bob"].token)
			req.Header.Add("Content-Encoding", "gzip")
			req.Header.Add("Content-Encoding", "gzip")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			errorIs(t, resp{status: res.StatusCode, raw: raw}, 415, 3, "")
		})
		t.Run("unknown coding", func(t *testing.T) {
			errorIs(t, post("/v2/group", "compress", object("Lzw", 100)), 415, 3, "")
		})
		t.Run("identity", func(t *testing.T) {
			if r := post("/v2/group", "identity", object("Identity", 100)); r.status != 200 {
				t.Errorf("answered %d %s", r.status, r.raw)
			}
		})
		t.Run("not gzip at all", func(t *testing.T) {
			errorIs(t, post("/v2/group", "gzip", []byte(`{"name":"plain"}`)), 400, 3, "Request body does not match its Content-Encoding.")
		})
		t.Run("truncated gzip", func(t *testing.T) {
			z := gzipBytes(object("Cut", 5000))
			errorIs(t, post("/v2/group", "gzip", z[:len(z)/2]), 400, 3, "Request body does not match its Content-Encoding.")
		})
	})
}

// A path id left empty is refused as its handler refuses an empty id, not
// with 404 or 501 (issue 8).
func TestEmptyPathID(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		group := fail(3, "Group ID must be set.")
		rows := []scenario{
			{name: "update", method: "PUT", path: "/v2/group/", auth: as("alice"), body: `{"name":"x"}`, status: 400, want: group},
			{name: "delete", method: "DELETE", path: "/v2/group/", auth: as("alice"), status: 400, want: group},
			{name: "join", method: "POST", path: "/v2/group//join", auth: as("alice"), status: 400, want: group},
			{name: "leave", method: "POST", path: "/v2/group//leave", auth: as("alice"), status: 400, want: group},
			{name: "list group users", method: "GET", path: "/v2/group//user", auth: as("alice"), status: 400, want: group},
			{name: "list user groups", method: "GET", path: "/v2/user//group", auth: as("alice"), status: 400,
				want: fail(3, "User ID must be set.")},
			{name: "server get", method: "GET", path: "/v2/server/group/", auth: httpKey, status: 400, want: group},
			{name: "server update", method: "PUT", path: "/v2/server/group/", auth: httpKey, body: `{"name":"x"}`, status: 400, want: group},
			{name: "server delete", method: "DELETE", path: "/v2/server/group/", auth: httpKey, status: 400, want: group},
			{name: "rpc GET", method: "GET", path: "/v2/rpc/", auth: httpKey, status: 400,
				exact: `{"code":3,"error":"RPC ID must be set","message":"RPC ID must be set"}`},
			{name: "rpc POST", method: "POST", path: "/v2/rpc/", auth: as("alice"), status: 400,
				want: fields{"code": 3, "message": "RPC ID must be set"}},
			{name: "rpc without credential", method: "POST", path: "/v2/rpc/", auth: noAuth, status: 401,
				want: fields{"code": 16, "message": "Auth token or HTTP key required"}},
			{name: "server route without key", method: "DELETE", path: "/v2/server/group/", auth: noAuth, status: 401,
				want: fail(16, "HTTP key required")},
			{name: "group route without token", method: "DELETE", path: "/v2/group/", auth: noAuth, status: 401},
			{name: "GET /v2/rpc stays 404", method: "GET", path: "/v2/rpc", auth: as("alice"), status: 404, want: fail(5, "Not Found")},
			// Without the slash there is no id segment: the route table's answers stay.
			{name: "DELETE /v2/group stays 501", method: "DELETE", path: "/v2/group", auth: as("alice"), status: 501,
				want: fail(12, "Method Not Allowed")},
			{name: "unknown path stays 404", method: "GET", path: "/v2/nothing//here", auth: as("alice"), status: 404,
				want: fail(5, "Not Found")},
		}
		for _, op := range []string{"add", "ban", "kick", "promote", "demote", "unban"} {
			rows = append(rows,
				scenario{name: op, method: "POST", path: "/v2/group//" + op + "?user_ids={alice}", auth: as("alice"), status: 400, want: group},
				scenario{name: "server " + op, method: "POST", path: "/v2/server/group//" + op + "?user_ids={alice}", auth: httpKey,
					status: 400, want: group})
		}
		e.run(rows)
	})
}

// rawExchange writes request over a fresh connection (in the background, as a
// client streaming a large request does) and reads one response.
func rawExchange(t *testing.T, addr string, request []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = conn.Write(request) }()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a %d-byte request: %v", len(request), err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("truncated answer: %v", err)
	}
	return res, body
}

// An oversize request line or header is answered, in the error shape, and the
// answer survives the client still sending (issue 8: a 92 KB query string
// sometimes got no answer at all — the server closed with unread bytes, the
// kernel reset the connection, and the client saw "connection reset by peer").
func TestOversizeRequestHead(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		addr := strings.TrimPrefix(e.app.URL, "http://")
		var ids []string
		for len(strings.Join(ids, "&")) < 92*1024 {
			ids = append(ids, "user_ids="+e.users["alice"].id)
		}
		query := strings.Join(ids, "&")
		mega := "name=" + strings.Repeat("a", 1<<20)
		check := func(t *testing.T, status int, body []byte, closed bool) {
			t.Helper()
			errorIs(t, resp{status: status, raw: body}, 431, 3, "Request line or header fields too large.")
			if !closed {
				t.Errorf("no Connection: close")
			}
		}
		cases := []struct {
			name, method, path, query, header string
		}{
			{"92 KB of user ids", "POST", "/v2/group/x/add", query, ""},
			{"1 MB request line", "GET", "/v2/group", mega, ""},
			{"64 KB header", "GET", "/v2/group", "", strings.Repeat("b", 64<<10)},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Over a raw connection: one full HTTP answer.
				raw := c.method + " " + c.path + "?" + c.query + " HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n"
				if c.header != "" {
					raw += "X-Big: " + c.header + "\r\n"
				}
				res, body := rawExchange(t, addr, []byte(raw+"\r\n"))
				check(t, res.StatusCode, body, res.Close)

				// With Go's client, which reports a reset while it still writes
				// as the failure of the whole call: repeated, as it was
				// intermittent (about 1 in 10 for 1 MB without the fix).
				for i := 0; i < 40; i++ {
					req, _ := http.NewRequest(c.method, e.app.URL+c.path+"?"+c.query, nil)
					if c.header != "" {
						req.Header.Set("X-Big", c.header)
					}
					res, err := http.DefaultTransport.RoundTrip(req)
					if err != nil {
						t.Fatalf("attempt %d: no answer: %v", i, err)
					}
					body, err := io.ReadAll(res.Body)
					res.Body.Close()
					if err != nil {
						t.Fatalf("attempt %d: truncated answer: %v", i, err)
					}
					check(t, res.StatusCode, body, res.Close)
				}
			})
		}
	})
}

// ?httpKey= authenticates an RPC like ?http_key= and, like it, is not passed
// to the function (issue 8).
func TestRPCQueryHidesCamelHTTPKey(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.run([]scenario{
			{name: "camelCase key", method: "GET", path: "/v2/rpc/query?a=1&httpKey=" + testapp.HTTPKey, auth: noAuth,
				status: 200, want: fields{"payload": `{"a":["1"]}`}},
			{name: "both spellings", method: "GET", path: "/v2/rpc/query?httpKey=x&b=2", auth: httpKey,
				status: 200, want: fields{"payload": `{"b":["2"]}`}},
		})
	})
}

// A function's failure carries Nakama's "error": {} beside code and message
// (issue 8); the endpoint's fixed failures keep the message there.
func TestRPCFunctionErrorShape(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		e.run([]scenario{
			{name: "coded", method: "POST", path: "/v2/rpc/refuse", auth: as("alice"), status: 403,
				exact: `{"code":7,"error":{},"message":"Not for you."}`},
			{name: "uncoded", method: "POST", path: "/v2/rpc/crash", auth: as("alice"), status: 500,
				exact: `{"code":13,"error":{},"message":"Error while trying to run the RPC function."}`},
			{name: "fixed", method: "POST", path: "/v2/rpc/nothing", auth: as("alice"), status: 404,
				exact: `{"code":5,"error":"RPC function not found","message":"RPC function not found"}`},
		})
	})
}
