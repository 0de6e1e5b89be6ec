package js

import (
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/runtime"
)

func testVM() *vm {
	return &vm{rt: goja.New(), camelKeys: map[string]string{}}
}

func TestToJS(t *testing.T) {
	v := testVM()
	data := map[string]any{
		"group_id": "g", "user_ids": []any{"a", "b"}, "max_count": int64(3), "open": nil,
		"metadata": map[string]any{"some_key": map[string]any{"inner_key": []any{"x"}}},
		"vars":     map[string]any{"Team_Color": "red"},
		"group_users": []any{map[string]any{"user": map[string]any{"user_id": "u", "display_name": "D",
			"metadata": map[string]any{"a_b": 1.5}}, "state": int64(2)}},
		"headers": map[string]any{"X-Forwarded_For": []any{"1"}},
	}
	_ = v.rt.Set("data", v.toJS(data, false))
	got, err := v.rt.RunString(`JSON.stringify(data)`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"groupId":"g","groupUsers":[{"state":2,"user":{"displayName":"D","metadata":{"a_b":1.5},"userId":"u"}}],` +
		`"headers":{"X-Forwarded_For":["1"]},"maxCount":3,"metadata":{"some_key":{"inner_key":["x"]}},"open":null,` +
		`"userIds":["a","b"],"vars":{"Team_Color":"red"}}`
	if got.String() != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Objects are plain JavaScript objects: arrays grow, nested writes stick.
	got, err = v.rt.RunString(`data.userIds.push('c'); data.metadata.some_key.inner_key.push('y'); ` +
		`Array.isArray(data.userIds) && data.userIds.length === 3 && data.metadata.some_key.inner_key[1] === 'y'`)
	if err != nil || !got.ToBoolean() {
		t.Fatalf("mutation: %v %v", got, err)
	}
	exported := v.rt.Get("data").Export().(map[string]any)
	if ids := exported["userIds"].([]any); len(ids) != 3 {
		t.Fatalf("exported %v", exported)
	}
}

func BenchmarkToJSGroup(b *testing.B) {
	v := testVM()
	now := time.Now()
	g := groups.Group{ID: "4f9c6a1e-7e36-4a0e-9b0e-3d1f2f6a8b10", CreatorID: "0b8f1c7a-2d3e-4f5a-8b9c-0d1e2f3a4b5c",
		Name: "club", Description: "a club", LangTag: "en", Open: true, EdgeCount: 10, MaxCount: 100,
		Metadata: `{"roles":{"0b8f1c7a-2d3e-4f5a-8b9c-0d1e2f3a4b5c":["bouncer"]}}`, CreateTime: now, UpdateTime: now}
	b.ReportAllocs()
	for range b.N {
		v.toJS([]any{runtime.GroupNK(g)}, false)
	}
}
