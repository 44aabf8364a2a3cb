package tiki

import (
	"encoding/json"
	"fmt"

	"github.com/tikisdk/tiki/internal/redact"
)

// OrderStatus is the state of an order. Tiki documents an English value and,
// for some states, a Vietnamese one (OrderStatusChoIn,
// OrderStatusGiaoHangThanhCong); Canonical maps the Vietnamese values to the
// English ones.
type OrderStatus string

// Order statuses documented by Tiki.
const (
	// OrderStatusQueueing: Tiki received the order; it waits for the
	// seller's confirmation (Vietnamese "cho_in", Chờ in). The default of
	// List.
	OrderStatusQueueing OrderStatus = "queueing"
	// OrderStatusSellerConfirmed: the seller confirmed the order.
	OrderStatusSellerConfirmed OrderStatus = "seller_confirmed"
	// OrderStatusSellerCanceled: the seller canceled the order.
	OrderStatusSellerCanceled OrderStatus = "seller_canceled"
	// OrderStatusComplete: the order was delivered successfully.
	OrderStatusComplete OrderStatus = "complete"
	// OrderStatusCanceled: the order was canceled (Đã hủy; the Vietnamese
	// value is the same).
	OrderStatusCanceled OrderStatus = "canceled"
	// OrderStatusSuccessfulDelivery: delivered to the customer.
	OrderStatusSuccessfulDelivery OrderStatus = "successful_delivery"
	// OrderStatusChoIn is the Vietnamese value of OrderStatusQueueing.
	OrderStatusChoIn OrderStatus = "cho_in"
	// OrderStatusGiaoHangThanhCong is the Vietnamese value of
	// OrderStatusSuccessfulDelivery (Giao hàng thành công).
	OrderStatusGiaoHangThanhCong OrderStatus = "giao_hang_thanh_cong"
	// OrderStatusProcessing: not yet accepted by Tiki. Tiki's current order
	// guide recommends leaving such orders out of listings.
	OrderStatusProcessing OrderStatus = "processing"
	// OrderStatusWaitingPayment: waiting for the customer's payment; like
	// OrderStatusProcessing, not yet meaningful to the seller.
	OrderStatusWaitingPayment OrderStatus = "waiting_payment"
	// OrderStatusHandoverToPartner: handed over to the shipping partner.
	OrderStatusHandoverToPartner OrderStatus = "handover_to_partner"
	// OrderStatusClosed: closed.
	OrderStatusClosed OrderStatus = "closed"
	// OrderStatusPackaging: being packed.
	OrderStatusPackaging OrderStatus = "packaging"
	// OrderStatusPicking: the shipper is picking the order up (a confirmed
	// dropship order).
	OrderStatusPicking OrderStatus = "picking"
	// OrderStatusShipping: on its way.
	OrderStatusShipping OrderStatus = "shipping"
	// OrderStatusPaid: paid.
	OrderStatusPaid OrderStatus = "paid"
	// OrderStatusDelivered: delivered.
	OrderStatusDelivered OrderStatus = "delivered"
	// OrderStatusHolded: held to handle an issue.
	OrderStatusHolded OrderStatus = "holded"
	// OrderStatusReadyToShip: ready to ship.
	OrderStatusReadyToShip OrderStatus = "ready_to_ship"
	// OrderStatusPaymentReview: the payment is under review.
	OrderStatusPaymentReview OrderStatus = "payment_review"
	// OrderStatusReturned: returned.
	OrderStatusReturned OrderStatus = "returned"
	// OrderStatusFinishedPacking: packed.
	OrderStatusFinishedPacking OrderStatus = "finished_packing"
)

// Canonical returns the English value of a Vietnamese status
// (cho_in → queueing, giao_hang_thanh_cong → successful_delivery) and any
// other status unchanged.
func (s OrderStatus) Canonical() OrderStatus {
	switch s {
	case OrderStatusChoIn:
		return OrderStatusQueueing
	case OrderStatusGiaoHangThanhCong:
		return OrderStatusSuccessfulDelivery
	}
	return s
}

// FulfillmentType is how an order is fulfilled (its operation model); it
// decides which confirmation endpoint and fields Tiki requires.
type FulfillmentType string

// Fulfillment types documented by Tiki.
const (
	// FulfillmentSellerDelivery: the seller delivers the order and reports
	// the delivery (ConfirmDelivery, UpdateDeliveryStatus).
	FulfillmentSellerDelivery FulfillmentType = "seller_delivery"
	// FulfillmentCrossBorder: the order is shipped from abroad.
	FulfillmentCrossBorder FulfillmentType = "cross_border"
	// FulfillmentDropship: dropship directly from the seller.
	FulfillmentDropship FulfillmentType = "dropship"
	// FulfillmentTikiDelivery: Tiki delivers the order; on-demand
	// fulfilment (ODF) when its items are backorder, fulfilment by Tiki
	// (nothing to confirm) when they are instock.
	FulfillmentTikiDelivery FulfillmentType = "tiki_delivery"
	// FulfillmentInstantDelivery: delivered online (e-books, e-vouchers,
	// scratch cards); nothing to confirm.
	FulfillmentInstantDelivery FulfillmentType = "instant_delivery"
)

// ConfirmationStatus is the confirmation state of an order item.
type ConfirmationStatus string

// Item confirmation statuses that appear in Tiki's documentation.
const (
	// ConfirmationWaiting: the item waits for the seller's confirmation
	// (before ItemConfirmation.AvailableConfirmSLA).
	ConfirmationWaiting ConfirmationStatus = "waiting"
	// ConfirmationSellerConfirmed: the seller confirmed the item.
	ConfirmationSellerConfirmed ConfirmationStatus = "seller_confirmed"
	// ConfirmationConfirmed: the item is confirmed (Tiki's internal
	// status).
	ConfirmationConfirmed ConfirmationStatus = "confirmed"
	// ConfirmationSellerCanceled: the seller had no stock for the item.
	ConfirmationSellerCanceled ConfirmationStatus = "seller_canceled"
	// ConfirmationReadyToPick: the item of a dropship order is ready to be
	// picked up by Tiki.
	ConfirmationReadyToPick ConfirmationStatus = "ready_to_pick"
)

// PaymentMethod is how the customer pays.
type PaymentMethod string

// Payment methods that appear in Tiki's documentation.
const (
	// PaymentCOD: cash on delivery; the shipper collects
	// OrderInvoice.CollectibleAmount (v1: OrderV1.CollectableTotalPrice).
	PaymentCOD PaymentMethod = "cod"
	// PaymentVisa: paid by card (v1); nothing to collect.
	PaymentVisa PaymentMethod = "visa"
	// PaymentCheckMO is a prepaid method of the v2 API ("checkmo").
	PaymentCheckMO PaymentMethod = "checkmo"
	// PaymentMomo is a prepaid method of the v2 API ("momo").
	PaymentMomo PaymentMethod = "momo"
	// PaymentPay123 is a prepaid method of the v2 API ("pay123").
	PaymentPay123 PaymentMethod = "pay123"
	// PaymentCybersource is a prepaid method of the v2 API
	// ("cybersource").
	PaymentCybersource PaymentMethod = "cybersource"
)

// OrderDateFilter is a predefined range of creation dates for
// OrderListOptions.FilterDateBy (and OrderListOptionsV1.FilterDateBy).
type OrderDateFilter string

// Date ranges that appear in Tiki's order listing guide.
const (
	// DateFilterToday: orders placed today.
	DateFilterToday OrderDateFilter = "today"
	// DateFilterLast7Days: orders of the last seven days (v2).
	DateFilterLast7Days OrderDateFilter = "last7days"
	// DateFilterLast30Days: orders of the last 30 days.
	DateFilterLast30Days OrderDateFilter = "last30days"
)

// Order is an order of Tiki's current order API (v2), as List and Get
// return it ("TIKI Theory V2: Order").
//
// Amounts are Money (whole VND, decoded exactly from Tiki's decimals): an
// order holding an amount that is not a whole number of dong is not
// decoded at all, and the call fails with a *DecodeError wrapping an
// *AmountError that names the field (see AmountError). Codes and SKUs are
// strings, also when Tiki sends them as numbers; flags are booleans, also
// when Tiki sends 1/0 or strings.
// Fields Tiki leaves out or sends as null decode as zero values; values of
// enum types that this SDK does not list (a new status) are kept as sent.
// Raw keeps the order exactly as Tiki sent it, with the fields this SDK does
// not model. An object without "code" is not an order of this API (the v1
// API names it order_code) and fails decoding with a *ShapeError.
type Order struct {
	// Code identifies the order in every other call, for example
	// "745467462".
	Code string `json:"code"`
	// RelationCode is the code of the parent order this one was split or
	// modified from; empty for most orders.
	RelationCode string `json:"relation_code"`
	// FulfillmentType is the order's operation model: who packs and
	// delivers it, and so which confirmation it needs.
	FulfillmentType FulfillmentType `json:"fulfillment_type"`
	// Status is where the order is on its way to the customer.
	Status OrderStatus `json:"status"`
	// IsRMA marks a replacement for a returned or serviced product.
	IsRMA bool `json:"is_rma"`
	// IsVATExporting is true when the customer asked for a VAT invoice.
	IsVATExporting bool `json:"is_vat_exporting"`
	// HasBackorderItems is true when an item has inventory type backorder.
	HasBackorderItems bool `json:"has_backorder_items"`
	// CreatedAt is when the order was placed.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the order last changed.
	UpdatedAt Time `json:"updated_at"`
	// Invoice holds the order's totals, discounts and the seller's fees
	// and income.
	Invoice OrderInvoice `json:"invoice"`
	// TikiWarehouse is the Tiki warehouse that fulfils the order; its Code
	// selects the seller inventories the order may be confirmed from
	// (Warehouses.ListSellerInventories).
	TikiWarehouse TikiWarehouseInfo `json:"tiki_warehouse"`
	// Items are the order's lines.
	Items []OrderItem `json:"items"`
	// Shipping is the delivery's address, partner, plan and status.
	Shipping ShippingInfo `json:"shipping"`
	// Payment is how the customer pays.
	Payment PaymentInfo `json:"payment"`
	// Delivery is the delivery confirmation.
	Delivery DeliveryConfirmation `json:"delivery"`
	// Customer is who placed the order.
	Customer CustomerInfo `json:"customer"`
	// InstallmentInfo is the instalment plan; nil for most orders.
	InstallmentInfo *InstallmentInfo `json:"installment_info"`
	// CancelInfo explains a cancellation; nil unless the order was
	// canceled.
	CancelInfo *CancelInfo `json:"cancel_info"`
	// RMAInfo is the return process of a replacement order; nil otherwise.
	RMAInfo *RMAInfo `json:"rma_info"`
	// StatusHistories lists the order's status changes; filled only with
	// IncludeStatusHistories.
	StatusHistories []StatusHistory `json:"status_histories"`
	// SellerWarehouse is where the order is picked up from, when Tiki
	// sends it.
	SellerWarehouse *OrderSellerWarehouse `json:"seller_warehouse"`
	// Store is the seller's store, as Tiki sends it (its fields are not
	// documented).
	Store json.RawMessage `json:"store"`
	// Raw is the order exactly as Tiki sent it, unknown fields included.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an order and keeps its raw form, taking codes
// from strings or numbers and flags from true/false, 1/0 or their string
// forms. An object without a code is refused: it is not an order of this
// API.
func (o *Order) UnmarshalJSON(b []byte) error {
	var w orderWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Code == "" {
		return newShapeError("a v2 order (an object with \"code\")", b)
	}
	*o = w.order()
	o.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// OrderInvoice holds an order's totals, the customer's discounts and fees,
// and the seller's fees and income ("Order Invoice").
type OrderInvoice struct {
	// ItemsCount is the number of items (lines).
	ItemsCount int `json:"items_count"`
	// ItemsQuantity is the number of units over all items.
	ItemsQuantity int `json:"items_quantity"`
	// Subtotal is the value of the products over all items.
	Subtotal Money `json:"subtotal"`
	// GrandTotal is what the customer pays, after every discount and fee.
	GrandTotal Money `json:"grand_total"`
	// CollectibleAmount is what the shipper collects on a cash-on-delivery
	// order.
	CollectibleAmount Money `json:"collectible_amount"`
	// DiscountAmount is the customer's total discount.
	DiscountAmount Money `json:"discount_amount"`
	// DiscountTikiXu is the part paid with Tiki Xu.
	DiscountTikiXu Money `json:"discount_tikixu"`
	// DiscountPromotion is the part from promotions at the time of purchase.
	DiscountPromotion Money `json:"discount_promotion"`
	// DiscountPercent is the part of the discount computed as a
	// percentage of the order value: an amount, not the percentage (Tiki
	// documents it as a decimal value, like the other discounts).
	DiscountPercent Money `json:"discount_percent"`
	// DiscountCoupon is the part from coupons.
	DiscountCoupon Money `json:"discount_coupon"`
	// DiscountOther is the part from other reasons.
	DiscountOther Money `json:"discount_other"`
	// GiftCardAmount is the part paid with gift cards.
	GiftCardAmount Money `json:"gift_card_amount"`
	// GiftCardCode is the gift card the customer entered.
	GiftCardCode string `json:"gift_card_code"`
	// CouponCode is the coupon the customer entered.
	CouponCode string `json:"coupon_code"`
	// ShippingAmountAfterDiscount is the shipping fee the customer pays.
	ShippingAmountAfterDiscount Money `json:"shipping_amount_after_discount"`
	// ShippingDiscountAmount is the discount on the shipping fee.
	ShippingDiscountAmount Money `json:"shipping_discount_amount"`
	// HandlingFee is the customer's fee for oversized products.
	HandlingFee Money `json:"handling_fee"`
	// OtherFee is any other customer fee.
	OtherFee Money `json:"other_fee"`
	// TotalSellerFee is the sum of the items' seller fees in the seller's
	// statement (fees are negative amounts).
	TotalSellerFee Money `json:"total_seller_fee"`
	// TotalSellerIncome is the seller's income in the statement.
	TotalSellerIncome Money `json:"total_seller_income"`
	// PurchasedAt is when the customer paid.
	PurchasedAt Time `json:"purchased_at"`
	// TaxInfo is the customer's tax information for a VAT invoice; nil
	// when none was asked for.
	TaxInfo *TaxInfo `json:"tax_info"`
}

// UnmarshalJSON decodes the invoice, taking its codes from a string or a
// number.
func (inv *OrderInvoice) UnmarshalJSON(b []byte) error {
	return decodeWire(b, inv, (*orderInvoiceWire).invoice)
}

// TaxInfo is the customer's tax information for a VAT invoice.
type TaxInfo struct {
	// Code is the tax code.
	Code string `json:"code"`
	// Address is the tax address.
	Address string `json:"address"`
	// CompanyName is the invoiced company.
	CompanyName string `json:"company_name"`
}

// TikiWarehouseInfo names the Tiki warehouse that fulfils an order.
type TikiWarehouseInfo struct {
	// ID is Tiki's id of the warehouse, when sent.
	ID int64 `json:"id"`
	// Name, for example "Sài Gòn".
	Name string `json:"name"`
	// Code, for example "sgn": the key of Warehouses.ListSellerInventories.
	Code string `json:"code"`
}

// OrderItem is one line of a v2 order ("TIKI Theory V2: Order Item").
type OrderItem struct {
	// ID identifies the item in confirmations (AvailableItemIDs).
	ID int64 `json:"id"`
	// Product is the product as it was when the customer bought it.
	Product OrderItemProduct `json:"product"`
	// Invoice is the item's value, the customer's discounts and the
	// seller's fees and income.
	Invoice OrderItemInvoice `json:"invoice"`
	// Seller is the seller of the item.
	Seller OrderItemSeller `json:"seller"`
	// Confirmation is the item's confirmation state and deadlines.
	Confirmation ItemConfirmation `json:"confirmation"`
	// InventoryRequisition is the transfer of the item's units into a Tiki
	// warehouse; nil for most items.
	InventoryRequisition *InventoryRequisition `json:"inventory_requisition"`
	// InventoryWithdrawals are the withdrawals of the item's units from
	// Tiki warehouses after a cancellation.
	InventoryWithdrawals []InventoryWithdrawal `json:"inventory_withdrawals"`
}

// OrderItemProduct is the product of an order item at the time of purchase.
type OrderItemProduct struct {
	// ID is Tiki's product id (absent from some payloads).
	ID int64 `json:"id"`
	// Type is the product type, for example "simple".
	Type string `json:"type"`
	// SuperID is the configurable parent's id; 0 when none.
	SuperID int64 `json:"super_id"`
	// MasterID is the master product's id.
	MasterID int64 `json:"master_id"`
	// SKU is Tiki's SKU.
	SKU string `json:"sku"`
	// Name is the product's name at the time of purchase.
	Name string `json:"name"`
	// CatalogGroupName is the product's catalogue group.
	CatalogGroupName string `json:"catalog_group_name"`
	// InventoryType is the item's operation model (InventoryBackorder
	// items need the seller's confirmation).
	InventoryType InventoryType `json:"inventory_type"`
	// IMEIs of the units, when recorded.
	IMEIs []string `json:"imeis"`
	// SerialNumbers of the units, when recorded.
	SerialNumbers []string `json:"serial_numbers"`
	// Thumbnail is the product image's URL.
	Thumbnail string `json:"thumbnail"`
	// SellerProductCode is the seller's own code for the product (the
	// original SKU); empty when not set.
	SellerProductCode string `json:"seller_product_code"`
	// SellerSupplyMethod is how the seller supplies the product, when sent.
	SellerSupplyMethod string `json:"seller_supply_method"`
}

// UnmarshalJSON decodes the product, taking its SKU and code from a string
// or a number (Tiki's order entity table shows sku 341231234 unquoted).
func (p *OrderItemProduct) UnmarshalJSON(b []byte) error {
	return decodeWire(b, p, (*orderItemProductWire).product)
}

// OrderItemInvoice is an item's value, the customer's discounts on it and
// the seller's fee and income from it ("Order Item Invoice").
type OrderItemInvoice struct {
	// Price is the unit price at the time of purchase.
	Price Money `json:"price"`
	// Quantity is the number of units bought.
	Quantity int `json:"quantity"`
	// Subtotal is Quantity × Price.
	Subtotal Money `json:"subtotal"`
	// RowTotal is what the customer pays for the item: Subtotal less
	// DiscountAmount, never below zero.
	RowTotal Money `json:"row_total"`
	// DiscountAmount is the customer's total discount on the item.
	DiscountAmount Money `json:"discount_amount"`
	// DiscountTikiXu is the part paid with Tiki Xu.
	DiscountTikiXu Money `json:"discount_tikixu"`
	// DiscountPromotion is the part from promotions.
	DiscountPromotion Money `json:"discount_promotion"`
	// DiscountPercent is the part of the discount computed as a
	// percentage of the item value: an amount, not the percentage (Tiki
	// documents it as a decimal value, like the other discounts).
	DiscountPercent Money `json:"discount_percent"`
	// DiscountCoupon is the part from coupons.
	DiscountCoupon Money `json:"discount_coupon"`
	// DiscountOther is the part from other reasons.
	DiscountOther Money `json:"discount_other"`
	// IsSellerDiscountCoupon is true when the coupon is the seller's.
	IsSellerDiscountCoupon bool `json:"is_seller_discount_coupon"`
	// IsTaxable is true when a VAT invoice can be issued for the product.
	IsTaxable bool `json:"is_taxable"`
	// SellerFee is the seller's fee for the item in the statement: the sum
	// of the fees' FinalAmount (negative).
	SellerFee Money `json:"seller_fee"`
	// SellerIncome is the seller's income from the item in the statement.
	SellerIncome Money `json:"seller_income"`
	// Fees are the fee entries; filled only with IncludeItemFees.
	Fees []OrderItemFee `json:"fees"`
}

// UnmarshalJSON decodes the item's invoice, taking its flags from
// true/false, 1/0 or their string forms.
func (inv *OrderItemInvoice) UnmarshalJSON(b []byte) error {
	return decodeWire(b, inv, (*orderItemInvoiceWire).invoice)
}

// OrderItemFee is one fee on an order item in the seller's statement.
type OrderItemFee struct {
	// ID of the fee entry.
	ID int64 `json:"id"`
	// FeeTypeKey is the fee type, for example "base_fee" or "pickup_fee".
	FeeTypeKey string `json:"fee_type_key"`
	// FeeTypeName is its display name, for example "Phí lấy hàng".
	FeeTypeName string `json:"fee_type_name"`
	// Status is 1 when the fee applies.
	Status int `json:"status"`
	// Quantity multiplies BaseAmount.
	Quantity int `json:"quantity"`
	// BaseAmount is what the fee is computed from, depending on the fee
	// type: a percentage of the item's value (5 is five percent; it may
	// have a fraction), or a fixed amount in VND for fixed fees. Tiki does
	// not say which fee types are which, and a rate is not a whole number
	// of dong, so it is a Percent; TotalAmount and FinalAmount are the
	// fee as an amount.
	BaseAmount Percent `json:"base_amount"`
	// TotalAmount is the fee before discount (negative).
	TotalAmount Money `json:"total_amount"`
	// DiscountAmount is the seller's discount on the fee.
	DiscountAmount Money `json:"discount_amount"`
	// FinalAmount is the fee in the statement, after discount (negative).
	FinalAmount Money `json:"final_amount"`
}

// OrderItemSeller is the seller of an order item.
type OrderItemSeller struct {
	// ID is the seller's id.
	ID int64 `json:"id"`
	// Name is the seller's name.
	Name string `json:"name"`
}

// ItemConfirmation is an order item's confirmation state and deadlines.
// Items of inventory type backorder need the seller's confirmation that
// the stock is there (available confirmation) before AvailableConfirmSLA;
// dropship orders also need a pickup confirmation before PickupConfirmSLA.
type ItemConfirmation struct {
	// Status is the item's confirmation state (ConfirmationWaiting: the
	// seller must confirm).
	Status ConfirmationStatus `json:"status"`
	// ConfirmedAt is when the latest confirmation happened; zero before.
	ConfirmedAt Time `json:"confirmed_at"`
	// AvailableConfirmSLA is the deadline of the available confirmation.
	AvailableConfirmSLA Time `json:"available_confirm_sla"`
	// PickupConfirmSLA is the deadline of the pickup confirmation (dropship
	// only); zero otherwise.
	PickupConfirmSLA Time `json:"pickup_confirm_sla"`
	// Histories are the item's confirmation changes; filled only with
	// IncludeItemConfirmationHistories.
	Histories []ConfirmationHistory `json:"histories"`
}

// ShapeError is returned (inside a *DecodeError) when a 2xx answer is valid
// JSON but not the shape the endpoint documents, for example an order
// without its code.
type ShapeError struct {
	// Expected describes the documented shape.
	Expected string
	// Got is the start of what was received (40 bytes at most). In the
	// error of a call, the client's secrets are masked in what was
	// received before it is cut.
	Got string

	raw quote
}

// newShapeError is the *ShapeError of the JSON text b, expected being the
// documented shape.
func newShapeError(expected string, b []byte) *ShapeError {
	return &ShapeError{Expected: expected, Got: truncate(b), raw: quote{b}}
}

// maskQuote takes Got anew from the quoted text with red's secrets masked.
func (e *ShapeError) maskQuote(red *redact.Redactor) { e.raw.mask(red, &e.Got) }

// Error says what was expected and what came.
func (e *ShapeError) Error() string {
	return fmt.Sprintf("tiki: expected %s, got %s", e.Expected, e.Got)
}

// ShippingInfo is an order's delivery: partner, tracking, plan, address
// and status.
type ShippingInfo struct {
	// PartnerID is the shipping partner's id (Tiki sends a string, a
	// number or null).
	PartnerID string `json:"partner_id"`
	// PartnerName is the shipping partner, for example "GHN".
	PartnerName string `json:"partner_name"`
	// TrackingCode is the shipment's tracking number.
	TrackingCode string `json:"tracking_code"`
	// Status is the shipment's status as free text, for example
	// "Delivered".
	Status string `json:"status"`
	// Plan is the delivery plan and its promised date.
	Plan ShippingPlan `json:"plan"`
	// Address is where the order goes.
	Address ShippingAddress `json:"address"`
}

// UnmarshalJSON decodes the shipping information, taking the partner's id
// from a string or a number.
func (s *ShippingInfo) UnmarshalJSON(b []byte) error {
	return decodeWire(b, s, (*shippingInfoWire).info)
}

// ShippingPlan is the delivery plan of an order.
type ShippingPlan struct {
	// ID of the plan.
	ID int64 `json:"id"`
	// Name of the plan, for example "Giao hàng tiêu chuẩn".
	Name string `json:"name"`
	// IsFreeShipping is true when the customer pays no shipping.
	IsFreeShipping bool `json:"is_free_shipping"`
	// PromisedDeliveryDate is the delivery deadline.
	PromisedDeliveryDate Time `json:"promised_delivery_date"`
	// Description of the deadline, for example "Giao vào Thứ hai, 24/08".
	Description string `json:"description"`
}

// UnmarshalJSON decodes the plan, taking its flag from true/false, 1/0 or
// their string forms.
func (p *ShippingPlan) UnmarshalJSON(b []byte) error {
	return decodeWire(b, p, (*shippingPlanWire).plan)
}

// ShippingAddress is a delivery address. Tiki shows Email and Phone only
// on seller-delivery and cross-border orders: they are personal data, keep
// them out of logs.
type ShippingAddress struct {
	// FullName of the receiver.
	FullName string `json:"full_name"`
	// Street is the address line.
	Street string `json:"street"`
	// Ward is the ward's name.
	Ward string `json:"ward"`
	// WardTikiCode is Tiki's code of the ward, for example "VN034005007".
	WardTikiCode string `json:"ward_tiki_code"`
	// District is the district's name.
	District string `json:"district"`
	// DistrictTikiCode is Tiki's code of the district.
	DistrictTikiCode string `json:"district_tiki_code"`
	// Region is the name of the province or city.
	Region string `json:"region"`
	// RegionTikiCode is Tiki's code of the province or city.
	RegionTikiCode string `json:"region_tiki_code"`
	// Country is the country's name.
	Country string `json:"country"`
	// CountryID is the country's code, for example "VN".
	CountryID string `json:"country_id"`
	// Email of the receiver (seller-delivery and cross-border only).
	Email string `json:"email"`
	// Phone of the receiver (seller-delivery and cross-border only).
	Phone string `json:"phone"`
}

// PaymentInfo is how the customer pays an order.
type PaymentInfo struct {
	// Method, for example PaymentCOD; Tiki's set is open.
	Method PaymentMethod `json:"method"`
	// IsPrepaid is true when the customer paid before delivery.
	IsPrepaid bool `json:"is_prepaid"`
	// Status of the payment, for example "success".
	Status string `json:"status"`
	// Description of the method, for example "Thanh toán tiền mặt khi
	// nhận hàng".
	Description string `json:"description"`
}

// UnmarshalJSON decodes the payment information, taking its flag from
// true/false, 1/0 or their string forms.
func (p *PaymentInfo) UnmarshalJSON(b []byte) error {
	return decodeWire(b, p, (*paymentInfoWire).info)
}

// DeliveryConfirmation is the confirmation of an order's delivery.
type DeliveryConfirmation struct {
	// DeliveryConfirmed is true once Tiki, the shipping partner or the
	// seller confirmed the delivery.
	DeliveryConfirmed bool `json:"delivery_confirmed"`
	// DeliveryConfirmedAt is when; zero before.
	DeliveryConfirmedAt Time `json:"delivery_confirmed_at"`
	// DeliveryConfirmedByCustomer is true once the customer confirmed it.
	DeliveryConfirmedByCustomer bool `json:"delivery_confirmed_by_customer"`
	// DeliveryConfirmedByCustomerAt is when; zero before.
	DeliveryConfirmedByCustomerAt Time `json:"delivery_confirmed_by_customer_at"`
	// DeliveryNote is the delivery's note.
	DeliveryNote string `json:"delivery_note"`
	// DeliveryConfirmation lists confirmation entries, as Tiki sends them.
	DeliveryConfirmation json.RawMessage `json:"delivery_confirmation"`
}

// UnmarshalJSON decodes the delivery confirmation, taking its flags from
// true/false, 1/0 or their string forms.
func (d *DeliveryConfirmation) UnmarshalJSON(b []byte) error {
	return decodeWire(b, d, (*deliveryConfirmationWire).confirmation)
}

// CustomerInfo is who placed an order (personal data).
type CustomerInfo struct {
	// ID is Tiki's customer id.
	ID int64 `json:"id"`
	// FullName of the customer.
	FullName string `json:"full_name"`
}

// InstallmentInfo is an order's instalment plan.
type InstallmentInfo struct {
	// InstallmentFee is the fee of the plan.
	InstallmentFee Money `json:"installment_fee"`
	// Month is the term in months.
	Month int `json:"month"`
	// MonthlyPay is what the customer pays each month.
	MonthlyPay Money `json:"monthly_pay"`
}

// CancelInfo explains why an order was canceled.
type CancelInfo struct {
	// ReasonCode is Tiki's code of the reason, for example "201".
	ReasonCode string `json:"reason_code"`
	// ReasonText is the reason, which may hold the customer's words.
	ReasonText string `json:"reason_text"`
	// Comment details the reason.
	Comment string `json:"comment"`
	// CanceledAt is when the order was canceled; zero when Tiki does not
	// say.
	CanceledAt Time `json:"canceled_at"`
}

// UnmarshalJSON decodes the cancellation, taking its reason code from a
// string or a number.
func (c *CancelInfo) UnmarshalJSON(b []byte) error {
	return decodeWire(b, c, (*cancelInfoWire).info)
}

// RMAInfo is the return (Return Merchandise Authorization) process a
// replacement order belongs to.
type RMAInfo struct {
	// ID of the RMA process.
	ID int64 `json:"id"`
	// WarehouseID is the Tiki warehouse handling it.
	WarehouseID int64 `json:"warehouse_id"`
	// OriginalOrderCode is the order whose product was returned.
	OriginalOrderCode string `json:"original_order_code"`
	// ExchangedOrderCode is the replacement order (this one).
	ExchangedOrderCode string `json:"exchanged_order_code"`
	// Status of the process as free text, for example "Hoàn thành".
	Status string `json:"status"`
	// CreatedAt is when the process started (Tiki sends a date).
	CreatedAt Time `json:"created_at"`
}

// StatusHistory is one status change of an order.
type StatusHistory struct {
	// ID of the entry.
	ID int64 `json:"id"`
	// Status reached.
	Status OrderStatus `json:"status"`
	// CreatedAt is when it was reached.
	CreatedAt Time `json:"created_at"`
}

// OrderSellerWarehouse is the seller warehouse an order is picked up from,
// as orders carry it.
type OrderSellerWarehouse struct {
	// ID is the seller inventory id.
	ID int64 `json:"id"`
	// Name of the warehouse.
	Name string `json:"name"`
	// Code of the warehouse, for example "WH000384740".
	Code string `json:"code"`
	// ContactName is the name of the warehouse's contact person.
	ContactName string `json:"contact_name"`
	// ContactPhone is the contact person's phone number.
	ContactPhone string `json:"contact_phone"`
	// Street is the address line.
	Street string `json:"street"`
	// WarehouseType, for example "pickup".
	WarehouseType string `json:"warehouse_type"`
	// RegionCode is Tiki's code of the warehouse's province or city.
	RegionCode string `json:"region_code"`
	// RegionName is the name of the warehouse's province or city.
	RegionName string `json:"region_name"`
	// DistrictCode is Tiki's code of the warehouse's district.
	DistrictCode string `json:"district_code"`
	// DistrictName is the name of the warehouse's district.
	DistrictName string `json:"district_name"`
	// WardCode is Tiki's code of the warehouse's ward.
	WardCode string `json:"ward_code"`
	// WardName is the name of the warehouse's ward.
	WardName string `json:"ward_name"`
	// CountryCode, for example "vn".
	CountryCode string `json:"country_code"`
	// Active is true while the warehouse is in use.
	Active bool `json:"active"`
}

// UnmarshalJSON decodes the warehouse, taking its flag from true/false,
// 1/0 or their string forms.
func (w *OrderSellerWarehouse) UnmarshalJSON(b []byte) error {
	return decodeWire(b, w, (*orderSellerWarehouseWire).warehouse)
}

// InventoryRequisition is the transfer of an item's units into a Tiki
// warehouse, for operation models that deliver through one.
type InventoryRequisition struct {
	// ID of the requisition.
	ID int64 `json:"id"`
	// Code is the code on the package's PO label, for example
	// "HN4/BOP/20/08/253202".
	Code string `json:"code"`
	// SellerInventoryID is the seller warehouse the units come from.
	SellerInventoryID int64 `json:"seller_inventory_id"`
	// Status of the requisition, for example "done".
	Status string `json:"status"`
	// IsPrinted is true once the PO label was printed.
	IsPrinted bool `json:"is_printed"`
	// PickupMethod is how the units reach Tiki's warehouse.
	PickupMethod string `json:"pickup_method"`
	// WarehouseCode is the Tiki warehouse, for example "hn4".
	WarehouseCode string `json:"warehouse_code"`
	// Error is what went wrong, if anything.
	Error string `json:"error"`
	// CreatedAt is when the requisition started.
	CreatedAt Time `json:"created_at"`
}

// UnmarshalJSON decodes the requisition, taking its flag from true/false,
// 1/0 or their string forms.
func (r *InventoryRequisition) UnmarshalJSON(b []byte) error {
	return decodeWire(b, r, (*inventoryRequisitionWire).requisition)
}

// InventoryWithdrawal is the withdrawal of an item's units from a Tiki
// warehouse after the order was canceled.
type InventoryWithdrawal struct {
	// ID of the withdrawal.
	ID int64 `json:"id"`
	// Status, for example "waiting_for_picking".
	Status string `json:"status"`
}

// ConfirmationHistory is one confirmation change of an order item.
type ConfirmationHistory struct {
	// OrderItemID is the item.
	OrderItemID int64 `json:"order_item_id"`
	// Status reached.
	Status ConfirmationStatus `json:"status"`
	// ConfirmedAt is when; zero when Tiki does not say.
	ConfirmedAt Time `json:"confirmed_at"`
	// SLAConfirmedAt is the confirmation deadline at that time.
	SLAConfirmedAt Time `json:"sla_confirmed_at"`
}

// SellerInventory is one of the seller's warehouses (a "seller inventory"
// in Tiki's current APIs, "TIKI Theory V2: Seller Warehouse").
type SellerInventory struct {
	// ID is the id that order confirmations name (SellerInventoryID).
	ID int64 `json:"id"`
	// SellerID is the owner, when sent.
	SellerID int64 `json:"seller_id"`
	// IsPrimary marks the seller's main warehouse.
	IsPrimary bool `json:"is_primary"`
	// Name of the warehouse.
	Name string `json:"name"`
	// Status is 1 when the warehouse is active, 0 when not.
	Status int `json:"status"`
	// Address locates the warehouse.
	Address InventoryAddress `json:"address"`
	// Type is "requisition" (supplies Tiki's warehouses) or "withdrawal"
	// (receives returned products).
	Type string `json:"type"`
}

// UnmarshalJSON decodes the seller inventory, taking its flag from
// true/false, 1/0 or their string forms.
func (s *SellerInventory) UnmarshalJSON(b []byte) error {
	type plain SellerInventory
	return json.Unmarshal(b, &struct {
		*plain
		IsPrimary *FlexBool `json:"is_primary"`
	}{(*plain)(s), (*FlexBool)(&s.IsPrimary)})
}

// InventoryAddress locates a seller inventory.
type InventoryAddress struct {
	// Street is the address line.
	Street string `json:"street"`
	// Ward is the ward's name.
	Ward string `json:"ward"`
	// District is the district's name.
	District string `json:"district"`
	// Region is the name of the province or city.
	Region string `json:"region"`
	// Country is the country's name or code, as Tiki sends it.
	Country string `json:"country"`
}
