# Run `make test` to vet and test everything against PostgreSQL and SQLite.
# scripts/with-postgres.sh uses $DATABASE_URL if set, else a PostgreSQL on
# 127.0.0.1:5432, else a throwaway cluster it starts and removes.

.PHONY: test vet bench bench-hooks

test:
	./scripts/with-postgres.sh ./scripts/test.sh

vet:
	@files=$$(find . \( -name .git -o -name node_modules -o -name testdata -o -name vendor \) -prune -o -name '*.go' -type f -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi
	go vet ./...

# Load test (docs/performance.md): a fresh Guildhall on a fresh PostgreSQL
# database, then on a fresh SQLite file, driven by cmd/guildhall-bench.
# BENCH_FLAGS, BENCH_DBS and the other knobs are described in scripts/bench.sh.
bench:
	./scripts/bench.sh

# Cost of a script hook: two nodes on one fresh PostgreSQL database, one
# without modules and one with examples/bouncer.js, kick_add run against each
# alternately (BENCH_ROUNDS, default 3); prints the medians and 1 - B/A.
bench-hooks:
	./scripts/bench.sh hooks
