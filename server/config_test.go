package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		mod     func(c *Config)
		setting string // "" when valid
		problem string
	}{
		{"defaults", func(*Config) {}, "", ""},
		{"own keys", func(c *Config) {
			c.ServerKey, c.HTTPKey, c.SessionKey, c.SessionRefreshKey = "s1", "h1", "k1", "r1"
		}, "", ""},
		{"empty server key", func(c *Config) { c.ServerKey = "" }, "server.key", "is empty"},
		{"empty http key", func(c *Config) { c.HTTPKey = "" }, "http.key", "is empty"},
		{"whitespace http key", func(c *Config) { c.HTTPKey = " \t\n" }, "http.key", "is empty"},
		{"empty session key", func(c *Config) { c.SessionKey = "" }, "session.key", "is empty"},
		{"whitespace session key", func(c *Config) { c.SessionKey = "  " }, "session.key", "is empty"},
		{"empty refresh key", func(c *Config) { c.SessionRefreshKey = "" }, "session.refresh_key", "is empty"},
		{"session key = refresh key", func(c *Config) { c.SessionRefreshKey = c.SessionKey },
			"session.refresh_key", "must differ from session.key"},
		{"http key = server key", func(c *Config) { c.HTTPKey = c.ServerKey }, "http.key", "must differ from server.key"},
		{"session key = server key", func(c *Config) { c.SessionKey = c.ServerKey }, "session.key", "must differ from server.key"},
		{"refresh key = http key", func(c *Config) { c.SessionRefreshKey = c.HTTPKey },
			"session.refresh_key", "must differ from http.key"},
		{"invitation ttl 0", func(c *Config) { c.GroupInvitationTTL = 0 }, "groups.invitation_ttl", "more than 0"},
		{"invitation ttl over 30 days", func(c *Config) { c.GroupInvitationTTL = 721 * time.Hour }, "groups.invitation_ttl", "at most 720h"},
		{"invitation ttl 30 days", func(c *Config) { c.GroupInvitationTTL = 720 * time.Hour }, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.setting == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			if ce.Setting != tc.setting || !strings.Contains(ce.Problem, tc.problem) {
				t.Fatalf("got %q %q, want %q containing %q", ce.Setting, ce.Problem, tc.setting, tc.problem)
			}
		})
	}
}

// TestNewValidates: library users get the check too, before anything is opened.
func TestNewValidates(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.HTTPKey = ""
	c.DataDir = t.TempDir()
	srv, err := New(context.Background(), c, nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Setting != "http.key" {
		t.Fatalf("New: %v, %v; want the http.key ConfigError", srv, err)
	}
}
