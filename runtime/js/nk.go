package js

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"
	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// newNK makes the nk object of one VM: Nakama's group, membership and
// notification functions (camelCase names, Nakama's argument order) over
// runtime.NK, plus a few pure helpers. They throw on failure; a coded error
// is thrown as an Error carrying Guildhall's code and message, so a hook that
// does not catch it answers the client with that code.
func (v *vm) newNK() goja.Value {
	nk := v.rt.NewObject()
	set := func(name string, fn func(a args) goja.Value) {
		_ = nk.Set(name, func(call goja.FunctionCall) goja.Value {
			return fn(args{v: v, call: call, fn: "nk." + name})
		})
	}

	set("groupCreate", func(a args) goja.Value {
		userID := a.str(0, "userId")
		name := a.str(1, "name")
		maxCount := a.optInt(8, "maxCount") // nil: the default; the service checks a given one
		creatorID, langTag := deref(a.optStr(2, "creatorId")), deref(a.optStr(3, "langTag"))
		description, avatarURL := deref(a.optStr(4, "description")), deref(a.optStr(5, "avatarUrl"))
		open, metadata := a.optBool(6, "open"), a.object(7, "metadata")
		g, err := a.nk().GroupCreate(v.context(), userID, name, creatorID, langTag, description, avatarURL,
			open != nil && *open, metadata, maxCount)
		a.check(err)
		return v.toJS(g, false)
	})

	set("groupUpdate", func(a args) goja.Value {
		groupID := a.str(0, "groupId")
		userID := deref(a.optStr(1, "userId"))
		maxCount := 0
		if n := a.optInt(9, "maxCount"); n != nil {
			maxCount = *n
		}
		name, creatorID, langTag := a.optStr(2, "name"), a.optStr(3, "creatorId"), a.optStr(4, "langTag")
		description, avatarURL := a.optStr(5, "description"), a.optStr(6, "avatarUrl")
		open, metadata := a.optBool(7, "open"), a.object(8, "metadata")
		a.check(a.nk().GroupUpdate(v.context(), groupID, userID, name, creatorID, langTag, description, avatarURL,
			open, metadata, maxCount))
		return goja.Undefined()
	})

	set("groupsGetId", func(a args) goja.Value {
		ids := a.strs(0, "groupIds")
		gs, err := a.nk().Groups(v.context(), ids)
		a.check(err)
		return v.groupsArray(gs)
	})

	set("groupsList", func(a args) goja.Value {
		limit := 0
		if n := a.optInt(4, "limit"); n != nil {
			limit = *n
		}
		name, langTag := deref(a.optStr(0, "name")), deref(a.optStr(1, "langTag"))
		open, members, cursor := a.optBool(2, "open"), a.optInt(3, "members"), deref(a.optStr(5, "cursor"))
		gs, cursor, err := a.nk().GroupsList(v.context(), name, langTag, open, members, limit, cursor)
		a.check(err)
		return v.toJS(map[string]any{"groups": gs, "cursor": optCursor(cursor)}, false)
	})

	set("groupUsersList", func(a args) goja.Value {
		groupID, limit, state, cursor := a.str(0, "groupId"), deref(a.optInt(1, "limit")), a.optInt(2, "state"),
			deref(a.optStr(3, "cursor"))
		list, cursor, err := a.nk().GroupUsersList(v.context(), groupID, limit, state, cursor)
		a.check(err)
		return v.toJS(map[string]any{"group_users": list, "cursor": optCursor(cursor)}, false)
	})

	set("userGroupsList", func(a args) goja.Value {
		userID, limit, state, cursor := a.str(0, "userId"), deref(a.optInt(1, "limit")), a.optInt(2, "state"),
			deref(a.optStr(3, "cursor"))
		list, cursor, err := a.nk().UserGroupsList(v.context(), userID, limit, state, cursor)
		a.check(err)
		return v.toJS(map[string]any{"user_groups": list, "cursor": optCursor(cursor)}, false)
	})

	// The operation table's nk functions, by argument shape.
	for _, o := range hooks.Ops() {
		fn := o.Info().NK
		if fn.JS == "" {
			continue
		}
		set(fn.JS, func(a args) goja.Value {
			var in runtime.OpArgs
			switch fn.Args {
			case hooks.NKGroupAsUser:
				in.GroupID, in.UserID, in.Username = a.str(0, "groupId"), a.str(1, "userId"), deref(a.optStr(2, "username"))
			case hooks.NKGroupUsers:
				in.GroupID, in.UserIDs, in.CallerID = a.str(0, "groupId"), a.strs(1, "userIds"), deref(a.optStr(2, "callerId"))
			case hooks.NKRequest:
				in.Request, in.CallerID = a.object(0, "request"), deref(a.optStr(1, "userId"))
			default:
				in.GroupID = a.str(0, "groupId")
			}
			out, err := a.nk().Op(v.context(), o, in)
			a.check(err)
			if out == nil {
				return goja.Undefined()
			}
			return v.toJS(out, false)
		})
	}

	set("notificationSend", func(a args) goja.Value {
		userID := a.str(0, "userId")
		subject := a.str(1, "subject")
		content := a.object(2, "content")
		code := a.optInt(3, "code")
		if code == nil {
			panic(v.rt.NewTypeError("%s: expects a code number", a.fn))
		}
		senderID, persistent := deref(a.optStr(4, "senderId")), a.optBool(5, "persistent")
		a.check(a.nk().NotificationSend(v.context(), userID, subject, content, *code, senderID,
			persistent != nil && *persistent))
		return goja.Undefined()
	})

	set("notificationsSend", func(a args) goja.Value {
		list := a.list(0, "notifications")
		batch := make([]runtime.NotificationInput, len(list))
		for j, x := range list {
			m, ok := x.(map[string]any)
			field := func(name, want string) string { return fmt.Sprintf("notifications[%d].%s to be %s", j, name, want) }
			if !ok {
				panic(v.rt.NewTypeError("%s: expects notifications[%d] to be an object", a.fn, j))
			}
			n := &batch[j]
			if n.UserID, ok = m["userId"].(string); !ok {
				panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("userId", "a string")))
			}
			if n.Subject, ok = m["subject"].(string); !ok {
				panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("subject", "a string")))
			}
			if c, present := m["content"]; present && c != nil {
				if n.Content, ok = c.(map[string]any); !ok {
					panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("content", "an object")))
				}
			}
			if n.Code, ok = runtime.ToInt(m["code"]); !ok {
				panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("code", "a number")))
			}
			if x, present := m["senderId"]; present && x != nil {
				if n.SenderID, ok = x.(string); !ok {
					panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("senderId", "a string")))
				}
			}
			if x, present := m["persistent"]; present && x != nil {
				if n.Persistent, ok = x.(bool); !ok {
					panic(v.rt.NewTypeError("%s: expects %s", a.fn, field("persistent", "a boolean")))
				}
			}
		}
		a.check(a.nk().NotificationsSend(v.context(), batch))
		return goja.Undefined()
	})

	// nk.event(name, properties, timestamp?, external?): properties are
	// strings; the timestamp is Unix seconds (as in Nakama) or a Date.
	set("event", func(a args) goja.Value {
		name := a.str(0, "eventName")
		var props map[string]string
		if m := a.object(1, "properties"); m != nil {
			props = make(map[string]string, len(m))
			for k, x := range m {
				s, ok := x.(string)
				if !ok {
					a.typeError(1, "properties", "an object of strings")
				}
				props[k] = s
			}
		}
		var ts time.Time
		if !a.absent(2) {
			if d, ok := a.call.Argument(2).(*goja.Object); ok && d.ClassName() == "Date" {
				ts, _ = d.Export().(time.Time)
			} else {
				secs, ok := runtime.ToInt(primitive(a.call.Argument(2)))
				if !ok {
					a.typeError(2, "timestamp", "Unix seconds or a Date")
				}
				ts = time.Unix(int64(secs), 0).UTC()
			}
		}
		external := a.optBool(3, "external")
		a.check(a.nk().Event(v.context(), name, props, ts, external != nil && *external))
		return goja.Undefined()
	})

	// Pure helpers Nakama offers.
	set("uuidv4", func(args) goja.Value { return v.rt.ToValue(uuid.NewString()) })
	encoding := func(url bool, padding *bool) *base64.Encoding {
		enc := base64.StdEncoding
		if url {
			enc = base64.URLEncoding
		}
		if padding != nil && !*padding {
			enc = enc.WithPadding(base64.NoPadding)
		}
		return enc
	}
	for _, url := range []bool{false, true} {
		name := "base64"
		if url {
			name = "base64Url"
		}
		set(name+"Encode", func(a args) goja.Value {
			return v.rt.ToValue(encoding(url, a.optBool(1, "padding")).EncodeToString([]byte(a.str(0, "input"))))
		})
		set(name+"Decode", func(a args) goja.Value {
			b, err := encoding(url, a.optBool(1, "padding")).DecodeString(a.str(0, "input"))
			a.check(err)
			return v.rt.ToValue(string(b))
		})
	}
	v.channelFuncs(set)
	return nk
}

func optCursor(c string) any {
	if c == "" {
		return nil
	}
	return c
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// args reads an nk function's arguments; a wrong type throws a TypeError.
type args struct {
	v    *vm
	call goja.FunctionCall
	fn   string
}

var errNoNK = errors.New("the nk group functions are not available in this runtime")

func (a args) nk() *runtime.NK {
	if a.v.r.nk == nil {
		a.fail(errNoNK)
	}
	return a.v.r.nk
}

func (a args) absent(i int) bool {
	x := a.call.Argument(i)
	return goja.IsUndefined(x) || goja.IsNull(x)
}

func (a args) typeError(i int, name, want string) {
	panic(a.v.rt.NewTypeError("%s: expects %s to be %s (argument %d)", a.fn, name, want, i+1))
}

func (a args) str(i int, name string) string {
	x := a.call.Argument(i)
	if !goja.IsString(x) {
		a.typeError(i, name, "a string")
	}
	return x.String()
}

func (a args) optStr(i int, name string) *string {
	if a.absent(i) {
		return nil
	}
	s := a.str(i, name)
	return &s
}

func (a args) optBool(i int, name string) *bool {
	if a.absent(i) {
		return nil
	}
	b, ok := primitive(a.call.Argument(i)).(bool)
	if !ok {
		a.typeError(i, name, "a boolean")
	}
	return &b
}

func (a args) optInt(i int, name string) *int {
	if a.absent(i) {
		return nil
	}
	n, ok := runtime.ToGoInt(primitive(a.call.Argument(i)))
	if !ok {
		a.typeError(i, name, "an integer")
	}
	return &n
}

func (a args) strs(i int, name string) []string {
	x, err := a.v.export(a.call.Argument(i))
	if err != nil {
		a.typeError(i, name, "an array of strings ("+err.Error()+")")
	}
	list, ok := x.([]any)
	if !ok {
		a.typeError(i, name, "an array of strings")
	}
	out := make([]string, len(list))
	for j, e := range list {
		if out[j], ok = e.(string); !ok {
			a.typeError(i, name, "an array of strings")
		}
	}
	return out
}

func (a args) list(i int, name string) []any {
	x, err := a.v.export(a.call.Argument(i))
	if err != nil {
		a.typeError(i, name, "an array ("+err.Error()+")")
	}
	list, ok := x.([]any)
	if !ok {
		a.typeError(i, name, "an array")
	}
	return list
}

func (a args) object(i int, name string) map[string]any {
	if a.absent(i) {
		return nil
	}
	x, err := a.v.export(a.call.Argument(i))
	if err != nil {
		a.typeError(i, name, "an object ("+err.Error()+")")
	}
	m, ok := x.(map[string]any)
	if !ok {
		a.typeError(i, name, "an object")
	}
	return m
}

// primitive is x's Go value if x is not an object (whose Export could follow
// cycles); nil otherwise.
func primitive(x goja.Value) any {
	if _, ok := x.(*goja.Object); ok || x == nil {
		return nil
	}
	return x.Export()
}

func (a args) check(err error) {
	if err != nil {
		a.fail(err)
	}
}

// fail throws err into the script as an Error whose own enumerable message
// (and, for a coded error, code) are Guildhall's: uncaught, it reaches the
// client as that code and message (13 for an uncoded error).
func (a args) fail(err error) {
	rt := a.v.rt
	e := rt.NewGoError(err)
	msg := err.Error()
	if ge, ok := errs.AsError(err); ok {
		msg = ge.Message
		_ = e.DefineDataProperty("code", rt.ToValue(int(ge.Code)), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
	}
	_ = e.DefineDataProperty("message", rt.ToValue(msg), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
	panic(e)
}
