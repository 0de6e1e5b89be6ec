package lua

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

func TestLuaConvertRoundTrip(t *testing.T) {
	L := glua.NewState(glua.Options{SkipOpenLibs: true})
	defer L.Close()
	in := map[string]any{
		"group_id": "g1",
		"user_ids": []any{"a", "b"},
		"limit":    int64(10),
		"ratio":    0.5,
		"open":     false,
		"unset":    nil, // omitted in Lua
		"nested":   map[string]any{"list": []any{int64(1), map[string]any{"x": "y"}}},
		"vars":     map[string]string{"k": "v"},
	}
	lv := toLua(L, in)
	tb := lv.(*glua.LTable)
	if tb.RawGetString("unset") != glua.LNil {
		t.Fatal("nil field present in Lua")
	}
	got, err := toGo(lv, "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"group_id": "g1", "user_ids": []any{"a", "b"}, "limit": int64(10), "ratio": 0.5, "open": false,
		"nested": map[string]any{"list": []any{int64(1), map[string]any{"x": "y"}}},
		"vars":   map[string]any{"k": "v"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, want)
	}
}

func TestLuaConvertTables(t *testing.T) {
	L := glua.NewState()
	defer L.Close()
	eval := func(expr string) glua.LValue {
		t.Helper()
		if err := L.DoString("return " + expr); err != nil {
			t.Fatal(err)
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	for _, c := range []struct {
		expr string
		key  string
		want any
	}{
		{`{}`, "", map[string]any{}},
		{`{}`, "user_ids", []any{}},
		{`{}`, "groups", []any{}},
		{`{"a", "b"}`, "", []any{"a", "b"}},
		{`{[1]="a", [3]="c"}`, "", map[string]any{"1": "a", "3": "c"}},
		{`{[2]="b"}`, "", map[string]any{"2": "b"}},
		{`{1.5, 2}`, "", []any{1.5, int64(2)}},
		{`{a=1, [1]="x"}`, "", map[string]any{"a": int64(1), "1": "x"}},
		{`{user_ids={}}`, "", map[string]any{"user_ids": []any{}}},
		{`{meta={}}`, "", map[string]any{"meta": map[string]any{}}},
		{`nil`, "", nil},
		{`true`, "", true},
		{`"s"`, "", "s"},
	} {
		got, err := toGo(eval(c.expr), c.key)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s (key %q): got %#v, want %#v", c.expr, c.key, got, c.want)
		}
	}
	if _, err := toGo(eval(`(function() local t = {} t.self = t return t end)()`), ""); err == nil {
		t.Error("a table containing itself converted")
	}
	if _, err := toGo(eval(`{f = print}`), ""); err == nil {
		t.Error("a function converted")
	}
	if _, err := tableToMap(eval(`{"a"}`).(*glua.LTable)); err == nil {
		t.Error("a list accepted as a payload")
	}
}

func TestLuaErrorConversion(t *testing.T) {
	L := glua.NewState()
	defer L.Close()
	v := &vm{L: L}
	run := func(code string) error {
		t.Helper()
		fn, err := L.Load(strings.NewReader(code), "hook.lua")
		if err != nil {
			t.Fatal(err)
		}
		L.Push(fn)
		return v.scriptError(L.PCall(0, 0, nil))
	}
	for _, c := range []struct {
		code string
		want errs.Error
	}{
		{`error({"nope", 3})`, errs.Error{Code: 3, Message: "nope"}},
		{`error({message = "named", code = 7})`, errs.Error{Code: 7, Message: "named"}},
		{`error({"no code"})`, errs.Error{Code: 13, Message: "no code"}},
		{`error({"bad code", 99})`, errs.Error{Code: 13, Message: "bad code"}},
		{`error("plain")`, errs.Error{Code: 13, Message: "plain"}},
		{"\n\nerror('third line')", errs.Error{Code: 13, Message: "third line"}},
		{`local ok, e = pcall(error, "inner") error(e)`, errs.Error{Code: 13, Message: "inner"}},
		{`local ok, e = pcall(function() error("deep") end) error(e)`, errs.Error{Code: 13, Message: "deep"}},
		{`error("x", 0)`, errs.Error{Code: 13, Message: "x"}},
	} {
		err := run(c.code)
		ge, ok := errs.AsError(err)
		if !ok || *ge != c.want {
			t.Errorf("%s: got %#v, want %#v", c.code, err, c.want)
		}
	}
	// A coded nk error keeps its code when it escapes uncaught.
	v.nkErr = &errs.Error{Code: errs.CodeNotFound, Message: "Group not found."}
	if ge, _ := errs.AsError(run(`error("Group not found.")`)); ge.Code != errs.CodeNotFound {
		t.Errorf("nk error code lost: %#v", ge)
	}
}

func TestLuaStripPosition(t *testing.T) {
	for in, want := range map[string]string{
		"bouncer.lua:12: boom":                   "boom",
		"clans/rules.lua:3: a.lua:1: twice":      "twice",
		"no position: here":                      "no position: here",
		"text mentioning x.lua:3: in the middle": "text mentioning x.lua:3: in the middle",
	} {
		if got := stripPosition(in); got != want {
			t.Errorf("stripPosition(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Lua-side builders of hot tables must match runtime's data exactly.
func TestLuaDirectTablesMatchRuntimeData(t *testing.T) {
	L := glua.NewState(glua.Options{SkipOpenLibs: true})
	defer L.Close()
	cfg := runtime.Config{Env: map[string]string{"REGION": "eu"}, Version: "1.2"}.WithDefaults()
	v := &vm{L: L, r: &Runtime{cfg: cfg}}
	same := func(what string, lv glua.LValue, data any) {
		t.Helper()
		got, err := toGo(lv, "")
		if err != nil {
			t.Fatal(err)
		}
		// Go data through Lua once: nil fields drop, numbers normalise.
		want, err := toGo(toLua(L, data), "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
		}
	}
	for _, c := range []*hooks.Caller{
		nil,
		{HTTPKey: true, ClientIP: "10.0.0.1"},
		{UserID: "u1", Username: "alice", Vars: map[string]string{"k": "v"}, SessionExp: 1700000000, ClientIP: "1.2.3.4",
			ClientPort: "5555", Headers: map[string][]string{"X-A": {"1", "2"}}, Query: map[string][]string{"q": {"a"}}},
	} {
		for _, mode := range []string{runtime.ModeBefore, runtime.ModeAfter, runtime.ModeRPC} {
			same("context "+mode, v.contextTable(mode, c), runtime.ContextData(cfg, mode, c))
		}
	}
	now := time.Unix(1700000000, 0)
	for _, g := range []groups.Group{
		{ID: "g1", CreatorID: "c", Name: "n", Description: "d", LangTag: "en", AvatarURL: "a", Open: true, EdgeCount: 3,
			MaxCount: 10, Metadata: `{"roles":{"u":["bouncer"]},"n":1.5,"e":{}}`, CreateTime: now, UpdateTime: now.Add(time.Hour)},
		{ID: "g2", Metadata: "not json"},
		{ID: "g3", Metadata: ""},
	} {
		same("group "+g.ID, groupTable(L, g, nil), runtime.GroupNK(g))
		cache := &metaCache{}
		for i := 0; i < 2; i++ { // parsed, then cached
			same("cached group "+g.ID, groupTable(L, g, cache), runtime.GroupNK(g))
		}
	}
}

func TestLuaMetaCache(t *testing.T) {
	c := &metaCache{}
	for i := 0; i < 3*metaCacheEntries; i++ {
		text := fmt.Sprintf(`{"n":%d}`, i%(2*metaCacheEntries))
		if got := c.parse(text); got["n"] != float64(i%(2*metaCacheEntries)) {
			t.Fatalf("parse(%s) = %v", text, got)
		}
		if len(c.m) > metaCacheEntries {
			t.Fatalf("cache holds %d entries", len(c.m))
		}
	}
	big := `{"s":"` + strings.Repeat("x", metaCacheMaxText) + `"}`
	if got := c.parse(big); len(got["s"].(string)) != metaCacheMaxText {
		t.Fatal("big metadata")
	}
	if _, cached := c.m[big]; cached {
		t.Fatal("big metadata cached")
	}
}

// Cycles, depth and size are bounded with clear errors; a table shared (not
// nested in itself) converts.
func TestLuaConvertLimits(t *testing.T) {
	L := glua.NewState()
	defer L.Close()
	eval := func(src string) glua.LValue {
		t.Helper()
		if err := L.DoString(src); err != nil {
			t.Fatal(err)
		}
		v := L.Get(-1)
		L.Pop(1)
		return v
	}
	for _, c := range []struct{ src, want string }{
		{`local t = {} t.self = t return t`, "table contains itself (a cycle)"},
		{`local t = {a = {b = {}}} t.a.b.c = {t} return t`, "table contains itself (a cycle)"},
		{`local t = {} for i = 1, 100 do t = {t} end return t`, "nested more than 64 levels deep"},
		// 2^40 leaves by sharing: stopped by the value budget, quickly.
		{`local t = {} for i = 1, 40 do t = {t, t} end return t`, "value too large to convert (more than 1048576 values)"},
		{`local s = string.rep("x", 1024 * 1024) local t = {} for i = 1, 80 do t[i] = s end return t`,
			"value too large to convert (more than 67108864 bytes of text)"},
	} {
		start := time.Now()
		_, err := toGo(eval(c.src), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", c.src, d)
		}
	}
	got, err := toGo(eval(`local s = {x = 1} return {a = s, b = {s, s}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": map[string]any{"x": int64(1)},
		"b": []any{map[string]any{"x": int64(1)}, map[string]any{"x": int64(1)}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("shared table: got %#v", got)
	}
	if !jsonTooDeep(strings.Repeat("[", 65)+strings.Repeat("]", 65), 64) ||
		jsonTooDeep(strings.Repeat("[", 64)+strings.Repeat("]", 64), 64) ||
		jsonTooDeep(`{"a":"[[[[[[[[[[\"[[[[[["}`, 3) {
		t.Fatal("jsonTooDeep")
	}
}
