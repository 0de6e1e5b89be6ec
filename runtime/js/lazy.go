package js

import (
	"reflect"
	"slices"
	"strconv"

	"github.com/dop251/goja"
)

// lazyObject is a script object whose fixed properties are made only when a
// script first reads one: the ctx of a call, a before hook's request and the
// groups nk.groupsGetId returns. A hook typically reads one or two of a
// dozen properties (the bouncer: ctx.userId, data.groupId and a group's
// metadata), and making a goja value of each property was most of a hooked
// call's own cost. Nothing is cached across calls: each object is made for
// one call from that call's data.
//
// It is a goja dynamic object (goja.Runtime.NewDynamicObject) that behaves as
// the plain object the eager conversion made: the same keys in the same
// order (integer-like keys a script adds first, ascending, then the fixed
// properties, then the other added keys in the order they were added, as
// goja orders a plain object's), the same values made once (so
// g.metadata === g.metadata and changes to it stick), writable, deletable,
// extensible; JSON.stringify, Object.keys, for-in, spreading, `in` and
// hasOwnProperty see it as they see the plain object, and export (nk
// arguments, log arguments, returned values) reads it like one.
// What a dynamic object cannot do: be frozen, sealed or made
// non-extensible, hold a symbol-keyed, accessor, read-only or
// non-enumerable property of its own (those throw a TypeError). Values
// below it (metadata, arrays, env) are plain objects.
type lazyObject struct {
	v      *vm
	names  []string     // the fixed properties, in key order
	vals   []goja.Value // made values by fixed index; nil: not made yet
	absent uint64       // bit i: fixed property i is not a property (never was, or deleted)
	src    lazySource
	// Properties a script added (or re-added after deleting them), in the
	// order added.
	extraK []string
	extraV []goja.Value
}

// lazySource makes fixed property i's value.
type lazySource interface {
	value(v *vm, i int) goja.Value
}

// maxLazyFields bounds the fixed properties of a lazy object (one bit each).
const maxLazyFields = 64

func (o *lazyObject) init(v *vm, names []string, vals []goja.Value, src lazySource) {
	if len(names) > maxLazyFields || len(vals) != len(names) {
		panic("lazyObject: bad field list")
	}
	o.v, o.names, o.vals, o.src = v, names, vals, src
}

// object makes the script object of o.
func (o *lazyObject) object() *goja.Object { return o.v.rt.NewDynamicObject(o) }

// fixed is the index of the fixed property key while it is a property, or -1.
func (o *lazyObject) fixed(key string) int {
	for i, n := range o.names {
		if n == key {
			if o.absent&(1<<i) != 0 {
				return -1
			}
			return i
		}
	}
	return -1
}

func (o *lazyObject) extra(key string) int {
	return slices.Index(o.extraK, key)
}

// made reports whether fixed property i exists and its value was made.
func (o *lazyObject) made(i int) bool { return o.absent&(1<<i) == 0 && o.vals[i] != nil }

// Get implements goja.DynamicObject.
func (o *lazyObject) Get(key string) goja.Value {
	if i := o.fixed(key); i >= 0 {
		if o.vals[i] == nil {
			o.vals[i] = o.src.value(o.v, i)
		}
		return o.vals[i]
	}
	if j := o.extra(key); j >= 0 {
		return o.extraV[j]
	}
	return nil
}

// Set implements goja.DynamicObject.
func (o *lazyObject) Set(key string, val goja.Value) bool {
	if i := o.fixed(key); i >= 0 {
		o.vals[i] = val
		return true
	}
	if j := o.extra(key); j >= 0 {
		o.extraV[j] = val
		return true
	}
	o.extraK = append(o.extraK, key)
	o.extraV = append(o.extraV, val)
	return true
}

// Has implements goja.DynamicObject.
func (o *lazyObject) Has(key string) bool {
	return o.fixed(key) >= 0 || o.extra(key) >= 0
}

// Delete implements goja.DynamicObject.
func (o *lazyObject) Delete(key string) bool {
	if i := o.fixed(key); i >= 0 {
		o.absent |= 1 << i
		o.vals[i] = nil
		return true
	}
	if j := o.extra(key); j >= 0 {
		o.extraK = slices.Delete(o.extraK, j, j+1)
		o.extraV = slices.Delete(o.extraV, j, j+1)
	}
	return true
}

// Keys implements goja.DynamicObject: the order of a plain object's keys.
func (o *lazyObject) Keys() []string {
	keys := make([]string, 0, len(o.names)+len(o.extraK))
	indexed := 0
	for _, k := range o.extraK {
		if _, ok := arrayIndex(k); ok {
			keys = append(keys, k)
			indexed++
		}
	}
	if indexed > 1 {
		slices.SortFunc(keys, func(a, b string) int {
			x, _ := arrayIndex(a)
			y, _ := arrayIndex(b)
			return int(int64(x) - int64(y))
		})
	}
	for i, n := range o.names {
		if o.absent&(1<<i) == 0 {
			keys = append(keys, n)
		}
	}
	for _, k := range o.extraK {
		if _, ok := arrayIndex(k); !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// arrayIndex reads an array index key ("0", "42"; not "01", "-1" or
// 4294967295 and above), which ordinary objects list first, ascending.
func arrayIndex(k string) (uint32, bool) {
	if k == "" || len(k) > 10 || (k[0] == '0' && len(k) > 1) {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// asLazy returns the lazy object behind obj, if it is one.
func asLazy(obj *goja.Object) (*lazyObject, bool) {
	if obj.ExportType() != lazyType {
		return nil, false
	}
	o, ok := obj.Export().(*lazyObject)
	return o, ok
}

var lazyType = reflect.TypeOf((*lazyObject)(nil))
