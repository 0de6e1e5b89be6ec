package js

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/dop251/goja"
)

// metadataObject is v.toJS(runtime.ParseObject(text), true) — a group's or
// user's metadata as nk returns it — made straight from the JSON text,
// without the map[string]any in between: the same plain objects (keys
// sorted, a repeated key's last value), arrays, strings, numbers (float64
// made a goja number as toJS makes it), booleans and nulls, and {} for
// text that is not a JSON object or that encoding/json refuses (invalid,
// nested too deeply, a number out of float64 range).
// FuzzMetadataObject holds the two forms together.
func (v *vm) metadataObject(text string) goja.Value {
	// json.Valid only reads the bytes: no copy of the text is needed.
	if !json.Valid(unsafe.Slice(unsafe.StringData(text), len(text))) {
		return v.rt.NewObject()
	}
	p := metaParser{v: v, s: text}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return v.rt.NewObject() // null, or not an object
	}
	obj := p.value()
	if p.failed {
		return v.rt.NewObject()
	}
	return obj
}

// metaParser reads JSON text json.Valid accepted.
type metaParser struct {
	v      *vm
	s      string
	i      int
	failed bool // a number encoding/json would refuse
	kvs    []metaKV
}

type metaKV struct {
	k string
	v goja.Value
}

func (p *metaParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *metaParser) value() goja.Value {
	p.space()
	rt := p.v.rt
	switch c := p.s[p.i]; c {
	case '{':
		return p.object()
	case '[':
		p.i++
		var items []any
		p.space()
		if p.s[p.i] == ']' {
			p.i++
			return rt.NewArray()
		}
		for {
			items = append(items, p.value())
			p.space()
			c := p.s[p.i]
			p.i++
			if c == ']' {
				return rt.NewArray(items...)
			}
		}
	case '"':
		return rt.ToValue(p.str())
	case 't':
		p.i += len("true")
		return rt.ToValue(true)
	case 'f':
		p.i += len("false")
		return rt.ToValue(false)
	case 'n':
		p.i += len("null")
		return goja.Null()
	default:
		start := p.i
		for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			p.failed = true
		}
		return rt.ToValue(f)
	}
}

// object reads an object; its keys are set in sorted order, a repeated
// key once with its last value, as toJS sets a decoded map's.
func (p *metaParser) object() goja.Value {
	p.i++ // {
	mark := len(p.kvs)
	p.space()
	if p.s[p.i] == '}' {
		p.i++
	} else {
		for {
			p.space()
			k := p.str()
			p.space()
			p.i++ // :
			val := p.value()
			p.kvs = append(p.kvs, metaKV{k, val})
			p.space()
			c := p.s[p.i]
			p.i++
			if c == '}' {
				break
			}
		}
	}
	kvs := p.kvs[mark:]
	slices.SortStableFunc(kvs, func(a, b metaKV) int { return strings.Compare(a.k, b.k) })
	obj := p.v.rt.NewObject()
	for j, kv := range kvs {
		if j+1 < len(kvs) && kvs[j+1].k == kv.k {
			continue // a later value of the same key wins
		}
		_ = obj.Set(kv.k, kv.v)
	}
	clear(kvs)
	p.kvs = p.kvs[:mark]
	return obj
}

// str reads a string: the text itself when it has no escape and is valid
// UTF-8, else encoding/json's reading of it (escapes, U+FFFD for bad bytes).
func (p *metaParser) str() string {
	start := p.i
	p.i++ // "
	plain := true
	for {
		c := p.s[p.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			p.i++
		} else if c >= utf8.RuneSelf {
			plain = false
		}
		p.i++
	}
	p.i++
	raw := p.s[start:p.i]
	if plain || (!strings.Contains(raw, `\`) && utf8.ValidString(raw)) {
		return raw[1 : len(raw)-1]
	}
	var s string
	_ = json.Unmarshal([]byte(raw), &s)
	return s
}
