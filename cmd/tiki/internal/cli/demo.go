package cli

import (
	"context"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// demoProduct is one product of the demo shop.
type demoProduct struct {
	sku, name  string
	price      tiki.Money
	hn, sgn    int // units in the seller's warehouses 919 (hn) and 903 (sgn)
	inventType tiki.InventoryType
}

// demoProducts are the products of the demo shop, in the seller's
// warehouses 919 (hn) and 903 (sgn).
var demoProducts = []demoProduct{
	{"SO-TAY-A5", "Sổ tay bìa da A5", 120_000, 25, 10, tiki.InventorySellerBackorder},
	{"BUT-BI-XANH", "Bút bi xanh (hộp 20)", 45_000, 120, 80, tiki.InventorySellerBackorder},
	{"BINH-NUOC-500", "Bình nước giữ nhiệt 500ml", 189_000, 8, 0, tiki.InventorySellerBackorder},
	{"TUI-VAI", "Túi vải canvas", 99_000, 0, 15, tiki.InventorySellerBackorder},
	{"LICH-BAN", "Lịch để bàn", 65_000, 40, 40, tiki.InventorySellerBackorder},
}

// demoOrder is one order of the demo shop: placed minutesAgo before the
// demo's start, confirmed by the seller when confirmed is set.
type demoOrder struct {
	model      tiki.FulfillmentType
	sku        string
	qty        int
	inventory  tiki.InventoryType
	minutesAgo int
	confirmed  bool
}

// demoOrders are the demo shop's orders, oldest first: one confirmed order
// of the two models the seller reports on (seller delivery, cross border),
// one waiting for confirmation of each model the seller confirms, and one
// Tiki fulfils from its own stock. All were placed within the hour, so that
// each can still be confirmed whatever the time of day (Tiki's deadline is
// noon, the same day for orders placed before 10:00).
var demoOrders = []demoOrder{
	{tiki.FulfillmentSellerDelivery, "LICH-BAN", 1, tiki.InventorySellerBackorder, 58, true},
	{tiki.FulfillmentCrossBorder, "TUI-VAI", 1, tiki.InventoryCrossBorder, 55, true},
	{tiki.FulfillmentSellerDelivery, "SO-TAY-A5", 2, tiki.InventorySellerBackorder, 50, false},
	{tiki.FulfillmentTikiDelivery, "BUT-BI-XANH", 3, tiki.InventoryBackorder, 40, false},
	{tiki.FulfillmentDropship, "BINH-NUOC-500", 1, tiki.InventoryDropship, 30, false},
	{tiki.FulfillmentCrossBorder, "TUI-VAI", 2, tiki.InventoryCrossBorder, 20, false},
	{tiki.FulfillmentTikiDelivery, "LICH-BAN", 1, tiki.InventoryInstock, 10, false},
}

// demoQueue is the name of the demo shop's event queue, subscribed to
// every event type before the orders were placed.
const demoQueue = "demo"

// demoClock is the clock of the demo fake: it stands at the demo's start
// while the demo data is made (so that its dates do not depend on how fast
// the machine is), then runs.
type demoClock struct {
	mu      sync.Mutex
	base    time.Time
	started time.Time // zero while the data is made
}

func (c *demoClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started.IsZero() {
		return c.base
	}
	return c.base.Add(time.Since(c.started))
}

func (c *demoClock) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = time.Now()
}

// startDemo starts the built-in fake Tiki with the demo shop, dated from
// now(): its products, its event queue and its orders.
func startDemo(now func() time.Time) (*tikitest.Server, error) {
	clock := &demoClock{base: now().Truncate(time.Minute)}
	srv, err := tikitest.Start(tikitest.WithClock(clock.now), tikitest.WithApprovalDelay(100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	if err := seedDemo(srv, clock); err != nil {
		srv.Close()
		return nil, err
	}
	clock.start()
	return srv, nil
}

// seedDemo makes the demo shop's data on srv.
func seedDemo(srv *tikitest.Server, clock *demoClock) error {
	for _, p := range demoProducts {
		if _, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID:  218,
			Name:        p.name,
			Description: "<p>" + p.name + "</p>",
			MarketPrice: p.price + p.price/5,
			Attributes:  map[string]any{"brand": "Tiki", "bulky": 0},
			Image:       "https://img.example/" + p.sku + ".jpg",
			MetaData:    &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{{
				SKU: p.sku, Price: p.price, InventoryType: p.inventType, SellerWarehouse: "919,903",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: p.hn}, {WarehouseID: 903, QtyAvailable: p.sgn}},
			}},
		}); err != nil {
			return err
		}
	}
	client, err := srv.Client()
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, _, err := client.EventQueue.CreateQueue(ctx, demoQueue)
	if err != nil {
		return err
	}
	for _, typ := range tiki.EventTypes() {
		if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ); err != nil {
			return err
		}
	}
	for _, o := range demoOrders {
		order, err := srv.CreateOrder(tikitest.OrderSpec{
			FulfillmentType: o.model,
			CreatedAt:       clock.base.Add(-time.Duration(o.minutesAgo) * time.Minute),
			Items:           []tikitest.OrderItemSpec{{SellerProductCode: o.sku, Quantity: o.qty, InventoryType: o.inventory}},
		})
		if err != nil {
			return err
		}
		if o.confirmed {
			if _, _, err := client.Orders.Confirm(ctx, &order, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
