package api_test

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/guildhall/guildhall/accounts"
)

// claims decodes a JWT's payload (without verifying it).
func claims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

// claim matches a JWT whose payload has key = want (a string).
func claim(key, want string) matchIn {
	return func(e *env, v any) string {
		want := e.expand(want)
		s, _ := v.(string)
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			return "a JWT"
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		var c map[string]any
		if err != nil || json.Unmarshal(raw, &c) != nil || c[key] != want {
			return "a JWT with " + key + "=" + want
		}
		return ""
	}
}

// claimRE matches a JWT whose payload has key matching re.
func claimRE(key string, re *regexp.Regexp) match {
	return func(v any) string {
		s, _ := v.(string)
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			return "a JWT"
		}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c map[string]any
		_ = json.Unmarshal(raw, &c)
		if str, _ := c[key].(string); !re.MatchString(str) {
			return "a JWT with " + key + " matching " + re.String()
		}
		return ""
	}
}

// sign makes an HS256 token with the given claims and key.
func sign(t testing.TB, key string, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthenticate(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice")
		dev := "device-" + uuid.NewString()[:12]
		e.ids["dev"] = dev
		long := strings.Repeat("d", 129)
		e.ids["long"] = long
		e.ids["name129"] = strings.Repeat("n", 129)
		const device = "/v2/account/authenticate/device"
		const custom = "/v2/account/authenticate/custom"
		const email = "/v2/account/authenticate/email"
		authOK := both("AuthenticateDevice")
		letters := regexp.MustCompile(`^[A-Za-z]{10}$`)

		e.run([]scenario{
			// Server key.
			{name: "device/no server key", method: "POST", path: device, auth: noAuth, body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key required")},
			{name: "device/wrong server key", method: "POST", path: device, auth: basic("wrongkey"), body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "device/http key is not the server key", method: "POST", path: device, auth: httpKeyBasic, body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "device/bearer instead of basic", method: "POST", path: device, auth: as("alice"), body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "device/basic not base64", method: "POST", path: device, auth: header("Basic !!!notbase64"), body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "device/basic without colon", method: "POST", path: device,
				auth: header("Basic " + base64.StdEncoding.EncodeToString([]byte("defaultkey"))), body: `{"id":"{dev}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "device/server key with a password", method: "POST", path: device + "?create=false",
				auth: header("Basic " + base64.StdEncoding.EncodeToString([]byte("defaultkey:ignored"))), body: `{"id":"{dev}"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateDevice")},

			// Device: validation (Nakama's order and texts).
			{name: "device/id missing", method: "POST", path: device, auth: serverKey, body: `{}`,
				status: 400, want: fail(3, "Device ID is required."), fired: refused("AuthenticateDevice")},
			{name: "device/empty body", method: "POST", path: device, auth: serverKey, body: ``,
				status: 400, want: fail(3, "Device ID is required."), fired: refused("AuthenticateDevice")},
			{name: "device/id with a space", method: "POST", path: device, auth: serverKey, body: `{"id":"device id 1234"}`,
				status: 400, want: fail(3, "Device ID invalid, no spaces or control characters allowed."), fired: refused("AuthenticateDevice")},
			{name: "device/id with a control character", method: "POST", path: device, auth: serverKey, body: `{"id":"device\u0001id1234"}`,
				status: 400, want: fail(3, "Device ID invalid, no spaces or control characters allowed."), fired: refused("AuthenticateDevice")},
			{name: "device/id 9 bytes", method: "POST", path: device, auth: serverKey, body: `{"id":"123456789"}`,
				status: 400, want: fail(3, "Device ID invalid, must be 10-128 bytes."), fired: refused("AuthenticateDevice")},
			{name: "device/id 129 bytes", method: "POST", path: device, auth: serverKey, body: `{"id":"{long}"}`,
				status: 400, want: fail(3, "Device ID invalid, must be 10-128 bytes."), fired: refused("AuthenticateDevice")},
			{name: "device/id not a string", method: "POST", path: device, auth: serverKey, body: `{"id":1234567890}`,
				status: 400, want: fields{"code": 3, "message": hasPrefix("Invalid value for field \"id\"")}},
			{name: "device/vars not an object of strings", method: "POST", path: device, auth: serverKey, body: `{"id":"{dev}","vars":{"a":1}}`,
				status: 400, want: fields{"code": 3, "message": hasPrefix("Invalid value for field \"vars\"")}},
			{name: "device/create not a bool", method: "POST", path: device + "?create=maybe", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 400, want: fields{"code": 3, "message": hasPrefix("Invalid value for query parameter \"create\"")}},
			{name: "device/username with a tab", method: "POST", path: device + "?username=a%09b", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 400, want: fail(3, "Username invalid, no spaces or control characters allowed."), fired: refused("AuthenticateDevice")},
			{name: "device/username 129 bytes", method: "POST", path: device + "?username={name129}", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 400, want: fail(3, "Username invalid, must be 1-128 bytes."), fired: refused("AuthenticateDevice")},
			{name: "device/create=false for an unknown device", method: "POST", path: device + "?create=false", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateDevice")},
			{name: "device/create=0 parses as false", method: "POST", path: device + "?create=0", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateDevice")},
			{name: "device/username taken", method: "POST", path: device + "?username=alice", auth: serverKey, body: `{"id":"{dev}"}`,
				status: 409, want: fail(6, "Username is already in use."), fired: refused("AuthenticateDevice")},
			{name: "device/refused by a before hook", method: "POST", path: device, auth: serverKey, body: `{"id":"{dev}"}`,
				reject: "AuthenticateDevice", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("AuthenticateDevice")},

			// Device: success.
			{name: "device/create", method: "POST", path: device + "?username=Newbie%20One", auth: serverKey,
				body: `{"id":"{dev}","vars":{"k":"v"},"unknown":[1]}`, status: 200,
				want:  fields{"created": true, "token": claim("usn", "Newbie One"), "refresh_token": claim("usn", "Newbie One")},
				fired: authOK,
				check: func(t *testing.T, e *env, r resp) {
					c := claims(t, r.str("token"))
					rc := claims(t, r.str("refresh_token"))
					if c["tid"] != rc["tid"] || c["uid"] != rc["uid"] || c["iat"] != rc["iat"] {
						t.Errorf("token and refresh token differ in tid/uid/iat: %v vs %v", c, rc)
					}
					if vrs, _ := c["vrs"].(map[string]any); vrs["k"] != "v" {
						t.Errorf("vrs = %v, want {k:v}", c["vrs"])
					}
					exp, _ := c["exp"].(float64)
					iat, _ := c["iat"].(float64)
					if exp-iat != 60 {
						t.Errorf("session life %v s, want 60", exp-iat)
					}
					rexp, _ := rc["exp"].(float64)
					if rexp-iat != 3600 {
						t.Errorf("refresh life %v s, want 3600", rexp-iat)
					}
					for _, k := range []string{"iss", "sub", "aud", "nbf"} {
						if _, ok := c[k]; ok {
							t.Errorf("claim %s present", k)
						}
					}
				}},
			{name: "device/existing: created omitted, username sent ignored", method: "POST", path: device + "?username=other", auth: serverKey,
				body: `{"id":"{dev}"}`, status: 200,
				want: fields{"token": claim("usn", "Newbie One")}, absent: []string{"created"}, fired: authOK,
				check: func(t *testing.T, e *env, r resp) {
					if n := e.sqlInt(t, "SELECT count(*) FROM users WHERE username = 'other'"); n != 0 {
						t.Errorf("a user named other was created")
					}
				}},
			{name: "device/existing with create=false", method: "POST", path: device + "?create=false", auth: serverKey,
				body: `{"id":"{dev}"}`, status: 200, want: fields{"token": isJWT}, absent: []string{"created", "vrs"}, fired: authOK},
			{name: "device/no username: 10 random letters", method: "POST", path: device, auth: serverKey,
				body: `{"id":"another-device-0001"}`, status: 200,
				want: fields{"created": true, "token": claimRE("usn", letters)}, fired: authOK},
			{name: "device/id 10 bytes, camelCase unknown keys", method: "POST", path: device, auth: serverKey,
				body: `{"id":"0123456789","fooBar":{"x":1}}`, status: 200, want: fields{"created": true}, fired: authOK},

			// Custom.
			{name: "custom/no server key", method: "POST", path: custom, auth: noAuth, body: `{"id":"custom-1"}`,
				status: 401, want: fail(16, "Server key required")},
			{name: "custom/id missing", method: "POST", path: custom, auth: serverKey, body: `{"vars":{}}`,
				status: 400, want: fail(3, "Custom ID is required."), fired: refused("AuthenticateCustom")},
			{name: "custom/id 5 bytes", method: "POST", path: custom, auth: serverKey, body: `{"id":"12345"}`,
				status: 400, want: fail(3, "Custom ID invalid, must be 6-128 bytes."), fired: refused("AuthenticateCustom")},
			{name: "custom/id with a space", method: "POST", path: custom, auth: serverKey, body: `{"id":"abc def"}`,
				status: 400, want: fail(3, "Custom ID invalid, no spaces or control characters allowed."), fired: refused("AuthenticateCustom")},
			{name: "custom/id 129 bytes", method: "POST", path: custom, auth: serverKey, body: `{"id":"{long}"}`,
				status: 400, want: fail(3, "Custom ID invalid, must be 6-128 bytes."), fired: refused("AuthenticateCustom")},
			{name: "custom/create=false unknown", method: "POST", path: custom + "?create=false", auth: serverKey, body: `{"id":"custom-1"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateCustom")},
			{name: "custom/create", method: "POST", path: custom + "?username=customer", auth: serverKey, body: `{"id":"custom-1"}`,
				status: 200, want: fields{"created": true, "token": claim("usn", "customer")}, fired: both("AuthenticateCustom")},
			{name: "custom/existing", method: "POST", path: custom + "?create=true&username=zzz", auth: serverKey, body: `{"id":"custom-1"}`,
				status: 200, want: fields{"token": claim("usn", "customer")}, absent: []string{"created"}, fired: both("AuthenticateCustom")},
			{name: "custom/username taken case-insensitively", method: "POST", path: custom + "?username=ALICE", auth: serverKey, body: `{"id":"custom-2"}`,
				status: 409, want: fail(6, "Username is already in use."), fired: refused("AuthenticateCustom")},

			// Email.
			{name: "email/wrong server key", method: "POST", path: email, auth: basic("nope"), body: `{"email":"a@example.com","password":"password1"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "email/whitespace", method: "POST", path: email, auth: serverKey, body: `{"email":"a b@example.com","password":"password1"}`,
				status: 400, want: fail(3, "Invalid email address, no spaces or control characters allowed."), fired: refused("AuthenticateEmail")},
			{name: "email/format", method: "POST", path: email, auth: serverKey, body: `{"email":"not-an-email","password":"password1"}`,
				status: 400, want: fail(3, "Invalid email address format."), fired: refused("AuthenticateEmail")},
			{name: "email/too short", method: "POST", path: email, auth: serverKey, body: `{"email":"a@b.co","password":"password1"}`,
				status: 400, want: fail(3, "Invalid email address, must be 10-255 bytes."), fired: refused("AuthenticateEmail")},
			{name: "email/short password", method: "POST", path: email, auth: serverKey, body: `{"email":"player@example.com","password":"1234567"}`,
				status: 400, want: fail(3, "Password must be at least 8 characters long."), fired: refused("AuthenticateEmail")},
			{name: "email/no email, no username", method: "POST", path: email, auth: serverKey, body: `{"password":"password1"}`,
				status: 400, want: fail(3, "Username is required when email address is not supplied."), fired: refused("AuthenticateEmail")},
			{name: "email/create=false unknown", method: "POST", path: email + "?create=false", auth: serverKey,
				body:   `{"email":"player@example.com","password":"password1"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateEmail")},
			{name: "email/create (mixed case)", method: "POST", path: email + "?username=mailer", auth: serverKey,
				body:   `{"email":"Player@Example.COM","password":"password1"}`,
				status: 200, want: fields{"created": true, "token": claim("usn", "mailer")}, fired: both("AuthenticateEmail"),
				check: func(t *testing.T, e *env, r resp) {
					if n := e.sqlInt(t, "SELECT count(*) FROM users WHERE email = 'player@example.com'"); n != 1 {
						t.Errorf("email not stored lowercased")
					}
				}},
			{name: "email/existing, other case", method: "POST", path: email, auth: serverKey,
				body:   `{"email":"PLAYER@example.com","password":"password1"}`,
				status: 200, want: fields{"token": claim("usn", "mailer")}, absent: []string{"created"}, fired: both("AuthenticateEmail")},
			{name: "email/wrong password", method: "POST", path: email, auth: serverKey,
				body:   `{"email":"player@example.com","password":"password2"}`,
				status: 401, want: fail(16, "Invalid credentials."), fired: refused("AuthenticateEmail")},
			{name: "email/username login", method: "POST", path: email + "?username=mailer&create=false", auth: serverKey,
				body:   `{"password":"password1"}`,
				status: 200, want: fields{"token": claim("usn", "mailer")}, absent: []string{"created"}, fired: both("AuthenticateEmail")},
			{name: "email/username login, wrong password", method: "POST", path: email + "?username=mailer", auth: serverKey,
				body:   `{"password":"password9"}`,
				status: 401, want: fail(16, "Invalid credentials."), fired: refused("AuthenticateEmail")},
			{name: "email/username login, unknown user", method: "POST", path: email + "?username=nobody", auth: serverKey,
				body:   `{"password":"password1"}`,
				status: 404, want: fail(5, "User account not found."), fired: refused("AuthenticateEmail")},
			{name: "email/password not a string", method: "POST", path: email, auth: serverKey,
				body:   `{"email":"player@example.com","password":12345678}`,
				status: 400, want: fields{"code": 3, "message": hasPrefix("Invalid value for field \"password\"")}},
		})

		// A disabled account is refused with 403 on every credential.
		if err := e.app.DB.Write.Exec("UPDATE users SET disable_time = ? WHERE username = ?", time.Now().UnixMicro(), "customer").Error; err != nil {
			t.Fatal(err)
		}
		e.run([]scenario{
			{name: "custom/disabled account", method: "POST", path: custom, auth: serverKey, body: `{"id":"custom-1"}`,
				status: 403, want: fail(7, "User account banned."), fired: refused("AuthenticateCustom")},
		})
	})
}

func TestSessions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addUsers("alice", "bob", "leaver", "quitter")
		// A second session of leaver, logged out by the pair.
		r := e.must("POST", "/v2/account/authenticate/device", serverKey, `{"id":"{device:leaver}"}`)
		e.ids["token2:leaver"], e.ids["refresh2:leaver"] = r.str("token"), r.str("refresh_token")
		uid, _ := uuid.Parse(e.ids["alice"])
		e.ids["expired"] = sign(t, accounts.DefaultEncryptionKey, jwt.MapClaims{
			"tid": uuid.NewString(), "uid": uid.String(), "usn": "alice",
			"exp": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Add(-2 * time.Minute).Unix()})
		e.ids["wrongkey"] = sign(t, "not-the-key", jwt.MapClaims{
			"tid": uuid.NewString(), "uid": uid.String(), "usn": "alice",
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
		e.ids["unknowntid"] = sign(t, accounts.DefaultEncryptionKey, jwt.MapClaims{
			"tid": uuid.NewString(), "uid": uid.String(), "usn": "alice",
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
		e.ids["noexp"] = sign(t, accounts.DefaultEncryptionKey, jwt.MapClaims{
			"tid": claims(t, e.users["alice"].token)["tid"], "uid": uid.String(), "usn": "alice", "iat": time.Now().Unix()})
		e.ids["unknownuser"] = sign(t, accounts.DefaultEncryptionKey, jwt.MapClaims{
			"tid": claims(t, e.users["alice"].token)["tid"], "uid": uuid.NewString(), "usn": "ghost",
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
		e.ids["refreshexpired"] = sign(t, accounts.DefaultRefreshEncryptionKey, jwt.MapClaims{
			"tid": claims(t, e.users["alice"].token)["tid"], "uid": uid.String(), "usn": "alice",
			"exp": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Add(-time.Hour).Unix()})
		none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
			"tid": claims(t, e.users["alice"].token)["tid"], "uid": uid.String(), "usn": "alice",
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix()})
		e.ids["algnone"], _ = none.SignedString(jwt.UnsafeAllowNoneSignatureType)

		const refresh = "/v2/account/session/refresh"
		const logout = "/v2/session/logout"
		invalid := fail(16, "Auth token invalid")
		e.run([]scenario{
			// GET /v2/account.
			{name: "account", fired: unchecked, method: "GET", path: "/v2/account", auth: as("alice"), status: 200,
				want: fields{
					"user.id": "{alice}", "user.username": "alice", "user.lang_tag": "en", "user.metadata": "{}",
					"user.create_time": isTime, "user.update_time": isTime, "wallet": "{}",
					"devices.#": 1, "devices.0.id": "{device:alice}",
				},
				absent: []string{"email", "custom_id", "verify_time", "disable_time", "user.online", "user.edge_count",
					"user.display_name", "user.avatar_url", "devices.0.vars"}},
			{name: "account/no token", method: "GET", path: "/v2/account", auth: noAuth, status: 401, want: fail(16, "Auth token required")},
			{name: "account/garbage token", method: "GET", path: "/v2/account", auth: header("Bearer garbage"), status: 401, want: invalid},
			{name: "account/basic scheme", method: "GET", path: "/v2/account", auth: serverKey, status: 401, want: invalid},
			{name: "account/empty bearer", method: "GET", path: "/v2/account", auth: header("Bearer "), status: 401, want: invalid},
			{name: "account/expired token", method: "GET", path: "/v2/account", auth: header("Bearer {expired}"), status: 401, want: invalid},
			{name: "account/wrong signing key", method: "GET", path: "/v2/account", auth: header("Bearer {wrongkey}"), status: 401, want: invalid},
			{name: "account/alg none", method: "GET", path: "/v2/account", auth: header("Bearer {algnone}"), status: 401, want: invalid},
			{name: "account/no exp claim", method: "GET", path: "/v2/account", auth: header("Bearer {noexp}"), status: 401, want: invalid},
			{name: "account/unknown session id", method: "GET", path: "/v2/account", auth: header("Bearer {unknowntid}"), status: 401, want: invalid},
			{name: "account/user does not exist", method: "GET", path: "/v2/account", auth: header("Bearer {unknownuser}"), status: 401, want: invalid},
			{name: "account/refresh token as bearer", method: "GET", path: "/v2/account", auth: header("Bearer {refresh:alice}"), status: 401, want: invalid},

			// Refresh.
			{name: "refresh", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh:alice}","vars":{}}`,
				status: 200, want: fields{"token": claim("uid", "{alice}"), "refresh_token": claim("usn", "alice")},
				absent: []string{"created"}, fired: both("SessionRefresh"),
				check: func(t *testing.T, e *env, r resp) {
					old, now := claims(t, e.users["alice"].token), claims(t, r.str("token"))
					if old["tid"] != now["tid"] || old["iat"] != now["iat"] {
						t.Errorf("refresh changed tid or iat: %v → %v", old, now)
					}
					// The new token and the pre-refresh token both work.
					for _, tok := range []string{r.str("token"), e.users["alice"].token} {
						if got := e.do("GET", "/v2/account", header("Bearer "+tok), ""); got.status != 200 {
							t.Errorf("token after refresh: %d %s", got.status, got.raw)
						}
					}
				}},
			{name: "refresh/new vars replace", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh:alice}","vars":{"a":"b"}}`,
				status: 200, fired: both("SessionRefresh"),
				check: func(t *testing.T, e *env, r resp) {
					if v, _ := claims(t, r.str("token"))["vrs"].(map[string]any); v["a"] != "b" {
						t.Errorf("vrs = %v", v)
					}
				}},
			{name: "refresh/empty vars keep", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh:alice}"}`,
				status: 200, fired: both("SessionRefresh"),
				check: func(t *testing.T, e *env, r resp) {
					if v, _ := claims(t, r.str("token"))["vrs"].(map[string]any); v["a"] != "b" {
						t.Errorf("vrs = %v, want the vars of the previous refresh", v)
					}
				}},
			{name: "refresh/no server key", method: "POST", path: refresh, auth: noAuth, body: `{"token":"{refresh:alice}"}`,
				status: 401, want: fail(16, "Server key required")},
			{name: "refresh/bearer instead of server key", method: "POST", path: refresh, auth: as("alice"), body: `{"token":"{refresh:alice}"}`,
				status: 401, want: fail(16, "Server key invalid")},
			{name: "refresh/no token", method: "POST", path: refresh, auth: serverKey, body: `{}`,
				status: 400, want: fail(3, "Refresh token is required."), fired: refused("SessionRefresh")},
			{name: "refresh/garbage token", method: "POST", path: refresh, auth: serverKey, body: `{"token":"abc.def.ghi"}`,
				status: 401, want: fail(16, "Refresh token invalid or expired."), fired: refused("SessionRefresh")},
			{name: "refresh/session token is not a refresh token", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{token:alice}"}`,
				status: 401, want: fail(16, "Refresh token invalid or expired."), fired: refused("SessionRefresh")},
			{name: "refresh/expired", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refreshexpired}"}`,
				status: 401, want: fail(16, "Refresh token invalid or expired."), fired: refused("SessionRefresh")},
			{name: "refresh/token not a string", method: "POST", path: refresh, auth: serverKey, body: `{"token":42}`,
				status: 400, want: fields{"code": 3, "message": hasPrefix("Invalid value for field \"token\"")}},
			{name: "refresh/refused by a before hook", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh:alice}"}`,
				reject: "SessionRefresh", status: 404, want: fail(5, "Requested resource was not found."), fired: refused("SessionRefresh")},

			// Logout.
			{name: "logout/no token", method: "POST", path: logout, auth: noAuth, body: `{}`, status: 401, want: fail(16, "Auth token required")},
			{name: "logout/garbage bearer", method: "POST", path: logout, auth: header("Bearer x.y.z"), body: `{}`, status: 401, want: invalid},
			{name: "logout/another user's token", fired: unchecked, method: "POST", path: logout, auth: as("bob"), body: `{"token":"{token:alice}"}`,
				status: 400, want: fail(3, "Session token invalid.")},
			{name: "logout/unparsable token", fired: unchecked, method: "POST", path: logout, auth: as("bob"), body: `{"token":"nope"}`,
				status: 400, want: fail(3, "Session token invalid.")},
			{name: "logout/another user's refresh token", fired: unchecked, method: "POST", path: logout, auth: as("bob"), body: `{"refresh_token":"{refresh:alice}"}`,
				status: 400, want: fail(3, "Refresh token invalid.")},
			{name: "logout/camelCase refreshToken is read", fired: unchecked, method: "POST", path: logout, auth: as("bob"), body: `{"refreshToken":"nope"}`,
				status: 400, want: fail(3, "Refresh token invalid.")},
			{name: "logout/the given pair", fired: unchecked, method: "POST", path: logout, auth: as("leaver"),
				body: `{"token":"{token2:leaver}","refresh_token":"{refresh2:leaver}"}`, status: 200, exact: "{}",
				check: func(t *testing.T, e *env, r resp) {
					if got := e.do("GET", "/v2/account", header("Bearer "+e.ids["token2:leaver"]), ""); got.status != 401 || got.str("message") != "Auth token invalid" {
						t.Errorf("logged-out token: %d %s", got.status, got.raw)
					}
					if got := e.do("GET", "/v2/account", as("leaver"), ""); got.status != 200 {
						t.Errorf("the other session of the user was logged out too: %d %s", got.status, got.raw)
					}
				}},
			{name: "logout/refresh after logout", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh2:leaver}"}`,
				status: 401, want: fail(16, "Refresh token invalid or expired."), fired: refused("SessionRefresh")},
			{name: "logout/everything (empty body)", fired: unchecked, method: "POST", path: logout, auth: as("quitter"), status: 200, exact: "{}"},
			{name: "logout/token is now invalid", method: "GET", path: "/v2/account", auth: as("quitter"), status: 401, want: invalid},
			{name: "logout/its refresh token too", method: "POST", path: refresh, auth: serverKey, body: `{"token":"{refresh:quitter}"}`,
				status: 401, want: fail(16, "Refresh token invalid or expired."), fired: refused("SessionRefresh")},
			{name: "logout/group routes refuse it", method: "GET", path: "/v2/group", auth: as("quitter"), status: 401, want: invalid},
		})
	})
}
