package lua

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// nkModule builds this VM's nakama module (require("nakama")): Nakama's Lua
// names and argument orders. Failures raise Lua errors; a coded service error
// is remembered (vm.nkErr) so that, uncaught, it reaches the client with its
// code.
func (v *vm) nkModule() *glua.LTable {
	fns := map[string]glua.LGFunction{
		"register_req_before": v.register(kindBefore, "register_req_before"),
		"register_req_after":  v.register(kindAfter, "register_req_after"),
		"register_rpc":        v.register(kindRPC, "register_rpc"),

		"logger_debug": v.logger("debug"),
		"logger_info":  v.logger("info"),
		"logger_warn":  v.logger("warn"),
		"logger_error": v.logger("error"),

		"json_encode": v.jsonEncode,
		"json_decode": v.jsonDecode,
		"uuid_v4":     func(L *glua.LState) int { L.Push(glua.LString(uuid.NewString())); return 1 },

		"group_create":       v.groupCreate,
		"group_update":       v.groupUpdate,
		"groups_get_id":      v.groupsGetID,
		"groups_list":        v.groupsList,
		"group_users_list":   v.groupUsersList,
		"user_groups_list":   v.userGroupsList,
		"notification_send":  v.notificationSend,
		"notifications_send": v.notificationsSend,
		"event":              v.event,
	}
	for _, o := range hooks.Ops() {
		if fn := o.Info().NK; fn.JS != "" {
			fns[fn.Lua()] = v.opFunc(o, fn)
		}
	}
	v.channelFuncs(fns)
	tb := v.L.CreateTable(0, len(fns))
	for name, fn := range fns {
		tb.RawSetString(name, v.L.NewFunction(fn))
	}
	return tb
}

// fail raises err as a Lua error (its text), remembering a coded error.
func (v *vm) fail(L *glua.LState, err error) int {
	if ge, ok := errs.AsError(err); ok {
		v.nkErr = ge
	}
	L.RaiseError("%s", err.Error())
	return 0
}

// args reads one nk function's arguments, raising "nk.<fn>: …" errors.
type args struct {
	L  *glua.LState
	fn string
}

func (a args) bad(n int, format string, x ...any) {
	a.L.RaiseError("nk.%s: argument %d: %s", a.fn, n, fmt.Sprintf(format, x...))
}

// str is an optional string ("" when nil).
func (a args) str(n int, what string) string {
	switch t := a.L.Get(n).(type) {
	case *glua.LNilType:
		return ""
	case glua.LString:
		return string(t)
	}
	a.bad(n, "%s must be a string, got %s", what, a.L.Get(n).Type())
	return ""
}

// need is a required, non-empty string.
func (a args) need(n int, what string) string {
	s := a.str(n, what)
	if s == "" {
		a.bad(n, "expects %s", what)
	}
	return s
}

// strPtr is a string where nil and "" mean unchanged.
func (a args) strPtr(n int, what string) *string {
	if s := a.str(n, what); s != "" {
		return &s
	}
	return nil
}

// integer is an optional integral number (nil: def).
func (a args) integer(n int, what string, def int) int {
	p := a.intPtr(n, what)
	if p == nil {
		return def
	}
	return *p
}

func (a args) intPtr(n int, what string) *int {
	switch t := a.L.Get(n).(type) {
	case *glua.LNilType:
		return nil
	case glua.LNumber:
		i, ok := toInt(t)
		if !ok {
			a.bad(n, "%s must be an integer", what)
		}
		return &i
	}
	a.bad(n, "%s must be a number, got %s", what, a.L.Get(n).Type())
	return nil
}

func (a args) boolPtr(n int, what string) *bool {
	switch t := a.L.Get(n).(type) {
	case *glua.LNilType:
		return nil
	case glua.LBool:
		b := bool(t)
		return &b
	}
	a.bad(n, "%s must be a boolean, got %s", what, a.L.Get(n).Type())
	return nil
}

// object is an optional table of named fields (nil when absent).
func (a args) object(n int, what string) map[string]any {
	switch t := a.L.Get(n).(type) {
	case *glua.LNilType:
		return nil
	case *glua.LTable:
		m, err := tableToMap(t)
		if err != nil {
			a.bad(n, "%s: %v", what, err)
		}
		return m
	}
	a.bad(n, "%s must be a table, got %s", what, a.L.Get(n).Type())
	return nil
}

// strings is a required table of strings.
func (a args) strings(n int, what string) []string {
	t, ok := a.L.Get(n).(*glua.LTable)
	if !ok {
		a.bad(n, "expects %s as a table of strings", what)
	}
	out := make([]string, 0, t.Len())
	var bad glua.LValue
	t.ForEach(func(_, e glua.LValue) {
		if s, ok := e.(glua.LString); ok {
			out = append(out, string(s))
		} else if bad == nil {
			bad = e
		}
	})
	if bad != nil {
		a.bad(n, "%s must hold strings only, got a %s", what, bad.Type())
	}
	return out
}

func toInt(n glua.LNumber) (int, bool) {
	f := float64(n)
	i := int(f)
	return i, float64(i) == f
}

// pushCursor pushes a listing's cursor: nil on the last page.
func pushCursor(L *glua.LState, cursor string) {
	if cursor == "" {
		L.Push(glua.LNil)
		return
	}
	L.Push(glua.LString(cursor))
}

func (v *vm) logger(level string) glua.LGFunction {
	return func(L *glua.LState) int {
		msg := L.ToStringMeta(L.Get(1)).String()
		ctx, log := v.ctx(), v.r.log
		switch level {
		case "debug":
			log.DebugContext(ctx, msg)
		case "info":
			log.InfoContext(ctx, msg)
		case "warn":
			log.WarnContext(ctx, msg)
		default:
			log.ErrorContext(ctx, msg)
		}
		L.Push(glua.LString(msg))
		return 1
	}
}

func (v *vm) jsonEncode(L *glua.LState) int {
	data, err := toGo(L.Get(1), "")
	if err != nil {
		L.RaiseError("nk.json_encode: %v", err)
	}
	b, err := json.Marshal(data)
	if err != nil {
		L.RaiseError("nk.json_encode: %v", err)
	}
	L.Push(glua.LString(b))
	return 1
}

func (v *vm) jsonDecode(L *glua.LState) int {
	text := args{L, "json_decode"}.need(1, "JSON text")
	if jsonTooDeep(text, maxDepth) {
		L.RaiseError("nk.json_decode: JSON nested more than %d levels deep", maxDepth)
	}
	var data any
	if err := json.Unmarshal([]byte(text), &data); err != nil {
		L.RaiseError("nk.json_decode: %v", err)
	}
	L.Push(toLua(L, data))
	return 1
}

// nk.group_create(user_id, name, creator_id?, lang_tag?, description?,
// avatar_url?, open?=false, metadata?, max_count?=100) → group
func (v *vm) groupCreate(L *glua.LState) int {
	a := args{L, "group_create"}
	userID, name := a.need(1, "user_id"), a.need(2, "name")
	creatorID, langTag, desc, avatar := a.str(3, "creator_id"), a.str(4, "lang_tag"), a.str(5, "description"), a.str(6, "avatar_url")
	open := a.boolPtr(7, "open")
	meta := a.object(8, "metadata")
	maxCount := a.intPtr(9, "max_count") // nil: the default; the service checks a given one
	g, err := v.r.nk.GroupCreate(v.ctx(), userID, name, creatorID, langTag, desc, avatar, open != nil && *open, meta, maxCount)
	if err != nil {
		return v.fail(L, err)
	}
	L.Push(toLua(L, g))
	return 1
}

// nk.group_update(group_id, user_id|nil, name?, creator_id?, lang_tag?,
// description?, avatar_url?, open?, metadata?, max_count?): nil and "" leave
// a string unchanged, max_count 0 leaves it unchanged; user_id nil acts as the
// system.
func (v *vm) groupUpdate(L *glua.LState) int {
	a := args{L, "group_update"}
	groupID, userID := a.need(1, "group_id"), a.str(2, "user_id")
	name, creatorID, langTag := a.strPtr(3, "name"), a.strPtr(4, "creator_id"), a.strPtr(5, "lang_tag")
	desc, avatar := a.strPtr(6, "description"), a.strPtr(7, "avatar_url")
	open := a.boolPtr(8, "open")
	meta := a.object(9, "metadata")
	maxCount := a.integer(10, "max_count", 0) // 0: unchanged; the service checks a given one
	err := v.r.nk.GroupUpdate(v.ctx(), groupID, userID, name, creatorID, langTag, desc, avatar, open, meta, maxCount)
	if err != nil {
		return v.fail(L, err)
	}
	return 0
}

// nk.groups_get_id({ids}) → array of groups (missing ids absent).
func (v *vm) groupsGetID(L *glua.LState) int {
	ids := args{L, "groups_get_id"}.strings(1, "group ids")
	// The service directly (not runtime.NK, which builds Go maps first): this
	// is the read hooks such as the bouncer make on every call.
	gs, err := v.r.groups.GetGroups(v.ctx(), ids)
	if err != nil {
		return v.fail(L, err)
	}
	tb := L.CreateTable(len(gs), 0)
	for _, g := range gs {
		tb.Append(groupTable(L, g, &v.meta))
	}
	L.Push(tb)
	return 1
}

// nk.groups_list(name?, lang_tag?, open?, members?, limit?=100, cursor?) →
// groups, cursor
func (v *vm) groupsList(L *glua.LState) int {
	a := args{L, "groups_list"}
	name, langTag := a.str(1, "name"), a.str(2, "lang_tag")
	open, members := a.boolPtr(3, "open"), a.intPtr(4, "members")
	limit := a.integer(5, "limit", groups.MaxListLimit)
	cursor := a.str(6, "cursor")
	list, next, err := v.r.nk.GroupsList(v.ctx(), name, langTag, open, members, limit, cursor)
	return v.pushPage(L, list, next, err)
}

// nk.group_users_list(group_id, limit?=100, state?, cursor?) → group_users, cursor
func (v *vm) groupUsersList(L *glua.LState) int {
	a := args{L, "group_users_list"}
	id := a.need(1, "group_id")
	limit, state, cursor := a.integer(2, "limit", 0), a.intPtr(3, "state"), a.str(4, "cursor")
	list, next, err := v.r.nk.GroupUsersList(v.ctx(), id, limit, state, cursor)
	return v.pushPage(L, list, next, err)
}

// nk.user_groups_list(user_id, limit?=100, state?, cursor?) → user_groups, cursor
func (v *vm) userGroupsList(L *glua.LState) int {
	a := args{L, "user_groups_list"}
	id := a.need(1, "user_id")
	limit, state, cursor := a.integer(2, "limit", 0), a.intPtr(3, "state"), a.str(4, "cursor")
	list, next, err := v.r.nk.UserGroupsList(v.ctx(), id, limit, state, cursor)
	return v.pushPage(L, list, next, err)
}

// opFunc is an operation table row's nk function, by argument shape:
// (group_id), (group_id, user_id, username?) or (group_id, {user_ids}, caller_id?).
func (v *vm) opFunc(o hooks.Operation, fn hooks.NK) glua.LGFunction {
	name := fn.Lua()
	return func(L *glua.LState) int {
		a := args{L, name}
		var in runtime.OpArgs
		switch fn.Args {
		case hooks.NKGroupAsUser:
			in.GroupID, in.UserID, in.Username = a.need(1, "group_id"), a.need(2, "user_id"), a.str(3, "username")
		case hooks.NKGroupUsers:
			in.GroupID, in.UserIDs, in.CallerID = a.need(1, "group_id"), a.strings(2, "user ids"), a.str(3, "caller_id")
		case hooks.NKRequest:
			in.Request, in.CallerID = a.object(1, "request"), a.str(2, "user_id")
		default:
			in.GroupID = a.need(1, "group_id")
		}
		out, err := v.r.nk.Op(v.ctx(), o, in)
		if err != nil {
			return v.fail(L, err)
		}
		if out == nil {
			return 0
		}
		L.Push(toLua(L, out))
		return 1
	}
}

// nk.notification_send(user_id, subject, content, code, sender_id?, persistent?=false)
func (v *vm) notificationSend(L *glua.LState) int {
	a := args{L, "notification_send"}
	userID, subject := a.need(1, "user_id"), a.need(2, "subject")
	content := a.object(3, "content")
	code := a.intPtr(4, "code")
	if code == nil {
		a.bad(4, "expects code")
	}
	senderID, persistent := a.str(5, "sender_id"), a.boolPtr(6, "persistent")
	err := v.r.nk.NotificationSend(v.ctx(), userID, subject, content, *code, senderID, persistent != nil && *persistent)
	if err != nil {
		return v.fail(L, err)
	}
	return 0
}

// nk.notifications_send({{user_id=, subject=, content=, code=, sender_id=?,
// persistent=?}, …}): all or none (the first invalid one fails the call).
func (v *vm) notificationsSend(L *glua.LState) int {
	a := args{L, "notifications_send"}
	list, ok := L.Get(1).(*glua.LTable)
	if !ok {
		a.bad(1, "expects a table of notifications")
	}
	var batch []runtime.NotificationInput
	for i := 1; i <= list.Len(); i++ {
		t, ok := list.RawGetInt(i).(*glua.LTable)
		if !ok {
			a.bad(1, "notification %d must be a table", i)
		}
		field := func(name string) glua.LValue { return t.RawGetString(name) }
		text := func(name string, need bool) string {
			switch s := field(name).(type) {
			case glua.LString:
				if s != "" || !need {
					return string(s)
				}
			case *glua.LNilType:
				if !need {
					return ""
				}
			default:
				a.bad(1, "notification %d: %s must be a string", i, name)
			}
			a.bad(1, "notification %d: expects %s", i, name)
			return ""
		}
		n := runtime.NotificationInput{UserID: text("user_id", true), Subject: text("subject", true),
			SenderID: text("sender_id", false)}
		switch c := field("content").(type) {
		case *glua.LTable:
			m, err := tableToMap(c)
			if err != nil {
				a.bad(1, "notification %d: content: %v", i, err)
			}
			n.Content = m
		case *glua.LNilType:
		default:
			a.bad(1, "notification %d: content must be a table", i)
		}
		code, ok := field("code").(glua.LNumber)
		if !ok {
			a.bad(1, "notification %d: expects code", i)
		}
		if n.Code, ok = toInt(code); !ok {
			a.bad(1, "notification %d: code must be an integer", i)
		}
		switch p := field("persistent").(type) {
		case glua.LBool:
			n.Persistent = bool(p)
		case *glua.LNilType:
		default:
			a.bad(1, "notification %d: persistent must be a boolean", i)
		}
		batch = append(batch, n)
	}
	if err := v.r.nk.NotificationsSend(v.ctx(), batch); err != nil {
		return v.fail(L, err)
	}
	return 0
}

// nk.event(name, properties?, timestamp?, external?=false): properties a
// table of strings, timestamp unix seconds (nil: now).
func (v *vm) event(L *glua.LState) int {
	a := args{L, "event"}
	name := a.need(1, "name")
	var props map[string]string
	switch t := L.Get(2).(type) {
	case *glua.LTable:
		props = make(map[string]string)
		t.ForEach(func(k, e glua.LValue) {
			ks, ok1 := k.(glua.LString)
			es, ok2 := e.(glua.LString)
			if !ok1 || !ok2 {
				a.bad(2, "properties must map strings to strings")
			}
			props[string(ks)] = string(es)
		})
	case *glua.LNilType:
	default:
		a.bad(2, "properties must be a table, got %s", L.Get(2).Type())
	}
	var ts time.Time
	switch t := L.Get(3).(type) {
	case glua.LNumber:
		ts = time.Unix(int64(t), 0).UTC()
	case *glua.LNilType:
	default:
		a.bad(3, "timestamp must be numeric UTC seconds")
	}
	external := a.boolPtr(4, "external")
	if err := v.r.nk.Event(v.ctx(), name, props, ts, external != nil && *external); err != nil {
		return v.fail(L, err)
	}
	return 0
}

// pushPage returns a listing's two results (rows, cursor or nil), or raises err.
func (v *vm) pushPage(L *glua.LState, list []any, next string, err error) int {
	if err != nil {
		return v.fail(L, err)
	}
	L.Push(toLua(L, list))
	pushCursor(L, next)
	return 2
}
