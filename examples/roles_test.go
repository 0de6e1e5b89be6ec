package examples_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/internal/testdb"
	"github.com/guildhall/guildhall/runtime"
)

// defaultRolesFlow drives default_roles.(js|lua) through HTTP: a new group
// has the officer role (rank 150, kick + invite); the officer it is assigned
// to kicks a member but skips an admin; a plain member still may not kick.
func defaultRolesFlow(t *testing.T, e *scriptEnv) {
	owner, officer, member, admin, plain := e.user("owner"), e.user("officer"), e.user("member"), e.user("admin"), e.user("plain")
	gid := e.group(owner, "roles-"+uuid.NewString()[:8])
	r := e.must("GET", "/v2/group/"+gid+"/role", owner.token, "")
	roles, _ := r.body["roles"].([]any)
	if len(roles) != 1 {
		t.Fatalf("roles of a new group: %s", r.raw)
	}
	role := roles[0].(map[string]any)
	if role["name"] != "officer" || role["rank"] != float64(150) || fmt.Sprint(role["permissions"]) != "[invite kick]" {
		t.Fatalf("the default role: %s", r.raw)
	}
	for _, u := range []tuser{officer, member, admin, plain} {
		e.must("POST", "/v2/group/"+gid+"/join", u.token, "")
	}
	e.must("POST", "/v2/group/"+gid+"/promote?user_ids="+admin.id, owner.token, "")
	e.do("POST", "/v2/group/"+gid+"/kick?user_ids="+member.id, plain.token, "").
		wantError(t, 404, errs.CodeNotFound, "Group not found or permission denied.")
	e.must("POST", "/v2/group/"+gid+"/role/"+role["id"].(string)+"/assign?user_ids="+officer.id, owner.token, "")
	e.must("POST", "/v2/group/"+gid+"/kick?user_ids="+member.id+"&user_ids="+admin.id, officer.token, "")
	got := e.members(gid, owner)
	if _, in := got[member.id]; in || got[admin.id] != 1 || got[officer.id] != 2 || len(got) != 4 {
		t.Fatalf("after the officer's kick: %v", got)
	}
}

func TestJSDefaultRoles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		e := jsStart(t, dialect, dbURL, runtime.Config{Path: jsModule(t, "default_roles.js")}, nil)
		defaultRolesFlow(t, e.scriptEnv)
	})
}

func TestLuaDefaultRoles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dialect, dbURL string) {
		e := luaStart(t, dialect, dbURL, runtime.Config{Path: luaModules(t, []string{"default_roles.lua"}, nil)})
		defaultRolesFlow(t, e.scriptEnv)
	})
}
