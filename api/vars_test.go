package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestSessionVarsCaps: authenticate and refresh refuse vars over the limits
// with 400 code 3 naming the limit, and store nothing.
func TestSessionVarsCaps(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		varsBody := func(prefix string, vars map[string]string) string {
			b, _ := json.Marshal(vars)
			return prefix + `"vars":` + string(b) + `}`
		}
		tooMany := map[string]string{}
		for i := range 33 {
			tooMany[fmt.Sprintf("k%02d", i)] = "v"
		}
		fiveKiB := map[string]string{}
		for i := range 5 {
			fiveKiB[fmt.Sprintf("k%d", i)] = strings.Repeat("v", 1024)
		}
		const device = "/v2/account/authenticate/device"
		const refresh = "/v2/account/session/refresh"
		e.run([]scenario{
			{name: "authenticate/33 vars", method: "POST", path: device, auth: serverKey,
				body: varsBody(`{"id":"device-vars-many",`, tooMany), status: 400,
				want: fail(3, "Session vars invalid, at most 32 vars are allowed."), fired: refused("AuthenticateDevice")},
			{name: "authenticate/long key", method: "POST", path: device, auth: serverKey,
				body: varsBody(`{"id":"device-vars-key",`, map[string]string{strings.Repeat("k", 129): "v"}), status: 400,
				want: fail(3, "Session vars invalid, a key must be at most 128 bytes."), fired: refused("AuthenticateDevice")},
			{name: "authenticate/long value", method: "POST", path: "/v2/account/authenticate/custom", auth: serverKey,
				body: varsBody(`{"id":"custom-vars-value",`, map[string]string{"k": strings.Repeat("v", 1025)}), status: 400,
				want: fail(3, "Session vars invalid, a value must be at most 1024 bytes."), fired: refused("AuthenticateCustom")},
			{name: "authenticate/5 KiB in total", method: "POST", path: "/v2/account/authenticate/email", auth: serverKey,
				body: varsBody(`{"email":"vars@example.com","password":"password1",`, fiveKiB), status: 400,
				want: fail(3, "Session vars invalid, keys and values must total at most 4096 bytes."), fired: refused("AuthenticateEmail")},
			{name: "refresh/33 vars", method: "POST", path: refresh, auth: serverKey,
				body: varsBody(`{"token":"{refresh:alice}",`, tooMany), status: 400,
				want: fail(3, "Session vars invalid, at most 32 vars are allowed."), fired: refused("SessionRefresh")},
			{name: "authenticate/vars within the limits", method: "POST", path: device, auth: serverKey,
				body:   varsBody(`{"id":"device-vars-fine",`, map[string]string{"team": "red", "k": strings.Repeat("v", 1024)}),
				status: 200, want: fields{"created": true}, fired: both("AuthenticateDevice")},
		})
	})
}
