package tikitest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// stockQueue subscribes a new queue of the fake to the product events and
// returns a function that pulls what came since the last call.
func stockQueue(t *testing.T, c *tiki.Client) func() []any {
	t.Helper()
	ctx := context.Background()
	q, _, err := c.EventQueue.CreateQueue(ctx, "products")
	require.NoError(t, err)
	for _, typ := range []tiki.EventType{tiki.EventProductInventoryUpdated, tiki.EventProductPriceUpdated} {
		_, _, err := c.EventQueue.Subscribe(ctx, q.Code, typ)
		require.NoError(t, err)
	}
	ack := ""
	return func() []any {
		t.Helper()
		b, _, err := c.EventQueue.Pull(ctx, q.Code, ack)
		require.NoError(t, err)
		ack = b.AckID
		var out []any
		for _, ev := range b.Events {
			typed, err := ev.Decode()
			require.NoError(t, err)
			out = append(out, typed)
		}
		return out
	}
}

// inventory returns the stock of a product as the client reads it, per
// warehouse.
func inventory(t *testing.T, c *tiki.Client, id int64) map[int64]tiki.InventoryStock {
	t.Helper()
	p, _, err := c.Products.Get(context.Background(), id)
	require.NoError(t, err)
	out := map[int64]tiki.InventoryStock{}
	for _, s := range p.Inventory.WarehouseStocks {
		out[s.WarehouseID] = s
	}
	return out
}

// Stock and prices changed behind the client's back are what the client
// reads next, and Tiki's events report them.
func TestStockAndPriceBehindTheClientsBack(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	p := prodSeed(t, srv, "S-1")[0]
	pull := stockQueue(t, c)

	require.NoError(t, srv.SetStock("S-1", 919, 2))
	require.NoError(t, srv.SetStock("S-1", 902, 4)) // a warehouse the product was not in
	require.NoError(t, srv.SetPrice("S-1", 170000))
	got, _, err := c.Products.Get(context.Background(), p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, tiki.Money(170000), got.Price)
	assert.Equal(t, p.Version+3, got.Version)
	assert.Equal(t, 2, inventory(t, c, p.ProductID)[919].QuantityAvailable)
	assert.Equal(t, 4, inventory(t, c, p.ProductID)[902].QuantityAvailable)
	levels, err := srv.Stock("S-1")
	require.NoError(t, err)
	assert.Equal(t, []tikitest.StockLevel{{Warehouse: 919, Available: 2, Sellable: 2}, {Warehouse: 903, Available: 7, Sellable: 7},
		{Warehouse: 902, Available: 4, Sellable: 4}}, levels)

	events := pull()
	require.Len(t, events, 3)
	inv := events[0].(*tiki.InventoryUpdatedEvent)
	assert.Equal(t, [4]int{5, 2, 5, 2}, [4]int{inv.QuantityAvailableFrom, inv.QuantityAvailableTo, inv.QuantitySellableFrom, inv.QuantitySellableTo})
	assert.Equal(t, int64(902), events[1].(*tiki.InventoryUpdatedEvent).WarehouseID)
	price := events[2].(*tiki.PriceUpdatedEvent)
	assert.Equal(t, [2]tiki.Money{150000, 170000}, [2]tiki.Money{price.PriceFrom, price.PriceTo})

	// A price above the market price raises it.
	require.NoError(t, srv.SetPrice("S-1", 250000))
	got, _, err = c.Products.Get(context.Background(), p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, tiki.Money(250000), got.MarketPrice)

	var ve *tiki.ValidationError
	err = srv.SetStock("S-1", 1054, -1)
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, 2)
	require.ErrorAs(t, srv.SetPrice("S-1", 0), &ve)
	assert.ErrorIs(t, srv.SetStock("NOPE", 919, 1), tiki.ErrNotFound)
	assert.ErrorIs(t, srv.SetPrice("NOPE", 1), tiki.ErrNotFound)
	_, err = srv.Stock("NOPE")
	assert.ErrorIs(t, err, tiki.ErrNotFound)
}

// An order holds its units (reserved, no longer sellable); canceling it
// releases them; shipping it takes them out of the warehouse.
func TestOrdersReserveStock(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	p := prodSeed(t, srv, "S-1")[0] // 919 (hn): 5, 903 (sgn): 7
	pull := stockQueue(t, c)
	order := func(qty int) string {
		o, err := srv.CreateOrder(tikitest.OrderSpec{TikiWarehouse: "sgn",
			Items: []tikitest.OrderItemSpec{{SellerProductCode: "S-1", Quantity: qty}}})
		require.NoError(t, err)
		return o.Code
	}
	level := func(wh int64) tiki.InventoryStock { return inventory(t, c, p.ProductID)[wh] }

	listed := func() []tiki.InventoryStock {
		page, _, err := c.Products.List(context.Background(), &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}})
		require.NoError(t, err)
		require.Len(t, page.Data, 1)
		return page.Data[0].Inventory.WarehouseStocks
	}
	assert.Equal(t, []tiki.InventoryStock{
		{WarehouseID: 919, Quantity: 5, QuantityAvailable: 5, QuantitySellable: 5},
		{WarehouseID: 903, Quantity: 7, QuantityAvailable: 7, QuantitySellable: 7},
	}, listed())

	first := order(9) // sgn first: 7 from 903, then 2 from 919
	assert.Equal(t, tiki.InventoryStock{WarehouseID: 903, Quantity: 7, QuantityAvailable: 7, QuantityReserved: 7}, level(903))
	assert.Equal(t, tiki.InventoryStock{WarehouseID: 919, Quantity: 5, QuantityAvailable: 5, QuantityReserved: 2, QuantitySellable: 3}, level(919))
	assert.Equal(t, []tiki.InventoryStock{
		{WarehouseID: 919, Quantity: 5, QuantityAvailable: 5, QuantityReserved: 2, QuantitySellable: 3},
		{WarehouseID: 903, Quantity: 7, QuantityAvailable: 7, QuantityReserved: 7},
	}, listed(), "the list shows the held units too")
	events := pull()
	require.Len(t, events, 2)
	inv := events[0].(*tiki.InventoryUpdatedEvent)
	assert.Equal(t, int64(903), inv.WarehouseID)
	assert.Equal(t, [4]int{0, 7, 7, 0}, [4]int{inv.QuantityReservedFrom, inv.QuantityReservedTo, inv.QuantitySellableFrom, inv.QuantitySellableTo})
	assert.Equal(t, inv.QuantityAvailableFrom, inv.QuantityAvailableTo)

	// A seller's update sets available; the held units stay held.
	_, _, err := c.Products.Update(context.Background(), tiki.ProductUpdate{ProductID: p.ProductID, WarehouseQuantities: []tiki.WarehouseQuantity{
		{WarehouseID: 919, QtyAvailable: 10}, {WarehouseID: 903, QtyAvailable: 7}}})
	require.NoError(t, err)
	assert.Equal(t, 8, level(919).QuantitySellable)

	second := order(3) // 3 from 919
	require.NoError(t, srv.SetOrderStatus(first, tiki.OrderStatusCanceled))
	assert.Equal(t, tiki.InventoryStock{WarehouseID: 903, Quantity: 7, QuantityAvailable: 7, QuantitySellable: 7}, level(903))
	assert.Equal(t, 3, level(919).QuantityReserved)

	require.NoError(t, srv.SetOrderStatus(second, tiki.OrderStatusShipping))
	assert.Equal(t, tiki.InventoryStock{WarehouseID: 919, Quantity: 7, QuantityAvailable: 7, QuantitySellable: 7}, level(919))
	require.NoError(t, srv.SetOrderStatus(second, tiki.OrderStatusSuccessfulDelivery))
	assert.Equal(t, 7, level(919).QuantityAvailable, "shipped once")

	// Tiki's own stock is not held for orders.
	instock := prodNewProduct("S-2")
	instock.Variants[0].InventoryType = tiki.InventoryInstock
	_, err = srv.SeedProduct(instock)
	require.NoError(t, err)
	_, err = srv.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{SellerProductCode: "S-2", Quantity: 1}}})
	require.NoError(t, err)
	levels, err := srv.Stock("S-2")
	require.NoError(t, err)
	assert.Zero(t, levels[0].Reserved)
}

// Tiki refuses every update of a product the test says it refuses: a batch
// answers the item's row, a single update 422.
func TestRefusedUpdates(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	ctx := context.Background()
	ps := prodSeed(t, srv, "S-1", "S-2")
	require.NoError(t, srv.RefuseUpdates("S-1", "Product is locked"))

	results, _, err := c.Products.UpdateBatch(ctx, []tiki.BatchUpdateItem{{ProductID: ps[0].ProductID, Price: 160000}, {ProductID: ps[1].ProductID, Price: 160000}})
	require.NoError(t, err)
	assert.False(t, results[0].Success)
	assert.Equal(t, "resource_illegal", results[0].Code)
	assert.Equal(t, []string{"Product is locked"}, results[0].Messages)
	assert.True(t, results[1].Success)
	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "S-1", Price: 160000})
	prodRequireAPIError(t, err, 422, "Product is locked")

	require.NoError(t, srv.AcceptUpdates("S-1"))
	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "S-1", Price: 160000})
	require.NoError(t, err)

	var ve *tiki.ValidationError
	require.ErrorAs(t, srv.RefuseUpdates("S-1", ""), &ve)
	assert.True(t, errors.Is(srv.RefuseUpdates("NOPE", "x"), tiki.ErrNotFound))
	assert.True(t, errors.Is(srv.AcceptUpdates("NOPE"), tiki.ErrNotFound))
}

// The product list stays latest first when products are added between two
// reads of it.
func TestProductListFollowsNewProducts(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	prodSeed(t, srv, "S-1", "S-2")
	list := func() []string {
		page, _, err := c.Products.List(context.Background(), &tiki.ProductsOptions{ListOptions: tiki.ListOptions{Limit: 2}})
		require.NoError(t, err)
		var out []string
		for _, p := range page.Data {
			out = append(out, p.OriginalSKU)
		}
		return out
	}
	assert.Equal(t, []string{"S-2", "S-1"}, list())
	prodSeed(t, srv, "S-3")
	assert.Equal(t, []string{"S-3", "S-2"}, list())
}
