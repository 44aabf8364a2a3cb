package tiki_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/tikisdk/tiki"
)

// evidenceEnv names the environment variable that turns on the timing and
// throughput evidence (make evidence). Plain go test and make test skip
// it: its figures depend on the machine's load, and it takes seconds.
const evidenceEnv = "TIKI_EVIDENCE"

// requireEvidence skips the test unless the evidence run asked for it.
func requireEvidence(t *testing.T) {
	t.Helper()
	if os.Getenv(evidenceEnv) != "1" {
		t.Skipf("timing evidence: runs with %s=1 (make evidence)", evidenceEnv)
	}
}

// TestLimiterAccuracy runs 32 concurrent callers for 5 s through a client
// limited to 50 requests per second, against a server that enforces the
// same rate: the achieved rate is between 95% and 101% of the limit (a
// loaded machine may send a little less, never more) and the server
// answers no 429.
func TestLimiterAccuracy(t *testing.T) {
	requireEvidence(t)
	// Not parallel: the measurement is of the limiter, not of a loaded CPU.
	const perSecond, duration = 50, 5 * time.Second
	// The server's own bucket: the same rate, with room for 400 ms of jitter
	// between a request leaving the client and arriving (goroutine
	// scheduling on a loaded 2-core machine).
	enforce := rate.NewLimiter(perSecond, 20)
	var served, refused atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !enforce.Allow() {
			refused.Add(1)
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"errors":["Too Many Requests"]}`)
			return
		}
		served.Add(1)
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey("k-123456"), tiki.WithRateLimit(perSecond, 1), tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _, err := c.Warehouses.Tiki(ctx)
				if errors.Is(err, context.DeadlineExceeded) {
					return // the run is over (or its next turn would come after)
				}
				if err != nil {
					t.Errorf("call failed: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	achieved := float64(served.Load()) / elapsed.Seconds()
	t.Logf("%d calls in %v: %.2f/s (target %d/s), %d answered 429", served.Load(), elapsed.Round(time.Millisecond), achieved, perSecond, refused.Load())
	assert.GreaterOrEqual(t, achieved, 0.95*perSecond)
	assert.LessOrEqual(t, achieved, 1.01*perSecond)
	assert.Zero(t, refused.Load())
}

// TestBatchThroughput: 10,000 SKU updates make exactly 500 calls of 20 and
// take the time Tiki's rate limit (200/s, burst 20) allows, no more.
func TestBatchThroughput(t *testing.T) {
	requireEvidence(t)
	var calls, items atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var body struct {
			Data []struct {
				OriginalSKU string `json:"original_sku"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Data) > 20 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		items.Add(int64(len(body.Data)))
		out := make([]map[string]any, len(body.Data))
		for i, it := range body.Data {
			out[i] = map[string]any{"is_success": true, "original_sku": it.OriginalSKU, "code": "success"}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": out})
	}))
	defer srv.Close()
	c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey("k-123456"))
	require.NoError(t, err)

	updates := make([]tiki.BatchUpdateItem, 10000)
	for i := range updates {
		updates[i] = tiki.BatchUpdateItem{OriginalSKU: fmt.Sprintf("SKU-%05d", i), Price: 10000 + int64(i)}
	}
	start := time.Now()
	results, _, err := c.Products.UpdateBatch(context.Background(), updates)
	elapsed := time.Since(start)
	require.NoError(t, err)
	require.Len(t, results, 10000)
	assert.Empty(t, results.Failures())
	assert.EqualValues(t, 500, calls.Load())
	assert.EqualValues(t, 10000, items.Load())
	// 500 calls at 200/s after a burst of 20: at least (500-20)/200 = 2.4 s.
	floor := time.Duration(float64(500-20) / tiki.DefaultRateLimit * float64(time.Second))
	t.Logf("10,000 updates in %d calls: %v (the rate limit allows no less than %v)", calls.Load(), elapsed.Round(time.Millisecond), floor)
	// Never faster than the limit allows; on a loaded 2-core machine up to
	// 3 s slower (the server and its JSON work share the CPUs).
	assert.GreaterOrEqual(t, elapsed, floor-50*time.Millisecond)
	assert.Less(t, elapsed, floor+3*time.Second)
}
