package api_test

import (
	"strings"
	"testing"

	"github.com/guildhall/guildhall/hooks"
	"github.com/guildhall/guildhall/internal/testapp"
	"github.com/guildhall/guildhall/internal/testdb"
)

// TestRoutesComeFromTheTable: every row of the operation table is served at
// its route (and its server twin), and every group route is a row — apart
// from the server API's plain group read.
func TestRoutesComeFromTheTable(t *testing.T) {
	app := testapp.New(t, testdb.DialectSQLite, testdb.SQLite(t))
	served := map[string]bool{}
	for _, r := range app.Server.App().GetRoutes(true) {
		if r.Method != "HEAD" { // Fiber adds HEAD to every GET
			served[r.Method+" "+r.Path] = true
		}
	}
	rows := map[string]bool{"GET /v2/server/group/:group_id": true}
	for _, o := range hooks.Ops() {
		in := o.Info()
		rows[in.Method+" "+in.Path] = true
		if in.ServerPath != "" {
			rows[in.Method+" "+in.ServerPath] = true
		}
	}
	for r := range rows {
		if !served[r] {
			t.Errorf("operation route %s is not served", r)
		}
	}
	for r := range served {
		if strings.Contains(r, " /v2/") && strings.Contains(r, "/group") && !rows[r] {
			t.Errorf("group route %s is not a row of the operation table", r)
		}
	}
}
