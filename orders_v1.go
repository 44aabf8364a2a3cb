package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// OrdersV1Service is the older order API (v1), client.V1.Orders, as Tiki's
// 2019 guideline documents it: it pulls the seller's orders and walks them through
// confirm items, confirm delivery, update delivery status and print labels,
// always at /v1 paths. Today's order API is OrdersService (client.Orders):
// v1 and v2 are different APIs with different shapes, and their types are
// never mixed.
type OrdersV1Service service

// OrderV1 is a sales order, as the order list, order detail and mock order
// endpoints return it.
//
// Amounts are Money. Tiki sometimes writes whole amounts as floats
// (14000.0) or strings: they decode exactly. An amount with a fraction
// cannot be VND: the order is not decoded at all, and the call fails with a
// *DecodeError wrapping an *AmountError that names the field (see
// AmountError). Codes and SKUs are strings and ids int64, also when Tiki
// sends them in the other form. null decodes as zero everywhere (is_rma,
// tax fields, coupon_code, handling_fee...).
type OrderV1 struct {
	// OrderCode identifies the order in every other call.
	OrderCode string `json:"order_code"`
	// CouponCode is the coupon applied to the order; empty when none (Tiki
	// sends null).
	CouponCode string `json:"coupon_code"`
	// Status is the order's state, for example OrderStatusQueueing or
	// OrderStatusComplete; unknown values are kept as sent.
	Status OrderStatus `json:"status"`
	// TotalPriceBeforeDiscount is the order amount before discounts, in VND.
	TotalPriceBeforeDiscount Money `json:"total_price_before_discount"`
	// TotalPriceAfterDiscount is the order amount after discounts, in VND.
	TotalPriceAfterDiscount Money `json:"total_price_after_discount"`
	// CreatedAt is sent by the mock order endpoint; zero otherwise.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the order last changed (Vietnam time).
	UpdatedAt Time `json:"updated_at"`
	// PurchasedAt is when the customer placed the order (Vietnam time).
	PurchasedAt Time `json:"purchased_at"`
	// DeliveryConfirmedAt is sent by some API versions; zero otherwise.
	DeliveryConfirmedAt Time `json:"delivery_confirmed_at"`
	// FulfillmentType is how the order is fulfilled: seller_delivery,
	// cross_border, dropship or tiki_delivery (the Fulfillment* constants).
	FulfillmentType FulfillmentType `json:"fulfillment_type"`
	// Note is the customer's delivery note.
	Note string `json:"note"`
	// IsRMA marks a return (replacement) order; Tiki sends 1, 0 or null.
	IsRMA bool `json:"is_rma"`
	// WarehouseID is the id of the order's warehouse, as Tiki sends it;
	// zero when Tiki sends null.
	WarehouseID int64 `json:"warehouse_id"`
	// HandlingFee is collected for bulky orders.
	HandlingFee Money `json:"handling_fee"`
	// CollectableTotalPrice is what the shipper collects from the customer.
	CollectableTotalPrice Money `json:"collectable_total_price"`
	// Discount is the discount applied to the whole order.
	Discount DiscountV1 `json:"discount"`
	// Tax is the customer's tax invoice information.
	Tax TaxV1 `json:"tax"`
	// Shipping is the delivery address, estimate and fee.
	Shipping ShippingV1 `json:"shipping"`
	// Items are the order's lines.
	Items []OrderItemV1 `json:"items"`
	// Payment is how the customer paid.
	Payment PaymentV1 `json:"payment"`
}

// UnmarshalJSON decodes an order, tolerating floats and strings for amounts
// and ids, numbers for the order code, and null or 0/1 for is_rma. An
// object without order_code is an error, not an empty order.
func (o *OrderV1) UnmarshalJSON(b []byte) error {
	type plain OrderV1
	*o = OrderV1{}
	err := json.Unmarshal(b, &struct {
		*plain
		OrderCode   *FlexString `json:"order_code"`
		IsRMA       *FlexBool   `json:"is_rma"`
		WarehouseID *FlexInt    `json:"warehouse_id"`
	}{(*plain)(o), (*FlexString)(&o.OrderCode), (*FlexBool)(&o.IsRMA), (*FlexInt)(&o.WarehouseID)})
	if err != nil {
		return err
	}
	if o.OrderCode == "" {
		// Every documented order carries its code; an order without one is
		// a shape this SDK does not know, and decoding it would silently
		// lose the order's data.
		return errors.New("tiki: order without order_code: not the documented order shape (another API version? the current order API is client.Orders)")
	}
	return nil
}

// ItemIDs returns the ids of the order's items, for confirming every item.
func (o *OrderV1) ItemIDs() []int64 {
	if o == nil {
		return nil
	}
	ids := make([]int64, len(o.Items))
	for i, it := range o.Items {
		ids[i] = it.ID
	}
	return ids
}

// ConfirmItemsRequest returns a request to confirm items of this order with
// OrderCode and FulfillmentType filled in from the order. The caller adds the
// item ids, the warehouse and what the fulfillment type requires.
func (o *OrderV1) ConfirmItemsRequest() ConfirmItemsRequest {
	if o == nil {
		return ConfirmItemsRequest{}
	}
	return ConfirmItemsRequest{OrderCode: o.OrderCode, FulfillmentType: o.FulfillmentType}
}

// DiscountV1 is the discount applied to an order (or to an item).
type DiscountV1 struct {
	// DiscountAmount is the total discount.
	DiscountAmount Money `json:"discount_amount"`
	// DiscountCoupon is the part of it from the coupon.
	DiscountCoupon Money `json:"discount_coupon"`
	// DiscountTikiPoint is the part paid with Tiki points (xu), sent by the
	// mock order endpoint and newer API versions.
	DiscountTikiPoint Money `json:"discount_tiki_point"`
}

// TaxV1 is the customer's tax invoice information; every field may be empty
// (Tiki sends null when no invoice was asked for).
type TaxV1 struct {
	// Code is the invoice's tax code.
	Code string `json:"code"`
	// Name is who the invoice is made out to, for example a company.
	Name string `json:"name"`
	// Address is the invoice address, for example "Ha Noi".
	Address string `json:"address"`
}

// ShippingV1 is the delivery address and Tiki's delivery estimate. Tiki shows
// the customer's phone and email only to seller-delivery sellers.
type ShippingV1 struct {
	// Name of the receiver.
	Name string `json:"name"`
	// Street is the street address, for example "58/13 hậu giang".
	Street string `json:"street"`
	// Ward is the ward of the address, for example "Phường 06".
	Ward string `json:"ward"`
	// City is the district.
	City string `json:"city"`
	// Region is the province or city.
	Region string `json:"region"`
	// Country is the country code, for example "VN".
	Country string `json:"country"`
	// Phone is the receiver's phone number; Tiki shows it only to
	// seller-delivery sellers.
	Phone string `json:"phone"`
	// Email is the receiver's email address; Tiki shows it only to
	// seller-delivery sellers.
	Email string `json:"email"`
	// EstimateDescription is Tiki's delivery estimate, for example
	// "Dự kiến giao hàng vào Thứ hai, 04/11/2019". The examples send
	// estimate_description, the entity table says estimation_description:
	// both decode.
	EstimateDescription string `json:"estimate_description"`
	// ShippingFee is the shipping fee, in VND.
	ShippingFee Money `json:"shipping_fee"`
}

// UnmarshalJSON accepts estimate_description and estimation_description.
func (s *ShippingV1) UnmarshalJSON(b []byte) error {
	type plain ShippingV1
	var w struct {
		plain
		EstimationDescription string `json:"estimation_description"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = ShippingV1(w.plain)
	if s.EstimateDescription == "" {
		s.EstimateDescription = w.EstimationDescription
	}
	return nil
}

// OrderItemV1 is one line of an order.
type OrderItemV1 struct {
	// ID identifies the line in ConfirmItemsRequest.ItemIDs.
	ID int64 `json:"id"`
	// ProductID is the product's id in Tiki's seller center.
	ProductID int64 `json:"product_id"`
	// ProductName is the product's name.
	ProductName string `json:"product_name"`
	// SKU is Tiki's SKU.
	SKU string `json:"sku"`
	// OriginalSKU is the seller's own code for the product.
	OriginalSKU string `json:"original_sku"`
	// Qty is how many units of the product the order holds.
	Qty int `json:"qty"`
	// Price is the unit sales price in the order, in VND.
	Price Money `json:"price"`
	// ConfirmationStatus is the item's confirmation state, for example
	// ConfirmationWaiting or ConfirmationSellerConfirmed.
	ConfirmationStatus ConfirmationStatus `json:"confirmation_status"`
	// ConfirmedAt is zero until the item is confirmed (Tiki sends "").
	ConfirmedAt Time `json:"confirmed_at"`
	// MustConfirmBeforeAt is the deadline for confirming the item.
	MustConfirmBeforeAt Time `json:"must_confirmed_before_at"`
	// InventoryType is how the product is stocked, for example
	// InventoryInstock or InventorySellerBackorder.
	InventoryType InventoryType `json:"inventory_type"`
	// WarehouseCode is sent by the mock order endpoint and newer versions.
	WarehouseCode string `json:"warehouse_code"`
	// Discount on this item, when Tiki sends one.
	Discount *DiscountV1 `json:"discount,omitempty"`
}

// UnmarshalJSON tolerates numbers for the SKUs and floats or strings for
// ids and quantity.
func (it *OrderItemV1) UnmarshalJSON(b []byte) error {
	type plain OrderItemV1
	*it = OrderItemV1{}
	var qty FlexInt
	err := json.Unmarshal(b, &struct {
		*plain
		ID          *FlexInt    `json:"id"`
		ProductID   *FlexInt    `json:"product_id"`
		SKU         *FlexString `json:"sku"`
		OriginalSKU *FlexString `json:"original_sku"`
		Qty         *FlexInt    `json:"qty"`
	}{(*plain)(it), (*FlexInt)(&it.ID), (*FlexInt)(&it.ProductID), (*FlexString)(&it.SKU), (*FlexString)(&it.OriginalSKU), &qty})
	it.Qty = int(qty)
	return err
}

// PaymentV1 is how the order was paid.
type PaymentV1 struct {
	// Method is the customer's payment method (Tiki's payment_method), for
	// example PaymentCOD.
	Method PaymentMethod `json:"payment_method"`
	// UpdatedAt is when the payment information last changed.
	UpdatedAt Time `json:"updated_at"`
	// Description, for example "Thanh toán tiền mặt khi nhận hàng".
	Description string `json:"description"`
}

// OrderListOptionsV1 filters List and All. Every field is optional; zero
// values are not sent. Dates are sent as given, "2006-01-02 15:04:05" in
// Vietnam time: Tiki decides what range it accepts (its documents say the
// last 30 days at most).
//
// The 2019 document names only status, page and limit for GET /v1/orders.
// The other filters are today's order filters, sent to /v1 as they are;
// the v1 endpoint may ignore them and answer the unfiltered list, so check
// the rows, or use client.Orders (v2), which documents every filter.
type OrderListOptionsV1 struct {
	// Status keeps orders in this state. Tiki's default is
	// OrderStatusQueueing. The set expressions of Tiki's current listing
	// work too ("nin|processing,waiting_payment"); each status must be a
	// known one (see WithEnumValues).
	Status OrderStatus `url:"status,omitempty"`
	// FulfillmentType keeps orders of this fulfillment type.
	FulfillmentType FulfillmentType `url:"fulfillment_type,omitempty"`
	// ItemInventoryType keeps orders with at least one item of this
	// inventory type.
	ItemInventoryType InventoryType `url:"item_inventory_type,omitempty"`
	// ItemConfirmationStatus keeps orders with at least one item in this
	// confirmation state.
	ItemConfirmationStatus ConfirmationStatus `url:"item_confirmation_status,omitempty"`
	// FilterDateBy selects a predefined range of creation dates.
	FilterDateBy OrderDateFilter `url:"filter_date_by,omitempty"`
	// CreatedFrom is the start of the creation date range
	// (created_from_date).
	CreatedFrom Time `url:"created_from_date,omitempty"`
	// CreatedTo is the end of the creation date range (created_to_date).
	CreatedTo Time `url:"created_to_date,omitempty"`
	// UpdatedFrom is the start of the update date range
	// (updated_from_date).
	UpdatedFrom Time `url:"updated_from_date,omitempty"`
	// UpdatedTo is the end of the update date range (updated_to_date).
	UpdatedTo Time `url:"updated_to_date,omitempty"`
	// Include names optional parts of the order to add, sent comma-separated.
	Include []string `url:"include,omitempty"`
	ListOptions
}

func (o *OrderListOptionsV1) validate(v *validator) {
	o.ListOptions.validate(v)
	checkExpression(v, "status", o.Status)
	checkOptionalEnum(v, "fulfillment_type", o.FulfillmentType)
	checkOptionalEnum(v, "item_inventory_type", o.ItemInventoryType)
	checkOptionalEnum(v, "item_confirmation_status", o.ItemConfirmationStatus)
	checkOptionalEnum(v, "filter_date_by", o.FilterDateBy)
	for i, inc := range o.Include {
		v.check(strings.TrimSpace(inc) != "" && !strings.Contains(inc, ","), fmt.Sprintf("include[%d]", i), "must be a name without commas")
	}
}

// List returns one page of the seller's orders, filtered by opts (which may
// be nil: Tiki then returns queueing orders, 20 per page). Tiki only answers
// for orders of the last 30 days.
//
// GET /v1/orders
func (s *OrdersV1Service) List(ctx context.Context, opts *OrderListOptionsV1) (*Page[OrderV1], *Response, error) {
	return getPage[OrderV1](ctx, s.client, apiV1, "orders", opts)
}

// All iterates over every order matching opts, page after page from
// opts.Page (default 1) to the last one. Like List, it only reaches orders
// of the last 30 days.
//
//	for order, err := range client.V1.Orders.All(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing}) {
//		if err != nil { ... }
//	}
func (s *OrdersV1Service) All(ctx context.Context, opts *OrderListOptionsV1, walkOpts ...WalkOption) iter.Seq2[OrderV1, error] {
	return walk(ctx, s.client, "v1/orders", opts, s.List, walkOpts)
}

// Get returns one order with its items.
//
// GET /v1/orders/{order_code}
func (s *OrdersV1Service) Get(ctx context.Context, orderCode string) (*OrderV1, *Response, error) {
	var v validator
	code := segment(&v, "order_code", orderCode)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[OrderV1](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "orders/" + code, route: "orders/{order_code}"})
}

// ConfirmItemsRequest confirms which items of an order are in stock and
// where. Items of the order left out of ItemIDs are confirmed as not
// available; to reject every item use RejectAllItems.
//
// FulfillmentType is not sent: it tells the SDK which of Tiki's rules apply,
// because only the order knows whether it is seller delivery or cross
// border. OrderV1.ConfirmItemsRequest fills it (and OrderCode) from the order.
type ConfirmItemsRequest struct {
	// OrderCode of the order (required).
	OrderCode string
	// FulfillmentType of the order, OrderV1.FulfillmentType (required, not
	// sent). FulfillmentSellerDelivery requires DeliveryCommitmentTime;
	// FulfillmentCrossBorder requires TrackingNumber.
	FulfillmentType FulfillmentType
	// ItemIDs are the OrderItemV1.ID values of the items in stock (at least
	// one).
	ItemIDs []int64
	// WarehouseCode is the code of the seller warehouse the items are in
	// (SellerWarehouse.WarehouseCode from client.V1.Warehouses.ListSeller; required).
	WarehouseCode string
	// SellerInventoryID is the id of that seller warehouse
	// (SellerWarehouse.SellerInventoryID from client.V1.Warehouses.ListSeller; required).
	SellerInventoryID int64
	// DeliveryCommitmentTime is when the seller commits to deliver;
	// required for seller-delivery orders.
	DeliveryCommitmentTime Time
	// TrackingNumber tracks the order in a third-party system (it may equal
	// the order code); required for cross-border orders.
	TrackingNumber string
}

// confirmItemsBody is the wire form of both ConfirmItems and RejectAllItems.
type confirmItemsBody struct {
	OrderCode              string  `json:"order_code"`
	WarehouseCode          string  `json:"warehouse_code"`
	SellerInventoryID      int64   `json:"seller_inventory_id"`
	ItemIDs                []int64 `json:"item_ids"`
	DeliveryCommitmentTime *Time   `json:"delivery_commitment_time,omitempty"`
	TrackingNumber         string  `json:"tracking_number,omitempty"`
}

// ConfirmItemsResult is Tiki's answer to ConfirmItems and RejectAllItems
// when Tiki applied them: {"code": 200, "data": []}. A 2xx answer without
// code 200 is returned as an *APIError instead (see ConfirmItems).
type ConfirmItemsResult struct {
	// Code is the status code in the body: 200 (a number or a string).
	Code int `json:"code"`
	// Data is the body's data list as sent ("[]" in Tiki's example); its
	// content is not documented.
	Data json.RawMessage `json:"data"`
}

// UnmarshalJSON accepts a numeric or string code and any data; a code of
// another type decodes as 0, so that the answer is reported as not applied
// with its body rather than as undecodable.
func (r *ConfirmItemsResult) UnmarshalJSON(b []byte) error {
	var w struct {
		Code json.RawMessage `json:"code"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	var code FlexInt
	if len(w.Code) > 0 && json.Unmarshal(w.Code, &code) != nil {
		code = 0
	}
	*r = ConfirmItemsResult{Code: int(code), Data: w.Data}
	return nil
}

// applied reports whether the answer carries Tiki's success marker, code
// 200.
func (r *ConfirmItemsResult) applied() bool { return r.Code == http.StatusOK }

func checkWarehouse(v *validator, code string, inventoryID int64) {
	v.check(strings.TrimSpace(code) != "", "warehouse_code", "is required")
	v.check(inventoryID > 0, "seller_inventory_id", "must be a positive id")
}

// ConfirmItems tells Tiki which items of an order the seller has in stock
// and in which warehouse; the other items of the order are confirmed as not
// available. It is step 3 of both delivery flows. Tiki applies it once: the
// SDK never resends it after a timeout or a 5xx.
//
// A 2xx answer is not proof of success (older Tiki endpoints answer 200
// with a message, for example that the seller paused the connection): an
// answer without the documented {"code": 200} is returned as an *APIError
// whose StatusCode is the HTTP status, Messages the body's message and
// Body the raw body. The items were then not confirmed.
//
// POST /v1/orders/confirmItems
func (s *OrdersV1Service) ConfirmItems(ctx context.Context, req ConfirmItemsRequest) (*ConfirmItemsResult, *Response, error) {
	v := s.client.newValidator()
	checkText(&v, "order_code", req.OrderCode)
	if req.FulfillmentType == "" {
		v.add("fulfillment_type", "is empty, and it decides which of Tiki's rules apply (it is not sent): build the request with OrderV1.ConfirmItemsRequest from an order read with Get or List")
	} else {
		checkEnum(&v, "fulfillment_type", req.FulfillmentType)
	}
	if len(req.ItemIDs) == 0 {
		v.add("item_ids", "must list at least one item: to reject every item use RejectAllItems")
	}
	seen := make(map[int64]bool, len(req.ItemIDs))
	for i, id := range req.ItemIDs {
		field := fmt.Sprintf("item_ids[%d]", i)
		switch {
		case id <= 0:
			v.add(field, "must be a positive id")
		case seen[id]:
			v.add(field, "repeats item %d", id)
		}
		seen[id] = true
	}
	checkWarehouse(&v, req.WarehouseCode, req.SellerInventoryID)
	switch req.FulfillmentType {
	case FulfillmentSellerDelivery:
		v.check(!req.DeliveryCommitmentTime.IsZero(), "delivery_commitment_time", "is required for seller-delivery orders")
	case FulfillmentCrossBorder:
		v.check(strings.TrimSpace(req.TrackingNumber) != "", "tracking_number", "is required for cross-border orders")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := confirmItemsBody{
		OrderCode:         req.OrderCode,
		WarehouseCode:     req.WarehouseCode,
		SellerInventoryID: req.SellerInventoryID,
		ItemIDs:           req.ItemIDs,
		TrackingNumber:    req.TrackingNumber,
	}
	if !req.DeliveryCommitmentTime.IsZero() {
		body.DeliveryCommitmentTime = &req.DeliveryCommitmentTime
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "orders/confirmItems", body: body}, (*ConfirmItemsResult).applied)
}

// RejectAllItemsRequest names the order whose items are all rejected and
// the warehouse Tiki asks for (the confirmation endpoint requires one even
// here).
type RejectAllItemsRequest struct {
	// OrderCode of the order (required).
	OrderCode string
	// WarehouseCode is the code of a seller warehouse
	// (SellerWarehouse.WarehouseCode; required).
	WarehouseCode string
	// SellerInventoryID is the id of that seller warehouse
	// (SellerWarehouse.SellerInventoryID; required).
	SellerInventoryID int64
}

// RejectAllItems tells Tiki that no item of the order can be sold: it sends
// the confirmation with an empty item list ("item_ids": []), which Tiki
// reads as "reject every item". Like ConfirmItems it is never resent, and
// an answer without the documented {"code": 200} is returned as an
// *APIError.
//
// POST /v1/orders/confirmItems
func (s *OrdersV1Service) RejectAllItems(ctx context.Context, req RejectAllItemsRequest) (*ConfirmItemsResult, *Response, error) {
	var v validator
	checkText(&v, "order_code", req.OrderCode)
	checkWarehouse(&v, req.WarehouseCode, req.SellerInventoryID)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := confirmItemsBody{
		OrderCode:         req.OrderCode,
		WarehouseCode:     req.WarehouseCode,
		SellerInventoryID: req.SellerInventoryID,
		ItemIDs:           []int64{},
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "orders/confirmItems", body: body}, (*ConfirmItemsResult).applied)
}

// ConfirmDeliveryStatus is the outcome a seller reports with ConfirmDelivery.
type ConfirmDeliveryStatus string

// Delivery outcomes accepted by ConfirmDelivery.
const (
	// ConfirmDeliveryCanceled: the delivery was canceled; give a Reason.
	ConfirmDeliveryCanceled ConfirmDeliveryStatus = "canceled"
	// ConfirmDeliverySuccessful: the customer received the order.
	ConfirmDeliverySuccessful ConfirmDeliveryStatus = "successful_delivery"
)

// CancelReason explains a canceled delivery. Use one of the listed codes or
// any free text: Tiki files free text under "others", so a reason is sent
// as given, never refused.
type CancelReason string

// Cancel reasons listed by Tiki.
const (
	// CancelReasonSellerOutOfStock: the seller is out of stock (Nhà bán
	// hết hàng - hủy đơn hàng).
	CancelReasonSellerOutOfStock CancelReason = "seller-out-of-stock-cancel-order"
	// CancelReasonCustomerNoLongerInDemand: the customer no longer wants
	// the order (Khách hàng không còn nhu cầu).
	CancelReasonCustomerNoLongerInDemand CancelReason = "customers-are-no-longer-in-demand"
)

// maxDocumentURLs is how many document URLs ConfirmDelivery accepts.
const maxDocumentURLs = 3

// ConfirmDeliveryRequest reports the outcome of a seller delivery.
type ConfirmDeliveryRequest struct {
	// OrderCode of the seller-delivery order (required).
	OrderCode string
	// Status is ConfirmDeliveryCanceled or ConfirmDeliverySuccessful
	// (required).
	Status ConfirmDeliveryStatus
	// Reason for a cancellation; only sent with ConfirmDeliveryCanceled.
	Reason CancelReason
	// AppointmentDate is optional.
	AppointmentDate Time
	// DocumentURLs are absolute URLs of handling documents (for example
	// screenshots), at most 3.
	DocumentURLs []string
}

// confirmDeliveryBody is the wire form of ConfirmDeliveryRequest.
type confirmDeliveryBody struct {
	OrderCode       string                `json:"order_code"`
	Status          ConfirmDeliveryStatus `json:"status"`
	Reason          CancelReason          `json:"reason,omitempty"`
	AppointmentDate *Time                 `json:"appointment_date,omitempty"`
	DocumentURLs    []string              `json:"document_urls,omitempty"`
}

// ConfirmDeliveryResult is Tiki's answer to ConfirmDelivery when Tiki
// applied it.
type ConfirmDeliveryResult struct {
	// OrderCode of the order, as Tiki echoes it (never empty).
	OrderCode string `json:"order_code"`
}

// UnmarshalJSON tolerates a numeric order code.
func (r *ConfirmDeliveryResult) UnmarshalJSON(b []byte) error {
	var w struct {
		OrderCode FlexString `json:"order_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.OrderCode = string(w.OrderCode)
	return nil
}

// applied reports whether the answer carries Tiki's success marker, the
// order code.
func (r *ConfirmDeliveryResult) applied() bool { return r.OrderCode != "" }

// ConfirmDelivery reports that a seller-delivery order was delivered or that
// its delivery was canceled (step 4 of the seller delivery flow; for Tiki
// delivery Tiki reports it itself). It is never resent after a timeout or a
// 5xx.
//
// A 2xx answer without the documented {"order_code": ...} is returned as an
// *APIError (StatusCode the HTTP status, Messages the body's message, Body
// the raw body): the delivery was then not confirmed.
//
// POST /v1/orders/confirmDelivery
func (s *OrdersV1Service) ConfirmDelivery(ctx context.Context, req ConfirmDeliveryRequest) (*ConfirmDeliveryResult, *Response, error) {
	v := s.client.newValidator()
	checkText(&v, "order_code", req.OrderCode)
	checkEnum(&v, "status", req.Status)
	v.check(req.Reason == "" || req.Status == ConfirmDeliveryCanceled, "reason", "is only sent with status %q", ConfirmDeliveryCanceled)
	v.check(len(req.DocumentURLs) <= maxDocumentURLs, "document_urls", "must hold at most %d URLs", maxDocumentURLs)
	for i, raw := range req.DocumentURLs {
		u, err := url.Parse(raw)
		v.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			fmt.Sprintf("document_urls[%d]", i), "must be an absolute http(s) URL")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := confirmDeliveryBody{OrderCode: req.OrderCode, Status: req.Status, Reason: req.Reason, DocumentURLs: req.DocumentURLs}
	if !req.AppointmentDate.IsZero() {
		body.AppointmentDate = &req.AppointmentDate
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "orders/confirmDelivery", body: body},
		(*ConfirmDeliveryResult).applied)
}

// DeliveryStatus is a step of a delivery reported with UpdateDeliveryStatus
// or UpdateCrossBorderShipment. The values below are the ones Tiki lists;
// another text (the 2019 document's own example sends "ready for
// delivery") is sent once the client allows it with WithEnumValues.
type DeliveryStatus string

// Delivery statuses listed in Tiki's order documentation, in delivery order.
// The first six concern cross-border orders.
const (
	// DeliveryStatusTransferringToForeignWarehouses: the goods are on their
	// way to the warehouse abroad.
	DeliveryStatusTransferringToForeignWarehouses DeliveryStatus = "transferring_to_foreign_warehouses"
	// DeliveryStatusHasComeToForeignWarehouses: the goods reached the
	// warehouse abroad.
	DeliveryStatusHasComeToForeignWarehouses DeliveryStatus = "has_come_to_foreign_warehouses"
	// DeliveryStatusRotatingToVietnam: the goods are on their way to
	// Vietnam.
	DeliveryStatusRotatingToVietnam DeliveryStatus = "rotating_to_vietnam"
	// DeliveryStatusCustomsClearance: the goods are going through customs.
	DeliveryStatusCustomsClearance DeliveryStatus = "customs_clearance"
	// DeliveryStatusCustomsClearanceComplete: customs cleared the goods.
	DeliveryStatusCustomsClearanceComplete DeliveryStatus = "customs_clearance_complete"
	// DeliveryStatusItemArrivedInVietnam: the goods arrived in Vietnam.
	DeliveryStatusItemArrivedInVietnam DeliveryStatus = "item_arrived_in_vietnam"
	// DeliveryStatusReadyForDelivery: the order is ready to be delivered
	// to the customer.
	DeliveryStatusReadyForDelivery DeliveryStatus = "ready_for_delivery"
	// DeliveryStatusOnDelivery: the order is being delivered.
	DeliveryStatusOnDelivery DeliveryStatus = "on_delivery"
	// DeliveryStatusSuccessfulDelivery: the customer received the order.
	DeliveryStatusSuccessfulDelivery DeliveryStatus = "successful_delivery"
)

// UpdateDeliveryStatusRequest reports a step of a delivery.
type UpdateDeliveryStatusRequest struct {
	// OrderCode of the order (required).
	OrderCode string `json:"order_code"`
	// Status reached (required).
	Status DeliveryStatus `json:"status"`
	// UpdateTime is when it was reached (required).
	UpdateTime Time `json:"update_time"`
	// Payload is the seller's own event payload as a string (for example
	// JSON text); optional, sent as "" when empty.
	Payload string `json:"payload"`
}

// UpdateDeliveryStatusResult is Tiki's answer to UpdateDeliveryStatus when
// Tiki applied it.
type UpdateDeliveryStatusResult struct {
	// Message is "success".
	Message string `json:"message"`
}

// applied reports whether the answer carries Tiki's success marker,
// {"message": "success"}.
func (r *UpdateDeliveryStatusResult) applied() bool {
	return strings.EqualFold(strings.TrimSpace(r.Message), "success")
}

// UpdateDeliveryStatus reports a step of the delivery of an order the seller
// delivers, so Tiki can inform the customer. It is never resent after a
// timeout or a 5xx.
//
// A 2xx answer whose message is not the documented "success" is returned as
// an *APIError (StatusCode the HTTP status, Messages the body's message,
// Body the raw body): the status was then not recorded.
//
// POST /v1/orders/updateDeliveryStatus
func (s *OrdersV1Service) UpdateDeliveryStatus(ctx context.Context, req UpdateDeliveryStatusRequest) (*UpdateDeliveryStatusResult, *Response, error) {
	v := s.client.newValidator()
	checkText(&v, "order_code", req.OrderCode)
	checkEnum(&v, "status", req.Status)
	v.check(!req.UpdateTime.IsZero(), "update_time", "is required")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "orders/updateDeliveryStatus", body: req},
		(*UpdateDeliveryStatusResult).applied)
}

// LabelType is which label PrintLabel fetches.
type LabelType string

// Label types.
const (
	// LabelShipping: the shipping label (Tiki's default).
	LabelShipping LabelType = "shipping"
	// LabelInvoice: the invoice label; the only one available as PDF.
	LabelInvoice LabelType = "invoice"
	// LabelPO: the purchase order (PO) label that Tiki's order guide
	// mentions for confirmed orders. The 2019 document does not list it and
	// the value "po" is unverified; WithEnumValues allows another value.
	LabelPO LabelType = "po"
)

// LabelFormat is the file format of a label.
type LabelFormat string

// Label formats.
const (
	// LabelHTML is Tiki's default.
	LabelHTML LabelFormat = "html"
	// LabelPDF is only available for LabelInvoice.
	LabelPDF LabelFormat = "pdf"
)

// PrintLabelOptions selects the label and its format; nil or zero values
// leave both to Tiki's defaults (shipping label, HTML).
type PrintLabelOptions struct {
	// Label is which label to fetch (query label): LabelShipping, the
	// default, LabelInvoice or LabelPO.
	Label LabelType `url:"label,omitempty"`
	// Format is the label's file format (query format): LabelHTML, the
	// default, or LabelPDF (invoice label only).
	Format LabelFormat `url:"format,omitempty"`
}

// OrderLabelV1 holds the URL of a printable label.
type OrderLabelV1 struct {
	// URL of the label, whichever label was asked for.
	URL string `json:"-"`
	// ShippingLabelURL is the shipping label's URL, when Tiki answers with
	// shipping_label_url.
	ShippingLabelURL string `json:"shipping_label_url,omitempty"`
	// InvoiceLabelURL is the invoice label's URL, when Tiki answers with
	// invoice_label_url.
	InvoiceLabelURL string `json:"invoice_label_url,omitempty"`
	// POLabelURL is the PO label's URL, when Tiki answers with
	// po_label_url (a key no Tiki document shows).
	POLabelURL string `json:"po_label_url,omitempty"`
}

// UnmarshalJSON fills URL from whichever "*_label_url" key Tiki sends.
func (l *OrderLabelV1) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*l = OrderLabelV1{}
	str := func(k string) string { s, _ := m[k].(string); return s }
	l.ShippingLabelURL = str("shipping_label_url")
	l.InvoiceLabelURL = str("invoice_label_url")
	l.POLabelURL = str("po_label_url")
	l.URL = firstNonEmpty(l.ShippingLabelURL, l.InvoiceLabelURL, l.POLabelURL)
	if l.URL == "" {
		for k, v := range m {
			if s, ok := v.(string); ok && s != "" && strings.HasSuffix(k, "_label_url") {
				l.URL = s
				break
			}
		}
	}
	return nil
}

// PrintLabel returns the URL of an order's shipping, invoice or PO label
// (opts may be nil for the shipping label in HTML). PDF is only available
// for the invoice label; asking for another label as PDF is refused before
// anything is sent.
//
// GET /v1/orders/{order_code}/print
func (s *OrdersV1Service) PrintLabel(ctx context.Context, orderCode string, opts *PrintLabelOptions) (*OrderLabelV1, *Response, error) {
	o := zeroIfNil(opts)
	v := s.client.newValidator()
	code := segment(&v, "order_code", orderCode)
	checkOptionalEnum(&v, "label", o.Label)
	if checkOptionalEnum(&v, "format", o.Format) && o.Format == LabelPDF && o.Label != LabelInvoice {
		v.add("format", "is %q, which only the %q label has", LabelPDF, LabelInvoice)
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[OrderLabelV1](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "orders/" + code + "/print", route: "orders/{order_code}/print", query: encodeQuery(&o)})
}

// ErrSandboxOnly is returned by CreateMock when the client talks to
// production: mock orders exist only on the sandbox.
var ErrSandboxOnly = errors.New("tiki: mock orders can only be created on the sandbox: use WithEnvironment(tiki.Sandbox)")

// MockOrderRequest describes a mock order for the sandbox.
type MockOrderRequest struct {
	// FulfillmentType of the order (required), for example
	// FulfillmentDropship.
	FulfillmentType FulfillmentType `json:"fulfillment_type"`
	// PaymentMethod of the order (required), for example PaymentCOD.
	PaymentMethod PaymentMethod `json:"payment_method"`
	// Items of the order (at least one).
	Items []MockOrderItem `json:"items"`
	// CouponCode is an optional coupon code.
	CouponCode string `json:"coupon_code,omitempty"`
	// DiscountCoupon is an optional coupon discount, in VND (not negative).
	DiscountCoupon Money `json:"discount_coupon,omitempty"`
	// DiscountTikiPoint is an optional discount paid with Tiki points
	// (xu), in VND (not negative).
	DiscountTikiPoint Money `json:"discount_tiki_point,omitempty"`
	// Shipping is the optional delivery address.
	Shipping *ShippingV1 `json:"shipping,omitempty"`
	// Tax is the optional tax invoice information.
	Tax *TaxV1 `json:"tax,omitempty"`
	// Note is an optional delivery note.
	Note string `json:"note,omitempty"`
}

// MockOrderItem is one item of a mock order; every field is required.
type MockOrderItem struct {
	// ProductName is the item's product name.
	ProductName string `json:"product_name"`
	// OriginalSKU is the seller's own code for the product.
	OriginalSKU string `json:"original_sku"`
	// Price is the unit sales price, in VND (greater than 0).
	Price Money `json:"price"`
	// Qty is the quantity ordered (greater than 0).
	Qty int `json:"qty"`
	// InventoryType is how the product is stocked, for example
	// InventoryInstock.
	InventoryType InventoryType `json:"inventory_type"`
}

// CreateMock creates a mock order on the sandbox, to test the order flow
// (confirm items, update delivery status...) with the returned OrderCode.
// On a production client it fails with ErrSandboxOnly and sends nothing;
// clients with a custom base URL (a proxy, package tikitest) may call it.
//
// POST /v1/orders (sandbox only)
func (s *OrdersV1Service) CreateMock(ctx context.Context, req MockOrderRequest) (*OrderV1, *Response, error) {
	if s.client.onProduction() {
		return nil, nil, ErrSandboxOnly
	}
	v := s.client.newValidator()
	checkEnum(&v, "fulfillment_type", req.FulfillmentType)
	checkEnum(&v, "payment_method", req.PaymentMethod)
	v.check(len(req.Items) > 0, "items", "must hold at least one item")
	for i, it := range req.Items {
		p := fmt.Sprintf("items[%d].", i)
		v.check(strings.TrimSpace(it.ProductName) != "", p+"product_name", "is required")
		v.check(strings.TrimSpace(it.OriginalSKU) != "", p+"original_sku", "is required")
		v.check(it.Price > 0, p+"price", "must be greater than 0")
		v.check(it.Qty > 0, p+"qty", "must be greater than 0")
		checkEnum(&v, p+"inventory_type", it.InventoryType)
	}
	v.check(req.DiscountCoupon >= 0, "discount_coupon", "must not be negative")
	v.check(req.DiscountTikiPoint >= 0, "discount_tiki_point", "must not be negative")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[OrderV1](ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "orders", body: req})
}
