package reconcile_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// problemsOf returns the fields of a *tiki.ValidationError's problems.
func problemsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	out := map[string]string{}
	for _, p := range ve.Problems {
		out[p.Field] = p.Problem
	}
	return out
}

// New reports every problem of its arguments at once.
func TestNewRefusesBadOptions(t *testing.T) {
	_, err := reconcile.New(nil, reconcile.Options{
		Warehouses:     []int64{919, -1, 919},
		Buffer:         reconcile.Buffer{Units: -1, Percent: 101},
		Floor:          -2,
		MaxPriceChange: 1001,
		Reserved:       reconcile.ReservedPolicy(7),
		UnboundedStock: -1,
		Window:         2 * time.Hour,
		Concurrency:    tiki.MaxBatchConcurrency + 1,
	})
	assert.Equal(t, map[string]string{
		"client":                 "must not be nil",
		"Options.Warehouses[1]":  "must be a positive warehouse id, not -1",
		"Options.Warehouses[2]":  "repeats warehouse 919",
		"Options.Buffer.Units":   "must be from 0 to 2147483647, not -1",
		"Options.Buffer.Percent": "must be from 0 to 100, not 101",
		"Options.Floor":          "must be from 0 to 2147483647, not -2",
		"Options.MaxPriceChange": "must be from 0 (no guard) to 1000 percent, not 1001",
		"Options.Reserved":       "must be ReservedInQuantity (0) or ReservedTakenOff (1), not 7",
		"Options.UnboundedStock": "must be 0 (the default, 1000000) or positive, not -1",
		"Options.Window":         "must be from 0 (the default, 1s) to 1h0m0s, not 2h0m0s",
		"Options.Concurrency":    "must be from 0 (the default, 64) to 256, not 257",
	}, problemsOf(t, err))
}

// Every bad item is refused, all in one *tiki.ValidationError, before
// anything is sent.
func TestBadBooksAreRefusedBeforeAnythingIsSent(t *testing.T) {
	f := newFake(t)
	e := f.engine(t, reconcile.Options{SKUFormat: regexp.MustCompile(`^SKU-\d+$`)})
	_, err := e.Sync(context.Background(), books(
		reconcile.Item{SKU: "SKU-1", Quantities: map[int64]int{whHN: 1}},
		reconcile.Item{SKU: "sku 2"},
		reconcile.Item{SKU: " SKU-3"},
		reconcile.Item{SKU: "SKU-4", Quantities: map[int64]int{whHN: -1, 1054: 2}},
		reconcile.Item{},
		reconcile.Item{SKU: "SKU-6", Price: -5, Version: -1, ProductID: -3},
		reconcile.Item{SKU: "SKU-7", Reserved: map[int64]int{whHN: 1}},
		reconcile.Item{SKU: "SKU-1"},
		reconcile.Item{SKU: "SKU-9\x00"},
	))
	assert.Equal(t, map[string]string{
		"books[1].SKU":              `"sku 2" does not match the seller's SKU format ^SKU-\d+$ (Options.SKUFormat)`,
		"books[2].SKU":              `must not start or end with white space: " SKU-3"`,
		"books[3].Quantities[919]":  "must be from 0 to 2147483647, not -1",
		"books[3].Quantities[1054]": "is not one of the seller's warehouses (Options.Warehouses: 919, 903, 902)",
		"books[4].SKU":              "SKU or ProductID is required",
		"books[5].ProductID":        "must be a positive id, not -3",
		"books[5].Price":            "must not be negative, not -5",
		"books[5].Version":          "must not be negative, not -1",
		"books[6].Reserved":         "is only read with Options.Reserved set to ReservedTakenOff",
		"books[7].SKU":              "names SKU-1 again (books[0])",
		"books[8].SKU":              `must not hold control characters: "SKU-9\x00"`,
	}, problemsOf(t, err))
	assert.Zero(t, f.wire.total())
	_, err = e.Plan(context.Background(), nil)
	assert.Equal(t, map[string]string{"books": "must not be nil"}, problemsOf(t, err))

	// Set refuses a bad item the same way, and keeps nothing.
	err = e.Set(reconcile.Item{SKU: "SKU-1", Quantities: map[int64]int{whCT: 1}})
	assert.Equal(t, map[string]string{"Item.Quantities[905]": "is not one of the seller's warehouses (Options.Warehouses: 919, 903, 902)"}, problemsOf(t, err))
	assert.Zero(t, e.Pending())
}

// With ReservedTakenOff, reserved units need the quantities they belong
// to, in the seller's warehouses.
func TestReservedUnitsAreChecked(t *testing.T) {
	f := newFake(t)
	e := f.engine(t, reconcile.Options{Reserved: reconcile.ReservedTakenOff})
	err := e.Set(reconcile.Item{SKU: "A", Reserved: map[int64]int{whHN: -1, whCT: 1}})
	assert.Equal(t, map[string]string{
		"Item.Reserved":      "needs Quantities",
		"Item.Reserved[919]": "must be from 0 to 2147483647, not -1",
		"Item.Reserved[905]": "is not one of the seller's warehouses (Options.Warehouses: 919, 903, 902)",
	}, problemsOf(t, err))
}

// A nil context, a nil plan, a plan of another engine and an observation
// without a product are refused.
func TestBadArgumentsAreRefused(t *testing.T) {
	f := newFake(t)
	e := f.engine(t, reconcile.Options{})
	var nilCtx context.Context
	_, err := e.Plan(nilCtx, books())
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	_, err = e.Sync(nilCtx, books())
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	_, err = e.Apply(nilCtx, &reconcile.Plan{})
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	_, err = e.Flush(nilCtx)
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	assert.ErrorIs(t, e.Run(nilCtx), tiki.ErrNilContext)
	assert.ErrorIs(t, e.Observe(nilCtx, reconcile.Observation{SKU: "A"}), tiki.ErrNilContext)
	_, err = reconcile.SellerWarehouses(nilCtx, f.client)
	assert.ErrorIs(t, err, tiki.ErrNilContext)

	ctx := context.Background()
	_, err = e.Apply(ctx, nil)
	assert.Equal(t, map[string]string{"plan": "must not be nil"}, problemsOf(t, err))
	other := f.engine(t, reconcile.Options{})
	plan, err := other.Plan(ctx, books())
	require.NoError(t, err)
	_, err = e.Apply(ctx, plan)
	assert.Equal(t, map[string]string{"plan": "was not made by this engine"}, problemsOf(t, err))
	err = e.Observe(ctx, reconcile.Observation{Warehouse: -1})
	assert.Equal(t, map[string]string{"Observation.ProductID": "SKU or a positive ProductID is required", "Observation.Warehouse": "must not be negative, not -1"}, problemsOf(t, err))
	_, err = reconcile.SellerWarehouses(ctx, nil)
	assert.Equal(t, map[string]string{"client": "must not be nil"}, problemsOf(t, err))
	_, err = reconcile.OpenFileState("")
	assert.Equal(t, map[string]string{"path": "is required"}, problemsOf(t, err))
	assert.Zero(t, f.wire.count("/updateSkus"))
}

// An Engine not made by New is refused, as an OrdersBackfill not made by
// NewOrdersBackfill is, instead of panicking.
func TestEngineNotMadeByNewIsRefused(t *testing.T) {
	ctx := context.Background()
	notMade := map[string]string{"engine": "must be made with New"}
	for name, e := range map[string]*reconcile.Engine{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			_, err := e.Plan(ctx, books())
			assert.Equal(t, notMade, problemsOf(t, err))
			_, err = e.Sync(ctx, books())
			assert.Equal(t, notMade, problemsOf(t, err))
			_, err = e.Apply(ctx, nil)
			assert.Equal(t, map[string]string{"engine": "must be made with New", "plan": "must not be nil"}, problemsOf(t, err))
			_, err = e.Flush(ctx)
			assert.Equal(t, notMade, problemsOf(t, err))
			assert.Equal(t, notMade, problemsOf(t, e.Run(ctx)))
			assert.Equal(t, notMade, problemsOf(t, e.Set(reconcile.Item{SKU: "A"})))
			assert.Equal(t, notMade, problemsOf(t, e.Observe(ctx, reconcile.Observation{SKU: "A"})))
			assert.Zero(t, e.Pending())
		})
	}
}

// SellerWarehouses reads the seller's active pickup warehouses.
func TestSellerWarehouses(t *testing.T) {
	f := newFake(t)
	ids, err := reconcile.SellerWarehouses(context.Background(), f.client)
	require.NoError(t, err)
	assert.Equal(t, []int64{919, 905, 904, 903, 902, 899}, ids)
	assert.Equal(t, 1, f.wire.count("/v2/sellers/me/warehouses"))
}
