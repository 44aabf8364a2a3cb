package tikitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
	"github.com/tikisdk/tiki/webhook"
)

// ordClock is a settable clock for the fake.
type ordClock struct {
	mu  sync.Mutex
	now time.Time
}

func ordNewClock(at string) *ordClock {
	t, err := time.ParseInLocation(tiki.TimeLayout, at, tiki.Vietnam())
	if err != nil {
		panic(err)
	}
	return &ordClock{now: t}
}

func (c *ordClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ordClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func ordSetup(t *testing.T, opts ...tikitest.Option) (*tikitest.Server, *tiki.Client) {
	t.Helper()
	srv := tikitest.NewServer(t, opts...)
	c, err := srv.Client(tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	return srv, c
}

// ordHooks receives the fake's order webhooks through the SDK's receiver.
type ordHooks struct {
	srv    *tikitest.Server
	mu     sync.Mutex
	events []*tikinow.OrderStatusEvent
	seen   int
}

func ordRegisterHooks(t *testing.T, srv *tikitest.Server, c *tiki.Client) *ordHooks {
	t.Helper()
	h := &ordHooks{srv: srv}
	secret, err := tikinow.NewSecret()
	require.NoError(t, err)
	// Every delivery counts, even one whose body repeats an earlier one.
	receiver, err := tikinow.NewReceiver([]string{secret}, webhook.WithDedupe(nil))
	require.NoError(t, err)
	receiver.OnOrderStatus(func(_ context.Context, e *tikinow.OrderStatusEvent) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.events = append(h.events, e)
		return nil
	})
	hook := httptest.NewServer(receiver)
	t.Cleanup(hook.Close)
	_, _, err = c.Webhooks.Register(context.Background(), &tiki.RegisterWebhooksRequest{
		InventoryLocations: []string{"sgn"},
		Webhooks:           tiki.WebhookTargets{Order: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret}},
	})
	require.NoError(t, err)
	return h
}

// expect waits for the deliveries under way and checks that exactly the
// given "main_state:main_substate" events arrived since the last call,
// signed and acknowledged. It returns them.
func (h *ordHooks) expect(t *testing.T, want ...string) []*tikinow.OrderStatusEvent {
	t.Helper()
	ds := h.srv.WebhookDeliveries()
	for _, d := range ds[h.seen:] {
		assert.Equal(t, "order", d.Kind)
		assert.Equal(t, http.StatusOK, d.Status, string(d.Body))
	}
	h.seen = len(ds)
	h.mu.Lock()
	got := h.events
	h.events = nil
	h.mu.Unlock()
	states := []string{}
	for _, e := range got {
		states = append(states, e.MainState+":"+e.MainSubstate)
		assert.NotEmpty(t, e.RefCode)
		assert.False(t, e.Date.IsZero())
	}
	if want == nil {
		want = []string{}
	}
	assert.ElementsMatch(t, want, states)
	return got
}

// ordRequireAPIError checks the status and messages of a refused call.
func ordRequireAPIError(t *testing.T, err error, status int, messages ...string) {
	t.Helper()
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, messages, apiErr.Messages)
}

// ordRaw sends a request the SDK would refuse to send, with the seller key.
func ordRaw(t *testing.T, method, rawURL, body string, key string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("tiki-api", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

func ordRawErrors(t *testing.T, srv *tikitest.Server, method, path, body string, status int, messages ...string) {
	t.Helper()
	code, _, got := ordRaw(t, method, srv.URL+path, body, srv.SellerKey())
	assert.Equal(t, status, code, got)
	want, err := json.Marshal(map[string][]string{"errors": messages})
	require.NoError(t, err)
	assert.JSONEq(t, string(want), got)
}

func ordMockRequest(t *testing.T) tiki.MockOrderRequest {
	t.Helper()
	b, err := os.ReadFile("../testdata/mock_order_request.json")
	require.NoError(t, err)
	var req tiki.MockOrderRequest
	require.NoError(t, json.Unmarshal(b, &req))
	return req
}

// ordSellerWarehouses lists the seller's warehouses from the v1 endpoint
// (GET /v1/warehouses) with the given query.
func ordSellerWarehouses(t *testing.T, srv *tikitest.Server, query string) []tiki.SellerWarehouse {
	t.Helper()
	code, _, body := ordRaw(t, http.MethodGet, srv.URL+"/v1/warehouses"+query, "", srv.SellerKey())
	require.Equal(t, http.StatusOK, code, body)
	var out []tiki.SellerWarehouse
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	return out
}

func ordAt(t *testing.T, s string) tiki.Time {
	t.Helper()
	v, err := tiki.ParseTime(s)
	require.NoError(t, err)
	return v
}

// ordWarehouse is the first "hn" warehouse of the documentation's example.
var ordWarehouse = tiki.SellerWarehouse{WarehouseID: 2, WarehouseCode: "hn", SellerInventoryID: 919}

func ordConfirmAll(o tiki.OrderV1, commitment tiki.Time) tiki.ConfirmItemsRequest {
	req := o.ConfirmItemsRequest()
	req.ItemIDs = o.ItemIDs()
	req.WarehouseCode, req.SellerInventoryID = ordWarehouse.WarehouseCode, ordWarehouse.SellerInventoryID
	switch o.FulfillmentType {
	case tiki.FulfillmentSellerDelivery:
		req.DeliveryCommitmentTime = commitment
	case tiki.FulfillmentCrossBorder:
		req.TrackingNumber = "TRK-" + o.OrderCode
	}
	return req
}

func TestOrdersSellerDeliveryFlow(t *testing.T) {
	t.Parallel()
	// The clock of the documented mock order response.
	clock := ordNewClock("2020-04-21 09:15:02")
	srv, c := ordSetup(t, tikitest.WithClock(clock.Now))
	hooks := ordRegisterHooks(t, srv, c)
	ctx := context.Background()

	// (1) The seller's warehouses.
	whs := ordSellerWarehouses(t, srv, "?warehouse_code=hn")
	require.Len(t, whs, 3)
	wh := whs[0]
	assert.Equal(t, ordWarehouse, tiki.SellerWarehouse{WarehouseID: wh.WarehouseID, WarehouseCode: wh.WarehouseCode, SellerInventoryID: wh.SellerInventoryID})

	// A mock order, answered like the documented sandbox response.
	created, _, err := c.V1.Orders.CreateMock(ctx, ordMockRequest(t))
	require.NoError(t, err)
	b, err := os.ReadFile("../testdata/mock_order_response.json")
	require.NoError(t, err)
	var want tiki.OrderV1
	require.NoError(t, json.Unmarshal(b, &want))
	want.OrderCode = created.OrderCode
	for i := range want.Items {
		want.Items[i].ID, want.Items[i].ProductID, want.Items[i].SKU = created.Items[i].ID, created.Items[i].ProductID, created.Items[i].SKU
	}
	want.PurchasedAt = want.CreatedAt   // the fake's orders are purchased when placed
	want.CollectableTotalPrice = 335000 // cash on delivery: the shipper collects the total
	assert.Equal(t, want, *created)
	assert.Equal(t, tiki.Money(345000), created.TotalPriceBeforeDiscount)
	assert.Equal(t, tiki.Money(335000), created.TotalPriceAfterDiscount, "345000 - 25000 discounts + 15000 shipping")
	assert.NotEqual(t, created.Items[0].ID, created.Items[1].ID)
	hooks.expect(t, "queueing:")
	got, ok := srv.OrderV1(created.OrderCode)
	require.True(t, ok)
	assert.Equal(t, *created, got)

	// (2) Pull queueing orders.
	page, _, err := c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing, ItemConfirmationStatus: tiki.ConfirmationWaiting})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, *created, page.Data[0])
	assert.Equal(t, tiki.Paging{Total: 1, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 1}, page.Paging)

	// (3) Confirm the first item; the second is rejected.
	clock.Advance(time.Hour)
	req := page.Data[0].ConfirmItemsRequest()
	req.ItemIDs = []int64{created.Items[0].ID}
	req.WarehouseCode, req.SellerInventoryID = wh.WarehouseCode, wh.SellerInventoryID
	req.DeliveryCommitmentTime = ordAt(t, "2020-04-23 18:00:00")
	res, _, err := c.V1.Orders.ConfirmItems(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, 200, res.Code)
	assert.JSONEq(t, `[]`, string(res.Data))
	hooks.expect(t, "seller_confirmed:")

	order, _, err := c.V1.Orders.Get(ctx, created.OrderCode)
	require.NoError(t, err)
	assert.Equal(t, tiki.OrderStatusSellerConfirmed, order.Status)
	assert.Equal(t, int64(2), order.WarehouseID)
	assert.Equal(t, ordAt(t, "2020-04-21 10:15:02"), order.UpdatedAt)
	assert.Equal(t, tiki.ConfirmationSellerConfirmed, order.Items[0].ConfirmationStatus)
	assert.Equal(t, ordAt(t, "2020-04-21 10:15:02"), order.Items[0].ConfirmedAt)
	assert.Equal(t, "hn", order.Items[0].WarehouseCode)
	assert.Equal(t, tiki.ConfirmationStatus("seller_canceled"), order.Items[1].ConfirmationStatus)
	assert.True(t, order.Items[1].ConfirmedAt.IsZero())

	// Not twice.
	_, _, err = c.V1.Orders.ConfirmItems(ctx, req)
	ordRequireAPIError(t, err, 422, "Order "+created.OrderCode+" is seller_confirmed: only queueing orders can be confirmed")

	// Delivery steps.
	for _, step := range []tiki.DeliveryStatus{tiki.DeliveryStatusReadyForDelivery, tiki.DeliveryStatusOnDelivery} {
		clock.Advance(time.Hour)
		res, _, err := c.V1.Orders.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{
			OrderCode: created.OrderCode, Status: step, UpdateTime: tiki.NewTime(clock.Now()), Payload: `{"step":"` + string(step) + `"}`,
		})
		require.NoError(t, err)
		assert.Equal(t, "success", res.Message)
		hooks.expect(t, "seller_confirmed:"+string(step))
	}
	assert.Equal(t, []tiki.UpdateDeliveryStatusRequest{
		{OrderCode: created.OrderCode, Status: "ready_for_delivery", UpdateTime: ordAt(t, "2020-04-21 11:15:02"), Payload: `{"step":"ready_for_delivery"}`},
		{OrderCode: created.OrderCode, Status: "on_delivery", UpdateTime: ordAt(t, "2020-04-21 12:15:02"), Payload: `{"step":"on_delivery"}`},
	}, srv.DeliveryUpdatesV1(created.OrderCode))

	// (4) Confirm the delivery.
	clock.Advance(time.Hour)
	done, _, err := c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: created.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	require.NoError(t, err)
	assert.Equal(t, created.OrderCode, done.OrderCode)
	hooks.expect(t, "complete:successful_delivery")

	order, _, err = c.V1.Orders.Get(ctx, created.OrderCode)
	require.NoError(t, err)
	assert.Equal(t, tiki.OrderStatusComplete, order.Status)
	assert.Equal(t, ordAt(t, "2020-04-21 13:15:02"), order.DeliveryConfirmedAt)
	page, _, err = c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusComplete})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, created.OrderCode, page.Data[0].OrderCode)
	page, _, err = c.V1.Orders.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, page.Data, "nothing queueing any more")

	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: created.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	ordRequireAPIError(t, err, 422, "Order "+created.OrderCode+" is already complete")
	hooks.expect(t)
}

func TestOrdersTikiDeliveryFlow(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	hooks := ordRegisterHooks(t, srv, c)
	ctx := context.Background()

	whs := ordSellerWarehouses(t, srv, "")
	require.Len(t, whs, 6)

	created, _, err := c.V1.Orders.CreateMock(ctx, tiki.MockOrderRequest{
		FulfillmentType: tiki.FulfillmentTikiDelivery, PaymentMethod: tiki.PaymentVisa,
		Items: []tiki.MockOrderItem{{ProductName: "Gối", OriginalSKU: "G-1", Price: 120000, Qty: 3, InventoryType: tiki.InventoryBackorder}},
	})
	require.NoError(t, err)
	assert.Equal(t, tiki.OrderStatusQueueing, created.Status)
	assert.Equal(t, tiki.Money(360000), created.TotalPriceAfterDiscount)
	assert.Zero(t, created.CollectableTotalPrice, "paid by card: nothing to collect")
	assert.Equal(t, "Thanh toán bằng thẻ quốc tế Visa, Master, JCB", created.Payment.Description)
	hooks.expect(t, "queueing:")

	page, _, err := c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing, FulfillmentType: tiki.FulfillmentTikiDelivery})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)

	// No commitment time, no tracking number.
	req := page.Data[0].ConfirmItemsRequest()
	req.ItemIDs = page.Data[0].ItemIDs()
	req.WarehouseCode, req.SellerInventoryID = whs[3].WarehouseCode, whs[3].SellerInventoryID
	_, _, err = c.V1.Orders.ConfirmItems(ctx, req)
	require.NoError(t, err)
	hooks.expect(t, "seller_confirmed:")
	order, _, err := c.V1.Orders.Get(ctx, created.OrderCode)
	require.NoError(t, err)
	assert.Equal(t, whs[3].WarehouseID, order.WarehouseID)
	assert.Equal(t, "sgn", order.Items[0].WarehouseCode)

	// Tiki reports the delivery, not the seller.
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: created.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	ordRequireAPIError(t, err, 422, "Order "+created.OrderCode+" is a tiki_delivery order: only seller_delivery orders are confirmed by the seller")
	_, _, err = c.V1.Orders.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{OrderCode: created.OrderCode, Status: tiki.DeliveryStatusOnDelivery, UpdateTime: tiki.NewTime(time.Now())})
	ordRequireAPIError(t, err, 422, "Order "+created.OrderCode+" is a tiki_delivery order: only seller_delivery and cross_border orders report delivery steps")
	hooks.expect(t)

	require.NoError(t, srv.SetOrderStatusV1(created.OrderCode, tiki.OrderStatusGiaoHangThanhCong))
	hooks.expect(t, "successful_delivery:")
	order, _, err = c.V1.Orders.Get(ctx, created.OrderCode)
	require.NoError(t, err)
	assert.Equal(t, tiki.OrderStatusSuccessfulDelivery, order.Status)
	assert.False(t, order.DeliveryConfirmedAt.IsZero())
}

func TestOrdersConfirmItemsRules(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	ctx := context.Background()
	sd := createOrderV1(t, srv, tikitest.OrderSpecV1{Items: []tiki.MockOrderItem{{}, {}}})
	cb := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentCrossBorder})
	td := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentTikiDelivery})
	later := tiki.NewTime(time.Now().Add(48 * time.Hour))

	with := func(o tiki.OrderV1, edit func(*tiki.ConfirmItemsRequest)) tiki.ConfirmItemsRequest {
		req := ordConfirmAll(o, later)
		edit(&req)
		return req
	}
	cases := map[string]struct {
		req      tiki.ConfirmItemsRequest
		status   int
		messages []string
	}{
		"unknown order": {with(sd, func(r *tiki.ConfirmItemsRequest) { r.OrderCode = "123" }), 404, []string{"Order not found: 123"}},
		"item not in the order": {with(sd, func(r *tiki.ConfirmItemsRequest) { r.ItemIDs = []int64{sd.Items[0].ID, td.Items[0].ID} }), 422,
			[]string{fmt.Sprintf("item_ids: item %d is not in order %s", td.Items[0].ID, sd.OrderCode)}},
		"unknown warehouse code": {with(sd, func(r *tiki.ConfirmItemsRequest) { r.WarehouseCode = "dn" }), 422,
			[]string{`warehouse_code "dn" is not one of the seller's warehouses`}},
		"inventory id of another warehouse": {with(sd, func(r *tiki.ConfirmItemsRequest) { r.SellerInventoryID = 903 }), 422,
			[]string{`seller_inventory_id 903 is not a seller warehouse with warehouse_code "hn"`}},
		"everything wrong at once": {with(sd, func(r *tiki.ConfirmItemsRequest) { r.ItemIDs, r.SellerInventoryID = []int64{1}, 1 }), 422,
			[]string{`seller_inventory_id 1 is not a seller warehouse with warehouse_code "hn"`, "item_ids: item 1 is not in order " + sd.OrderCode}},
		// The SDK is told the wrong fulfillment type, so it sends what the
		// fake must refuse.
		"seller delivery without commitment time": {with(sd, func(r *tiki.ConfirmItemsRequest) {
			r.FulfillmentType, r.DeliveryCommitmentTime = tiki.FulfillmentTikiDelivery, tiki.Time{}
		}), 400, []string{"delivery_commitment_time is required for seller_delivery orders"}},
		"cross border without tracking number": {with(cb, func(r *tiki.ConfirmItemsRequest) {
			r.FulfillmentType, r.TrackingNumber = tiki.FulfillmentDropship, ""
		}), 400, []string{"tracking_number is required for cross_border orders"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := c.V1.Orders.ConfirmItems(ctx, tc.req)
			ordRequireAPIError(t, err, tc.status, tc.messages...)
		})
	}
	for _, o := range []tiki.OrderV1{sd, cb, td} {
		got, _ := srv.OrderV1(o.OrderCode)
		assert.Equal(t, o, got, "refused confirmations change nothing")
	}

	// Bodies the SDK never sends.
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/confirmItems", `{}`, 400,
		"order_code is required", "item_ids is required (send [] to reject every item)", "warehouse_code is required", "seller_inventory_id is required")
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/confirmItems",
		`{"order_code":"`+sd.OrderCode+`","item_ids":[],"warehouse_code":"hn","seller_inventory_id":"919","delivery_commitment_time":"tomorrow"}`, 400,
		"delivery_commitment_time must be a date-time Y-m-d H:i:s")
	code, _, body := ordRaw(t, http.MethodPost, srv.URL+"/v1/orders/confirmItems", `not json`, srv.SellerKey())
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "The request body is not valid JSON")

	// The documented rules pass: each fulfillment type with what it needs.
	for _, o := range []tiki.OrderV1{sd, cb, td} {
		_, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(o, later))
		require.NoError(t, err, o.FulfillmentType)
		got, _ := srv.OrderV1(o.OrderCode)
		assert.Equal(t, tiki.OrderStatusSellerConfirmed, got.Status)
	}
	_, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(td, later))
	ordRequireAPIError(t, err, 422, "Order "+td.OrderCode+" is seller_confirmed: only queueing orders can be confirmed")
}

func TestOrdersRejectAllItems(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	hooks := ordRegisterHooks(t, srv, c)
	o := createOrderV1(t, srv, tikitest.OrderSpecV1{Items: []tiki.MockOrderItem{{}, {}}})
	hooks.expect(t, "queueing:")

	// item_ids [] rejects every item; a seller-delivery order needs no
	// commitment time for that.
	_, _, err := c.V1.Orders.RejectAllItems(context.Background(), tiki.RejectAllItemsRequest{OrderCode: o.OrderCode, WarehouseCode: "ct", SellerInventoryID: 905})
	require.NoError(t, err)
	got, _ := srv.OrderV1(o.OrderCode)
	assert.Equal(t, tiki.OrderStatusSellerCanceled, got.Status)
	for _, it := range got.Items {
		assert.Equal(t, tiki.ConfirmationStatus("seller_canceled"), it.ConfirmationStatus)
	}
	events := hooks.expect(t, "seller_canceled:")
	require.Len(t, events, 1)
	assert.Equal(t, "seller-out-of-stock-cancel-order", events[0].ReasonCode)
	assert.Equal(t, "Nhà bán hết hàng - hủy đơn hàng.", events[0].Reason)
	assert.Equal(t, &tikinow.OrderExtraInfo{CancelReasonCode: "seller-out-of-stock-cancel-order", CancelReason: "Nhà bán hết hàng - hủy đơn hàng."}, events[0].ExtraInfo)

	_, _, err = c.V1.Orders.PrintLabel(context.Background(), o.OrderCode, nil)
	ordRequireAPIError(t, err, 422, "Order "+o.OrderCode+" is seller_canceled: it has no label")
}

func TestOrdersConfirmDeadline(t *testing.T) {
	t.Parallel()
	clock := ordNewClock("2024-05-10 09:00:00")
	srv, c := ordSetup(t, tikitest.WithClock(clock.Now))
	morning := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentTikiDelivery})
	assert.Equal(t, ordAt(t, "2024-05-10 12:00:00"), morning.Items[0].MustConfirmBeforeAt)
	clock.Advance(90 * time.Minute)
	late := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentTikiDelivery})
	assert.Equal(t, ordAt(t, "2024-05-11 12:00:00"), late.Items[0].MustConfirmBeforeAt, "placed after 10:00: noon the next day")

	clock.Advance(150*time.Minute + time.Second) // 12:00:01
	_, _, err := c.V1.Orders.ConfirmItems(context.Background(), ordConfirmAll(morning, tiki.Time{}))
	ordRequireAPIError(t, err, 422, "Order "+morning.OrderCode+" had to be confirmed before 2024-05-10 12:00:00")
	_, _, err = c.V1.Orders.ConfirmItems(context.Background(), ordConfirmAll(late, tiki.Time{}))
	require.NoError(t, err)
}

func TestOrdersConfirmDeliveryRules(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	hooks := ordRegisterHooks(t, srv, c)
	ctx := context.Background()
	later := tiki.NewTime(time.Now().Add(24 * time.Hour))
	confirmed := func() tiki.OrderV1 {
		o := createOrderV1(t, srv, tikitest.OrderSpecV1{})
		_, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(o, later))
		require.NoError(t, err)
		return o
	}
	queueing := createOrderV1(t, srv, tikitest.OrderSpecV1{})

	_, _, err := c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: "404404", Status: tiki.ConfirmDeliverySuccessful})
	ordRequireAPIError(t, err, 404, "Order not found: 404404")
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: queueing.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	ordRequireAPIError(t, err, 422, "Order "+queueing.OrderCode+" is queueing: confirm its items first")

	// Canceled with one of Tiki's reasons, and with free text ("others"),
	// with the most document URLs allowed.
	o1, o2 := confirmed(), confirmed()
	hooks.expect(t, "queueing:", "queueing:", "queueing:", "seller_confirmed:", "seller_confirmed:")
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{
		OrderCode: o1.OrderCode, Status: tiki.ConfirmDeliveryCanceled, Reason: tiki.CancelReasonCustomerNoLongerInDemand,
		AppointmentDate: later, DocumentURLs: []string{"https://a.test/1.png", "https://a.test/2.png", "http://a.test/3.png"},
	})
	require.NoError(t, err)
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: o2.OrderCode, Status: tiki.ConfirmDeliveryCanceled, Reason: "Could not be reached"})
	require.NoError(t, err)
	events := hooks.expect(t, "canceled:", "canceled:")
	byCode := map[string]*tikinow.OrderStatusEvent{}
	for _, e := range events {
		byCode[e.OrderCode] = e
	}
	assert.Equal(t, "customers-are-no-longer-in-demand", byCode[o1.OrderCode].ReasonCode)
	assert.Equal(t, "Khách hàng không còn nhu cầu.", byCode[o1.OrderCode].Reason)
	assert.Equal(t, "others", byCode[o2.OrderCode].ReasonCode)
	assert.Equal(t, "Could not be reached", byCode[o2.OrderCode].Reason)
	got, _ := srv.OrderV1(o1.OrderCode)
	assert.Equal(t, tiki.OrderStatusCanceled, got.Status)
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: o1.OrderCode, Status: tiki.ConfirmDeliverySuccessful})
	ordRequireAPIError(t, err, 422, "Order "+o1.OrderCode+" is already canceled")

	// Bodies the SDK never sends.
	o3 := confirmed()
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/confirmDelivery",
		`{"order_code":"`+o3.OrderCode+`","status":"delivered","document_urls":["https://a.test/1","https://a.test/2","https://a.test/3","/4"]}`, 400,
		"status must be canceled or successful_delivery", "document_urls must hold at most 3 URLs", "document_urls[3] must be an absolute http(s) URL")
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/confirmDelivery", `{"status":"canceled","appointment_date":"soon"}`, 400,
		"order_code is required", "appointment_date must be a date-time Y-m-d H:i:s")
	got, _ = srv.OrderV1(o3.OrderCode)
	assert.Equal(t, tiki.OrderStatusSellerConfirmed, got.Status)
}

func TestOrdersUpdateDeliveryStatusRules(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	ctx := context.Background()
	now := tiki.NewTime(time.Now())
	step := func(code string) error {
		_, _, err := c.V1.Orders.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{OrderCode: code, Status: tiki.DeliveryStatusOnDelivery, UpdateTime: now})
		return err
	}
	queueing := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	ordRequireAPIError(t, step("1"), 404, "Order not found: 1")
	ordRequireAPIError(t, step(queueing.OrderCode), 422, "Order "+queueing.OrderCode+" is queueing: confirm its items first")

	// Cross-border orders report their steps too.
	cb := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentCrossBorder})
	_, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(cb, tiki.Time{}))
	require.NoError(t, err)
	_, _, err = c.V1.Orders.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{OrderCode: cb.OrderCode, Status: tiki.DeliveryStatusCustomsClearance, UpdateTime: now})
	require.NoError(t, err)
	require.Len(t, srv.DeliveryUpdatesV1(cb.OrderCode), 1)
	assert.Equal(t, tiki.DeliveryStatusCustomsClearance, srv.DeliveryUpdatesV1(cb.OrderCode)[0].Status)

	// The document's example body, on an order of the fake.
	sd := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	_, _, err = c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(sd, now))
	require.NoError(t, err)
	code, _, body := ordRaw(t, http.MethodPost, srv.URL+"/v1/orders/updateDeliveryStatus",
		`{"order_code":"`+sd.OrderCode+`","payload":"","update_time":"2019-11-23 23:59:59","status":"ready for delivery"}`, srv.SellerKey())
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"message":"success"}`, body)
	assert.Equal(t, []tiki.UpdateDeliveryStatusRequest{{OrderCode: sd.OrderCode, Status: "ready for delivery", UpdateTime: ordAt(t, "2019-11-23 23:59:59")}},
		srv.DeliveryUpdatesV1(sd.OrderCode))

	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/updateDeliveryStatus", `{"payload":{"a":1}}`, 400,
		"order_code is required", "status is required", "update_time is required", "payload must be a string")
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders/updateDeliveryStatus", `{"order_code":"`+sd.OrderCode+`","status":"x","update_time":"yesterday"}`, 400,
		"update_time must be a date-time Y-m-d H:i:s")
	assert.Len(t, srv.DeliveryUpdatesV1(sd.OrderCode), 1)
	assert.Empty(t, srv.DeliveryUpdatesV1("nope"))
}

func TestOrdersListPagingAndFilters(t *testing.T) {
	t.Parallel()
	clock := ordNewClock("2024-05-10 15:00:00")
	srv, c := ordSetup(t, tikitest.WithClock(clock.Now))
	ctx := context.Background()
	start := clock.Now()
	var codes []string // newest first
	for i := range 30 {
		spec := tikitest.OrderSpecV1{CreatedAt: start.Add(-time.Duration(i) * time.Hour)}
		if i%6 == 5 {
			spec.FulfillmentType = tiki.FulfillmentTikiDelivery
			spec.Items = []tiki.MockOrderItem{{InventoryType: tiki.InventoryInstock}}
		}
		codes = append(codes, createOrderV1(t, srv, spec).OrderCode)
	}
	list := func(opts *tiki.OrderListOptionsV1) []string {
		t.Helper()
		var got []string
		for o, err := range c.V1.Orders.All(ctx, opts) {
			require.NoError(t, err)
			got = append(got, o.OrderCode)
		}
		return got
	}

	// Default: queueing orders, 20 per page, newest first.
	page, _, err := c.V1.Orders.List(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, tiki.Paging{Total: 30, PerPage: 20, CurrentPage: 1, LastPage: 2, From: 1, To: 20}, page.Paging)
	require.Len(t, page.Data, 20)
	assert.Equal(t, codes[0], page.Data[0].OrderCode)
	page, _, err = c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{ListOptions: tiki.ListOptions{Page: 2}})
	require.NoError(t, err)
	assert.Equal(t, tiki.Paging{Total: 30, PerPage: 20, CurrentPage: 2, LastPage: 2, From: 21, To: 30}, page.Paging)
	page, _, err = c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{ListOptions: tiki.ListOptions{Limit: 100}})
	require.NoError(t, err)
	assert.Len(t, page.Data, 30)
	assert.Equal(t, codes, list(&tiki.OrderListOptionsV1{ListOptions: tiki.ListOptions{Limit: 7}}))
	ordRawErrors(t, srv, http.MethodGet, "/v1/orders?limit=101", "", 400, "page must be at least 1 and limit between 1 and 100")

	// Fulfillment and inventory types.
	tikiDelivery := []string{codes[5], codes[11], codes[17], codes[23], codes[29]}
	assert.Equal(t, tikiDelivery, list(&tiki.OrderListOptionsV1{FulfillmentType: tiki.FulfillmentTikiDelivery}))
	assert.Equal(t, tikiDelivery, list(&tiki.OrderListOptionsV1{ItemInventoryType: tiki.InventoryInstock}))
	assert.Len(t, list(&tiki.OrderListOptionsV1{ItemInventoryType: tiki.InventorySellerBackorder}), 25)

	// Confirm the newest order an hour later: status, item status and
	// update date filters follow.
	clock.Advance(time.Hour)
	o, _ := srv.OrderV1(codes[0])
	_, _, err = c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(o, tiki.NewTime(clock.Now().Add(24*time.Hour))))
	require.NoError(t, err)
	assert.Equal(t, []string{codes[0]}, list(&tiki.OrderListOptionsV1{Status: tiki.OrderStatusSellerConfirmed}))
	assert.Len(t, list(&tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing}), 29)
	assert.Len(t, list(&tiki.OrderListOptionsV1{Status: tiki.OrderStatusChoIn}), 29, "Vietnamese value")
	assert.Equal(t, []string{codes[0]}, list(&tiki.OrderListOptionsV1{Status: "nin|queueing,processing"}))
	assert.Len(t, list(&tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed"}), 30)
	assert.Equal(t, []string{codes[0]}, list(&tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed", ItemConfirmationStatus: tiki.ConfirmationSellerConfirmed}))
	assert.Equal(t, []string{codes[0]}, list(&tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed", UpdatedFrom: tiki.NewTime(start.Add(time.Minute))}))
	assert.Len(t, list(&tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed", UpdatedTo: tiki.NewTime(start)}), 29)

	// Creation dates.
	assert.Equal(t, codes[1:4], list(&tiki.OrderListOptionsV1{CreatedFrom: tiki.NewTime(start.Add(-3 * time.Hour)), CreatedTo: tiki.NewTime(start.Add(-time.Hour))}))
	assert.Equal(t, codes[1:16], list(&tiki.OrderListOptionsV1{FilterDateBy: tiki.DateFilterToday}), "today: since 00:00 of 2024-05-10")
	assert.Len(t, list(&tiki.OrderListOptionsV1{FilterDateBy: tiki.DateFilterLast30Days}), 29)

	// Include.
	code, _, body := ordRaw(t, http.MethodGet, srv.URL+"/v1/orders?status=seller_confirmed&include=items.fees,status_histories", "", srv.SellerKey())
	assert.Equal(t, 200, code)
	var raw struct {
		Data []struct {
			Histories []map[string]string `json:"status_histories"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &raw))
	require.Len(t, raw.Data, 1)
	assert.Equal(t, []map[string]string{
		{"status": "queueing", "created_at": "2024-05-10 15:00:00"},
		{"status": "seller_confirmed", "created_at": "2024-05-10 16:00:00"},
	}, raw.Data[0].Histories)

	// Bad filters, through a client that allows them (the SDK refuses
	// unknown values before sending them).
	loose, err := srv.Client(tiki.WithEnumValues[tiki.OrderStatus]("shipped"), tiki.WithEnumValues[tiki.FulfillmentType]("by_drone"),
		tiki.WithEnumValues[tiki.InventoryType]("none"), tiki.WithEnumValues[tiki.ConfirmationStatus]("maybe"),
		tiki.WithEnumValues[tiki.OrderDateFilter]("yesterday"))
	require.NoError(t, err)
	_, _, err = loose.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: "shipped", FulfillmentType: "by_drone", ItemInventoryType: "none",
		ItemConfirmationStatus: "maybe", FilterDateBy: "yesterday"})
	ordRequireAPIError(t, err, 400, `status "shipped" is not an order status`,
		"fulfillment_type must be one of seller_delivery, tiki_delivery, dropship, cross_border",
		"item_inventory_type must be one of cross_border, instock, backorder, seller_backorder, drop_ship",
		"item_confirmation_status must be one of waiting, seller_confirmed, confirmed, seller_canceled",
		"filter_date_by must be today or last30days")
	ordRawErrors(t, srv, http.MethodGet, "/v1/orders?created_from_date=tomorrow", "", 400, "created_from_date must be a date-time yyyy-MM-dd HH:mm:ss")

	// v1 answers alike.
	v1, err := srv.Client()
	require.NoError(t, err)
	page, _, err = v1.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusSellerConfirmed})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	_, _, err = v1.V1.Orders.Get(ctx, "0")
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, srv.URL+"/v1/orders/0", apiErr.URL)
	got, _, err := v1.V1.Orders.Get(ctx, codes[0])
	require.NoError(t, err)
	assert.Equal(t, page.Data[0], *got)
}

func TestOrdersThirtyDayWindow(t *testing.T) {
	t.Parallel()
	clock := ordNewClock("2024-05-10 15:00:00")
	srv, c := ordSetup(t, tikitest.WithClock(clock.Now))
	ctx := context.Background()
	day := 24 * time.Hour
	old := createOrderV1(t, srv, tikitest.OrderSpecV1{CreatedAt: clock.Now().Add(-31 * day)})
	edge := createOrderV1(t, srv, tikitest.OrderSpecV1{CreatedAt: clock.Now().Add(-29 * day)})
	fresh := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	codes := func(opts *tiki.OrderListOptionsV1) []string {
		page, _, err := c.V1.Orders.List(ctx, opts)
		require.NoError(t, err)
		var out []string
		for _, o := range page.Data {
			out = append(out, o.OrderCode)
		}
		return out
	}

	assert.Equal(t, []string{fresh.OrderCode, edge.OrderCode}, codes(nil))
	assert.Equal(t, []string{fresh.OrderCode, edge.OrderCode}, codes(&tiki.OrderListOptionsV1{CreatedFrom: tiki.NewTime(clock.Now().Add(-90 * day))}),
		"an earlier created_from_date does not reach past 30 days")
	got, _, err := c.V1.Orders.Get(ctx, old.OrderCode)
	require.NoError(t, err, "an old order is still found by its code")
	assert.Equal(t, old, *got)
	assert.Equal(t, tiki.NewTime(clock.Now().Add(-31*day)).String(), got.UpdatedAt.String(), "placed, never updated")
	assert.Equal(t, []string{fresh.OrderCode}, codes(&tiki.OrderListOptionsV1{UpdatedFrom: tiki.NewTime(clock.Now().Add(-time.Hour))}))

	clock.Advance(2 * day)
	assert.Equal(t, []string{fresh.OrderCode}, codes(nil))
}

func TestOrdersLabels(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	ctx := context.Background()
	o := createOrderV1(t, srv, tikitest.OrderSpecV1{Items: []tiki.MockOrderItem{{ProductName: "Bình giữ nhiệt", OriginalSKU: "BGN-500", Price: 150000, Qty: 2}}})

	_, _, err := c.V1.Orders.PrintLabel(ctx, o.OrderCode, nil)
	ordRequireAPIError(t, err, 422, "Order "+o.OrderCode+" is queueing: labels are printed once its items are confirmed")
	_, _, err = c.V1.Orders.PrintLabel(ctx, "777", nil)
	ordRequireAPIError(t, err, 404, "Order not found: 777")

	_, _, err = c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(o, tiki.NewTime(time.Now().Add(time.Hour))))
	require.NoError(t, err)
	fetch := func(u string) (string, string) {
		t.Helper()
		require.True(t, strings.HasPrefix(u, srv.Host+"/ts/print/"), u)
		code, h, body := ordRaw(t, http.MethodGet, u, "", srv.SellerKey())
		require.Equal(t, 200, code, body)
		return h.Get("Content-Type"), body
	}

	shipping, _, err := c.V1.Orders.PrintLabel(ctx, o.OrderCode, nil)
	require.NoError(t, err)
	assert.Equal(t, shipping.URL, shipping.ShippingLabelURL)
	assert.True(t, strings.HasSuffix(shipping.URL, ".html"))
	ctype, body := fetch(shipping.URL)
	assert.Equal(t, "text/html; charset=utf-8", ctype)
	assert.Contains(t, body, "Shipping label")
	assert.Contains(t, body, o.OrderCode)
	assert.Contains(t, body, "Bình giữ nhiệt")
	assert.Contains(t, body, "BGN-500")

	again, _, err := c.V1.Orders.PrintLabel(ctx, o.OrderCode, &tiki.PrintLabelOptions{Label: tiki.LabelShipping, Format: tiki.LabelHTML})
	require.NoError(t, err)
	assert.Equal(t, shipping.URL, again.URL, "a label keeps its URL")

	invoice, _, err := c.V1.Orders.PrintLabel(ctx, o.OrderCode, &tiki.PrintLabelOptions{Label: tiki.LabelInvoice, Format: tiki.LabelPDF})
	require.NoError(t, err)
	assert.Equal(t, invoice.URL, invoice.InvoiceLabelURL)
	assert.True(t, strings.HasSuffix(invoice.URL, ".pdf"))
	ctype, body = fetch(invoice.URL)
	assert.Equal(t, "application/pdf", ctype)
	assert.True(t, strings.HasPrefix(body, "%PDF-1.4\n"))
	assert.True(t, strings.HasSuffix(body, "%%EOF\n"))
	assert.Contains(t, body, "(Invoice - order "+o.OrderCode+") Tj")
	assert.Contains(t, body, "(BGN-500  x2  150000 VND) Tj")

	po, _, err := c.V1.Orders.PrintLabel(ctx, o.OrderCode, &tiki.PrintLabelOptions{Label: tiki.LabelPO})
	require.NoError(t, err)
	assert.Equal(t, po.URL, po.POLabelURL)
	_, body = fetch(po.URL)
	assert.Contains(t, body, "Purchase order")

	// Requests the SDK refuses to send.
	ordRawErrors(t, srv, http.MethodGet, "/v1/orders/"+o.OrderCode+"/print?format=pdf", "", 400, "format pdf is only available for label invoice")
	ordRawErrors(t, srv, http.MethodGet, "/v1/orders/"+o.OrderCode+"/print?label=stamp&format=png", "", 400, "label must be shipping, invoice or po", "format must be html or pdf")
	code, _, body := ordRaw(t, http.MethodGet, srv.Host+"/ts/print/nothing.html", "", srv.SellerKey())
	assert.Equal(t, 404, code)
	assert.JSONEq(t, `{"errors":["Label not found"]}`, body)
}

func TestOrdersConcurrentConfirmations(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	hooks := ordRegisterHooks(t, srv, c)
	ctx := context.Background()
	const n = 20
	orders := make([]tiki.OrderV1, n)
	for i := range orders {
		var err error
		o, _, err := c.V1.Orders.CreateMock(ctx, tiki.MockOrderRequest{FulfillmentType: tiki.FulfillmentSellerDelivery, PaymentMethod: tiki.PaymentCOD,
			Items: []tiki.MockOrderItem{{ProductName: "P", OriginalSKU: fmt.Sprintf("SKU-%d", i%3), Price: 1000, Qty: 1, InventoryType: tiki.InventorySellerBackorder}}})
		require.NoError(t, err)
		orders[i] = *o
	}
	commitment := tiki.NewTime(time.Now().Add(time.Hour))
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, _, errs[i] = c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(orders[i], commitment))
		}()
		go func() {
			defer wg.Done()
			_, _, err := c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed", ListOptions: tiki.ListOptions{Limit: 100}})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	want := []string{}
	for i, o := range orders {
		require.NoError(t, errs[i])
		got, _ := srv.OrderV1(o.OrderCode)
		assert.Equal(t, tiki.OrderStatusSellerConfirmed, got.Status)
		want = append(want, "queueing:", "seller_confirmed:")
	}
	hooks.expect(t, want...)
	page, _, err := c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusSellerConfirmed, ListOptions: tiki.ListOptions{Limit: 100}})
	require.NoError(t, err)
	assert.Len(t, page.Data, n)

	// Racing confirmations of one order: exactly one wins.
	o := createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: tiki.FulfillmentTikiDelivery})
	wins := make(chan struct{}, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmAll(o, tiki.Time{}))
			var apiErr *tiki.APIError
			switch {
			case err == nil:
				wins <- struct{}{}
			case errors.As(err, &apiErr):
				assert.Equal(t, 422, apiErr.StatusCode)
			default:
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Len(t, wins, 1)
}

func TestOrdersSellerAndWarehouses(t *testing.T) {
	t.Parallel()
	srv, c := ordSetup(t)
	ctx := context.Background()
	me, _, err := c.Sellers.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(328785), me.ID)
	assert.Equal(t, "Sushi shop", me.Name)
	assert.True(t, me.Active)
	assert.Equal(t, tiki.RegistrationCompleted, me.RegistrationStatus)

	all := ordSellerWarehouses(t, srv, "")
	require.Len(t, all, 6)
	assert.Equal(t, "Kho giáp bát hà nội", all[0].Name)
	assert.Equal(t, tiki.Locality{Code: "VN034025003", Name: "Phường Giáp Bát"}, all[0].Ward)
	ct := ordSellerWarehouses(t, srv, "?warehouse_id=6")
	require.Len(t, ct, 1)
	assert.Equal(t, int64(905), ct[0].SellerInventoryID)
	assert.Len(t, ordSellerWarehouses(t, srv, "?warehouse_id=2&warehouse_code=hn"), 3)
	assert.Empty(t, ordSellerWarehouses(t, srv, "?warehouse_code=dn"))
	ordRawErrors(t, srv, http.MethodGet, "/v1/warehouses?warehouse_id=two", "", 400, "warehouse_id must be a number")
	// The v1 warehouse list is not served under /v2.
	code, _, _ := ordRaw(t, http.MethodGet, srv.URL+"/v2/warehouses", "", srv.SellerKey())
	assert.Equal(t, http.StatusNotFound, code)
}

func TestOrdersCreateMockRules(t *testing.T) {
	t.Parallel()
	srv, _ := ordSetup(t)
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders", `{}`, 400,
		"fulfillment_type is required", "payment_method is required", "items must hold at least one item")
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders",
		`{"fulfillment_type":"by_drone","payment_method":"cod","items":[{"product_name":" ","original_sku":"","price":0,"qty":-1,"inventory_type":"x"}]}`, 400,
		"fulfillment_type must be one of seller_delivery, tiki_delivery, dropship, cross_border",
		"items[0].product_name is required", "items[0].original_sku is required", "items[0].price must be greater than 0",
		"items[0].qty must be greater than 0", "items[0].inventory_type must be one of cross_border, instock, backorder, seller_backorder, drop_ship")
	ordRawErrors(t, srv, http.MethodPost, "/v1/orders",
		`{"fulfillment_type":"dropship","payment_method":"cod","discount_coupon":5000,"items":[{"product_name":"A","original_sku":"A","price":1000,"qty":1,"inventory_type":"drop_ship"}]}`, 400,
		"discounts must not exceed the total price of the items")
	code, _, body := ordRaw(t, http.MethodPost, srv.URL+"/v1/orders", `{"items":[{"price":1.5}]}`, srv.SellerKey())
	assert.Equal(t, 400, code, body)
	code, _, _ = ordRaw(t, http.MethodPost, srv.URL+"/v1/orders", `{}`, "wrong-key")
	assert.Equal(t, 401, code)
	page, _, err := func() (*tiki.Page[tiki.OrderV1], *tiki.Response, error) {
		c, err := srv.Client()
		require.NoError(t, err)
		return c.V1.Orders.List(context.Background(), &tiki.OrderListOptionsV1{Status: "in|queueing,seller_confirmed,seller_canceled,complete,canceled"})
	}()
	require.NoError(t, err)
	assert.Empty(t, page.Data, "refused requests create nothing")
}

// CreateOrderV1 places an order of the 2019 order API with defaults and
// refuses, with a *tiki.ValidationError listing every problem, what the v1
// mock order endpoint refuses; SetOrderStatusV1 moves an order, refusing a
// status the v1 API does not know, and an unknown order is
// tiki.ErrNotFound.
func TestOrdersGoAPI(t *testing.T) {
	t.Parallel()
	srv, _ := ordSetup(t)
	o := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	assert.Equal(t, tiki.OrderStatusQueueing, o.Status)
	assert.Equal(t, tiki.FulfillmentSellerDelivery, o.FulfillmentType)
	assert.Equal(t, tiki.PaymentCOD, o.Payment.Method)
	require.Len(t, o.Items, 1)
	assert.Equal(t, tiki.InventorySellerBackorder, o.Items[0].InventoryType)
	assert.Equal(t, tiki.Money(100000), o.TotalPriceAfterDiscount)
	assert.Equal(t, tiki.Money(100000), o.CollectableTotalPrice)
	assert.Equal(t, tiki.ConfirmationWaiting, o.Items[0].ConfirmationStatus)
	assert.NotEmpty(t, o.Shipping.EstimateDescription)

	for ft, inv := range map[tiki.FulfillmentType]tiki.InventoryType{
		tiki.FulfillmentTikiDelivery: tiki.InventoryBackorder, tiki.FulfillmentDropship: tiki.InventoryDropShip, tiki.FulfillmentCrossBorder: tiki.InventoryCrossBorder,
	} {
		assert.Equal(t, inv, createOrderV1(t, srv, tikitest.OrderSpecV1{FulfillmentType: ft}).Items[0].InventoryType)
	}

	_, err := srv.CreateOrderV1(tikitest.OrderSpecV1{FulfillmentType: "drone",
		Items: []tiki.MockOrderItem{{InventoryType: "pallet"}, {Price: -1, Qty: -1}}})
	requireInvalid(t, err,
		"fulfillment_type must be one of seller_delivery, tiki_delivery, dropship, cross_border",
		"items[0].inventory_type must be one of cross_border, instock, backorder, seller_backorder, drop_ship",
		"items[1].price must be greater than 0",
		"items[1].qty must be greater than 0")
	_, ok := srv.OrderV1("800000004")
	require.True(t, ok, "the last order placed above")
	_, ok = srv.OrderV1("800000005")
	assert.False(t, ok, "nothing placed")
	_, ok = srv.OrderV1("nope")
	assert.False(t, ok)
	require.ErrorIs(t, srv.SetOrderStatusV1("nope", tiki.OrderStatusCanceled), tiki.ErrNotFound)
	requireInvalid(t, srv.SetOrderStatusV1(o.OrderCode, "lost"), `status must be one of queueing, seller_confirmed, seller_canceled, `+
		`complete, canceled, successful_delivery, processing, waiting_payment, not "lost"`)
	require.NoError(t, srv.SetOrderStatusV1(o.OrderCode, tiki.OrderStatusCanceled))
	got, ok := srv.OrderV1(o.OrderCode)
	require.True(t, ok)
	assert.Equal(t, tiki.OrderStatusCanceled, got.Status)
	assert.Empty(t, srv.WebhookDeliveries(), "no webhook registered: nothing delivered")
}
