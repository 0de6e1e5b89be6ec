package js

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// eagerPayload is the before hook's request object as it was made before
// the lazy objects: every field set at once, from the plan.
func eagerPayload(v *vm, in *runtime.Payload) *goja.Object {
	obj := v.rt.NewObject()
	for _, f := range in.Plan.ClientFields() {
		_ = obj.Set(f.Camel, v.toJS(in.Plan.Get(in.Req, f), false))
	}
	return obj
}

// lazyScripts each run against a fresh eager object and a fresh lazy one
// (bound to x) and must give the same text: reads, enumeration, JSON,
// copies, mutation of fixed, added (integer-like too), deleted and re-added
// properties, identity and mutation of nested values.
var lazyScripts = []string{
	`JSON.stringify(x)`,
	`JSON.stringify(x, null, 2)`,
	`JSON.stringify(Object.keys(x))`,
	`var s = []; for (var k in x) s.push(k); s.join()`,
	`JSON.stringify(Object.entries(x))`,
	`JSON.stringify(Object.assign({}, x))`,
	`JSON.stringify({...x})`,
	`JSON.stringify(Object.getOwnPropertyNames(x))`,
	`JSON.stringify(Object.getOwnPropertyDescriptor(x, Object.keys(x)[0]))`,
	`[typeof x, String(x), Object.prototype.toString.call(x), x instanceof Object, Object.getPrototypeOf(x) === Object.prototype,
	  x.constructor === Object, Array.isArray(x), Object.isExtensible(x), Object.isFrozen(x)].join()`,
	`var k = Object.keys(x); [k.length, k[0] in x, x.hasOwnProperty(k[0]), 'toString' in x, x.hasOwnProperty('toString'),
	  'nope' in x, x.nope === undefined, x[0] === undefined].join()`,
	`var k = Object.keys(x); x[k[0]] = 'changed'; x.zeta = 1; x['7'] = 'seven'; x.alpha = [1, {b: 2}]; x['2'] = 'two';
	 JSON.stringify(x) + JSON.stringify(Object.keys(x))`,
	`var k = Object.keys(x); delete x[k[0]]; delete x.nope; var had = k[0] in x; x.added = true; x[k[0]] = 'back';
	 had + JSON.stringify(x)`,
	`var k = Object.keys(x); var last = k[k.length - 1]; delete x[last]; JSON.stringify(Object.keys(x))`,
	`var k = Object.keys(x), same = true; for (var i = 0; i < k.length; i++) same = same && x[k[i]] === x[k[i]]; same`,
	`var k = Object.keys(x); for (var i = 0; i < k.length; i++) { var val = x[k[i]];
	   if (val && typeof val === 'object') { if (Array.isArray(val)) val.push('pushed'); else val.added = 'nested'; } }
	 JSON.stringify(x)`,
	`x.__proto__ === Object.prototype && x.valueOf() === x`,
	`Object.keys(x).map(function (k) { return k + ':' + typeof x[k]; }).join()`,
}

// TestLazyObjectsBehaveLikePlain: the lazy ctx, request and group objects
// answer every script above as the eager plain objects did, and export to
// the same Go data, before and after the script ran.
func TestLazyObjectsBehaveLikePlain(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	g := groups.Group{ID: "g1", CreatorID: "c", Name: "N", Description: "d", LangTag: "en", AvatarURL: "a", Open: true,
		EdgeCount: 3, MaxCount: 100, CreateTime: t0, UpdateTime: t0.Add(time.Hour), Hidden: true,
		Metadata: `{"roles":{"u1":["bouncer"],"a_b":[1,2.5,null,true]},"Some_Key":{"z":1,"a":{}},"7":"x"}`}
	cfg := runtime.Config{Node: "n1", Version: "1.2", Env: map[string]string{"b_key": "2", "A": "1"}}.WithDefaults()
	caller := &hooks.Caller{UserID: "u1", Username: "alice", Vars: map[string]string{"Team_Color": "red"}, SessionExp: 5,
		ClientIP: "10.0.0.1"}
	limit := groups.State(2)
	payloads := []*runtime.Payload{
		{Req: &groups.GroupUsersRequest{GroupID: "g1", UserIDs: []string{"u2", "u3"}}},
		{Req: &groups.ListGroupUsersRequest{GroupID: "g1", State: &limit}},
		{Req: &groups.CreateGroupRequest{Name: "n", Open: new(bool), MaxCount: 7, OwnerID: "server only"}},
	}
	for _, p := range payloads {
		p.Plan = codec.PlanOf(p.Req)
	}
	type pair struct {
		name        string
		eager, lazy func(v *vm) goja.Value
	}
	pairs := []pair{
		{"group", func(v *vm) goja.Value { return v.toJS(runtime.GroupNK(g), false) },
			func(v *vm) goja.Value { return v.groupsArray([]groups.Group{g}).(*goja.Object).Get("0") }},
		{"ctx", func(v *vm) goja.Value { return v.toJS(runtime.ContextData(cfg, runtime.ModeBefore, caller), false) },
			func(v *vm) goja.Value { return v.ctxObject(runtime.ModeBefore, caller) }},
		{"ctx rpc", func(v *vm) goja.Value {
			return v.toJS(runtime.ContextData(cfg, runtime.ModeRPC, &hooks.Caller{HTTPKey: true, Headers: map[string][]string{"H": {"v"}}}), false)
		}, func(v *vm) goja.Value {
			return v.ctxObject(runtime.ModeRPC, &hooks.Caller{HTTPKey: true, Headers: map[string][]string{"H": {"v"}}})
		}},
	}
	for _, p := range payloads {
		pairs = append(pairs, pair{"payload " + reflect.TypeOf(p.Req).Elem().Name(),
			func(v *vm) goja.Value { return eagerPayload(v, p) }, func(v *vm) goja.Value { return v.payloadObject(p) }})
	}
	run := func(make func(*vm) goja.Value, script string) (out string, before, after any) {
		v := testVM()
		v.r = &Runtime{cfg: cfg, envKeys: sortedKeys(cfg.Env)}
		x := make(v)
		before, err := v.export(x)
		if err != nil {
			t.Fatal(err)
		}
		x = make(v)
		_ = v.rt.Set("x", x)
		res, err := v.rt.RunString(script)
		if err != nil {
			out = "error: " + err.Error()
		} else {
			out = res.String()
		}
		after, err = v.export(x)
		if err != nil {
			t.Fatal(err)
		}
		return out, before, after
	}
	for _, p := range pairs {
		if _, ok := asLazy(p.lazy(testVM2(cfg)).(*goja.Object)); !ok {
			t.Fatalf("%s: not a lazy object", p.name)
		}
		for _, script := range lazyScripts {
			want, wantBefore, wantAfter := run(p.eager, script)
			got, gotBefore, gotAfter := run(p.lazy, script)
			if got != want {
				t.Errorf("%s: %s\n got  %s\n want %s", p.name, script, got, want)
			}
			if !reflect.DeepEqual(gotBefore, wantBefore) || !reflect.DeepEqual(gotAfter, wantAfter) {
				t.Errorf("%s: %s: export\n got  %v / %v\n want %v / %v", p.name, script, gotBefore, gotAfter, wantBefore, wantAfter)
			}
		}
	}
}

func testVM2(cfg runtime.Config) *vm {
	v := testVM()
	v.r = &Runtime{cfg: cfg, envKeys: sortedKeys(cfg.Env)}
	return v
}

// TestLazyObjectLimits: what a dynamic object cannot do throws a TypeError
// (the documented difference from a plain object); the script goes on.
func TestLazyObjectLimits(t *testing.T) {
	v := testVM()
	_ = v.rt.Set("x", v.groupsArray([]groups.Group{{ID: "g"}}).(*goja.Object).Get("0"))
	for _, script := range []string{`Object.freeze(x)`, `Object.preventExtensions(x)`,
		`Object.defineProperty(x, 'id', {enumerable: false})`} {
		_, err := v.rt.RunString(script)
		if err == nil || !strings.Contains(err.Error(), "TypeError") {
			t.Errorf("%s: %v, want a TypeError", script, err)
		}
	}
	if res, err := v.rt.RunString(`x.id`); err != nil || res.String() != "g" {
		t.Fatalf("x.id = %v, %v", res, err)
	}
}

// TestFromLazyPayload: a before hook's lazy request read back gives the
// request the eager object gave, whatever the script did to it: nothing,
// a changed, deleted or added field, a list changed in place, strings that
// are not valid UTF-8 (which a script value holds with U+FFFD).
func TestFromLazyPayload(t *testing.T) {
	bad := "bad\xffutf8"
	reqs := []any{
		&groups.GroupUsersRequest{GroupID: "g1", UserIDs: []string{"u2", "u3"}},
		&groups.GroupUsersRequest{GroupID: "g1"},
		&groups.GroupUsersRequest{GroupID: bad, UserIDs: []string{"ok", bad}},
		&groups.ListGroupUsersRequest{GroupID: "g1", Limit: 0, Cursor: "c"},
		&groups.CreateGroupRequest{Name: "n", Open: new(bool), MaxCount: 7, OwnerID: "server only", Hidden: true},
	}
	scripts := []string{
		`x`,
		`x.groupId = 'other'; x`,
		`delete x.groupId; x`,
		`if (x.userIds) x.userIds.push('u9'); x`,
		`var ids = x.userIds; x`,
		`x.name = 'renamed'; x.open = true; x`,
		`x.limit = 50; x`,
		`x.nope = 1; x`,
		`x.group_id = 'snake'; x`,
		`x.groupId = 5; x`,
		`({groupId: 'fresh'})`,
	}
	for _, req := range reqs {
		in := &runtime.Payload{Req: req, Plan: codec.PlanOf(req)}
		for _, script := range scripts {
			read := func(obj func(*vm) goja.Value) (any, bool, string) {
				v := testVM()
				_ = v.rt.Set("x", obj(v))
				ret, err := v.rt.RunString(script)
				if err != nil {
					return nil, false, err.Error()
				}
				got, ok := v.fromPayloadObject(in, ret)
				return got, ok, ""
			}
			want, wantOK, wantErr := read(func(v *vm) goja.Value { return eagerPayload(v, in) })
			got, gotOK, gotErr := read(func(v *vm) goja.Value { return v.payloadObject(in) })
			if gotOK != wantOK || gotErr != wantErr || !reflect.DeepEqual(got, want) {
				t.Errorf("%T %s:\n got  %#v %v %s\n want %#v %v %s", req, script, got, gotOK, gotErr, want, wantOK, wantErr)
			}
		}
	}
}
