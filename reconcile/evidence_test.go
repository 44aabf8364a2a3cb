package reconcile_test

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// The evidence behind BENCHMARKS.md's reconciliation figures: run by
// `make evidence` (TIKI_EVIDENCE=1), never by `make test`.

func requireEvidence(t *testing.T) {
	t.Helper()
	if os.Getenv("TIKI_EVIDENCE") != "1" {
		t.Skip("timing evidence: runs with TIKI_EVIDENCE=1 (make evidence)")
	}
}

// evidenceSKUs is the size of the evidence's catalogue.
const evidenceSKUs = 100_000

// bigFake is the evidence's fake Tiki: evidenceSKUs products, each in
// warehouses 919 and 903, seeded once for every evidence test.
var bigFake = sync.OnceValues(func() (*tikitest.Server, error) {
	srv, err := tikitest.Start(tikitest.WithApprovalDelay(0))
	if err != nil {
		return nil, err
	}
	const perRequest = 1000 // variants of one configurable product
	for j := range evidenceSKUs / perRequest {
		p := tiki.NewProduct{
			CategoryID: 218, Name: fmt.Sprintf("Sách %d", j), Description: "<p>Sách</p>", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "NXB Trẻ"}, Image: "https://example.com/a.jpg", Images: []string{},
			OptionAttributes: []string{"color"}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
		}
		for i := range perRequest {
			n := j*perRequest + i
			p.Variants = append(p.Variants, tiki.Variant{SKU: evidenceSKU(n), Price: 100000, Option1: fmt.Sprint(n), SellerWarehouse: "919,903",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: whHN, QtyAvailable: evidenceQty(n, 0)}, {WarehouseID: whSGN, QtyAvailable: 7}}})
		}
		if _, err := srv.SeedProduct(p); err != nil {
			srv.Close()
			return nil, err
		}
	}
	return srv, nil
})

func evidenceSKU(n int) string { return fmt.Sprintf("EV-%06d", n) }

// evidenceQty is the quantity in 919 of product n in the books of run k:
// each run changes the 5 % of the products whose n is k modulo 20, so the
// books of run k differ from Tiki, in step with run k−1, in 5 % of them.
func evidenceQty(n, k int) int {
	return 10 + (k+19-n%20)/20
}

// evidenceBooks are the books of run k.
func evidenceBooks(k int) iter.Seq2[reconcile.Item, error] {
	return func(yield func(reconcile.Item, error) bool) {
		for n := range evidenceSKUs {
			if !yield(reconcile.Item{SKU: evidenceSKU(n), Quantities: map[int64]int{whHN: evidenceQty(n, k), whSGN: 7}}, nil) {
				return
			}
		}
	}
}

// handWritten is the comparator: a walk of the products and UpdateBatch,
// as a seller writes them without the engine.
func handWritten(ctx context.Context, c *tiki.Client, k int) (reads, writes int, err error) {
	want := make(map[string]int, evidenceSKUs)
	for n := range evidenceSKUs {
		want[evidenceSKU(n)] = evidenceQty(n, k)
	}
	var items []tiki.BatchUpdateItem
	rows := 0
	opts := &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}, ListOptions: tiki.ListOptions{Limit: 100}}
	for p, err := range c.Products.All(ctx, opts) {
		if err != nil {
			return 0, 0, err
		}
		rows++
		q, ok := want[p.OriginalSKU]
		if !ok || p.Inventory == nil {
			continue
		}
		for _, ws := range p.Inventory.WarehouseStocks {
			if ws.WarehouseID == whHN && ws.QuantityAvailable != q {
				items = append(items, tiki.BatchUpdateItem{ProductID: p.ProductID, WarehouseQuantities: []tiki.WarehouseQuantity{
					{WarehouseID: whHN, QtyAvailable: q}, {WarehouseID: whSGN, QtyAvailable: 7}}})
			}
		}
	}
	results, _, err := c.Products.UpdateBatch(ctx, items)
	if err != nil {
		return 0, 0, err
	}
	if f := results.Failures(); len(f) > 0 {
		return 0, 0, fmt.Errorf("%d items failed: %v", len(f), f[0])
	}
	return (rows + 99) / 100, (len(items) + tiki.MaxBatchUpdate - 1) / tiki.MaxBatchUpdate, nil
}

// withRTT serves the fake behind an artificial round trip.
func withRTT(t *testing.T, srv *tikitest.Server, rtt time.Duration) string {
	t.Helper()
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(rtt):
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/integration"
}

// evidenceClient is a client of the fake at base with the SDK's default
// rate limit (200 requests a second, burst 20).
func evidenceClient(t *testing.T, srv *tikitest.Server, base string) *tiki.Client {
	t.Helper()
	c, err := tiki.NewClient(tiki.WithBaseURL(base), tiki.WithAccessToken(srv.AccessToken()))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// A full audit of 100,000 SKUs, 5 % drifted, at the rate ceiling, beside
// a hand-written walk and UpdateBatch in the same run.
func TestAuditAtRateCeiling(t *testing.T) {
	requireEvidence(t)
	srv, err := bigFake()
	require.NoError(t, err)
	ctx := context.Background()
	var table strings.Builder
	table.WriteString("| RTT | run | reads | writes | calls | floor | engine | hand-written | engine / floor | bar (1.15 x floor) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	k := 0
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		base := withRTT(t, srv, rtt)
		engineClient, handClient := evidenceClient(t, srv, base), evidenceClient(t, srv, base)
		e, err := reconcile.New(engineClient, reconcile.Options{Warehouses: warehouses})
		require.NoError(t, err)
		// A first audit and a first hand-written run: the state is filled,
		// both clients know the list's length, as in a sync job.
		k++
		_, err = e.Sync(ctx, evidenceBooks(k))
		require.NoError(t, err)
		k++
		_, _, err = handWritten(ctx, handClient, k)
		require.NoError(t, err)
		var engineTimes, handTimes []time.Duration
		var calls int
		for run := range 3 {
			time.Sleep(200 * time.Millisecond) // a full rate budget
			k++
			start := time.Now()
			rep, err := e.Sync(ctx, evidenceBooks(k))
			took := time.Since(start)
			require.NoError(t, err)
			require.Equal(t, evidenceSKUs/20, rep.Changed, "5 %% drifted")
			engineTimes = append(engineTimes, took)
			calls = rep.Reads + rep.Writes
			floor := time.Duration(float64(calls)/200*float64(time.Second)) + 2*rtt

			time.Sleep(200 * time.Millisecond)
			k++
			start = time.Now()
			reads, writes, err := handWritten(ctx, handClient, k)
			handTook := time.Since(start)
			require.NoError(t, err)
			require.Equal(t, evidenceSKUs/20/tiki.MaxBatchUpdate, writes)
			handTimes = append(handTimes, handTook)
			fmt.Fprintf(&table, "| %v | %d | %d | %d | %d | %.2f s | %.2f s | %.2f s | %.3f | ≤ %.2f s |\n", rtt, run+1, rep.Reads, rep.Writes,
				calls, floor.Seconds(), took.Seconds(), handTook.Seconds(), took.Seconds()/floor.Seconds(), 1.15*floor.Seconds())
			_ = reads
		}
		floor := time.Duration(float64(calls)/200*float64(time.Second)) + 2*rtt
		med := median(engineTimes)
		fmt.Fprintf(&table, "| %v | median | | | %d | %.2f s | %.2f s | %.2f s | %.3f | ≤ %.2f s |\n", rtt, calls, floor.Seconds(),
			med.Seconds(), median(handTimes).Seconds(), med.Seconds()/floor.Seconds(), 1.15*floor.Seconds())
		if float64(med) > 1.15*float64(floor) {
			t.Errorf("rtt %v: the audit's median %v is above 1.15 x the floor %v", rtt, med, floor)
		}
	}
	t.Logf("load average %s\n%s", loadAverage(), table.String())
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// liveHeap is the heap a full collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	runtime.GC()
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The State of 100,000 SKUs after an audit, in bytes of heap per SKU:
// the live heap with the engine and its MemoryState, less the live heap
// once they are dropped.
func TestStateHeapPerSKU(t *testing.T) {
	requireEvidence(t)
	srv, err := bigFake()
	require.NoError(t, err)
	c, err := srv.Client(tiki.WithRateLimit(0, 0))
	require.NoError(t, err)
	st := reconcile.NewMemoryState()
	e, err := reconcile.New(c, reconcile.Options{Warehouses: warehouses, State: st})
	require.NoError(t, err)
	_, err = e.Sync(context.Background(), evidenceBooks(1000))
	require.NoError(t, err)
	require.Equal(t, evidenceSKUs, st.Len())
	with := liveHeap()
	runtime.KeepAlive(e)
	runtime.KeepAlive(st)
	e, st = nil, nil
	without := liveHeap()
	perSKU := float64(with-without) / evidenceSKUs
	t.Logf("MemoryState of %d SKUs (two warehouses each, price and stock pushed and seen): %.0f bytes of heap per SKU (live heap %d with, %d without)",
		evidenceSKUs, perSKU, with, without)
	if perSKU > 300 {
		t.Errorf("%.0f bytes per SKU, above 300", perSKU)
	}
}

// A Set reaches Tiki a window plus one round trip after it came; 1,000
// Sets of one SKU within a window are one write of the last value.
func TestSetLatencyAndCoalescing(t *testing.T) {
	requireEvidence(t)
	srv, err := bigFake()
	require.NoError(t, err)
	const window = 100 * time.Millisecond
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		rec := &recorder{next: http.DefaultTransport}
		c, err := tiki.NewClient(tiki.WithBaseURL(withRTT(t, srv, rtt)), tiki.WithAccessToken(srv.AccessToken()),
			tiki.WithHTTPClient(&http.Client{Transport: rec}))
		require.NoError(t, err)
		reports := make(chan time.Time, 100)
		e, err := reconcile.New(c, reconcile.Options{Warehouses: warehouses, Window: window,
			OnReport: func(r *reconcile.Report) {
				if r.Run == "flush" {
					reports <- time.Now()
				}
			}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		go e.Run(ctx)
		// The engine sees the SKUs it will set.
		for n := range 20 {
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(n), Quantities: map[int64]int{whHN: 500, whSGN: 7}}))
		}
		<-reports
		var lat []time.Duration
		for n := range 20 {
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(n), Quantities: map[int64]int{whHN: 600 + n, whSGN: 7}}))
			lat = append(lat, (<-reports).Sub(start))
		}
		rec.reset()
		for i := range 1000 {
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(0), Quantities: map[int64]int{whHN: 1000 + i, whSGN: 7}}))
		}
		<-reports
		writes := rec.updates(t)
		cancel()
		levels, err := srv.Stock(evidenceSKU(0))
		require.NoError(t, err)
		slices.Sort(lat)
		t.Logf("rtt %v, window %v: Set to written: median %v, max %v (bound window + RTT = %v); 1,000 Sets of one SKU: %d call(s), %d item(s), Tiki holds %d",
			rtt, window, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), window+rtt,
			len(writes), len(slices.Concat(writes...)), levels[0].Available)
		if len(writes) != 1 || levels[0].Available != 1999 {
			t.Errorf("1,000 Sets: %d writes, Tiki holds %d", len(writes), levels[0].Available)
		}
		if lat[len(lat)/2] > window+rtt+20*time.Millisecond {
			t.Errorf("median latency %v above window + RTT %v (+20 ms)", lat[len(lat)/2], window+rtt)
		}
	}
}
