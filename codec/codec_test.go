package codec_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/guildhall/guildhall/codec"
)

type state int16

type sample struct {
	ID     string   `op:"group_id,path"`
	Name   *string  `op:"name"`
	Meta   *string  `op:"metadata,server"`
	Limit  int      `op:"limit,query,null,limit"`
	State  *state   `op:"state,query,state"`
	Open   *bool    `op:"open"`
	Users  []string `op:"user_ids,query"`
	Hidden bool
}

func TestPlanReadsTagsInOrder(t *testing.T) {
	p := codec.PlanOf(&sample{})
	var names []string
	for _, f := range p.Fields {
		names = append(names, f.Name)
	}
	want := []string{"group_id", "name", "metadata", "limit", "state", "open", "user_ids"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	f, _ := p.Field("user_ids")
	if f.Camel != "userIds" || f.Kind != codec.Strings || f.In != codec.Query {
		t.Fatalf("user_ids read as %+v", *f)
	}
	if !p.HasBody(false) || !p.HasBody(true) {
		t.Fatal("name is a body field")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	p := codec.PlanOf(&sample{})
	name, open, st, meta := "n", true, state(2), "{}"
	in := &sample{ID: "g", Name: &name, Meta: &meta, State: &st, Open: &open, Users: []string{"a"}}
	m := p.Payload(in)
	want := map[string]any{"group_id": "g", "name": "n", "limit": nil, "state": int64(2), "open": true,
		"user_ids": []string{"a"}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("payload %#v, want %#v (server fields and untagged ones left out, zero limit null)", m, want)
	}
	// Back from a script: camelCase keys, float64 numbers, []any lists.
	out := &sample{}
	if err := p.FromPayload(map[string]any{"groupId": "g", "name": "n", "limit": float64(0), "state": float64(2),
		"open": true, "userIds": []any{"a"}}, out); err != nil {
		t.Fatal(err)
	}
	in.Meta = nil // never taken from a payload
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("decoded %#v, want %#v", out, in)
	}
}

func TestFromPayloadRefuses(t *testing.T) {
	p := codec.PlanOf(&sample{})
	for name, m := range map[string]map[string]any{
		"unknown key":        {"nope": "x"},
		"server-only key":    {"metadata": "{}"},
		"untagged field":     {"hidden": true},
		"string as number":   {"name": 1.0},
		"fraction":           {"limit": 1.5},
		"over int32":         {"limit": float64(math.MaxInt32) + 1},
		"list of non-string": {"user_ids": []any{1.0}},
		"bool as string":     {"open": "true"},
	} {
		if err := p.FromPayload(m, &sample{}); !errors.Is(err, codec.ErrPayload) {
			t.Errorf("%s: got %v, want ErrPayload", name, err)
		}
	}
	if err := p.FromPayload(map[string]any{"name": nil}, &sample{}); err != nil {
		t.Errorf("null is absent: %v", err)
	}
}

func TestBadTagsPanic(t *testing.T) {
	type badOption struct {
		X string `op:"x,sideways"`
	}
	type badType struct {
		X float64 `op:"x"`
	}
	for name, v := range map[string]any{"option": &badOption{}, "type": &badType{}, "not a pointer": sample{}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: PlanOf accepted it", name)
				}
			}()
			codec.PlanOf(v)
		}()
	}
}

func TestCase(t *testing.T) {
	if codec.Camel("lang_tag") != "langTag" || codec.Snake("langTag") != "lang_tag" || codec.Snake("group_id") != "group_id" {
		t.Fatal("key styles")
	}
}
