package tiki

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeBatchFixture decodes a pull answer from testdata/events.
func decodeBatchFixture(t *testing.T, name string) *EventBatch {
	t.Helper()
	var b EventBatch
	require.NoError(t, json.Unmarshal(fixture(t, "events/"+name), &b))
	return &b
}

func TestEventOrderCreatedFixture(t *testing.T) {
	t.Parallel()
	b := decodeBatchFixture(t, "pull_response_order_created.json")
	assert.Equal(t, "c068d557-35c9-4bed-9b2d-add8c199c8cb", b.AckID)
	require.Len(t, b.Events, 1)
	ev := &b.Events[0]
	assert.Equal(t, "11795810-c11a-490e-b36b-8a0f9d945bdc", ev.ID)
	assert.Equal(t, "74334E866033E601CD908A23D96E12B220EC0F68", ev.SID)
	assert.Equal(t, EventOrderCreated, ev.Type)
	assert.Equal(t, "v1", ev.Version)
	assert.True(t, ev.CreatedAt.Equal(time.UnixMilli(1740401636695)), ev.CreatedAt)
	assert.Equal(t, Vietnam(), ev.CreatedAt.Location())
	assert.JSONEq(t, `{"order_code":"510916693"}`, string(ev.Payload))
	assert.True(t, ev.Known())

	d, err := ev.Decode()
	require.NoError(t, err)
	oc, ok := d.(*OrderCreatedEvent)
	require.True(t, ok, "%T", d)
	assert.Equal(t, "510916693", oc.OrderCode)
	assert.Equal(t, OrderStatus(""), oc.Status, "observed events carry no status")
	assert.Equal(t, ev.ID, oc.ID)
	assert.Equal(t, ev.SID, oc.SID)
	assert.Equal(t, ev.CreatedAt, oc.CreatedAt)

	// The event re-encodes as Tiki sent it.
	out, err := json.Marshal(oc)
	require.NoError(t, err)
	assert.JSONEq(t, string(ev.Raw), string(out))
}

func TestEventOrderStatusFixtures(t *testing.T) {
	t.Parallel()
	b := decodeBatchFixture(t, "pull_response_order_status_updated.json")
	assert.Equal(t, "4c63bbb7-2fc2-433a-b1d4-322db7d34095", b.AckID)
	require.Len(t, b.Events, 1)
	d, err := b.Events[0].Decode()
	require.NoError(t, err)
	os, ok := d.(*OrderStatusUpdatedEvent)
	require.True(t, ok, "%T", d)
	assert.Equal(t, "a061c904-eb20-4b89-936d-e47a6ab59696", os.ID)
	assert.Equal(t, "74334E866033E601CD908A23D96E12B220EC0F68", os.SID)
	assert.Equal(t, EventOrderStatusUpdated, os.Type)
	assert.Equal(t, "v1", os.Version)
	assert.Equal(t, int64(1740438118300), os.CreatedAt.UnixMilli())
	assert.Equal(t, "510916693", os.OrderCode)
	assert.Equal(t, OrderStatusPicking, os.Status)

	// A payload alone, wrapped in an envelope; and the camel-case key
	// alone is enough.
	for _, payload := range []string{string(fixture(t, "events/payload_order_status_updated_canceled.json")), `{"orderCode": 747364141, "status": "canceled"}`} {
		ev := Event{ID: "e1", Type: EventOrderStatusUpdated, Version: "v1", Payload: json.RawMessage(payload)}
		d, err := ev.Decode()
		require.NoError(t, err, payload)
		assert.Equal(t, "747364141", d.(*OrderStatusUpdatedEvent).OrderCode)
		assert.Equal(t, OrderStatusCanceled, d.(*OrderStatusUpdatedEvent).Status)
	}
}

func TestEventInventoryV2Fixture(t *testing.T) {
	t.Parallel()
	var ev Event
	require.NoError(t, json.Unmarshal(fixture(t, "events/event_product_inventory_updated_v2.json"), &ev))
	d, err := ev.Decode()
	require.NoError(t, err)
	inv, ok := d.(*InventoryUpdatedEvent)
	require.True(t, ok, "%T", d)
	assert.Equal(t, "7a43592e-911b-4674-bef9-96d4f18a4cb2", inv.ID)
	assert.Equal(t, "74334E866033E601CD908A23D96E12B220EC0F68", inv.SID)
	assert.Equal(t, int64(1748490404923), inv.CreatedAt.UnixMilli())
	assert.Equal(t, EventProductInventoryUpdated, inv.Type)
	assert.Equal(t, "v2", inv.Version)
	inv.Event = Event{}
	assert.Equal(t, InventoryUpdatedEvent{
		ProductID: 71925545, OriginalSKU: "", WarehouseID: 387453,
		QuantityFrom: 0, QuantityTo: 0,
		QuantityAvailableFrom: 167, QuantityAvailableTo: 167,
		QuantityReservedFrom: 0, QuantityReservedTo: 2,
		QuantitySellableFrom: 167, QuantitySellableTo: 165,
	}, *inv)
}

// Tiki prints no sample of the price events: these follow the field tables
// of its event type page (prices documented as strings).
func TestEventPricesDecodeFromStringsAndNumbers(t *testing.T) {
	t.Parallel()
	price := `{"id":"p1","sid":"S","created_at":"1740401636695","type":"PRODUCT_PRICE_UPDATED","version":"v1",
		"payload":{"product_id":239545064,"original_sku":"xyz_abc","price_from":"239000","price_to":199000}}`
	var ev Event
	require.NoError(t, json.Unmarshal([]byte(price), &ev))
	d, err := ev.Decode()
	require.NoError(t, err)
	p := d.(*PriceUpdatedEvent)
	assert.Equal(t, int64(1740401636695), p.CreatedAt.UnixMilli(), "created_at as a string decodes too")
	assert.Equal(t, int64(239545064), p.ProductID)
	assert.Equal(t, "xyz_abc", p.OriginalSKU)
	assert.Equal(t, Money(239000), p.PriceFrom)
	assert.Equal(t, Money(199000), p.PriceTo)

	market := `{"id":"m1","sid":"S","created_at":1740401636695,"type":"PRODUCT_MARKET_PRICE_UPDATED","version":"v1",
		"payload":{"product_id":"239545064","original_sku":"xyz_abc","market_price_from":"300000.0","market_price_to":"250000"}}`
	require.NoError(t, json.Unmarshal([]byte(market), &ev))
	d, err = ev.Decode()
	require.NoError(t, err)
	m := d.(*MarketPriceUpdatedEvent)
	assert.Equal(t, int64(239545064), m.ProductID)
	assert.Equal(t, "xyz_abc", m.OriginalSKU)
	assert.Equal(t, Money(300000), m.MarketPriceFrom)
	assert.Equal(t, Money(250000), m.MarketPriceTo)

	inv := `{"id":"i1","type":"PRODUCT_INVENTORY_UPDATED","version":"v2",
		"payload":{"product_id":"7","quantity_sellable_to":"12","quantity_to":"3"}}`
	require.NoError(t, json.Unmarshal([]byte(inv), &ev))
	d, err = ev.Decode()
	require.NoError(t, err)
	assert.Equal(t, 12, d.(*InventoryUpdatedEvent).QuantitySellableTo)
	assert.Equal(t, 3, d.(*InventoryUpdatedEvent).QuantityTo)
	assert.True(t, d.(*InventoryUpdatedEvent).CreatedAt.IsZero())
}

func TestEventUnknownTypesAndVersionsStayRaw(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"id":"u1","type":"PRODUCT_ATTRIBUTE_UPDATED","version":"v1","payload":{"x":[1,2]}}`,
		`{"id":"u2","type":"ORDER_CREATED_SUCCESSFULLY","version":"v3","payload":{"order_code":1}}`,
		`{"id":"u3","type":"PRODUCT_INVENTORY_UPDATED","version":"v1","payload":{"product_id":1}}`,
		`{"id":"u4","type":"ORDER_STATUS_UPDATED","payload":"not an object"}`,
	} {
		var ev Event
		require.NoError(t, json.Unmarshal([]byte(raw), &ev), raw)
		assert.False(t, ev.Known(), raw)
		d, err := ev.Decode()
		require.NoError(t, err, raw)
		got, ok := d.(*Event)
		require.True(t, ok, "%s: %T", raw, d)
		assert.JSONEq(t, raw, string(got.Raw))
	}
}

func TestEventMalformedKnownEventIsTypedError(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"payload field":    `{"id":"b1","type":"PRODUCT_PRICE_UPDATED","version":"v1","payload":{"product_id":1,"price_to":"cheap"}}`,
		"envelope field":   `{"id":"b2","type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","created_at":"yesterday","payload":{"order_code":"1"}}`,
		"no payload":       `{"id":"b3","type":"ORDER_CREATED_SUCCESSFULLY","version":"v1"}`,
		"no order code":    `{"id":"b4","type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{}}`,
		"no id":            `{"type":"ORDER_STATUS_UPDATED","version":"v1","payload":{"order_code":"1"}}`,
		"no product id":    `{"id":"b6","type":"PRODUCT_INVENTORY_UPDATED","version":"v2","payload":{"quantity_to":1}}`,
		"id of wrong type": `{"id":{"a":1},"type":"PRODUCT_MARKET_PRICE_UPDATED","version":"v1","payload":{"product_id":1}}`,
	} {
		var ev Event
		require.NoError(t, json.Unmarshal([]byte(raw), &ev), name)
		d, err := ev.Decode()
		assert.Nil(t, d, name)
		var de *EventDecodeError
		require.True(t, errors.As(err, &de), "%s: %v", name, err)
		assert.JSONEq(t, raw, string(de.Event.Raw), name)
		assert.Contains(t, err.Error(), "does not decode", name)
	}
	var ev Event
	assert.Error(t, json.Unmarshal([]byte(`[1]`), &ev), "an event must be an object")
	var nilEv *Event
	_, err := nilEv.Decode()
	assert.Error(t, err)
}

func TestEventBuiltInCodeEncodes(t *testing.T) {
	t.Parallel()
	ev := Event{ID: "x", SID: "S", CreatedAt: NewTime(time.UnixMilli(1740401636695)), Type: EventOrderCreated, Version: "v1", Payload: json.RawMessage(`{"order_code":"1"}`)}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"x","sid":"S","created_at":1740401636695,"type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","payload":{"order_code":"1"}}`, string(b))
	var back Event
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ev.ID, back.ID)
	assert.True(t, ev.CreatedAt.Equal(back.CreatedAt.Time))
}

func TestEventBatchRefusesUnexpectedShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `[]`, `{}`, `{"events":null,"ack_id":"a"}`, `{"events":{},"ack_id":"a"}`, `{"events":[{"id":"1"}]}`, `{"events":[{"id":"1"}],"ack_id":""}`, `{"events":[1],"ack_id":"a"}`} {
		var b EventBatch
		assert.Error(t, b.decodeBody([]byte(body)), body)
	}
	var b EventBatch
	require.NoError(t, b.decodeBody([]byte(`{"events":[],"ack_id":null}`)))
	assert.Equal(t, EventBatch{Events: []Event{}}, b)
	assert.Equal(t, `0 events, ack id ""`, b.String())
}
