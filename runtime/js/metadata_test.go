package js

import (
	"reflect"
	"testing"

	"github.com/guildhall/guildhall/runtime"
)

// FuzzMetadataObject: metadata made straight from its JSON text is the
// value toJS made of runtime.ParseObject's map — keys, their order, values
// and their types — for any text, valid or not.
func FuzzMetadataObject(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[1]`, `"s"`, `1`, `{"a":1}`, ` { "b" : [ 1 , 2.5 , -0 , 1e3 , true , false , null ] , "a" : {} } `,
		`{"roles":{"u1":["bouncer"]},"Some_Key":{"z":1,"a":{}},"7":"x","10":"y","2":{"1":[]}}`,
		`{"a":1,"a":2,"b":{"x":1},"b":{"y":2}}`, `{"__proto__":{"polluted":true},"k":1}`,
		`{"e":"tab\there \"quoted\" \u00e9 \ud83d\ude00 \ud800"}`, "{\"bad\":\"\xff\xfe\",\"ok\":\"é\"}",
		`{"big":1e400}`, `{"small":1e-400}`, `{"n":-12.5e+2,"i":9007199254740993}`, `{"a":1}x`, `{"a":}`, `{"a":1,}`,
		`{"deep":[[[[[[{"x":[[]]}]]]]]]}`, "{\"ctl\":\"a\x01\"}", `{"":""}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := testVM()
		want := v.toJS(runtime.ParseObject(text), true)
		got := v.metadataObject(text)
		_ = v.rt.Set("want", want)
		_ = v.rt.Set("got", got)
		res, err := v.rt.RunString(sameJS + `
function typed(a) {
  if (a === null || typeof a !== 'object') return typeof a + ':' + (Object.is(a, -0) ? '-0' : String(a));
  var parts = [];
  var ks = Object.keys(a);
  for (var i = 0; i < ks.length; i++) parts.push(ks[i] + '=' + typed(a[ks[i]]));
  return (Array.isArray(a) ? '[' : '{') + parts.join(',') + (Object.getPrototypeOf(a) === Object.prototype ? '' : '^');
}
[same(want, got) && typed(want) === typed(got), typed(want), typed(got)]`)
		if err != nil {
			t.Fatal(err)
		}
		out := res.Export().([]any)
		if out[0] != true {
			t.Fatalf("%q:\n got  %s\n want %s", text, out[2], out[1])
		}
		wx, _ := v.export(want)
		gx, _ := v.export(got)
		if !reflect.DeepEqual(wx, gx) {
			t.Fatalf("%q: export\n got  %#v\n want %#v", text, gx, wx)
		}
	})
}
