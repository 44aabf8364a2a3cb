# Targets for developing the SDK. `make test` is what CI runs. Each target's
# cost is measured with a warm build cache on a 2-core machine shared with
# other work (a cold cache adds a few minutes to the first run).
GO          ?= go
PKGS        := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 500x
EXAMPLES    := $(sort $(notdir $(wildcard examples/*)))
EXAMPLES    := $(filter-out internal,$(EXAMPLES))

.PHONY: all test evidence lint cover bench fuzz examples ci redis-test need-redis-server

all: lint test

## test: vet, then every test with the race detector; about 1 to 2 minutes.
## Deterministic: no test depends on the machine's speed or load.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

## evidence: the timing and throughput evidence behind BENCHMARKS.md
## (limiter accuracy, batch throughput, streaming heap, the pool of 10,000
## sellers; redisstore's shared budget, against Redis as in redis-test),
## skipped by `make test`. Its
## bands hold on a loaded 2-core machine. About 1 minute; needs
## redis-server on PATH, as redis-test.
evidence: need-redis-server
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -run 'TestLimiterAccuracy|TestBatchThroughput|TestWalkThroughput|TestWalkPeakHeap' .
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -run 'TestPoolOf10000Sellers' ./sellers
	cd redisstore && TIKI_EVIDENCE=1 $(GO) test -race -count=1 -v -run 'TestSharedBudgetAcrossReplicas|TestRedisStoppedMidRun' ./...

## lint: formatting, vet and staticcheck; under a minute.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

## cover: tests with a coverage profile, summarised per function; a little
## longer than test.
cover:
	$(GO) test -race -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -n 1

## bench: the benchmarks, with allocations, five runs each; several
## minutes.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 $(PKGS)

## fuzz: each of the 21 fuzz targets for FUZZTIME: by default 500
## executions each, 2 to 4 minutes in all (mostly building the fuzzing
## binaries); 10000x (what CI runs) 3 to 4 minutes; a duration such as 30s
## each takes over 10 minutes.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for target in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg; \
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

## ci: what .ci/run does; about 7 minutes, half of it fuzzing. CI fuzzes
## by execution count, not duration: with a duration, Go 1.26's fuzz
## coordinator can report a spurious "context deadline exceeded" when the
## time runs out (go.dev/issue/75804).
ci: lint test examples
	$(MAKE) fuzz FUZZTIME=10000x
	$(MAKE) redis-test
	$(MAKE) evidence
