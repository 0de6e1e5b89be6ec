package js

import (
	"errors"
	"reflect"
	"strconv"

	"github.com/dop251/goja"
)

// Script values cross into Go only through export: goja's own Export follows
// cycles until the Go stack overflows (a fatal error, not a panic) and copies
// any array, however long, at once.
const (
	maxNesting     = 100     // objects and arrays nested deeper are refused (export, JSON)
	maxExportNodes = 1 << 20 // values one export may produce
)

var (
	errCyclic   = errors.New("value is cyclic")
	errTooDeep  = errors.New("value is nested too deeply")
	errTooLarge = errors.New("value is too large")
)

var mapType = reflect.TypeOf(map[string]any{})

type exporter struct {
	path    []*goja.Object // objects being exported, outermost first
	nodes   int
	lenient bool // cycles and excess become placeholder strings instead of errors
}

// export converts a script value to Go data (map[string]any, []any, string,
// int64, float64, bool, nil, time.Time for a Date) with cycle, depth and size
// limits; it fails rather than overflow.
func (v *vm) export(val goja.Value) (any, error) {
	e := exporter{}
	return e.value(val)
}

// exportLenient is export for log lines: a cycle, excess depth or size is
// shown as a placeholder string.
func (v *vm) exportLenient(val goja.Value) any {
	e := exporter{lenient: true}
	x, _ := e.value(val)
	return x
}

func (e *exporter) fail(err error) (any, error) {
	if e.lenient {
		return "[" + err.Error() + "]", nil
	}
	return nil, err
}

func (e *exporter) value(val goja.Value) (any, error) {
	e.nodes++
	if e.nodes > maxExportNodes {
		return e.fail(errTooLarge)
	}
	obj, ok := val.(*goja.Object)
	if !ok {
		if val == nil || goja.IsUndefined(val) || goja.IsNull(val) {
			return nil, nil
		}
		return val.Export(), nil
	}
	array := false
	switch obj.ClassName() {
	case "Array":
		array = true
	case "Map", "Set", "WeakMap", "WeakSet":
		// their Export walks the entries unchecked; as plain objects they
		// have no own enumerable keys, as in JSON.stringify.
	default:
		if t := obj.ExportType(); t != mapType && t != lazyType {
			// Functions, dates, regexps, buffers and wrapped Go values: their
			// Export does not walk script values. A lazy object is read
			// like the plain object it stands for.
			return obj.Export(), nil
		}
	}
	for _, p := range e.path {
		if p == obj {
			return e.fail(errCyclic)
		}
	}
	if len(e.path) >= maxNesting {
		return e.fail(errTooDeep)
	}
	e.path = append(e.path, obj)
	defer func() { e.path = e.path[:len(e.path)-1] }()
	if array {
		n := obj.Get("length").ToInteger()
		if n < 0 || n > int64(maxExportNodes-e.nodes) {
			return e.fail(errTooLarge)
		}
		out := make([]any, n)
		for i := range out {
			x, err := e.value(obj.Get(strconv.Itoa(i)))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	keys := obj.Keys()
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		x, err := e.value(obj.Get(k))
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}
