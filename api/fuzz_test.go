package api

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/guildhall/guildhall/errs"
)

// Native fuzz targets over the request decoders. `go test ./api` runs the
// seeds; `go test ./api -run '^$' -fuzz '^FuzzParseBody$' -fuzztime 30s`
// (or FuzzQueryParams) explores. The property: no panic, and every refusal
// is bad input — a *errs.Error, or the HTTP layer's own *fiber.Error for
// sizes and encodings — that renders as a 4xx with code 3.

var fuzzLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// fuzzCtx is a Fiber context over a request with the given query, encoding
// and body.
func fuzzCtx(app *fiber.App, query, encoding string, body []byte) (*fiber.Ctx, func()) {
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodPost)
	fctx.Request.SetRequestURI("/v2/group?" + query)
	if encoding != "" {
		fctx.Request.Header.Set(fiber.HeaderContentEncoding, encoding)
	}
	fctx.Request.SetBody(body)
	c := app.AcquireCtx(fctx)
	return c, func() { app.ReleaseCtx(c) }
}

func requireBadInput(t *testing.T, c *fiber.Ctx, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ge *errs.Error
	var fe *fiber.Error
	if !errors.As(err, &ge) && !errors.As(err, &fe) {
		t.Fatalf("error %T %v is neither a *errs.Error nor a *fiber.Error", err, err)
	}
	status, body := errorAnswer(c, fuzzLog, err)
	if status < 400 || status > 499 || body.Code != errs.CodeInvalidArgument || body.Message == "" {
		t.Fatalf("error %v renders as %d %+v, want a 4xx with code 3", err, status, body)
	}
}

func gzipSeed(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

func FuzzParseBody(f *testing.F) {
	f.Add("", []byte(`{"name":"x","open":true,"max_count":"12","metadata":"{}"}`))
	f.Add("", []byte(`{"name":5,"open":"yes","maxCount":1.5,"labels":{"a":1}}`))
	f.Add("", []byte("{\"name\":\"a\xffb\"}"))
	f.Add("", []byte(`{"a":1} trailing`))
	f.Add("", []byte(`[[[[[[[[`))
	f.Add("gzip", gzipSeed(`{"name":"zipped"}`))
	f.Add("gzip", gzipSeed(string(bytes.Repeat([]byte{' '}, bodyLimit+1))))
	f.Add("gzip, gzip", gzipSeed(string(gzipSeed(`{}`))))
	f.Add("deflate", []byte{0x78, 0x9c, 0x03, 0x00})
	f.Add("br", []byte{0xff, 0xff})
	f.Add("x-compress", []byte(`{}`))
	app := fiber.New()
	f.Fuzz(func(t *testing.T, encoding string, raw []byte) {
		c, release := fuzzCtx(app, "", encoding, raw)
		defer release()
		b, err := parseBody(c)
		requireBadInput(t, c, err)
		for name := range b {
			_, err := b.str(name)
			requireBadInput(t, c, err)
			_, err = b.boolean(name)
			requireBadInput(t, c, err)
			_, err = b.int32(name)
			requireBadInput(t, c, err)
			_, err = b.strMap(name)
			requireBadInput(t, c, err)
		}
	})
}

func FuzzQueryParams(f *testing.F) {
	f.Add("limit=10&state=2&open=true&cursor=abc")
	f.Add("limit=0&state=9&open=maybe")
	f.Add("limit=2147483648&state=-1&edgeCount=1e3")
	f.Add("user_ids=a&user_ids=b&userIds=c")
	f.Add("limit=%ZZ&&=&state=%00")
	f.Add("lang_tag=%E2%82%AC&langTag=x&name=" + string(bytes.Repeat([]byte{'a'}, 300)))
	app := fiber.New()
	f.Fuzz(func(t *testing.T, q string) {
		c, release := fuzzCtx(app, q, "", nil)
		defer release()
		_, err := listLimit(c)
		requireBadInput(t, c, err)
		_, err = stateParam(c)
		requireBadInput(t, c, err)
		_, err = queryBool(c, "open")
		requireBadInput(t, c, err)
		_, err = queryInt(c, "edge_count")
		requireBadInput(t, c, err)
		_, _ = query(c, "lang_tag")
		_ = queryAll(c, "user_ids")
	})
}
