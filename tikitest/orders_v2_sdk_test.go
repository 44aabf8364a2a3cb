package tikitest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// pathRecorder records the method and path of every request a client sends.
type pathRecorder struct {
	mu    sync.Mutex
	paths []string
	next  http.RoundTripper
}

func (p *pathRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	p.paths = append(p.paths, r.Method+" "+r.URL.Path)
	p.mu.Unlock()
	return p.next.RoundTrip(r)
}

func (p *pathRecorder) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.paths
	p.paths = nil
	return out
}

// The SDK's v2 order flow against the fake, with default options: list the
// waiting orders, confirm one order of each operation model through the
// Confirm helper, print its label and report the seller-delivery outcome
// and the cross-border shipment, every request on a documented v2 path.
func TestOrdersV2ThroughSDK(t *testing.T) {
	t.Parallel()
	clock := ordNewClock("2026-12-02 08:00:00")
	srv := tikitest.NewServer(t, tikitest.WithClock(clock.Now))
	rec := &pathRecorder{next: http.DefaultTransport}
	c, err := srv.Client(tiki.WithHTTPClient(&http.Client{Transport: rec}), tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	ctx := context.Background()

	placed := map[tiki.FulfillmentType]string{}
	for _, ft := range []tiki.FulfillmentType{tiki.FulfillmentTikiDelivery, tiki.FulfillmentSellerDelivery, tiki.FulfillmentCrossBorder, tiki.FulfillmentDropship} {
		o, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: ft,
			Items: []tikitest.OrderItemSpec{{SellerProductCode: "SKU-" + string(ft), Price: 409000, Quantity: 1}, {InventoryType: tiki.InventoryInstock}}})
		require.NoError(t, err)
		placed[ft] = o.Code
	}
	fbt, err := srv.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{InventoryType: tiki.InventoryInstock}}})
	require.NoError(t, err)

	page, _, err := c.Orders.List(ctx, &tiki.OrderListOptions{
		Status:                 tiki.In(tiki.OrderStatusQueueing),
		ItemConfirmationStatus: tiki.ConfirmationWaiting,
	})
	require.NoError(t, err)
	require.Len(t, page.Data, 4, "the order fulfilled by Tiki waits for nobody")
	assert.Equal(t, []string{"GET /integration/v2/orders"}, rec.take())

	for i := range page.Data {
		order := &page.Data[i]
		assert.Equal(t, placed[order.FulfillmentType], order.Code)
		require.True(t, order.NeedsConfirmation(), order.Code)
		assert.Equal(t, int64(409000), int64(order.Items[0].Invoice.Price))
		assert.Equal(t, tiki.ConfirmationWaiting, order.Items[0].Confirmation.Status)
		assert.False(t, order.Items[0].Confirmation.AvailableConfirmSLA.IsZero())

		conf, _, err := c.Orders.Confirm(ctx, order, nil)
		require.NoError(t, err, order.Code)
		assert.Equal(t, int64(919), conf.SellerInventoryID)
		paths := rec.take()
		assert.Contains(t, paths, "GET /integration/v2/seller-inventories")
		if order.FulfillmentType == tiki.FulfillmentDropship {
			assert.Contains(t, paths, "GET /integration/v2/orders/dropship/expected-pickup-slots")
			assert.Contains(t, paths, "POST /integration/v2/orders/"+order.Code+"/dropship/confirm-available")
		} else {
			assert.Contains(t, paths, "POST /integration/v2/orders/"+order.Code+"/confirm-available")
		}

		got, _, err := c.Orders.Get(ctx, order.Code, nil)
		require.NoError(t, err)
		assert.Equal(t, tiki.ConfirmationSellerConfirmed, got.Items[0].Confirmation.Status)
		label, _, err := c.Orders.Label(ctx, got, nil)
		require.NoError(t, err, order.Code)
		assert.NotEmpty(t, label.ShippingLabelURL+label.InvoiceLabelURL)
		kind := map[tiki.FulfillmentType]string{tiki.FulfillmentTikiDelivery: "tiki-delivery", tiki.FulfillmentSellerDelivery: "seller-delivery",
			tiki.FulfillmentCrossBorder: "cross-border", tiki.FulfillmentDropship: "dropship"}[order.FulfillmentType]
		assert.Contains(t, rec.take(), "GET /integration/v2/orders/"+order.Code+"/"+kind+"/labels")
	}

	// Confirm refuses an order that needs no confirmation before sending
	// anything (the order CreateOrder returns is the client's tiki.Order).
	_, _, err = c.Orders.Confirm(ctx, &fbt, nil)
	var verr *tiki.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Empty(t, rec.take())

	sd, _, err := c.Orders.Get(ctx, placed[tiki.FulfillmentSellerDelivery], nil)
	require.NoError(t, err)
	_, _, err = c.Orders.UpdateSellerDelivery(ctx, sd, tiki.SellerDeliveryUpdate{Status: tiki.SellerDeliverySuccessful})
	require.NoError(t, err)
	assert.Equal(t, []string{"GET /integration/v2/orders/" + sd.Code, "POST /integration/v2/orders/" + sd.Code + "/seller-delivery/update-delivery"}, rec.take())
	snap, _ := srv.Order(sd.Code)
	assert.Equal(t, tiki.OrderStatusSuccessfulDelivery, snap.Status)
	assert.Equal(t, []tiki.SellerDeliveryUpdate{{Status: tiki.SellerDeliverySuccessful}}, srv.SellerDeliveryUpdates(sd.Code))

	cb, _, err := c.Orders.Get(ctx, placed[tiki.FulfillmentCrossBorder], nil)
	require.NoError(t, err)
	_, _, err = c.Orders.UpdateCrossBorderShipment(ctx, cb, tiki.ShipmentUpdate{Status: tiki.DeliveryStatusTransferringToForeignWarehouses, UpdateTime: ordAt(t, "2026-12-02 12:00:00")})
	require.NoError(t, err)
	assert.Equal(t, []tiki.ShipmentUpdate{{Status: tiki.DeliveryStatusTransferringToForeignWarehouses, UpdateTime: ordAt(t, "2026-12-02 12:00:00")}},
		srv.ShipmentUpdates(cb.Code))
	for _, p := range rec.take() {
		assert.True(t, slices.Contains([]string{"GET /integration/v2/orders/" + cb.Code, "POST /integration/v2/orders/" + cb.Code + "/cross-border/update-shipment"}, p), p)
	}

	// Every part of an order decodes, with every include, and matches the
	// fake's own encoding.
	full, _, err := c.Orders.Get(ctx, sd.Code, &tiki.OrderGetOptions{Include: []tiki.OrderInclude{
		tiki.IncludeStatusHistories, tiki.IncludeItemFees, tiki.IncludeItemConfirmationHistories}})
	require.NoError(t, err)
	snap, _ = srv.Order(sd.Code)
	assert.Equal(t, full.Raw, snap.Raw, "Server.Order is what client.Orders.Get returns with every include")
	var want v2Order
	require.NoError(t, json.Unmarshal(snap.Raw, &want))
	assert.Equal(t, want.Code, full.Code)
	assert.Equal(t, tiki.OrderStatus(want.Status), full.Status)
	require.Len(t, full.StatusHistories, len(want.StatusHistories))
	require.Len(t, full.Items, 2)
	assert.Len(t, full.Items[0].Invoice.Fees, 2)
	assert.Len(t, full.Items[0].Confirmation.Histories, 2)
	assert.Equal(t, int64(380550), int64(full.Items[0].Invoice.SellerIncome))
	assert.Equal(t, int64(-28450), int64(full.Items[0].Invoice.SellerFee))
}
