# Targets for developing the SDK. `make test` is what CI runs. Each target's
# cost is measured with a warm build cache on a 2-core machine shared with
# other work (a cold cache adds a few minutes to the first run).
GO          ?= go
PKGS        := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 500x
EXAMPLES    := $(sort $(notdir $(wildcard examples/*)))
EXAMPLES    := $(filter-out internal,$(EXAMPLES))

.PHONY: all test vet race otel-test cli-test evidence lint cover bench fuzz examples ci redis-test need-redis-server

all: lint test

## test: vet, then every test with the race detector, of the SDK, of the
## tikiotel module (otel-test) and of the tiki command (cli-test); about 2
## minutes. Deterministic: no test depends on the machine's speed or load.
test: vet race otel-test cli-test

## vet: go vet of every package of the SDK's module.
vet:
	$(GO) vet $(PKGS)

## race: every test with the race detector (test without vet).
race:
	$(GO) test -race -count=1 $(PKGS)

## otel-test: vet and every test of the tikiotel module (its own go.mod:
## OpenTelemetry's SDK with in-memory exporters, against the fake) with the
## race detector; under half a minute.
otel-test:
	cd tikiotel && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## cli-test: vet and every test of the tiki command (cmd/tiki, its own
## go.mod: cobra and the MCP Go SDK) with the race detector: the golden
## outputs of every command against the fake in table, JSON and CSV, exit
## codes, the MCP server through the MCP SDK's in-memory transport and over
## stdio, the command run as a process on a machine with no credentials;
## 22 s with a warm build cache on a loaded 2-core machine (its lint, in
## lint, 6 s more).
cli-test:
	cd cmd/tiki && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## evidence: the timing and throughput evidence behind docs/performance.md
## (limiter accuracy, batch throughput, walk throughput, streaming heap,
## the pool of 10,000 sellers; the reconcile engine's audit of 100,000
## SKUs, its State's heap per SKU and Set latency; redisstore's shared
## budget, against Redis as in redis-test), skipped by `make test` and by
## CI. Its bars are meant for a quiet 2-core machine: under heavy load the
## walk bar at 150 ms and the audit bar are missed. About 1 minute, and a
## few more for the reconcile engine's; needs redis-server on PATH, as
## redis-test.
evidence: need-redis-server
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -run 'TestLimiterAccuracy|TestBatchThroughput|TestWalkThroughput|TestWalkPeakHeap' .
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -run 'TestPoolOf10000Sellers' ./sellers
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -timeout 30m -run 'TestAuditAtRateCeiling|TestStateHeapPerSKU|TestSetLatencyAndCoalescing' ./reconcile/
	cd redisstore && TIKI_EVIDENCE=1 $(GO) test -race -count=1 -v -run 'TestSharedBudgetAcrossReplicas|TestRedisStoppedMidRun' ./...

## lint: formatting, vet and staticcheck, of the SDK, of the tikiotel
## module and of the tiki command; about a minute.
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) $(PKGS)
	cd tikiotel && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...
	cd cmd/tiki && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

## cover: tests with a coverage profile, summarised per function; a little
## longer than test.
cover:
	$(GO) test -race -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -n 1

## bench: the benchmarks, with allocations, five runs each; several
## minutes.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 $(PKGS)
	cd tikiotel && $(GO) test -run='^$$' -bench=. -benchmem -count=5 ./...

## fuzz: each fuzz target of the module for FUZZTIME: by default 500
## executions each, 2 to 4 minutes in all (mostly building the fuzzing
## binaries); 2000x (what CI runs) about as long; a duration such as 30s
## each takes over 10 minutes. Targets are read from the test files'
## source, without compiling every package to list them.
fuzz:
	@set -e; for dir in $$($(GO) list -f '{{.Dir}}' $(PKGS)); do \
	  for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$dir/*_test.go 2>/dev/null); do \
	    echo "== $$dir $$target ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$dir; \
	  done; \
	done

## examples: run every example against the built-in fake Tiki; under half
## a minute.
examples:
	@set -e; for ex in $(EXAMPLES); do \
	  echo "== go run ./examples/$$ex"; \
	  env -u TIKI_ACCESS_TOKEN -u TIKI_CLIENT_ID -u TIKI_CLIENT_SECRET -u TIKI_SELLER_KEY -u TIKI_BASE_URL \
	    $(GO) run ./examples/$$ex; \
	done

## redis-test: vet and every test of the redisstore module (its own
## go.mod) with the race detector; under a minute. The tests use the Redis
## at REDIS_ADDR when it is set (they write keys under test: prefixes),
## otherwise a redis-server they start on a free loopback port; never
## whatever answers on 6379. The restart, pause and scale-out tests always
## start redis-server processes of their own: it must be on PATH.
redis-test: need-redis-server
	cd redisstore && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# need-redis-server fails, saying what to install, without redis-server.
need-redis-server:
	@command -v redis-server >/dev/null || { \
	  echo "make: the redisstore tests need redis-server on PATH (Debian: apt-get install redis-server)" >&2; \
	  exit 1; }

## ci: what .ci/run does; about 8 minutes on a loaded 2-core machine (the
## tiki command's module half a minute of it), a third of it fuzzing. CI fuzzes by execution count, not duration: with a
## duration, Go 1.26's fuzz coordinator can report a spurious "context
## deadline exceeded" when the time runs out (go.dev/issue/75804). The
## timing evidence is not part of it: its bars are measured on a quiet
## machine (make evidence), and a loaded CI machine would only measure its
## load.
ci: lint test examples redis-test
	$(MAKE) fuzz FUZZTIME=2000x
