#!/usr/bin/env bash
# test.sh: gofmt check, go vet, staticcheck, go test. Expects DATABASE_URL (an admin
# PostgreSQL URL); use `make test`, which provides it via with-postgres.sh.
# Extra `go test` flags (e.g. -race, -run X, -v) go in GOTEST_FLAGS.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -z "${DATABASE_URL:-}" ]]; then
	echo "test.sh: DATABASE_URL is not set: run \`make test\`, which finds or starts PostgreSQL" >&2
	exit 1
fi

# The admin console's browser tests drive Debian's chromium (never a
# downloaded browser); install it when missing, and stop here if that fails:
# the tests fail rather than skip without it.
if ! command -v chromium >/dev/null 2>&1 && [[ -z "${GUILDHALL_CHROMIUM:-}" ]]; then
	echo "==> apt-get install chromium (for the console's browser tests)"
	if [[ $(id -u) -ne 0 ]]; then
		echo "test.sh: chromium is missing and this is not root: apt-get install chromium, or set GUILDHALL_CHROMIUM" >&2
		exit 1
	fi
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }; then
		echo "test.sh: could not install chromium; the console's browser tests need it" >&2
		exit 1
	fi
fi

# The deployment tests (internal/cluster) put a real PgBouncer in front of
# PostgreSQL: install Debian's pgbouncer when missing, and stop here if that
# fails (the tests fail rather than skip without it).
if ! command -v pgbouncer >/dev/null 2>&1 && [[ ! -x /usr/sbin/pgbouncer ]]; then
	echo "==> apt-get install pgbouncer (for the PgBouncer deployment tests)"
	if [[ $(id -u) -ne 0 ]]; then
		echo "test.sh: pgbouncer is missing and this is not root: apt-get install pgbouncer" >&2
		exit 1
	fi
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer; }; then
		echo "test.sh: could not install pgbouncer; the PgBouncer deployment tests need it" >&2
		exit 1
	fi
fi

echo "==> gofmt"
unformatted=$(find . \( -name .git -o -name node_modules -o -name testdata -o -name vendor \) -prune \
	-o -name '*.go' -type f -print0 | xargs -0 -r gofmt -l)
if [[ -n "$unformatted" ]]; then
	echo "gofmt needed on:" >&2
	printf '%s\n' "$unformatted" >&2
	exit 1
fi

echo "==> go vet ./..."
go vet ./...

# staticcheck, pinned so every machine reports the same findings; installed
# where go install puts it (GOBIN, else GOPATH/bin) on first use.
staticcheck_version=0.8.2 # release 2026.2.2
gobin=$(go env GOBIN)
staticcheck=${gobin:-$(go env GOPATH)/bin}/staticcheck
if ! "$staticcheck" -version 2>/dev/null | grep -qF "($staticcheck_version)"; then
	echo "==> go install honnef.co/go/tools/cmd/staticcheck@v$staticcheck_version"
	go install "honnef.co/go/tools/cmd/staticcheck@v$staticcheck_version"
fi
echo "==> staticcheck ./..."
"$staticcheck" ./...

# The examples' module tests, run the way studios run theirs: through the
# command (one line per test, exit status 1 on any failure).
echo "==> guildhall hooks test examples/"
go run ./cmd/guildhall hooks test examples/

# The concurrent parts (hook pipeline, script VM pools under 64 parallel
# requests, the service's race tests) also run under the race detector.
echo "==> go test -race (hooks, runtimes, examples, service)"
go test -race -count=1 -timeout 20m ./hooks/... ./runtime/... ./examples/... ./groups/...

# The service's race tests once more, through a PgBouncer in transaction
# pooling mode (the store detects it and keeps no session state).
echo "==> go test -race -run ^TestRace ./groups/store/ through PgBouncer"
./scripts/with-pgbouncer.sh go test -race -count=1 -timeout 10m -run '^TestRace' ./groups/store/

# Short native fuzzing runs over what a client controls: request bodies,
# query strings and list cursors (the seeds also run in the plain go test).
# FUZZTIME=0 skips these runs (e.g. while iterating locally).
fuzztime=${FUZZTIME:-10s}
if [[ "$fuzztime" != "0" ]]; then
	for target in ./api:FuzzParseBody ./api:FuzzQueryParams ./groups:FuzzDecodeCursor ./inbox:FuzzDecodeCursor; do
		pkg=${target%%:*} fn=${target##*:}
		echo "==> go test -fuzz $fn -fuzztime $fuzztime $pkg"
		go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg"
	done
fi

read -r -a extra <<<"${GOTEST_FLAGS:-}"
echo "==> go test -count=1 -timeout 20m ${extra[*]} ./..."
# Last step, output unfiltered, so the log ends with go test's own summary;
# its exit status is the script's.
exec go test -count=1 -timeout 20m "${extra[@]}" ./...
