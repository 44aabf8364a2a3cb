# Targets for developing the SDK. `make test` is what CI runs.
GO          ?= go
PKGS        := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
EXAMPLES    := $(sort $(notdir $(wildcard examples/*)))
EXAMPLES    := $(filter-out internal,$(EXAMPLES))

.PHONY: all test evidence lint cover bench fuzz examples ci redis-test

all: lint test

## test: vet, then every test with the race detector. Deterministic: no
## test depends on the machine's speed or load.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)

## evidence: the timing and throughput evidence behind BENCHMARKS.md
## (limiter accuracy, batch throughput, streaming heap; the reconcile
## engine's audit of 100,000 SKUs, state heap and Set latency; redisstore's
## shared budget against the Redis at REDIS_ADDR), skipped by `make test`.
## Its bands hold on a loaded 2-core machine.
evidence:
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -run 'TestLimiterAccuracy|TestBatchThroughput|TestWalkThroughput|TestWalkPeakHeap' .
	TIKI_EVIDENCE=1 $(GO) test -count=1 -v -timeout 30m -run 'TestAuditAtRateCeiling|TestStateHeapPerSKU|TestSetLatencyAndCoalescing' ./reconcile/
	cd redisstore && TIKI_EVIDENCE=1 $(GO) test -race -count=1 -v -run 'TestSharedBudgetAcrossReplicas|TestRedisStoppedMidRun' ./...

## lint: formatting, vet and staticcheck.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

## cover: tests with a coverage profile, summarised per function.
cover:
	$(GO) test -race -count=1 -coverprofile=coverage.out $(PKGS)
	$(GO) tool cover -func=coverage.out | tail -n 1

## bench: the benchmarks, with allocations, five runs each.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 $(PKGS)

## fuzz: each fuzz target for FUZZTIME (default 30s; or a count such as 5000x).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for target in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

## examples: run every example against the built-in fake Tiki.
examples:
	@set -e; for ex in $(EXAMPLES); do \
	  echo "== go run ./examples/$$ex"; \
	  env -u TIKI_ACCESS_TOKEN -u TIKI_CLIENT_ID -u TIKI_CLIENT_SECRET -u TIKI_SELLER_KEY -u TIKI_BASE_URL \
	    $(GO) run ./examples/$$ex; \
	done

## redis-test: the redisstore module (its own go.mod), against the Redis at
## REDIS_ADDR (default 127.0.0.1:6379).
redis-test:
	cd redisstore && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## ci: what .ci/run does. CI fuzzes by execution count, not duration: with a
## duration, Go 1.26's fuzz coordinator can report a spurious "context
## deadline exceeded" when the time runs out (go.dev/issue/75804).
ci: lint test examples
	$(MAKE) fuzz FUZZTIME=10000x
	$(MAKE) redis-test
	$(MAKE) evidence
