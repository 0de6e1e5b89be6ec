package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/testapp"
)

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

func deflated(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

// headerIs checks a response header.
func headerIs(name, want string) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// headerHas checks that a response header lists every item of want.
func headerHas(name string, want ...string) checkFn {
	return func(t *testing.T, e *env, r resp) {
		t.Helper()
		got := strings.ToLower(r.header.Get(name))
		for _, w := range want {
			if !strings.Contains(got, strings.ToLower(w)) {
				t.Errorf("%s = %q, want it to list %s", name, got, w)
			}
		}
	}
}

// The conventions of reference §0 that no single route owns.
func TestWireConventions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob")
		e.group("g", "alice", `{"name":"Wire","open":true}`)
		notFound := fail(5, "Not Found")
		notAllowed := fail(12, "Method Not Allowed")
		jsonCT := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}

		e.run([]scenario{
			{name: "healthcheck", method: "GET", path: "/healthcheck", auth: noAuth, status: 200, exact: "{}"},

			// Routing errors.
			// Every /v2/ request but authenticate, refresh, RPC and the server API is
			// authenticated before routing (issue 8): no token is a 401 even here.
			{name: "unknown path", method: "GET", path: "/v2/nothing", auth: as("alice"), status: 404, exact: `{"code":5,"message":"Not Found"}`},
			{name: "unknown path without a token", method: "GET", path: "/v2/nothing", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "unknown path under a known prefix", method: "POST", path: "/v2/group/{g}/explode", auth: as("alice"), status: 404, want: notFound},
			{name: "extra segment", method: "GET", path: "/v2/group/{g}/user/more", auth: as("alice"), status: 404, want: notFound},
			{name: "root", method: "GET", path: "/", auth: noAuth, status: 404, want: notFound},
			{name: "wrong method: PATCH /v2/group", method: "PATCH", path: "/v2/group", auth: as("alice"), status: 501,
				exact: `{"code":12,"message":"Method Not Allowed"}`},
			{name: "wrong method: GET join", method: "GET", path: "/v2/group/{g}/join", auth: as("alice"), status: 501, want: notAllowed},
			// GET /v2/group/{id} is Guildhall's one-group read (TestGetGroup).
			{name: "wrong method: PATCH /v2/group/{id}", method: "PATCH", path: "/v2/group/{g}", auth: as("bob"), status: 501, want: notAllowed},
			{name: "wrong method without a token", method: "PATCH", path: "/v2/group/{g}", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "wrong method: DELETE /v2/account", method: "DELETE", path: "/v2/account", auth: as("alice"), status: 501, want: notAllowed},
			{name: "wrong method: GET authenticate", method: "GET", path: "/v2/account/authenticate/device", auth: serverKey, status: 501, want: notAllowed},
			{name: "wrong method: PUT /v2/group/{id}/user", method: "PUT", path: "/v2/group/{g}/user", auth: as("alice"), status: 501, want: notAllowed},
			{name: "wrong method: POST /v2/server/group/{id}", method: "POST", path: "/v2/server/group/{g}", auth: httpKey, status: 501, want: notAllowed},

			// Headers.
			{name: "Cache-Control", method: "GET", path: "/v2/group/{g}/user", auth: as("bob"), status: 200, fired: both("ListGroupUsers"),
				check: headerIs("Cache-Control", "no-store, no-cache, must-revalidate")},
			{name: "Cache-Control on errors", method: "GET", path: "/v2/group/{g}/user", auth: noAuth, status: 401, want: fail(16, "Auth token required"),
				check: headerIs("Cache-Control", "no-store, no-cache, must-revalidate")},
			{name: "CORS on a response", method: "GET", path: "/v2/group/{g}/user", auth: as("bob"), header: map[string]string{"Origin": "https://game.example"},
				status: 200, fired: both("ListGroupUsers"), check: headerIs("Access-Control-Allow-Origin", "*")},
			{name: "repeated Authorization header", method: "GET", path: "/v2/account", auth: header("Bearer {token:alice}\nBearer {token:alice}"),
				status: 401, want: fail(16, "Auth token invalid")},
			{name: "repeated Basic header", method: "POST", path: "/v2/account/authenticate/device", body: `{"id":"{device:alice}"}`,
				auth: header("Basic ZGVmYXVsdGtleTo=\nBasic ZGVmYXVsdGtleTo="), status: 401, want: fail(16, "Server key required")},

			// Request bodies.
			{name: "nakama-js: trailing ?, JSON headers, no body", method: "POST", path: "/v2/group/{g}/join?", auth: as("bob"), header: jsonCT,
				status: 200, exact: "{}", fired: both("JoinGroup"), check: membersAre("g", "alice:0", "bob:2")},
			{name: "nakama-js: GET with trailing &", method: "GET", path: "/v2/group?name=wire&limit=5&", auth: as("bob"), header: jsonCT,
				status: 200, fired: both("ListGroups"), want: fields{"groups.#": 1, "groups.0.id": "{g}"}},
			{name: "no Content-Type header", method: "POST", path: "/v2/group", auth: as("bob"), body: `{"name":"NoCT"}`,
				header: map[string]string{"Content-Type": ""}, status: 200, fired: both("CreateGroup"), want: fields{"name": "NoCT"}},
			{name: "gzip request body", method: "POST", path: "/v2/group", auth: as("bob"), body: gzipped(`{"name":"Zipped","lang_tag":"nl"}`),
				header: map[string]string{"Content-Encoding": "gzip"}, status: 200, fired: both("CreateGroup"),
				want: fields{"name": "Zipped", "lang_tag": "nl"}},
			{name: "deflate request body", method: "POST", path: "/v2/group", auth: as("bob"), body: deflated(`{"name":"Deflated"}`),
				header: map[string]string{"Content-Encoding": "deflate"}, status: 200, fired: both("CreateGroup"),
				want: fields{"name": "Deflated"}},
			{name: "whitespace around the object", method: "POST", path: "/v2/group", auth: as("bob"), body: " \n\t{\"name\" : \"Spaced\" }\n ",
				status: 200, fired: both("CreateGroup"), want: fields{"name": "Spaced"}},
			{name: "int32 as a numeric string", method: "POST", path: "/v2/group", auth: as("bob"), body: `{"name":"Str","max_count":"12"}`,
				status: 200, fired: both("CreateGroup"), want: fields{"max_count": 12}},
		})

		// The 256 KiB body cap, over a raw connection: the server answers 413 as
		// soon as it reads a Content-Length over the cap (and drains what the
		// client still sends before closing).
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.app.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v2/group HTTP/1.1\r\nHost: guildhall\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", e.expand("{token:bob}"), 300*1024)
		capResp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		capBody, _ := io.ReadAll(capResp.Body)
		if capResp.StatusCode != 413 || !strings.Contains(string(capBody), `"message":"Request body too large."`) ||
			!strings.Contains(string(capBody), `"code":3`) {
			t.Errorf("body over 256 KiB: %d %s", capResp.StatusCode, capBody)
		}

		// CORS preflight: the middleware answers before any route.
		req, _ := http.NewRequest("OPTIONS", e.app.URL+"/v2/group", nil)
		req.Header.Set("Origin", "https://game.example")
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, err := testapp.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Errorf("preflight status %d", res.StatusCode)
		}
		pre := resp{header: res.Header}
		headerIs("Access-Control-Allow-Origin", "*")(t, e, pre)
		headerHas("Access-Control-Allow-Methods", "GET", "HEAD", "POST", "PUT", "DELETE")(t, e, pre)
		headerHas("Access-Control-Allow-Headers", "Authorization", "Content-Type", "User-Agent")(t, e, pre)
	})
}
