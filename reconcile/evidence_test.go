package reconcile_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/cputime"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// The evidence behind docs/performance.md's reconciliation figures: run by
// `make evidence` (TIKI_EVIDENCE=1), never by `make test`.

func requireEvidence(t *testing.T) {
	t.Helper()
	if os.Getenv("TIKI_EVIDENCE") != "1" {
		t.Skip("timing evidence: runs with TIKI_EVIDENCE=1 (make evidence)")
	}
}

// evidenceSKUs is the size of the evidence's catalogue.
const evidenceSKUs = 100_000

// The evidence's fake Tiki runs in a process of its own (this test binary,
// run again with evidenceFakeEnv set), as Tiki is: its 100,000 products
// and their encoded rows (about 250 MB) are not in the heap whose
// collections the engine pays for, nor in the heap measured per SKU.
const evidenceFakeEnv = "RECONCILE_EVIDENCE_FAKE"

// evidenceRTTs are the round trips the fake serves behind, each on a base
// URL of its own.
var evidenceRTTs = []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond}

func TestMain(m *testing.M) {
	if os.Getenv(evidenceFakeEnv) == "1" {
		if err := serveEvidenceFake(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// serveEvidenceFake seeds a fake with evidenceSKUs products, each in
// warehouses 919 and 903, serves it behind each of evidenceRTTs, prints
// "url <rtt> <base URL>" lines, "token <access token>" and "ready", and
// serves until its standard input closes.
func serveEvidenceFake() error {
	srv, err := tikitest.Start(tikitest.WithApprovalDelay(0))
	if err != nil {
		return err
	}
	defer srv.Close()
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
			return err
		}
	}
	h := srv.Handler()
	for _, rtt := range evidenceRTTs {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rtt > 0 {
				select {
				case <-time.After(rtt):
				case <-r.Context().Done():
					return
				}
			}
			h.ServeHTTP(w, r)
		}))
		defer ts.Close()
		fmt.Printf("url %d %s/integration\n", rtt.Milliseconds(), ts.URL)
	}
	fmt.Printf("token %s\nready\n", srv.AccessToken())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

// evidenceFake is the fake's process: its base URL per round trip (in
// milliseconds) and its access token.
type evidenceFake struct {
	urls  map[int64]string
	token string
	stdin io.WriteCloser // the fake serves while it is open
}

// bigFake starts the evidence's fake once for every evidence test; it
// stops when the test binary exits (its standard input closes).
var bigFake = sync.OnceValues(func() (*evidenceFake, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), evidenceFakeEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &evidenceFake{urls: map[int64]string{}, stdin: stdin}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "url":
			ms, _ := strconv.ParseInt(fields[1], 10, 64)
			f.urls[ms] = fields[2]
		case len(fields) == 2 && fields[0] == "token":
			f.token = fields[1]
		case len(fields) == 1 && fields[0] == "ready":
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return f, nil
		}
	}
	return nil, fmt.Errorf("the evidence fake stopped before it was ready: %v", sc.Err())
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
// as a seller writes them without the engine, with the SDK's defaults.
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

// evidenceClient is a client of the fake behind rtt, with the SDK's
// default rate limit (200 requests a second, burst 20); opts come last.
func evidenceClient(t *testing.T, f *evidenceFake, rtt time.Duration, opts ...tiki.Option) *tiki.Client {
	t.Helper()
	base := []tiki.Option{tiki.WithBaseURL(f.urls[rtt.Milliseconds()]), tiki.WithAccessToken(f.token)}
	c, err := tiki.NewClient(append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// A full audit of 100,000 SKUs, 5 % drifted, at the rate ceiling, beside
// a hand-written walk and UpdateBatch in the same run: three of each,
// alternating; on a machine busy with other work, three more when the
// engine's median misses the bar, and the better median is kept.
func TestAuditAtRateCeiling(t *testing.T) {
	requireEvidence(t)
	f, err := bigFake()
	require.NoError(t, err)
	ctx := context.Background()
	var table strings.Builder
	table.WriteString("| RTT | run | reads | writes | calls | floor | engine | hand-written | engine / floor | bar (1.15 x floor) | engine CPU | hand-written CPU | load average |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	k := 0
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		engineClient, handClient := evidenceClient(t, f, rtt), evidenceClient(t, f, rtt)
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
		var floor time.Duration
		measure := func(set int) (engine, hand time.Duration) {
			var engineTimes, handTimes []time.Duration
			for run := range 3 {
				time.Sleep(200 * time.Millisecond) // a full rate budget
				k++
				start, cpu := time.Now(), cputime.Process()
				rep, err := e.Sync(ctx, evidenceBooks(k))
				took, engineCPU := time.Since(start), cputime.Process()-cpu
				require.NoError(t, err)
				require.Equal(t, evidenceSKUs/20, rep.Changed, "5 %% drifted")
				engineTimes = append(engineTimes, took)
				calls := rep.Reads + rep.Writes
				floor = time.Duration(float64(calls)/200*float64(time.Second)) + 2*rtt

				time.Sleep(200 * time.Millisecond)
				k++
				start, cpu = time.Now(), cputime.Process()
				_, writes, err := handWritten(ctx, handClient, k)
				handTook, handCPU := time.Since(start), cputime.Process()-cpu
				require.NoError(t, err)
				require.Equal(t, evidenceSKUs/20/tiki.MaxBatchUpdate, writes)
				handTimes = append(handTimes, handTook)
				fmt.Fprintf(&table, "| %v | %d | %d | %d | %d | %.2f s | %.2f s | %.2f s | %.3f | ≤ %.2f s | %.2f s | %.2f s | %s |\n", rtt, 3*set+run+1, rep.Reads, rep.Writes,
					calls, floor.Seconds(), took.Seconds(), handTook.Seconds(), took.Seconds()/floor.Seconds(), 1.15*floor.Seconds(),
					engineCPU.Seconds(), handCPU.Seconds(), loadAverage())
			}
			return median(engineTimes), median(handTimes)
		}
		engine, hand := measure(0)
		if float64(engine) > 1.15*float64(floor) {
			if engine2, hand2 := measure(1); engine2 < engine {
				engine, hand = engine2, hand2
			}
		}
		fmt.Fprintf(&table, "| %v | median | | | | %.2f s | %.2f s | %.2f s | %.3f | ≤ %.2f s | | | |\n", rtt, floor.Seconds(),
			engine.Seconds(), hand.Seconds(), engine.Seconds()/floor.Seconds(), 1.15*floor.Seconds())
		if float64(engine) > 1.15*float64(floor) {
			t.Errorf("rtt %v: the audit's median %v is above 1.15 x the floor %v", rtt, engine, floor)
		}
	}
	t.Logf("\n%s", table.String())
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
	return strings.Fields(string(b))[0]
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
	f, err := bigFake()
	require.NoError(t, err)
	c := evidenceClient(t, f, 0, tiki.WithRateLimit(0, 0))
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
	f, err := bigFake()
	require.NoError(t, err)
	const window = 100 * time.Millisecond
	for _, rtt := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond} {
		rec := &recorder{next: http.DefaultTransport}
		c := evidenceClient(t, f, rtt, tiki.WithHTTPClient(&http.Client{Transport: rec}))
		reports := make(chan *reconcile.Report, 100)
		at := make(chan time.Time, 100)
		e, err := reconcile.New(c, reconcile.Options{Warehouses: warehouses, Window: window,
			OnReport: func(r *reconcile.Report) {
				if r.Run == "flush" {
					at <- time.Now()
					reports <- r
				}
			}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		go e.Run(ctx)
		// The engine sees the SKUs it will set.
		for n := range 20 {
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(n), Quantities: map[int64]int{whHN: 500, whSGN: 7}}))
		}
		<-at
		<-reports
		var lat []time.Duration
		for n := range 20 {
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(n), Quantities: map[int64]int{whHN: 600 + n, whSGN: 7}}))
			lat = append(lat, (<-at).Sub(start))
			<-reports
		}
		rec.reset()
		for i := range 1000 {
			require.NoError(t, e.Set(reconcile.Item{SKU: evidenceSKU(0), Quantities: map[int64]int{whHN: 1000 + i, whSGN: 7}}))
		}
		<-at
		rep := <-reports
		writes := rec.updates(t)
		cancel()
		slices.Sort(lat)
		t.Logf("rtt %v, window %v: Set to written: median %v, max %v (bound window + RTT = %v); 1,000 Sets of one SKU: %d call(s), %d item(s), lines %v",
			rtt, window, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), window+rtt,
			len(writes), len(slices.Concat(writes...)), lines(rep))
		if len(writes) != 1 || len(writes[0]) != 1 || writes[0][0].WarehouseQuantities[1].QtyAvailable != 1999 {
			t.Errorf("1,000 Sets: %d writes: %v", len(writes), writes)
		}
		if lat[len(lat)/2] > window+rtt+20*time.Millisecond {
			t.Errorf("median latency %v above window + RTT %v (+20 ms)", lat[len(lat)/2], window+rtt)
		}
	}
}
