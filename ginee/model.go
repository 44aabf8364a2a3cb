package ginee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Channel identifies a sales channel (marketplace and country) in Ginee,
// such as "SHOPEE_ID". Ginee's "Ginee Channel" reference lists them all;
// the constants are the ones its webhook examples show.
type Channel string

// Channels that appear in Ginee's webhook examples; the "_ID" suffix is
// the country, Indonesia.
const (
	ChannelLazadaIndonesia    Channel = "LAZADA_ID"
	ChannelShopeeIndonesia    Channel = "SHOPEE_ID"
	ChannelTokopediaIndonesia Channel = "TOKOPEDIA_ID"
)

// OrderStatus is the status of an order in Ginee, such as "PAID". Ginee's
// webhook documentation does not list the values.
type OrderStatus string

// OrderStatusPaid is the order status shown in Ginee's order webhook
// example.
const OrderStatusPaid OrderStatus = "PAID"

// DeliveryOrderType is the type of a delivery order, such as "SALE_ORDER".
// Ginee's webhook documentation does not list the values.
type DeliveryOrderType string

// DeliveryOrderTypeSaleOrder is the delivery order type shown in Ginee's
// examples: a delivery order created for a sales order.
const DeliveryOrderTypeSaleOrder DeliveryOrderType = "SALE_ORDER"

// DeliveryOrderStatus is the status of a delivery order, such as "NEW".
// Ginee's webhook documentation does not list the values.
type DeliveryOrderStatus string

// DeliveryOrderStatusNew is the delivery order status shown in Ginee's
// examples.
const DeliveryOrderStatusNew DeliveryOrderStatus = "NEW"

// Order is the payload of an "order" notification.
type Order struct {
	// OrderID is the order id in Ginee.
	OrderID string `json:"orderId"`
	// Channel is the sales channel of the order.
	Channel Channel `json:"channel"`
	// ShopID is the shop id in Ginee.
	ShopID string `json:"shopId"`
	// ExternalShopID is the shop id in the channel.
	ExternalShopID string `json:"externalShopId"`
	// OrderStatus is the order status.
	OrderStatus OrderStatus `json:"orderStatus"`
	// CreateAt is when the order was created.
	CreateAt Time `json:"createAt"`
	// PayAt is when the order was paid.
	PayAt Time `json:"payAt"`
	// LastUpdateAt is when the order was last updated.
	LastUpdateAt Time `json:"lastUpdateAt"`
}

// DeliveryOrder is the payload of a "delivery-order" notification, in the
// shape of Ginee's List Delivery Order API response. A DELETE notification
// carries only part of the fields.
type DeliveryOrder struct {
	// WarehouseProviderID is the warehouse provider id in Ginee.
	WarehouseProviderID string `json:"warehouseProviderId"`
	// WarehouseID is the warehouse id in Ginee.
	WarehouseID string `json:"warehouseId"`
	// WarehouseCode is the warehouse id at the provider.
	WarehouseCode string `json:"warehouseCode"`
	// OwnerID is the owner id in Ginee.
	OwnerID string `json:"ownerId"`
	// OwnerCode is the owner id at the provider.
	OwnerCode string `json:"ownerCode"`
	// DeliveryOrderID is the delivery order id.
	DeliveryOrderID string `json:"deliveryOrderId"`
	// DeliveryOrderSn is the delivery order serial number.
	DeliveryOrderSn string `json:"deliveryOrderSn"`
	// SourceOrderID is the unique id of the source order in Ginee.
	SourceOrderID string `json:"sourceOrderId"`
	// SourceOrderSn is the unique id of the source order in the channel.
	SourceOrderSn string `json:"sourceOrderSn"`
	// DeliveryOrderType is the delivery order type.
	DeliveryOrderType DeliveryOrderType `json:"deliveryOrderType"`
	// DeliveryOrderStatus is the delivery order status.
	DeliveryOrderStatus DeliveryOrderStatus `json:"deliveryOrderStatus"`
	// CreateAt is when the delivery order was created.
	CreateAt Time `json:"createAt"`
	// LastUpdateAt is when the delivery order was last updated (Ginee's
	// table says "create time", apparently a copy of the previous row).
	LastUpdateAt Time `json:"lastUpdateAt"`
	// Channel is the sales channel of the order.
	Channel Channel `json:"channel"`
	// WaybillURL is the URL of the waybill.
	WaybillURL string `json:"waybillUrl"`
	// TrackingNumber is the shipment's tracking number.
	TrackingNumber string `json:"trackingNumber"`
	// Shop is the shop the order was placed in.
	Shop Shop `json:"shop"`
	// ShippingAddress is the recipient's address.
	ShippingAddress Address `json:"shippingAddress"`
	// SenderAddress is the sender's address.
	SenderAddress Address `json:"senderAddress"`
	// OrderItems are the items to deliver.
	OrderItems []OrderItem `json:"orderItems"`
	// LogisticsProvider is the logistics provider (such as "AnterAja").
	LogisticsProvider string `json:"logisticsProvider"`
}

// Shop is the shop of a delivery order.
type Shop struct {
	// ShopID is the shop id in Ginee.
	ShopID string `json:"shopId"`
	// ShopName is the shop name.
	ShopName string `json:"shopName"`
	// ShopURL is the shop URL.
	ShopURL string `json:"shopUrl"`
	// ExternalShopID is the shop id in the e-commerce platform.
	ExternalShopID string `json:"externalShopId"`
}

// Address is a shipping or sender address of a delivery order. Ginee
// documents its fields only by example.
type Address struct {
	// Name is the name of the person.
	Name string `json:"name"`
	// PhoneNumber is the phone number, as written ("+62 81283278337").
	PhoneNumber string `json:"phoneNumber"`
	// Country is the country name.
	Country string `json:"country"`
	// Province is the province name.
	Province string `json:"province"`
	// City is the city name.
	City string `json:"city"`
	// District is the district name.
	District string `json:"district"`
	// ZipCode is the postal code.
	ZipCode string `json:"zipCode"`
	// FullAddress is the full address on one line.
	FullAddress string `json:"fullAddress"`
}

// OrderItem is an item of a delivery order.
type OrderItem struct {
	// DeliveryOrderID is the delivery order id.
	DeliveryOrderID string `json:"deliveryOrderId"`
	// DeliveryOrderItemID is the delivery order item id.
	DeliveryOrderItemID string `json:"deliveryOrderItemId"`
	// InventoryID is the inventory id in Ginee.
	InventoryID string `json:"inventoryId"`
	// InventorySKU is the inventory SKU.
	InventorySKU string `json:"inventorySku"`
	// InventoryName is the inventory name.
	InventoryName string `json:"inventoryName"`
	// Quantity is the quantity. A numeric string is accepted too.
	Quantity int `json:"quantity"`
	// OrderID is the order id. Documented, but absent from Ginee's example.
	OrderID string `json:"orderId"`
	// OrderItemID is the order item id. Documented, but absent from
	// Ginee's example.
	OrderItemID string `json:"orderItemId"`
	// SourceOrderItemID is the id of the source order's item. Absent from
	// Ginee's table, but present in its example.
	SourceOrderItemID string `json:"sourceOrderItemId"`
}

// UnmarshalJSON implements [json.Unmarshaler], accepting a quantity sent
// as a numeric string.
func (it *OrderItem) UnmarshalJSON(data []byte) error {
	type plain OrderItem // without this method
	v := struct {
		*plain
		Quantity json.RawMessage `json:"quantity"`
	}{plain: (*plain)(it)}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if v.Quantity == nil {
		return nil
	}
	n, err := decodeQuantity(v.Quantity)
	if err != nil {
		return err
	}
	it.Quantity = n
	return nil
}

// decodeQuantity reads a whole number sent as a JSON number or a string.
func decodeQuantity(data json.RawMessage) (int, error) {
	data = bytes.TrimSpace(data)
	text := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &text); err != nil {
			return 0, err
		}
	}
	if text == "null" || text == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(text); err == nil {
		return n, nil
	}
	var f float64
	if err := json.Unmarshal([]byte(text), &f); err == nil && f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32 {
		return int(f), nil
	}
	return 0, fmt.Errorf("ginee: quantity %.64s is not a whole number", text)
}
