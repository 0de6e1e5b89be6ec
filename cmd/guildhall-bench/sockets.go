package main

// guildhall-bench sockets: the realtime socket's load, against a server on
// this machine (Guildhall, or Nakama: only Nakama's API is used).
//
//  1. idle: open -idle sockets (spread over -users accounts) that only answer
//     control pings, and report the server's RSS growth per socket
//     (/proc/<-pid>/status VmRSS before and after).
//  2. fan-out: -fanout members of one open group each join its channel
//     with a socket; one member sends -messages messages, each carrying its
//     send time; every member's socket timestamps its arrival. Reports the
//     delivery latency percentiles over all deliveries and any missing one.
//
// Session tokens must outlive the run: start the server with a long
// --session.expiry (e.g. 1h).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

type socketsConfig struct {
	url, serverKey, prefix string
	idle, users, fanout    int
	messages               int
	pid                    int
	interval               time.Duration
}

func runSockets(args []string, stdout, stderr io.Writer) int {
	cfg := socketsConfig{}
	fs := flag.NewFlagSet("guildhall-bench sockets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:7350", "server base URL")
	fs.StringVar(&cfg.serverKey, "server-key", "defaultkey", "server key (Basic auth of authenticate)")
	fs.IntVar(&cfg.idle, "idle", 10000, "idle sockets to open (0 skips the idle measurement)")
	fs.IntVar(&cfg.users, "users", 100, "accounts the idle sockets are spread over")
	fs.IntVar(&cfg.fanout, "fanout", 500, "members of the fan-out group, each with a socket in its channel (0 skips)")
	fs.IntVar(&cfg.messages, "messages", 50, "messages sent to the fan-out channel")
	fs.DurationVar(&cfg.interval, "interval", 20*time.Millisecond, "pause between two fan-out messages")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id (RSS is read from /proc/<pid>/status); required for -idle")
	fs.StringVar(&cfg.prefix, "prefix", "", "account name prefix (default random)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfg.prefix == "" {
		cfg.prefix = "gs" + randomHex(4)
	}
	if cfg.idle > 0 && cfg.pid == 0 {
		fmt.Fprintln(stderr, "guildhall-bench sockets: -idle needs -pid (the server's process id)")
		return 2
	}
	raiseNoFile()
	if cfg.idle > 0 {
		if err := idleSockets(cfg, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "guildhall-bench sockets: idle:", err)
			return 1
		}
	}
	if cfg.fanout > 0 {
		if err := fanOut(cfg, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "guildhall-bench sockets: fan-out:", err)
			return 1
		}
	}
	return 0
}

func raiseNoFile() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

var httpc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// account authenticates a device and returns its session token and user id.
func account(cfg socketsConfig, device string) (token, userID string, err error) {
	req, _ := http.NewRequest("POST", cfg.url+"/v2/account/authenticate/device?create=true", strings.NewReader(`{"id":"`+device+`"}`))
	req.SetBasicAuth(cfg.serverKey, "")
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Token string `json:"token"`
	}
	if err := doJSON(req, &out); err != nil {
		return "", "", err
	}
	parts := strings.Split(out.Token, ".")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("authenticate: not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", "", err
	}
	var claims struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", "", err
	}
	return out.Token, claims.UID, nil
}

func doJSON(req *http.Request, out any) error {
	res, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

func call(cfg socketsConfig, method, path, token, body string, out any) error {
	req, _ := http.NewRequest(method, cfg.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return doJSON(req, out)
}

func wsDial(cfg socketsConfig, token string) (*websocket.Conn, error) {
	u := "ws" + strings.TrimPrefix(cfg.url, "http") + "/ws?lang=en&status=false&token=" + token
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	return c, err
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS")
}

// fanParallel runs fn(i) for i < n on width goroutines; the first error wins.
func fanParallel(n, width int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < width; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func idleSockets(cfg socketsConfig, stdout, stderr io.Writer) error {
	tokens := make([]string, cfg.users)
	if err := fanParallel(cfg.users, 16, func(i int) error {
		var err error
		tokens[i], _, err = account(cfg, fmt.Sprintf("%s-idle-%05d", cfg.prefix, i))
		return err
	}); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // let the server settle before the baseline
	before, err := rssKiB(cfg.pid)
	if err != nil {
		return err
	}
	conns := make([]*websocket.Conn, cfg.idle)
	var closedEarly atomic.Int64
	start := time.Now()
	err = fanParallel(cfg.idle, 64, func(i int) error {
		c, err := wsDial(cfg, tokens[i%len(tokens)])
		if err != nil {
			return fmt.Errorf("socket %d: %w", i, err)
		}
		conns[i] = c
		go func() { // reading answers the server's control pings
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					closedEarly.Add(1)
					return
				}
			}
		}()
		return nil
	})
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if err != nil {
		return err
	}
	opened := time.Since(start)
	time.Sleep(5 * time.Second)
	after, err := rssKiB(cfg.pid)
	if err != nil {
		return err
	}
	// Every socket still answers.
	for i := 0; i < len(conns); i += max(1, len(conns)/100) {
		if err := conns[i].WriteMessage(websocket.TextMessage, []byte(`{"cid":"1","ping":{}}`)); err != nil {
			return fmt.Errorf("socket %d no longer writable: %w", i, err)
		}
	}
	if n := closedEarly.Load(); n > 0 {
		return fmt.Errorf("%d sockets closed during the measurement", n)
	}
	perSocket := float64(after-before) / float64(cfg.idle)
	fmt.Fprintf(stdout, "idle sockets: %d open in %v; server RSS %d KiB → %d KiB: %.1f KiB per socket\n",
		cfg.idle, opened.Round(time.Millisecond), before, after, perSocket)
	return nil
}

// sentStamp finds the send time (unix nanoseconds) in a channel_message
// frame of the fan-out (its content is {"seq":…,"sent":…}); 0 for other
// frames.
func sentStamp(frame []byte) int64 {
	if !bytes.Contains(frame, []byte(`"channel_message":`)) {
		return 0
	}
	key := []byte(`\"sent\":`)
	i := bytes.Index(frame, key)
	if i < 0 {
		return 0
	}
	rest := frame[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n
}

func fanOut(cfg socketsConfig, stdout, stderr io.Writer) error {
	n := cfg.fanout
	tokens, ids := make([]string, n), make([]string, n)
	if err := fanParallel(n, 16, func(i int) error {
		var err error
		tokens[i], ids[i], err = account(cfg, fmt.Sprintf("%s-fan-%05d", cfg.prefix, i))
		return err
	}); err != nil {
		return err
	}
	var g struct {
		ID string `json:"id"`
	}
	if err := call(cfg, "POST", "/v2/group", tokens[0], `{"name":"`+cfg.prefix+`-fanout","open":true,"max_count":`+strconv.Itoa(n+1)+`}`, &g); err != nil {
		return err
	}
	if err := fanParallel(n-1, 16, func(i int) error {
		return call(cfg, "POST", "/v2/group/"+g.ID+"/join", tokens[i+1], "", nil)
	}); err != nil {
		return err
	}
	channelID := "3." + g.ID + ".."
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n*cfg.messages)
	received := make([]int, n)
	conns := make([]*websocket.Conn, n)
	joined := make([]chan struct{}, n)
	var wg sync.WaitGroup
	if err := fanParallel(n, 32, func(i int) error {
		c, err := wsDial(cfg, tokens[i])
		if err != nil {
			return err
		}
		conns[i] = c
		joined[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now()
				// A cheap scan, not a JSON decode: the load generator shares
				// the machine with the server it measures.
				if bytes.Contains(data, []byte(`"cid":"join"`)) {
					close(joined[i])
					continue
				}
				sent := sentStamp(data)
				if sent == 0 {
					continue
				}
				mu.Lock()
				lat = append(lat, now.Sub(time.Unix(0, sent)))
				received[i]++
				mu.Unlock()
			}
		}()
		join := `{"cid":"join","channel_join":{"target":"` + g.ID + `","type":3,"persistence":true,"hidden":true}}`
		if err := c.WriteMessage(websocket.TextMessage, []byte(join)); err != nil {
			return err
		}
		select {
		case <-joined[i]:
			return nil
		case <-time.After(10 * time.Second):
			return fmt.Errorf("member %d: no channel join answer", i)
		}
	}); err != nil {
		return err
	}
	sender := conns[0]
	for s := 0; s < cfg.messages; s++ {
		content, _ := json.Marshal(map[string]int64{"seq": int64(s), "sent": time.Now().UnixNano()})
		frame, _ := json.Marshal(map[string]any{"cid": "m" + strconv.Itoa(s),
			"channel_message_send": map[string]string{"channel_id": channelID, "content": string(content)}})
		if err := sender.WriteMessage(websocket.TextMessage, frame); err != nil {
			return err
		}
		time.Sleep(cfg.interval)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		if got >= n*cfg.messages || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	wg.Wait()
	slices.Sort(lat)
	missing := n*cfg.messages - len(lat)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "fan-out: %d messages to a %d-member channel (hidden presences): %d deliveries, %d missing; latency p50 %v p99 %v max %v\n",
		cfg.messages, n, len(lat), missing, percentile(lat, 50).Round(time.Microsecond),
		percentile(lat, 99).Round(time.Microsecond), percentile(lat, 100).Round(time.Microsecond))
	_, _ = stdout.Write(buf.Bytes())
	if missing > 0 {
		return fmt.Errorf("%d deliveries missing", missing)
	}
	return nil
}
