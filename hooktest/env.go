package hooktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/guildhall/guildhall/server"
)

// env is one test file's server: a fresh SQLite database and the modules
// loaded as serve loads them, served in process (fiber's App.Test, no port).
type env struct {
	srv     *server.Server
	app     *fiber.App
	dir     string
	unload  func()
	users   map[string]*userInfo
	httpKey string
	srvKey  string
}

type userInfo struct {
	ID, Username, Token string
}

// startEnv builds the server for file: its modules are the ones the file
// named (relative to it), else those of the runtime path (Options.RuntimePath).
func startEnv(ctx context.Context, o Options, file string, modules []string, logs *logBuffer) (*env, error) {
	dir, err := os.MkdirTemp("", "guildhall-hooktest-")
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	cfg.DatabaseURL, cfg.DataDir, cfg.Migrate = "", dir, true
	// Sessions outlive any test file; no background purge.
	cfg.SessionExpiry, cfg.SessionRefreshExpiry, cfg.SessionPurgeInterval = 24*time.Hour, 48*time.Hour, -1
	base := filepath.Dir(file)
	cfg.RuntimePath = o.RuntimePath
	if cfg.RuntimePath == "" {
		cfg.RuntimePath = base
	}
	srv, err := server.New(ctx, cfg, newLog(logs, o.Verbose))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	rcfg := srv.RuntimeConfig()
	if len(modules) > 0 {
		var files []string
		for _, m := range modules {
			p := filepath.Join(base, filepath.FromSlash(m))
			if st, err := os.Stat(p); err == nil && st.IsDir() && len(modules) == 1 {
				rcfg.Path = p
				break
			}
			files = append(files, p)
		}
		rcfg.Files = files
	}
	unload, err := srv.LoadScriptsFrom(ctx, rcfg)
	if err != nil {
		srv.DB.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &env{srv: srv, app: srv.App(), dir: dir, unload: unload, users: map[string]*userInfo{},
		httpKey: cfg.HTTPKey, srvKey: cfg.ServerKey}, nil
}

func (e *env) close() {
	e.unload()
	_ = e.app.Shutdown()
	e.srv.DB.Close()
	os.RemoveAll(e.dir)
}

// callError is a refused call: the HTTP status and Guildhall's {code, message}.
type callError struct {
	Status  int
	Code    int
	Message string
}

func (c *callError) Error() string {
	return fmt.Sprintf("code %d (HTTP %d): %s", c.Code, c.Status, c.Message)
}

// do sends one request through the server's handlers and decodes the JSON
// answer; a non-2xx answer is a *callError.
func (e *env) do(method, path string, body any, auth func(*http.Request)) (any, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("request body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, "http://hooktest"+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			out = string(raw)
		}
	}
	if res.StatusCode/100 != 2 {
		ce := &callError{Status: res.StatusCode, Message: strings.TrimSpace(string(raw))}
		if m, ok := out.(map[string]any); ok {
			if c, ok := m["code"].(float64); ok {
				ce.Code = int(c)
			}
			if s, ok := m["message"].(string); ok {
				ce.Message = s
			}
		}
		return nil, ce
	}
	return out, nil
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// user logs in (creating it on first use) the device user called name.
func (e *env) user(name string) (*userInfo, error) {
	if u, ok := e.users[name]; ok {
		return u, nil
	}
	q := url.Values{"create": {"true"}, "username": {name}}
	out, err := e.do("POST", "/v2/account/authenticate/device?"+q.Encode(),
		map[string]string{"id": "hooktest-device-" + name},
		func(r *http.Request) { r.SetBasicAuth(e.srvKey, "") })
	if err != nil {
		return nil, fmt.Errorf("t.user(%q): authenticate: %w", name, err)
	}
	token, _ := out.(map[string]any)["token"].(string)
	acct, err := e.do("GET", "/v2/account", nil, bearer(token))
	if err != nil {
		return nil, fmt.Errorf("t.user(%q): account: %w", name, err)
	}
	u, _ := acct.(map[string]any)["user"].(map[string]any)
	id, _ := u["id"].(string)
	uname, _ := u["username"].(string)
	info := &userInfo{ID: id, Username: uname, Token: token}
	e.users[name] = info
	return info, nil
}

// An op is one method of a user handle or of t.server: it turns the
// script's arguments (exported to Go values) into a request.
type op struct {
	js, lua string // method names
	usage   string
	build   func(args []any) (method, path string, body any, err error)
	// result post-processes the decoded answer (RPCs answer their payload).
	result func(any) any
}

// groupID takes a group id string or a group object (its "id").
func groupID(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if x != "" {
			return x, nil
		}
	case map[string]any:
		if id, ok := x["id"].(string); ok && id != "" {
			return id, nil
		}
	}
	return "", fmt.Errorf("want a group id or a group object, got %s", show(v))
}

// userIDs takes a user id, a user handle or object (its "id"), or a list of them.
func userIDs(v any) ([]string, error) {
	one := func(x any) (string, error) {
		switch y := x.(type) {
		case string:
			return y, nil
		case map[string]any:
			if id, ok := y["id"].(string); ok {
				return id, nil
			}
		}
		return "", fmt.Errorf("want user ids, handles or a list of them, got %s", show(v))
	}
	list, ok := v.([]any)
	if !ok {
		id, err := one(v)
		return []string{id}, err
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		id, err := one(x)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// query turns a script object into query parameters.
func query(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("want a query object, got %s", show(v))
	}
	q := url.Values{}
	for k, x := range m {
		switch y := x.(type) {
		case string:
			q.Set(k, y)
		case bool:
			q.Set(k, strconv.FormatBool(y))
		case float64:
			q.Set(k, strconv.FormatFloat(y, 'f', -1, 64))
		case int64:
			q.Set(k, strconv.FormatInt(y, 10))
		case nil:
		default:
			return "", fmt.Errorf("query %s: want a string, number or boolean, got %s", k, show(x))
		}
	}
	if len(q) == 0 {
		return "", nil
	}
	return "?" + q.Encode(), nil
}

// groupBody is a create/update body; an object metadata becomes the JSON
// text the wire wants.
func groupBody(v any) (any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a group object, got %s", show(v))
	}
	if md, ok := m["metadata"]; ok {
		if _, isText := md.(string); !isText && md != nil {
			raw, err := json.Marshal(md)
			if err != nil {
				return nil, fmt.Errorf("metadata: %v", err)
			}
			c := make(map[string]any, len(m))
			for k, x := range m {
				c[k] = x
			}
			c["metadata"] = string(raw)
			m = c
		}
	}
	return m, nil
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// rpcPayload is the body of an RPC call: a string as is, anything else as JSON.
func rpcPayload(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	default:
		raw, err := json.Marshal(x)
		return string(raw), err
	}
}

// rpcResult is an RPC answer's payload string.
func rpcResult(v any) any {
	if m, ok := v.(map[string]any); ok {
		if p, ok := m["payload"].(string); ok {
			return p
		}
		return ""
	}
	return v
}

// userOps are a user handle's methods: every client group operation, an RPC
// and a generic call, each an HTTP request with the user's session.
var userOps = func() []op {
	ops := []op{
		{js: "create", lua: "create", usage: "create(group)", build: func(a []any) (string, string, any, error) {
			b, err := groupBody(arg(a, 0))
			return "POST", "/v2/group", b, err
		}},
		{js: "update", lua: "update", usage: "update(group, fields)", build: func(a []any) (string, string, any, error) {
			id, err := groupID(arg(a, 0))
			if err != nil {
				return "", "", nil, err
			}
			b, err := groupBody(arg(a, 1))
			return "PUT", "/v2/group/" + url.PathEscape(id), b, err
		}},
		{js: "delete", lua: "delete", usage: "delete(group)", build: groupCall("DELETE", "")},
		{js: "join", lua: "join", usage: "join(group)", build: groupCall("POST", "/join")},
		{js: "leave", lua: "leave", usage: "leave(group)", build: groupCall("POST", "/leave")},
		{js: "listGroups", lua: "list_groups", usage: "listGroups(query)", build: func(a []any) (string, string, any, error) {
			q, err := query(arg(a, 0))
			return "GET", "/v2/group" + q, nil, err
		}},
		{js: "listGroupUsers", lua: "list_group_users", usage: "listGroupUsers(group, query)", build: func(a []any) (string, string, any, error) {
			id, err := groupID(arg(a, 0))
			if err != nil {
				return "", "", nil, err
			}
			q, err := query(arg(a, 1))
			return "GET", "/v2/group/" + url.PathEscape(id) + "/user" + q, nil, err
		}},
		{js: "account", lua: "account", usage: "account()", build: func([]any) (string, string, any, error) {
			return "GET", "/v2/account", nil, nil
		}},
		{js: "rpc", lua: "rpc", usage: "rpc(id, payload)", build: rpcBuild, result: rpcResult},
		{js: "call", lua: "call", usage: "call(method, path, body)", build: genericCall},
	}
	for _, m := range []string{"add", "kick", "ban", "unban", "promote", "demote"} {
		ops = append(ops, op{js: m, lua: m, usage: m + "(group, users)", build: usersCall("/v2/group/", "/"+m)})
	}
	return ops
}()

// listUserGroups needs the handle's own id as its default, so handles add it.
func listUserGroupsOp(self string) op {
	return op{js: "listUserGroups", lua: "list_user_groups", usage: "listUserGroups(user, query)", build: func(a []any) (string, string, any, error) {
		id := self
		if u := arg(a, 0); u != nil {
			ids, err := userIDs(u)
			if err != nil || len(ids) != 1 {
				return "", "", nil, fmt.Errorf("want one user, got %s", show(u))
			}
			id = ids[0]
		}
		q, err := query(arg(a, 1))
		return "GET", "/v2/user/" + url.PathEscape(id) + "/group" + q, nil, err
	}}
}

// serverOps are t.server's methods: the server-to-server API with the http
// key (no client hooks run), RPCs as a game server, and a generic call.
var serverOps = func() []op {
	ops := []op{
		{js: "createGroup", lua: "create_group", usage: "createGroup(owner, group)", build: func(a []any) (string, string, any, error) {
			ids, err := userIDs(arg(a, 0))
			if err != nil || len(ids) != 1 {
				return "", "", nil, fmt.Errorf("want the owner (a user), got %s", show(arg(a, 0)))
			}
			b, err := groupBody(arg(a, 1))
			if err != nil {
				return "", "", nil, err
			}
			m := b.(map[string]any)
			c := map[string]any{"user_id": ids[0]}
			for k, v := range m {
				c[k] = v
			}
			return "POST", "/v2/server/group", c, nil
		}},
		{js: "getGroup", lua: "get_group", usage: "getGroup(group)", build: serverGroupCall("GET")},
		{js: "updateGroup", lua: "update_group", usage: "updateGroup(group, fields)", build: func(a []any) (string, string, any, error) {
			id, err := groupID(arg(a, 0))
			if err != nil {
				return "", "", nil, err
			}
			b, err := groupBody(arg(a, 1))
			return "PUT", "/v2/server/group/" + url.PathEscape(id), b, err
		}},
		{js: "deleteGroup", lua: "delete_group", usage: "deleteGroup(group)", build: serverGroupCall("DELETE")},
		{js: "rpc", lua: "rpc", usage: "rpc(id, payload)", build: rpcBuild, result: rpcResult},
		{js: "call", lua: "call", usage: "call(method, path, body)", build: genericCall},
	}
	for _, m := range []string{"add", "kick", "ban", "unban", "promote", "demote"} {
		ops = append(ops, op{js: m, lua: m, usage: m + "(group, users)", build: usersCall("/v2/server/group/", "/"+m)})
	}
	return ops
}()

func groupCall(method, suffix string) func([]any) (string, string, any, error) {
	return func(a []any) (string, string, any, error) {
		id, err := groupID(arg(a, 0))
		return method, "/v2/group/" + url.PathEscape(id) + suffix, nil, err
	}
}

func serverGroupCall(method string) func([]any) (string, string, any, error) {
	return func(a []any) (string, string, any, error) {
		id, err := groupID(arg(a, 0))
		return method, "/v2/server/group/" + url.PathEscape(id), nil, err
	}
}

func usersCall(prefix, suffix string) func([]any) (string, string, any, error) {
	return func(a []any) (string, string, any, error) {
		id, err := groupID(arg(a, 0))
		if err != nil {
			return "", "", nil, err
		}
		ids, err := userIDs(arg(a, 1))
		if err != nil {
			return "", "", nil, err
		}
		q := url.Values{"user_ids": ids}
		return "POST", prefix + url.PathEscape(id) + suffix + "?" + q.Encode(), nil, nil
	}
}

func rpcBuild(a []any) (string, string, any, error) {
	id, ok := arg(a, 0).(string)
	if !ok || id == "" {
		return "", "", nil, fmt.Errorf("want an RPC id, got %s", show(arg(a, 0)))
	}
	p, err := rpcPayload(arg(a, 1))
	if err != nil {
		return "", "", nil, err
	}
	// The body is the payload as a JSON string, as clients send it.
	raw, _ := json.Marshal(p)
	return "POST", "/v2/rpc/" + url.PathEscape(id), string(raw), nil
}

func genericCall(a []any) (string, string, any, error) {
	method, _ := arg(a, 0).(string)
	path, _ := arg(a, 1).(string)
	if method == "" || !strings.HasPrefix(path, "/") {
		return "", "", nil, fmt.Errorf("want (method, path, body) with a path starting with /")
	}
	return strings.ToUpper(method), path, arg(a, 2), nil
}

// call runs op as a user (token) or as the server (token "").
func (e *env) call(o op, token string, args []any) (any, error) {
	method, path, body, err := o.build(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", o.usage, err)
	}
	auth := bearer(token)
	if token == "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "http_key=" + url.QueryEscape(e.httpKey)
		auth = nil
	}
	out, err := e.do(method, path, body, auth)
	if err != nil {
		return nil, err
	}
	if o.result != nil {
		out = o.result(out)
	}
	return out, nil
}

// show renders a value for messages: JSON when it has one, else Go's form.
func show(v any) string {
	if v == nil {
		return "null"
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
