package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/guildhall/guildhall/internal/childserver"
)

// Replica is a streaming replica of the test PostgreSQL.
type Replica struct {
	Port   int
	dir    string
	bindir string
	t      testing.TB
	up     bool
}

// StartReplica copies the test PostgreSQL with pg_basebackup -R (which
// writes standby.signal and primary_conninfo) into a temporary directory and
// starts it as a hot standby on a free loopback port, streaming from the
// primary. Databases created before the call are on it; later changes arrive
// by replication. It is stopped and removed when the test ends. The primary
// must allow replication connections from 127.0.0.1 (a cluster made by
// initdb does: wal_level replica, and trust lines for replication in its
// pg_hba.conf).
func StartReplica(t testing.TB) *Replica {
	t.Helper()
	admin := Admin(t)
	primary := admin.String()
	// A hot standby refuses to start with less of these than its primary.
	var version, maxConns, maxWorkers, maxSenders, maxPrepared, maxLocks int
	Query(t, primary, `SELECT current_setting('server_version_num')::int, current_setting('max_connections')::int,
		current_setting('max_worker_processes')::int, current_setting('max_wal_senders')::int,
		current_setting('max_prepared_transactions')::int, current_setting('max_locks_per_transaction')::int`,
		&version, &maxConns, &maxWorkers, &maxSenders, &maxPrepared, &maxLocks)
	bindir := serverBin(t, version/10000)
	dir := workDir(t, "guildhall-replica-")
	data := filepath.Join(dir, "data")
	user := admin.User.Username()
	if user == "" {
		user = "postgres"
	}
	r := &Replica{dir: dir, bindir: bindir, t: t}
	backup := command(t, dir, filepath.Join(bindir, "pg_basebackup"), "-h", admin.Hostname(), "-p", portOf(admin),
		"-U", user, "-D", data, "-R", "-X", "stream", "-c", "fast", "--no-sync")
	if pw, ok := admin.User.Password(); ok {
		backup.Env = append(os.Environ(), "PGPASSWORD="+pw)
	}
	if out, err := backup.CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup from %s (the test PostgreSQL must allow replication connections): %v\n%s",
			admin.Redacted(), err, out)
	}
	// A packaged cluster keeps its configuration outside the data directory:
	// the copy then has none, and needs none but these.
	for _, f := range []string{"postgresql.conf", "pg_ident.conf"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			writeFile(t, filepath.Join(data, f), "")
		}
	}
	writeFile(t, filepath.Join(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n")
	t.Cleanup(r.Stop)
	for attempt := 0; ; attempt++ {
		r.Port = childserver.FreePort(t)
		opts := strings.Join([]string{
			"-c port=" + strconv.Itoa(r.Port), "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=" + dir,
			"-c hot_standby=on", "-c fsync=off", "-c shared_buffers=32MB",
			"-c max_connections=" + strconv.Itoa(maxConns), "-c max_worker_processes=" + strconv.Itoa(maxWorkers),
			"-c max_wal_senders=" + strconv.Itoa(maxSenders), "-c max_prepared_transactions=" + strconv.Itoa(maxPrepared),
			"-c max_locks_per_transaction=" + strconv.Itoa(maxLocks),
		}, " ")
		logFile := filepath.Join(dir, "postgres.log")
		start := command(t, dir, filepath.Join(bindir, "pg_ctl"), "start", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts)
		out, err := start.CombinedOutput()
		if err == nil {
			r.up = true
			return r
		}
		log, _ := os.ReadFile(logFile)
		if attempt < 3 && strings.Contains(string(log), "already in use") {
			continue
		}
		t.Fatalf("starting the replica: %v\n%s\n%s", err, out, log)
	}
}

// URL is dbURL (a database of the test PostgreSQL) on the replica.
func (r *Replica) URL(dbURL string) string { return WithHostPort(dbURL, r.Port) }

// Stop stops the replica at once (immediate shutdown: as if it crashed).
func (r *Replica) Stop() {
	if !r.up {
		return
	}
	r.up = false
	cmd := command(r.t, r.dir, filepath.Join(r.bindir, "pg_ctl"), "stop", "-D", filepath.Join(r.dir, "data"), "-m", "immediate", "-w", "-t", "30")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Errorf("stopping the replica: %v\n%s", err, out)
	}
}

// serverBin is the bin directory of PostgreSQL's server programs of a major
// version (a replica needs the primary's).
func serverBin(t testing.TB, major int) string {
	t.Helper()
	cands := []string{fmt.Sprintf("/usr/lib/postgresql/%d/bin", major), fmt.Sprintf("/usr/pgsql-%d/bin", major)}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			cands = append(cands, filepath.Dir(p))
		}
	}
	for _, d := range cands {
		out, err := exec.Command(filepath.Join(d, "pg_ctl"), "--version").Output()
		if err == nil && strings.Contains(string(out), " "+strconv.Itoa(major)+".") && isExec(filepath.Join(d, "pg_basebackup")) {
			return d
		}
	}
	t.Fatalf("no PostgreSQL %d server programs (pg_ctl, pg_basebackup) found in %v", major, cands)
	return ""
}
