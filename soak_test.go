package tiki_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// flaky wraps a handler and fails a share of the requests the way networks
// and overloaded servers do: 503, 429 without Retry-After, or a hang-up
// before any answer. Its random source is seeded, so a run is repeatable.
type flaky struct {
	next   http.Handler
	share  float64
	mu     sync.Mutex
	rnd    *rand.Rand
	faults atomic.Int64
	total  atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.total.Add(1)
	f.mu.Lock()
	fail, kind := f.rnd.Float64() < f.share, f.rnd.IntN(3)
	f.mu.Unlock()
	if !fail {
		f.next.ServeHTTP(w, r)
		return
	}
	f.faults.Add(1)
	switch kind {
	case 0:
		w.WriteHeader(http.StatusServiceUnavailable)
	case 1:
		w.WriteHeader(http.StatusTooManyRequests)
	default:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

// TestSoak makes 10,000 calls from 50 goroutines against the fake Tiki with
// 5% of the requests failing, and checks that the retry policy absorbs
// every fault (no call fails), that nothing races (-race), and that no
// goroutine is left behind.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 calls")
	}
	before := goleak.IgnoreCurrent()

	fake, err := tikitest.Start(tikitest.WithApprovalDelay(0))
	require.NoError(t, err)
	var ids []int64
	for i := range 20 {
		products, err := fake.SeedProduct(tiki.NewProduct{
			CategoryID: 6445, Name: fmt.Sprintf("Soak %d", i), Description: "soak", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "Soak"}, Image: "https://cdn.example.com/soak.jpg",
			Variants: []tiki.Variant{{SKU: fmt.Sprintf("SOAK-%02d", i), Price: 100000, InventoryType: tiki.InventorySellerBackorder,
				SellerWarehouse: "903", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 903, QtyAvailable: 10}}}},
		})
		require.NoError(t, err)
		ids = append(ids, products[0].ProductID)
	}
	chaos := &flaky{next: fake.Handler(), share: 0.05, rnd: rand.New(rand.NewPCG(1, 2))}
	srv := httptest.NewServer(chaos)
	client, err := tiki.NewClient(
		tiki.WithBaseURL(srv.URL+"/integration"), tiki.WithAccessToken(fake.AccessToken()),
		tiki.WithRateLimit(0, 0), tiki.WithRetry(6, time.Millisecond, 4*time.Millisecond),
		// A hang-up leaves a write in doubt: its product is kept for the
		// settle period, short here so that the writes go on.
		tiki.WithWriteSettle(5*time.Millisecond),
	)
	require.NoError(t, err)

	const calls, workers = 10000, 50
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for n := next.Add(1); n <= calls; n = next.Add(1) {
				var err error
				switch n % 5 {
				case 0, 1:
					_, _, err = client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
				case 2:
					_, _, err = client.Warehouses.ListTiki(ctx)
				case 3:
					_, _, err = client.Products.Get(ctx, ids[int(n)%len(ids)])
				case 4:
					_, _, err = client.Products.Update(ctx, tiki.ProductUpdate{ProductID: ids[(int(n)+w)%len(ids)], Price: tiki.Money(100000 + n%1000)})
				}
				if err != nil {
					failed.Add(1)
					t.Errorf("call %d: %v", n, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d calls, %d requests, %d faults injected (%.1f%%), %d failed, in %v",
		calls, chaos.total.Load(), chaos.faults.Load(), 100*float64(chaos.faults.Load())/float64(chaos.total.Load()),
		failed.Load(), elapsed.Round(time.Millisecond))
	assert.Zero(t, failed.Load())
	assert.Greater(t, chaos.faults.Load(), int64(calls/40), "faults were injected")

	client.CloseIdleConnections()
	srv.Close()
	fake.Close()
	goleak.VerifyNone(t, before)
}
