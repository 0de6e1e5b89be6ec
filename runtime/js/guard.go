package js

import (
	"errors"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// errMemory is the interrupt value of a call stopped by the memory watchdog
// or a guarded builtin; interrupted maps it to runtime.ErrMemoryLimit.
var errMemory = errors.New("script exceeded its memory limit")

// valueSize is roughly what one array element costs in Go (an interface).
const valueSize = 16

var regexpTimeout sync.Once

// limitRegexps bounds every backtracking regexp match (goja runs patterns Go's
// regexp cannot, such as lookaheads and backreferences, on regexp2, inside one
// native call that no interrupt reaches). regexp2 reads its default timeout
// when a pattern is compiled, and goja compiles lazily from any VM, so the
// setting is process-wide, from the first loaded module's call timeout. goja
// takes a timed-out match as no match, so the timeout is twice the call's: a
// match starts after its call does, so the call's deadline has always passed
// (and its interrupt stops the script at the next instruction) before the
// match gives up; meanwhile the caller has had its answer and the VM is
// replaced.
func limitRegexps(d time.Duration) {
	regexpTimeout.Do(func() { regexp2.DefaultMatchTimeout = 2 * d })
}

// guard installs the checks every VM gets: JSON nesting limits and, unless
// the memory limit is off, size caps on the builtins that allocate a whole
// string or array at once (goja would ask Go for it in one piece, and a
// failed huge allocation kills the process).
func (v *vm) guard() {
	rt := v.rt
	// replace puts fn in place of obj[name], with the original's name and
	// arity (scripts may look at them); it returns the original.
	replace := func(obj *goja.Object, name string, fn func(goja.FunctionCall) goja.Value) *goja.Object {
		origObj := obj.Get(name).(*goja.Object)
		f := rt.ToValue(fn).(*goja.Object)
		_ = f.DefineDataProperty("name", origObj.Get("name"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		_ = f.DefineDataProperty("length", origObj.Get("length"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		_ = obj.Set(name, f)
		return f
	}
	json := rt.Get("JSON").(*goja.Object)
	parse, _ := goja.AssertFunction(json.Get("parse"))
	replace(json, "parse", func(call goja.FunctionCall) goja.Value {
		// The text is made a string once, here, so an object's toString
		// cannot hand parse something else than what was checked.
		text := call.Argument(0).ToString()
		if s, ok := text.(goja.String); ok && jsonDepth(s) > maxNesting {
			panic(v.rangeError("JSON.parse: input is nested too deeply"))
		}
		args := make([]goja.Value, max(len(call.Arguments), 1))
		copy(args, call.Arguments)
		args[0] = text
		ret, err := parse(call.This, args...)
		if err != nil {
			panic(err)
		}
		return ret
	})
	stringify, _ := goja.AssertFunction(json.Get("stringify"))
	replace(json, "stringify", func(call goja.FunctionCall) goja.Value {
		var size float64
		switch jsonCheck(call.Argument(0), 0, nil, &size, float64(v.r.cfg.MaxCallMemory)) {
		case jsonTooDeep:
			panic(v.rangeError("JSON.stringify: value is nested too deeply"))
		case jsonTooBig:
			v.stopForMemory()
			return goja.Undefined()
		}
		return v.callOrig(stringify, call)
	})

	limit := float64(v.r.cfg.MaxCallMemory)
	if limit <= 0 {
		return
	}
	proto := func(ctor string) *goja.Object {
		return rt.Get(ctor).(*goja.Object).Get("prototype").(*goja.Object)
	}
	// wrap caps obj[name]: a call whose size (bytes) passes the limit stops
	// the script instead of running the builtin.
	wrap := func(obj *goja.Object, name string, size func(goja.FunctionCall) float64) *goja.Object {
		orig, _ := goja.AssertFunction(obj.Get(name))
		return replace(obj, name, func(call goja.FunctionCall) goja.Value {
			if size(call) > limit {
				v.stopForMemory() // stops the script at its next instruction
				return goja.Undefined()
			}
			return v.callOrig(orig, call)
		})
	}
	str := proto("String")
	wrap(str, "repeat", func(c goja.FunctionCall) float64 {
		return float64(strLen(c.This)) * c.Argument(0).ToFloat()
	})
	padded := func(c goja.FunctionCall) float64 { return c.Argument(0).ToFloat() }
	wrap(str, "padStart", padded)
	wrap(str, "padEnd", padded)
	wrap(str, "split", func(c goja.FunctionCall) float64 { return splitCount(c.This, c.Argument(0)) * valueSize })
	arr := proto("Array")
	// Methods that build or copy an array of this.length elements in one
	// native step; a sparse array's length costs nothing until then.
	thisLen := func(c goja.FunctionCall) float64 { return arrayLen(c.This) * valueSize }
	for _, name := range []string{"fill", "map", "filter", "slice", "splice", "sort", "reverse", "flat", "flatMap",
		"copyWithin", "toSorted", "toReversed", "toSpliced", "with"} {
		if _, ok := goja.AssertFunction(arr.Get(name)); ok {
			wrap(arr, name, thisLen)
		}
	}
	wrap(arr, "concat", func(c goja.FunctionCall) float64 {
		n := arrayLen(c.This)
		for _, a := range c.Arguments {
			n += arrayLen(a)
		}
		return n * valueSize
	})
	wrap(arr, "join", func(c goja.FunctionCall) float64 { return joinedLen(c.This, c.Argument(0), limit) })
	// Spreading ([...a], f(...a)) and new Set(a) walk the array iterator in
	// one native loop, element by element, however long a sparse array is.
	_ = arr.SetSymbol(goja.SymIterator, wrap(arr, "values", thisLen))
	wrap(arr, "keys", thisLen)
	wrap(arr, "entries", thisLen)
	array := rt.Get("Array").(*goja.Object)
	wrap(array, "from", func(c goja.FunctionCall) float64 { return arrayLen(c.Argument(0)) * valueSize })
	// Spreading an array into arguments copies it at once.
	wrap(proto("Function"), "apply", func(c goja.FunctionCall) float64 { return arrayLen(c.Argument(1)) * valueSize })
	reflect := rt.Get("Reflect").(*goja.Object)
	construct, _ := goja.AssertFunction(reflect.Get("construct"))
	wrap(reflect, "apply", func(c goja.FunctionCall) float64 { return arrayLen(c.Argument(2)) * valueSize })
	wrap(reflect, "construct", func(c goja.FunctionCall) float64 { return arrayLen(c.Argument(1)) * valueSize })
	// Buffers are allocated whole by their constructors.
	isPrototypeOf, _ := goja.AssertFunction(proto("Object").Get("isPrototypeOf"))
	for _, ctor := range []struct {
		name  string
		bytes float64
	}{{"ArrayBuffer", 1}, {"SharedArrayBuffer", 1}, {"Int8Array", 1}, {"Uint8Array", 1}, {"Uint8ClampedArray", 1},
		{"Int16Array", 2}, {"Uint16Array", 2}, {"Float16Array", 2}, {"Int32Array", 4}, {"Uint32Array", 4},
		{"Float32Array", 4}, {"Float64Array", 8}, {"BigInt64Array", 8}, {"BigUint64Array", 8}} {
		target, ok := rt.Get(ctor.name).(*goja.Object)
		if !ok {
			continue
		}
		per := ctor.bytes
		proxy := rt.NewProxy(target, &goja.ProxyTrapConfig{
			Construct: func(target *goja.Object, args []goja.Value, newTarget *goja.Object) *goja.Object {
				if len(args) > 0 && bufferLen(args[0])*per > limit {
					v.stopForMemory()
					return rt.NewObject()
				}
				list := make([]any, len(args))
				for i, a := range args {
					list[i] = a
				}
				obj, err := construct(goja.Undefined(), target, rt.NewArray(list...), newTarget)
				if err != nil {
					panic(err)
				}
				return obj.(*goja.Object)
			},
		})
		// goja's instanceof refuses a native proxy as the right-hand side
		// unless the constructor answers Symbol.hasInstance itself.
		_ = target.DefineDataPropertySymbol(goja.SymHasInstance, rt.ToValue(func(c goja.FunctionCall) goja.Value {
			proto := target.Get("prototype")
			ret, err := isPrototypeOf(proto, c.Argument(0))
			if err != nil {
				panic(err)
			}
			return ret
		}), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE)
		_ = rt.Set(ctor.name, proxy)
	}
}

// bufferLen is the element count a buffer or typed array constructor
// allocates for its first argument: a number, or an array-like's length.
func bufferLen(x goja.Value) float64 {
	if _, ok := x.(*goja.Object); ok {
		return arrayLen(x)
	}
	return x.ToFloat()
}

// splitCount bounds the number of parts this.split(sep) makes.
func splitCount(this, sep goja.Value) float64 {
	n := float64(strLen(this))
	if s, ok := sep.(goja.String); ok && s.Length() > 0 {
		return n/float64(s.Length()) + 1
	}
	if goja.IsUndefined(sep) {
		return 1
	}
	return n + 1
}

// rangeError is a catchable RangeError, what V8 throws for a nesting too deep
// for its stack.
func (v *vm) rangeError(msg string) *goja.Object {
	ctor, _ := v.rt.Get("RangeError").(*goja.Object)
	obj, err := v.rt.New(ctor, v.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return obj
}

// stopForMemory interrupts the running call for exceeding its memory limit.
// A guarded builtin returns a dummy value after it, which may make the
// builtin's native caller throw before the interrupt is seen: the flag makes
// the call answer the memory error whatever it ended with.
func (v *vm) stopForMemory() {
	v.memHit.Store(true)
	v.rt.Interrupt(errMemory)
}

// callOrig calls a wrapped builtin, rethrowing what it throws.
func (v *vm) callOrig(fn goja.Callable, call goja.FunctionCall) goja.Value {
	ret, err := fn(call.This, call.Arguments...)
	if err != nil {
		panic(err)
	}
	return ret
}

func strLen(x goja.Value) int {
	if s, ok := x.(goja.String); ok {
		return s.Length()
	}
	if s, ok := x.ToString().(goja.String); ok {
		return s.Length()
	}
	return 0
}

func arrayLen(x goja.Value) float64 {
	obj, ok := x.(*goja.Object)
	if !ok {
		return 0
	}
	n := obj.Get("length")
	if n == nil {
		return 0
	}
	f := n.ToFloat()
	if f != f { // NaN
		return 0
	}
	return f
}

// joinedLen is the length of arr.join(sep) counting the separators and the
// string elements, stopping once past limit.
func joinedLen(this, sep goja.Value, limit float64) float64 {
	obj, ok := this.(*goja.Object)
	if !ok {
		return 0
	}
	n := obj.Get("length").ToFloat()
	if n <= 0 {
		return 0
	}
	sepLen := 1.0
	if !goja.IsUndefined(sep) {
		sepLen = float64(strLen(sep))
	}
	size := (n - 1) * sepLen
	if size > limit || n > limit {
		return size + n
	}
	keys := make([]byte, 0, 20)
	for i := int64(0); i < int64(n) && size <= limit; i++ {
		keys = appendIndex(keys[:0], i)
		if s, ok := obj.Get(string(keys)).(goja.String); ok {
			size += float64(s.Length())
		}
	}
	return size
}

func appendIndex(b []byte, i int64) []byte {
	if i >= 10 {
		b = appendIndex(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// jsonDepth is the deepest nesting of arrays and objects in JSON text (a
// linear scan that skips strings); it stops counting past maxNesting.
func jsonDepth(s goja.String) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	r := s.Reader()
	for {
		c, _, err := r.ReadRune()
		if err != nil {
			return deepest
		}
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > maxNesting {
					return deepest
				}
			}
		case c == ']' || c == '}':
			depth--
		}
	}
}

const (
	jsonOK = iota
	jsonTooDeep
	jsonTooBig
)

// jsonCheck walks what JSON.stringify would write (own enumerable
// properties, array elements) before it does: objects or arrays nested deeper
// than maxNesting, or an output whose least size passes limit (bytes; <= 0
// is no limit), are refused, the one as a catchable error, the other as the
// memory limit. Cycles are left to stringify, which throws its own
// TypeError. size accumulates the least output size.
func jsonCheck(val goja.Value, depth int, path []*goja.Object, size *float64, limit float64) int {
	obj, ok := val.(*goja.Object)
	if !ok {
		if s, ok := val.(goja.String); ok {
			*size += float64(s.Length()) + 2
		} else {
			*size++
		}
		if limit > 0 && *size > limit {
			return jsonTooBig
		}
		return jsonOK
	}
	if _, fn := goja.AssertFunction(obj); fn {
		return jsonOK
	}
	for _, p := range path {
		if p == obj {
			return jsonOK
		}
	}
	if depth >= maxNesting {
		return jsonTooDeep
	}
	path = append(path, obj)
	if obj.ClassName() == "Array" {
		n := obj.Get("length").ToInteger()
		*size += 2 * float64(n) // at least a value and a comma each
		if limit > 0 && *size > limit {
			return jsonTooBig
		}
		keys := make([]byte, 0, 20)
		for i := int64(0); i < n; i++ {
			keys = appendIndex(keys[:0], i)
			if res := jsonCheck(obj.Get(string(keys)), depth+1, path, size, limit); res != jsonOK {
				return res
			}
		}
		return jsonOK
	}
	if t := obj.ExportType(); t != mapType && t != lazyType {
		return jsonOK
	}
	for _, k := range obj.Keys() {
		*size += float64(len(k)) + 4 // "k":,
		if res := jsonCheck(obj.Get(k), depth+1, path, size, limit); res != jsonOK {
			return res
		}
	}
	return jsonOK
}
