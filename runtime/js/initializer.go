package js

import (
	"sort"
	"strings"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/runtime"
)

// initializer is the object InitModule gets. It answers registerRpc and
// registerBefore<Op>/registerAfter<Op> for every operation Guildhall hooks;
// any other register… function Nakama has (registerMatch,
// registerBeforeGetAccount, registerRtBefore…) is a no-op that logs a warning
// once, so a Nakama module that also registers things Guildhall lacks still
// loads.
type initializer struct {
	v      *vm
	fns    map[string]goja.Value
	warned map[string]bool
	regs   []*registration
	byKey  map[string]int // rpc id → index in regs; a later RPC registration replaces an earlier one
}

func (in *initializer) build() {
	in.fns = map[string]goja.Value{
		"registerRpc": in.v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
			id := ""
			if x := call.Argument(0); goja.IsString(x) {
				id = x.String()
			}
			if id == "" {
				panic(in.v.rt.NewTypeError("registerRpc: expects an id string as first argument"))
			}
			in.add("rpc", strings.ToLower(id), in.resolve("registerRpc", call.Argument(1)))
			return goja.Undefined()
		}),
	}
	for _, name := range runtime.Ops() {
		for _, kind := range []string{"before", "after"} {
			method := "register" + strings.ToUpper(kind[:1]) + kind[1:] + name
			in.fns[method] = in.v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
				in.add(kind, name, in.resolve(method, call.Argument(0)))
				return goja.Undefined()
			})
		}
	}
}

// add records a registration. Hooks chain, as in Lua and for Go hooks: a
// second before or after hook on one operation runs after the first. An RPC
// id has one function: registering it again replaces it.
func (in *initializer) add(kind, name, fn string) {
	g := &registration{kind: kind, name: name, fn: fn}
	if kind != "rpc" {
		in.regs = append(in.regs, g)
		return
	}
	key := strings.ToLower(name)
	if i, ok := in.byKey[key]; ok {
		in.v.r.log.Warn("javascript function registered twice; the later one is used", "registration", kind+" "+name)
		in.regs[i] = g
		return
	}
	in.byKey[key] = len(in.regs)
	in.regs = append(in.regs, g)
}

// resolve finds the global path of a registered function. Every pooled VM
// runs the module's top level but not InitModule, so a function is known to
// them only by a global name: a top-level function declaration or var (or a
// function property of one), named by identifier or by string.
func (in *initializer) resolve(method string, val goja.Value) string {
	rt := in.v.rt
	global := rt.GlobalObject()
	if goja.IsString(val) {
		name := val.String()
		if _, ok := lookup(rt, name); !ok {
			panic(rt.NewTypeError("%s: %q is not a top-level function", method, name))
		}
		return name
	}
	obj, ok := val.(*goja.Object)
	if _, callable := goja.AssertFunction(val); !ok || !callable {
		panic(rt.NewTypeError("%s: expects a function", method))
	}
	if n := obj.Get("name"); n != nil {
		if name := n.String(); name != "" && obj.SameAs(global.Get(name)) {
			return name
		}
	}
	keys := global.Keys()
	for _, k := range keys {
		if obj.SameAs(global.Get(k)) {
			return k
		}
	}
	for _, k := range keys {
		holder, ok := global.Get(k).(*goja.Object)
		if !ok {
			continue
		}
		for _, p := range holder.Keys() {
			if obj.SameAs(holder.Get(p)) {
				return k + "." + p
			}
		}
	}
	panic(rt.NewTypeError("%s: javascript functions cannot be inlined: pass a top-level function "+
		"(function declaration or var) by name", method))
}

// The goja.DynamicObject methods: registration functions are read-only.

func (in *initializer) Get(key string) goja.Value {
	if fn, ok := in.fns[key]; ok {
		return fn
	}
	if !strings.HasPrefix(key, "register") {
		return nil
	}
	fn := in.v.rt.ToValue(func(goja.FunctionCall) goja.Value {
		if !in.warned[key] {
			in.warned[key] = true
			in.v.r.log.Warn("initializer."+key+" is not supported by Guildhall; the registration is ignored", "function", key)
		}
		return goja.Undefined()
	})
	in.fns[key] = fn
	return fn
}

func (in *initializer) Set(string, goja.Value) bool { return false }
func (in *initializer) Has(key string) bool         { return in.Get(key) != nil }
func (in *initializer) Delete(string) bool          { return false }

func (in *initializer) Keys() []string {
	keys := make([]string, 0, len(in.fns))
	for k := range in.fns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
