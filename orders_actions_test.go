package tiki

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOrdersConfirmPicksTheEndpointOfEachModel(t *testing.T) {
	t.Parallel()
	inventories := fixture(t, "orders_v2/seller_inventories.json")
	slots := []byte(`{"seller_id": 46262, "pickup_slots": [{"expected_pickup_slot": "08:00 - 12:00", "expected_pickup_time": "2021-06-03 08:00:00"},
		{"expected_pickup_slot": "13:00 - 17:00", "expected_pickup_time": "2021-06-03 13:00:00"}]}`)
	cases := []struct {
		model    FulfillmentType
		path     string
		body     string
		pickedUp bool
	}{
		{FulfillmentTikiDelivery, "/v2/orders/613795703/confirm-available", `{"available_item_ids": [191564100], "seller_inventory_id": 188954}`, false},
		{FulfillmentSellerDelivery, "/v2/orders/613795703/confirm-available", `{"available_item_ids": [191564100], "seller_inventory_id": 188954}`, false},
		{FulfillmentCrossBorder, "/v2/orders/613795703/confirm-available", `{"available_item_ids": [191564100], "seller_inventory_id": 188954}`, false},
		{FulfillmentDropship, "/v2/orders/613795703/dropship/confirm-available",
			`{"confirmation_status": "seller_confirmed", "seller_inventory_id": 188954, "expected_pickup_time": "2021-06-03 08:00:00"}`, true},
	}
	for _, tc := range cases {
		t.Run(string(tc.model), func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			inv := s.respond(http.MethodGet, "/v2/seller-inventories", 200, inventories)
			slot := s.respond(http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", 200, slots)
			confirm := s.respond(http.MethodPost, tc.path, 200, []byte(`{}`))

			done, _, err := c.Orders.Confirm(context.Background(), orderOf(t, tc.model, ""), nil)
			require.NoError(t, err)
			requireWire(t, inv.last(), http.MethodGet, "/v2/seller-inventories", map[string][]string{"tiki_warehouse_codes": {"sgn"}})
			requireWire(t, confirm.last(), http.MethodPost, tc.path, nil)
			requireJSONEqual(t, tc.body, confirm.last().Body)
			assert.Equal(t, tc.model, done.FulfillmentType)
			assert.Equal(t, int64(188954), done.SellerInventoryID)
			assert.Equal(t, json.RawMessage(`{}`), done.Result.Raw)
			if tc.pickedUp {
				requireWire(t, slot.last(), http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", nil)
				assert.Equal(t, "2021-06-03 08:00:00", done.ExpectedPickupTime)
				assert.Nil(t, done.AvailableItemIDs)
			} else {
				assert.Zero(t, slot.count())
				assert.Equal(t, []int64{191564100}, done.AvailableItemIDs)
			}
			assert.Equal(t, 1, confirm.count(), "a confirmation is sent once")
		})
	}
}

func TestOrdersConfirmWithOptionsSendsNothingElse(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/orders/613795703/dropship/confirm-available", 200, nil)
	done, _, err := c.Orders.Confirm(context.Background(), orderOf(t, FulfillmentDropship, ""),
		&ConfirmOptions{SellerInventoryID: 7, ExpectedPickupTime: "2021-06-03 13:00:00"})
	require.NoError(t, err)
	requireJSONEqual(t, `{"confirmation_status": "seller_confirmed", "seller_inventory_id": 7, "expected_pickup_time": "2021-06-03 13:00:00"}`, s.last().Body)
	assert.Nil(t, done.Result.Raw, "an empty 2xx body is a success without content")
	assert.Equal(t, 1, s.count())
}

func TestOrdersConfirmRefusesOrdersThatNeedNone(t *testing.T) {
	t.Parallel()
	twoItems := orderOf(t, FulfillmentSellerDelivery, "")
	twoItems.Items = append(twoItems.Items, OrderItem{ID: 5})
	cases := map[string]struct {
		order *Order
		opts  *ConfirmOptions
		want  []FieldProblem
	}{
		"nil order": {nil, nil, []FieldProblem{{Field: "order", Problem: "is required: " + readOrder}}},
		"already confirmed": {orderOf(t, FulfillmentTikiDelivery, ConfirmationSellerConfirmed), nil,
			[]FieldProblem{{Field: "order", Problem: "needs no confirmation: no item of order 613795703 waits for it (read it again with Orders.Get if it changed)"}}},
		"instant delivery": {orderOf(t, FulfillmentInstantDelivery, ""), nil,
			[]FieldProblem{{Field: "order.fulfillment_type", Problem: `is "instant_delivery": Confirm is only for tiki_delivery, seller_delivery, cross_border, dropship orders`}}},
		"items of a dropship order": {orderOf(t, FulfillmentDropship, ""), &ConfirmOptions{AvailableItemIDs: []int64{191564100}},
			[]FieldProblem{{Field: "available_item_ids", Problem: "must be nil: a dropship order is confirmed whole"}}},
		"an item of another order": {twoItems, &ConfirmOptions{AvailableItemIDs: []int64{191564100, 6, 191564100}},
			[]FieldProblem{{Field: "available_item_ids[1]", Problem: "names item 6, which order 613795703 does not have"},
				{Field: "available_item_ids[2]", Problem: "repeats item 191564100 (already in available_item_ids)"}}},
		"no items": {twoItems, &ConfirmOptions{AvailableItemIDs: []int64{}},
			[]FieldProblem{{Field: "available_item_ids", Problem: "must list at least one item: to cancel every item use RejectAll"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.Orders.Confirm(context.Background(), tc.order, tc.opts)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestOrdersConfirmWithoutInventoryOrSlot(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/seller-inventories", 200, []byte(`{"seller_inventories": [], "mappings": []}`))
	_, _, err := c.Orders.Confirm(context.Background(), orderOf(t, FulfillmentSellerDelivery, ""), nil)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{Field: "seller_inventory_id", Problem: "is required: Tiki maps no seller inventory to Tiki warehouse sgn"}}, ve.Problems)

	s.respond(http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", 200, []byte(`{"pickup_slots": []}`))
	confirm := s.respond(http.MethodPost, "/v2/orders/613795703/dropship/confirm-available", 200, []byte(`{}`))
	_, _, err = c.Orders.Confirm(context.Background(), orderOf(t, FulfillmentDropship, ""), &ConfirmOptions{SellerInventoryID: 1})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "expected_pickup_time", ve.Problems[0].Field)
	assert.Zero(t, confirm.count())
	assert.Equal(t, 2, s.count(), "the inventories and the slots were read, nothing else")
}

func TestOrdersActionsRefuseTheWrongModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ds := orderOf(t, FulfillmentDropship, "")
	sd := orderOf(t, FulfillmentSellerDelivery, "")
	cases := map[string]refusal{
		"ConfirmAvailable on dropship": {func(c *Client) error {
			_, _, err := c.Orders.ConfirmAvailable(ctx, ds, ConfirmAvailableRequest{AvailableItemIDs: []int64{191564100}, SellerInventoryID: 1})
			return err
		}, []FieldProblem{{Field: "order.fulfillment_type", Problem: `is "dropship": ConfirmAvailable is only for tiki_delivery, seller_delivery, cross_border orders (use ConfirmDropship, or Confirm, for dropship orders)`}}},
		"ConfirmDropship on seller delivery": {func(c *Client) error {
			_, _, err := c.Orders.ConfirmDropship(ctx, sd, DropshipConfirmRequest{SellerInventoryID: 1, ExpectedPickupTime: "x"})
			return err
		}, []FieldProblem{{Field: "order.fulfillment_type", Problem: `is "seller_delivery": ConfirmDropship is only for dropship orders (use ConfirmAvailable, or Confirm)`}}},
		"ConfirmDropship without pickup time": {func(c *Client) error {
			_, _, err := c.Orders.ConfirmDropship(ctx, ds, DropshipConfirmRequest{})
			return err
		}, []FieldProblem{{Field: "seller_inventory_id", Problem: "must be a positive id (see Warehouses.ListSellerInventories)"},
			{Field: "expected_pickup_time", Problem: "is required"}}},
		"UpdateSellerDelivery on dropship": {func(c *Client) error {
			_, _, err := c.Orders.UpdateSellerDelivery(ctx, ds, SellerDeliveryUpdate{Status: SellerDeliverySuccessful})
			return err
		}, []FieldProblem{{Field: "order.fulfillment_type", Problem: `is "dropship": UpdateSellerDelivery is only for seller_delivery orders (use ConfirmDropship, or Confirm, for dropship orders)`}}},
		"UpdateCrossBorderShipment on seller delivery": {func(c *Client) error {
			_, _, err := c.Orders.UpdateCrossBorderShipment(ctx, sd, ShipmentUpdate{Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2021-06-11 12:00:00")})
			return err
		}, []FieldProblem{{Field: "order.fulfillment_type", Problem: `is "seller_delivery": UpdateCrossBorderShipment is only for cross_border orders (use ConfirmAvailable, or Confirm)`}}},
		"Label of an instant delivery": {func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, orderOf(t, FulfillmentInstantDelivery, ""), nil)
			return err
		}, []FieldProblem{{Field: "order.fulfillment_type", Problem: `is "instant_delivery": Label is only for tiki_delivery, seller_delivery, dropship, cross_border orders`}}},
		"Label as PDF": {func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, ds, &LabelOptions{Format: LabelPDF})
			return err
		}, []FieldProblem{{Field: "format", Problem: `is "pdf", which this call does not take: it takes "html"`}}},
		"Label as PNG": {func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, ds, &LabelOptions{Format: "png"})
			return err
		}, []FieldProblem{unknownValue("format", LabelFormat("png"), LabelHTML)}},
		"RejectAll without inventory": {func(c *Client) error {
			_, _, err := c.Orders.RejectAll(ctx, ds, 0)
			return err
		}, []FieldProblem{{Field: "seller_inventory_id", Problem: "must be a positive id (see Warehouses.ListSellerInventories)"}}},
		"an order without code": {func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, &Order{FulfillmentType: FulfillmentDropship}, nil)
			return err
		}, []FieldProblem{{Field: "order.code", Problem: "is empty: " + readOrder}}},
	}
	requireRefusals(t, cases)
}

func TestOrdersRejectAll(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ds := s.respond(http.MethodPost, "/v2/orders/613795703/dropship/confirm-available", 200, []byte(`{}`))
	odf := s.respond(http.MethodPost, "/v2/orders/613795703/confirm-available", 200, []byte(`{}`))
	_, _, err := c.Orders.RejectAll(context.Background(), orderOf(t, FulfillmentDropship, ""), 188954)
	require.NoError(t, err)
	requireJSONEqual(t, `{"confirmation_status": "seller_canceled", "seller_inventory_id": 188954}`, ds.last().Body)
	_, _, err = c.Orders.RejectAll(context.Background(), orderOf(t, FulfillmentTikiDelivery, ""), 188954)
	require.NoError(t, err)
	requireJSONEqual(t, `{"available_item_ids": [], "seller_inventory_id": 188954}`, odf.last().Body)
	assert.Equal(t, 1, ds.count())
}

func TestOrdersLabelOfEachModel(t *testing.T) {
	t.Parallel()
	cases := map[FulfillmentType]string{
		FulfillmentTikiDelivery:   "/v2/orders/613795703/tiki-delivery/labels",
		FulfillmentSellerDelivery: "/v2/orders/613795703/seller-delivery/labels",
		FulfillmentDropship:       "/v2/orders/613795703/dropship/labels",
		FulfillmentCrossBorder:    "/v2/orders/613795703/cross-border/labels",
	}
	for model, path := range cases {
		t.Run(string(model), func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			body := `{"shipping_label_url": "https://salt.tikicdn.com/ts/print/a.html", "shipping_stamp_url": "https://salt.tikicdn.com/ts/print/b.html"}`
			s.respond(http.MethodGet, path, 200, []byte(body))
			l, _, err := c.Orders.Label(context.Background(), orderOf(t, model, ConfirmationSellerConfirmed), &LabelOptions{Format: LabelHTML})
			require.NoError(t, err)
			requireWire(t, s.last(), http.MethodGet, path, map[string][]string{"format": {"html"}})
			assert.Equal(t, &OrderLabel{
				ShippingLabelURL: "https://salt.tikicdn.com/ts/print/a.html",
				ShippingStampURL: "https://salt.tikicdn.com/ts/print/b.html",
				URLs: map[string]string{"shipping_label_url": "https://salt.tikicdn.com/ts/print/a.html",
					"shipping_stamp_url": "https://salt.tikicdn.com/ts/print/b.html"},
				Raw: json.RawMessage(body),
			}, l)
			assert.Equal(t, "https://salt.tikicdn.com/ts/print/b.html", l.URL())
		})
	}
	t.Run("wrapped invoice label", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		s.respond(http.MethodGet, "/v2/orders/613795703/seller-delivery/labels", 200, []byte(`{"data": {"invoice_label_url": "https://x.test/i.html"}}`))
		l, _, err := c.Orders.Label(context.Background(), orderOf(t, FulfillmentSellerDelivery, ""), nil)
		require.NoError(t, err)
		assert.Equal(t, "https://x.test/i.html", l.InvoiceLabelURL)
		assert.Equal(t, "https://x.test/i.html", l.URL())
	})
}

func TestOrdersUpdateSellerDelivery(t *testing.T) {
	t.Parallel()
	order := orderOf(t, FulfillmentSellerDelivery, ConfirmationSellerConfirmed)
	appointment := vnTime(t, "2021-06-12 09:00:00")
	sent := map[string]struct {
		u    SellerDeliveryUpdate
		body string
	}{
		"the guide's sample": {SellerDeliveryUpdate{Status: SellerDeliverySuccessful}, string(fixture(t, "orders_v2/seller_delivery_update_request.json"))},
		"redelivery": {SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: FailureRedeliveryAppointment, AppointmentDate: &appointment, Note: "gọi lại"},
			`{"status": "failed_delivery", "failure_cause": "redelivery_appointment", "appointment_date": "2021-06-12 09:00:00", "note": "gọi lại"}`},
		"out of needs": {SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: FailureOutOfNeeds},
			`{"status": "failed_delivery", "failure_cause": "out_of_needs"}`},
		"a zero appointment is not sent": {SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: FailureOutOfStock, AppointmentDate: &Time{}},
			`{"status": "failed_delivery", "failure_cause": "out_of_stock"}`},
	}
	for name, tc := range sent {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v2/orders/613795703/seller-delivery/update-delivery", 200, []byte(`{"message": "ok"}`))
			res, _, err := c.Orders.UpdateSellerDelivery(context.Background(), order, tc.u)
			require.NoError(t, err)
			requireWire(t, s.last(), http.MethodPost, "/v2/orders/613795703/seller-delivery/update-delivery", nil)
			requireJSONEqual(t, tc.body, s.last().Body)
			assert.JSONEq(t, `{"message": "ok"}`, string(res.Raw))
		})
	}
	refused := map[string]struct {
		u    SellerDeliveryUpdate
		want []FieldProblem
	}{
		"no status":      {SellerDeliveryUpdate{}, []FieldProblem{missingValue[SellerDeliveryStatus]("status")}},
		"unknown status": {SellerDeliveryUpdate{Status: "delivered"}, []FieldProblem{unknownValue[SellerDeliveryStatus]("status", "delivered")}},
		"failure without cause": {SellerDeliveryUpdate{Status: SellerDeliveryFailed},
			[]FieldProblem{{Field: "failure_cause", Problem: `is required with status "failed_delivery"`}}},
		"unknown cause": {SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: "rain"},
			[]FieldProblem{unknownValue[DeliveryFailureCause]("failure_cause", "rain")}},
		"cause on success": {SellerDeliveryUpdate{Status: SellerDeliverySuccessful, FailureCause: FailureOutOfNeeds},
			[]FieldProblem{{Field: "failure_cause", Problem: `is only sent with status "failed_delivery"`}}},
		"redelivery without date": {SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: FailureRedeliveryAppointment},
			[]FieldProblem{{Field: "appointment_date", Problem: `is required with failure_cause "redelivery_appointment"`}}},
		"date without redelivery": {SellerDeliveryUpdate{Status: SellerDeliverySuccessful, AppointmentDate: &appointment},
			[]FieldProblem{{Field: "appointment_date", Problem: `is only sent with failure_cause "redelivery_appointment"`}}},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.Orders.UpdateSellerDelivery(context.Background(), order, tc.u)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestOrdersUpdateCrossBorderShipment(t *testing.T) {
	t.Parallel()
	order := orderOf(t, FulfillmentCrossBorder, ConfirmationSellerConfirmed)
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/orders/613795703/cross-border/update-shipment", 200, []byte(`{}`))
	_, _, err := c.Orders.UpdateCrossBorderShipment(context.Background(), order,
		ShipmentUpdate{Status: DeliveryStatusTransferringToForeignWarehouses, UpdateTime: vnTime(t, "2021-06-11 12:00:00")})
	require.NoError(t, err)
	requireJSONEqual(t, string(fixture(t, "orders_v2/cross_border_update_shipment_request.json")), s.last().Body)
	for _, st := range crossBorderSteps {
		_, _, err := c.Orders.UpdateCrossBorderShipment(context.Background(), order, ShipmentUpdate{Status: st, UpdateTime: vnTime(t, "2021-06-11 12:00:00")})
		require.NoError(t, err, st)
	}
	assert.Len(t, crossBorderSteps, 9)

	c2, s2 := setup(t)
	_, _, err = c2.Orders.UpdateCrossBorderShipment(context.Background(), order, ShipmentUpdate{Status: "ready for delivery"})
	requireRefused(t, err, s2, unknownValue[DeliveryStatus]("status", "ready for delivery"), FieldProblem{Field: "update_time", Problem: "is required"})
}

func TestOrdersActionsReportFailuresInA2xxBody(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"errors list":    `{"errors": ["Order 613795703 is not in queueing"]}`,
		"success false":  `{"success": false, "message": "connection paused by the seller"}`,
		"errors message": `{"errors": "confirmation is out of SLA"}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v2/orders/613795703/confirm-available", 200, []byte(body))
			_, resp, err := c.Orders.ConfirmAvailable(context.Background(), orderOf(t, FulfillmentSellerDelivery, ""),
				ConfirmAvailableRequest{AvailableItemIDs: []int64{191564100}, SellerInventoryID: 1})
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.JSONEq(t, body, string(apiErr.Body))
			assert.NotNil(t, resp)
			assert.Equal(t, 1, s.count(), "never resent")
		})
	}
}

func TestOrdersActionsAreNotResentAfterA5xx(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/orders/613795703/confirm-available", 502, []byte(`bad gateway`))
	_, _, err := c.Orders.Confirm(context.Background(), orderOf(t, FulfillmentCrossBorder, ""), &ConfirmOptions{SellerInventoryID: 3})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Equal(t, 1, s.count())
}

func TestExpectedPickupSlots(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", 200,
		[]byte(`{"seller_id": 46262, "pickup_slots": [{"expected_pickup_slot": "08:00 - 12:00", "expected_pickup_time": "2021-06-03 08:00:00"}]}`))
	slots, _, err := c.Orders.ExpectedPickupSlots(context.Background())
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", nil)
	assert.Equal(t, &PickupSlots{SellerID: 46262, Slots: []PickupSlot{{Slot: "08:00 - 12:00", ExpectedPickupTime: "2021-06-03 08:00:00"}}}, slots)
}

func TestOrdersV1AndV2AreNotMixed(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders/929231617", 200, fixture(t, "order_detail.json"))
	s.respond(http.MethodGet, "/v2/orders/929231617", 200, fixture(t, "order_detail.json"))
	old, _, err := c.V1.Orders.Get(context.Background(), "929231617")
	require.NoError(t, err)
	assert.Equal(t, "929231617", old.OrderCode)
	_, _, err = c.Orders.Get(context.Background(), "929231617", nil)
	var se *ShapeError
	require.ErrorAs(t, err, &se, "a v2 call never decodes the v1 shape")

	s.respond(http.MethodGet, "/v1/orders/613795703", 200, fixture(t, "orders_v2/order_simplified_dropship.json"))
	_, _, err = c.V1.Orders.Get(context.Background(), "613795703")
	var de *DecodeError
	require.ErrorAs(t, err, &de, "a v1 call never decodes the v2 shape")
}

// odfWithInstock is the guides' on-demand fulfilment order with two items
// that wait for confirmation (191564100, 191564101) and an instock item
// that Tiki confirmed itself (191564102).
func odfWithInstock(t *testing.T) *Order {
	o := orderOf(t, FulfillmentTikiDelivery, "")
	waiting, instock := o.Items[0], o.Items[0]
	waiting.ID = 191564101
	instock.ID, instock.Product.InventoryType, instock.Confirmation.Status = 191564102, InventoryInstock, ConfirmationConfirmed
	o.Items = append(o.Items, waiting, instock)
	return o
}

// No item is canceled that the caller did not name: every waiting item is
// confirmed, or named in CancelItemIDs; items that do not wait are never
// named, so the confirmation leaves them as they are.
func TestOrdersConfirmNeverCancelsAnUnnamedItem(t *testing.T) {
	t.Parallel()
	const a, b, inStock = 191564100, 191564101, 191564102
	sent := map[string]struct {
		opts     *ConfirmOptions
		body     string
		canceled []int64
	}{
		"every waiting item":   {&ConfirmOptions{SellerInventoryID: 7}, `{"available_item_ids":[191564100,191564101],"seller_inventory_id":7}`, nil},
		"one named canceled":   {&ConfirmOptions{SellerInventoryID: 7, CancelItemIDs: []int64{b}}, `{"available_item_ids":[191564100],"seller_inventory_id":7}`, []int64{b}},
		"both lists":           {&ConfirmOptions{SellerInventoryID: 7, AvailableItemIDs: []int64{a}, CancelItemIDs: []int64{b}}, `{"available_item_ids":[191564100],"seller_inventory_id":7}`, []int64{b}},
		"every item available": {&ConfirmOptions{SellerInventoryID: 7, AvailableItemIDs: []int64{b, a}}, `{"available_item_ids":[191564101,191564100],"seller_inventory_id":7}`, nil},
	}
	for name, tc := range sent {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v2/orders/613795703/confirm-available", 200, []byte(`{}`))
			done, _, err := c.Orders.Confirm(context.Background(), odfWithInstock(t), tc.opts)
			require.NoError(t, err)
			requireJSONEqual(t, tc.body, s.last().Body)
			assert.Equal(t, tc.canceled, done.CanceledItemIDs)
		})
	}
	leftOut := func(id int64) FieldProblem {
		return FieldProblem{"available_item_ids", fmt.Sprintf("leaves out item %d, which waits for confirmation: Tiki would cancel it, so name it in CancelItemIDs to cancel it", id)}
	}
	notWaiting := func(field string) FieldProblem {
		return FieldProblem{field, `names item 191564102, which does not wait for confirmation (it is "confirmed"): only waiting items are confirmed or canceled`}
	}
	refused := map[string]struct {
		opts *ConfirmOptions
		want []FieldProblem
	}{
		"a waiting item left out":      {&ConfirmOptions{SellerInventoryID: 7, AvailableItemIDs: []int64{a}}, []FieldProblem{leftOut(b)}},
		"an instock item as available": {&ConfirmOptions{SellerInventoryID: 7, AvailableItemIDs: []int64{a, b, inStock}}, []FieldProblem{notWaiting("available_item_ids[2]")}},
		"an instock item canceled":     {&ConfirmOptions{SellerInventoryID: 7, CancelItemIDs: []int64{inStock}}, []FieldProblem{notWaiting("cancel_item_ids[0]")}},
		"an item in both lists": {&ConfirmOptions{SellerInventoryID: 7, AvailableItemIDs: []int64{a, b}, CancelItemIDs: []int64{b}},
			[]FieldProblem{{"cancel_item_ids[0]", "repeats item 191564101 (already in available_item_ids)"}}},
		"every item canceled": {&ConfirmOptions{SellerInventoryID: 7, CancelItemIDs: []int64{a, b}},
			[]FieldProblem{{"available_item_ids", "must list at least one item: to cancel every item use RejectAll"}}},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.Orders.Confirm(context.Background(), odfWithInstock(t), tc.opts)
			requireRefused(t, err, s, tc.want...)
		})
	}
	t.Run("ConfirmAvailable", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		_, _, err := c.Orders.ConfirmAvailable(context.Background(), odfWithInstock(t), ConfirmAvailableRequest{AvailableItemIDs: []int64{a}, SellerInventoryID: 7})
		requireRefused(t, err, s, leftOut(b))
		s.respond(http.MethodPost, "/v2/orders/613795703/confirm-available", 200, []byte(`{}`))
		_, _, err = c.Orders.ConfirmAvailable(context.Background(), odfWithInstock(t),
			ConfirmAvailableRequest{AvailableItemIDs: []int64{a}, CancelItemIDs: []int64{b}, SellerInventoryID: 7})
		require.NoError(t, err)
		requireJSONEqual(t, `{"available_item_ids":[191564100],"seller_inventory_id":7}`, s.last().Body)
	})
	t.Run("dropship", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		_, _, err := c.Orders.Confirm(context.Background(), orderOf(t, FulfillmentDropship, ""), &ConfirmOptions{SellerInventoryID: 7, CancelItemIDs: []int64{a}})
		requireRefused(t, err, s, FieldProblem{"cancel_item_ids", "must be nil: a dropship order is confirmed or canceled whole (use RejectAll)"})
	})
}

// An order built by hand lacks what Tiki's answer always has; the refusal
// says what is missing and that the order is to be read with Orders.Get.
func TestOrdersActionsSayToReadTheOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, s := setup(t)
	_, _, err := c.Orders.Label(ctx, &Order{Code: "613795703"}, nil)
	require.EqualError(t, err, "tiki: invalid request: order.fulfillment_type is empty, and it chooses the endpoint of Label: "+
		"pass the order as Orders.Get or Orders.List return it, not one built by hand")
	_, _, err = c.Orders.Confirm(ctx, &Order{Code: "613795703", FulfillmentType: FulfillmentTikiDelivery}, nil)
	require.EqualError(t, err, "tiki: invalid request: order.items is empty, and the items say what waits for confirmation: "+
		"pass the order as Orders.Get or Orders.List return it, not one built by hand; "+
		"order.tiki_warehouse.code is empty, and Confirm looks the seller warehouse up by it: "+
		"pass the order as Orders.Get or Orders.List return it, not one built by hand, or set ConfirmOptions.SellerInventoryID")
	_, _, err = c.Orders.RejectAll(ctx, &Order{FulfillmentType: FulfillmentDropship}, 7)
	require.EqualError(t, err, "tiki: invalid request: order.code is empty: pass the order as Orders.Get or Orders.List return it, not one built by hand; "+
		"order.items is empty, and the items say what waits for confirmation: pass the order as Orders.Get or Orders.List return it, not one built by hand")
	_, _, err = c.Orders.UpdateSellerDelivery(ctx, &Order{Code: "1"}, SellerDeliveryUpdate{Status: SellerDeliverySuccessful})
	require.ErrorContains(t, err, "order.fulfillment_type is empty, and it chooses the endpoint of UpdateSellerDelivery: pass the order as Orders.Get")
	_, _, err = c.V1.Orders.ConfirmItems(ctx, ConfirmItemsRequest{OrderCode: "1", ItemIDs: []int64{1}, WarehouseCode: "sg", SellerInventoryID: 1})
	require.ErrorContains(t, err, "fulfillment_type is empty, and it decides which of Tiki's rules apply (it is not sent): build the request with OrderV1.ConfirmItemsRequest")
	assert.Zero(t, s.count())
}
