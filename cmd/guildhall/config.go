package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/guildhall/guildhall/server"
)

// options are the server's settings plus the command's own (logging).
type options struct {
	server.Config
	LogLevel   string
	LogFormat  string
	Env        string // KEY=VALUE,… for the scripts' ctx.env
	Categories string // name=limit,… (server.ParseCategories)
}

// envName is a flag's environment variable: GUILDHALL_ and the flag name
// upper-cased, dots and dashes as underscores.
func envName(flagName string) string {
	r := strings.NewReplacer(".", "_", "-", "_")
	return "GUILDHALL_" + strings.ToUpper(r.Replace(flagName))
}

// parseConfig reads flags from args over environment variables over defaults.
func parseConfig(name string, args []string) (*options, error) {
	o, fs, err := newFlagSet(name)
	if err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	env, err := parseEnv(o.Env)
	if err != nil {
		return nil, err
	}
	o.Config.RuntimeEnv = env
	if o.Config.GroupCategories, err = server.ParseCategories(o.Categories); err != nil {
		return nil, err
	}
	return o, nil
}

// Defaults of the command's own settings; the server's are server.DefaultConfig.
const (
	defaultLogLevel  = "info"
	defaultLogFormat = "text"
)

// newFlagSet defines every flag over options holding server.DefaultConfig (the
// one place defaults live) overridden by the environment. Each flag's default
// is its value after the environment, as the usage text shows it.
func newFlagSet(name string) (*options, *flag.FlagSet, error) {
	o := &options{Config: server.DefaultConfig(), LogLevel: defaultLogLevel, LogFormat: defaultLogFormat}
	c := &o.Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var envErr error
	lookup := func(name string) (string, bool) { return os.LookupEnv(envName(name)) }
	usage := func(name, text string) string { return text + " (" + envName(name) + ")" }
	str := func(p *string, name, text string) {
		if v, ok := lookup(name); ok {
			*p = v
		}
		fs.StringVar(p, name, *p, usage(name, text))
	}
	num := func(p *int, name, text string) {
		if v, ok := lookup(name); ok {
			n, err := strconv.Atoi(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %v", envName(name), err)
			}
			*p = n
		}
		fs.IntVar(p, name, *p, usage(name, text))
	}
	dur := func(p *time.Duration, name, text string) {
		if v, ok := lookup(name); ok {
			d, err := parseDuration(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %v", envName(name), err)
			}
			*p = d
		}
		fs.Var((*durationValue)(p), name, usage(name, text))
	}
	size := func(p *int64, name, text string) {
		if v, ok := lookup(name); ok {
			n, err := parseSize(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %v", envName(name), err)
			}
			*p = n
		}
		fs.Var((*sizeValue)(p), name, usage(name, text))
	}
	boolean := func(p *bool, name, text string) {
		if v, ok := lookup(name); ok {
			b, err := strconv.ParseBool(v)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %v", envName(name), err)
			}
			*p = b
		}
		fs.BoolVar(p, name, *p, usage(name, text))
	}
	float := func(p *float64, name, text string) {
		if v, ok := lookup(name); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %v", envName(name), err)
			}
			*p = f
		}
		fs.Float64Var(p, name, *p, usage(name, text))
	}
	list := func(p *[]string, name, text string) {
		if v, ok := lookup(name); ok {
			*p = splitList(v)
		}
		fs.Var((*listValue)(p), name, usage(name, text))
	}
	str(&c.Listen, "listen", "HTTP listen address")
	str(&c.DatabaseURL, "database.url", "postgres://… URL; empty uses embedded SQLite in --data.dir")
	str(&c.DataDir, "data.dir", "directory of the embedded SQLite database")
	num(&c.DatabaseMaxConns, "database.max_conns", "PostgreSQL connection pool size")
	str(&c.DatabaseListenURL, "database.listen_url", "direct (not transaction-pooled) PostgreSQL URL of the realtime LISTEN/NOTIFY bus; empty uses --database.url")
	str(&c.DatabaseReadURL, "database.read_url", "PostgreSQL streaming replica the group listings read from; empty reads the primary")
	str(&c.DatabasePooler, "database.pooler", "what is between Guildhall and PostgreSQL: auto (detects PgBouncer), none, or transaction (a transaction-pooling proxy)")
	boolean(&c.Migrate, "migrate", "apply pending migrations at start")
	str(&c.RuntimePath, "runtime.path", "directory of JavaScript (index.js) and Lua (*.lua) modules")
	num(&c.RuntimePoolSize, "runtime.pool_size", "script VMs per language")
	dur(&c.RuntimeCallTimeout, "runtime.call_timeout", "deadline of one script call")
	size(&c.RuntimeMaxCallMemory, "runtime.max_call_memory", "heap growth one script call may cause before it is stopped (bytes, or KiB/MiB/GiB; -1 is off)")
	boolean(&c.RuntimeWatch, "runtime.watch", "reload the modules when a file of the runtime path changes (SIGHUP always reloads)")
	str(&o.Env, "runtime.env", "KEY=VALUE,… pairs scripts see as ctx.env")
	str(&c.ServerKey, "server.key", "server key clients authenticate with (Basic user)")
	str(&c.HTTPKey, "http.key", "http key of server-to-server calls")
	str(&c.SessionKey, "session.key", "HS256 key of session tokens")
	str(&c.SessionRefreshKey, "session.refresh_key", "HS256 key of refresh tokens")
	dur(&c.SessionExpiry, "session.expiry", "session token life")
	dur(&c.SessionRefreshExpiry, "session.refresh_expiry", "refresh token life")
	dur(&c.SessionPurgeInterval, "session.purge_interval", "how often expired sessions are deleted from the database; negative is off")
	dur(&c.RequestTimeout, "request.timeout", "deadline of one request")
	dur(&c.GroupJoinRequestNotifyWindow, "group.join_request_notify_window",
		"at most one join request notification per requester and group within this window; 0 is off")
	boolean(&c.GroupsEnabled, "groups.enabled", "serve the group routes and nk group calls; false answers them 403")
	str(&o.Categories, "groups.categories", "name=limit,… group categories and the most groups of each a user may be a member of (0 unlimited)")
	dur(&c.GroupInvitationTTL, "groups.invitation_ttl", "how long an invitation without expires_in_sec stays pending")
	num(&c.HTTPConcurrency, "http.concurrency", "connections served at once; over it new ones get 503")
	num(&c.HTTPMaxConnsPerIP, "http.max_conns_per_ip", "open connections per client IP; 0 is unlimited")
	list(&c.HTTPTrustedProxies, "http.trusted_proxies",
		"comma-separated IPs or CIDR networks of proxies whose X-Forwarded-For is believed; empty believes none")
	float(&c.RateLimitAuthRate, "ratelimit.auth_rate", "authenticate requests per second per client IP; 0 is off")
	num(&c.RateLimitAuthBurst, "ratelimit.auth_burst", "authenticate requests one client IP may send at once")
	float(&c.RateLimitGroupRate, "ratelimit.group_rate", "group mutations per second per user; 0 is off")
	num(&c.RateLimitGroupBurst, "ratelimit.group_burst", "group mutations one user may send at once")
	str(&c.MetricsListen, "metrics.listen", "listen address of the Prometheus /metrics endpoint; empty is off")
	str(&c.ConsoleUsername, "console.username", "user name of the admin console (/console)")
	str(&c.ConsolePassword, "console.password", "password of the admin console; empty turns the console off")
	boolean(&c.AuditEnabled, "audit.enabled", "write an audit log entry in every committed group operation's transaction")
	dur(&c.AuditRetention, "audit.retention", "audit entries older than this are purged; 0 keeps them forever")
	dur(&c.AuditPurgeInterval, "audit.purge_interval", "how often audit entries past the retention are deleted")
	dur(&c.IdempotencyTTL, "idempotency.ttl", "how long the answer to a request with an Idempotency-Key is kept for retries")
	str(&c.PProf, "pprof", "listen address of net/http/pprof (e.g. 127.0.0.1:6060); empty is off")
	str(&o.LogLevel, "log.level", "debug, info, warn or error")
	str(&o.LogFormat, "log.format", "text or json")
	boolean(&c.AccessLog, "log.access", "one info line per request (method, route, status, duration, user id)")
	return o, fs, envErr
}

// durationValue is a duration flag taking parseDuration's syntax; its String
// is the default the usage text shows.
type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	*d = durationValue(v)
	return err
}

func (d *durationValue) String() string {
	if d == nil {
		return "0s"
	}
	return time.Duration(*d).String()
}

// listValue is a comma-separated list flag.
type listValue []string

func (l *listValue) Set(s string) error {
	*l = splitList(s)
	return nil
}

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// sizeValue is a byte count flag taking parseSize's syntax.
type sizeValue int64

func (n *sizeValue) Set(s string) error {
	v, err := parseSize(s)
	*n = sizeValue(v)
	return err
}

func (n *sizeValue) String() string {
	if n == nil {
		return "0"
	}
	return strconv.FormatInt(int64(*n), 10)
}

// explainConfig names the flag and environment variable of a setting the server
// refused, so the message says what to change.
func explainConfig(err error) error {
	var ce *server.ConfigError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w (set with --%s or %s)", err, ce.Setting, envName(ce.Setting))
	}
	return err
}

// parseDuration takes Go durations ("90s") or plain seconds ("90").
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// parseSize takes a byte count with an optional KiB, MiB or GiB suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.n
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KiB, MiB or GiB)", s)
	}
	return n * mult, nil
}

func parseEnv(s string) (map[string]string, error) {
	env := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("runtime.env: %q is not KEY=VALUE", kv)
		}
		env[k] = v
	}
	return env, nil
}
