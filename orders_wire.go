package tiki

import "encoding/json"

// The wire forms of a v2 order: Order and each of its parts as Tiki sends
// them, with tolerant types (FlexString, FlexBool) where Tiki's types
// vary. None of them decodes itself, so encoding/json reads a whole order
// in one pass, where each part decoding itself would scan its bytes twice
// more (once to find where it ends, once to check it before decoding).
// Each embeds its SDK type's fields (a type of the same fields without
// methods, so that nothing in it decodes itself) and overrides the
// tolerant fields and the parts; a conversion builds the SDK type. The SDK
// types' own UnmarshalJSON decode through them too, so that a part decodes
// alike alone and in an order.

type (
	orderFields                Order
	orderInvoiceFields         OrderInvoice
	orderItemFields            OrderItem
	orderItemProductFields     OrderItemProduct
	orderItemInvoiceFields     OrderItemInvoice
	shippingInfoFields         ShippingInfo
	shippingPlanFields         ShippingPlan
	paymentInfoFields          PaymentInfo
	deliveryConfirmationFields DeliveryConfirmation
	cancelInfoFields           CancelInfo
	orderSellerWarehouseFields OrderSellerWarehouse
	inventoryRequisitionFields InventoryRequisition
)

// orderWire is an Order as Tiki sends it.
type orderWire struct {
	orderFields
	Code              FlexString                `json:"code"`
	RelationCode      FlexString                `json:"relation_code"`
	IsRMA             FlexBool                  `json:"is_rma"`
	IsVATExporting    FlexBool                  `json:"is_vat_exporting"`
	HasBackorderItems FlexBool                  `json:"has_backorder_items"`
	Invoice           orderInvoiceWire          `json:"invoice"`
	Items             []orderItemWire           `json:"items"`
	Shipping          shippingInfoWire          `json:"shipping"`
	Payment           paymentInfoWire           `json:"payment"`
	Delivery          deliveryConfirmationWire  `json:"delivery"`
	CancelInfo        *cancelInfoWire           `json:"cancel_info"`
	SellerWarehouse   *orderSellerWarehouseWire `json:"seller_warehouse"`
}

// order converts w.
func (w *orderWire) order() Order {
	o := Order(w.orderFields)
	o.Code, o.RelationCode = string(w.Code), string(w.RelationCode)
	o.IsRMA, o.IsVATExporting, o.HasBackorderItems = bool(w.IsRMA), bool(w.IsVATExporting), bool(w.HasBackorderItems)
	o.Invoice = w.Invoice.invoice()
	o.Items = convertRows(w.Items, (*orderItemWire).item)
	o.Shipping = w.Shipping.info()
	o.Payment = w.Payment.info()
	o.Delivery = w.Delivery.confirmation()
	o.CancelInfo = convertPtr(w.CancelInfo, (*cancelInfoWire).info)
	o.SellerWarehouse = convertPtr(w.SellerWarehouse, (*orderSellerWarehouseWire).warehouse)
	return o
}

// convertPtr converts the value p points to; nil stays nil.
func convertPtr[W, T any](p *W, convert func(*W) T) *T {
	if p == nil {
		return nil
	}
	v := convert(p)
	return &v
}

// orderInvoiceWire is an OrderInvoice as Tiki sends it.
type orderInvoiceWire struct {
	orderInvoiceFields
	GiftCardCode FlexString `json:"gift_card_code"`
	CouponCode   FlexString `json:"coupon_code"`
}

func (w *orderInvoiceWire) invoice() OrderInvoice {
	inv := OrderInvoice(w.orderInvoiceFields)
	inv.GiftCardCode, inv.CouponCode = string(w.GiftCardCode), string(w.CouponCode)
	return inv
}

// orderItemWire is an OrderItem as Tiki sends it.
type orderItemWire struct {
	orderItemFields
	Product              orderItemProductWire      `json:"product"`
	Invoice              orderItemInvoiceWire      `json:"invoice"`
	InventoryRequisition *inventoryRequisitionWire `json:"inventory_requisition"`
}

func (w *orderItemWire) item() OrderItem {
	it := OrderItem(w.orderItemFields)
	it.Product = w.Product.product()
	it.Invoice = w.Invoice.invoice()
	it.InventoryRequisition = convertPtr(w.InventoryRequisition, (*inventoryRequisitionWire).requisition)
	return it
}

// orderItemProductWire is an OrderItemProduct as Tiki sends it.
type orderItemProductWire struct {
	orderItemProductFields
	SKU               FlexString `json:"sku"`
	SellerProductCode FlexString `json:"seller_product_code"`
}

func (w *orderItemProductWire) product() OrderItemProduct {
	p := OrderItemProduct(w.orderItemProductFields)
	p.SKU, p.SellerProductCode = string(w.SKU), string(w.SellerProductCode)
	return p
}

// orderItemInvoiceWire is an OrderItemInvoice as Tiki sends it.
type orderItemInvoiceWire struct {
	orderItemInvoiceFields
	IsSellerDiscountCoupon FlexBool `json:"is_seller_discount_coupon"`
	IsTaxable              FlexBool `json:"is_taxable"`
}

func (w *orderItemInvoiceWire) invoice() OrderItemInvoice {
	inv := OrderItemInvoice(w.orderItemInvoiceFields)
	inv.IsSellerDiscountCoupon, inv.IsTaxable = bool(w.IsSellerDiscountCoupon), bool(w.IsTaxable)
	return inv
}

// shippingInfoWire is a ShippingInfo as Tiki sends it.
type shippingInfoWire struct {
	shippingInfoFields
	PartnerID FlexString       `json:"partner_id"`
	Plan      shippingPlanWire `json:"plan"`
}

func (w *shippingInfoWire) info() ShippingInfo {
	s := ShippingInfo(w.shippingInfoFields)
	s.PartnerID = string(w.PartnerID)
	s.Plan = w.Plan.plan()
	return s
}

// shippingPlanWire is a ShippingPlan as Tiki sends it.
type shippingPlanWire struct {
	shippingPlanFields
	IsFreeShipping FlexBool `json:"is_free_shipping"`
}

func (w *shippingPlanWire) plan() ShippingPlan {
	p := ShippingPlan(w.shippingPlanFields)
	p.IsFreeShipping = bool(w.IsFreeShipping)
	return p
}

// paymentInfoWire is a PaymentInfo as Tiki sends it.
type paymentInfoWire struct {
	paymentInfoFields
	IsPrepaid FlexBool `json:"is_prepaid"`
}

func (w *paymentInfoWire) info() PaymentInfo {
	p := PaymentInfo(w.paymentInfoFields)
	p.IsPrepaid = bool(w.IsPrepaid)
	return p
}

// deliveryConfirmationWire is a DeliveryConfirmation as Tiki sends it.
type deliveryConfirmationWire struct {
	deliveryConfirmationFields
	DeliveryConfirmed           FlexBool `json:"delivery_confirmed"`
	DeliveryConfirmedByCustomer FlexBool `json:"delivery_confirmed_by_customer"`
}

func (w *deliveryConfirmationWire) confirmation() DeliveryConfirmation {
	d := DeliveryConfirmation(w.deliveryConfirmationFields)
	d.DeliveryConfirmed, d.DeliveryConfirmedByCustomer = bool(w.DeliveryConfirmed), bool(w.DeliveryConfirmedByCustomer)
	return d
}

// cancelInfoWire is a CancelInfo as Tiki sends it.
type cancelInfoWire struct {
	cancelInfoFields
	ReasonCode FlexString `json:"reason_code"`
}

func (w *cancelInfoWire) info() CancelInfo {
	c := CancelInfo(w.cancelInfoFields)
	c.ReasonCode = string(w.ReasonCode)
	return c
}

// orderSellerWarehouseWire is an OrderSellerWarehouse as Tiki sends it.
type orderSellerWarehouseWire struct {
	orderSellerWarehouseFields
	Active FlexBool `json:"active"`
}

func (w *orderSellerWarehouseWire) warehouse() OrderSellerWarehouse {
	sw := OrderSellerWarehouse(w.orderSellerWarehouseFields)
	sw.Active = bool(w.Active)
	return sw
}

// inventoryRequisitionWire is an InventoryRequisition as Tiki sends it.
type inventoryRequisitionWire struct {
	inventoryRequisitionFields
	IsPrinted FlexBool `json:"is_printed"`
}

func (w *inventoryRequisitionWire) requisition() InventoryRequisition {
	r := InventoryRequisition(w.inventoryRequisitionFields)
	r.IsPrinted = bool(w.IsPrinted)
	return r
}

// decodeWire decodes b into a new W and converts it: the UnmarshalJSON of
// an order's parts.
func decodeWire[W, T any](b []byte, dst *T, convert func(*W) T) error {
	var w W
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*dst = convert(&w)
	return nil
}
