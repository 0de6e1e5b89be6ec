package js

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/dop251/goja"
)

// newLogger makes Nakama's logger object: debug/info/warn/error(format,
// ...args) with Go printf formatting, withField(k, v) and withFields(obj)
// returning a new logger, getFields(). Lines go to l (slog) with the fields as
// attributes and the running call's context.
func (v *vm) newLogger(l *slog.Logger, fields map[string]any) *goja.Object {
	obj := v.rt.NewObject()
	logAt := func(level slog.Level) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			ctx := v.context()
			if !l.Enabled(ctx, level) {
				return goja.Undefined()
			}
			msg := call.Argument(0).String()
			if len(call.Arguments) > 1 {
				args := make([]any, len(call.Arguments)-1)
				for i, a := range call.Arguments[1:] {
					args[i] = v.exportLenient(a)
				}
				msg = fmt.Sprintf(msg, args...)
			}
			attrs := make([]any, 0, 2*len(fields))
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				attrs = append(attrs, k, fields[k])
			}
			l.Log(ctx, level, msg, attrs...)
			return goja.Undefined()
		}
	}
	with := func(add map[string]any) goja.Value {
		next := make(map[string]any, len(fields)+len(add))
		maps.Copy(next, fields)
		maps.Copy(next, add)
		return v.newLogger(l, next)
	}
	_ = obj.Set("debug", logAt(slog.LevelDebug))
	_ = obj.Set("info", logAt(slog.LevelInfo))
	_ = obj.Set("warn", logAt(slog.LevelWarn))
	_ = obj.Set("error", logAt(slog.LevelError))
	_ = obj.Set("withField", func(call goja.FunctionCall) goja.Value {
		return with(map[string]any{call.Argument(0).String(): v.exportLenient(call.Argument(1))})
	})
	_ = obj.Set("withFields", func(call goja.FunctionCall) goja.Value {
		m, ok := v.exportLenient(call.Argument(0)).(map[string]any)
		if !ok {
			panic(v.rt.NewTypeError("withFields: expects an object"))
		}
		return with(m)
	})
	_ = obj.Set("getFields", func(goja.FunctionCall) goja.Value {
		return v.toJS(maps.Clone(fields), true)
	})
	return obj
}
