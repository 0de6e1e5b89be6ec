package js_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestEveryOperationPayloadJS loops over the operation table: a JS before
// hook that returns its request unchanged hands the service exactly the
// request the client sent (every field crosses the codec both ways, under
// its camelCase name), and one that changes every string field is obeyed.
func TestEveryOperationPayloadJS(t *testing.T) {
	for _, o := range hooks.Ops() {
		if o.Plan() == nil {
			continue // authentication rows have their own codec (tested in js_test.go)
		}
		name := o.Info().Name
		t.Run(name, func(t *testing.T) {
			app := testapp.New(t, testdb.DialectSQLite, testdb.SQLite(t))
			loadApp(t, app, fmt.Sprintf(`
function same(ctx, logger, nk, data) { return data; }
function InitModule(ctx, logger, nk, initializer) { initializer.registerBefore%s(same); }`, name))
			sample := testapp.SampleRequest(o)
			got, err := testapp.RequestAfterHooks(t, app.Hooks, o, sample)
			if err != nil {
				t.Fatal(err)
			}
			testapp.SameRequest(t, name, got, sample)

			app = testapp.New(t, testdb.DialectSQLite, testdb.SQLite(t))
			loadApp(t, app, fmt.Sprintf(`
function change(ctx, logger, nk, data) {
  for (var k in data) { if (typeof data[k] === 'string') { data[k] = k + '!'; } }
  return data;
}
function InitModule(ctx, logger, nk, initializer) { initializer.registerBefore%s(change); }`, name))
			got, err = testapp.RequestAfterHooks(t, app.Hooks, o, testapp.SampleRequest(o))
			if err != nil {
				t.Fatal(err)
			}
			want := testapp.ChangedStrings(o, testapp.SampleRequest(o), func(f string) string { return f + "!" }, true)
			testapp.SameRequest(t, name, got, want)
		})
	}
}

// TestPayloadKeyOrderJS: a payload object built from the plan has its keys
// in the order of their snake_case names, as the map-built object had.
func TestPayloadKeyOrderJS(t *testing.T) {
	for name, want := range map[string]string{
		"ListGroups":     "cursor,langTag,limit,members,name,open",
		"CreateGroup":    "avatarUrl,category,description,hidden,joinPolicy,langTag,maxCount,name,open,tag",
		"UpdateGroup":    "avatarUrl,description,groupId,hidden,joinPolicy,langTag,name,open,tag",
		"KickGroupUsers": "groupId,userIds",
	} {
		o, _ := hooks.OpByName(name)
		app := testapp.New(t, testdb.DialectSQLite, testdb.SQLite(t))
		loadApp(t, app, fmt.Sprintf(`
function keys(ctx, logger, nk, data) { throw new Error(Object.keys(data).join(',')); }
function InitModule(ctx, logger, nk, initializer) { initializer.registerBefore%s(keys); }`, name))
		_, err := testapp.RequestAfterHooks(t, app.Hooks, o, testapp.SampleRequest(o))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: keys %v, want %s", name, err, want)
		}
	}
}
