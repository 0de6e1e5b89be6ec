package main

import (
	"strings"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
)

// TestRefusesUnsafeKeys runs the real binary: an empty (or whitespace) key, or
// one key shared by session and refresh tokens, stops it at start with a
// message naming the setting, its flag and its environment variable, and a
// non-zero exit status.
func TestRefusesUnsafeKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"empty http key", map[string]string{"GUILDHALL_HTTP_KEY": ""},
			"http.key is empty or only whitespace; set it to a secret value (set with --http.key or GUILDHALL_HTTP_KEY)"},
		{"whitespace session key", map[string]string{"GUILDHALL_SESSION_KEY": "  "},
			"session.key is empty or only whitespace"},
		{"session key = refresh key", map[string]string{"GUILDHALL_SESSION_KEY": "same-secret", "GUILDHALL_SESSION_REFRESH_KEY": "same-secret"},
			"session.refresh_key must differ from session.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := childserver.Start(t, childserver.Options{Env: tc.env, NoWait: true})
			done, err := srv.WaitExit(60 * time.Second)
			if !done {
				t.Fatalf("the server is still running; output:\n%s", srv.Output())
			}
			if err == nil {
				t.Fatalf("exit status 0; output:\n%s", srv.Output())
			}
			if out := srv.Output(); !strings.Contains(out, "guildhall: invalid configuration: "+tc.want) {
				t.Fatalf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestOpsFlags: the list and rate flags read from the environment and from
// the command line (flags win).
func TestOpsFlags(t *testing.T) {
	t.Setenv("GUILDHALL_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,")
	t.Setenv("GUILDHALL_RATELIMIT_AUTH_RATE", "2.5")
	o, err := parseConfig("guildhall", []string{"--ratelimit.group_rate", "0", "--metrics.listen", "", "--log.access=false"})
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if strings.Join(c.HTTPTrustedProxies, "|") != "10.0.0.0/8|127.0.0.1" || c.RateLimitAuthRate != 2.5 ||
		c.RateLimitGroupRate != 0 || c.MetricsListen != "" || c.AccessLog {
		t.Fatalf("parsed %+v", c)
	}
	o, err = parseConfig("guildhall", []string{"--http.trusted_proxies", "192.0.2.1"})
	if err != nil || strings.Join(o.HTTPTrustedProxies, "|") != "192.0.2.1" {
		t.Fatalf("flag over env: %v %v", o.HTTPTrustedProxies, err)
	}
}
