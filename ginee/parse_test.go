package ginee_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/webhook"
)

func wantOrderEnvelope(t *testing.T) ginee.Envelope {
	return ginee.Envelope{
		ID:       "GENIE5FF31A7C5F15030001D3ED5E",
		UserID:   "1",
		Entity:   ginee.EntityOrder,
		Action:   ginee.ActionCreate,
		CreateAt: utc("2020-12-24T06:45:29.174Z"),
		User:     ginee.User{ID: "1", Email: "xxx@gmail.com"},
		Payload:  fixturePayload(t, orderCreate),
	}
}

func wantOrder() ginee.Order {
	return ginee.Order{
		OrderID:        "order_1",
		Channel:        ginee.ChannelLazadaIndonesia,
		ShopID:         "shop_1",
		ExternalShopID: "channel_shop_1",
		OrderStatus:    ginee.OrderStatusPaid,
		CreateAt:       utc("2020-12-24T06:20:29.174Z"),
		PayAt:          utc("2020-12-24T06:20:29.174Z"),
		LastUpdateAt:   utc("2020-12-24T06:20:29.174Z"),
	}
}

func wantUpdateEnvelope(t *testing.T) ginee.Envelope {
	return ginee.Envelope{
		ID:       "GENIE5FF5D0245F150300015E5600",
		UserID:   "U5DDCC5369BD1160001ADD698",
		Entity:   ginee.EntityDeliveryOrder,
		Action:   ginee.ActionUpdate,
		CreateAt: utc("2020-10-27T15:50:19Z"),
		User:     ginee.User{ID: "U5DDCC5369BD1160001ADD698", Email: ""},
		Payload:  fixturePayload(t, deliveryOrderUpdate),
	}
}

func wantUpdatedDeliveryOrder() ginee.DeliveryOrder {
	return ginee.DeliveryOrder{
		WarehouseProviderID: "WWP6000643B6B2F070001CD0E47",
		WarehouseID:         "WW600064816B2F070001CD0E48",
		WarehouseCode:       "CS624",
		OwnerID:             "WO600064A26B2F070001CD0E49",
		OwnerCode:           "GENIE",
		DeliveryOrderID:     "WDO600573D16B2F070001497EAF",
		DeliveryOrderSn:     "2100011800000021",
		SourceOrderID:       "SO5FD858B7EE35880001692D67",
		SourceOrderSn:       "2102261G58H1VJ",
		DeliveryOrderType:   ginee.DeliveryOrderTypeSaleOrder,
		DeliveryOrderStatus: ginee.DeliveryOrderStatusNew,
		CreateAt:            utc("2020-12-24T06:20:29.174Z"),
		LastUpdateAt:        utc("2021-01-18T11:41:05.269Z"),
		Channel:             ginee.ChannelTokopediaIndonesia,
		WaybillURL:          "https://xxxx.com/13877966/2297056",
		TrackingNumber:      "10000972949095",
		Shop:                ginee.Shop{ShopID: "", ShopName: "", ShopURL: "", ExternalShopID: ""},
		ShippingAddress: ginee.Address{
			Name:        "fVivin",
			PhoneNumber: "+62 81283278337",
			Country:     "Indonesia",
			Province:    "DKI Jakarta",
			City:        "Kota Administrasi Jakarta Barat",
			District:    "Grogol",
			ZipCode:     "11440",
			FullAddress: ",Grogol,Kota Administrasi Jakarta Barat,DKI Jakarta,11440",
		},
		SenderAddress: ginee.Address{
			Name:        "fVivin",
			PhoneNumber: "+62 11111111111",
			Country:     "Indonesia",
			Province:    "DKI Jakarta",
			City:        "Kota Administrasi Jakarta Timur",
			District:    "Pulo Gadung",
			ZipCode:     "13240",
			FullAddress: "cipinang kebembem, pulogadung Kec. Pulo GadungKota Jakarta Timur",
		},
		OrderItems: []ginee.OrderItem{{
			DeliveryOrderID:     "WDO600573D16B2F070001497EAF",
			DeliveryOrderItemID: "WDOI600573D16B2F070001497EB0",
			InventoryID:         "IN5FF02DDA52FAFF00011F73AB",
			InventorySKU:        "800151",
			InventoryName:       "Xiaobailong1",
			Quantity:            4,
			OrderID:             "",
			OrderItemID:         "",
			SourceOrderItemID:   "OI5FD97377CFF47E0001545E3F",
		}},
		LogisticsProvider: "AnterAja",
	}
}

func wantDeletedDeliveryOrder() ginee.DeliveryOrder {
	return ginee.DeliveryOrder{
		WarehouseProviderID: "WWP60116F5C5F15030001797451",
		WarehouseID:         "WW601170005F15030001797452",
		WarehouseCode:       "021DCB",
		OwnerID:             "WDO606D24DD46E0FB0001D87335",
		OwnerCode:           "021DCB00024",
		Channel:             ginee.ChannelShopeeIndonesia,
		WaybillURL:          "https://xxxx.com/13877966/2297056",
		TrackingNumber:      "JP9581135490",
		DeliveryOrderID:     "WDO606D24DD46E0FB0001D87335",
		DeliveryOrderSn:     "2100040700007863",
		SourceOrderID:       "SO606D095FDC0E820001973145",
		SourceOrderSn:       "210407DAAABW8C",
		DeliveryOrderType:   ginee.DeliveryOrderTypeSaleOrder,
		CreateAt:            utc("2021-04-07T03:19:57.000Z"),
		LastUpdateAt:        utc("2021-04-07T06:06:46.490Z"),
	}
}

func TestParseOrder(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ginee.OrderEvent](t, orderCreate)
	assert.Equal(t, wantOrderEnvelope(t), ev.Envelope)
	assert.Same(t, &ev.Envelope, ev.EventEnvelope())
	assert.Equal(t, wantOrder(), ev.Order)
}

func TestParseDeliveryOrderUpdate(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ginee.DeliveryOrderEvent](t, deliveryOrderUpdate)
	assert.Equal(t, wantUpdateEnvelope(t), ev.Envelope)
	assert.Equal(t, wantUpdatedDeliveryOrder(), ev.DeliveryOrder)
}

func TestParseDeliveryOrderDelete(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ginee.DeliveryOrderEvent](t, deliveryOrderDelete)
	assert.Equal(t, ginee.Envelope{
		ID:       "GENIE606D4BF6DC0E8200015A823D",
		UserID:   "MC601B800B4CEDFD0001DAD8B3",
		Entity:   ginee.EntityDeliveryOrder,
		Action:   ginee.ActionDelete,
		CreateAt: utc("2021-04-07T06:06:46.494Z"),
		User:     ginee.User{ID: "MC601B800B4CEDFD0001DAD8B3", Email: ""}, // sent as "_id"
		Payload:  fixturePayload(t, deliveryOrderDelete),
	}, ev.Envelope)
	assert.Equal(t, wantDeletedDeliveryOrder(), ev.DeliveryOrder)
}

func TestParseDeliveryOrderCreate(t *testing.T) {
	t.Parallel()

	// The curl example of Ginee's documentation (with its id quoted).
	ev := parseAs[*ginee.DeliveryOrderEvent](t, deliveryOrderCreate)
	assert.Equal(t, "GENIE5FF31A7C5F15030001D3ED5F", ev.ID)
	assert.Equal(t, ginee.EntityDeliveryOrder, ev.Entity)
	assert.Equal(t, ginee.ActionCreate, ev.Action)
	assert.Equal(t, utc("2020-12-24T06:45:29.174Z"), ev.CreateAt)
	assert.Empty(t, ev.UserID)
	assert.Equal(t, ginee.User{}, ev.User)
	assert.JSONEq(t, `{}`, string(ev.Payload))
	assert.Equal(t, ginee.DeliveryOrder{}, ev.DeliveryOrder)
}

func TestParseUnknownEntityKeepsPayload(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ginee.UnknownEvent](t, unknownEntity)
	assert.Equal(t, ginee.Envelope{
		ID:       "GENIE60A0000000000000000000AA",
		UserID:   "1",
		Entity:   "product",
		Action:   ginee.ActionUpdate,
		CreateAt: utc("2021-05-01T00:00:00Z"),
		User:     ginee.User{ID: "1", Email: "xxx@gmail.com"},
		Payload:  json.RawMessage(`{"productId": "P1", "stock": 3}`),
	}, ev.Envelope)

	for _, body := range []string{`{}`, `{"entity": "ORDER", "payload": 5}`} {
		ev, err := ginee.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.IsType(t, &ginee.UnknownEvent{}, ev, body)
	}
}

func TestParseLenientValues(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ginee.DeliveryOrderEvent](t, deliveryOrderLenient)
	assert.Equal(t, ginee.Time{Time: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), Raw: "1609459200000"}, ev.CreateAt, "epoch milliseconds")
	assert.Equal(t, ginee.User{}, ev.User)
	assert.Equal(t, ginee.DeliveryOrder{
		DeliveryOrderID: "WDO1",
		OrderItems: []ginee.OrderItem{
			{DeliveryOrderItemID: "WDOI1", Quantity: 2, OrderID: "SO1", OrderItemID: "OI1"},
			{DeliveryOrderItemID: "WDOI2"},
			{DeliveryOrderItemID: "WDOI3", Quantity: 1},
		},
	}, ev.DeliveryOrder)
}

func TestTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want ginee.Time
	}{
		{`"2021-04-07T06:06:46.494Z"`, utc("2021-04-07T06:06:46.494Z")},
		{`"2021-04-07T13:06:46+07:00"`, ginee.Time{Time: time.Date(2021, 4, 7, 13, 6, 46, 0, time.FixedZone("", 7*60*60)), Raw: "2021-04-07T13:06:46+07:00"}},
		{`"2021-04-07 06:06:46"`, ginee.Time{Time: time.Date(2021, 4, 7, 6, 6, 46, 0, time.UTC), Raw: "2021-04-07 06:06:46"}},
		{`1617775606`, ginee.Time{Time: time.Date(2021, 4, 7, 6, 6, 46, 0, time.UTC), Raw: "1617775606"}},
		{`1617775606494`, ginee.Time{Time: time.Date(2021, 4, 7, 6, 6, 46, 494_000_000, time.UTC), Raw: "1617775606494"}},
		{`""`, ginee.Time{}},
		{`"soon"`, ginee.Time{Raw: "soon"}},
		{`-5`, ginee.Time{Raw: "-5"}},
		{`1e300`, ginee.Time{Raw: "1e300"}},
		{`true`, ginee.Time{Raw: "true"}},
		{`{"seconds": 1}`, ginee.Time{Raw: `{"seconds": 1}`}},
	}
	for _, tt := range tests {
		got := ginee.Time{Raw: "previous"}
		require.NoError(t, json.Unmarshal([]byte(tt.in), &got), tt.in)
		assert.True(t, tt.want.Equal(got.Time), "%s: got %v", tt.in, got)
		assert.Equal(t, tt.want.Raw, got.Raw, tt.in)
	}

	kept := utc("2021-04-07T06:06:46.494Z")
	require.NoError(t, json.Unmarshal([]byte(`null`), &kept))
	assert.Equal(t, utc("2021-04-07T06:06:46.494Z"), kept, "null leaves the value alone")

	b, err := json.Marshal(utc("2021-04-07T06:06:46.494Z"))
	require.NoError(t, err)
	assert.JSONEq(t, `"2021-04-07T06:06:46.494Z"`, string(b))
	b, err = json.Marshal(ginee.Time{Raw: "soon"})
	require.NoError(t, err)
	assert.JSONEq(t, `"soon"`, string(b))
	b, err = json.Marshal(ginee.Time{})
	require.NoError(t, err)
	assert.JSONEq(t, `null`, string(b))
	assert.Equal(t, "soon", ginee.Time{Raw: "soon"}.String())
	assert.Equal(t, "2021-04-07 06:06:46.494 +0000 UTC", utc("2021-04-07T06:06:46.494Z").String())
	assert.Contains(t, ginee.Time{Raw: "soon"}.GoString(), `Raw: "soon"`)
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()

	tests := map[string]string{
		"empty":                 ``,
		"not JSON":              `id=1`,
		"doc curl example":      `{"id": GENIE5FF31A7C5F15030001D3ED5F, "entity": "delivery-order", "action": "CREATE", "payload": {}}`,
		"truncated":             `{"id": "GENIE1", "entity": "order", "payload": {`,
		"null":                  `null`,
		"array":                 `[]`,
		"id not a string":       `{"id": 5, "entity": "order"}`,
		"user not an object":    `{"id": "GENIE1", "user": "x"}`,
		"payload not object":    `{"id": "GENIE1", "entity": "order", "payload": "x"}`,
		"order field type":      `{"id": "GENIE1", "entity": "order", "payload": {"orderId": 1}}`,
		"items not array":       `{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": {}}}`,
		"quantity fractional":   `{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": [{"quantity": 1.5}]}}`,
		"quantity text":         `{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": [{"quantity": "four"}]}}`,
		"quantity too large":    `{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": [{"quantity": 1e20}]}}`,
		"address not object":    `{"id": "GENIE1", "entity": "delivery-order", "payload": {"shippingAddress": []}}`,
		"order item not object": `{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": [1]}}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev, err := ginee.Parse([]byte(body))
			require.ErrorIs(t, err, webhook.ErrMalformedPayload)
			assert.Nil(t, ev)
		})
	}
}

func TestParseKnownEntityWithoutPayload(t *testing.T) {
	t.Parallel()

	for _, body := range []string{`{"id": "GENIE1", "entity": "order"}`, `{"id": "GENIE1", "entity": "order", "payload": null}`} {
		ev, err := ginee.Parse([]byte(body))
		require.NoError(t, err, body)
		require.IsType(t, &ginee.OrderEvent{}, ev, body)
		assert.Equal(t, "GENIE1", ev.EventEnvelope().ID)
		assert.Equal(t, ginee.Order{}, ev.(*ginee.OrderEvent).Order, body)
	}
}
