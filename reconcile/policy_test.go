package reconcile_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
)

// The buffer and the floor shape what Tiki gets from the books' quantity,
// and Tiki never gets more than the books hold.
func TestBufferAndFloor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   reconcile.Options
		books  int
		onTiki int
		why    string
	}{
		{"no policy", reconcile.Options{}, 50, 50, "books"},
		{"units", reconcile.Options{Buffer: reconcile.Buffer{Units: 2}}, 12, 10, "books 12 − buffer 2 = 10"},
		{"percent rounded up", reconcile.Options{Buffer: reconcile.Buffer{Percent: 10}}, 12, 10, "books 12 − buffer 2 = 10"},
		{"the larger of units and percent", reconcile.Options{Buffer: reconcile.Buffer{Units: 2, Percent: 10}}, 50, 45, "books 50 − buffer 5 = 45"},
		{"buffer above the stock", reconcile.Options{Buffer: reconcile.Buffer{Units: 2}}, 1, 0, "books 1 − buffer 2 = 0"},
		{"floor", reconcile.Options{Floor: 3}, 2, 0, "books 2 < floor 3 → 0"},
		{"at the floor", reconcile.Options{Floor: 3}, 3, 3, "books"},
		{"buffer then floor", reconcile.Options{Buffer: reconcile.Buffer{Units: 2}, Floor: 3}, 4, 0, "books 4 − buffer 2 < floor 3 → 0"},
		{"all of it held back", reconcile.Options{Buffer: reconcile.Buffer{Percent: 100}}, 7, 0, "books 7 − buffer 7 = 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 99}})
			e := f.engine(t, tc.opts)
			rep, err := e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: tc.books}}))
			require.NoError(t, err)
			require.Len(t, rep.Lines, 1)
			assert.Equal(t, int64(tc.onTiki), rep.Lines[0].After)
			assert.Equal(t, tc.why, rep.Lines[0].Note)
			assert.Equal(t, map[int64]int{whHN: tc.onTiki}, f.stock(t, "A"))
			assert.LessOrEqual(t, tc.onTiki, tc.books, "never more on Tiki than in the books")
		})
	}
}

// ReservedInQuantity: the books count the units of open orders until they
// ship; Tiki's reservations keep them from being sold again. The worked
// example of the policy's documentation.
func TestReservedInQuantity(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 10}})
	e := f.engine(t, reconcile.Options{})
	code := f.order(t, "A", 2)
	levels, err := f.srv.Stock("A")
	require.NoError(t, err)
	assert.Equal(t, 10, levels[0].Available)
	assert.Equal(t, 2, levels[0].Reserved)
	assert.Equal(t, 8, levels[0].Sellable)

	// The books still hold 10: in step, nothing written, Tiki sells 8.
	rep, err := e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 10}}))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep)
	assert.Zero(t, f.wire.count("/updateSkus"))

	// The order ships: Tiki's available drops to 8, the books say 8.
	require.NoError(t, f.srv.SetOrderStatus(code, tiki.OrderStatusShipping))
	levels, err = f.srv.Stock("A")
	require.NoError(t, err)
	assert.Equal(t, 8, levels[0].Available)
	assert.Zero(t, levels[0].Reserved)
	rep, err = e.Sync(context.Background(), books(reconcile.Item{SKU: "A", Quantities: map[int64]int{whHN: 8}}))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep)
	assert.Zero(t, f.wire.count("/updateSkus"))
}

// ReservedTakenOff: the books took imported orders off already and say how
// many of those units Tiki still holds; orders not imported yet are still
// subtracted by Tiki. The worked example of the policy's documentation.
func TestReservedTakenOff(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 10}})
	e := f.engine(t, reconcile.Options{Reserved: reconcile.ReservedTakenOff})
	f.order(t, "A", 2) // imported by the books
	f.order(t, "A", 1) // not yet

	rep, err := e.Sync(context.Background(), books(reconcile.Item{SKU: "A",
		Quantities: map[int64]int{whHN: 8}, Reserved: map[int64]int{whHN: 2}}))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.InStep, "available stays 8 + 2 = 10")
	levels, err := f.srv.Stock("A")
	require.NoError(t, err)
	assert.Equal(t, 7, levels[0].Sellable, "what is really free: neither held twice nor sold twice")

	// A unit sold in the shop: the books say 7; Tiki gets 7 + 2 = 9 and
	// sells 9 − 3 = 6.
	rep, err = e.Sync(context.Background(), books(reconcile.Item{SKU: "A",
		Quantities: map[int64]int{whHN: 7}, Reserved: map[int64]int{whHN: 2}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"A changed quantity 919 10->9"}, lines(rep))
	assert.Equal(t, "books 7 + reserved 2 = 9", rep.Lines[0].Note)
	levels, err = f.srv.Stock("A")
	require.NoError(t, err)
	assert.Equal(t, 6, levels[0].Sellable)
}

// A canceled order's units are released on Tiki: they are for sale again
// without any write.
func TestCanceledOrderReleasesItsUnits(t *testing.T) {
	f := newFake(t)
	f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 4, whSGN: 1}})
	code := f.order(t, "A", 5) // hn first: 4 from 919, 1 from 903
	levels, err := f.srv.Stock("A")
	require.NoError(t, err)
	for _, l := range levels {
		assert.Zero(t, l.Sellable, "warehouse %d", l.Warehouse)
	}
	require.NoError(t, f.srv.SetOrderStatus(code, tiki.OrderStatusCanceled))
	assert.Equal(t, map[int64]int{whHN: 4, whSGN: 1}, f.stock(t, "A"))
	levels, err = f.srv.Stock("A")
	require.NoError(t, err)
	for _, l := range levels {
		assert.Equal(t, l.Available, l.Sellable, "warehouse %d", l.Warehouse)
	}
}

// The price guard refuses a change beyond MaxPriceChange, in either
// direction, unless the item allows it.
func TestPriceGuard(t *testing.T) {
	for _, tc := range []struct {
		price   int64
		allowed bool
		guarded bool
	}{
		{price: 150000, guarded: false}, // +50 %: at the limit
		{price: 151000, guarded: true},
		{price: 50000, guarded: false}, // −50 %
		{price: 49000, guarded: true},
		{price: 49000, allowed: true, guarded: false},
	} {
		f := newFake(t)
		f.seed(t, product{sku: "A", price: 100000, stock: map[int64]int{whHN: 1}})
		e := f.engine(t, reconcile.Options{MaxPriceChange: 50})
		plan, err := e.Plan(context.Background(), books(reconcile.Item{SKU: "A", Price: tiki.Money(tc.price), AllowPriceChange: tc.allowed}))
		require.NoError(t, err)
		require.Len(t, plan.Items, 1)
		if tc.guarded {
			assert.Empty(t, plan.Items[0].Changes, "%d", tc.price)
			require.Len(t, plan.Items[0].Problems, 1)
			assert.Equal(t, reconcile.PriceGuard, plan.Items[0].Problems[0].Reason)
		} else {
			assert.Len(t, plan.Items[0].Changes, 1, "%d", tc.price)
		}
	}
}
