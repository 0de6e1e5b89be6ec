package js

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/codec"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/runtime"
)

// userDataKeys name the values whose keys are the user's own (metadata,
// session vars, env, headers, query parameters, notification content): their
// keys reach scripts exactly as stored. Every other key is a field name and
// is shown in lowerCamelCase, as Nakama's JavaScript runtime does.
var userDataKeys = map[string]bool{
	"metadata": true, "vars": true, "env": true, "headers": true, "query_params": true, "content": true,
}

// camel returns the lowerCamelCase form of a field name, cached per VM: only
// field names are converted, never user data keys, so the cache stays small.
func (v *vm) camel(k string) string {
	if c, ok := v.camelKeys[k]; ok {
		return c
	}
	c := runtime.CamelCase(k)
	v.camelKeys[k] = c
	return c
}

// toJS makes a JavaScript value of script data (map[string]any with
// snake_case field names, []any, strings, numbers, bools, nil): objects are
// plain JavaScript objects with their keys in sorted order, field names in
// lowerCamelCase, nil is null. Below a user data key (user = true) keys are
// kept as they are.
func (v *vm) toJS(x any, user bool) goja.Value {
	switch t := x.(type) {
	case nil:
		return goja.Null()
	case goja.Value:
		return t
	case string, bool, int64, int, float64:
		return v.rt.ToValue(t)
	case map[string]any:
		obj := v.rt.NewObject()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			jk := k
			if !user {
				jk = v.camel(k)
			}
			_ = obj.Set(jk, v.toJS(t[k], user || userDataKeys[k]))
		}
		return obj
	case map[string]string:
		obj := v.rt.NewObject()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			_ = obj.Set(k, t[k])
		}
		return obj
	case []any:
		items := make([]any, len(t))
		for i, e := range t {
			items[i] = v.toJS(e, user)
		}
		return v.rt.NewArray(items...)
	case []string:
		items := make([]any, len(t))
		for i, e := range t {
			items[i] = e
		}
		return v.rt.NewArray(items...)
	}
	return v.rt.ToValue(x)
}

// groupsArray makes the array nk.groupsGetId returns: the same value as
// v.toJS of []any{runtime.GroupNK(g), …}, each group a lazy object (see
// lazyObject) whose properties are made when the script reads them — the
// metadata parsed and converted on its first read, never before. The group
// is read fresh for every call; nothing is kept across calls.
// TestGroupsArrayMatchesGroupNK holds the two forms together.
func (v *vm) groupsArray(gs []groups.Group) goja.Value {
	items := make([]any, len(gs))
	for i := range gs {
		lg := &lazyGroup{g: gs[i]}
		lg.init(v, groupKeys[:], lg.vals[:], lg)
		items[i] = lg.object()
	}
	return v.rt.NewArray(items...)
}

// groupKeys are a group's properties in the sorted order of their
// snake_case names, as toJS sets them.
var groupKeys = [...]string{"adminsOnlyCreateAttributes", "avatarUrl", "category", "createTime", "creatorId",
	"description", "edgeCount", "hidden", "id", "joinPolicy", "langTag", "maxCount", "metadata", "name", "open",
	"tag", "updateTime"}

// lazyGroup is a group of nk.groupsGetId as a lazy object.
type lazyGroup struct {
	lazyObject
	g    groups.Group
	vals [len(groupKeys)]goja.Value
}

func (lg *lazyGroup) value(v *vm, i int) goja.Value {
	g := &lg.g
	switch groupKeys[i] {
	case "adminsOnlyCreateAttributes":
		return v.rt.ToValue(g.AdminsOnlyCreateAttributes)
	case "avatarUrl":
		return v.rt.ToValue(g.AvatarURL)
	case "category":
		return v.rt.ToValue(g.Category)
	case "createTime":
		return v.rt.ToValue(g.CreateTime.Unix())
	case "creatorId":
		return v.rt.ToValue(g.CreatorID)
	case "description":
		return v.rt.ToValue(g.Description)
	case "edgeCount":
		return v.rt.ToValue(int64(g.EdgeCount))
	case "hidden":
		return v.rt.ToValue(g.Hidden)
	case "id":
		return v.rt.ToValue(g.ID)
	case "joinPolicy":
		return v.rt.ToValue(string(g.JoinPolicy))
	case "langTag":
		return v.rt.ToValue(g.LangTag)
	case "maxCount":
		return v.rt.ToValue(int64(g.MaxCount))
	case "metadata":
		return v.metadataObject(g.Metadata)
	case "name":
		return v.rt.ToValue(g.Name)
	case "open":
		return v.rt.ToValue(g.Open)
	case "tag":
		return v.rt.ToValue(g.Tag)
	case "updateTime":
		return v.rt.ToValue(g.UpdateTime.Unix())
	}
	panic("lazyGroup: unknown field " + groupKeys[i])
}

// payloadObject is a before hook's request as a JavaScript object: the
// same object toJS makes of its map (camelCase keys in the order of their
// snake_case names), as a lazy object over the request when it has a codec
// plan (a field is made when the script reads it), else from its map. The
// request is only read, here and on the VM's goroutine: requests are values
// nobody changes once made.
func (v *vm) payloadObject(in *runtime.Payload) goja.Value {
	if in.Plan == nil {
		return v.toJS(in.Map(), false)
	}
	fields := in.Plan.ClientFields()
	lp := &lazyPayload{req: in.Req, plan: in.Plan, fields: fields}
	vals := lp.small[:0]
	if len(fields) > len(lp.small) {
		vals = make([]goja.Value, 0, len(fields))
	}
	lp.init(v, v.payloadKeys(in.Plan), vals[:len(fields)], lp)
	return lp.object()
}

// payloadKeys are the camelCase names of plan's client fields, in order
// (made once per plan and VM).
func (v *vm) payloadKeys(plan *codec.Plan) []string {
	if keys, ok := v.planKeys[plan]; ok {
		return keys
	}
	fields := plan.ClientFields()
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Camel
	}
	if v.planKeys == nil {
		v.planKeys = map[*codec.Plan][]string{}
	}
	v.planKeys[plan] = keys
	return keys
}

// lazyPayload is a before hook's request as a lazy object.
type lazyPayload struct {
	lazyObject
	req    any
	plan   *codec.Plan
	fields []*codec.Field
	small  [4]goja.Value // the values of a request of up to four fields
}

func (lp *lazyPayload) value(v *vm, i int) goja.Value {
	return v.toJS(lp.plan.Get(lp.req, lp.fields[i]), false)
}

// unmade is the Go value fixed property i would export as, read from the
// request without making a script value: ok is false when the script value
// is left to say it (a string that is not valid UTF-8, whatever goja makes
// of one; a list longer than an export may be).
func (lp *lazyPayload) unmade(i int) (x any, ok bool) {
	x = lp.plan.Get(lp.req, lp.fields[i])
	switch t := x.(type) {
	case string:
		return t, utf8.ValidString(t)
	case []string:
		if len(t) > maxExportNodes {
			return nil, false
		}
		// A script array exports as a new list, never nil.
		out := make([]string, len(t))
		for j, s := range t {
			if !utf8.ValidString(s) {
				return nil, false
			}
			out[j] = s
		}
		return out, true
	}
	return x, true
}

// fromPayloadObject reads a before hook's returned request through the
// plan when the answer is a plain (or lazy) object whose values are
// primitives (or, for a list field, an array of primitives): the common
// case, with no export to a map. A property of a lazy request the script
// never read is taken from the request it was made of, without making its
// script value. ok is false otherwise (no plan, another kind of value, an
// unknown key, a bad value): the caller then exports the value and decodes
// the map, which gives the same request, or the error the export or the
// decoding finds first.
func (v *vm) fromPayloadObject(in *runtime.Payload, ret goja.Value) (req any, ok bool) {
	obj, isObj := ret.(*goja.Object)
	if in.Plan == nil || !isObj || obj.ClassName() != "Object" {
		return nil, false
	}
	var lo *lazyObject
	var lp *lazyPayload
	var keys []string
	if t := obj.ExportType(); t == lazyType {
		// Its own methods, as goja would call them, without goja's key
		// iteration and string conversions.
		lo, _ = asLazy(obj)
		lp, _ = lo.src.(*lazyPayload)
		keys = lo.Keys()
	} else if t == mapType {
		keys = obj.Keys()
	} else {
		return nil, false
	}
	plan := in.Plan
	req = in.New()
	for _, k := range keys {
		f, known := plan.ClientField(k)
		if !known {
			return nil, false
		}
		var x any
		simple := false
		if lp != nil {
			if i := lp.fixed(k); i >= 0 && !lp.made(i) {
				x, simple = lp.unmade(i)
			}
		}
		if !simple {
			var val goja.Value
			if lo != nil {
				val = lo.Get(k)
			} else {
				val = obj.Get(k)
			}
			x, simple = v.primitiveOrList(val, f.Kind == codec.Strings)
		}
		if !simple || plan.SetValue(req, f, x) != nil {
			return nil, false
		}
	}
	return req, true
}

// primitiveOrList is val's Go value when it is a primitive, or (list set)
// an array of primitives; simple is false otherwise.
func (v *vm) primitiveOrList(val goja.Value, list bool) (x any, simple bool) {
	if val == nil || goja.IsUndefined(val) || goja.IsNull(val) {
		return nil, true
	}
	arr, isObj := val.(*goja.Object)
	if !isObj {
		return val.Export(), true
	}
	if !list || arr.ClassName() != "Array" {
		return nil, false
	}
	n := int(arr.Get("length").ToInteger())
	if n > maxExportNodes {
		return nil, false
	}
	out := make([]any, n)
	for i := range n {
		e := arr.Get(strconv.Itoa(i))
		if _, isObj := e.(*goja.Object); isObj {
			return nil, false
		}
		if e != nil && !goja.IsUndefined(e) && !goja.IsNull(e) {
			out[i] = e.Export()
		}
	}
	return out, true
}
