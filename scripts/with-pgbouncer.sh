#!/usr/bin/env bash
# with-pgbouncer.sh CMD [ARGS...]
#
# Runs CMD with DATABASE_URL pointing through a throwaway PgBouncer in
# transaction pooling mode in front of the PostgreSQL of $DATABASE_URL (which
# must be set: `make test` sets it): every database name passes through, every
# user is trusted, 8 server connections per database. PgBouncer runs as the
# postgres user when we are root (it refuses to run as root) and is stopped
# and removed when CMD ends. Debian's pgbouncer package is installed when the
# program is missing and we are root; otherwise this fails (never skips).
#
# The exit status is CMD's.
set -euo pipefail

me="with-pgbouncer"
log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ $# -gt 0 ]] || die "usage: $0 COMMAND [ARGS...]"
[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set (run through scripts/with-postgres.sh)"

bin=$(command -v pgbouncer 2>/dev/null || true)
[[ -n "$bin" || ! -x /usr/sbin/pgbouncer ]] || bin=/usr/sbin/pgbouncer
if [[ -z "$bin" ]]; then
	[[ $(id -u) -eq 0 ]] || die "pgbouncer is missing and this is not root: apt-get install pgbouncer"
	log "installing the pgbouncer package with apt-get"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer; } >&2 ||
		die "could not install pgbouncer"
	bin=$(command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer)
	[[ -x "$bin" ]] || die "pgbouncer is still missing after apt-get install"
fi

# postgres://user[:password]@host[:port]/db?params
rest=${DATABASE_URL#*://}
auth=${rest%%@*}
[[ "$auth" != "$rest" ]] || auth=""
hostpart=${rest#*@}
hostport=${hostpart%%/*}
tail=${hostpart#"$hostport"}
host=${hostport%%:*}
port=5432
[[ "$hostport" != *:* ]] || port=${hostport##*:}
user=${auth%%:*}
[[ -n "$user" ]] || user=postgres

as_root=0
[[ $(id -u) -ne 0 ]] || as_root=1
dir=$(mktemp -d /tmp/guildhall-pgbouncer.XXXXXX)
pid=""
cleanup() {
	local status=$?
	if [[ -n "$pid" ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf -- "$dir"
	return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '"%s" ""\n' "$user" >"$dir/userlist.txt"
listen=""
for ((p = 56432; p < 56432 + 200; p++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
	cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $p
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 8
max_client_conn = 2000
log_connections = 0
log_disconnections = 0
INI
	[[ $as_root -eq 0 ]] || chown -R postgres: "$dir"
	if [[ $as_root -eq 1 ]]; then
		"$bin" -u postgres "$dir/pgbouncer.ini" >"$dir/log" 2>&1 &
	else
		"$bin" "$dir/pgbouncer.ini" >"$dir/log" 2>&1 &
	fi
	pid=$!
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { listen=$p; break 2; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; }
	pid=""
	grep -q 'in use' "$dir/log" || { cat "$dir/log" >&2; die "pgbouncer did not start"; }
done
[[ -n "$listen" ]] || die "could not find a free port for pgbouncer"

prefix=""
[[ -z "$auth" ]] || prefix="$auth@"
export DATABASE_URL="postgres://${prefix}127.0.0.1:$listen$tail"
log "PgBouncer (transaction pooling) on 127.0.0.1:$listen in front of $host:$port"
status=0
"$@" || status=$?
exit "$status"
