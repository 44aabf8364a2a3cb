package tiki_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
)

// TestEndToEnd runs a seller's whole day against the fake Tiki through the
// SDK: register webhooks, create a product, wait for its approval, update
// its stock and price, receive a customer's order, confirm it, deliver it,
// and receive the signed webhooks of every change.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t, tikitest.WithApprovalDelay(0))
	client, err := tiki.NewClient(
		tiki.WithBaseURL(srv.URL), tiki.WithTikiNowURL(srv.TikiNowURL),
		tiki.WithClientCredentials(srv.ClientCredentials()),
		tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond),
	)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Webhooks: the seller's receiver, registered with TikiNOW.
	secret, err := tikinow.NewSecret()
	require.NoError(t, err)
	receiver, err := tikinow.NewReceiver([]string{secret})
	require.NoError(t, err)
	var mu sync.Mutex
	var stock []*tikinow.StockEvent
	var states []string
	receiver.OnStock(func(_ context.Context, e *tikinow.StockEvent) error {
		mu.Lock()
		defer mu.Unlock()
		stock = append(stock, e)
		return nil
	})
	receiver.OnOrderStatus(func(_ context.Context, e *tikinow.OrderStatusEvent) error {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, e.MainState)
		return nil
	})
	hook := httptest.NewServer(receiver)
	defer hook.Close()
	warehouses, _, err := client.V1.Warehouses.ListSeller(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, warehouses)
	var wh tiki.SellerWarehouse
	for _, w := range warehouses {
		if w.WarehouseCode == "sgn" {
			wh = w
		}
	}
	require.NotZero(t, wh.SellerInventoryID, "the fixture has a Saigon warehouse")
	_, _, err = client.Webhooks.Register(ctx, &tiki.RegisterWebhooksRequest{
		InventoryLocations: []string{wh.WarehouseCode},
		Webhooks: tiki.WebhookTargets{
			Order: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret},
			Stock: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret},
		},
	})
	require.NoError(t, err)

	// Create a product with two variants and wait for Tiki's approval.
	cats, _, err := client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	require.NoError(t, err)
	require.NotEmpty(t, cats)
	attrs, _, err := client.Catalog.ListAttributes(ctx, cats[0].ID)
	require.NoError(t, err)
	attributes := map[string]any{}
	for _, a := range attrs {
		if a.IsRequired {
			attributes[a.Code] = "value"
		}
	}
	attributes["brand"] = "Tiki Test"
	variant := func(sku, color string, qty int) tiki.Variant {
		return tiki.Variant{SKU: sku, Price: 90000, Option1: color, InventoryType: tiki.InventorySellerBackorder,
			SellerWarehouse: strconv.FormatInt(wh.SellerInventoryID, 10),
			WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: wh.SellerInventoryID, QtyAvailable: qty}}}
	}
	created, _, err := client.ProductRequests.Create(ctx, tiki.NewProduct{
		CategoryID: cats[0].ID, Name: "Sổ tay", Description: "Sổ tay bìa da", MarketPrice: 120000,
		Attributes: attributes, Image: "https://cdn.example.com/notebook.jpg",
		OptionAttributes: []string{"color"},
		Variants:         []tiki.Variant{variant("E2E-RED", "Red", 5), variant("E2E-BLUE", "Blue", 7)},
		MetaData:         &tiki.ProductMetaData{IsAutoTurnOn: true},
	})
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestQueuing, created.State)

	go func() {
		// Tiki's reviewers, played by the test.
		for ctx.Err() == nil {
			if srv.AdvanceRequests() == 0 {
				return
			}
		}
	}()
	rec, _, err := client.Tracking.Wait(ctx, created.TrackID, &tiki.WaitOptions{Interval: time.Millisecond, MaxInterval: 5 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, tiki.RequestApproved, rec.State, rec.ReasonText())

	found, _, err := client.Products.FindByOriginalSKU(ctx, "E2E-RED")
	require.NoError(t, err)
	require.Len(t, found.Data, 1)
	red := found.Data[0]
	assert.EqualValues(t, 90000, red.Price)

	// Keep price and stock in sync.
	results, _, err := client.Products.UpdateBatch(ctx, []tiki.BatchUpdateItem{
		{OriginalSKU: "E2E-RED", Price: 85000, WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: wh.SellerInventoryID, QtyAvailable: 12}}},
		{OriginalSKU: "E2E-NOPE", Price: 85000},
	})
	require.NoError(t, err)
	require.Len(t, results, 2)
	assert.True(t, results[0].Success)
	require.Len(t, results.Failures(), 1)
	assert.Equal(t, "E2E-NOPE", results.Failures()[0].OriginalSKU)
	got, _, err := client.Products.Get(ctx, red.ProductID)
	require.NoError(t, err)
	assert.EqualValues(t, 85000, got.Price)

	// A customer orders; the seller confirms and delivers.
	placed, err := srv.CreateOrderV1(tikitest.OrderSpecV1{
		FulfillmentType: tiki.FulfillmentSellerDelivery,
		Items:           []tiki.MockOrderItem{{ProductName: red.Name, OriginalSKU: "E2E-RED", Price: 85000, Qty: 1}},
	})
	require.NoError(t, err)
	page, _, err := client.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	order := page.Data[0]
	assert.Equal(t, placed.OrderCode, order.OrderCode)

	req := order.ConfirmItemsRequest()
	req.ItemIDs = order.ItemIDs()
	req.WarehouseCode, req.SellerInventoryID = wh.WarehouseCode, wh.SellerInventoryID
	req.DeliveryCommitmentTime = tiki.NewTime(time.Now().Add(24 * time.Hour))
	_, _, err = client.V1.Orders.ConfirmItems(ctx, req)
	require.NoError(t, err)
	_, _, err = client.V1.Orders.ConfirmItems(ctx, req)
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr, "an order is confirmed once")
	assert.Equal(t, 422, apiErr.StatusCode)

	label, _, err := client.V1.Orders.PrintLabel(ctx, order.OrderCode, &tiki.PrintLabelOptions{Label: tiki.LabelShipping})
	require.NoError(t, err)
	assert.NotEmpty(t, label.URL)
	_, _, err = client.V1.Orders.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{
		OrderCode: order.OrderCode, Status: tiki.DeliveryStatusOnDelivery, UpdateTime: tiki.NewTime(time.Now()),
	})
	require.NoError(t, err)
	_, _, err = client.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: order.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	require.NoError(t, err)
	done, _, err := client.V1.Orders.Get(ctx, order.OrderCode)
	require.NoError(t, err)
	assert.Equal(t, tiki.OrderStatusComplete, done.Status)

	// Every change reached the seller's receiver, signed.
	deliveries := srv.WebhookDeliveries()
	for _, d := range deliveries {
		assert.Equal(t, 200, d.Status, "%s delivery %s", d.Kind, d.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	var qty []int64
	for _, e := range stock {
		if e.SellerProductCode == "E2E-RED" || e.SKU == red.SKU {
			qty = append(qty, int64(e.QtySalable))
		}
	}
	assert.Contains(t, qty, int64(5), "stock at approval")
	assert.Contains(t, qty, int64(12), "stock after the update")
	assert.Contains(t, states, "queueing")
	assert.Contains(t, states, "seller_confirmed")
	assert.Contains(t, states, "complete")
}
