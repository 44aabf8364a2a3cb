package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
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

func (g *batchGate) handle(r *http.Request) (*http.Response, error) {
	var body struct {
		Data []BatchUpdateItem `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return responseJSON(400, `{"errors":["bad body"]}`), nil
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
		return nil, r.Context().Err()
	}
	rows := make([]map[string]any, len(body.Data))
	for i, it := range body.Data {
		rows[len(rows)-1-i] = map[string]any{"is_success": it.ProductID%5 != 0, "product_id": it.ProductID, "original_sku": it.OriginalSKU,
			"code": fmt.Sprintf("c%d-%d", it.ProductID, it.Price), "message": nil}
	}
	b, _ := json.Marshal(map[string]any{"data": rows})
	return responseJSON(200, string(b)), nil
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
			c, mt := setup(t, WithLimiter(lim))
			g := newBatchGate()
			mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", g.handle)
			const n, calls = 195, 10
			items := prodBatchItems(n)
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
	c, mt := setup(t)
	g := newBatchGate()
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", g.handle)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.Products.UpdateBatch(context.Background(), prodBatchItems((DefaultBatchConcurrency+8)*MaxBatchUpdate))
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

func (l *batchLedger) handle(r *http.Request) (*http.Response, error) {
	var body struct {
		Data []BatchUpdateItem `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return responseJSON(400, `{"errors":["bad body"]}`), nil
	}
	l.mu.Lock()
	l.seq++
	n := len(l.calls)
	l.calls = append(l.calls, ledgerCall{items: body.Data, start: l.seq})
	for _, it := range body.Data {
		l.prices[fmt.Sprint(it.ProductID, "/", it.OriginalSKU)] = it.Price
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
	return responseJSON(200, string(b)), nil
}

// A batch that names a product several times sends its items in the order
// given, each in a call that starts after the call of the previous one has
// finished: Tiki ends with the last value. No call carries a product twice.
func TestBatchRepeatedProductsLandInOrder(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	l := &batchLedger{prices: map[string]int64{}, rng: rand.New(rand.NewPCG(7, 7))}
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", l.handle)
	// 300 items over 30 products (ids 1..20 and SKUs K-0..K-9), each named
	// 10 times with rising prices.
	var items []BatchUpdateItem
	for i := range 300 {
		p := i % 30
		if p < 20 {
			items = append(items, BatchUpdateItem{ProductID: int64(p + 1), Price: int64(1000 + i)})
		} else {
			items = append(items, BatchUpdateItem{OriginalSKU: fmt.Sprintf("K-%d", p-20), Price: int64(1000 + i)})
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
		assert.Equal(t, items[i].Price, l.prices[fmt.Sprint(items[i].ProductID, "/", items[i].OriginalSKU)], i)
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
			s.price, s.end = it.Price, call.end
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
	c, mt := setup(t)
	release, second := make(chan struct{}), make(chan struct{})
	var received sync.Map
	var calls atomic.Int32
	srv := &prodBatchServer{}
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", func(r *http.Request) (*http.Response, error) {
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
			return responseJSON(400, `{"errors":["data is invalid"]}`), nil
		}
		close(second)
		<-release // the second call is held until the failure is recorded
		b, _ := json.Marshal(body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		return srv.handle(r)
	})
	var once sync.Once
	progress := func(done, total int) { once.Do(func() { close(release) }) }
	results, _, err := c.Products.UpdateBatch(context.Background(), prodBatchItems(200),
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
			assert.Same(t, apiErr, prodErrAsAPI(r.Err), i)
		case i < 40:
			assert.True(t, r.Success, i)
			assert.True(t, got, i)
		default:
			assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
			assert.False(t, got, i)
		}
	}
	goleak.VerifyNone(t, before)
}

// When the context ends with calls in flight, those calls end with the
// context's error, no call starts, and the rest is not sent, wrapping the
// context's error. Nothing is left running.
func TestBatchContextEndsWithCallsInFlight(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, mt := setup(t)
	g := newBatchGate()
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", g.handle)
	type out struct {
		res BatchResults
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, _, err := c.Products.UpdateBatch(ctx, prodBatchItems(200), WithBatchConcurrency(3))
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
	goleak.VerifyNone(t, before)
}

// The progress function is called once per call, one at a time, with done
// rising to total.
func TestBatchProgress(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", (&prodBatchServer{}).handle)
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
	_, _, err := c.Products.UpdateBatch(context.Background(), prodBatchItems(590), WithBatchConcurrency(8), WithBatchProgress(progress))
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
	c, mt := setup(t)
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", (&prodBatchServer{}).handle)
	calls := 0
	results, _, err := c.Products.UpdateBatch(context.Background(), prodBatchItems(60), WithBatchConcurrency(1),
		WithBatchProgress(func(done, total int) { calls++; panic("boom") }))
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, err.Error(), "0 of 3 calls failed, 40 of 60 items not sent (the progress function panicked)")
	assert.Equal(t, 1, calls)
	assert.Equal(t, 1, mt.GetTotalCallCount())
	for i, r := range results {
		if i < 20 {
			assert.True(t, r.Success, i)
		} else {
			assert.ErrorIs(t, r.Err, ErrBatchNotSent, i)
		}
	}
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
			c, mt := setup(t)
			mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", (&prodBatchServer{}).handle)
			_, _, err := c.Products.UpdateBatch(context.Background(), prodBatchItems(3), tc.opts...)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Problems)
			_, _, err = c.Products.UpdateBatchV2(context.Background(), []BatchUpdateItemV2{{ProductID: 1, Price: 1}}, tc.opts...)
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, 0, mt.GetTotalCallCount())
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
	c, mt := setup(t)
	g := newBatchGate()
	mt.RegisterResponder(http.MethodPut, testBase+"/v2.1/products/updateSkus", g.handle)
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
	goleak.VerifyNone(t, before)
}
