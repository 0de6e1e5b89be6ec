package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is every setting; each has a flag and a GUILDHALL_* variable (the flag
// name upper-cased, dots and dashes as underscores). Flags win over variables.
type config struct {
	Listen               string
	DatabaseURL          string
	DataDir              string
	DatabaseMaxConns     int
	Migrate              bool
	RuntimePath          string
	ServerKey            string
	HTTPKey              string
	SessionKey           string
	SessionRefreshKey    string
	SessionExpiry        time.Duration
	SessionRefreshExpiry time.Duration
	RequestTimeout       time.Duration
	LogLevel             string
	LogFormat            string
}

// Defaults that are secrets; start-up warns while any is left as is.
const (
	defaultServerKey         = "defaultkey"
	defaultHTTPKey           = "defaulthttpkey"
	defaultSessionKey        = "defaultencryptionkey"
	defaultSessionRefreshKey = "defaultrefreshencryptionkey"
)

func envName(flagName string) string {
	r := strings.NewReplacer(".", "_", "-", "_")
	return "GUILDHALL_" + strings.ToUpper(r.Replace(flagName))
}

// parseConfig reads flags from args over environment variables over defaults.
func parseConfig(name string, args []string) (*config, *flag.FlagSet, error) {
	c := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, envOr(name, def), usage+" ("+envName(name)+")")
	}
	str(&c.Listen, "listen", "127.0.0.1:7350", "HTTP listen address")
	str(&c.DatabaseURL, "database.url", "", "postgres://… URL; empty uses embedded SQLite in --data.dir")
	str(&c.DataDir, "data.dir", "./data", "directory of the embedded SQLite database")
	str(&c.RuntimePath, "runtime.path", "./modules", "directory of JavaScript and Lua modules")
	str(&c.ServerKey, "server.key", defaultServerKey, "server key clients authenticate with (Basic user)")
	str(&c.HTTPKey, "http.key", defaultHTTPKey, "http key of server-to-server calls")
	str(&c.SessionKey, "session.key", defaultSessionKey, "HS256 key of session tokens")
	str(&c.SessionRefreshKey, "session.refresh_key", defaultSessionRefreshKey, "HS256 key of refresh tokens")
	str(&c.LogLevel, "log.level", "info", "debug, info, warn or error")
	str(&c.LogFormat, "log.format", "text", "text or json")
	var err error
	num := func(p *int, name string, def int, usage string) {
		v := def
		if s, ok := os.LookupEnv(envName(name)); ok {
			n, e := strconv.Atoi(s)
			if e != nil && err == nil {
				err = fmt.Errorf("%s: %v", envName(name), e)
			}
			v = n
		}
		fs.IntVar(p, name, v, usage+" ("+envName(name)+")")
	}
	num(&c.DatabaseMaxConns, "database.max_conns", 32, "PostgreSQL connection pool size")
	dur := func(p *time.Duration, name string, def time.Duration, usage string) {
		v := def
		if s, ok := os.LookupEnv(envName(name)); ok {
			d, e := parseDuration(s)
			if e != nil && err == nil {
				err = fmt.Errorf("%s: %v", envName(name), e)
			}
			v = d
		}
		fs.DurationVar(p, name, v, usage+" ("+envName(name)+")")
	}
	dur(&c.SessionExpiry, "session.expiry", 60*time.Second, "session token life")
	dur(&c.SessionRefreshExpiry, "session.refresh_expiry", time.Hour, "refresh token life")
	dur(&c.RequestTimeout, "request.timeout", 10*time.Second, "deadline of one request")
	migrate := true
	if s, ok := os.LookupEnv(envName("migrate")); ok {
		b, e := strconv.ParseBool(s)
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %v", envName("migrate"), e)
		}
		migrate = b
	}
	fs.BoolVar(&c.Migrate, "migrate", migrate, "apply pending migrations at start ("+envName("migrate")+")")
	if err != nil {
		return nil, fs, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, fs, err
	}
	return c, fs, nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		return v
	}
	return def
}

// parseDuration takes Go durations ("90s") or plain seconds ("90").
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// defaultSecrets names the secrets still at their published defaults.
func (c *config) defaultSecrets() []string {
	var out []string
	for _, s := range []struct{ name, v, def string }{
		{"server.key", c.ServerKey, defaultServerKey},
		{"http.key", c.HTTPKey, defaultHTTPKey},
		{"session.key", c.SessionKey, defaultSessionKey},
		{"session.refresh_key", c.SessionRefreshKey, defaultSessionRefreshKey},
	} {
		if s.v == s.def {
			out = append(out, s.name)
		}
	}
	return out
}
