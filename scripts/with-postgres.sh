#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]
#
# Runs CMD with DATABASE_URL exported, pointing at a PostgreSQL connection the
# caller may use as an administrator (CREATE DATABASE / DROP DATABASE).
#
# Resolution order:
#   1. DATABASE_URL already set: used as is.
#   2. A PostgreSQL accepting queries on 127.0.0.1:5432: used as
#      postgres://${PGUSER:-postgres}[:$PGPASSWORD]@127.0.0.1:5432/postgres?sslmode=disable
#   3. Otherwise a throwaway cluster is created in a temporary directory,
#      started on a free port, and stopped and removed when CMD ends (or when
#      this script is interrupted). If no PostgreSQL binaries are found and we
#      are root on a system with apt-get, the postgresql package is installed.
#
# The exit status is CMD's.
set -euo pipefail

me="with-postgres"

log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if [[ $# -eq 0 ]]; then
	die "usage: $0 COMMAND [ARGS...]"
fi

# urlencode STRING: percent-encodes everything but RFC 3986 unreserved chars.
urlencode() {
	local s="$1" out="" c i
	local LC_ALL=C
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[a-zA-Z0-9.~_-]) out+="$c" ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

# find_pg_bindir: prints the directory holding initdb and pg_ctl, preferring
# PATH, then the newest /usr/lib/postgresql/<version>/bin. Fails if none.
find_pg_bindir() {
	local initdb pgctl d
	initdb=$(command -v initdb 2>/dev/null || true)
	pgctl=$(command -v pg_ctl 2>/dev/null || true)
	if [[ -n "$initdb" && -n "$pgctl" ]]; then
		# Resolve symlinks (e.g. /usr/local/bin/initdb -> .../15/bin/initdb) so
		# that initdb finds the matching postgres binary and share directory.
		initdb=$(readlink -f "$initdb" 2>/dev/null || printf '%s' "$initdb")
		d=$(dirname "$initdb")
		if [[ -x "$d/pg_ctl" ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	fi
	local dirs=()
	shopt -s nullglob
	dirs=(/usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin)
	shopt -u nullglob
	[[ ${#dirs[@]} -gt 0 ]] || return 1
	while IFS= read -r d; do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			printf '%s\n' "$d"
			return 0
		fi
	done < <(printf '%s\n' "${dirs[@]}" | sort -V -r)
	return 1
}

# find_client NAME: prints the path of a PostgreSQL client program (psql,
# pg_isready), from PATH or from a server bin directory.
find_client() {
	local p d
	if p=$(command -v "$1" 2>/dev/null); then
		printf '%s\n' "$p"
		return 0
	fi
	if d=$(find_pg_bindir) && [[ -x "$d/$1" ]]; then
		printf '%s\n' "$d/$1"
		return 0
	fi
	return 1
}

run_cmd() {
	local status=0
	"$@" || status=$?
	exit "$status"
}

# ---------------------------------------------------------------------------
# 1. DATABASE_URL from the environment.
if [[ -n "${DATABASE_URL:-}" ]]; then
	log "using PostgreSQL from the DATABASE_URL environment variable"
	export DATABASE_URL
	run_cmd "$@"
fi

# ---------------------------------------------------------------------------
# 2. A server already listening on 127.0.0.1:5432.
if isready=$(find_client pg_isready) &&
	"$isready" -q -h 127.0.0.1 -p 5432 -t 3 >/dev/null 2>&1; then
	user="${PGUSER:-postgres}"
	auth=$(urlencode "$user")
	if [[ -n "${PGPASSWORD:-}" ]]; then
		auth+=":$(urlencode "$PGPASSWORD")"
	fi
	url="postgres://${auth}@127.0.0.1:5432/postgres?sslmode=disable"
	ok=0
	if psql=$(find_client psql); then
		if PGCONNECT_TIMEOUT=5 "$psql" "$url" -X -A -t -q -c 'select 1' >/dev/null 2>&1; then
			ok=1
		else
			log "PostgreSQL on 127.0.0.1:5432 does not accept queries as user '$user'; starting a throwaway cluster instead"
		fi
	else
		# No psql to check with: trust pg_isready.
		ok=1
	fi
	if [[ $ok -eq 1 ]]; then
		log "using PostgreSQL already running on 127.0.0.1:5432 (user $user)"
		export DATABASE_URL="$url"
		run_cmd "$@"
	fi
fi

# ---------------------------------------------------------------------------
# 3. A throwaway cluster.
if ! bindir=$(find_pg_bindir); then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		log "no PostgreSQL binaries found; installing the postgresql package with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null 2>&1 || log "warning: apt-get update failed"
		apt-get install -y -qq postgresql >/dev/null 2>&1 || log "warning: apt-get install postgresql failed"
	fi
	bindir=$(find_pg_bindir) ||
		die "no PostgreSQL found: set DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or install the postgresql package"
fi

as_root=0
if [[ $(id -u) -eq 0 ]]; then
	as_root=1
	id postgres >/dev/null 2>&1 ||
		die "running as root but there is no 'postgres' user to run the PostgreSQL server as (create one, or run as a normal user)"
fi

# pg RUN...: runs a PostgreSQL server program, as postgres when we are root.
# It runs from the cluster directory so that it never needs access to our cwd.
pg() {
	if [[ $as_root -eq 1 ]]; then
		if command -v runuser >/dev/null 2>&1; then
			(cd "$tmpdir" && runuser -u postgres -- "$@")
		else
			local q
			printf -v q '%q ' "$@"
			(cd "$tmpdir" && su postgres -s /bin/sh -c "$q")
		fi
	else
		(cd "$tmpdir" && "$@")
	fi
}

tmpdir=""
pgdata=""
started=0
cleanup() {
	local status=$?
	trap - EXIT INT TERM HUP
	if [[ $started -eq 1 ]]; then
		pg "$bindir/pg_ctl" stop -D "$pgdata" -m fast -w -t 60 >/dev/null 2>&1 ||
			pg "$bindir/pg_ctl" stop -D "$pgdata" -m immediate -w -t 30 >/dev/null 2>&1 ||
			log "warning: could not stop the PostgreSQL cluster in $pgdata"
		started=0
	fi
	if [[ -n "$tmpdir" && -d "$tmpdir" ]]; then
		rm -rf -- "$tmpdir"
	fi
	return "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A temporary directory the postgres user can reach (every parent must be
# searchable by it; fall back to /tmp if $TMPDIR is not).
tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-pg.XXXXXX")
if [[ $as_root -eq 1 ]]; then
	chown postgres: "$tmpdir"
	if ! runuser -u postgres -- test -w "$tmpdir" 2>/dev/null; then
		rm -rf -- "$tmpdir"
		tmpdir=$(mktemp -d /tmp/guildhall-pg.XXXXXX)
		chown postgres: "$tmpdir"
	fi
fi
pgdata="$tmpdir/data"
pglog="$tmpdir/postgres.log"

initdb_args=(-D "$pgdata" --auth=trust -U postgres --encoding=UTF8 --no-sync)
if ! pg "$bindir/initdb" "${initdb_args[@]}" --locale=C.UTF-8 >"$tmpdir/initdb.log" 2>&1; then
	rm -rf -- "$pgdata"
	if ! pg "$bindir/initdb" "${initdb_args[@]}" --locale=C >"$tmpdir/initdb.log" 2>&1; then
		cat "$tmpdir/initdb.log" >&2
		die "initdb failed (see above)"
	fi
fi

# port_in_use PORT: whether something listens on (or connects at) PORT.
port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

port=""
for ((p = 54329; p < 54329 + 200; p++)); do
	port_in_use "$p" && continue
	: >"$pglog"
	if [[ $as_root -eq 1 ]]; then
		chown postgres: "$pglog"
	fi
	opts="-c listen_addresses=127.0.0.1 -c port=$p -c unix_socket_directories='$tmpdir'"
	opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	opts+=" -c max_connections=300 -c shared_buffers=256MB"
	if pg "$bindir/pg_ctl" start -D "$pgdata" -l "$pglog" -w -t 120 -o "$opts" >/dev/null 2>&1; then
		port=$p
		started=1
		break
	fi
	# Lost a race for the port: try the next one. Anything else is fatal.
	if grep -qiE 'address already in use|could not create any TCP/IP sockets' "$pglog"; then
		continue
	fi
	cat "$pglog" >&2
	die "could not start PostgreSQL (see the server log above)"
done
[[ -n "$port" ]] || die "could not find a free TCP port for PostgreSQL"

version=$("$bindir/postgres" --version 2>/dev/null | awk '{print $3}' || true)
log "started throwaway PostgreSQL ${version} on 127.0.0.1:$port (data in $tmpdir, removed on exit)"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

status=0
"$@" || status=$?
exit "$status"
