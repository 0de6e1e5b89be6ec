package js

import (
	"slices"
	"strconv"

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
// v.toJS of []any{runtime.GroupNK(g), …}, built directly — the fixed fields
// need no intermediate map, key sort or name conversion. Metadata is still
// parsed and converted for every call (the group is read fresh each time).
// TestGroupsArrayMatchesGroupNK holds the two forms together.
func (v *vm) groupsArray(gs []groups.Group) goja.Value {
	items := make([]any, len(gs))
	for i, g := range gs {
		obj := v.rt.NewObject()
		// In the sorted order of the snake_case names, as toJS sets them.
		_ = obj.Set("adminsOnlyCreateAttributes", g.AdminsOnlyCreateAttributes)
		_ = obj.Set("avatarUrl", g.AvatarURL)
		_ = obj.Set("category", g.Category)
		_ = obj.Set("createTime", g.CreateTime.Unix())
		_ = obj.Set("creatorId", g.CreatorID)
		_ = obj.Set("description", g.Description)
		_ = obj.Set("edgeCount", int64(g.EdgeCount))
		_ = obj.Set("hidden", g.Hidden)
		_ = obj.Set("id", g.ID)
		_ = obj.Set("joinPolicy", string(g.JoinPolicy))
		_ = obj.Set("langTag", g.LangTag)
		_ = obj.Set("maxCount", int64(g.MaxCount))
		_ = obj.Set("metadata", v.toJS(runtime.ParseObject(g.Metadata), true))
		_ = obj.Set("name", g.Name)
		_ = obj.Set("open", g.Open)
		_ = obj.Set("tag", g.Tag)
		_ = obj.Set("updateTime", g.UpdateTime.Unix())
		items[i] = obj
	}
	return v.rt.NewArray(items...)
}

// payloadObject is a before hook's request as a JavaScript object: built
// from the request's codec plan when it has one (the same object toJS makes
// of its map — camelCase keys in the order of their snake_case names — with
// no map in between), else from its map.
func (v *vm) payloadObject(in *runtime.Payload) goja.Value {
	if in.Plan == nil {
		return v.toJS(in.Map(), false)
	}
	obj := v.rt.NewObject()
	for _, f := range in.Plan.ClientFields() {
		_ = obj.Set(f.Camel, v.toJS(in.Plan.Get(in.Req, f), false))
	}
	return obj
}

// fromPayloadObject reads a before hook's returned request through the
// plan when the answer is a plain object whose values are primitives (or,
// for a list field, an array of primitives): the common case, with no
// export to a map. ok is false otherwise (no plan, another kind of value, an
// unknown key, a bad value): the caller then exports the value and decodes
// the map, which gives the same request, or the error the export or the
// decoding finds first.
func (v *vm) fromPayloadObject(in *runtime.Payload, ret goja.Value) (req any, ok bool) {
	obj, isObj := ret.(*goja.Object)
	if in.Plan == nil || !isObj || obj.ClassName() != "Object" || obj.ExportType() != mapType {
		return nil, false
	}
	plan := in.Plan
	req = in.New()
	for _, k := range obj.Keys() {
		f, known := plan.ClientField(k)
		if !known {
			return nil, false
		}
		x, simple := v.primitiveOrList(obj.Get(k), f.Kind == codec.Strings)
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
