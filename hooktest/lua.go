package hooktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// luaEngine runs a *_test.lua file on a Lua state of its own (with Lua's
// standard libraries: a test file is the studio's own code, not a module).
type luaEngine struct {
	file, code string
	L          *glua.LState
}

func newLuaEngine(file, code string) *luaEngine {
	return &luaEngine{file: file, code: code, L: glua.NewState()}
}

func (l *luaEngine) close() { l.L.Close() }

func (l *luaEngine) load(ctx context.Context) ([]test, []string, error) {
	L := l.L
	fn, err := L.Load(strings.NewReader(l.code), l.file)
	if err != nil {
		return nil, nil, err
	}
	var tests []test
	var modules []string
	L.SetGlobal("test", L.NewFunction(func(L *glua.LState) int {
		name := L.CheckString(1)
		tests = append(tests, test{name: name, fn: L.CheckFunction(2)})
		return 0
	}))
	L.SetGlobal("modules", L.NewFunction(func(L *glua.LState) int {
		for i := 1; i <= L.GetTop(); i++ {
			modules = append(modules, L.CheckString(i))
		}
		return 0
	}))
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(fn)
	if err := L.PCall(0, 0, nil); err != nil {
		return nil, nil, l.uncaught(ctx, err)
	}
	return tests, modules, nil
}

// where is the file:line of the innermost call in the test file.
func (l *luaEngine) where() string {
	for level := 0; ; level++ {
		dbg, ok := l.L.GetStack(level)
		if !ok {
			return l.file
		}
		if _, err := l.L.GetInfo("Sl", dbg, glua.LNil); err == nil && dbg.Source == l.file && dbg.CurrentLine > 0 {
			return fmt.Sprintf("%s:%d", l.file, dbg.CurrentLine)
		}
	}
}

// uncaught describes an error that ended a test or the file's top level.
func (l *luaEngine) uncaught(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New(l.file + ": test timed out (see -timeout)")
	}
	var ae *glua.ApiError
	if !errors.As(err, &ae) {
		return err
	}
	if ud, ok := ae.Object.(*glua.LUserData); ok && ud.Value == errStop {
		return errStop
	}
	if t, ok := ae.Object.(*glua.LTable); ok {
		where := t.RawGetString("where").String()
		if c := t.RawGetString("code"); c != glua.LNil {
			return fmt.Errorf("%s: uncaught error: code %s: %s", where, c.String(), t.RawGetString("message").String())
		}
		return fmt.Errorf("%s: uncaught error: %s", l.file, show(fromLua(t, 0)))
	}
	// A string error carries its position already (error() and runtime
	// errors prefix "file:line:").
	return errors.New(ae.Object.String())
}

func (l *luaEngine) run(ctx context.Context, tc test, e *env, res *result) {
	L := l.L
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(tc.fn.(*glua.LFunction))
	L.Push(l.newT(tc, e, res))
	if err := L.PCall(1, 0, nil); err != nil {
		if err = l.uncaught(ctx, err); err != errStop {
			res.failures = append(res.failures, err.Error())
		}
	}
}

// errorMeta makes refusal tables print as "code N (HTTP s): message".
func (l *luaEngine) errorMeta() *glua.LTable {
	L := l.L
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *glua.LState) int {
		t := L.CheckTable(1)
		L.Push(glua.LString(fmt.Sprintf("code %s (HTTP %s): %s", t.RawGetString("code"),
			t.RawGetString("status"), t.RawGetString("message"))))
		return 1
	}))
	return mt
}

// raise raises a call's failure: a refusal as a table {code, status,
// message, where}; anything else as a message with the caller's position.
func (l *luaEngine) raise(err error) {
	L := l.L
	var ce *callError
	if errors.As(err, &ce) {
		t := L.NewTable()
		t.RawSetString("code", glua.LNumber(ce.Code))
		t.RawSetString("status", glua.LNumber(ce.Status))
		t.RawSetString("message", glua.LString(ce.Message))
		t.RawSetString("where", glua.LString(l.where()))
		L.SetMetatable(t, l.errorMeta())
		L.Error(t, 0)
	}
	L.Error(glua.LString(l.where()+": "+err.Error()), 0)
}

// args are a Go function's arguments without a leading self (so both
// t.equal(a, b) and t:equal(a, b) work).
func args(L *glua.LState, self *glua.LTable) []glua.LValue {
	var out []glua.LValue
	for i := 1; i <= L.GetTop(); i++ {
		out = append(out, L.Get(i))
	}
	if len(out) > 0 && out[0] == glua.LValue(self) {
		out = out[1:]
	}
	return out
}

func argAt(a []glua.LValue, i int) glua.LValue {
	if i < len(a) {
		return a[i]
	}
	return glua.LNil
}

func (l *luaEngine) method(self *glua.LTable, name string, fn func(a []glua.LValue) []glua.LValue) {
	self.RawSetString(name, l.L.NewFunction(func(L *glua.LState) int {
		out := fn(args(L, self))
		for _, v := range out {
			L.Push(v)
		}
		return len(out)
	}))
}

func (l *luaEngine) bind(self *glua.LTable, e *env, o op, token string) {
	l.method(self, o.lua, func(a []glua.LValue) []glua.LValue {
		goArgs := make([]any, len(a))
		for i, v := range a {
			goArgs[i] = fromLua(v, 0)
		}
		out, err := e.call(o, token, goArgs)
		if err != nil {
			l.raise(err)
		}
		return []glua.LValue{toLua(l.L, out)}
	})
}

func (l *luaEngine) newT(tc test, e *env, res *result) *glua.LTable {
	L := l.L
	t := L.NewTable()
	t.RawSetString("name", glua.LString(tc.name))
	l.method(t, "user", func(a []glua.LValue) []glua.LValue {
		u, err := e.user(argAt(a, 0).String())
		if err != nil {
			l.raise(err)
		}
		h := L.NewTable()
		h.RawSetString("id", glua.LString(u.ID))
		h.RawSetString("username", glua.LString(u.Username))
		h.RawSetString("token", glua.LString(u.Token))
		for _, o := range append(userOps, listUserGroupsOp(u.ID)) {
			l.bind(h, e, o, u.Token)
		}
		return []glua.LValue{h}
	})
	srv := L.NewTable()
	for _, o := range serverOps {
		l.bind(srv, e, o, "")
	}
	t.RawSetString("server", srv)
	note := func(a []glua.LValue, i int) string {
		if v := argAt(a, i); v != glua.LNil {
			return v.String() + ": "
		}
		return ""
	}
	l.method(t, "equal", func(a []glua.LValue) []glua.LValue {
		got, want := show(fromLua(argAt(a, 0), 0)), show(fromLua(argAt(a, 1), 0))
		if got != want {
			res.failf(l.where(), "%sgot %s, want %s", note(a, 2), got, want)
			return []glua.LValue{glua.LFalse}
		}
		return []glua.LValue{glua.LTrue}
	})
	l.method(t, "ok", func(a []glua.LValue) []glua.LValue {
		if !glua.LVAsBool(argAt(a, 0)) {
			msg := "not ok"
			if n := note(a, 1); n != "" {
				msg = strings.TrimSuffix(n, ": ")
			}
			res.failf(l.where(), "%s (got %s)", msg, show(fromLua(argAt(a, 0), 0)))
			return []glua.LValue{glua.LFalse}
		}
		return []glua.LValue{glua.LTrue}
	})
	l.method(t, "fail", func(a []glua.LValue) []glua.LValue {
		msg := "failed"
		if v := argAt(a, 0); v != glua.LNil {
			msg = v.String()
		}
		res.failf(l.where(), "%s", msg)
		return nil
	})
	l.method(t, "log", func(a []glua.LValue) []glua.LValue {
		parts := make([]string, len(a))
		for i, v := range a {
			if s, ok := v.(glua.LString); ok {
				parts[i] = string(s)
			} else {
				parts[i] = show(fromLua(v, 0))
			}
		}
		res.logs = append(res.logs, l.where()+": "+strings.Join(parts, " "))
		return nil
	})
	l.method(t, "json_decode", func(a []glua.LValue) []glua.LValue {
		var v any
		if err := json.Unmarshal([]byte(argAt(a, 0).String()), &v); err != nil {
			l.raise(fmt.Errorf("json_decode: %v", err))
		}
		return []glua.LValue{toLua(L, v)}
	})
	l.method(t, "json_encode", func(a []glua.LValue) []glua.LValue {
		return []glua.LValue{glua.LString(show(fromLua(argAt(a, 0), 0)))}
	})
	// refused(code, fn[, note]) expects fn to raise a refusal with that code
	// and returns it.
	l.method(t, "refused", func(a []glua.LValue) []glua.LValue {
		want := int(glua.LVAsNumber(argAt(a, 0)))
		fn, ok := argAt(a, 1).(*glua.LFunction)
		if !ok {
			L.ArgError(2, "t.refused(code, fn): fn is not a function")
		}
		where := l.where()
		L.Push(fn)
		err := L.PCall(0, 0, nil)
		if err == nil {
			res.failf(where, "%sthe call succeeded, want a refusal with code %d", note(a, 2), want)
			stop := L.NewUserData()
			stop.Value = errStop
			L.Error(stop, 0)
		}
		var ae *glua.ApiError
		if L.Context() != nil && L.Context().Err() != nil || !errors.As(err, &ae) {
			L.Error(glua.LString(err.Error()), 0) // the test's deadline ends the test
		}
		et, isTable := ae.Object.(*glua.LTable)
		if !isTable || et.RawGetString("code") == glua.LNil {
			res.failf(where, "%sgot %s, want a refusal with code %d", note(a, 2), ae.Object.String(), want)
			return []glua.LValue{ae.Object}
		}
		if got := int(glua.LVAsNumber(et.RawGetString("code"))); got != want {
			res.failf(where, "%sgot code %d (%s), want code %d", note(a, 2), got, et.RawGetString("message"), want)
		}
		return []glua.LValue{et}
	})
	return t
}

// maxDepth bounds the conversion of nested tables (cycles).
const maxDepth = 64

// fromLua converts a Lua value for comparison and requests: a table whose
// keys are exactly 1..n is a list, any other an object.
func fromLua(v glua.LValue, depth int) any {
	switch x := v.(type) {
	case *glua.LNilType:
		return nil
	case glua.LBool:
		return bool(x)
	case glua.LNumber:
		return float64(x)
	case glua.LString:
		return string(x)
	case *glua.LTable:
		if depth > maxDepth {
			return "[table nested too deep]"
		}
		n := x.MaxN()
		count := 0
		x.ForEach(func(glua.LValue, glua.LValue) { count++ })
		if n > 0 && n == count {
			list := make([]any, n)
			for i := 1; i <= n; i++ {
				list[i-1] = fromLua(x.RawGetInt(i), depth+1)
			}
			return list
		}
		m := map[string]any{}
		x.ForEach(func(k, val glua.LValue) {
			if k.String() == "where" && x.RawGetString("code") != glua.LNil {
				return // a refusal's location is not part of its value
			}
			m[k.String()] = fromLua(val, depth+1)
		})
		return m
	default:
		return v.String()
	}
}

// toLua converts a decoded JSON value: lists become 1-based tables.
func toLua(L *glua.LState, v any) glua.LValue {
	switch x := v.(type) {
	case nil:
		return glua.LNil
	case bool:
		return glua.LBool(x)
	case float64:
		return glua.LNumber(x)
	case string:
		return glua.LString(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, toLua(L, x[k]))
		}
		return t
	default:
		return glua.LString(strconv.Quote(fmt.Sprint(x)))
	}
}
