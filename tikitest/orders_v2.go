package tikitest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// Tiki's current order API (v2), as the fake serves it. Orders are keyed by
// code and carry nested invoice, product, confirmation and delivery objects;
// each operation model has its own confirmation endpoint:
//
//	GET  /integration/v2/orders?page=&limit=&code=&sku=&status=&fulfillment_type=
//	     &item_confirmation_status=&item_inventory_type=&is_rma=&include=
//	     &filter_date_by=&created_from_date=&created_to_date=
//	     &updated_from_date=&updated_to_date=&order_by=
//	GET  /integration/v2/orders/{code}?include=
//	POST /integration/v2/orders                                   (mock order)
//	GET  /integration/v2/seller-inventories?tiki_warehouse_codes=
//	POST /integration/v2/orders/{code}/confirm-available          (tiki_delivery, seller_delivery, cross_border)
//	GET  /integration/v2/orders/dropship/expected-pickup-slots
//	POST /integration/v2/orders/{code}/dropship/confirm-available (dropship)
//	GET  /integration/v2/orders/{code}/tiki-delivery/labels?format=
//	GET  /integration/v2/orders/{code}/seller-delivery/labels?format=
//	GET  /integration/v2/orders/{code}/dropship/labels?format=
//	GET  /integration/v2/orders/{code}/cross-border/labels?format=
//	POST /integration/v2/orders/{code}/seller-delivery/update-delivery
//	POST /integration/v2/orders/{code}/cross-border/update-shipment
//	GET  /integration/v2/sellers/me/warehouses?status=&type=&page=&limit=
//
// Without filters the list holds every order, newest first (order_by
// created_at|desc; created_at or updated_at, |asc or |desc). filter_date_by
// (today, last7days, last30days) counts whole days in Vietnam time.
// The set filters of the list (code, sku, status, fulfillment_type,
// item_confirmation_status, item_inventory_type) take one value, a comma
// separated list, "in|a,b" or "nin|a,b"; an item filter (sku,
// item_confirmation_status, item_inventory_type) keeps an order when at
// least one of its items matches; sku matches Tiki's SKU or the seller's
// product code. Unknown parameters are ignored. Dates are "2006-01-02 15:04:05" in
// Vietnam time. include takes status_histories, item.fees and
// item.confirmation_histories: without them status_histories is left out,
// items[].invoice.fees and items[].confirmation.histories are empty.
//
// An order is placed in status queueing. Its items of inventory type
// instock need no confirmation (their confirmation status is confirmed);
// every other item waits for the seller (waiting) until its
// available_confirm_sla: noon the same day for orders placed before 10:00,
// noon the next day otherwise, Vietnam time, on the fake's clock. A
// confirmation sets the confirmed items to seller_confirmed and the items
// left out to seller_canceled; an order left without items is canceled. The
// order stays queueing after a confirmation, as on Tiki (a dropship order
// moves to picking), until Tiki (or a test, with SetOrderStatus) moves
// it, a seller-delivery outcome or the last cross-border shipment step
// completes it, or a delivery failure cancels it. A redelivery appointment
// must not be in the past; cross-border shipment steps go forward only.
// Every status change is sent as a TikiNOW order webhook when one is
// registered, and reported to orderEvent.
//
// Refusals use Tiki's {"errors": [...]} shape: 400 for a malformed or
// incomplete request, 404 for an unknown order, 422 for a request that
// conflicts with the order (wrong operation model, already confirmed, past
// the SLA, an item or seller inventory that does not belong to it, a pickup
// time that is not offered).

// Fulfillment types (operation models) of v2 orders.
const (
	v2TikiDelivery   = "tiki_delivery"
	v2SellerDelivery = "seller_delivery"
	v2CrossBorder    = "cross_border"
	v2Dropship       = "dropship"
)

// Item confirmation statuses of v2 orders.
const (
	v2Waiting         = "waiting"
	v2SellerConfirmed = "seller_confirmed"
	v2SellerCanceled  = "seller_canceled"
	v2Confirmed       = "confirmed"
)

// Order statuses the fake moves v2 orders through on its own.
const (
	v2Queueing           = "queueing"
	v2Canceled           = "canceled"
	v2SuccessfulDelivery = "successful_delivery"
)

// Cancel reason codes of v2 orders (cancel_info.reason_code).
const (
	v2CancelNoLongerNeeded = "201"
	v2CancelOutOfStock     = "1013"
)

// cancelReasonsV2 are the texts of the cancel reasons.
var cancelReasonsV2 = map[string]string{
	v2CancelNoLongerNeeded: "Không còn nhu cầu",
	v2CancelOutOfStock:     "Nhà bán hết hàng",
}

// v2Statuses are the order statuses Tiki documents for v2 orders;
// SetOrderStatus accepts these.
var v2Statuses = []string{
	"queueing", "canceled", "complete", "successful_delivery", "processing", "waiting_payment",
	"handover_to_partner", "closed", "packaging", "picking", "shipping", "paid", "delivered", "holded",
	"ready_to_ship", "payment_review", "returned", "finished_packing",
}

// v2InventoryTypes are the inventory types of v2 order items.
var v2InventoryTypes = []string{"instock", "backorder", "seller_backorder", "cross_border", "dropship"}

// v2ShipmentSteps are the cross-border shipment statuses, in the order a
// parcel goes through them.
var v2ShipmentSteps = []string{
	"transferring_to_foreign_warehouses", "has_come_to_foreign_warehouses", "rotating_to_vietnam",
	"customs_clearance", "customs_clearance_complete", "item_arrived_in_vietnam", "ready_for_delivery",
	"on_delivery", "successful_delivery",
}

// v2FailureCauses are the documented causes of a failed seller delivery;
// the value says whether the cause cancels the order.
var v2FailureCauses = map[string]bool{"out_of_needs": true, "out_of_stock": true, "redelivery_appointment": false}

// v2Labels maps the label path segment to the fulfillment type it serves,
// what the label is called and the keys of the label URLs in the JSON
// answer (as the v1 labels and the dropship shipping stamp name them).
var v2Labels = map[string]struct {
	fulfillment, title string
	keys               []string
}{
	"tiki-delivery":   {v2TikiDelivery, "Shipping label", []string{"shipping_label_url"}},
	"seller-delivery": {v2SellerDelivery, "Invoice", []string{"invoice_label_url"}},
	"dropship":        {v2Dropship, "Shipping stamp", []string{"shipping_label_url", "shipping_stamp_url"}},
	"cross-border":    {v2CrossBorder, "Cross-border label", []string{"shipping_label_url"}},
}

// v2TikiWarehouses are Tiki's warehouses an order can be routed to (the
// ids and codes of the seller warehouse registrations).
var v2TikiWarehouses = map[string]struct {
	id   int64
	name string
}{
	"hn": {2, "Hà Nội"}, "sgn": {4, "Sài Gòn"}, "ct": {6, "Cần Thơ"}, "hp": {8, "Hải Phòng"},
}

// orderV2State is the fake's model of the seller's v2 orders. Guarded by
// Server.mu.
type orderV2State struct {
	orders     map[string]*v2Order
	seq        int64
	itemSeq    int64
	historySeq int64
	labels     map[string]v2LabelKey // label file name -> label
	files      map[v2LabelKey]string // label -> file name
}

type v2LabelKey struct{ code, kind string }

type v2Order struct {
	id                int64
	code, ref         string
	relationCode      string
	fulfillment       string
	status            string
	isRMA, isVAT      bool
	tikiWarehouse     string
	sellerInventoryID int64
	payment           string
	shippingFee       int64
	customerName      string
	createdAt         time.Time
	updatedAt         time.Time
	pickupTime        time.Time
	cancelCode        string
	cancelReason      string
	canceledAt        time.Time
	deliveredAt       time.Time
	items             []*v2Item
	histories         []v2StatusHistory
	deliveries        []tiki.SellerDeliveryUpdate
	shipments         []tiki.ShipmentUpdate
}

type v2Item struct {
	id, productID     int64
	sku, code, name   string
	inventory         string
	price             int64
	qty               int
	confirmation      string
	sla               time.Time
	confirmedAt       time.Time
	confirmHistories  []v2ConfirmHistory
	sellerInventoryID int64
}

type v2StatusHistory struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

type v2ConfirmHistory struct {
	ConfirmedAt    v2Time `json:"confirmed_at"`
	OrderItemID    int64  `json:"order_item_id"`
	SLAConfirmedAt v2Time `json:"sla_confirmed_at"`
	Status         string `json:"status"`
}

func (s *Server) initOrdersV2() {
	st := &s.state.ordersV2
	st.orders = map[string]*v2Order{}
	st.labels = map[string]v2LabelKey{}
	st.files = map[v2LabelKey]string{}
}

// orderV2Routes registers the v2 order endpoints and the seller's v2
// warehouses.
func (s *Server) orderV2Routes(api apiFunc) {
	const base = "/integration/v2"
	api("GET "+base+"/orders", s.listOrdersV2)
	api("POST "+base+"/orders", s.createMockOrderV2)
	api("GET "+base+"/orders/{code}", s.getOrderV2)
	api("GET "+base+"/seller-inventories", s.sellerInventoriesV2)
	api("POST "+base+"/orders/{code}/confirm-available", s.confirmAvailableV2)
	api("GET "+base+"/orders/dropship/expected-pickup-slots", s.pickupSlotsV2)
	api("POST "+base+"/orders/{code}/dropship/confirm-available", s.confirmDropshipV2)
	for kind := range v2Labels {
		api("GET "+base+"/orders/{code}/"+kind+"/labels", s.labelV2(kind))
	}
	api("POST "+base+"/orders/{code}/seller-delivery/update-delivery", s.updateDeliveryV2)
	api("POST "+base+"/orders/{code}/cross-border/update-shipment", s.updateShipmentV2)
	api("GET "+base+"/sellers/me/warehouses", s.sellerWarehousesV2)
}

// orderEvent reports that a v2 order was created (created true, status
// queueing) or moved to status, to the event queue: ORDER_CREATED_SUCCESSFULLY
// or ORDER_STATUS_UPDATED. It is called with s.mu held, once per change, in
// the order the changes happen.
func (s *Server) orderEvent(code, status string, created bool) {
	if created {
		s.publishOrderCreated(code, status)
		return
	}
	s.publishOrderStatus(code, status)
}

// --- Go API for tests -------------------------------------------------

// OrderSpec describes an order of Tiki's current order API (v2) a
// customer places, for Server.CreateOrder. Zero fields take defaults.
type OrderSpec struct {
	// FulfillmentType is the operation model: tiki.FulfillmentTikiDelivery
	// (the default), tiki.FulfillmentSellerDelivery,
	// tiki.FulfillmentCrossBorder or tiki.FulfillmentDropship.
	FulfillmentType tiki.FulfillmentType
	// TikiWarehouse is the code of the Tiki warehouse the order is routed
	// to: hn (the default), sgn, ct or hp.
	TikiWarehouse string
	// PaymentMethod defaults to tiki.PaymentCOD.
	PaymentMethod tiki.PaymentMethod
	// Items default to one item. Items are built from the seller's
	// products the fake holds (see Server.SeedProduct): an item without a
	// seller product code takes the product at its position (cycling),
	// and an item whose code is a product's original SKU takes that
	// product's id, Tiki SKU and, when empty, its name and price. Other
	// empty names or seller product codes, zero prices or quantities get
	// defaults, and an empty inventory type is tiki.InventoryBackorder (as
	// Tiki sends for the items a seller confirms, in every operation
	// model).
	Items []OrderItemSpec
	// RelationCode is the code of the order this one relates to (empty by
	// default).
	RelationCode string
	// IsRMA marks a return or replacement order; IsVATExporting an order
	// whose customer asked for a VAT invoice.
	IsRMA, IsVATExporting bool
	// CreatedAt defaults to the fake's clock.
	CreatedAt time.Time
}

// OrderItemSpec is an item of an OrderSpec.
type OrderItemSpec struct {
	// SellerProductCode is the seller's own code of the product (its
	// original SKU).
	SellerProductCode string
	// Name is the product name.
	Name string
	// Price is the unit price.
	Price tiki.Money
	// Quantity is how many units were bought.
	Quantity int
	// InventoryType is tiki.InventoryBackorder (the default),
	// tiki.InventoryInstock (fulfilled by Tiki: no confirmation needed),
	// tiki.InventorySellerBackorder, tiki.InventoryCrossBorder or
	// tiki.InventoryDropship.
	InventoryType tiki.InventoryType
}

// CreateOrder places an order of Tiki's current order API (v2) in status
// queueing, as if a customer had bought from the seller, emits its order
// webhook and event, and returns the order as client.Orders.Get returns it
// with every include. A spec with an unknown fulfillment type, Tiki
// warehouse or inventory type, or a negative price or quantity, is refused
// with a *tiki.ValidationError listing every problem.
func (s *Server) CreateOrder(spec OrderSpec) (tiki.Order, error) {
	req := v2MockOrder{
		FulfillmentType: string(spec.FulfillmentType), TikiWarehouseCode: spec.TikiWarehouse,
		PaymentMethod: string(spec.PaymentMethod), RelationCode: spec.RelationCode,
		IsRMA: spec.IsRMA, IsVATExporting: spec.IsVATExporting,
	}
	for _, it := range spec.Items {
		req.Items = append(req.Items, v2MockItem{SellerProductCode: it.SellerProductCode, Name: it.Name,
			Price: int64(it.Price), Quantity: it.Quantity, InventoryType: string(it.InventoryType)})
	}
	if len(req.Items) == 0 {
		req.Items = []v2MockItem{{}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.itemsFromProductsV2(req.Items)
	req.defaults()
	if err := req.check().err(); err != nil {
		return tiki.Order{}, err
	}
	created := spec.CreatedAt
	if created.IsZero() {
		created = s.cfg.now()
	}
	return s.orderModel(s.placeOrderV2(req, created)), nil
}

// Order returns an order of Tiki's current order API (v2) as
// client.Orders.Get returns it with every include, and whether the fake
// holds it.
func (s *Server) Order(code string) (tiki.Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.state.ordersV2.orders[code]
	if o == nil {
		return tiki.Order{}, false
	}
	return s.orderModel(o), true
}

// SetOrderStatus moves an order of Tiki's current order API (v2) to status
// as Tiki does on its own (for example tiki.OrderStatusPackaging,
// tiki.OrderStatusShipping or tiki.OrderStatusSuccessfulDelivery for a
// Tiki-delivery order, or tiki.OrderStatusCanceled when the customer
// cancels), and emits the order webhook and event. A status Tiki does not
// document for v2 orders is refused with a *tiki.ValidationError; an
// order the fake does not hold is an error wrapping tiki.ErrNotFound.
func (s *Server) SetOrderStatus(code string, status tiki.OrderStatus) error {
	status = status.Canonical()
	if !slices.Contains(v2Statuses, string(status)) {
		var bad problems
		bad.add("status", fmt.Sprintf("must be one of %s, not %q", strings.Join(v2Statuses, ", "), status))
		return bad.err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.state.ordersV2.orders[code]
	if o == nil {
		return notFound("order %q", code)
	}
	now := s.cfg.now()
	switch status {
	case tiki.OrderStatusSuccessfulDelivery, tiki.OrderStatusComplete, tiki.OrderStatusDelivered:
		if o.deliveredAt.IsZero() {
			o.deliveredAt = now.Truncate(time.Second)
		}
	case tiki.OrderStatusCanceled:
		if o.cancelCode == "" {
			o.cancelCode, o.cancelReason = v2CancelNoLongerNeeded, cancelReasonsV2[v2CancelNoLongerNeeded]
		}
		o.canceledAt = now.Truncate(time.Second)
	}
	s.changeOrderV2(now, o, string(status))
	return nil
}

// SellerDeliveryUpdates returns the outcomes of a seller delivery reported
// for an order of Tiki's current order API (v2) with
// client.Orders.UpdateSellerDelivery, oldest first.
func (s *Server) SellerDeliveryUpdates(code string) []tiki.SellerDeliveryUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.state.ordersV2.orders[code]; o != nil {
		return slices.Clone(o.deliveries)
	}
	return nil
}

// ShipmentUpdates returns the steps of a cross-border shipment reported
// for an order of Tiki's current order API (v2) with
// client.Orders.UpdateCrossBorderShipment, oldest first.
func (s *Server) ShipmentUpdates(code string) []tiki.ShipmentUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.state.ordersV2.orders[code]; o != nil {
		return slices.Clone(o.shipments)
	}
	return nil
}

// --- model ------------------------------------------------------------

// placeOrderV2 stores a new queueing order built from a checked request
// and reports it. s.mu must be held.
func (s *Server) placeOrderV2(req v2MockOrder, created time.Time) *v2Order {
	st := &s.state.ordersV2
	created = created.Truncate(time.Second)
	st.seq++
	o := &v2Order{
		id:            100000000 + st.seq,
		code:          strconv.FormatInt(300000000+st.seq, 10),
		relationCode:  req.RelationCode,
		fulfillment:   req.FulfillmentType,
		status:        v2Queueing,
		isRMA:         req.IsRMA,
		isVAT:         req.IsVATExporting,
		tikiWarehouse: req.TikiWarehouseCode,
		payment:       req.PaymentMethod,
		shippingFee:   req.ShippingFee,
		customerName:  req.CustomerName,
		createdAt:     created,
		updatedAt:     created,
	}
	o.ref = "SO-" + created.In(tiki.Vietnam()).Format("20060102") + "-" + o.code
	sla := confirmDeadline(created)
	products := &s.state.orders.products // shared with v1: one catalogue of ids per seller product code
	for _, it := range req.Items {
		ids, ok := s.productIDs(it.SellerProductCode)
		if !ok {
			ids, ok = (*products)[it.SellerProductCode]
		}
		if !ok {
			n := int64(len(*products)) + 1
			ids = [2]int64{2000000 + n, 9900000000000 + n}
			(*products)[it.SellerProductCode] = ids
		}
		st.itemSeq++
		item := &v2Item{
			id: 200000000 + st.itemSeq, productID: ids[0], sku: strconv.FormatInt(ids[1], 10), code: it.SellerProductCode,
			name: it.Name, inventory: it.InventoryType, price: it.Price, qty: it.Quantity, confirmation: v2Waiting, sla: sla,
		}
		if item.inventory == "instock" {
			item.confirmation, item.sla = v2Confirmed, time.Time{}
		}
		item.confirmHistories = []v2ConfirmHistory{{OrderItemID: item.id, SLAConfirmedAt: v2Time(item.sla), Status: item.confirmation}}
		o.items = append(o.items, item)
	}
	st.orders[o.code] = o
	s.reserveOrder(o)
	o.histories = append(o.histories, v2StatusHistory{ID: s.nextHistoryID(), Status: v2Queueing, CreatedAt: orderTime(created)})
	s.emitOrderV2(created, o, true)
	return o
}

// changeOrderV2 moves o to status at time at, records the change and
// reports it. s.mu must be held.
func (s *Server) changeOrderV2(at time.Time, o *v2Order, status string) {
	at = at.Truncate(time.Second)
	o.status = status
	if at.After(o.updatedAt) {
		o.updatedAt = at
	}
	o.histories = append(o.histories, v2StatusHistory{ID: s.nextHistoryID(), Status: status, CreatedAt: orderTime(at)})
	s.settleOrder(o)
	s.emitOrderV2(at, o, false)
}

// nextHistoryID numbers status history entries. s.mu must be held.
func (s *Server) nextHistoryID() int64 {
	s.state.ordersV2.historySeq++
	return 2100000000 + s.state.ordersV2.historySeq
}

// touchOrderV2 records a change of o that keeps its status. s.mu must be
// held.
func touchOrderV2(at time.Time, o *v2Order) {
	if at = at.Truncate(time.Second); at.After(o.updatedAt) {
		o.updatedAt = at
	}
}

// emitOrderV2 sends the TikiNOW order webhook and the order event of a new
// or changed order, unless they are lost (LoseOrderNotifications). s.mu
// must be held.
func (s *Server) emitOrderV2(at time.Time, o *v2Order, created bool) {
	if s.loseOrderChange(at, o, created) {
		return
	}
	s.emit("order", map[string]any{"order_code": o.code, "ref_code": o.ref, "main_state": o.status})
	s.orderEvent(o.code, o.status, created)
}

// waitingItems returns the items of o waiting for the seller's
// confirmation.
func (o *v2Order) waitingItems() []*v2Item {
	var out []*v2Item
	for _, it := range o.items {
		if it.confirmation == v2Waiting {
			out = append(out, it)
		}
	}
	return out
}

// confirmed reports whether no item of o waits for confirmation and
// at least one item is to be delivered.
func (o *v2Order) confirmed() bool {
	kept := false
	for _, it := range o.items {
		switch it.confirmation {
		case v2Waiting:
			return false
		case v2SellerConfirmed, v2Confirmed:
			kept = true
		}
	}
	return kept
}

// orderModel returns o as client.Orders.Get returns it with every
// include: the fake's answer, decoded by the client's decoder (the
// package's tests check that every order the fake renders decodes; were
// one not to, its code, status, operation model and raw form would still
// be there). s.mu must be held.
func (s *Server) orderModel(o *v2Order) tiki.Order {
	var out tiki.Order
	b, err := json.Marshal(s.renderOrderV2(o, v2Include{statusHistories: true, fees: true, confirmationHistories: true}))
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return tiki.Order{Code: o.code, Status: tiki.OrderStatus(o.status), FulfillmentType: tiki.FulfillmentType(o.fulfillment), Raw: b}
	}
	return out
}
