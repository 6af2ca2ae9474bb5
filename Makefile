# Assises — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

GO ?= go
BIN := bin/assises
# The PostgreSQL the store tests use besides SQLite; .ci/run sets it, and so does this default
# for a developer machine with a local PostgreSQL. Set it empty to skip PostgreSQL locally.
ASSISES_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export ASSISES_TEST_POSTGRES

# The load generator is a module of its own (its HDR histograms stay out of the product's
# go.mod); go.work joins the two, and ./... does not reach into a nested module: name both.
PACKAGES := ./... ./cmd/assises-load/...

.PHONY: run build test lint gotest e2e screenshots torture torture-short fuzz clean bench

## run: build and start the server on the embedded SQLite default (./data), with the demo process
run: build
	./$(BIN) serve -seed-demo

build:
	$(GO) build -o $(BIN) ./cmd/assises

## test: formatting, vet, and the whole suite with the race detector, on SQLite and PostgreSQL,
## then the browser tests
test: lint gotest e2e

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PACKAGES)

gotest:
	$(GO) build -o bin/testsum ./internal/testsum
	$(GO) test -race -count=1 -timeout 30m -json $(PACKAGES) 2>&1 | ./bin/testsum

# The browser tests: the real binary, Debian's chromium driven by playwright-core, axe-core
# (both from npm, pinned in e2e/package-lock.json; never `npx playwright install`). Without
# chromium they are skipped on a developer machine and fail under CI=true.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
e2e: build
	@if [ ! -x "$(CHROMIUM_PATH)" ]; then \
	  if [ "$$CI" = "true" ]; then echo "e2e: $(CHROMIUM_PATH) is missing (apt-get install chromium)"; exit 1; fi; \
	  echo "e2e: browser tests skipped: no $(CHROMIUM_PATH) (apt-get install chromium)"; exit 0; \
	fi; \
	cd e2e && npm ci --no-audit --no-fund --loglevel=error && node --test tests/scenario.test.js tests/a11y.test.js tests/bilingual.test.js tests/registration.test.js tests/groups.test.js \
	  tests/console.test.js tests/projector.test.js tests/phone.test.js tests/wayback.test.js tests/weight.test.js \
	  tests/busy.test.js tests/posts_lang.test.js tests/notebook.test.js tests/open.test.js tests/resume.test.js

## screenshots: run the browser tests and keep their screenshots in docs/screenshots
screenshots:
	ASSISES_SCREENSHOTS=$(CURDIR)/docs/screenshots $(MAKE) e2e

## torture: the slow fault-injection runs (docs/security.md): the real binary killed with SIGKILL and
## stopped with SIGTERM during vote storms (SQLite and PostgreSQL), a private PostgreSQL
## cluster crashed and restarted, the server's backends terminated, a soak with 500 sockets
## (TORTURE_SOAK, 30m by default), 25,000 half-open connections against the edge (/healthz and a
## room must keep answering); prints rounds, faults injected and what was lost (nothing)
TORTURE_ROUNDS ?= 20
TORTURE_SOAK ?= 30m
export TORTURE_ROUNDS TORTURE_SOAK
# TORTURE_RUN picks the runs (a go test -run pattern); empty runs them all.
TORTURE_RUN ?=
TORTURE_TIMEOUT ?= 120m
torture:
	@mkdir -p bin; status=0; \
	$(GO) test -tags torture -count=1 -timeout $(TORTURE_TIMEOUT) $(if $(TORTURE_RUN),-run '$(TORTURE_RUN)') -v ./torture/ 2>&1 | tee bin/torture.log \
	  | grep -E '^(torture|--- |PASS|FAIL|ok|\s+\S+_test.go)' || status=$$?; \
	echo "== torture summary (TORTURE_ROUNDS=$(TORTURE_ROUNDS), TORTURE_SOAK=$(TORTURE_SOAK)) =="; \
	grep '^torture ' bin/torture.log || echo "no run finished"; \
	awk '/^torture / { runs++; for (i = 2; i <= NF; i++) { \
	    if ($$(i+1) ~ /^lost/) lost += $$i; \
	    if ($$(i+1) ~ /^(kills|SIGTERMs|reconnections)/ || ($$(i+1) == "database" && $$(i+2) ~ /^crashes/) || ($$(i+1) == "backends" && $$(i+2) == "terminated")) faults += $$i; \
	    if ($$(i+1) == "rounds,") rounds += $$i } } \
	  END { printf "runs: %d, rounds: %d, faults injected: %d, acknowledged votes lost or applied twice: %d\n", runs, rounds, faults, lost }' bin/torture.log; \
	if grep -qE '^(--- FAIL|FAIL)' bin/torture.log; then status=1; fi; \
	exit $$status

## torture-short: the faults of `make torture` in a few minutes, for CI (.ci/run, after make
## test): kill -9 during a vote storm (3 rounds on SQLite and on PostgreSQL), the tally after a
## kill, PostgreSQL crashed and restarted (2 rounds, a private cluster), SIGTERM during a storm
## (2 rounds on each database), three -cluster nodes behind Caddy with one killed (3 rounds) and
## the killed holder of a timer's lease (2 rounds). No soak: that one stays manual (docs/security.md).
torture-short:
	@$(MAKE) --no-print-directory torture TORTURE_ROUNDS=3 TORTURE_TIMEOUT=20m \
	  TORTURE_RUN='^(TestKillDuringVoteStorm|TestTallyConvergesAfterKill|TestPostgresCrashDuringVoteStorm|TestSigtermDuringVoteStorm|TestClusterKillDuringVoteStorm|TestClusterTimerSurvivesKill)$$'

## fuzz: every fuzz target of the module, one at a time (go test -fuzz takes one target per
## run), FUZZTIME each (10s by default); new crashers land in the package's testdata/fuzz
FUZZTIME ?= 10s
fuzz:
	@set -e; targets=$$(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . \
	    | xargs grep -HoE '^func Fuzz[A-Za-z0-9_]*' | sed -E 's|^\./(.*)/[^/]*_test\.go:func |\1 |' | sort -u); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz target found"; exit 1; fi; \
	while read -r dir name; do \
	  echo "== fuzz ./$$dir $$name ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "./$$dir"; \
	done <<< "$$targets"

clean:
	rm -rf bin

## bench: Go benchmarks of the hot paths (fan-out, vote batches in the room, group commit on
## both databases) and a short load run (2,000 participants voting 2,000/s for 20 s) on SQLite
## and on PostgreSQL; refreshes the generated section of docs/performance.md. About 2 minutes.
## The 10,000-participant measurements of the targets are in docs/performance.md, with their
## commands: they take longer and want a quiet machine.
BENCH_RUN = ./bin/assises-load -spawn -assises bin/assises -scenario votes -n 2000 -rate 2000 -duration 20s
bench:
	@mkdir -p bin/bench
	$(GO) build -o bin/assises ./cmd/assises
	$(GO) build -o bin/assises-load ./cmd/assises-load
	$(GO) test -run '^$$' -bench 'RoomFanout|RoomVoteBatch' -benchtime 1s ./hub | tee bin/bench/go.txt
	$(GO) test -run '^$$' -bench 'ExecuteVotes|FlushTally' ./deliberation | tee -a bin/bench/go.txt
	$(BENCH_RUN) -json bin/bench/votes-sqlite.json
	@if [ -n "$$ASSISES_TEST_POSTGRES" ]; then \
	  echo '$(BENCH_RUN) -db $$ASSISES_TEST_POSTGRES -json bin/bench/votes-postgres.json'; \
	  $(BENCH_RUN) -db "$$ASSISES_TEST_POSTGRES" -json bin/bench/votes-postgres.json; \
	else rm -f bin/bench/votes-postgres.json; echo "bench: ASSISES_TEST_POSTGRES is empty: no PostgreSQL run"; fi
	./bin/assises-load -update-doc docs/performance.md -bench bin/bench/go.txt \
	  -reports "$$(ls bin/bench/votes-*.json | paste -sd, -)"
