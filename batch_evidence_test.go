package tiki_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/tikisdk/tiki"
)

// batchRTTServer answers batch updates like Tiki, after sleeping rtt per
// request (an artificial round trip on loopback). It counts the calls and
// the most requests it saw in flight at once.
type batchRTTServer struct {
	*httptest.Server
	calls, inFlight, maxInFlight atomic.Int64
}

func newBatchRTTServer(t *testing.T, rtt time.Duration) *batchRTTServer {
	s := &batchRTTServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for {
			m := s.maxInFlight.Load()
			if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		s.calls.Add(1)
		var body struct {
			Data []struct {
				OriginalSKU string `json:"original_sku"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Data) > tiki.MaxBatchUpdate {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		time.Sleep(rtt)
		out := make([]map[string]any, len(body.Data))
		for i, it := range body.Data {
			out[i] = map[string]any{"is_success": true, "original_sku": it.OriginalSKU, "code": "success"}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
	}))
	t.Cleanup(s.Close)
	return s
}

// handWrittenBatch is the comparator: a plain concurrent client with
// workers goroutines, each call waiting for an x/time/rate limiter of 200/s (burst
// 20, as the SDK's default), chunks of 20 in order, answers decoded into
// plain structs.
func handWrittenBatch(ctx context.Context, hc *http.Client, url string, workers int, items []tiki.BatchUpdateItem) (int, error) {
	lim := rate.NewLimiter(tiki.DefaultRateLimit, tiki.DefaultRateLimit/10)
	type chunk struct{ lo, hi int }
	next := make(chan chunk)
	var applied atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				err := func() error {
					if err := lim.Wait(ctx); err != nil {
						return err
					}
					b, err := json.Marshal(map[string]any{"data": items[c.lo:c.hi]})
					if err != nil {
						return err
					}
					req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(b))
					if err != nil {
						return err
					}
					req.Header.Set("Content-Type", "application/json")
					resp, err := hc.Do(req)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("status %d", resp.StatusCode)
					}
					var out struct {
						Data []struct {
							IsSuccess bool `json:"is_success"`
						} `json:"data"`
					}
					if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
						return err
					}
					for _, row := range out.Data {
						if row.IsSuccess {
							applied.Add(1)
						}
					}
					return nil
				}()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for lo := 0; lo < len(items); lo += tiki.MaxBatchUpdate {
		next <- chunk{lo, min(lo+tiki.MaxBatchUpdate, len(items))}
	}
	close(next)
	wg.Wait()
	return int(applied.Load()), firstErr
}

// TestBatchThroughputAtRoundTrip (TIKI_EVIDENCE=1 only): UpdateBatch of 2,000
// items (100 calls) with default options, at an artificial round trip of
// 50 ms and 150 ms, beside the hand-written concurrent client (16 workers,
// and 32, the SDK's default concurrency) in the same run, against the floor max(calls/200, RTT). The bar: at least 90 % of the
// floor's throughput, that is at most floor/0.9 + one RTT (the last calls'
// round trip). Each figure is the median of 3 runs.
func TestBatchThroughputAtRoundTrip(t *testing.T) {
	tiki.RequireEvidence(t)
	const n, runs = 2000, 3
	items := make([]tiki.BatchUpdateItem, n)
	for i := range items {
		items[i] = tiki.BatchUpdateItem{OriginalSKU: fmt.Sprintf("SKU-%05d", i), Price: 10000 + int64(i)}
	}
	calls := (n + tiki.MaxBatchUpdate - 1) / tiki.MaxBatchUpdate
	var table strings.Builder
	table.WriteString("| RTT | work | SDK (default options) | hand-written, 16 workers | hand-written, 32 workers | floor | SDK throughput, of the floor's | hand-written 16, of the floor's | SDK calls in flight (max) | bar (90 %) |\n")
	table.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		srv := newBatchRTTServer(t, rtt)
		floor := max(time.Duration(float64(calls)/tiki.DefaultRateLimit*float64(time.Second)), rtt)
		bar := time.Duration(float64(floor)/0.9) + rtt
		var sdk, hand, hand32 []time.Duration
		var sdkMaxInFlight int64
		for range runs {
			// A new client per run: each starts with a full rate budget.
			c, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey("k-123456"))
			require.NoError(t, err)
			srv.maxInFlight.Store(0)
			start := time.Now()
			results, _, err := c.Products.UpdateBatch(context.Background(), items)
			sdk = append(sdk, time.Since(start))
			require.NoError(t, err)
			require.Len(t, results, n)
			require.Empty(t, results.Failures())
			sdkMaxInFlight = max(sdkMaxInFlight, srv.maxInFlight.Load())

			for _, workers := range []int{16, 32} {
				tr := http.DefaultTransport.(*http.Transport).Clone()
				tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 100, 64
				hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
				start = time.Now()
				applied, err := handWrittenBatch(context.Background(), hc, srv.URL+"/v2.1/products/updateSkus", workers, items)
				if workers == 16 {
					hand = append(hand, time.Since(start))
				} else {
					hand32 = append(hand32, time.Since(start))
				}
				require.NoError(t, err)
				require.Equal(t, n, applied)
				tr.CloseIdleConnections()
			}
		}
		slices.Sort(sdk)
		slices.Sort(hand)
		slices.Sort(hand32)
		med, handMed, hand32Med := sdk[runs/2], hand[runs/2], hand32[runs/2]
		fmt.Fprintf(&table, "| %v | UpdateBatch, %d items (%d calls) | %.2f s | %.2f s | %.2f s | %.2f s | %.0f %% | %.0f %% | %d | ≤ %.2f s: %s |\n",
			rtt, n, calls, med.Seconds(), handMed.Seconds(), hand32Med.Seconds(), floor.Seconds(),
			100*floor.Seconds()/med.Seconds(), 100*floor.Seconds()/handMed.Seconds(),
			sdkMaxInFlight, bar.Seconds(), map[bool]string{true: "met", false: "MISSED"}[med <= bar])
		assert.LessOrEqual(t, med, bar, "rtt %v: UpdateBatch median %v, bar %v", rtt, med, bar)
	}
	t.Logf("UpdateBatch against an artificial round trip (median of %d runs):\n%s", runs, table.String())
}
