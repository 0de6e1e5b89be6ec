package lua

import (
	"encoding/json"
	"fmt"
	"math"

	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/groups"
)

// Conversions between script data (runtime's plain Go values: map[string]any
// with snake_case keys, []any, string, bool, int64, float64, nil) and Lua.
//
// Go → Lua: maps become tables whose nil entries are left out (Lua cannot
// hold nil in a table, and Nakama's Lua payloads omit unset fields), slices
// become 1-indexed arrays, numbers become numbers.
//
// Lua → Go: a table whose keys are exactly 1..n becomes []any, any other
// table a map[string]any (number and boolean keys are written as text). An
// empty table is ambiguous; it becomes an empty map, except under the keys of
// listKeys, where it becomes an empty list. Integral numbers become int64,
// the others float64. Functions, userdata and threads cannot be converted.

// maxDepth bounds nesting, so a table that contains itself fails cleanly.
const maxDepth = 64

// listKeys are the payload fields that hold lists: an empty Lua table under
// one of these keys is an empty list, not an empty object.
var listKeys = map[string]bool{"user_ids": true, "groups": true, "group_users": true, "user_groups": true}

// toLua converts script data into a Lua value.
func toLua(L *glua.LState, v any) glua.LValue {
	switch t := v.(type) {
	case nil:
		return glua.LNil
	case string:
		return glua.LString(t)
	case bool:
		return glua.LBool(t)
	case int64:
		return glua.LNumber(t)
	case float64:
		return glua.LNumber(t)
	case int:
		return glua.LNumber(t)
	case int32:
		return glua.LNumber(t)
	case float32:
		return glua.LNumber(t)
	case map[string]any:
		tb := L.CreateTable(0, len(t))
		for k, e := range t {
			if e != nil {
				tb.RawSetString(k, toLua(L, e))
			}
		}
		return tb
	case []any:
		tb := L.CreateTable(len(t), 0)
		for i, e := range t {
			tb.RawSetInt(i+1, toLua(L, e))
		}
		return tb
	case map[string]string:
		tb := L.CreateTable(0, len(t))
		for k, e := range t {
			tb.RawSetString(k, glua.LString(e))
		}
		return tb
	case []string:
		tb := L.CreateTable(len(t), 0)
		for i, e := range t {
			tb.RawSetInt(i+1, glua.LString(e))
		}
		return tb
	case map[string][]string:
		tb := L.CreateTable(0, len(t))
		for k, e := range t {
			tb.RawSetString(k, toLua(L, e))
		}
		return tb
	case glua.LValue:
		return t
	}
	return glua.LString(fmt.Sprint(v))
}

// toGo converts a Lua value into script data. key is the field the value sits
// under ("" at the top), which decides what an empty table is.
func toGo(v glua.LValue, key string) (any, error) {
	return toGoDepth(v, key, 0)
}

func toGoDepth(v glua.LValue, key string, depth int) (any, error) {
	switch t := v.(type) {
	case *glua.LNilType:
		return nil, nil
	case glua.LBool:
		return bool(t), nil
	case glua.LString:
		return string(t), nil
	case glua.LNumber:
		return number(t), nil
	case *glua.LTable:
		if depth >= maxDepth {
			return nil, fmt.Errorf("table nested more than %d levels deep (does it contain itself?)", maxDepth)
		}
		return tableToGo(t, key, depth+1)
	}
	return nil, fmt.Errorf("cannot convert a Lua %s to data", v.Type().String())
}

// number gives integral numbers as int64 (exact up to 2^53), others as float64.
func number(n glua.LNumber) any {
	f := float64(n)
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return int64(f)
	}
	return f
}

func tableToGo(t *glua.LTable, key string, depth int) (any, error) {
	// One pass to classify: an array has only the integer keys 1..n.
	n, isArray := 0, true
	t.ForEach(func(k, _ glua.LValue) {
		n++
		if !isArray {
			return
		}
		num, ok := k.(glua.LNumber)
		if !ok || float64(num) != math.Trunc(float64(num)) || num < 1 {
			isArray = false
		}
	})
	if n == 0 {
		if listKeys[key] {
			return []any{}, nil
		}
		return map[string]any{}, nil
	}
	var err error
	if isArray {
		list := make([]any, n)
		t.ForEach(func(k, e glua.LValue) {
			i := int(k.(glua.LNumber)) - 1
			if err != nil {
				return
			}
			if i >= n { // a sparse table: 1..n do not all exist
				err = errSparse
				return
			}
			list[i], err = toGoDepth(e, "", depth)
		})
		if err == errSparse {
			return sparseToMap(t, depth)
		}
		return list, err
	}
	m := make(map[string]any, n)
	t.ForEach(func(k, e glua.LValue) {
		if err != nil {
			return
		}
		ks := keyString(k)
		m[ks], err = toGoDepth(e, ks, depth)
	})
	return m, err
}

var errSparse = fmt.Errorf("sparse array")

// sparseToMap converts a table with integer keys that are not 1..n into an
// object keyed by the numbers' text.
func sparseToMap(t *glua.LTable, depth int) (any, error) {
	m := map[string]any{}
	var err error
	t.ForEach(func(k, e glua.LValue) {
		if err != nil {
			return
		}
		ks := keyString(k)
		m[ks], err = toGoDepth(e, ks, depth)
	})
	return m, err
}

func keyString(k glua.LValue) string {
	if n, ok := k.(glua.LNumber); ok {
		return fmt.Sprint(number(n))
	}
	return k.String()
}

// tableToMap converts a table that must be an object (a payload).
func tableToMap(t *glua.LTable) (map[string]any, error) {
	v, err := toGo(t, "")
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a table with named fields, got a list")
	}
	return m, nil
}

// groupTable is a group as nk functions return it — runtime.GroupNK's
// fields (metadata a table, times unix seconds) built straight into a Lua
// table, for the hot nk.groups_get_id; a test keeps the two equal. meta caches
// parsed metadata.
func groupTable(L *glua.LState, g groups.Group, meta *metaCache) *glua.LTable {
	tb := L.CreateTable(0, 12)
	tb.RawSetString("id", glua.LString(g.ID))
	tb.RawSetString("creator_id", glua.LString(g.CreatorID))
	tb.RawSetString("name", glua.LString(g.Name))
	tb.RawSetString("description", glua.LString(g.Description))
	tb.RawSetString("lang_tag", glua.LString(g.LangTag))
	tb.RawSetString("metadata", toLua(L, meta.parse(g.Metadata)))
	tb.RawSetString("avatar_url", glua.LString(g.AvatarURL))
	tb.RawSetString("open", glua.LBool(g.Open))
	tb.RawSetString("edge_count", glua.LNumber(g.EdgeCount))
	tb.RawSetString("max_count", glua.LNumber(g.MaxCount))
	tb.RawSetString("create_time", glua.LNumber(g.CreateTime.Unix()))
	tb.RawSetString("update_time", glua.LNumber(g.UpdateTime.Unix()))
	return tb
}

// metaCache remembers parsed metadata by its text (one per VM, so no
// locking). Hooks like the bouncer read the same group's metadata on every
// call; the parsed values are only ever read (toLua copies them into fresh
// tables), so sharing them is safe. Small texts only, and the cache empties
// when full.
type metaCache struct {
	m map[string]map[string]any
}

const (
	metaCacheEntries = 256
	metaCacheMaxText = 4 << 10
)

// parse is runtime.ParseObject through the cache.
func (c *metaCache) parse(text string) map[string]any {
	if c == nil || len(text) > metaCacheMaxText {
		return parseObject(text)
	}
	if m, ok := c.m[text]; ok {
		return m
	}
	if c.m == nil || len(c.m) >= metaCacheEntries {
		c.m = make(map[string]map[string]any, metaCacheEntries)
	}
	m := parseObject(text)
	c.m[text] = m
	return m
}

// parseObject decodes a JSON object; anything else is an empty object.
func parseObject(text string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(text), &m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}
