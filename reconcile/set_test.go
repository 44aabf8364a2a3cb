package reconcile_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// synced returns an engine that has seen the fake's products A (5 in hn,
// price 100,000) and B, through a first Sync.
func synced(t *testing.T, f *fake, opts reconcile.Options) *reconcile.Engine {
	t.Helper()
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}},
		product{sku: "B", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, opts)
	_, err := e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}},
		reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 5}}))
	require.NoError(t, err)
	f.wire.reset()
	return e
}

// 1,000 Sets of one SKU within a window are one write of the last value.
func TestSetsOfOneItemWithinAWindowAreOneWrite(t *testing.T) {
	f := newFake(t)
	e := synced(t, f, reconcile.Options{Window: time.Hour})
	for i := range 1000 {
		require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: i}}))
	}
	assert.Equal(t, 1, e.Pending())
	rep, err := e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, 1, rep.Writes)
	assert.Zero(t, rep.Reads, "the engine saw A in its Sync")
	calls := f.wire.updates(t)
	require.Len(t, calls, 1)
	require.Len(t, calls[0], 1)
	assert.Equal(t, []tiki.WarehouseQuantity{{WarehouseID: whHN, QtyAvailable: 999}}, calls[0][0].WarehouseQuantities)
	assert.Equal(t, 1, f.wire.total(), "one request in all")
	assert.Equal(t, map[int64]int{whHN: 999}, f.stock(t, "A"))
}

// A Set equal to what Tiki holds is not written.
func TestSetInStepIsNotWritten(t *testing.T) {
	f := newFake(t)
	e := synced(t, f, reconcile.Options{})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}}))
	rep, err := e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep)
	assert.Zero(t, f.wire.total())
}

// A value older than one pending or written is never written after it.
func TestStaleSetsAreNeverWritten(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	ctx := context.Background()
	_, err := e.Sync(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}, Version: 1}))
	require.NoError(t, err)
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 7}, Version: 7}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 6}, Version: 6}))
	rep, err := e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Superseded)
	assert.Equal(t, map[int64]int{whHN: 7}, f.stock(t, "A"))

	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}, Version: 3}))
	rep, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"A superseded"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 7}, f.stock(t, "A"))
	assert.Equal(t, 1, len(f.wire.updates(t)))
}

// A snapshot read before a Set does not overwrite the Set's value.
func TestPlanOlderThanASetIsSuperseded(t *testing.T) {
	f := newFake(t)
	e := synced(t, f, reconcile.Options{})
	ctx := context.Background()
	plan, err := e.Plan(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 1}},
		reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 1}}))
	require.NoError(t, err)
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 9}}))
	_, err = e.Flush(ctx)
	require.NoError(t, err)

	rep, err := e.Apply(ctx, plan)
	require.NoError(t, err)
	assert.Equal(t, []string{"A superseded quantity 919 5->1", "B changed quantity 919 5->1"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 9}, f.stock(t, "A"))
	assert.Equal(t, map[int64]int{whHN: 1}, f.stock(t, "B"))
}

// Run writes a Set a window after it came, and the write is the only
// request.
func TestRunWritesASetAfterItsWindow(t *testing.T) {
	f := newFake(t)
	reports := make(chan *reconcile.Report, 10)
	const window = 30 * time.Millisecond
	e := synced(t, f, reconcile.Options{Window: window, OnReport: func(r *reconcile.Report) { reports <- r }})
	<-reports // the Sync's
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	start := time.Now()
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 8}}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 9}}))
	select {
	case rep := <-reports:
		assert.GreaterOrEqual(t, time.Since(start), window)
		assert.Equal(t, "flush", rep.Run)
		assert.Equal(t, []string{"A changed quantity 919 5->9"}, lines(rep))
	case <-time.After(10 * time.Second):
		t.Fatal("the Set was not written")
	}
	assert.Equal(t, map[int64]int{whHN: 9}, f.stock(t, "A"))
	assert.ErrorIs(t, e.Run(ctx), reconcile.ErrRunning)

	cancel()
	assert.NoError(t, <-done, "Run returns nil once its context ends")
	assert.Equal(t, 1, f.wire.total())
}

// The first Set of an item the engine has not seen reads the product
// first; a SKU Tiki does not have is reported and not written.
func TestSetOfAnUnseenItemReadsItFirst(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "NOPE", Quantities: map[int64]int{whHN: 3}}))
	rep, err := e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 5->3", "NOPE not_reconcilable not_on_tiki"}, lines(rep))
	assert.Equal(t, 3, rep.Reads) // findBy A, the product A, findBy NOPE
	assert.Equal(t, 2, f.wire.count("/products/findBy"))
	assert.Equal(t, map[int64]int{whHN: 3}, f.stock(t, "A"))

	f.wire.reset()
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 4}}))
	_, err = e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, f.wire.total(), "seen now: the write alone")
}

// A write that fails without Tiki refusing it stays pending; a refused one
// does not.
func TestFailedSetStaysPending(t *testing.T) {
	f := newFake(t, tiki.WithRetry(1, 0, 0))
	e := synced(t, f, reconcile.Options{})
	ctx := context.Background()
	f.srv.Inject(tikitest.Fault{Method: http.MethodPut, Path: "/integration/v2.1/products/updateSkus", Status: http.StatusServiceUnavailable})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 2}}))
	rep, err := e.Flush(ctx)
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 1, rep.Failed)
	assert.True(t, rep.Lines[0].MaybeApplied)
	assert.Equal(t, 1, e.Pending())

	// Its answer was lost: the engine reads the product again first.
	f.wire.reset()
	rep, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, 1, f.wire.count("/updateSkus"))
	assert.Equal(t, 1, rep.Reads, "the product, by its id")
	assert.Equal(t, map[int64]int{whHN: 2}, f.stock(t, "A"))

	require.NoError(t, f.srv.RefuseUpdates("B", "Product is locked"))
	require.NoError(t, e.Set(reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 2}}))
	rep, err = e.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Failed)
	assert.Zero(t, e.Pending())

	// Tiki refusing the whole call (a 4xx) would refuse it again: the Set
	// is reported failed, not kept to be sent every window.
	f.srv.Inject(tikitest.Fault{Method: http.MethodPut, Path: "/integration/v2.1/products/updateSkus", Status: http.StatusBadRequest})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 4}}))
	rep, err = e.Flush(ctx)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, 1, rep.Failed)
	assert.False(t, rep.Lines[0].MaybeApplied)
	assert.Zero(t, e.Pending())
}

// Options.Guard is held around every write.
func TestGuardIsHeldAroundWrites(t *testing.T) {
	f := newFake(t)
	g := &countingGuard{Guard: reconcile.NewLocalGuard()}
	e := synced(t, f, reconcile.Options{Guard: g})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 2}}))
	_, err := e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"A", "B"}, {"A"}}, g.locked)

	// A guard that cannot be had fails the write, and the item stays
	// pending.
	g.fail = errors.New("lease taken")
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}}))
	rep, err := e.Flush(context.Background())
	require.ErrorIs(t, err, g.fail)
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, 1, e.Pending())
	assert.Equal(t, map[int64]int{whHN: 2}, f.stock(t, "A"))
}

// countingGuard records the keys of each Lock, sorted.
type countingGuard struct {
	reconcile.Guard
	mu     sync.Mutex
	locked [][]string
	fail   error
}

func (g *countingGuard) Lock(ctx context.Context, keys []string) (context.Context, func(), error) {
	if g.fail != nil {
		return nil, nil, g.fail
	}
	g.mu.Lock()
	g.locked = append(g.locked, slices.Sorted(slices.Values(keys)))
	g.mu.Unlock()
	return g.Guard.Lock(ctx, keys)
}

// A write whose answer was lost may have been applied: no older value is
// written after it, even one planned before it was sent.
func TestWriteInDoubtSupersedesOlderValues(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	ctx := context.Background()
	_, err := e.Sync(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}, Version: 1}))
	require.NoError(t, err)
	plan, err := e.Plan(ctx, books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 6}, Version: 6}))
	require.NoError(t, err)

	require.NoError(t, f.srv.Inject(tikitest.Fault{Method: http.MethodPut, Path: "/integration/v2.1/products/updateSkus",
		Status: http.StatusBadGateway, LoseAnswer: true, Times: 10}))
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 7}, Version: 7}))
	rep, err := e.Flush(ctx)
	require.Error(t, err)
	require.Len(t, rep.Lines, 1)
	assert.True(t, rep.Lines[0].MaybeApplied)
	assert.Equal(t, map[int64]int{whHN: 7}, f.stock(t, "A"), "Tiki applied it; its answer was lost")

	rep, err = e.Apply(ctx, plan)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Superseded, "version 6 is older than the write in doubt")
	assert.Equal(t, map[int64]int{whHN: 7}, f.stock(t, "A"))
}

// A Set that names its product by id writes that product, even when the
// engine knows the item's SKU as another product (the seller listed the
// product again under the same SKU, or the books map the SKU to the new
// listing): ProductID decides which product it is.
func TestSetWritesTheProductItNamesByID(t *testing.T) {
	f := newFake(t)
	e := synced(t, f, reconcile.Options{})
	ids := f.seed(t, product{sku: "A-NEW", price: 100000, stock: map[int64]int{whHN: 5}})
	require.NoError(t, e.Set(reconcile.Item{SKU: "A", ProductID: ids["A-NEW"], Quantities: map[int64]int{whHN: 2}}))
	rep, err := e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"), "the product the SKU named before is left alone")
	assert.Equal(t, map[int64]int{whHN: 2}, f.stock(t, "A-NEW"))
	for _, call := range f.wire.updates(t) {
		for _, it := range call {
			assert.Equal(t, ids["A-NEW"], it.ProductID)
		}
	}
}

// A SKU that starts with "#" is not taken for a product id: the Sets of
// the product whose SKU is "#" and a number, and of the product with that
// id, are two items.
func TestSetOfASKUThatLooksLikeAProductID(t *testing.T) {
	f := newFake(t)
	ids := f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	hashSKU := "#" + itoa(ids["A"])
	f.seed(t, product{sku: hashSKU, price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	assert.NotEqual(t, reconcile.Item{SKU: hashSKU}.Key(), reconcile.Item{ProductID: ids["A"]}.Key())

	plan, err := e.Plan(context.Background(), books(reconcile.Item{ProductID: ids["A"], Quantities: map[int64]int{whHN: 5}},
		reconcile.Item{SKU: hashSKU, Quantities: map[int64]int{whHN: 5}}))
	require.NoError(t, err, "two items, not one named twice")
	assert.Equal(t, 2, plan.InStep)

	require.NoError(t, e.Set(reconcile.Item{ProductID: ids["A"], Quantities: map[int64]int{whHN: 3}}))
	require.NoError(t, e.Set(reconcile.Item{SKU: hashSKU, Quantities: map[int64]int{whHN: 7}}))
	assert.Equal(t, 2, e.Pending())
	_, err = e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, map[int64]int{whHN: 3}, f.stock(t, "A"))
	assert.Equal(t, map[int64]int{whHN: 7}, f.stock(t, hashSKU))
}

// A write whose State save fails after the call keeps older values out all
// the same, in another replica too: the version was saved before the call.
func TestAFailedSaveAfterAWriteKeepsOlderValuesOut(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 1}})
	shared := reconcile.NewMemoryState()
	guard := reconcile.NewLocalGuard()
	a := f.engine(t, reconcile.Options{State: &saveAfterWriteFails{State: shared, wire: f.wire}, Guard: guard})
	b := f.engine(t, reconcile.Options{State: shared, Guard: guard})
	ctx := context.Background()

	require.NoError(t, a.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 5}, Version: 5}))
	_, err := a.Flush(ctx)
	require.ErrorIs(t, err, errStateDown, "the save after the write failed")
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"))

	require.NoError(t, b.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}, Version: 3}))
	rep, err := b.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Superseded, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"), "the older value was not written")
}

var errStateDown = errors.New("state unavailable")

// saveAfterWriteFails is a State whose saves fail once a batch update was
// sent.
type saveAfterWriteFails struct {
	reconcile.State
	wire *recorder
}

func (s *saveAfterWriteFails) Save(ctx context.Context, entries []reconcile.Entry) error {
	if s.wire.count("/updateSkus") > 0 {
		return errStateDown
	}
	return s.State.Save(ctx, entries)
}
