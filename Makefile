# siogate build and test entry points. `make test` is the whole suite (the
# command README.md documents and .ci/run calls).

GO      ?= go
FUZZTIME ?= 10s

.PHONY: all build run deps test vet fmt-check unit fuzz-short conformance clean

all: build

build:
	$(GO) build ./...

# Run the gateway on its embedded default (in-memory adapter, no Redis).
run:
	$(GO) run ./cmd/siogate

# npm packages the end-to-end tests drive (official clients). Installed into
# e2e/node_modules, which is never committed.
deps:
	cd e2e && npm ci --no-audit --no-fund

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

# Short runs of every fuzz target (longer runs: see docs/testing.md).
fuzz-short:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		pkg=./$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg >/dev/null || { echo "FAIL fuzz $$pkg $$t"; exit 1; }; \
		done; \
	done

test: deps fmt-check vet unit fuzz-short

clean:
	rm -rf bin e2e/node_modules
