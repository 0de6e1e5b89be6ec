#!/usr/bin/env bash
# bench.sh: `make bench`. Builds cmd/guildhall and cmd/guildhall-bench, then for
# each database (PostgreSQL, then SQLite) starts a fresh Guildhall on a fresh
# database, runs guildhall-bench against it with the server's CPU (and, on
# PostgreSQL, the database's: see BENCH_PID_PATTERN) sampled per window, prints
# the table and the server's RSS after the run, and stops
# everything it started. PostgreSQL comes from scripts/with-postgres.sh
# ($DATABASE_URL, else 127.0.0.1:5432, else a throwaway cluster).
#
# Environment (all optional):
#   BENCH_DBS          databases to run, comma list of postgres,sqlite (default both)
#   BENCH_FLAGS        extra guildhall-bench flags, e.g. "-d 5s -runs 1 -scenarios mixed"
#   BENCH_PID_PATTERN  -pid-pattern on PostgreSQL instead of the default (the bench
#                      database's name, plus the postmaster and its auxiliary processes
#                      by pid); "postgres" counts every PostgreSQL on the machine
#   BENCH_SERVER_FLAGS extra guildhall flags, e.g. "--pprof 127.0.0.1:6060"
#   BENCH_OUT          directory for the tables and logs (default a temporary one, kept)
#
# Sessions keep Guildhall's default 60 s life: the bench renews them between
# windows (10 s windows never need a renewal inside one), so no longer
# --session.expiry is needed.
#
# Exit status: 0 when every run had no error and no consistency mismatch.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
me=bench

log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------------------
# Inner mode: one database, one server, one bench run.
#   bench.sh __run postgres|sqlite BINDIR OUTDIR
if [[ "${1:-}" == "__run" ]]; then
	dialect=$2 bindir=$3 out=$4
	read -r -a bench_flags <<<"${BENCH_FLAGS:-}"
	read -r -a server_flags <<<"${BENCH_SERVER_FLAGS:-}"

	server_pid=""
	dbname=""
	psql=""
	datadir=""
	modules=""
	cleanup() {
		local status=$?
		trap - EXIT INT TERM HUP
		if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
			kill -TERM "$server_pid" 2>/dev/null || true
			for _ in $(seq 1 100); do
				kill -0 "$server_pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$server_pid" 2>/dev/null || true
		fi
		if [[ -n "$dbname" ]]; then
			"$psql" "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS \"$dbname\" WITH (FORCE)" >/dev/null 2>&1 ||
				log "warning: could not drop database $dbname"
		fi
		if [[ -n "$datadir" ]]; then
			rm -rf -- "$datadir"
		fi
		if [[ -n "$modules" ]]; then
			rm -rf -- "$modules"
		fi
		return "$status"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	db_flags=()
	cpu_flags=()
	aux_pids=""
	case "$dialect" in
	postgres)
		[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set (run through scripts/with-postgres.sh)"
		psql=$(command -v psql 2>/dev/null || true)
		if [[ -z "$psql" ]]; then
			shopt -s nullglob
			for p in /usr/lib/postgresql/*/bin/psql /usr/pgsql-*/bin/psql /usr/local/pgsql/bin/psql; do psql=$p; done
			shopt -u nullglob
		fi
		[[ -n "$psql" ]] || die "psql not found (needed to create the bench database)"
		dbname="guildhall_bench_$(date +%s)_$$"
		"$psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 \
			-c "CREATE DATABASE \"$dbname\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null 2>&1 ||
			"$psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$dbname\"" >/dev/null ||
			die "could not create database $dbname"
		# DATABASE_URL with the database name replaced (keeps user, host, port, query).
		url=$(printf '%s' "$DATABASE_URL" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\\1/$dbname#")
		if [[ "$url" != *"/$dbname"* ]]; then
			url="${DATABASE_URL%%\?*}"
			url="${url%/}/$dbname"
			[[ "$DATABASE_URL" == *\?* ]] && url+="?${DATABASE_URL#*\?}"
		fi
		db_flags=(--database.url "$url")
		# PostgreSQL's CPU: every process whose command line names the bench
		# database (its backends and autovacuum workers: "postgres: user db …"),
		# plus, when the cluster is local and its data directory readable, the
		# postmaster and its auxiliary processes (WAL writer, checkpointer, …).
		# A plain "postgres" pattern would also count any other PostgreSQL busy
		# on this machine (other test runs), so it is only used when asked for.
		if [[ -n "${BENCH_PID_PATTERN:-}" ]]; then
			cpu_flags=(-pid-pattern "$BENCH_PID_PATTERN")
		else
			cpu_flags=(-pid-pattern "$dbname")
			pgdata=$("$psql" "$url" -X -A -t -q -c "SHOW data_directory" 2>/dev/null || true)
			postmaster=""
			if [[ -n "$pgdata" && -r "$pgdata/postmaster.pid" ]]; then
				postmaster=$(head -n 1 "$pgdata/postmaster.pid")
			fi
			if [[ -n "$postmaster" && -r "/proc/$postmaster/stat" ]]; then
				aux_pids=$postmaster
				while read -r pid cmd; do
					case "$cmd" in
					*checkpointer* | *"background writer"* | *walwriter* | *"autovacuum launcher"* | *"logical replication launcher"*)
						aux_pids+=",$pid"
						;;
					esac
				done < <(ps --ppid "$postmaster" -o pid=,args= 2>/dev/null)
			else
				log "PostgreSQL's data directory is not readable here: counting its backends only"
			fi
		fi
		;;
	sqlite)
		datadir=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench-sqlite.XXXXXX")
		db_flags=(--database.url "" --data.dir "$datadir")
		;;
	*) die "unknown database $dialect" ;;
	esac

	# A free loopback port.
	port=""
	for ((p = 17350; p < 17350 + 200; p++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			port=$p
			break
		fi
	done
	[[ -n "$port" ]] || die "no free port"
	# An empty runtime path: no script hooks (the hook rows are measured separately).
	modules=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench-modules.XXXXXX")

	"$bindir/guildhall" serve --listen "127.0.0.1:$port" "${db_flags[@]}" --runtime.path "$modules" \
		--log.level warn "${server_flags[@]}" >"$out/server-$dialect.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			break
		fi
		kill -0 "$server_pid" 2>/dev/null || {
			cat "$out/server-$dialect.log" >&2
			die "guildhall exited at start"
		}
		sleep 0.1
	done
	log "$dialect: guildhall pid $server_pid on 127.0.0.1:$port; load average $(cut -d' ' -f1-3 /proc/loadavg)"

	status=0
	pids=$server_pid
	if [[ -n "${aux_pids:-}" ]]; then
		pids+=",$aux_pids"
	fi
	"$bindir/guildhall-bench" -url "http://127.0.0.1:$port" -pid "$pids" "${cpu_flags[@]}" \
		-label "guildhall $dialect ($(nproc) CPUs)" "${bench_flags[@]}" >"$out/$dialect.txt" 2>"$out/bench-$dialect.log" || status=$?
	rss=$(awk '/^VmRSS/ {print $2, $3}' "/proc/$server_pid/status" 2>/dev/null || echo "?")
	hwm=$(awk '/^VmHWM/ {print $2, $3}' "/proc/$server_pid/status" 2>/dev/null || echo "?")
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	cat "$out/$dialect.txt"
	if [[ $status -ne 0 ]]; then
		tail -n 20 "$out/bench-$dialect.log" >&2
	fi
	echo "server RSS after the run: $rss (peak $hwm); load average $load"
	echo "$rss" >"$out/$dialect.rss"
	exit "$status"
fi

# ---------------------------------------------------------------------------
# Outer mode.
IFS=, read -r -a dbs <<<"${BENCH_DBS:-postgres,sqlite}"
out=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench.XXXXXX")}
mkdir -p "$out"
bindir="$out/bin"
mkdir -p "$bindir"
log "building into $bindir"
go build -o "$bindir/" ./cmd/guildhall ./cmd/guildhall-bench

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for db in "${dbs[@]}"; do
	echo
	echo "=== $db ==="
	case "$db" in
	postgres) "$root/scripts/with-postgres.sh" "$root/scripts/bench.sh" __run postgres "$bindir" "$out" || status=1 ;;
	sqlite) "$root/scripts/bench.sh" __run sqlite "$bindir" "$out" || status=1 ;;
	*) die "unknown database $db in BENCH_DBS (postgres, sqlite)" ;;
	esac
done
echo
echo "results and logs: $out"
exit "$status"
