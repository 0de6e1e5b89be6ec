package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// gzipOnce compresses src (streamed from r) at the given level.
func gzipOnce(t *testing.T, r io.Reader, level int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, level)
	if _, err := io.Copy(w, r); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// repeat streams n copies of byte b.
type repeat struct {
	b byte
	n int64
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func post(t *testing.T, url, auth string, headers map[string]string, body []byte) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// Compression bombs (issue 8): a few KB that unpack to gigabytes are refused
// in the error shape — two layers with 415, one layer over the body limit
// with 413 — and the process lives on. Before, fasthttp unpacked up to three
// layers without a cap and the server died with "out of memory".
func TestCompressionBombs(t *testing.T) {
	modules := t.TempDir()
	js := `function rpcParse(ctx, logger, nk, payload) { JSON.parse(payload); return '{}'; }
function InitModule(ctx, logger, nk, initializer) { initializer.registerRpc('parse', rpcParse); }`
	if err := os.WriteFile(filepath.Join(modules, "index.js"), []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := childserver.Start(t, childserver.Options{Env: map[string]string{"GUILDHALL_RUNTIME_PATH": modules}})
	serverKey := "Basic " + base64.StdEncoding.EncodeToString([]byte("defaultkey:"))
	httpKey := "Basic " + base64.StdEncoding.EncodeToString([]byte("defaulthttpkey:"))
	device := srv.URL + "/v2/account/authenticate/device"

	// 1 GiB of zeros, gzipped twice: about 5 KB on the wire.
	double := gzipOnce(t, bytes.NewReader(gzipOnce(t, &repeat{0, 1 << 30}, gzip.BestSpeed)), gzip.BestCompression)
	// 200 MiB of zeros, gzipped once: about 200 KB, under the wire limit.
	single := gzipOnce(t, &repeat{0, 200 << 20}, gzip.BestCompression)
	// 30 M "[" for a script that JSON.parses: about 30 KB.
	brackets := gzipOnce(t, &repeat{'[', 30 << 20}, gzip.BestCompression)
	t.Logf("bombs: double %d B, single %d B, brackets %d B", len(double), len(single), len(brackets))

	for _, c := range []struct {
		name, url, auth, encoding string
		body                      []byte
		status                    int
	}{
		{"gzip, gzip to authenticate", device, serverKey, "gzip, gzip", double, 415},
		{"gzip to authenticate", device, serverKey, "gzip", single, 413},
		{"gzip of brackets to an RPC", srv.URL + "/v2/rpc/parse?unwrap", httpKey, "gzip", brackets, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := post(t, c.url, c.auth, map[string]string{"Content-Encoding": c.encoding}, c.body)
			if a.status != c.status || a.body["code"] != float64(3) || a.body["message"] == nil {
				t.Errorf("answered %d %s, want %d with code 3", a.status, a.raw, c.status)
			}
			srv.RequireAlive(t)
		})
	}

	// The most nesting the body limit lets through reaches the script: it
	// fails (stack or syntax), but the process lives.
	deep := post(t, srv.URL+"/v2/rpc/parse?unwrap", httpKey, nil, bytes.Repeat([]byte("["), 256<<10))
	t.Logf("256 KiB of [ to JSON.parse: %d %s", deep.status, deep.raw)
	srv.RequireAlive(t)

	// A normal gzip body within the limit still works.
	ok := post(t, device+"?username=zipped", serverKey, map[string]string{"Content-Encoding": "gzip"},
		gzipOnce(t, strings.NewReader(`{"id":"device-of-zipped-user"}`), gzip.DefaultCompression))
	if ok.status != 200 || ok.body["token"] == nil {
		t.Errorf("gzip body within the limit: %d %s", ok.status, ok.raw)
	}
	srv.Stop(t)
}
