// Package codec reads the `op` struct tags of operation requests: one field
// list per request type that the HTTP decoder (api), the hook payloads and the
// nk bindings (runtime) all walk, so a field is named once, on its struct.
//
// Tag form: `op:"name[,where][,option…]"`, name in snake_case (the wire's and
// Lua's key; JS and the gateway also take its lowerCamelCase form).
//
//	where:   body (default), path or query: where the HTTP API reads it
//	server   only the server side sets it (server API, nk); clients and hook
//	         payloads never see it
//	null     a zero value shows as null in hook payloads (Nakama's unset limit)
//	limit    an HTTP value must be within the listing limits
//	state    an HTTP value must be a membership state
//
// A field without the tag, or tagged "-", is not part of any form.
package codec

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Kind is a field's value shape, as every form sees it.
type Kind uint8

// The shapes request fields have.
const (
	String    Kind = iota + 1 // string
	OptString                 // *string: absent is nil
	Bool                      // bool
	OptBool                   // *bool
	Int                       // an int type (int32 range on every form)
	OptInt                    // pointer to an int type
	Strings                   // []string
)

// In is where the HTTP API reads a field.
type In uint8

// Places of a field in an HTTP request.
const (
	Body In = iota
	Path
	Query
)

// Field is one tagged field of a request struct.
type Field struct {
	Name   string // snake_case
	Camel  string // lowerCamelCase
	Kind   Kind
	In     In
	Server bool // set only by the server API and nk
	Null   bool // zero shows as null in payloads
	Limit  bool
	State  bool
	index  int
	typ    reflect.Type // the field's Go type
}

// Plan is the field list of one request type, in declaration order: the
// order every decoder reads them, so the first bad field is always the same.
type Plan struct {
	Fields []Field
	sorted []*Field // the client fields by name
	typ    reflect.Type
	body   [2]bool // has body fields: [client, server]
}

// ClientFields are the fields a client and a hook see, sorted by name (the
// key order of a payload object built from a map).
func (p *Plan) ClientFields() []*Field { return p.sorted }

// HasBody reports whether the client (or, with server, the server API) form
// reads anything from the request body.
func (p *Plan) HasBody(server bool) bool {
	if server {
		return p.body[1]
	}
	return p.body[0]
}

var plans sync.Map // reflect.Type → *Plan

// PlanOf returns the plan of the struct v points to (built once per type).
// A tag it cannot read panics: tags are code, and every request type is
// planned at start-up by the operation table.
func PlanOf(v any) *Plan {
	t := reflect.TypeOf(v)
	if p, ok := plans.Load(t); ok {
		return p.(*Plan)
	}
	p, err := build(t)
	if err != nil {
		panic(err)
	}
	plans.Store(t, p)
	return p
}

func build(t reflect.Type) (*Plan, error) {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("codec: %v is not a pointer to a struct", t)
	}
	st := t.Elem()
	p := &Plan{typ: t}
	for i := 0; i < st.NumField(); i++ {
		sf := st.Field(i)
		tag, ok := sf.Tag.Lookup("op")
		if !ok || tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		f := Field{Name: parts[0], Camel: Camel(parts[0]), index: i, typ: sf.Type}
		for _, o := range parts[1:] {
			switch o {
			case "body":
				f.In = Body
			case "path":
				f.In = Path
			case "query":
				f.In = Query
			case "server":
				f.Server = true
			case "null":
				f.Null = true
			case "limit":
				f.Limit = true
			case "state":
				f.State = true
			default:
				return nil, fmt.Errorf("codec: %v.%s: unknown option %q", st, sf.Name, o)
			}
		}
		var err error
		if f.Kind, err = kindOf(sf.Type); err != nil {
			return nil, fmt.Errorf("codec: %v.%s: %w", st, sf.Name, err)
		}
		if f.In == Body {
			p.body[1] = true
			if !f.Server {
				p.body[0] = true
			}
		}
		p.Fields = append(p.Fields, f)
	}
	for i := range p.Fields {
		if !p.Fields[i].Server {
			p.sorted = append(p.sorted, &p.Fields[i])
		}
	}
	slices.SortFunc(p.sorted, func(a, b *Field) int { return strings.Compare(a.Name, b.Name) })
	return p, nil
}

func kindOf(t reflect.Type) (Kind, error) {
	isInt := func(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Int64 }
	switch {
	case t.Kind() == reflect.String:
		return String, nil
	case t.Kind() == reflect.Bool:
		return Bool, nil
	case isInt(t.Kind()):
		return Int, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return Strings, nil
	case t.Kind() == reflect.Pointer:
		switch e := t.Elem().Kind(); {
		case e == reflect.String:
			return OptString, nil
		case e == reflect.Bool:
			return OptBool, nil
		case isInt(e):
			return OptInt, nil
		}
	}
	return 0, fmt.Errorf("unsupported type %v", t)
}

// Camel turns snake_case into lowerCamelCase ("group_id" → "groupId").
func Camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func (p *Plan) value(req any, f *Field) reflect.Value {
	return reflect.ValueOf(req).Elem().Field(f.index)
}

// Get reads field f of req as a script value: string, bool, int64, []string
// or nil (an unset optional, or a zero Null field).
func (p *Plan) Get(req any, f *Field) any {
	v := p.value(req, f)
	switch f.Kind {
	case String:
		return v.String()
	case Bool:
		return v.Bool()
	case Int:
		if f.Null && v.Int() == 0 {
			return nil
		}
		return v.Int()
	case Strings:
		return v.Interface()
	}
	if v.IsNil() {
		return nil
	}
	e := v.Elem()
	switch f.Kind {
	case OptString:
		return e.String()
	case OptBool:
		return e.Bool()
	default:
		return e.Int()
	}
}

// SetString, SetBool, SetInt and SetStrings store a decoded value into field
// f of req (an optional field gets a pointer to it). SetInt refuses a value
// outside int32, the range of every integer field of the API.
func (p *Plan) SetString(req any, f *Field, s string) {
	v := p.value(req, f)
	if f.Kind == OptString {
		v.Set(reflect.ValueOf(&s))
		return
	}
	v.SetString(s)
}

// SetBool: see SetString.
func (p *Plan) SetBool(req any, f *Field, b bool) {
	v := p.value(req, f)
	if f.Kind == OptBool {
		v.Set(reflect.ValueOf(&b))
		return
	}
	v.SetBool(b)
}

// SetInt: see SetString.
func (p *Plan) SetInt(req any, f *Field, n int64) bool {
	if n < math.MinInt32 || n > math.MaxInt32 {
		return false
	}
	v := p.value(req, f)
	if f.Kind == OptInt {
		ptr := reflect.New(f.typ.Elem())
		ptr.Elem().SetInt(n)
		v.Set(ptr)
		return true
	}
	v.SetInt(n)
	return true
}

// SetStrings: see SetString.
func (p *Plan) SetStrings(req any, f *Field, ss []string) {
	p.value(req, f).Set(reflect.ValueOf(ss))
}

// Field finds a field by its snake_case name.
func (p *Plan) Field(name string) (*Field, bool) {
	for i := range p.Fields {
		if p.Fields[i].Name == name {
			return &p.Fields[i], true
		}
	}
	return nil, false
}

// Snake turns lowerCamelCase into snake_case ("groupId" → "group_id");
// snake_case passes unchanged.
func Snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Payload is req as a hook sees it: every client field by its snake_case
// name (Get's values). Server-only fields are left out.
func (p *Plan) Payload(req any) map[string]any {
	m := make(map[string]any, len(p.Fields))
	for i := range p.Fields {
		f := &p.Fields[i]
		if !f.Server {
			m[f.Name] = p.Get(req, f)
		}
	}
	return m
}

// ErrPayload is what FromPayload returns for a key the request does not
// have or a value of the wrong type; callers answer with their own error.
var ErrPayload = errors.New("codec: malformed payload")

// FromPayload stores a hook's returned request object (keys in either
// style; null is absent and leaves the field as it is) into req, which
// starts empty. Numbers are int, int64 or float64 (integral, int32 range);
// lists are []any or []string of strings.
func (p *Plan) FromPayload(m map[string]any, req any) error {
	for k, x := range m {
		f, ok := p.ClientField(k)
		if !ok {
			return ErrPayload
		}
		if err := p.SetValue(req, f, x); err != nil {
			return err
		}
	}
	return nil
}

// SetValue stores one script value into field f of req, as FromPayload does:
// nil leaves the field as it is; a value of the wrong type is ErrPayload.
func (p *Plan) SetValue(req any, f *Field, x any) error {
	if x == nil {
		return nil
	}
	switch f.Kind {
	case String, OptString:
		s, ok := x.(string)
		if !ok {
			return ErrPayload
		}
		p.SetString(req, f, s)
	case Bool, OptBool:
		b, ok := x.(bool)
		if !ok {
			return ErrPayload
		}
		p.SetBool(req, f, b)
	case Int, OptInt:
		n, ok := Integer(x)
		if !ok || !p.SetInt(req, f, n) {
			return ErrPayload
		}
	case Strings:
		ss, ok := stringList(x)
		if !ok {
			return ErrPayload
		}
		p.SetStrings(req, f, ss)
	}
	return nil
}

// ClientField finds a client field by a payload key in either style.
func (p *Plan) ClientField(key string) (*Field, bool) {
	for i := range p.Fields {
		if f := &p.Fields[i]; !f.Server && (f.Name == key || f.Camel == key) {
			return f, true
		}
	}
	if snake := Snake(key); snake != key {
		for i := range p.Fields {
			if f := &p.Fields[i]; !f.Server && f.Name == snake {
				return f, true
			}
		}
	}
	return nil, false
}

// Integer reads a script number (int64 from goja, float64 from Lua or
// JSON) that is integral and fits int64.
func Integer(x any) (int64, bool) {
	switch n := x.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= -math.MinInt64 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

func stringList(x any) ([]string, bool) {
	switch l := x.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
