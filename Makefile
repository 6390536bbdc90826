# Rollcall. `make test` runs every test; see README.md.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -w -s -X main.version=$(VERSION)
E2E_BIN := build/bin/rollcall-e2e

.PHONY: all dist test test-tools test-go test-frontend test-e2e desktop windows bench bench-peer bench-500k smoke clean

all: dist desktop

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

## dist: rebuild frontend/dist (committed, so `go run . serve` needs no Node)
dist: frontend/node_modules/.installed
	cd frontend && npm run build

## test: Go tests (with -race), frontend type check and unit tests, browser end-to-end tests
test: test-go test-frontend test-e2e

# Programs the tests call: Chromium for the browser tests, pdftotext/pdftoppm
# (poppler-utils) and zbarimg (zbar-tools) to read PDFs and QR codes back as a
# person would, and Kannel's bearerbox and smsbox (kannel) for the SMS test
# through a real gateway. Installed from Debian when missing and run as root.
TEST_TOOLS := /usr/bin/chromium:chromium /usr/bin/pdftoppm:poppler-utils /usr/bin/pdftotext:poppler-utils /usr/bin/zbarimg:zbar-tools /usr/sbin/bearerbox:kannel /usr/sbin/smsbox:kannel

test-tools:
	@missing=""; for t in $(TEST_TOOLS); do [ -x "$${t%%:*}" ] || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "The tests need these Debian packages:$$missing (apt-get install --no-install-recommends$$missing)"; exit 1; fi; \
	fi

test-go: test-tools
	$(GO) vet ./...
	$(GO) vet -tags desktop,webkit2_41 ./app/desktop
	$(GO) test -race -count=1 ./...

test-frontend: frontend/node_modules/.installed
	cd frontend && npm run check && npm run test:unit

# The browser tests run real Chromium (/usr/bin/chromium) against `serve`
# built from this tree, on a temporary database.
test-e2e: test-tools frontend/node_modules/.installed
	$(GO) build -o $(E2E_BIN) .
	$(GO) build -o build/bin/smtpsink ./app/mail/mailtest/smtpsink
	[ -x build/bin/oauth2-proxy ] || GOBIN=$(CURDIR)/build/bin $(GO) install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6
	$(GO) build -o build/bin/ssoprovider ./app/ssotest/cmd/ssoprovider
	cd frontend && ROLLCALL_BIN=../$(E2E_BIN) SMTPSINK_BIN=../build/bin/smtpsink OAUTH2_PROXY_BIN=../build/bin/oauth2-proxy SSOPROVIDER_BIN=../build/bin/ssoprovider npm run test:e2e

## desktop: the Linux desktop binary (needs libgtk-3-dev libwebkit2gtk-4.1-dev)
desktop:
	$(GO) build -tags desktop,webkit2_41,production -ldflags "$(LDFLAGS)" -o build/bin/rollcall .

## windows: the Windows desktop .exe, cross-compiled (WebView2, no cgo)
windows:
	GOOS=windows GOARCH=amd64 $(GO) build -tags desktop,production -ldflags "$(LDFLAGS) -H windowsgui" -o build/bin/rollcall.exe .

## smoke: start the desktop binary under Xvfb, check it lives and renders
smoke: desktop
	.ci/desktop-smoke build/bin/rollcall

## bench: benchmarks with their targets, printed as numbers and ratios
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./...

# The side-by-side with PocketBase and the 500,000 people are long (minutes
# of hashing and seeding), so they are targets of their own, not in `bench`.
# PocketBase v0.36.8 is built from the Go module proxy in its own module
# (.ci/pocketbase), so Rollcall's go.mod stays clean; the drivers live under
# .ci/, which `go test ./...` and `go vet ./...` do not enter.
build/bin/pocketbase-peer: .ci/pocketbase/go.mod .ci/pocketbase/go.sum .ci/pocketbase/main.go
	cd .ci/pocketbase && $(GO) build -o ../../build/bin/pocketbase-peer .

## bench-peer: Rollcall and PocketBase side by side on the same 50,000 people (ports 18600, 18601)
bench-peer: build/bin/pocketbase-peer
	$(GO) build -o build/bin/rollcall-bench .
	$(GO) run ./.ci/peerbench

## bench-500k: 500,000 people in one file: size, serve start, search and page p95, backup, RSS (port 18602)
bench-500k:
	$(GO) build -o build/bin/rollcall-bench .
	$(GO) run ./.ci/peerbench -big 500000 -rollcall-addr 127.0.0.1:18602

clean:
	rm -rf build/bin
