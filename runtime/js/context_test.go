package js

import (
	"testing"
	"time"

	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/runtime"
)

// TestCtxObjectMatchesContextData: the ctx built directly is the same object
// (keys, their order, values and types) as runtime.ContextData converted,
// for every kind of caller and mode.
func TestCtxObjectMatchesContextData(t *testing.T) {
	cfgs := []runtime.Config{
		runtime.Config{}.WithDefaults(),
		runtime.Config{Node: "n1", Version: "1.2", Env: map[string]string{"b_key": "2", "A": "1", "zeta": ""}}.WithDefaults(),
	}
	callers := []*hooks.Caller{
		nil,
		{},
		{UserID: "u1", Username: "alice", SessionExp: 1700000000},
		{UserID: "u1", Username: "alice", Vars: map[string]string{"Team_Color": "red", "a": "b"}, SessionExp: 5,
			ClientIP: "10.0.0.1", ClientPort: "4242"},
		{HTTPKey: true, ClientIP: "::1",
			Headers: map[string][]string{"X-Forwarded_For": {"1", "2"}, "Accept": {}}, Query: map[string][]string{"q": {"x"}}},
		{UserID: "u2", Headers: map[string][]string{"H": {"v"}}},
	}
	modes := []string{runtime.ModeBefore, runtime.ModeAfter, runtime.ModeRPC}
	for _, cfg := range cfgs {
		v := testVM()
		v.r = &Runtime{cfg: cfg, envKeys: sortedKeys(cfg.Env)}
		for _, c := range callers {
			for _, mode := range modes {
				_ = v.rt.Set("want", v.toJS(runtime.ContextData(cfg, mode, c), false))
				_ = v.rt.Set("got", v.ctxObject(mode, c))
				res, err := v.rt.RunString(sameJS + `[same(want, got), JSON.stringify(want), JSON.stringify(got)]`)
				if err != nil {
					t.Fatal(err)
				}
				out := res.Export().([]any)
				if out[0] != true || out[1] != out[2] {
					t.Errorf("mode %s caller %+v:\n got  %s\n want %s", mode, c, out[2], out[1])
				}
			}
		}
	}
}

// sameJS defines same(a, b): keys in the same order, values equal with their
// types, recursively. The JSON text beside it makes a failure readable.
const sameJS = `
function same(a, b) {
  if (typeof a !== typeof b) return false;
  if (a === null || typeof a !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  var ka = Object.keys(a), kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return false;
  for (var i = 0; i < ka.length; i++) if (!same(a[ka[i]], b[ka[i]])) return false;
  return true;
}
`

// TestGroupsArrayMatchesGroupNK: nk.groupsGetId's groups built directly are
// the same value (keys, order, values, types) as runtime.GroupNK converted.
func TestGroupsArrayMatchesGroupNK(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	sets := [][]groups.Group{
		nil,
		{{}},
		{{ID: "g1", CreatorID: "c", Name: "N", Description: "d", LangTag: "en", AvatarURL: "a", Open: true,
			EdgeCount: 3, MaxCount: 100, CreateTime: t0, UpdateTime: t0.Add(time.Hour),
			Metadata: `{"roles":{"u1":["bouncer"],"a_b":[1,2.5,null,true]},"Some_Key":{"z":1,"a":{}}}`},
			{ID: "g2", Metadata: "not json"}, {ID: "g3", Metadata: "[1]"}},
	}
	v := testVM()
	for _, gs := range sets {
		want := make([]any, len(gs))
		for i, g := range gs {
			want[i] = runtime.GroupNK(g)
		}
		_ = v.rt.Set("want", v.toJS(want, false))
		_ = v.rt.Set("got", v.groupsArray(gs))
		res, err := v.rt.RunString(sameJS + `[same(want, got), JSON.stringify(want), JSON.stringify(got)]`)
		if err != nil {
			t.Fatal(err)
		}
		out := res.Export().([]any)
		if out[0] != true || out[1] != out[2] {
			t.Errorf("got  %s\nwant %s", out[2], out[1])
		}
	}
}
