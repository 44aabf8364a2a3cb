package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// A plan reads Tiki and says what would change and why; it writes nothing.
func TestPlanIsADryRun(t *testing.T) {
	f := newFake(t)
	ids := f.seed(t,
		product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5, whSGN: 3}},
		product{sku: "B", price: 200000, stock: map[int64]int{whHN: 7}},
	)
	e := f.engine(t, reconcile.Options{})
	plan, err := e.Plan(context.Background(), books(
		reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 8, whSGN: 3}, Price: 120000},
		reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 7}, Price: 200000},
	))
	require.NoError(t, err)

	assert.Equal(t, 1, plan.InStep)
	assert.Equal(t, 2, plan.Books)
	assert.Equal(t, 2, plan.Products)
	assert.Equal(t, 1, plan.Reads)
	require.Len(t, plan.Items, 1)
	a := plan.Items[0]
	assert.Equal(t, "A", a.SKU)
	assert.Equal(t, ids["A"], a.ProductID)
	assert.Equal(t, []reconcile.Change{
		{Field: reconcile.FieldPrice, Before: 100000, After: 120000, Why: "books"},
		{Field: reconcile.FieldQuantity, Warehouse: whHN, Before: 5, After: 8, Why: "books"},
	}, a.Changes)

	// Only reads went over the wire, and Tiki is unchanged.
	assert.Zero(t, f.wire.count("/updateSkus"))
	assert.Equal(t, 1, f.wire.count("/v2.1/products"))
	assert.Equal(t, map[int64]int{whHN: 5, whSGN: 3}, f.stock(t, "A"))

	rep := plan.Report()
	assert.True(t, rep.DryRun)
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, []string{"A changed price 100000->120000", "A changed quantity 919 5->8"}, lines(rep))
}

// Apply sends the plan's changes in batch calls, each item naming its
// product by id and listing every warehouse of the product; the next audit
// finds everything in step and writes nothing.
func TestApplyWritesThePlanWithBatchUpdates(t *testing.T) {
	f := newFake(t)
	var items []reconcile.Item
	var seeded []product
	for i := range 45 {
		sku := "SKU-" + itoa(int64(i))
		seeded = append(seeded, product{sku: sku, price: 50000, stock: map[int64]int{whHN: 1, whSGN: 1}})
		items = append(items, reconcile.Item{SKU: sku, Quantities: map[int64]int{whHN: i, whSGN: 1}})
	}
	ids := f.seed(t, seeded...)
	var reports []*reconcile.Report
	e := f.engine(t, reconcile.Options{OnReport: func(r *reconcile.Report) { reports = append(reports, r) }})

	rep, err := e.Sync(context.Background(), books(items...))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep) // SKU-1 already holds 1 and 1
	assert.Equal(t, 44, rep.Changed)
	assert.Equal(t, 3, rep.Writes)
	assert.Equal(t, 1, rep.Reads)
	require.Len(t, reports, 1)
	assert.Same(t, rep, reports[0])

	calls := f.wire.updates(t)
	require.Len(t, calls, 3)
	sent := map[int64]batchItem{}
	for _, call := range calls {
		assert.LessOrEqual(t, len(call), tiki.MaxBatchUpdate)
		for _, it := range call {
			sent[it.ProductID] = it
		}
	}
	assert.Len(t, sent, 44)
	assert.Equal(t, batchItem{ProductID: ids["SKU-0"], WarehouseQuantities: []tiki.WarehouseQuantity{
		{WarehouseID: whSGN, QtyAvailable: 1}, {WarehouseID: whHN, QtyAvailable: 0}}}, sent[ids["SKU-0"]])
	for i := range 45 {
		assert.Equal(t, map[int64]int{whHN: i, whSGN: 1}, f.stock(t, "SKU-"+itoa(int64(i))))
	}

	f.wire.reset()
	rep, err = e.Sync(context.Background(), books(items...))
	require.NoError(t, err)
	assert.Equal(t, 45, rep.InStep)
	assert.Zero(t, rep.Changed)
	assert.Zero(t, f.wire.count("/updateSkus"))
}

// Every item's outcome is exact: applied, refused by Tiki (with Tiki's
// message), failed with its answer lost (maybe applied).
func TestApplyReportsEachItemsOutcome(t *testing.T) {
	f := newFake(t, tiki.WithRetry(1, 0, 0))
	f.seed(t,
		product{sku: "OK", price: 100000, stock: map[int64]int{whHN: 1}},
		product{sku: "LOCKED", price: 100000, stock: map[int64]int{whHN: 1}},
	)
	require.NoError(t, f.srv.RefuseUpdates("LOCKED", "Product is locked by Tiki"))
	e := f.engine(t, reconcile.Options{})
	want := books(
		reconcile.Item{SKU: "OK", Quantities: map[int64]int{whHN: 4}},
		reconcile.Item{SKU: "LOCKED", Quantities: map[int64]int{whHN: 4}},
	)
	rep, err := e.Sync(context.Background(), want)
	require.NoError(t, err, "a refusal is in the report, not an error")
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, []string{"OK changed quantity 919 1->4", "LOCKED failed quantity 919 1->4"}, lines(rep))
	assert.Equal(t, "refused by Tiki (resource_illegal): Product is locked by Tiki", rep.Lines[1].Note)
	assert.False(t, rep.Lines[1].MaybeApplied)
	assert.Equal(t, map[int64]int{whHN: 1}, f.stock(t, "LOCKED"))

	// A 502 on the write: the outcome is unknown.
	require.NoError(t, f.srv.AcceptUpdates("LOCKED"))
	f.srv.Inject(tikitest.Fault{Method: http.MethodPut, Path: "/integration/v2.1/products/updateSkus", Status: http.StatusBadGateway})
	rep, err = e.Sync(context.Background(), want)
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	assert.Contains(t, err.Error(), "1 of 1 items were not written")
	assert.Equal(t, 1, rep.Failed)
	require.Len(t, rep.Lines, 1)
	assert.True(t, rep.Lines[0].MaybeApplied)

	// The next audit writes it.
	rep, err = e.Sync(context.Background(), want)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Changed)
	assert.Equal(t, map[int64]int{whHN: 4}, f.stock(t, "LOCKED"))
}

// What cannot be reconciled is reported and left alone: a SKU Tiki does not
// have, a product the books do not know, a warehouse that is not the
// seller's, a product Tiki lets sell when out of stock, a product Tiki
// stocks itself, a price change beyond the guard.
func TestPlanReportsWhatCannotBeReconciled(t *testing.T) {
	f := newFake(t)
	f.seed(t,
		product{sku: "OTHER-WH", price: 100000, stock: map[int64]int{whHN: 2, whCT: 3}},
		product{sku: "UNBOUNDED", price: 100000, stock: map[int64]int{whHN: 2}},
		product{sku: "INSTOCK", price: 100000, stock: map[int64]int{whHN: 9}, inventory: tiki.InventoryInstock},
		product{sku: "TYPO", price: 200000, stock: map[int64]int{whHN: 1}},
		product{sku: "ALLOWED", price: 200000, stock: map[int64]int{whHN: 1}},
		product{sku: "EXTRA", price: 100000, stock: map[int64]int{whHN: 1}},
	)
	require.NoError(t, f.srv.SetStock("UNBOUNDED", whHN, 10_000_000))
	e := f.engine(t, reconcile.Options{MaxPriceChange: 50})
	rep, err := e.Sync(context.Background(), books(
		reconcile.Item{SKU: "MISSING", Quantities: map[int64]int{whHN: 1}},
		reconcile.Item{SKU: "OTHER-WH", Quantities: map[int64]int{whHN: 5}},
		reconcile.Item{SKU: "UNBOUNDED", Quantities: map[int64]int{whHN: 0}},
		reconcile.Item{SKU: "INSTOCK", Quantities: map[int64]int{whHN: 1}, Price: 90000},
		reconcile.Item{SKU: "TYPO", Price: 20000, Quantities: map[int64]int{whHN: 2}},
		reconcile.Item{SKU: "ALLOWED", Price: 50000, AllowPriceChange: true},
	))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"MISSING not_reconcilable not_on_tiki",
		"OTHER-WH not_reconcilable quantity 905 3->0 unknown_warehouse",
		"UNBOUNDED not_reconcilable quantity 919 10000000->0 sells_when_out_of_stock",
		"INSTOCK not_reconcilable quantity 0->0 managed_by_tiki",
		"INSTOCK changed price 100000->90000",
		"TYPO not_reconcilable price 200000->20000 price_guard",
		"TYPO changed quantity 919 1->2",
		"ALLOWED changed price 200000->50000",
		"EXTRA not_reconcilable not_in_books",
	}, lines(rep))
	assert.Equal(t, 6, rep.NotReconcilable)
	assert.Equal(t, 3, rep.Changed)

	// Only the reconcilable fields went over the wire.
	var sent []batchItem
	for _, call := range f.wire.updates(t) {
		sent = append(sent, call...)
	}
	require.Len(t, sent, 3)
	assert.Equal(t, int64(90000), sent[0].Price)
	assert.Empty(t, sent[0].WarehouseQuantities)
	assert.Zero(t, sent[1].Price)
	assert.Equal(t, []tiki.WarehouseQuantity{{WarehouseID: whHN, QtyAvailable: 2}}, sent[1].WarehouseQuantities)
	assert.Equal(t, int64(50000), sent[2].Price)
	assert.Equal(t, map[int64]int{whHN: 2, whCT: 3}, f.stock(t, "OTHER-WH"))
	assert.Equal(t, map[int64]int{whHN: 10_000_000}, f.stock(t, "UNBOUNDED"))
	assert.Equal(t, tiki.Money(200000), f.price(t, "TYPO"))
}

// Stock edited behind the engine's back is found by the next audit and
// reported as drift before it is corrected.
func TestDriftIsReportedBeforeItIsCorrected(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}},
		product{sku: "B", price: 100000, stock: map[int64]int{whHN: 5}})
	var atPlan map[int64]int
	var planned []reconcile.Change
	e := f.engine(t, reconcile.Options{OnPlan: func(p *reconcile.Plan) error {
		atPlan = f.stock(t, "A")
		for _, ip := range p.Items {
			planned = append(planned, ip.Changes...)
		}
		return nil
	}})
	want := books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 10}, Price: 100000},
		reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 10}})
	rep, err := e.Sync(context.Background(), want)
	require.NoError(t, err)
	assert.Zero(t, rep.Drifted, "the first run knows nothing it pushed")

	require.NoError(t, f.srv.SetStock("A", whHN, 3)) // in Seller Center
	planned = nil
	rep, err = e.Sync(context.Background(), want)
	require.NoError(t, err)
	assert.Equal(t, map[int64]int{whHN: 3}, atPlan, "reported before it is corrected")
	assert.Equal(t, []reconcile.Change{{Field: reconcile.FieldQuantity, Warehouse: whHN, Before: 3, After: 10, Drift: true, Why: "books"}}, planned)
	assert.Equal(t, 1, rep.Drifted)
	assert.Equal(t, []string{"A changed quantity 919 3->10 drift"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 10}, f.stock(t, "A"))

	// A change of the books is not drift.
	rep, err = e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 4}},
		reconcile.Item{SKU: "B", Quantities: map[int64]int{whHN: 10}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 10->4"}, lines(rep))

	// A price changed behind the engine's back is drift too.
	require.NoError(t, f.srv.SetPrice("A", 90000))
	rep, err = e.Sync(context.Background(), want)
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed price 90000->100000 drift", "A changed quantity 919 4->10"}, lines(rep))
}

// OnPlan's error stops Sync before anything is written.
func TestOnPlanCanStopTheRun(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	stop := errors.New("too many changes")
	e := f.engine(t, reconcile.Options{OnPlan: func(*reconcile.Plan) error { return stop }})
	rep, err := e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 0}}))
	require.ErrorIs(t, err, stop)
	assert.True(t, rep.DryRun)
	assert.Equal(t, []string{"A changed quantity 919 5->0"}, lines(rep))
	assert.Zero(t, f.wire.count("/updateSkus"))
}

// An item named by its product id is matched by id; an item naming by SKU
// the product another names by id is reported.
func TestItemsNamedByProductID(t *testing.T) {
	f := newFake(t)
	ids := f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	rep, err := e.Sync(context.Background(), books(
		reconcile.Item{ProductID: ids["A"], Quantities: map[int64]int{whHN: 6}},
		reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 7}},
	))
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 5->6", "A not_reconcilable duplicate"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 6}, f.stock(t, "A"))
}

// A failing source of books stops the plan before Tiki is read.
func TestBooksSourceErrorStopsThePlan(t *testing.T) {
	f := newFake(t)
	e := f.engine(t, reconcile.Options{})
	broken := errors.New("ERP unreachable")
	_, err := e.Plan(context.Background(), func(yield func(reconcile.Item, error) bool) {
		if yield(reconcile.Item{SKU: "A"}, nil) {
			yield(reconcile.Item{}, broken)
		}
	})
	require.ErrorIs(t, err, broken)
	assert.Contains(t, err.Error(), "after 1 items")
	_, err = e.Plan(context.Background(), func(yield func(reconcile.Item, error) bool) { panic("bad source") })
	var pe *tiki.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Zero(t, f.wire.total())
}

// A context that has ended sends nothing: every item is reported not sent.
func TestApplyWithAnEndedContextSendsNothing(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	plan, err := e.Plan(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 6}}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := e.Apply(ctx, plan)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, rep.Failed)
	assert.False(t, rep.Lines[0].MaybeApplied)
	assert.Zero(t, f.wire.count("/updateSkus"))
	assert.Equal(t, map[int64]int{whHN: 5}, f.stock(t, "A"))
}

// Audits of an old snapshot running beside Sets of newer values never
// write the old value after a newer one.
func TestConcurrentAuditsNeverWriteAStaleValue(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5}})
	e := f.engine(t, reconcile.Options{})
	ctx := context.Background()
	stale := books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 1}, Version: 1})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			_, err := e.Sync(ctx, stale)
			assert.NoError(t, err)
		}
	}()
	for v := 2; v <= 40; v++ {
		require.NoError(t, e.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: v}, Version: int64(v)}))
		_, err := e.Flush(ctx)
		require.NoError(t, err)
	}
	<-done
	_, err := e.Sync(ctx, stale)
	require.NoError(t, err)
	assert.Equal(t, map[int64]int{whHN: 40}, f.stock(t, "A"))
	// Over the wire, the values of A only ever grew after the first Set.
	last := 0
	for _, call := range f.wire.updates(t) {
		for _, it := range call {
			q := it.WarehouseQuantities[0].QtyAvailable
			if last >= 2 {
				assert.GreaterOrEqual(t, q, last, "a stale value was written after a newer one")
			}
			last = q
		}
	}
}

// withoutInventory is a transport that drops "inventory" from the products
// Tiki answers with, as an answer that does not include it.
type withoutInventory struct{ next http.RoundTripper }

func (w withoutInventory) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/products") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		delete(doc, "inventory")
		if rows, ok := doc["data"].([]any); ok {
			for _, row := range rows {
				if m, ok := row.(map[string]any); ok {
					delete(m, "inventory")
				}
			}
		}
		body, _ = json.Marshal(doc)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// A product whose stock Tiki's answer does not include is not written as
// if it had none: an update lists every warehouse of the product, and
// would empty the ones the engine did not hear of (here 905, not one of
// Options.Warehouses). Its stock is reported as not reconcilable, and its
// other fields are still reconciled.
func TestStockTikiDidNotReportIsLeftAlone(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 5, whCT: 7}})
	client, err := f.srv.Client(tiki.WithHTTPClient(&http.Client{Transport: withoutInventory{next: f.wire}}),
		tiki.WithRateLimit(0, 0), tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond))
	require.NoError(t, err)
	e, err := reconcile.New(client, reconcile.Options{Warehouses: warehouses})
	require.NoError(t, err)

	item := reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 3}, Price: 110000}
	rep, err := e.Sync(context.Background(), books(item))
	require.NoError(t, err)
	assert.Equal(t, []string{"A not_reconcilable quantity -1->0 stock_not_reported", "A changed price 100000->110000"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 5, whCT: 7}, f.stock(t, "A"), "the stock is left alone")
	assert.Equal(t, tiki.Money(110000), f.price(t, "A"))

	// A Set reads the product first, and leaves its stock alone too.
	item.Quantities, item.Price = map[int64]int{whHN: 2}, 0
	require.NoError(t, e.Set(item))
	rep, err = e.Flush(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"A not_reconcilable quantity -1->0 stock_not_reported"}, lines(rep))
	assert.Equal(t, map[int64]int{whHN: 5, whCT: 7}, f.stock(t, "A"))
}
