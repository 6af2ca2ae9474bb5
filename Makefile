# Assises — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

GO ?= go
BIN := bin/assises
# The PostgreSQL the store tests use besides SQLite; .ci/run sets it, and so does this default
# for a developer machine with a local PostgreSQL. Set it empty to skip PostgreSQL locally.
ASSISES_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export ASSISES_TEST_POSTGRES

.PHONY: run build test lint gotest fuzz clean

## run: build and start the server on the embedded SQLite default (./data), with the demo process
run: build
	./$(BIN) serve -seed-demo

build:
	$(GO) build -o $(BIN) ./cmd/assises

## test: formatting, vet, and the whole suite with the race detector, on SQLite and PostgreSQL
test: lint gotest

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

gotest:
	$(GO) build -o bin/testsum ./internal/testsum
	$(GO) test -race -count=1 -json ./... 2>&1 | ./bin/testsum

clean:
	rm -rf bin
