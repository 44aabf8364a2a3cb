package tiki

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// batchGate is a batch responder that holds every call until the test
// releases it, so that the test decides the order in which calls finish.
// It answers each item with a row whose code names the item's product and
// price, rows in reverse order.
type batchGate struct {
	mu       sync.Mutex
	pending  []chan struct{}
	inFlight int
	maxSeen  int
	received [][]BatchUpdateItem
	arrived  chan struct{} // a value per arrival
}

func newBatchGate() *batchGate { return &batchGate{arrived: make(chan struct{}, 1024)} }

func (g *batchGate) handle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data []BatchUpdateItem `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		status(400, `{"errors":["bad body"]}`)(w, r)
		return
	}
	release := make(chan struct{})
	g.mu.Lock()
	g.pending = append(g.pending, release)
	g.received = append(g.received, body.Data)
	g.inFlight++
	g.maxSeen = max(g.maxSeen, g.inFlight)
	g.mu.Unlock()
	g.arrived <- struct{}{}
	select {
	case <-release:
	case <-r.Context().Done():
	}
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
	if r.Context().Err() != nil {
		return // the client is gone
	}
	rows := make([]map[string]any, len(body.Data))
	for i, it := range body.Data {
		rows[len(rows)-1-i] = map[string]any{"is_success": it.ProductID%5 != 0, "product_id": it.ProductID, "original_sku": it.OriginalSKU,
			"code": fmt.Sprintf("c%d-%d", it.ProductID, it.Price), "message": nil}
	}
	b, _ := json.Marshal(map[string]any{"data": rows})
	status(200, string(b))(w, r)
}

// waitPending waits until n calls are held.
func (g *batchGate) waitPending(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		g.mu.Lock()
		k := len(g.pending)
		g.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-g.arrived:
		case <-deadline:
			t.Fatalf("%d calls held, want %d", k, n)
		}
	}
}

// releaseOne lets the held call at position i (among those held) finish.
func (g *batchGate) releaseOne(i int) {
	g.mu.Lock()
	ch := g.pending[i]
	g.pending = append(g.pending[:i], g.pending[i+1:]...)
	g.mu.Unlock()
	close(ch)
}

// The calls of a batch run concurrently, up to the concurrency and never
// more, and finish in any order: each result still belongs to its item,
// in input order.
func TestBatchResultsExactWhenCallsFinishOutOfOrder(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 4, 7} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			t.Parallel()
			lim := &countingLimiter{}
			c, s := setup(t, WithLimiter(lim))
			g := newBatchGate()
			s.handle("PUT /v2.1/products/updateSkus", g.handle)
			const n, calls = 195, 10
			items := batchItems(n)
			type out struct {
				res BatchResults
				err error
			}
			done := make(chan out, 1)
			go func() {
				res, _, err := c.Products.UpdateBatch(context.Background(), items, WithBatchConcurrency(conc))
				done <- out{res, err}
			}()
			rng := rand.New(rand.NewPCG(uint64(conc), 1))
			for released := 0; released < calls; released++ {
				// As many calls in flight as allowed: the concurrency, or
				// the calls left.
				g.waitPending(t, min(conc, calls-released))
				g.mu.Lock()
				k := len(g.pending)
				g.mu.Unlock()
				g.releaseOne(rng.IntN(k))
			}
			o := <-done
			require.NoError(t, o.err)
			assert.Equal(t, conc, g.maxSeen, "in flight: reaches the concurrency, never more")
			assert.EqualValues(t, calls, lim.n.Load(), "every call passes the limiter")
			require.Len(t, o.res, n)
			for i, r := range o.res {
				id := int64(1000 + i)
				assert.Equal(t, i, r.Index)
				assert.Equal(t, id, r.ProductID)
				assert.Equal(t, fmt.Sprintf("c%d-%d", id, 10000+i), r.Code, i)
				assert.Equal(t, id%5 != 0, r.Success, i)
				assert.False(t, r.MatchedByPosition, i)
				assert.NoError(t, r.Err, i)
			}
		})
	}
}

// By default, DefaultBatchConcurrency calls are in flight when the batch
// has that many, and no more.
func TestBatchDefaultConcurrency(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	g := newBatchGate()
	s.handle("PUT /v2.1/products/updateSkus", g.handle)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Products.UpdateBatch(context.Background(), batchItems((DefaultBatchConcurrency+8)*MaxBatchUpdate))
		done <- err
	}()
	g.waitPending(t, DefaultBatchConcurrency)
	// No further call starts while these are held.
	time.Sleep(50 * time.Millisecond)
	g.mu.Lock()
	held := len(g.pending)
	g.mu.Unlock()
	require.Equal(t, DefaultBatchConcurrency, held, "no call beyond the concurrency starts")
	for range DefaultBatchConcurrency + 8 {
		g.waitPending(t, 1)
		g.releaseOne(0)
	}
	require.NoError(t, <-done)
	assert.Equal(t, DefaultBatchConcurrency, g.maxSeen)
}

// planBatch never puts one product twice in a call or in two calls that
// may run together: a repeated product goes in a later round whose call
// depends on the call of its previous item.
func TestBatchPlanOrdersRepeatedProducts(t *testing.T) {
	t.Parallel()
	// Without repeats: consecutive runs of 20, no dependencies.
	keys := make([][]string, 45)
	for i := range keys {
		keys[i] = productLockKeys(int64(i+1), "")
	}
	chunks := planBatch(keys)
	require.Len(t, chunks, 3)
	assert.Equal(t, []int{40, 41, 42, 43, 44}, chunks[2].items)
	for _, ch := range chunks {
		assert.Empty(t, ch.deps)
	}

	// Product 1 three times (by id, then by id and SKU, then by SKU),
	// product 2 twice, 40 distinct products in between.
	keys = [][]string{productLockKeys(1, ""), productLockKeys(2, "")}
	for i := range 40 {
		keys = append(keys, productLockKeys(int64(100+i), ""))
	}
	keys = append(keys, productLockKeys(1, "S-1"), productLockKeys(2, ""), productLockKeys(0, "S-1"))
	chunks = planBatch(keys)
	// Round 0: items 0..41 (3 calls: 20, 20, 2); round 1: items 42, 43;
	// round 2: item 44.
	require.Len(t, chunks, 5)
	assert.Equal(t, []int{40, 41}, chunks[2].items)
	assert.Equal(t, []int{42, 43}, chunks[3].items)
	assert.Equal(t, []int{0}, chunks[0].items[:1])
	assert.ElementsMatch(t, []int{0}, chunks[3].deps, "items 0 and 1 are in call 0")
	assert.Equal(t, []int{44}, chunks[4].items)
	assert.Equal(t, []int{3}, chunks[4].deps)
}

// batchLedger is a responder that applies each call's prices to a store,
// when the call arrives, and logs when each call starts and ends.
type batchLedger struct {
	mu     sync.Mutex
	seq    int
	prices map[string]int64
	calls  []ledgerCall
	rng    *rand.Rand
}

type ledgerCall struct {
	items      []BatchUpdateItem
	start, end int
}

func (l *batchLedger) handle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data []BatchUpdateItem `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		status(400, `{"errors":["bad body"]}`)(w, r)
		return
	}
	l.mu.Lock()
	l.seq++
	n := len(l.calls)
	l.calls = append(l.calls, ledgerCall{items: body.Data, start: l.seq})
	for _, it := range body.Data {
		l.prices[fmt.Sprint(it.ProductID, "/", it.OriginalSKU)] = int64(it.Price)
	}
	wait := time.Duration(l.rng.IntN(3)) * time.Millisecond
	l.mu.Unlock()
	time.Sleep(wait) // calls finish in a shuffled order
	l.mu.Lock()
	l.seq++
	l.calls[n].end = l.seq
	l.mu.Unlock()
	rows := make([]map[string]any, len(body.Data))
	for i, it := range body.Data {
		rows[i] = map[string]any{"is_success": true, "product_id": it.ProductID, "original_sku": it.OriginalSKU, "code": "success"}
	}
	b, _ := json.Marshal(map[string]any{"data": rows})
	status(200, string(b))(w, r)
}

// A batch that names a product several times sends its items in the order
// given, each in a call that starts after the call of the previous one has
// finished: Tiki ends with the last value. No call carries a product twice.
func TestBatchRepeatedProductsLandInOrder(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	l := &batchLedger{prices: map[string]int64{}, rng: rand.New(rand.NewPCG(7, 7))}
	s.handle("PUT /v2.1/products/updateSkus", l.handle)
	// 300 items over 30 products (ids 1..20 and SKUs K-0..K-9), each named
	// 10 times with rising prices.
	var items []BatchUpdateItem
	for i := range 300 {
		p := i % 30
		if p < 20 {
			items = append(items, BatchUpdateItem{ProductID: int64(p + 1), Price: Money(1000 + i)})
		} else {
			items = append(items, BatchUpdateItem{OriginalSKU: fmt.Sprintf("K-%d", p-20), Price: Money(1000 + i)})
		}
	}
	results, _, err := c.Products.UpdateBatch(context.Background(), items, WithBatchConcurrency(8))
	require.NoError(t, err)
	for i, r := range results {
		assert.True(t, r.Success, i)
		assert.Equal(t, i, r.Index)
	}
	// The last item of each product wins.
	for i := 270; i < 300; i++ {
		assert.Equal(t, int64(items[i].Price), l.prices[fmt.Sprint(items[i].ProductID, "/", items[i].OriginalSKU)], i)
	}
	// Each product's calls: one item per call, in input order, each call
	// starting after the previous one ended.
	type seen struct {
		price      int64
		end, calls int
	}
	byProduct := map[string]*seen{}
	// Calls in the order they started.
	for _, call := range l.calls {
		inCall := map[string]bool{}
		for _, it := range call.items {
			k := fmt.Sprint(it.ProductID, "/", it.OriginalSKU)
			require.False(t, inCall[k], "a call carries %s twice", k)
			inCall[k] = true
			s := byProduct[k]
			if s == nil {
				s = &seen{}
				byProduct[k] = s
			} else {
				assert.Greater(t, it.Price, s.price, "%s: items out of order", k)
				assert.Greater(t, call.start, s.end, "%s: call started before the previous one ended", k)
			}
			s.price, s.end = int64(it.Price), call.end
			s.calls++
		}
	}
	for k, s := range byProduct {
		assert.Equal(t, 10, s.calls, k)
	}
}

// StopOnError with calls in flight: the call in flight finishes with its
// result, no call starts after the failure, every other item is not sent
// and was never received. Nothing is left running.
func TestBatchStopOnErrorWithCallsInFlight(t *testing.T) {
	before := goleak.IgnoreCurrent()
	c, s := setup(t)
	release, second := make(chan struct{}), make(chan struct{})
	var received sync.Map
	var calls atomic.Int32
	srv := &batchServer{}
	s.handle("PUT /v2.1/products/updateSkus", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var body struct {
			Data []BatchUpdateItem `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		for _, it := range body.Data {
			received.Store(it.ProductID, true)
		}
		if body.Data[0].ProductID == 1000 {
			<-second // the first call fails once the second is in flight
			status(400, `{"errors":["data is invalid"]}`)(w, r)
			return
		}
		close(second)
		<-release // the second call is held until the failure is recorded
		b, _ := json.Marshal(body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		srv.handle(w, r)
	})
	var once sync.Once
	progress := func(done, total int) { once.Do(func() { close(release) }) }
	results, _, err := c.Products.UpdateBatch(context.Background(), batchItems(200),
		WithBatchConcurrency(2), WithBatchStopOnError(), WithBatchProgress(progress))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 of 10 calls failed, 160 of 200 items not sent")
	assert.EqualValues(t, 2, calls.Load())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	for i, r := range results {
		_, got := received.Load(int64(1000 + i))
		switch {
		case i < 20:
			assert.Same(t, apiErr, errAsAPI(r.Err), i)
		case i < 40:
			assert.True(t, r.Success, i)
			assert.True(t, got, i)
		default:
			assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
			assert.False(t, got, i)
		}
	}
	s.Close()
	goleak.VerifyNone(t, before)
}

// When the context ends with calls in flight, those calls end with the
// context's error, no call starts, and the rest is not sent, wrapping the
// context's error. Nothing is left running.
func TestBatchContextEndsWithCallsInFlight(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, s := setup(t)
	g := newBatchGate()
	s.handle("PUT /v2.1/products/updateSkus", g.handle)
	type out struct {
		res BatchResults
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, _, err := c.Products.UpdateBatch(ctx, batchItems(200), WithBatchConcurrency(3))
		done <- out{res, err}
	}()
	g.waitPending(t, 3)
	g.releaseOne(0) // one call is answered
	g.waitPending(t, 3)
	cancel()
	o := <-done
	require.ErrorIs(t, o.err, context.Canceled)
	assert.Contains(t, o.err.Error(), "3 of 10 calls failed, 120 of 200 items not sent (the context ended)")
	g.mu.Lock()
	received := g.received
	g.mu.Unlock()
	require.Len(t, received, 4)
	sent := map[int64]bool{}
	for _, call := range received {
		for _, it := range call {
			sent[it.ProductID] = true
		}
	}
	answered, failed, notSent := 0, 0, 0
	for i, r := range o.res {
		id := int64(1000 + i)
		switch {
		case r.Code != "":
			answered++
			assert.True(t, sent[id], i)
			assert.NoError(t, r.Err, i)
		case errors.Is(r.Err, ErrBatchNotSent):
			notSent++
			assert.False(t, sent[id], i)
			assert.ErrorIs(t, r.Err, context.Canceled, i)
		default:
			failed++
			assert.True(t, sent[id], i)
			var reqErr *RequestError
			assert.ErrorAs(t, r.Err, &reqErr, i)
			assert.ErrorIs(t, r.Err, context.Canceled, i)
		}
	}
	assert.Equal(t, []int{20, 60, 120}, []int{answered, failed, notSent})
	s.Close()
	goleak.VerifyNone(t, before)
}

// The progress function is called once per call, one at a time, with done
// rising to total.
func TestBatchProgress(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
	var inside atomic.Int32
	var overlap atomic.Bool
	var reports [][2]int
	progress := func(done, total int) {
		if inside.Add(1) > 1 {
			overlap.Store(true)
		}
		reports = append(reports, [2]int{done, total})
		inside.Add(-1)
	}
	_, _, err := c.Products.UpdateBatch(context.Background(), batchItems(590), WithBatchConcurrency(8), WithBatchProgress(progress))
	require.NoError(t, err)
	assert.False(t, overlap.Load(), "reports overlapped")
	require.Len(t, reports, 30)
	for i, r := range reports {
		assert.Equal(t, 590, r[1])
		if i > 0 {
			assert.Greater(t, r[0], reports[i-1][0])
			assert.Contains(t, []int{10, 20}, r[0]-reports[i-1][0])
		}
	}
	assert.Equal(t, [2]int{590, 590}, reports[29])
}

// A panic in the progress function stops the batch and is returned as a
// *PanicError; the process lives on.
func TestBatchProgressPanic(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
	calls := 0
	results, _, err := c.Products.UpdateBatch(context.Background(), batchItems(60), WithBatchConcurrency(1),
		WithBatchProgress(func(done, total int) { calls++; panic("boom") }))
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, err.Error(), "0 of 3 calls failed, 40 of 60 items not sent (the progress function panicked)")
	assert.Equal(t, 1, calls)
	assert.Equal(t, 1, s.count())
	for i, r := range results {
		if i < 20 {
			assert.True(t, r.Success, i)
		} else {
			assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
		}
	}
}

// A panic while sending one call of the batch (here in the caller's
// transport) fails that call's items with a *PanicError; the other calls
// are sent and the process lives on.
func TestBatchCallPanicFailsItsItems(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	srv := &batchServer{}
	s.handle("PUT /v2.1/products/updateSkus", srv.handle)
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if bytes.Contains(body, []byte(`"product_id":1020,`)) {
			panic("transport broke")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return s.transport().RoundTrip(r)
	})
	c := s.client(t, WithSellerKey(testKey), WithHTTPClient(&http.Client{Transport: rt}))
	results, _, err := c.Products.UpdateBatch(context.Background(), batchItems(60))
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "transport broke", pe.Value)
	assert.Contains(t, err.Error(), "1 of 3 calls failed, 0 of 60 items not sent")
	require.Len(t, results, 60)
	for i, r := range results {
		if i >= 20 && i < 40 {
			require.ErrorAs(t, r.Err, &pe, i)
			assert.False(t, r.Success, i)
		} else {
			assert.True(t, r.Success, i)
			assert.NoError(t, r.Err, i)
		}
	}
	assert.Len(t, srv.calls, 2, "the other calls were sent")
}

// Bad options are refused before anything is sent, with the items'
// problems.
func TestBatchOptionsValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []BatchOption
		want []FieldProblem
	}{
		{"zero", []BatchOption{WithBatchConcurrency(0)}, []FieldProblem{{"concurrency", "must be between 1 and 256"}}},
		{"negative", []BatchOption{WithBatchConcurrency(-1)}, []FieldProblem{{"concurrency", "must be between 1 and 256"}}},
		{"too many", []BatchOption{WithBatchConcurrency(MaxBatchConcurrency + 1)}, []FieldProblem{{"concurrency", "must be between 1 and 256"}}},
		{"nil", []BatchOption{WithBatchStopOnError(), nil}, []FieldProblem{{"opts[1]", "must not be nil"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
			_, _, err := c.Products.UpdateBatch(context.Background(), batchItems(3), tc.opts...)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Problems)
			_, _, err = c.V2.Products.UpdateBatch(context.Background(), []BatchUpdateItemV2{{ProductID: 1, Price: 1}}, tc.opts...)
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, 0, s.count())
		})
	}
}

// A call waiting for the call of its product's earlier item is not sent
// when the context ends meanwhile: its items are not sent, and nothing is
// left running.
func TestBatchContextEndsWhileWaitingForAnEarlierCall(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, s := setup(t)
	g := newBatchGate()
	s.handle("PUT /v2.1/products/updateSkus", g.handle)
	items := []BatchUpdateItem{{ProductID: 1, Price: 100}, {ProductID: 2, Price: 100}, {ProductID: 1, Price: 200}}
	type out struct {
		res BatchResults
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, _, err := c.Products.UpdateBatch(ctx, items)
		done <- out{res, err}
	}()
	g.waitPending(t, 1) // the first call is held; the second waits for it
	time.Sleep(20 * time.Millisecond)
	g.mu.Lock()
	require.Len(t, g.received, 1, "the second call waits for the first")
	g.mu.Unlock()
	cancel()
	o := <-done
	require.ErrorIs(t, o.err, context.Canceled)
	assert.Contains(t, o.err.Error(), "1 of 2 calls failed, 1 of 3 items not sent (the context ended)")
	var reqErr *RequestError
	assert.ErrorAs(t, o.res[0].Err, &reqErr)
	assert.ErrorAs(t, o.res[1].Err, &reqErr)
	assert.ErrorIs(t, o.res[2].Err, ErrBatchNotSent)
	assert.ErrorIs(t, o.res[2].Err, context.Canceled)
	assert.Len(t, g.received, 1)
	s.Close()
	goleak.VerifyNone(t, before)
}

// TestBatchThroughput: 10,000 SKU updates make exactly 500 calls of 20 and
// take the time Tiki's rate limit (200/s, burst 20) allows, no more.
func TestBatchThroughput(t *testing.T) {
	requireEvidence(t)
	var calls, items atomic.Int64
	_, s := setup(t)
	s.handle("PUT /v2.1/products/updateSkus", func(w http.ResponseWriter, r *http.Request) {
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
	})
	// The client's default options: the rate limit under test, and the
	// HTTP client that sustains it.
	c, err := NewClient(WithBaseURL(s.URL+apiPath), WithSellerKey("k-123456"))
	require.NoError(t, err)

	updates := make([]BatchUpdateItem, 10000)
	for i := range updates {
		updates[i] = BatchUpdateItem{OriginalSKU: fmt.Sprintf("SKU-%05d", i), Price: Money(10000 + i)}
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
	floor := time.Duration(float64(500-20) / DefaultRateLimit * float64(time.Second))
	t.Logf("10,000 updates in %d calls: %v (the rate limit allows no less than %v)", calls.Load(), elapsed.Round(time.Millisecond), floor)
	// Never faster than the limit allows; on a loaded 2-core machine up to
	// 3 s slower (the server and its JSON work share the CPUs).
	assert.GreaterOrEqual(t, elapsed, floor-50*time.Millisecond)
	assert.Less(t, elapsed, floor+3*time.Second)
}

func TestProductsUpdateBatchDocExample(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSkus", 200, fixture(t, "products_update_skus_v21_response.json"))

	wq := []WarehouseQuantity{{WarehouseID: 1034, QtyAvailable: 17}, {WarehouseID: 1015, QtyAvailable: 18}}
	results, resp, err := c.Products.UpdateBatch(context.Background(), []BatchUpdateItem{
		{ProductID: 12345, Price: 12000, Status: ProductStatusDisabled, SellerWarehouse: "1034, 1015", WarehouseQuantities: wq},
		{OriginalSKU: "xxxxx-yyyy-1111", Price: 9000, Status: ProductStatusEnabled, SellerWarehouse: "1034, 1015", WarehouseQuantities: wq},
	})
	require.NoError(t, err, "a refused item is not a failed call")
	assert.Equal(t, 200, resp.StatusCode)
	requireWire(t, s.last(), http.MethodPut, "/v2.1/products/updateSkus", nil)
	requireJSONEqual(t, string(fixture(t, "products_update_skus_v21_request.json")), s.last().Body)
	// The example's answer names other products than its request: rows are
	// matched in order, and the results say so.
	want := BatchResults{
		{Index: 0, ProductID: 2386775, OriginalSKU: "p12-12335-abc", Success: true, Code: "success", MatchedByPosition: true},
		{Index: 1, ProductID: 2386777, OriginalSKU: "xxxxx-yyyy-1111", Success: false, Code: "resource_illegal",
			Messages: []string{"Seller price must be less than or equals listing price of master product"}, MatchedByPosition: true},
	}
	assert.Equal(t, want, results)
	assert.Equal(t, want[1:], results.Failures())
}

func TestProductsUpdateBatchV2DocExample(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2/products/updateSkus", 200, fixture(t, "products_update_skus_v2_response.json"))

	results, _, err := c.V2.Products.UpdateBatch(context.Background(), []BatchUpdateItemV2{
		{ProductID: 12345, Price: 12000, Status: ProductStatusDisabled, Quantity: Ptr(10)},
		{OriginalSKU: "xxxxx-yyyy-1111", Price: 9000, Status: ProductStatusEnabled, Quantity: Ptr(20)},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPut, "/v2/products/updateSkus", nil)
	requireJSONEqual(t, string(fixture(t, "products_update_skus_v2_request.json")), s.last().Body)
	require.Len(t, results, 2)
	assert.True(t, results[0].Success)
	assert.Equal(t, "resource_illegal", results[1].Code)
	assert.Len(t, results.Failures(), 1)
}

// batchServer answers batch updates like Tiki: one row per item,
// echoing its product_id and original_sku, refusing the items whose
// product_id is in refuse. It records each call's items.
type batchServer struct {
	mu     sync.Mutex
	calls  [][]BatchUpdateItem
	refuse func(id int64) bool
	// reorder reverses the rows of each answer.
	reorder bool
}

func (s *batchServer) handle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data []BatchUpdateItem `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		status(400, `{"errors":["bad body"]}`)(w, r)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, body.Data)
	s.mu.Unlock()
	rows := make([]map[string]any, 0, len(body.Data))
	for _, it := range body.Data {
		row := map[string]any{"is_success": true, "product_id": it.ProductID, "original_sku": it.OriginalSKU, "code": "success", "message": nil}
		if s.refuse != nil && s.refuse(it.ProductID) {
			row["is_success"], row["code"], row["message"] = false, "resource_illegal", []string{fmt.Sprintf("price of %d refused", it.ProductID)}
		}
		rows = append(rows, row)
	}
	if s.reorder {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	b, _ := json.Marshal(map[string]any{"data": rows})
	status(200, string(b))(w, r)
}

func TestProductsUpdateBatchSplitsInCallsOf20(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ items, calls int }{{0, 0}, {1, 1}, {20, 1}, {21, 2}, {1000, 50}} {
		t.Run(strconv.Itoa(tc.items), func(t *testing.T) {
			t.Parallel()
			lim := &countingLimiter{}
			c, s := setup(t, WithLimiter(lim))
			srv := &batchServer{refuse: func(id int64) bool { return id%7 == 0 }}
			s.handle("PUT /v2.1/products/updateSkus", srv.handle)

			items := batchItems(tc.items)
			results, resp, err := c.Products.UpdateBatch(context.Background(), items)
			require.NoError(t, err)
			assert.Equal(t, tc.calls, s.count())
			assert.EqualValues(t, tc.calls, lim.n.Load(), "every call passes the rate limiter")
			if tc.calls == 0 {
				assert.Nil(t, resp)
			}
			// The calls carry the items in order, at most 20 each (taken
			// in the order of their items: calls run concurrently).
			require.Len(t, srv.calls, tc.calls)
			slices.SortFunc(srv.calls, func(a, b []BatchUpdateItem) int { return cmp.Compare(a[0].ProductID, b[0].ProductID) })
			var sent []BatchUpdateItem
			for i, call := range srv.calls {
				assert.LessOrEqual(t, len(call), MaxBatchUpdate, i)
				if i < len(srv.calls)-1 {
					assert.Len(t, call, MaxBatchUpdate, i)
				}
				sent = append(sent, call...)
			}
			if tc.items > 0 {
				assert.Equal(t, items, sent)
			}
			// One result per item, in input order.
			require.Len(t, results, tc.items)
			refused := 0
			for i, r := range results {
				id := int64(1000 + i)
				assert.Equal(t, i, r.Index)
				assert.Equal(t, id, r.ProductID)
				assert.NoError(t, r.Err)
				if id%7 == 0 {
					refused++
					assert.False(t, r.Success)
					assert.Equal(t, "resource_illegal", r.Code)
					assert.Equal(t, []string{fmt.Sprintf("price of %d refused", id)}, r.Messages)
				} else {
					assert.True(t, r.Success, i)
					assert.Equal(t, "success", r.Code)
					assert.Nil(t, r.Messages)
				}
			}
			failures := results.Failures()
			assert.Len(t, failures, refused)
			for _, f := range failures {
				assert.Zero(t, (1000+f.Index)%7)
			}
		})
	}
}

// Tiki's rows are matched by product_id or original_sku, whatever their
// order.
func TestProductsUpdateBatchMatchesRowsByKey(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	srv := &batchServer{reorder: true, refuse: func(id int64) bool { return id == 1001 }}
	s.handle("PUT /v2.1/products/updateSkus", srv.handle)
	items := []BatchUpdateItem{
		{ProductID: 1000, Price: 1},
		{ProductID: 1001, Price: 1},
		{OriginalSKU: "A-2", Status: ProductStatusHidden},
		{OriginalSKU: "A-3", Status: ProductStatusEnabled},
	}
	results, _, err := c.Products.UpdateBatch(context.Background(), items)
	require.NoError(t, err)
	assert.Equal(t, BatchResults{
		{Index: 0, ProductID: 1000, Success: true, Code: "success"},
		{Index: 1, ProductID: 1001, Code: "resource_illegal", Messages: []string{"price of 1001 refused"}},
		{Index: 2, OriginalSKU: "A-2", Success: true, Code: "success"},
		{Index: 3, OriginalSKU: "A-3", Success: true, Code: "success"},
	}, results)
}

func TestProductsUpdateBatchMissingRows(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSkus", 200,
		[]byte(`{"data":[{"is_success":true,"product_id":1002,"original_sku":"","code":"success","message":null}]}`))
	results, _, err := c.Products.UpdateBatch(context.Background(), batchItems(3))
	require.NoError(t, err)
	assert.Equal(t, BatchResults{
		{Index: 0, ProductID: 1000, Err: ErrBatchNoResult},
		{Index: 1, ProductID: 1001, Err: ErrBatchNoResult},
		{Index: 2, ProductID: 1002, Success: true, Code: "success"},
	}, results)
	assert.Len(t, results.Failures(), 2)
}

// A failed call fails only its own items: the other calls are still sent
// and keep their results.
func TestProductsUpdateBatchCallFails(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	srv := &batchServer{}
	s.handle("PUT /v2.1/products/updateSkus", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"product_id":1020,`) { // the second call
			status(400, `{"errors":["data is invalid"]}`)(w, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		srv.handle(w, r)
	})
	results, resp, err := c.Products.UpdateBatch(context.Background(), batchItems(45))
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Equal(t, []string{"data is invalid"}, apiErr.Messages)
	assert.Contains(t, err.Error(), "1 of 3 calls failed, 0 of 45 items not sent")
	assert.Equal(t, 200, resp.StatusCode, "the last successful response")
	assert.Equal(t, 3, s.count(), "the other calls are still sent")

	require.Len(t, results, 45)
	for i, r := range results {
		assert.Equal(t, i, r.Index)
		if i >= 20 && i < 40 {
			assert.False(t, r.Success, i)
			assert.Same(t, apiErr, errAsAPI(r.Err), i)
			continue
		}
		assert.True(t, r.Success, i)
		assert.NoError(t, r.Err, i)
	}
	assert.Len(t, results.Failures(), 20)
}

// With WithBatchStopOnError (and one call at a time), the batch stops at
// the failed call: its items carry its error, the later ones
// ErrBatchNotSent, the earlier ones their results.
func TestProductsUpdateBatchStopOnError(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	srv := &batchServer{}
	s.handle("PUT /v2.1/products/updateSkus", srv.handle, status(400, `{"errors":["data is invalid"]}`), srv.handle)
	results, resp, err := c.Products.UpdateBatch(context.Background(), batchItems(45), WithBatchConcurrency(1), WithBatchStopOnError())
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "1 of 3 calls failed, 5 of 45 items not sent (stopped at a failed call)")
	assert.Equal(t, 200, resp.StatusCode, "the last successful response")
	assert.Equal(t, 2, s.count(), "nothing is sent after a failed call")

	require.Len(t, results, 45)
	for i, r := range results {
		assert.Equal(t, i, r.Index)
		switch {
		case i < 20:
			assert.True(t, r.Success, i)
			assert.NoError(t, r.Err, i)
		case i < 40:
			assert.False(t, r.Success, i)
			assert.Same(t, apiErr, errAsAPI(r.Err), i)
		default:
			assert.False(t, r.Success, i)
			assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
		}
	}
	assert.Len(t, results.Failures(), 25)
}

func errAsAPI(err error) *APIError {
	var apiErr *APIError
	errors.As(err, &apiErr)
	return apiErr
}

// A batch call is a PUT: retried on 5xx, the same body each time.
func TestProductsUpdateBatchRetriesCall(t *testing.T) {
	t.Parallel()
	ok := `{"data":[{"is_success":true,"product_id":1000,"code":"success"}]}`
	c, s := setup(t)
	s.handle("PUT /v2.1/products/updateSkus", status(502, ``), status(200, ok))
	results, resp, err := c.Products.UpdateBatch(context.Background(), batchItems(1))
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Len(t, s.waits(), 1)
	assert.True(t, results[0].Success)
	got := s.requests()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].Body, got[1].Body)
}

// cancelOnWait cancels the context when the n-th request asks the
// limiter: the context ends between two calls of a batch.
type cancelOnWait struct {
	n      atomic.Int32
	at     int32
	cancel context.CancelFunc
}

func (l *cancelOnWait) Wait(ctx context.Context) error {
	if l.n.Add(1) == l.at {
		l.cancel()
	}
	return ctx.Err()
}

func TestProductsUpdateBatchContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, s := setup(t, WithLimiter(&cancelOnWait{at: 2, cancel: cancel}))
	s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
	// One call at a time, so that the context ends in the second call.
	results, _, err := c.Products.UpdateBatch(ctx, batchItems(50), WithBatchConcurrency(1))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, s.count())
	for i := range 20 {
		assert.True(t, results[i].Success, i)
	}
	var reqErr *RequestError
	require.ErrorAs(t, results[20].Err, &reqErr)
	assert.False(t, reqErr.Sent, "the second call never left")
	assert.ErrorIs(t, results[39].Err, context.Canceled)
	assert.ErrorIs(t, results[40].Err, ErrBatchNotSent)
	assert.ErrorIs(t, results[49].Err, ErrBatchNotSent)
	assert.Len(t, results.Failures(), 30)
}

// When the context ends between two calls, no call starts any more:
// its items and the rest carry ErrBatchNotSent, wrapping the context's
// error, never a *RequestError.
func TestProductsUpdateBatchContextEndsBetweenCalls(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lim := &countingLimiter{}
	_, s := setup(t)
	s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
	// The answer is read whole, then the context ends: the client closes
	// the body once it has read it, before the next call.
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := s.transport().RoundTrip(r)
		if err == nil {
			resp.Body = &closeHook{ReadCloser: resp.Body, onClose: cancel}
		}
		return resp, err
	})
	c := s.client(t, WithSellerKey(testKey), WithLimiter(lim), WithHTTPClient(&http.Client{Transport: rt}))
	// One call at a time, so that the context ends between two calls.
	results, resp, err := c.Products.UpdateBatch(ctx, batchItems(50), WithBatchConcurrency(1))
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "0 of 3 calls failed, 30 of 50 items not sent (the context ended)")
	assert.Equal(t, 200, resp.StatusCode, "the last successful response")
	assert.Equal(t, 1, s.count())
	assert.EqualValues(t, 1, lim.n.Load(), "the second call never asked the limiter")
	for i, r := range results {
		if i < 20 {
			assert.True(t, r.Success, i)
			assert.NoError(t, r.Err, i)
			continue
		}
		assert.False(t, r.Success, i)
		assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
		assert.ErrorIs(t, r.Err, context.Canceled, i)
		var reqErr *RequestError
		assert.False(t, errors.As(r.Err, &reqErr), i)
	}
	assert.Len(t, results.Failures(), 30)

	// Already ended before the first call: nothing is sent.
	results, resp, err = c.Products.UpdateBatch(ctx, batchItems(3))
	require.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, resp)
	assert.Equal(t, 1, s.count())
	for i, r := range results {
		assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
	}
}

// Rows matched to items by key are not marked; rows paired by position
// are.
func TestProductsUpdateBatchMatchedByPosition(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSkus", 200, []byte(`{"data":[
		{"is_success":true,"product_id":1000,"code":"success"},
		{"is_success":false,"product_id":9999,"code":"resource_illegal","message":["unknown"]}]}`))
	results, _, err := c.Products.UpdateBatch(context.Background(), batchItems(2))
	require.NoError(t, err)
	assert.Equal(t, BatchResults{
		{Index: 0, ProductID: 1000, Success: true, Code: "success"},
		{Index: 1, ProductID: 9999, Code: "resource_illegal", Messages: []string{"unknown"}, MatchedByPosition: true},
	}, results)
}

func TestProductsUpdateBatchValidation(t *testing.T) {
	t.Parallel()
	wq := []WarehouseQuantity{{WarehouseID: 1034, QtyAvailable: 1}}
	cases := []struct {
		name string
		item BatchUpdateItem
		want []FieldProblem
	}{
		{"by product_id", BatchUpdateItem{ProductID: 1, Price: 1}, nil},
		{"by original_sku", BatchUpdateItem{OriginalSKU: "A", Status: ProductStatusHidden}, nil},
		{"status disabled", BatchUpdateItem{ProductID: 1, Status: ProductStatusDisabled}, nil},
		{"stock", BatchUpdateItem{ProductID: 1, SellerWarehouse: "1034", WarehouseQuantities: wq}, nil},
		{"no product", BatchUpdateItem{Price: 1}, []FieldProblem{{"data[1].product_id", "is required when original_sku is empty"}}},
		{"negative product_id", BatchUpdateItem{ProductID: -5, Price: 1}, []FieldProblem{{"data[1].product_id", "must be a positive id"}}},
		{"price", BatchUpdateItem{ProductID: 1, Price: -1}, []FieldProblem{{"data[1].price", "must be greater than 0"}}},
		{"status", BatchUpdateItem{ProductID: 1, Status: 4}, []FieldProblem{{"data[1].status", "is 4, not one of the known ProductStatus values 1 (ProductStatusEnabled), 2 (ProductStatusDisabled), 3 (ProductStatusHidden)"}}},
		{"seller_warehouse", BatchUpdateItem{ProductID: 1, SellerWarehouse: "1034,", Price: 1},
			[]FieldProblem{{"data[1].seller_warehouse", `must be comma-separated warehouse ids, like "1034,1015"`}}},
		{"qty_available", BatchUpdateItem{ProductID: 1, WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1, QtyAvailable: -1}}},
			[]FieldProblem{{"data[1].warehouse_quantities[0].qty_available", "must not be negative"}}},
		{"nothing to update", BatchUpdateItem{ProductID: 1},
			[]FieldProblem{{"data[1].price", "is not set, and neither are status, seller_warehouse and warehouse_quantities: nothing to update"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("PUT /v2.1/products/updateSkus", (&batchServer{}).handle)
			// The item under test is the second of 25: paths use the
			// index in the caller's slice, whatever call it would go in.
			items := batchItems(25)
			items[1] = tc.item
			_, _, err := c.Products.UpdateBatch(context.Background(), items)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 2, s.count())
				return
			}
			requireRefused(t, err, s, tc.want...)
		})
	}

	t.Run("v2", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		s.respond(http.MethodPut, "/v2/products/updateSkus", 200, fixture(t, "products_update_skus_v2_response.json"))
		_, _, err := c.V2.Products.UpdateBatch(context.Background(), []BatchUpdateItemV2{{ProductID: 1, Quantity: Ptr(0)}})
		require.NoError(t, err)
		_, _, err = c.V2.Products.UpdateBatch(context.Background(), []BatchUpdateItemV2{
			{ProductID: 1, Status: ProductStatusEnabled},
			{Price: -1, Status: 9, Quantity: Ptr(-2)},
			{OriginalSKU: "A"},
		})
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, []FieldProblem{
			{"data[1].product_id", "is required when original_sku is empty"},
			{"data[1].price", "must be greater than 0"},
			{"data[1].status", "is 9, not one of the known ProductStatus values 1 (ProductStatusEnabled), 2 (ProductStatusDisabled), 3 (ProductStatusHidden)"},
			{"data[1].quantity", "must not be negative"},
			{"data[2].price", "is not set, and neither are status and quantity: nothing to update"},
		}, ve.Problems)
		assert.Equal(t, 1, s.count())
	})
}

// closeHook is a response body that calls onClose when it is closed (after
// the client has read it).
type closeHook struct {
	io.ReadCloser
	onClose func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.onClose()
	return err
}
