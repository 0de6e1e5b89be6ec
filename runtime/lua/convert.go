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

// Limits of one Lua → Go conversion (a payload, nk arguments, json_encode):
// nesting depth, a table found inside itself (a cycle), and the total number
// of values and bytes of text, since a table may hold the same subtable many
// times (t = {t, t} repeated) and so stand for an exponentially large value.
const (
	maxDepth       = 64
	maxExportNodes = 1 << 20
	maxExportBytes = 64 << 20
)

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
	switch t := v.(type) {
	case *glua.LTable:
		var ex exporter
		ex.path = ex.stack[:0]
		return ex.toGo(t, key, 0)
	}
	return scalarToGo(v)
}

func scalarToGo(v glua.LValue) (any, error) {
	switch t := v.(type) {
	case *glua.LNilType:
		return nil, nil
	case glua.LBool:
		return bool(t), nil
	case glua.LString:
		return string(t), nil
	case glua.LNumber:
		return number(t), nil
	}
	return nil, fmt.Errorf("cannot convert a Lua %s to data", v.Type().String())
}

// exporter is the state of one conversion: the tables on the path from the
// top (for cycles) and the values and bytes converted so far.
type exporter struct {
	path         []*glua.LTable
	stack        [8]*glua.LTable // path's first backing array
	nodes, bytes int
}

func (ex *exporter) toGo(v glua.LValue, key string, depth int) (any, error) {
	ex.nodes++
	if ex.nodes > maxExportNodes {
		return nil, fmt.Errorf("value too large to convert (more than %d values)", maxExportNodes)
	}
	switch t := v.(type) {
	case glua.LString:
		ex.bytes += len(t)
		if ex.bytes > maxExportBytes {
			return nil, fmt.Errorf("value too large to convert (more than %d bytes of text)", maxExportBytes)
		}
		return string(t), nil
	case *glua.LTable:
		for _, p := range ex.path {
			if p == t {
				return nil, fmt.Errorf("table contains itself (a cycle) under %q", key)
			}
		}
		if depth >= maxDepth {
			return nil, fmt.Errorf("table nested more than %d levels deep", maxDepth)
		}
		ex.path = append(ex.path, t)
		out, err := ex.table(t, key, depth+1)
		ex.path = ex.path[:len(ex.path)-1]
		return out, err
	}
	return scalarToGo(v)
}

// number gives integral numbers as int64 (exact up to 2^53), others as float64.
func number(n glua.LNumber) any {
	f := float64(n)
	if f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return int64(f)
	}
	return f
}

func (ex *exporter) table(t *glua.LTable, key string, depth int) (any, error) {
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
			list[i], err = ex.toGo(e, "", depth)
		})
		if err == errSparse {
			return ex.object(t, depth, n)
		}
		return list, err
	}
	return ex.object(t, depth, n)
}

var errSparse = fmt.Errorf("sparse array")

// object converts a table into an object; number keys (a sparse array) are
// written as text.
func (ex *exporter) object(t *glua.LTable, depth, n int) (any, error) {
	m := make(map[string]any, n)
	var err error
	t.ForEach(func(k, e glua.LValue) {
		if err != nil {
			return
		}
		ks := keyString(k)
		ex.bytes += len(ks)
		m[ks], err = ex.toGo(e, ks, depth)
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
	tb := L.CreateTable(0, 17)
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
	tb.RawSetString("join_policy", glua.LString(g.JoinPolicy))
	tb.RawSetString("tag", glua.LString(g.Tag))
	tb.RawSetString("hidden", glua.LBool(g.Hidden))
	tb.RawSetString("category", glua.LString(g.Category))
	tb.RawSetString("admins_only_create_attributes", glua.LBool(g.AdminsOnlyCreateAttributes))
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

// jsonTooDeep reports whether JSON text nests arrays and objects more than
// limit levels deep (checked before decoding, so a hostile payload costs one
// scan, and the decoded value can be converted without deep recursion).
func jsonTooDeep(text string, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > limit {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}
