package tikitest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/tikisdk/tiki"
)

// The v2 order as it goes over the wire. These structs are the fake's own
// encoding of Tiki's documented shape, independent of the SDK's types, so
// that the SDK is checked against a separate reading of the documentation.

// v2Money is an amount in VND, written as Tiki writes money: a decimal with
// two places (409000.00).
type v2Money int64

// MarshalJSON writes m with two decimal places.
func (m v2Money) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(m), 10) + ".00"), nil
}

// v2Time is a timestamp written as Tiki does ("2006-01-02 15:04:05",
// Vietnam time), or null when zero.
type v2Time time.Time

// MarshalJSON writes t in Tiki's layout, or null.
func (t v2Time) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(orderTime(time.Time(t)))), nil
}

type v2OrderWire struct {
	ID                int64              `json:"id"`
	Code              string             `json:"code"`
	RelationCode      *string            `json:"relation_code"`
	FulfillmentType   string             `json:"fulfillment_type"`
	Status            string             `json:"status"`
	IsRMA             bool               `json:"is_rma"`
	IsVATExporting    bool               `json:"is_vat_exporting"`
	HasBackorderItems bool               `json:"has_backorder_items"`
	CreatedAt         v2Time             `json:"created_at"`
	UpdatedAt         v2Time             `json:"updated_at"`
	Invoice           v2OrderInvoiceWire `json:"invoice"`
	TikiWarehouse     v2TikiWarehouse    `json:"tiki_warehouse"`
	Items             []v2ItemWire       `json:"items"`
	Shipping          v2ShippingWire     `json:"shipping"`
	Payment           v2PaymentWire      `json:"payment"`
	Delivery          v2DeliveryWire     `json:"delivery"`
	Customer          v2CustomerWire     `json:"customer"`
	InstallmentInfo   *struct{}          `json:"installment_info"`
	CancelInfo        *v2CancelInfoWire  `json:"cancel_info"`
	RMAInfo           *v2RMAInfoWire     `json:"rma_info"`
	StatusHistories   []v2StatusHistory  `json:"status_histories,omitempty"`
	SellerWarehouse   *v2SellerWarehouse `json:"seller_warehouse"`
	Store             v2StoreWire        `json:"store"`
}

type v2OrderInvoiceWire struct {
	ItemsCount                  int            `json:"items_count"`
	ItemsQuantity               int            `json:"items_quantity"`
	Subtotal                    v2Money        `json:"subtotal"`
	GrandTotal                  v2Money        `json:"grand_total"`
	CollectibleAmount           v2Money        `json:"collectible_amount"`
	DiscountAmount              v2Money        `json:"discount_amount"`
	DiscountTikixu              v2Money        `json:"discount_tikixu"`
	DiscountPromotion           v2Money        `json:"discount_promotion"`
	DiscountPercent             v2Money        `json:"discount_percent"`
	DiscountCoupon              v2Money        `json:"discount_coupon"`
	DiscountOther               v2Money        `json:"discount_other"`
	GiftCardAmount              v2Money        `json:"gift_card_amount"`
	GiftCardCode                *string        `json:"gift_card_code"`
	CouponCode                  *string        `json:"coupon_code"`
	ShippingAmountAfterDiscount v2Money        `json:"shipping_amount_after_discount"`
	ShippingDiscountAmount      v2Money        `json:"shipping_discount_amount"`
	HandlingFee                 v2Money        `json:"handling_fee"`
	OtherFee                    v2Money        `json:"other_fee"`
	TotalSellerFee              v2Money        `json:"total_seller_fee"`
	TotalSellerIncome           v2Money        `json:"total_seller_income"`
	PurchasedAt                 v2Time         `json:"purchased_at"`
	TaxInfo                     *v2TaxInfoWire `json:"tax_info"`
}

type v2TaxInfoWire struct {
	Code        string `json:"code"`
	Address     string `json:"address"`
	CompanyName string `json:"company_name"`
}

type v2TikiWarehouse struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
}

type v2ItemWire struct {
	ID                   int64              `json:"id"`
	Product              v2ProductWire      `json:"product"`
	Seller               v2SellerWire       `json:"seller"`
	Confirmation         v2ConfirmationWire `json:"confirmation"`
	ParentItemID         int64              `json:"parent_item_id"`
	IsVirtual            bool               `json:"is_virtual"`
	IsEbook              bool               `json:"is_ebook"`
	IsBookcare           bool               `json:"is_bookcare"`
	IsFreeGift           bool               `json:"is_free_gift"`
	IsFulfilled          bool               `json:"is_fulfilled"`
	FulfilledAt          v2Time             `json:"fulfilled_at"`
	Invoice              v2ItemInvoiceWire  `json:"invoice"`
	InventoryRequisition *struct{}          `json:"inventory_requisition"`
	InventoryWithdrawals []struct{}         `json:"inventory_withdrawals"`
	SellerInventoryID    *int64             `json:"seller_inventory_id"`
	SellerInventoryName  *string            `json:"seller_inventory_name"`
}

type v2ProductWire struct {
	ID                int64    `json:"id"`
	Type              string   `json:"type"`
	SuperID           int64    `json:"super_id"`
	MasterID          int64    `json:"master_id"`
	SKU               string   `json:"sku"`
	Name              string   `json:"name"`
	CatalogGroupName  string   `json:"catalog_group_name"`
	InventoryType     string   `json:"inventory_type"`
	IMEIs             []string `json:"imeis"`
	SerialNumbers     []string `json:"serial_numbers"`
	Thumbnail         string   `json:"thumbnail"`
	SellerProductCode string   `json:"seller_product_code"`
	SupplyMethod      *string  `json:"seller_supply_method"`
}

type v2SellerWire struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type v2ConfirmationWire struct {
	Status              string             `json:"status"`
	ConfirmedAt         v2Time             `json:"confirmed_at"`
	AvailableConfirmSLA v2Time             `json:"available_confirm_sla"`
	PickupConfirmSLA    v2Time             `json:"pickup_confirm_sla"`
	Histories           []v2ConfirmHistory `json:"histories"`
}

type v2ItemInvoiceWire struct {
	Price                  v2Money     `json:"price"`
	Quantity               int         `json:"quantity"`
	Subtotal               v2Money     `json:"subtotal"`
	RowTotal               v2Money     `json:"row_total"`
	DiscountAmount         v2Money     `json:"discount_amount"`
	DiscountTikixu         v2Money     `json:"discount_tikixu"`
	DiscountPromotion      v2Money     `json:"discount_promotion"`
	DiscountPercent        v2Money     `json:"discount_percent"`
	DiscountCoupon         v2Money     `json:"discount_coupon"`
	DiscountOther          v2Money     `json:"discount_other"`
	IsSellerDiscountCoupon bool        `json:"is_seller_discount_coupon"`
	IsTaxable              bool        `json:"is_taxable"`
	SellerFee              v2Money     `json:"seller_fee"`
	SellerIncome           v2Money     `json:"seller_income"`
	Fees                   []v2FeeWire `json:"fees"`
}

type v2FeeWire struct {
	ID             int64   `json:"id"`
	FeeTypeKey     string  `json:"fee_type_key"`
	FeeTypeName    string  `json:"fee_type_name"`
	Status         int     `json:"status"`
	Quantity       int     `json:"quantity"`
	BaseAmount     v2Money `json:"base_amount"`
	TotalAmount    v2Money `json:"total_amount"`
	DiscountAmount v2Money `json:"discount_amount"`
	FinalAmount    v2Money `json:"final_amount"`
}

type v2ShippingWire struct {
	PartnerID    *string         `json:"partner_id"`
	PartnerName  *string         `json:"partner_name"`
	TrackingCode *string         `json:"tracking_code"`
	Status       *string         `json:"status"`
	Plan         v2PlanWire      `json:"plan"`
	Address      v2AddressWire   `json:"address"`
	PickupTime   *v2Time         `json:"expected_pickup_time,omitempty"`
	Shipments    []v2ShipmentLog `json:"cross_border_shipments,omitempty"`
}

type v2PlanWire struct {
	ID                   int64  `json:"id"`
	Name                 string `json:"name"`
	IsFreeShipping       bool   `json:"is_free_shipping"`
	PromisedDeliveryDate v2Time `json:"promised_delivery_date"`
	Description          string `json:"description"`
}

type v2AddressWire struct {
	FullName         string  `json:"full_name"`
	Street           string  `json:"street"`
	Ward             string  `json:"ward"`
	WardTikiCode     string  `json:"ward_tiki_code"`
	District         string  `json:"district"`
	DistrictTikiCode string  `json:"district_tiki_code"`
	Region           string  `json:"region"`
	RegionTikiCode   string  `json:"region_tiki_code"`
	Country          string  `json:"country"`
	CountryID        string  `json:"country_id"`
	Email            *string `json:"email"`
	Phone            string  `json:"phone"`
}

type v2ShipmentLog struct {
	Status     string `json:"status"`
	UpdateTime string `json:"update_time"`
}

type v2PaymentWire struct {
	Method      string `json:"method"`
	IsPrepaid   bool   `json:"is_prepaid"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

type v2DeliveryWire struct {
	DeliveryConfirmed             bool       `json:"delivery_confirmed"`
	DeliveryConfirmedAt           v2Time     `json:"delivery_confirmed_at"`
	DeliveryConfirmedByCustomer   bool       `json:"delivery_confirmed_by_customer"`
	DeliveryConfirmedByCustomerAt v2Time     `json:"delivery_confirmed_by_customer_at"`
	DeliveryNote                  *string    `json:"delivery_note"`
	DeliveryConfirmation          []struct{} `json:"delivery_confirmation"`
}

type v2CustomerWire struct {
	ID       int64  `json:"id"`
	FullName string `json:"full_name"`
}

type v2CancelInfoWire struct {
	ReasonCode string `json:"reason_code"`
	ReasonText string `json:"reason_text"`
	Comment    string `json:"comment"`
	CanceledAt v2Time `json:"canceled_at"`
}

type v2RMAInfoWire struct {
	ID                 int64  `json:"id"`
	WarehouseID        int64  `json:"warehouse_id"`
	OriginalOrderCode  string `json:"original_order_code"`
	ExchangedOrderCode string `json:"exchanged_order_code"`
	Status             string `json:"status"`
	CreatedAt          string `json:"created_at"`
}

type v2SellerWarehouse struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Code          string `json:"code"`
	ContactName   string `json:"contact_name"`
	ContactPhone  string `json:"contact_phone"`
	Street        string `json:"street"`
	Owner         string `json:"owner"`
	WarehouseType string `json:"warehouse_type"`
	RegionCode    string `json:"region_code"`
	RegionName    string `json:"region_name"`
	DistrictCode  string `json:"district_code"`
	DistrictName  string `json:"district_name"`
	WardCode      string `json:"ward_code"`
	WardName      string `json:"ward_name"`
	CountryCode   string `json:"country_code"`
	Active        bool   `json:"active"`
}

type v2StoreWire struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// v2Include is the parsed include parameter.
type v2Include struct {
	statusHistories, fees, confirmationHistories bool
}

// The seller the fake's orders belong to (sellers_me.json).
const (
	v2SellerID   = 328785
	v2SellerName = "Sushi shop"
)

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// itemFees returns the fees Tiki charges the seller on an item: a 5%
// commission on the subtotal (its base_amount is the percentage), rounded
// to whole dong, and a fixed fee of 8000 per unit. Fees are negative.
func itemFees(subtotal int64, qty int) []v2FeeWire {
	commission, fixed := subtotal*5/100, int64(8000*qty)
	return []v2FeeWire{
		{ID: 1, FeeTypeKey: "percent_per_item_sales_value", FeeTypeName: "Chiết khấu", Status: 1, Quantity: 1,
			BaseAmount: 5, TotalAmount: v2Money(-commission), FinalAmount: v2Money(-commission)},
		{ID: 2, FeeTypeKey: "base_fee", FeeTypeName: "Phí cố định", Status: 1, Quantity: qty,
			BaseAmount: 8000, TotalAmount: v2Money(-fixed), FinalAmount: v2Money(-fixed)},
	}
}

// renderOrderV2 returns o in Tiki's v2 order shape. s.mu must be held.
func (s *Server) renderOrderV2(o *v2Order, inc v2Include) v2OrderWire {
	wh := v2TikiWarehouses[o.tikiWarehouse]
	out := v2OrderWire{
		ID: o.id, Code: o.code, RelationCode: strOrNil(o.relationCode), FulfillmentType: o.fulfillment, Status: o.status,
		IsRMA: o.isRMA, IsVATExporting: o.isVAT, CreatedAt: v2Time(o.createdAt), UpdatedAt: v2Time(o.updatedAt),
		TikiWarehouse: v2TikiWarehouse{ID: wh.id, Name: wh.name, Code: o.tikiWarehouse},
		Items:         []v2ItemWire{},
		Customer:      v2CustomerWire{ID: 10000000 + o.id%1000000, FullName: o.customerName},
		Store:         v2StoreWire{ID: v2SellerID, Name: v2SellerName},
	}
	inv := &out.Invoice
	for _, it := range o.items {
		out.HasBackorderItems = out.HasBackorderItems || it.inventory == "backorder"
		subtotal := it.price * int64(it.qty)
		fees := itemFees(subtotal, it.qty)
		var sellerFee int64
		for _, f := range fees {
			sellerFee += int64(f.FinalAmount)
		}
		if !inc.fees {
			fees = []v2FeeWire{}
		}
		histories := []v2ConfirmHistory{}
		if inc.confirmationHistories {
			histories = append(histories, it.confirmHistories...)
		}
		var pickupSLA time.Time
		if o.fulfillment == v2Dropship && !it.sla.IsZero() {
			pickupSLA = it.sla.Add(4 * time.Hour)
		}
		// As Tiki computes it: the seller keeps subtotal + seller_fee (fees
		// are negative) of a fulfilled item, and pays the fees of a canceled
		// one.
		income := subtotal + sellerFee
		if it.confirmation == v2SellerCanceled || o.status == v2Canceled {
			income = sellerFee
		}
		var invID *int64
		var invName *string
		if it.sellerInventoryID != 0 {
			if inv, ok := s.sellerInventory(it.sellerInventoryID); ok {
				invID, invName = &inv.ID, &inv.Name
			}
		}
		out.Items = append(out.Items, v2ItemWire{
			ID: it.id,
			Product: v2ProductWire{ID: it.productID, Type: "simple", MasterID: it.productID - 1, SKU: it.sku, Name: it.name,
				CatalogGroupName: "Nhà Cửa - Đời Sống", InventoryType: it.inventory, IMEIs: []string{}, SerialNumbers: []string{},
				Thumbnail: "https://salt.tikicdn.com/cache/280x280/ts/product/" + it.sku + ".jpg", SellerProductCode: it.code},
			Seller: v2SellerWire{ID: v2SellerID, Name: v2SellerName},
			Confirmation: v2ConfirmationWire{Status: it.confirmation, ConfirmedAt: v2Time(it.confirmedAt),
				AvailableConfirmSLA: v2Time(it.sla), PickupConfirmSLA: v2Time(pickupSLA), Histories: histories},
			IsFulfilled: !o.deliveredAt.IsZero() && it.confirmation != v2SellerCanceled,
			Invoice: v2ItemInvoiceWire{Price: v2Money(it.price), Quantity: it.qty, Subtotal: v2Money(subtotal), RowTotal: v2Money(subtotal),
				SellerFee: v2Money(sellerFee), SellerIncome: v2Money(income), Fees: fees},
			InventoryWithdrawals: []struct{}{},
			SellerInventoryID:    invID,
			SellerInventoryName:  invName,
		})
		inv.TotalSellerFee += v2Money(sellerFee)
		inv.TotalSellerIncome += v2Money(income)
		if it.confirmation == v2SellerCanceled {
			continue
		}
		inv.ItemsCount++
		inv.ItemsQuantity += it.qty
		inv.Subtotal += v2Money(subtotal)
	}
	inv.ShippingAmountAfterDiscount = v2Money(o.shippingFee)
	inv.GrandTotal = inv.Subtotal + inv.ShippingAmountAfterDiscount
	if o.payment == "cod" {
		inv.CollectibleAmount = inv.GrandTotal
	}
	inv.PurchasedAt = v2Time(o.createdAt)
	promised := o.createdAt.In(tiki.Vietnam()).AddDate(0, 0, 3)
	promised = time.Date(promised.Year(), promised.Month(), promised.Day(), 23, 59, 59, 0, tiki.Vietnam())
	out.Shipping = v2ShippingWire{
		Plan: v2PlanWire{ID: 1, Name: "Giao hàng tiêu chuẩn", IsFreeShipping: o.shippingFee == 0, PromisedDeliveryDate: v2Time(promised),
			Description: "Giao vào " + vietnameseWeekdays[promised.Weekday()] + ", " + promised.Format("02/01")},
		Address: v2AddressWire{FullName: o.customerName, Street: "52 Út Tịch", Ward: "Phường 04", WardTikiCode: "VN039011004",
			District: "Quận Tân Bình", DistrictTikiCode: "VN039011", Region: "Hồ Chí Minh", RegionTikiCode: "VN039",
			Country: "Việt Nam", CountryID: "VN"},
	}
	if o.fulfillment == v2SellerDelivery || o.fulfillment == v2CrossBorder {
		// The customer's email and phone go only to sellers who deliver.
		out.Shipping.Address.Email, out.Shipping.Address.Phone = strOrNil("buyer@example.com"), "0901000000"
	}
	if !o.pickupTime.IsZero() {
		t := v2Time(o.pickupTime)
		out.Shipping.PickupTime = &t
	}
	if o.fulfillment == v2TikiDelivery || o.fulfillment == v2Dropship {
		out.Shipping.PartnerID, out.Shipping.PartnerName = strOrNil("TNSL"), strOrNil("TikiNOW Smart Logistics")
	}
	if o.confirmed() {
		out.Shipping.TrackingCode = strOrNil("TIKI" + o.code)
	}
	if !o.deliveredAt.IsZero() {
		out.Shipping.Status = strOrNil("Delivered")
	}
	for _, sh := range o.shipments {
		out.Shipping.Shipments = append(out.Shipping.Shipments, v2ShipmentLog{Status: string(sh.Status), UpdateTime: orderTime(sh.UpdateTime.Time)})
	}
	out.Payment = v2PaymentWire{Method: o.payment, IsPrepaid: o.payment != "cod", Status: "pending", Description: paymentDescriptionV2(o.payment)}
	if out.Payment.IsPrepaid {
		out.Payment.Status = "success"
	}
	out.Delivery = v2DeliveryWire{DeliveryConfirmed: !o.deliveredAt.IsZero(), DeliveryConfirmedAt: v2Time(o.deliveredAt), DeliveryConfirmation: []struct{}{}}
	if n := len(o.deliveries); n > 0 {
		out.Delivery.DeliveryNote = strOrNil(o.deliveries[n-1].Note)
	}
	if o.status == v2Canceled {
		out.CancelInfo = &v2CancelInfoWire{ReasonCode: o.cancelCode, ReasonText: o.cancelReason, CanceledAt: v2Time(o.canceledAt)}
	}
	if o.isRMA {
		out.RMAInfo = &v2RMAInfoWire{ID: 600000 + o.id%100000, WarehouseID: wh.id, OriginalOrderCode: o.relationCode, ExchangedOrderCode: o.code,
			Status: "Đang xử lý", CreatedAt: o.createdAt.In(tiki.Vietnam()).Format(time.DateOnly)}
	}
	if o.isVAT {
		inv.TaxInfo = &v2TaxInfoWire{Code: "0312345678", Address: "52 Út Tịch, Phường 04, Quận Tân Bình, Hồ Chí Minh", CompanyName: "CONG TY TNHH KHACH HANG"}
	}
	if inc.statusHistories {
		out.StatusHistories = append([]v2StatusHistory{}, o.histories...)
	}
	if o.sellerInventoryID != 0 {
		if inv, ok := s.sellerInventory(o.sellerInventoryID); ok {
			out.SellerWarehouse = s.orderSellerWarehouse(inv)
		}
	}
	return out
}

func paymentDescriptionV2(method string) string {
	switch method {
	case "cod":
		return "Thanh toán tiền mặt khi nhận hàng"
	case "cybersource":
		return "Thanh toán bằng thẻ quốc tế Visa, Master, JCB"
	case "momo":
		return "Thanh toán bằng ví MoMo"
	}
	return "Thanh toán " + method
}

// orderSellerWarehouse returns the seller warehouse an order was confirmed
// from, in the flat shape orders carry, from the registered warehouse.
// s.mu must be held.
func (s *Server) orderSellerWarehouse(inv v2InventoryWire) *v2SellerWarehouse {
	out := &v2SellerWarehouse{ID: inv.ID, Name: inv.Name, Code: fmt.Sprintf("WH%09d", inv.ID), Street: inv.Address.Street,
		Owner: "seller", WarehouseType: "pickup", Active: true}
	for i, wh := range s.state.orders.registered {
		if wh.SellerInventoryID != inv.ID {
			continue
		}
		raw := s.state.orders.warehouses[i]
		str := func(k string) string { v, _ := raw[k].(string); return v }
		code := func(k string) (string, string) {
			m, _ := raw[k].(map[string]any)
			c, _ := m["code"].(string)
			n, _ := m["name"].(string)
			return c, n
		}
		out.ContactName, out.ContactPhone = str("contact_name"), str("contact_phone")
		out.RegionCode, out.RegionName = code("region")
		out.DistrictCode, out.DistrictName = code("district")
		out.WardCode, out.WardName = code("ward")
		out.CountryCode, _ = code("country")
		break
	}
	return out
}
