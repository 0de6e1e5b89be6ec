// Package cluster starts, for tests, the PostgreSQL pieces of a deployment
// of several Guildhall nodes around the test PostgreSQL (DATABASE_URL): a
// PgBouncer in transaction pooling mode, and a streaming replica made with
// pg_basebackup -R. Both are real processes, stopped and removed when the
// test ends. As root they run as the postgres user (neither runs as root),
// and a missing pgbouncer is installed with apt-get; when that cannot be
// done the test fails, it never skips.
package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/guildhall/guildhall/internal/testdb"
)

// Admin is the test PostgreSQL's admin URL (DATABASE_URL), parsed.
func Admin(t testing.TB) *url.URL {
	t.Helper()
	raw := os.Getenv(testdb.EnvVar)
	if raw == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which finds or starts PostgreSQL")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("DATABASE_URL must be a postgres://user@host:port/db URL, got %q", raw)
	}
	return u
}

// WithHostPort is u (a database URL) pointing at 127.0.0.1:port instead.
func WithHostPort(u string, port int) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	p.Host = "127.0.0.1:" + strconv.Itoa(port)
	return p.String()
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return "5432"
}

// runAs is the account the PostgreSQL programs run as: postgres when we are
// root, else ourselves (nil).
func runAs(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, but there is no postgres user to run PgBouncer and PostgreSQL as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// command is exec.Command run as runAs, from dir.
func command(t testing.TB, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if c := runAs(t); c != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c}
	}
	return cmd
}

// workDir is a fresh directory under the system temp directory (t.TempDir's
// parents are private to us) owned by the account the programs run as,
// removed when the test ends.
func workDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if c := runAs(t); c != nil {
		if err := os.Chown(dir, int(c.Uid), int(c.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeFile writes a file of dir readable by the account the programs run as.
func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := runAs(t); c != nil {
		if err := os.Chown(path, int(c.Uid), int(c.Gid)); err != nil {
			t.Fatal(err)
		}
	}
}

// waitPort waits until something accepts TCP connections on 127.0.0.1:port,
// or the process ends (exited is closed).
func waitPort(port int, exited <-chan struct{}, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process ended")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Query runs one statement on url and scans its one row into dest (none:
// the statement returns no row); an error fails the test.
func Query(t testing.TB, url, query string, dest ...any) {
	t.Helper()
	if err := TryQuery(url, query, dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TryQuery is Query returning the error.
func TryQuery(url, query string, dest ...any) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(dest) == 0 {
		_, err = db.ExecContext(ctx, query)
		return err
	}
	return db.QueryRowContext(ctx, query).Scan(dest...)
}

var aptMu sync.Mutex

// lookOrInstall finds program (PATH, then /usr/sbin and /usr/bin, where
// Debian puts pgbouncer) and installs the Debian package pkg when it is
// missing and we are root; else the test fails.
func lookOrInstall(t testing.TB, program, pkg string) string {
	t.Helper()
	find := func() string {
		if p, err := exec.LookPath(program); err == nil {
			return p
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin"} {
			if p := filepath.Join(d, program); isExec(p) {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	aptMu.Lock()
	defer aptMu.Unlock()
	if p := find(); p != "" {
		return p
	}
	if os.Geteuid() != 0 {
		t.Fatalf("%s is missing and this is not root: apt-get install %s", program, pkg)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Fatalf("%s is missing and there is no apt-get to install the %s package with", program, pkg)
	}
	t.Logf("apt-get install %s", pkg)
	out, err := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "+pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("apt-get install %s: %v\n%s", pkg, err, out)
	}
	if p := find(); p != "" {
		return p
	}
	t.Fatalf("apt-get installed %s, but %s is still not found", pkg, program)
	return ""
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
