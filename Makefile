# siogate build and test entry points. `make test` is the whole suite (the
# command README.md documents and .ci/run calls).

GO      ?= go
FUZZTIME ?= 10s

.PHONY: all build run chat-assets deps test vet fmt-check unit fuzz-short conformance clean

all: build

build:
	$(GO) build ./...

# Run the gateway on its embedded default (in-memory adapter, no Redis),
# the chat page's client bundle fetched first.
run: chat-assets
	$(GO) run ./cmd/siogate

# The chat page's socket.io-client browser bundle: npm (the version pinned in
# cmd/siogate/chat/web/package-lock.json), then copied into
# cmd/siogate/chat/web/vendor/, which the gateway embeds and git ignores.
# Fetched again only when the lock file changes.
CHAT_WEB := cmd/siogate/chat/web
chat-assets: $(CHAT_WEB)/vendor/socket.io.min.js

$(CHAT_WEB)/vendor/socket.io.min.js: $(CHAT_WEB)/package-lock.json
	cd $(CHAT_WEB) && npm ci --no-audit --no-fund
	cp $(CHAT_WEB)/node_modules/socket.io-client/dist/socket.io.min.js.map $(CHAT_WEB)/vendor/
	cp $(CHAT_WEB)/node_modules/socket.io-client/dist/socket.io.min.js $(CHAT_WEB)/vendor/

# npm packages the end-to-end tests drive (official clients, playwright-core
# for the browser tests), and the chat page's bundle (the browser tests
# load it). Installed into node_modules folders, which are never committed.
deps: chat-assets
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
	rm -rf bin e2e/node_modules $(CHAT_WEB)/node_modules $(CHAT_WEB)/vendor/socket.io.min.js*
