package cluster

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guildhall/guildhall/internal/childserver"
	"github.com/guildhall/guildhall/internal/syncbuf"
)

// PgBouncerOptions adjust a PgBouncer.
type PgBouncerOptions struct {
	// IgnoreStartupParameters is PgBouncer's ignore_startup_parameters: the
	// startup parameters it accepts and drops instead of refusing.
	IgnoreStartupParameters []string
	// PoolSize is default_pool_size, the server connections per database and
	// user (default 8: fewer than Guildhall's client connections, so that
	// transactions of one client connection do move between server ones).
	PoolSize int
}

// PgBouncer is a running pgbouncer.
type PgBouncer struct {
	Port int
	dir  string
	log  *syncbuf.Buffer
}

// StartPgBouncer starts a pgbouncer with pool_mode = transaction on a free
// loopback port in front of the test PostgreSQL: every database name is
// passed through (a fallback "*" entry), every user is trusted. It stops when
// the test ends.
func StartPgBouncer(t testing.TB, o PgBouncerOptions) *PgBouncer {
	t.Helper()
	bin := lookOrInstall(t, "pgbouncer", "pgbouncer")
	admin := Admin(t)
	dir := workDir(t, "guildhall-pgbouncer-")
	if o.PoolSize == 0 {
		o.PoolSize = 8
	}
	user := admin.User.Username()
	if user == "" {
		user = "postgres"
	}
	writeFile(t, filepath.Join(dir, "userlist.txt"), strconv.Quote(user)+` ""`+"\n")
	b := &PgBouncer{dir: dir, log: &syncbuf.Buffer{}}
	for attempt := 0; ; attempt++ {
		b.Port = childserver.FreePort(t)
		ini := strings.Join([]string{
			"[databases]",
			"* = host=" + admin.Hostname() + " port=" + portOf(admin),
			"[pgbouncer]",
			"listen_addr = 127.0.0.1",
			"listen_port = " + strconv.Itoa(b.Port),
			"unix_socket_dir =",
			"auth_type = trust",
			"auth_file = " + filepath.Join(dir, "userlist.txt"),
			"pool_mode = transaction",
			"default_pool_size = " + strconv.Itoa(o.PoolSize),
			"max_client_conn = 2000",
			"ignore_startup_parameters = " + strings.Join(o.IgnoreStartupParameters, ","),
			"pidfile = " + filepath.Join(dir, "pgbouncer.pid"),
			"log_connections = 0",
			"log_disconnections = 0",
			"",
		}, "\n")
		conf := filepath.Join(dir, "pgbouncer.ini")
		writeFile(t, conf, ini)
		cmd := command(t, dir, bin, conf)
		cmd.Stdout, cmd.Stderr = b.log, b.log
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting pgbouncer: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		err := waitPort(b.Port, exited, 15*time.Second)
		if err == nil {
			return b
		}
		// Another process may have taken the port between FreePort and
		// pgbouncer's bind: try another one.
		if attempt < 3 && strings.Contains(b.log.String(), "in use") {
			continue
		}
		t.Fatalf("pgbouncer did not start: %v\n%s", err, b.log.String())
	}
}

// URL is dbURL (a database of the test PostgreSQL, as testdb.Postgres
// returns) through this PgBouncer.
func (b *PgBouncer) URL(dbURL string) string { return WithHostPort(dbURL, b.Port) }

// Log is what pgbouncer wrote so far.
func (b *PgBouncer) Log() string { return b.log.String() }
