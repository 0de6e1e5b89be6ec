package accounts

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// nakamaJSDecode decodes a JWT payload the way nakama-js 2.8.0 does: delete every
// character outside [A-Za-z0-9+/] (so '-' and '_' vanish), atob() the rest, and
// JSON.parse the resulting byte string. A byte string that is pure ASCII parses
// the same in JavaScript as in Go, which is what the token encoder guarantees; any
// other byte is reported, since atob would hand JSON.parse Latin-1 characters.
func nakamaJSDecode(t *testing.T, seg string) map[string]any {
	t.Helper()
	kept := regexp.MustCompile(`[^A-Za-z0-9+/]`).ReplaceAllString(seg, "")
	raw, err := base64.RawStdEncoding.DecodeString(kept)
	if err != nil {
		t.Fatalf("atob(%q): %v", kept, err)
	}
	for _, b := range raw {
		if b >= 0x80 {
			t.Fatalf("payload has non-ASCII byte %#x: %q", b, raw)
		}
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("JSON.parse(%q): %v", raw, err)
	}
	return m
}

// awkward characters: the four ASCII bytes that can become '-' or '_', JSON
// specials, and non-ASCII text of 2, 3 and 4 UTF-8 bytes.
var awkward = []rune("?~>\x7f<&\"\\/'`! aZ09-_+=é日本語🎮€\u2028ÿ")

func randomText(r *rand.Rand, max int) string {
	n := r.IntN(max + 1)
	var b strings.Builder
	for range n {
		if r.IntN(3) == 0 {
			b.WriteRune(awkward[r.IntN(len(awkward))])
		} else {
			b.WriteRune(rune(0x20 + r.IntN(0x5f))) // printable ASCII
		}
	}
	return b.String()
}

// TestPayloadNeverHasDashOrUnderscore signs many tokens with hostile usernames and
// vars and checks that no payload contains '-' or '_' and that nakama-js's way of
// decoding yields exactly the claims.
func TestPayloadNeverHasDashOrUnderscore(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now().Unix()
	for i := range 20000 {
		c := tokenClaims{
			TokenID:   uuid.NewString(),
			UserID:    uuid.NewString(),
			Username:  randomText(r, 40),
			ExpiresAt: now + 3600 + int64(r.IntN(100000)), // valid for the whole test
			IssuedAt:  now - int64(r.IntN(100000)),
		}
		if i%10 == 0 {
			c.Username = generateUsername()
		}
		if r.IntN(2) == 0 {
			c.Vars = map[string]string{}
			for range r.IntN(4) + 1 {
				c.Vars[randomText(r, 8)] = randomText(r, 16)
			}
		}
		key, typ := DefaultEncryptionKey, typeSession
		if i%2 == 1 {
			key, typ = DefaultRefreshEncryptionKey, typeRefresh
		}
		c.Type = typ
		tok, err := signToken(key, c)
		if err != nil {
			t.Fatal(err)
		}
		seg := strings.Split(tok, ".")[1]
		if strings.ContainsAny(seg, "-_") {
			t.Fatalf("payload %q of username %q vars %q contains '-' or '_'", seg, c.Username, c.Vars)
		}
		m := nakamaJSDecode(t, seg)
		if m["usn"] != c.Username || m["tid"] != c.TokenID || m["uid"] != c.UserID ||
			int64(m["exp"].(float64)) != c.ExpiresAt || int64(m["iat"].(float64)) != c.IssuedAt {
			t.Fatalf("decoded %v, want %+v", m, c)
		}
		if len(c.Vars) > 0 {
			got := map[string]string{}
			for k, v := range m["vrs"].(map[string]any) {
				got[k] = v.(string)
			}
			if !maps.Equal(got, c.Vars) {
				t.Fatalf("decoded vars %q, want %q", got, c.Vars)
			}
		} else if _, ok := m["vrs"]; ok {
			t.Fatal("vrs present without vars")
		}
		// And our own verification reads it back unchanged.
		parsed, ok := parseToken(key, tok, typ, false)
		if !ok || parsed.Username != c.Username || !maps.Equal(parsed.Vars, c.Vars) {
			t.Fatalf("parseToken: ok=%v %+v, want %+v", ok, parsed, c)
		}
	}
}

// Without the escaping, these payloads would contain '-' or '_': the test above
// would be meaningless if the awkward characters never produced them.
func TestAwkwardCharactersWouldBreakPlainBase64(t *testing.T) {
	t.Parallel()
	hits := 0
	for _, name := range []string{"a?", "ab?", "abc?", "a~", "ab~", "abc~", "é", "aé", "日本", "🎮"} {
		raw, _ := json.Marshal(tokenClaims{TokenID: uuid.NewString(), UserID: uuid.NewString(), Username: name, ExpiresAt: 1, IssuedAt: 1})
		if strings.ContainsAny(base64.RawURLEncoding.EncodeToString(raw), "-_") {
			hits++
		}
	}
	if hits == 0 {
		t.Fatal("no plain payload had '-' or '_'")
	}
}

// TestIssuedTokensAreNakamaJSSafe goes through the service: usernames with the
// awkward characters come back intact from VerifySession and from nakama-js's
// decoding.
func TestIssuedTokensAreNakamaJSSafe(t *testing.T) {
	t.Parallel()
	eachDB(t, Config{}, func(t *testing.T, s *Service, db *gorm.DB) {
		for i, name := range []string{"what?", "a~b", "x>y", "Zoë", "日本語の名前", "gamer 🎮", "?~?~?~"} {
			sess := authOK(t)(s.AuthenticateCustom(ctx, AuthRequest{
				ID: "custom-js-" + string(rune('a'+i)), Username: name,
				Vars: map[string]string{"q?": "~é"},
			}))
			for _, tok := range []string{sess.Token, sess.RefreshToken} {
				seg := strings.Split(tok, ".")[1]
				if strings.ContainsAny(seg, "-_") {
					t.Fatalf("%q: payload contains '-' or '_'", name)
				}
				if m := nakamaJSDecode(t, seg); m["usn"] != name {
					t.Fatalf("nakama-js would read usn %q, want %q", m["usn"], name)
				}
			}
			c := verify(t, s, sess.Token)
			if c.Username != name || c.Vars["q?"] != "~é" {
				t.Fatalf("claims %+v", c)
			}
			ref := authOK(t)(s.Refresh(ctx, sess.RefreshToken, nil))
			if strings.ContainsAny(strings.Split(ref.Token, ".")[1], "-_") {
				t.Fatalf("%q: refreshed payload contains '-' or '_'", name)
			}
		}
		// Generated usernames are letters only.
		for range 50 {
			if u := generateUsername(); !generatedName.MatchString(u) {
				t.Fatalf("generated %q", u)
			}
		}
	})
}
