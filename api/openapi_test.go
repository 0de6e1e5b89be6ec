package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/guildhall/guildhall/api"
)

// The OpenAPI document, loaded and checked once for the whole package: every
// response the harness gets (doWith) is validated against it with
// kin-openapi's openapi3filter.
var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

func openAPISpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		spec.doc, spec.err = loader.LoadFromData(api.OpenAPI())
		if spec.err != nil {
			return
		}
		if spec.err = spec.doc.Validate(context.Background()); spec.err != nil {
			return
		}
		spec.router, spec.err = legacy.NewRouter(spec.doc)
	})
	if spec.err != nil {
		t.Fatalf("api/openapi.json: %v", spec.err)
	}
	return spec.doc, spec.router
}

// validateResponse checks one answer against the document: its status must
// be one the operation documents (or its default) and its body must match
// that response's schema. A path the router does not serve and the document
// does not name (404, 405) is checked against nothing, but a successful
// answer must always be documented.
func validateResponse(t testing.TB, req *http.Request, status int, header http.Header, raw []byte) {
	t.Helper()
	_, router := openAPISpec(t)
	probe := req.Clone(context.Background())
	probe.Body = http.NoBody
	route, params, err := router.FindRoute(probe)
	if err != nil {
		// Fiber routes case-insensitively and ignores a trailing slash.
		probe.URL.Path = strings.TrimRight(strings.ToLower(probe.URL.Path), "/")
		route, params, err = router.FindRoute(probe)
	}
	if err != nil {
		if status < 300 {
			t.Errorf("OpenAPI: %s %s answered %d but is not in the document: %v", req.Method, req.URL.Path, status, err)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("OpenAPI: %s %s → %d %s does not validate: %v", req.Method, req.URL.Path, status, raw, err)
	}
}

// TestOpenAPIDocument: /openapi.json serves the embedded document, which
// loads and validates as OpenAPI 3.1.
func TestOpenAPIDocument(t *testing.T) {
	doc, _ := openAPISpec(t)
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	each(t, func(t *testing.T, e *env) {
		r := e.do("GET", "/openapi.json", noAuth, "")
		if r.status != 200 || !bytes.Equal(r.raw, api.OpenAPI()) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET /openapi.json: %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.raw))
		}
	})
}

// TestOpenAPICoversRoutes: every route of the route table is an operation of
// the document and every operation is a route (HEAD, which Fiber adds to
// every GET, aside).
func TestOpenAPICoversRoutes(t *testing.T) {
	doc, _ := openAPISpec(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	var served []string
	for _, r := range routes {
		method, pattern, _ := strings.Cut(r, " ")
		segs := strings.Split(pattern, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, ":") {
				segs[i] = "{" + s[1:] + "}"
			}
		}
		served = append(served, method+" "+strings.Join(segs, "/"))
	}
	sort.Strings(served)
	if strings.Join(served, "\n") != strings.Join(documented, "\n") {
		t.Fatalf("routes and document differ:\nserved:\n  %s\ndocumented:\n  %s",
			strings.Join(served, "\n  "), strings.Join(documented, "\n  "))
	}
}

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }
func (r *recorder) Helper()                           {}

// TestOpenAPIValidationBites: the response check rejects a body that breaks
// its schema, an undocumented status and an undocumented successful path, and
// accepts a conforming answer.
func TestOpenAPIValidationBites(t *testing.T) {
	jsonHeader := http.Header{"Content-Type": []string{"application/json"}}
	get := func(path string) *http.Request {
		req, err := http.NewRequest("GET", "http://127.0.0.1:7350"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		body   string
		bad    bool
	}{
		{"conforming", get("/v2/group?limit=1"), 200, `{"groups":[{"id":"0195b6d6-0000-7000-8000-000000000000","open":true,"edge_count":1}]}`, false},
		{"error shape", get("/v2/group"), 401, `{"code":16,"message":"Auth token required"}`, false},
		{"wrong type", get("/v2/group"), 200, `{"groups":[{"id":"0195b6d6-0000-7000-8000-000000000000","open":"yes"}]}`, true},
		{"missing field", get("/v2/group/0195b6d6-0000-7000-8000-000000000000/user"), 200, `{"group_users":[{"state":2}]}`, true},
		{"bad error", get("/v2/account"), 404, `{"message":"no code"}`, true},
		{"undocumented status", get("/healthcheck"), 500, `{"code":13,"message":"x"}`, true},
		{"undocumented path", get("/v2/secret"), 200, `{}`, true},
		{"unknown path refused", get("/v2/secret"), 404, `{"code":5,"message":"Not Found"}`, false},
	} {
		r := &recorder{TB: t}
		validateResponse(r, tc.req, tc.status, jsonHeader, []byte(tc.body))
		if got := len(r.errs) > 0; got != tc.bad {
			t.Errorf("%s: rejected %v, want %v (%v)", tc.name, got, tc.bad, r.errs)
		}
	}
}
