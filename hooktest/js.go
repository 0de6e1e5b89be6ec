package hooktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// jsEngine runs a *.test.js file on a goja VM of its own (not one of the
// server's pooled VMs, which serve the hooks the test triggers).
type jsEngine struct {
	file, code string
	rt         *goja.Runtime
	parse      goja.Callable // JSON.parse, to hand answers over as plain JS values
}

func newJSEngine(file, code string) *jsEngine {
	return &jsEngine{file: file, code: code, rt: goja.New()}
}

func (j *jsEngine) close() {}

// errTimeout is what a test's VM is interrupted with at its deadline.
var errTimeout = errors.New("test timed out")

// interruptAt stops the VM when ctx ends; the returned function disarms it.
func (j *jsEngine) interruptAt(ctx context.Context) func() {
	stop := context.AfterFunc(ctx, func() { j.rt.Interrupt(errTimeout) })
	return func() {
		stop()
		j.rt.ClearInterrupt()
	}
}

func (j *jsEngine) load(ctx context.Context) ([]test, []string, error) {
	prg, err := goja.Compile(j.file, j.code, false)
	if err != nil {
		return nil, nil, err
	}
	var tests []test
	var modules []string
	rt := j.rt
	_ = rt.Set("test", func(call goja.FunctionCall) goja.Value {
		name := call.Argument(0).String()
		fn, ok := goja.AssertFunction(call.Argument(1))
		if !ok {
			panic(rt.NewTypeError("test(name, fn): fn is not a function"))
		}
		tests = append(tests, test{name: name, fn: fn})
		return goja.Undefined()
	})
	_ = rt.Set("modules", func(call goja.FunctionCall) goja.Value {
		for _, a := range call.Arguments {
			modules = append(modules, a.String())
		}
		return goja.Undefined()
	})
	parse, ok := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	if !ok {
		return nil, nil, errors.New("JSON.parse missing")
	}
	j.parse = parse
	defer j.interruptAt(ctx)()
	if _, err := rt.RunProgram(prg); err != nil {
		return nil, nil, j.uncaught(err)
	}
	return tests, modules, nil
}

// where is the file:line of the innermost call in the test file.
func (j *jsEngine) where(frames []goja.StackFrame) string {
	for _, f := range frames {
		if f.SrcName() == j.file {
			return fmt.Sprintf("%s:%d", j.file, f.Position().Line)
		}
	}
	return j.file
}

// uncaught describes an exception that ended a test or the file's top level.
func (j *jsEngine) uncaught(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return errors.New(j.file + ": test timed out (see -timeout)")
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return err
	}
	if ex.Value().Export() == errStop {
		return errStop
	}
	msg := ex.Value().String()
	if o, ok := ex.Value().(*goja.Object); ok {
		if c := o.Get("code"); c != nil && !goja.IsUndefined(c) {
			msg = fmt.Sprintf("uncaught error: code %v: %v", c, o.Get("message"))
		}
	}
	return errors.New(j.where(ex.Stack()) + ": " + msg)
}

func (j *jsEngine) run(ctx context.Context, tc test, e *env, res *result) {
	t := j.newT(tc, e, res)
	defer j.interruptAt(ctx)()
	if _, err := tc.fn.(goja.Callable)(goja.Undefined(), t); err != nil {
		if err = j.uncaught(err); err != errStop {
			res.failures = append(res.failures, err.Error())
		}
	}
}

// here is the assertion's location in the test file.
func (j *jsEngine) here() string { return j.where(j.rt.CaptureCallStack(0, nil)) }

// toJS hands a decoded JSON answer to the script as plain JS values.
func (j *jsEngine) toJS(v any) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Undefined()
	case string:
		return j.rt.ToValue(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(j.rt.NewGoError(err))
	}
	out, err := j.parse(goja.Undefined(), j.rt.ToValue(string(raw)))
	if err != nil {
		panic(err)
	}
	return out
}

// throw raises a call's failure: a refusal as an Error with code, status
// and message; anything else as a plain Error.
func (j *jsEngine) throw(err error) {
	ctor := j.rt.Get("Error")
	var ce *callError
	if errors.As(err, &ce) {
		o, _ := j.rt.New(ctor, j.rt.ToValue(ce.Error()))
		_ = o.Set("code", ce.Code)
		_ = o.Set("status", ce.Status)
		_ = o.Set("message", ce.Message)
		panic(o)
	}
	o, _ := j.rt.New(ctor, j.rt.ToValue(err.Error()))
	panic(o)
}

// bind makes the method of o acting with token ("" for the server).
func (j *jsEngine) bind(e *env, o op, token string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		args := make([]any, len(call.Arguments))
		for i, a := range call.Arguments {
			args[i] = a.Export()
		}
		out, err := e.call(o, token, args)
		if err != nil {
			j.throw(err)
		}
		return j.toJS(out)
	}
}

func (j *jsEngine) newT(tc test, e *env, res *result) *goja.Object {
	rt := j.rt
	t := rt.NewObject()
	_ = t.Set("name", tc.name)
	_ = t.Set("user", func(call goja.FunctionCall) goja.Value {
		u, err := e.user(call.Argument(0).String())
		if err != nil {
			j.throw(err)
		}
		h := rt.NewObject()
		_ = h.Set("id", u.ID)
		_ = h.Set("username", u.Username)
		_ = h.Set("token", u.Token)
		for _, o := range append(userOps, listUserGroupsOp(u.ID)) {
			_ = h.Set(o.js, j.bind(e, o, u.Token))
		}
		return h
	})
	srv := rt.NewObject()
	for _, o := range serverOps {
		_ = srv.Set(o.js, j.bind(e, o, ""))
	}
	_ = t.Set("server", srv)
	note := func(call goja.FunctionCall, i int) string {
		if a := call.Argument(i); !goja.IsUndefined(a) {
			return a.String() + ": "
		}
		return ""
	}
	_ = t.Set("equal", func(call goja.FunctionCall) goja.Value {
		got, want := call.Argument(0).Export(), call.Argument(1).Export()
		if show(got) != show(want) {
			res.failf(j.here(), "%sgot %s, want %s", note(call, 2), show(got), show(want))
			return rt.ToValue(false)
		}
		return rt.ToValue(true)
	})
	_ = t.Set("ok", func(call goja.FunctionCall) goja.Value {
		if !call.Argument(0).ToBoolean() {
			msg := "not ok"
			if n := note(call, 1); n != "" {
				msg = strings.TrimSuffix(n, ": ")
			}
			res.failf(j.here(), "%s (got %s)", msg, show(call.Argument(0).Export()))
			return rt.ToValue(false)
		}
		return rt.ToValue(true)
	})
	_ = t.Set("fail", func(call goja.FunctionCall) goja.Value {
		msg := "failed"
		if a := call.Argument(0); !goja.IsUndefined(a) {
			msg = a.String()
		}
		res.failf(j.here(), "%s", msg)
		return goja.Undefined()
	})
	_ = t.Set("log", func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			if goja.IsString(a) {
				parts[i] = a.String()
			} else {
				parts[i] = show(a.Export())
			}
		}
		res.logs = append(res.logs, j.here()+": "+strings.Join(parts, " "))
		return goja.Undefined()
	})
	// refused(code, fn[, note]) expects fn to throw an error with that code
	// and returns it.
	_ = t.Set("refused", func(call goja.FunctionCall) goja.Value {
		want := call.Argument(0).ToInteger()
		fn, ok := goja.AssertFunction(call.Argument(1))
		if !ok {
			panic(rt.NewTypeError("t.refused(code, fn): fn is not a function"))
		}
		where := j.here()
		_, err := fn(goja.Undefined())
		if err == nil {
			res.failf(where, "%sthe call succeeded, want a refusal with code %d", note(call, 2), want)
			panic(rt.ToValue(errStop))
		}
		var ex *goja.Exception
		if !errors.As(err, &ex) {
			panic(err) // an interrupt (the test's deadline) ends the test
		}
		o, isObj := ex.Value().(*goja.Object)
		if !isObj || o.Get("code") == nil || goja.IsUndefined(o.Get("code")) {
			res.failf(where, "%sgot %s, want a refusal with code %d", note(call, 2), ex.Value().String(), want)
			return ex.Value()
		}
		if got := o.Get("code").ToInteger(); got != want {
			res.failf(where, "%sgot code %d (%s), want code %d", note(call, 2), got, o.Get("message").String(), want)
		}
		return o
	})
	return t
}
