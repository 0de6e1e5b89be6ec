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
# Every node runs with the rate limits off (--ratelimit.auth_rate 0
# --ratelimit.group_rate 0): the bench authenticates all its users from
# 127.0.0.1 and sends many mutations per user, which the defaults would
# throttle. Each node's metrics listener gets a free port (logged).
#
# Sessions keep Guildhall's default 60 s life: the bench renews them between
# windows (10 s windows never need a renewal inside one), so no longer
# --session.expiry is needed.
#
# `make bench-hooks` (bench.sh hooks) measures the cost of a script hook
# instead: ONE fresh PostgreSQL database, TWO Guildhall nodes on it, A with an
# empty runtime path and B with examples/bouncer.js (a before-hook on kick that
# reads the group with nk.groupsGetId and checks metadata.roles), and
# `guildhall-bench -scenarios kick_add -bouncer-http-key …` run against A and B
# alternately (A B, then B A, …) for BENCH_ROUNDS rounds (default 3), after an
# unmeasured 3 s warm-up round of both. It prints
# per node the median over the rounds of ops/s, p99 and the node's own CPU
# ms/op (PostgreSQL is shared, so not counted), and the hook's cost 1 - B/A.
#   BENCH_ROUNDS       rounds of the hooks mode (default 3)
#   BENCH_HOOK_MODULE  the module node B loads as index.js (default examples/bouncer.js)
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

# find_psql: sets psql to the psql program, from PATH or a server bin directory.
find_psql() {
	psql=$(command -v psql 2>/dev/null || true)
	if [[ -z "$psql" ]]; then
		shopt -s nullglob
		for p in /usr/lib/postgresql/*/bin/psql /usr/pgsql-*/bin/psql /usr/local/pgsql/bin/psql; do psql=$p; done
		shopt -u nullglob
	fi
	[[ -n "$psql" ]] || die "psql not found (needed to create the bench database)"
}

# create_bench_db: creates a fresh database on $DATABASE_URL and sets dbname to
# its name and url to DATABASE_URL pointing at it (user, host, port and query kept).
create_bench_db() {
	dbname="guildhall_bench_$(date +%s)_$$"
	"$psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE \"$dbname\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null 2>&1 ||
		"$psql" "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$dbname\"" >/dev/null ||
		die "could not create database $dbname"
	url=$(printf '%s' "$DATABASE_URL" | sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\\1/$dbname#")
	if [[ "$url" != *"/$dbname"* ]]; then
		url="${DATABASE_URL%%\?*}"
		url="${url%/}/$dbname"
		[[ "$DATABASE_URL" == *\?* ]] && url+="?${DATABASE_URL#*\?}"
	fi
}

# drop_bench_db: drops $dbname if one was created.
drop_bench_db() {
	if [[ -n "$dbname" ]]; then
		"$psql" "$DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS \"$dbname\" WITH (FORCE)" >/dev/null 2>&1 ||
			log "warning: could not drop database $dbname"
	fi
}

# free_port FROM: prints the first loopback port from FROM on that nobody answers on.
free_port() {
	local p
	for ((p = $1; p < $1 + 200; p++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port"
}

# wait_listening PID PORT LOG: waits until PORT answers; dies (printing LOG)
# when PID exits first.
wait_listening() {
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
			return 0
		fi
		kill -0 "$1" 2>/dev/null || {
			cat "$3" >&2
			die "guildhall exited at start"
		}
		sleep 0.1
	done
}

# ops_flags: every node's rate limits off (see the header).
ops_flags=(--ratelimit.auth_rate 0 --ratelimit.group_rate 0)

# stop_server PID: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
stop_server() {
	if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$1" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$1" 2>/dev/null || true
	fi
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
		stop_server "$server_pid"
		drop_bench_db
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
		find_psql
		create_bench_db
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

	# A free loopback port, and one for the metrics listener (curl
	# http://127.0.0.1:$mport/metrics during or after the run).
	port=$(free_port 17350)
	mport=$(free_port 19100)
	# An empty runtime path: no script hooks (the hook rows are measured separately).
	modules=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench-modules.XXXXXX")

	"$bindir/guildhall" serve --listen "127.0.0.1:$port" "${db_flags[@]}" --runtime.path "$modules" \
		--metrics.listen "127.0.0.1:$mport" "${ops_flags[@]}" --log.level warn "${server_flags[@]}" >"$out/server-$dialect.log" 2>&1 &
	server_pid=$!
	wait_listening "$server_pid" "$port" "$out/server-$dialect.log"
	log "$dialect: guildhall pid $server_pid on 127.0.0.1:$port (metrics http://127.0.0.1:$mport/metrics); load average $(cut -d' ' -f1-3 /proc/loadavg)"

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
# Hooks mode: one PostgreSQL database, node A without modules, node B with
# the hook module, kick_add against A and B alternately.
#   bench.sh __hooks BINDIR OUTDIR
if [[ "${1:-}" == "__hooks" ]]; then
	bindir=$2 out=$3
	read -r -a bench_flags <<<"${BENCH_FLAGS:-}"
	read -r -a server_flags <<<"${BENCH_SERVER_FLAGS:-}"
	rounds=${BENCH_ROUNDS:-3}
	[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
	module=${BENCH_HOOK_MODULE:-$root/examples/bouncer.js}
	[[ -r "$module" ]] || die "cannot read $module"
	[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set (run through scripts/with-postgres.sh)"
	# Both nodes get the same http key; the bench uses it to give every
	# kick_add owner the bouncer role, so the fixtures are the same on both
	# and every kick passes the hook.
	http_key="guildhall-bench-http-key"

	pid_a="" pid_b="" dbname="" psql="" mods_a="" mods_b=""
	cleanup() {
		local status=$?
		trap - EXIT INT TERM HUP
		stop_server "$pid_a"
		stop_server "$pid_b"
		drop_bench_db
		[[ -z "$mods_a" ]] || rm -rf -- "$mods_a"
		[[ -z "$mods_b" ]] || rm -rf -- "$mods_b"
		return "$status"
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	find_psql
	create_bench_db
	mods_a=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench-modules.XXXXXX")
	mods_b=$(mktemp -d "${TMPDIR:-/tmp}/guildhall-bench-modules.XXXXXX")
	cp -- "$module" "$mods_b/index.js"

	port_a=$(free_port 17350)
	mport_a=$(free_port 19100)
	"$bindir/guildhall" serve --listen "127.0.0.1:$port_a" --database.url "$url" --runtime.path "$mods_a" \
		--metrics.listen "127.0.0.1:$mport_a" "${ops_flags[@]}" --http.key "$http_key" --log.level warn "${server_flags[@]}" >"$out/server-a.log" 2>&1 &
	pid_a=$!
	wait_listening "$pid_a" "$port_a" "$out/server-a.log"
	wait_listening "$pid_a" "$mport_a" "$out/server-a.log"
	port_b=$(free_port $((port_a + 1)))
	mport_b=$(free_port $((mport_a + 1)))
	"$bindir/guildhall" serve --listen "127.0.0.1:$port_b" --database.url "$url" --runtime.path "$mods_b" \
		--metrics.listen "127.0.0.1:$mport_b" "${ops_flags[@]}" --http.key "$http_key" --log.level warn "${server_flags[@]}" >"$out/server-b.log" 2>&1 &
	pid_b=$!
	wait_listening "$pid_b" "$port_b" "$out/server-b.log"
	log "node A (no modules) pid $pid_a on 127.0.0.1:$port_a; node B ($(basename "$module") as index.js) pid $pid_b on 127.0.0.1:$port_b; database $dbname"

	status=0
	: >"$out/hooks.tsv"
	# run_node NODE ROUND: one guildhall-bench kick_add run against NODE (a or
	# b); appends "node round ops/s p99 cpu" to hooks.tsv.
	# Round 0 is a short unmeasured warm-up of both nodes and the fresh
	# database (the first run on it was the slowest in every trial).
	run_node() {
		local node=$1 round=$2 port pid rc=0 res extra=()
		if [[ $node == a ]]; then port=$port_a pid=$pid_a; else port=$port_b pid=$pid_b; fi
		[[ $round -ne 0 ]] || extra=(-d 3s -runs 1)
		res="$out/hooks-$node-$round.txt"
		log "round $round node ${node^^}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
		"$bindir/guildhall-bench" -url "http://127.0.0.1:$port" -pid "$pid" -scenarios kick_add \
			-bouncer-http-key "$http_key" -label "node ${node^^} round $round" "${bench_flags[@]}" "${extra[@]}" \
			>"$res" 2>"$out/hooks-$node-$round.log" || rc=$?
		if [[ $rc -ne 0 ]]; then
			cat "$res"
			tail -n 20 "$out/hooks-$node-$round.log" >&2
			status=1
		fi
		# The table row: scenario ops/s p50 p90 p99 errors cpu-ms/op.
		[[ $round -eq 0 ]] ||
			awk -v n="$node" -v r="$round" '$1 == "kick_add" && $2 ~ /^[0-9.]+$/ {print n, r, $2, $5, $7; exit}' "$res" >>"$out/hooks.tsv"
	}
	run_node b 0
	run_node a 0
	for ((r = 1; r <= rounds; r++)); do
		# A B, then B A: drift over time (load, table growth) hits both alike.
		if ((r % 2 == 1)); then
			run_node a "$r"
			run_node b "$r"
		else
			run_node b "$r"
			run_node a "$r"
		fi
	done
	kill -0 "$pid_a" 2>/dev/null || { log "node A died"; status=1; }
	kill -0 "$pid_b" 2>/dev/null || { log "node B died"; status=1; }

	echo "kick_add, c=32 unless BENCH_FLAGS says otherwise; $rounds rounds; medians over the rounds"
	echo "(each round's figure is guildhall-bench's median over its windows; CPU is the node's own, PostgreSQL not counted)"
	echo
	awk -v hook="$(basename "$module")" '
		function median(list,   a, n, i, j, t) {
			n = split(list, a, " ")
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
			if (n == 0) return "nan"
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ ops[$1] = ops[$1] " " $3; p99[$1] = p99[$1] " " $4; cpu[$1] = cpu[$1] " " $5 }
		END {
			name["a"] = "A no modules"; name["b"] = "B hook (" hook ")"
			printf "%-22s %10s %9s %10s   %s\n", "node", "ops/s", "p99 ms", "cpu ms/op", "ops/s per round"
			for (k = 1; k <= 2; k++) {
				n = k == 1 ? "a" : "b"
				printf "%-22s %10.1f %9.2f %10.3f  %s\n", name[n], median(ops[n]), median(p99[n]), median(cpu[n]), ops[n]
			}
			a = median(ops["a"]); b = median(ops["b"])
			if (a > 0) printf "\nhook cost: %.1f %% of kick_add throughput (1 - B/A)\n", 100 * (1 - b / a)
			ca = median(cpu["a"]); cb = median(cpu["b"])
			if (ca > 0) printf "hook CPU: %+.1f %% per op (B/A - 1)\n", 100 * (cb / ca - 1)
		}' "$out/hooks.tsv"
	rss_a=$(awk '/^VmRSS/ {print $2, $3}' "/proc/$pid_a/status" 2>/dev/null || echo "?")
	rss_b=$(awk '/^VmRSS/ {print $2, $3}' "/proc/$pid_b/status" 2>/dev/null || echo "?")
	echo "RSS after the runs: A $rss_a, B $rss_b; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	if [[ $status -ne 0 ]]; then
		echo "FAILED: a run had errors or consistency mismatches (see above and $out)"
	fi
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
if [[ "${1:-}" == "hooks" ]]; then
	echo
	echo "=== hook cost: postgres, node A without modules vs node B with a hook ==="
	"$root/scripts/with-postgres.sh" "$root/scripts/bench.sh" __hooks "$bindir" "$out" || status=1
	echo
	echo "results and logs: $out"
	exit "$status"
fi
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
