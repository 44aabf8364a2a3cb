package tikitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// The order side of the fake: the seller's account and warehouses, and
// Tiki's 2019 order API (v1, api-docs 003), served only under /v1: mock
// orders as on Tiki's sandbox and the fulfilment of orders through the v1
// order endpoints. Tiki's current order API (v2) is a different API with
// its own shapes: see orders_v2.go.
//
//	GET  /integration/v2/sellers/me
//	GET  /integration/v1/warehouses?warehouse_id=&warehouse_code=
//	POST /integration/v1/orders                      (mock order)
//	GET  /integration/v1/orders?status=&...&page=&limit=
//	GET  /integration/v1/orders/{order_code}
//	POST /integration/v1/orders/confirmItems
//	POST /integration/v1/orders/confirmDelivery
//	POST /integration/v1/orders/updateDeliveryStatus
//	GET  /integration/v1/orders/{order_code}/print?label=&format=
//	GET  /ts/print/{file}                            (a printed label, v1 or v2)
//
// An order moves queueing -> seller_confirmed (some items confirmed) or
// seller_canceled (none) with confirmItems; a seller-delivery order then
// moves to complete or canceled with confirmDelivery. Every change is sent
// as a TikiNOW order webhook when one is registered. Requests that break
// Tiki's rules are answered with {"errors": [...]}: 400 for a request that
// is incomplete or malformed, 404 for an unknown order, 422 for a request
// that conflicts with the order's state or the seller's data.
//
// Tiki's label URLs are public links on its CDN; the fake serves its own
// under its host, as public links too.

// orderWindow is how far back the order list reaches.
const orderWindow = 30 * 24 * time.Hour

// confirmationSellerCanceled is the confirmation status the fake gives to
// items left out of a confirmation. Tiki documents no value for them.
const confirmationSellerCanceled tiki.ConfirmationStatus = "seller_canceled"

// orderState is the fake's model of the seller's account, warehouses and
// orders. Every field is guarded by Server.mu; seller and warehouses are
// read-only after initOrders.
type orderState struct {
	seller     json.RawMessage
	warehouses []map[string]any       // as documented, for the warehouses endpoint
	registered []tiki.SellerWarehouse // the same, decoded, for confirmations
	orders     map[string]*fakeOrder
	seq        int64                      // orders placed
	itemSeq    int64                      // items placed
	products   map[string][2]int64        // original SKU -> product id, Tiki SKU
	labels     map[string]orderLabel      // file name -> label
	labelFiles map[orderLabel]string      // label -> file name
	updates    map[string][]deliveryStep  // order code -> delivery steps
	histories  map[string][]statusHistory // order code -> status changes
}

type fakeOrder struct {
	code, refCode     string
	status            tiki.OrderStatus
	fulfillment       tiki.FulfillmentType
	payment           tiki.PaymentMethod
	couponCode        string
	discountCoupon    int64
	discountTikiPoint int64
	shipping          tiki.ShippingV1
	tax               tiki.TaxV1
	note              string
	warehouseID       int64
	createdAt         time.Time
	updatedAt         time.Time
	deliveredAt       time.Time
	items             []*fakeItem
}

type fakeItem struct {
	id, productID     int64
	name, sku, origin string
	qty               int
	price             int64
	inventory         tiki.InventoryType
	confirmation      tiki.ConfirmationStatus
	confirmedAt       time.Time
	deadline          time.Time
	warehouseCode     string
}

type deliveryStep = tiki.UpdateDeliveryStatusRequest

type statusHistory struct {
	Status    tiki.OrderStatus `json:"status"`
	Substate  string           `json:"substate,omitempty"`
	CreatedAt string           `json:"created_at"`
}

// orderLabel names a printable label of an order.
type orderLabel struct {
	code   string
	label  tiki.LabelType
	format tiki.LabelFormat
}

func (s *Server) initOrders() {
	read := func(name string) []byte {
		b, err := data.ReadFile("data/" + name)
		if err != nil {
			panic("tikitest: missing embedded " + name) // a build defect, caught by the package's tests
		}
		return b
	}
	st := &s.state.orders
	st.seller = read("sellers_me.json")
	raw := read("seller_warehouses.json")
	if json.Unmarshal(raw, &st.warehouses) != nil || json.Unmarshal(raw, &st.registered) != nil {
		panic("tikitest: bad embedded seller_warehouses.json")
	}
	st.orders = map[string]*fakeOrder{}
	st.products = map[string][2]int64{}
	st.labels = map[string]orderLabel{}
	st.labelFiles = map[orderLabel]string{}
	st.updates = map[string][]deliveryStep{}
	st.histories = map[string][]statusHistory{}
}

// orderRoutes registers the seller, warehouse and order endpoints: v1
// under /v1, v2 under /v2.
func (s *Server) orderRoutes(api apiFunc) {
	api("GET /integration/v2/sellers/me", s.sellerMe)
	const base = "/integration/v1"
	api("GET "+base+"/warehouses", s.sellerWarehouses)
	api("POST "+base+"/orders", s.createMockOrder)
	api("GET "+base+"/orders", s.listOrders)
	api("GET "+base+"/orders/{order_code}", s.getOrder)
	api("POST "+base+"/orders/confirmItems", s.confirmItems)
	api("POST "+base+"/orders/confirmDelivery", s.confirmDelivery)
	api("POST "+base+"/orders/updateDeliveryStatus", s.updateDeliveryStatus)
	api("GET "+base+"/orders/{order_code}/print", s.printLabel)
	s.orderV2Routes(api)
	// The printed label itself is public, like Tiki's CDN links: see routes.
}

// --- Go API for tests -------------------------------------------------

// OrderSpecV1 describes an order of Tiki's 2019 order API (v1) a customer
// places, for Server.CreateOrderV1. Zero fields take defaults.
type OrderSpecV1 struct {
	// FulfillmentType defaults to tiki.FulfillmentSellerDelivery.
	FulfillmentType tiki.FulfillmentType
	// PaymentMethod defaults to tiki.PaymentCOD.
	PaymentMethod tiki.PaymentMethod
	// Items default to one item. Items are built from the seller's
	// products the fake holds (see Server.SeedProduct): an item without an
	// original SKU takes the product at its position (cycling), and an
	// item whose original SKU is a product's takes that product's id, Tiki
	// SKU and, when empty, its name and price. Other empty names or SKUs,
	// zero prices or quantities and empty inventory types get defaults
	// (the inventory type follows the fulfillment type).
	Items []tiki.MockOrderItem
	// CreatedAt defaults to the fake's clock; set it in the past to place
	// an order the 30-day order list no longer reaches.
	CreatedAt time.Time
}

// CreateOrderV1 places an order of Tiki's 2019 order API (v1) in status
// queueing, as if a customer had bought from the seller, emits its order
// webhook and returns the order as GET /integration/v1/orders/{code}
// answers it, decoded as the client decodes it. A spec the v1 mock order
// endpoint would refuse (an unknown fulfillment or inventory type, a
// negative price or quantity, discounts above the total) is refused with a
// *tiki.ValidationError listing every problem.
func (s *Server) CreateOrderV1(spec OrderSpecV1) (tiki.OrderV1, error) {
	req := tiki.MockOrderRequest{FulfillmentType: spec.FulfillmentType, PaymentMethod: spec.PaymentMethod, Items: slices.Clone(spec.Items)}
	if req.FulfillmentType == "" {
		req.FulfillmentType = tiki.FulfillmentSellerDelivery
	}
	if req.PaymentMethod == "" {
		req.PaymentMethod = tiki.PaymentCOD
	}
	if len(req.Items) == 0 {
		req.Items = []tiki.MockOrderItem{{}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range req.Items {
		it := &req.Items[i]
		if p := s.orderProduct(i, it.OriginalSKU); p != nil {
			it.OriginalSKU = p.originalSKU
			if it.ProductName == "" {
				it.ProductName = p.name
			}
			if it.Price == 0 {
				it.Price = tiki.Money(p.price)
			}
		}
		if it.ProductName == "" {
			it.ProductName = fmt.Sprintf("Sản phẩm %d", i+1)
		}
		if it.OriginalSKU == "" {
			it.OriginalSKU = fmt.Sprintf("SKU-%d", i+1)
		}
		if it.Price == 0 {
			it.Price = 100000
		}
		if it.Qty == 0 {
			it.Qty = 1
		}
		if it.InventoryType == "" {
			it.InventoryType = defaultInventory(req.FulfillmentType)
		}
	}
	if err := checkMockOrderV1(req).err(); err != nil {
		return tiki.OrderV1{}, err
	}
	created := spec.CreatedAt
	if created.IsZero() {
		created = s.cfg.now()
	}
	return s.orderModelV1(s.placeOrder(req, created)), nil
}

// OrderV1 returns an order of Tiki's 2019 order API (v1) as
// GET /integration/v1/orders/{code} answers it, decoded as the client
// decodes it, and whether the fake holds it.
func (s *Server) OrderV1(code string) (tiki.OrderV1, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.state.orders.orders[code]
	if o == nil {
		return tiki.OrderV1{}, false
	}
	return s.orderModelV1(o), true
}

// SetOrderStatusV1 moves an order of Tiki's 2019 order API (v1) to status
// as Tiki does on its own (for example tiki.OrderStatusSuccessfulDelivery
// once Tiki delivered a Tiki-delivery order, or tiki.OrderStatusCanceled
// when the customer cancels) and emits the order webhook. A status the v1
// API does not know is refused with a *tiki.ValidationError; an order the
// fake does not hold is an error wrapping tiki.ErrNotFound.
func (s *Server) SetOrderStatusV1(code string, status tiki.OrderStatus) error {
	status = status.Canonical()
	if !slices.Contains(orderStatusesV1, status) {
		var bad problems
		bad.add("status", fmt.Sprintf("must be one of %s, not %q", joinValues(orderStatusesV1), status))
		return bad.err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.state.orders.orders[code]
	if o == nil {
		return notFound("order %q", code)
	}
	now := s.cfg.now()
	if (status == tiki.OrderStatusComplete || status == tiki.OrderStatusSuccessfulDelivery) && o.deliveredAt.IsZero() {
		o.deliveredAt = now
	}
	s.changeOrder(o, status, "", "", "")
	return nil
}

// DeliveryUpdatesV1 returns the delivery steps reported for an order of
// Tiki's 2019 order API (v1) with updateDeliveryStatus, oldest first.
func (s *Server) DeliveryUpdatesV1(code string) []tiki.UpdateDeliveryStatusRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state.orders.updates[code])
}

// --- model ------------------------------------------------------------

func defaultInventory(ft tiki.FulfillmentType) tiki.InventoryType {
	switch ft {
	case tiki.FulfillmentSellerDelivery:
		return tiki.InventorySellerBackorder
	case tiki.FulfillmentTikiDelivery:
		return tiki.InventoryBackorder
	case tiki.FulfillmentDropship:
		return tiki.InventoryDropShip
	case tiki.FulfillmentCrossBorder:
		return tiki.InventoryCrossBorder
	}
	return tiki.InventoryInstock
}

// orderStatusesV1 are the statuses SetOrderStatusV1 accepts.
var orderStatusesV1 = []tiki.OrderStatus{
	tiki.OrderStatusQueueing, tiki.OrderStatusSellerConfirmed, tiki.OrderStatusSellerCanceled,
	tiki.OrderStatusComplete, tiki.OrderStatusCanceled, tiki.OrderStatusSuccessfulDelivery,
	tiki.OrderStatusProcessing, tiki.OrderStatusWaitingPayment,
}

// joinValues lists enumeration values for an error message.
func joinValues[E ~string](values []E) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

func knownFulfillment(ft tiki.FulfillmentType) bool {
	switch ft {
	case tiki.FulfillmentSellerDelivery, tiki.FulfillmentCrossBorder, tiki.FulfillmentDropship, tiki.FulfillmentTikiDelivery:
		return true
	}
	return false
}

// confirmDeadline is when the items of an order placed at created must be
// confirmed: noon the same day for orders placed before 10:00, noon the
// next day otherwise (Vietnam time), as in Tiki's examples.
func confirmDeadline(created time.Time) time.Time {
	t := created.In(tiki.Vietnam())
	noon := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, tiki.Vietnam())
	if t.Hour() >= 10 {
		noon = noon.AddDate(0, 0, 1)
	}
	return noon
}

var vietnameseWeekdays = [...]string{"Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"}

// placeOrder stores a new queueing order built from a valid request and
// emits its webhook. s.mu must be held.
func (s *Server) placeOrder(req tiki.MockOrderRequest, created time.Time) *fakeOrder {
	st := &s.state.orders
	created = created.Truncate(time.Second)
	st.seq++
	o := &fakeOrder{
		code:              strconv.FormatInt(800000000+st.seq, 10),
		status:            tiki.OrderStatusQueueing,
		fulfillment:       req.FulfillmentType,
		payment:           req.PaymentMethod,
		couponCode:        req.CouponCode,
		discountCoupon:    int64(req.DiscountCoupon),
		discountTikiPoint: int64(req.DiscountTikiPoint),
		note:              req.Note,
		createdAt:         created,
		updatedAt:         created,
	}
	o.refCode = "SO-" + created.In(tiki.Vietnam()).Format("20060102") + "-" + o.code
	if req.Shipping != nil {
		o.shipping = *req.Shipping
	} else {
		o.shipping = tiki.ShippingV1{Name: "Nguyễn Văn A", Street: "52 Út Tịch", Ward: "Phường 04", City: "Quận Tân Bình",
			Region: "Hồ Chí Minh", Country: "VN", Phone: "0901000000", Email: "buyer@example.com"}
	}
	if o.shipping.EstimateDescription == "" {
		d := created.In(tiki.Vietnam()).AddDate(0, 0, 2)
		o.shipping.EstimateDescription = "Dự kiến giao hàng vào " + vietnameseWeekdays[d.Weekday()] + ", " + d.Format("02/01/2006")
	}
	if req.Tax != nil {
		o.tax = *req.Tax
	}
	deadline := confirmDeadline(created)
	for _, it := range req.Items {
		ids, ok := s.productIDs(it.OriginalSKU)
		if !ok {
			ids, ok = st.products[it.OriginalSKU]
		}
		if !ok {
			n := int64(len(st.products)) + 1
			ids = [2]int64{2000000 + n, 9900000000000 + n}
			st.products[it.OriginalSKU] = ids
		}
		st.itemSeq++
		o.items = append(o.items, &fakeItem{
			id: 90000000 + st.itemSeq, productID: ids[0], sku: strconv.FormatInt(ids[1], 10),
			name: it.ProductName, origin: it.OriginalSKU, qty: it.Qty, price: int64(it.Price),
			inventory: it.InventoryType, confirmation: tiki.ConfirmationWaiting, deadline: deadline,
		})
	}
	st.orders[o.code] = o
	s.changeOrderAt(created, o, tiki.OrderStatusQueueing, "", "", "")
	return o
}

// changeOrder moves o to status at the fake's clock, records the change
// and emits the order webhook. s.mu must be held.
func (s *Server) changeOrder(o *fakeOrder, status tiki.OrderStatus, substate, reasonCode, reason string) {
	s.changeOrderAt(s.cfg.now(), o, status, substate, reasonCode, reason)
}

// changeOrderAt is changeOrder at a given time.
func (s *Server) changeOrderAt(at time.Time, o *fakeOrder, status tiki.OrderStatus, substate, reasonCode, reason string) {
	at = at.Truncate(time.Second)
	o.status = status
	if at.After(o.updatedAt) {
		o.updatedAt = at
	}
	st := &s.state.orders
	st.histories[o.code] = append(st.histories[o.code], statusHistory{Status: status, Substate: substate, CreatedAt: orderTime(at)})
	event := map[string]any{"order_code": o.code, "ref_code": o.refCode, "main_state": string(status)}
	if substate != "" {
		event["main_substate"] = substate
	}
	if reasonCode != "" {
		event["reason"], event["reason_code"] = reason, reasonCode
		event["extra_info"] = map[string]any{"cancel_reason_code": reasonCode, "cancel_reason": reason}
	}
	s.emit("order", event)
}

func (o *fakeOrder) totals() (before, discount, after int64) {
	for _, it := range o.items {
		before += it.price * int64(it.qty)
	}
	discount = min(o.discountCoupon+o.discountTikiPoint, before)
	return before, discount, before - discount + int64(o.shipping.ShippingFee)
}

// orderTS formats a timestamp as Tiki does, or null.
func orderTS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return orderTime(t)
}

// orderTime formats a timestamp as Tiki does.
func orderTime(t time.Time) string { return t.In(tiki.Vietnam()).Format(tiki.TimeLayout) }

// orNull is s, or null when s is empty.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var paymentDescriptions = map[tiki.PaymentMethod]string{
	tiki.PaymentCOD:  "Thanh toán tiền mặt khi nhận hàng",
	tiki.PaymentVisa: "Thanh toán bằng thẻ quốc tế Visa, Master, JCB",
}

// renderOrder returns the order as Tiki's order entity. s.mu must be held.
func (s *Server) renderOrder(o *fakeOrder, histories bool) map[string]any {
	before, discount, after := o.totals()
	collectable := int64(0)
	if o.payment == tiki.PaymentCOD {
		collectable = after
	}
	items := make([]map[string]any, len(o.items))
	for i, it := range o.items {
		items[i] = map[string]any{
			"id": it.id, "product_id": it.productID, "product_name": it.name, "sku": it.sku, "original_sku": it.origin,
			"qty": it.qty, "price": it.price, "confirmation_status": it.confirmation,
			"confirmed_at": orderTS(it.confirmedAt), "must_confirmed_before_at": orderTS(it.deadline),
			"warehouse_code": orNull(it.warehouseCode), "inventory_type": it.inventory,
		}
	}
	description := paymentDescriptions[o.payment]
	if description == "" {
		description = "Thanh toán " + string(o.payment)
	}
	sh := o.shipping
	out := map[string]any{
		"order_code":                  o.code,
		"coupon_code":                 orNull(o.couponCode),
		"status":                      o.status,
		"total_price_before_discount": before,
		"total_price_after_discount":  after,
		"created_at":                  orderTS(o.createdAt),
		"updated_at":                  orderTS(o.updatedAt),
		"purchased_at":                orderTS(o.createdAt),
		"delivery_confirmed_at":       orderTS(o.deliveredAt),
		"fulfillment_type":            o.fulfillment,
		"note":                        o.note,
		"is_rma":                      0,
		"warehouse_id":                o.warehouseID,
		"handling_fee":                0,
		"collectable_total_price":     collectable,
		"discount":                    map[string]any{"discount_amount": discount, "discount_coupon": o.discountCoupon, "discount_tiki_point": o.discountTikiPoint},
		"tax":                         map[string]any{"code": orNull(o.tax.Code), "name": orNull(o.tax.Name), "address": orNull(o.tax.Address)},
		"shipping": map[string]any{"name": sh.Name, "street": sh.Street, "ward": sh.Ward, "city": sh.City, "region": sh.Region,
			"country": sh.Country, "phone": sh.Phone, "email": sh.Email, "estimate_description": sh.EstimateDescription, "shipping_fee": sh.ShippingFee},
		"items":   items,
		"payment": map[string]any{"payment_method": o.payment, "updated_at": orderTS(o.createdAt), "description": description},
	}
	if histories {
		out["status_histories"] = slices.Clone(s.state.orders.histories[o.code])
	}
	return out
}

// orderModelV1 returns o as the SDK decodes it. s.mu must be held.
func (s *Server) orderModelV1(o *fakeOrder) tiki.OrderV1 {
	var out tiki.OrderV1
	b, err := json.Marshal(s.renderOrder(o, false))
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		return tiki.OrderV1{OrderCode: o.code, Status: o.status, FulfillmentType: o.fulfillment}
	}
	return out
}

// --- seller and warehouses ----------------------------------------------

// GET /integration/v2/sellers/me: the fake's own seller, or the seller
// whose token it is (a seller who authorized the app), under the name
// "Seller <id>".
func (s *Server) sellerMe(w http.ResponseWriter, r *http.Request) {
	var seller int64
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && r.Header.Get("tiki-api") == "" {
		s.mu.Lock()
		seller = s.sellerOfToken(tok)
		s.mu.Unlock()
	}
	if seller == 0 {
		writeRaw(w, s.state.orders.seller)
		return
	}
	var me map[string]any
	if err := json.Unmarshal(s.state.orders.seller, &me); err != nil {
		writeErrors(w, http.StatusInternalServerError, "bad embedded sellers_me.json")
		return
	}
	me["id"], me["name"] = seller, "Seller "+strconv.FormatInt(seller, 10)
	writeJSON(w, http.StatusOK, me)
}

// GET /integration/v1/warehouses?warehouse_id=&warehouse_code=
func (s *Server) sellerWarehouses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err := intParam(q.Get("warehouse_id"), 0)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "warehouse_id must be a number")
		return
	}
	code := q.Get("warehouse_code")
	out := []map[string]any{}
	for i, wh := range s.state.orders.registered {
		if id != 0 && wh.WarehouseID != int64(id) || code != "" && wh.WarehouseCode != code {
			continue
		}
		out = append(out, s.state.orders.warehouses[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// --- orders -------------------------------------------------------------

// decodeOrderBody decodes a JSON request body, answering 400 when it is not
// one.
func decodeOrderBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeErrors(w, http.StatusBadRequest, "The request body is not valid JSON for this endpoint: "+err.Error())
		return false
	}
	return true
}

// lookupOrder returns the order or answers 404. s.mu must be held.
func (s *Server) lookupOrder(w http.ResponseWriter, code string) *fakeOrder {
	o := s.state.orders.orders[code]
	if o == nil {
		writeErrors(w, http.StatusNotFound, "Order not found: "+code)
	}
	return o
}

// POST /integration/v1/orders: a mock order, as on the sandbox.
func (s *Server) createMockOrder(w http.ResponseWriter, r *http.Request) {
	var req tiki.MockOrderRequest
	if !decodeOrderBody(w, r, &req) {
		return
	}
	if bad := checkMockOrderV1(req); len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad.messages()...)
		return
	}
	s.mu.Lock()
	body := s.renderOrder(s.placeOrder(req, s.cfg.now()), false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// checkMockOrderV1 returns what the v1 mock order endpoint refuses in req.
func checkMockOrderV1(req tiki.MockOrderRequest) problems {
	var bad problems
	switch {
	case req.FulfillmentType == "":
		bad.add("fulfillment_type", "is required")
	case !knownFulfillment(req.FulfillmentType):
		bad.add("fulfillment_type", "must be one of seller_delivery, tiki_delivery, dropship, cross_border")
	}
	bad.check(req.PaymentMethod != "", "payment_method", "is required")
	bad.check(len(req.Items) > 0, "items", "must hold at least one item")
	var before int64
	for i, it := range req.Items {
		p := fmt.Sprintf("items[%d].", i)
		bad.check(strings.TrimSpace(it.ProductName) != "", p+"product_name", "is required")
		bad.check(strings.TrimSpace(it.OriginalSKU) != "", p+"original_sku", "is required")
		bad.check(it.Price > 0, p+"price", "must be greater than 0")
		bad.check(it.Qty > 0, p+"qty", "must be greater than 0")
		bad.check(it.InventoryType.Valid(), p+"inventory_type", "must be one of cross_border, instock, backorder, seller_backorder, drop_ship")
		before += int64(it.Price) * int64(max(it.Qty, 0))
	}
	if req.DiscountCoupon < 0 || req.DiscountTikiPoint < 0 {
		bad.add("discount_coupon and discount_tiki_point", "must not be negative")
	} else if len(bad) == 0 && int64(req.DiscountCoupon+req.DiscountTikiPoint) > before {
		bad.add("discounts", "must not exceed the total price of the items")
	}
	return bad
}

// orderFilter is the parsed query of the order list.
type orderFilter struct {
	status                 func(tiki.OrderStatus) bool
	fulfillment            tiki.FulfillmentType
	inventory              tiki.InventoryType
	confirmation           tiki.ConfirmationStatus
	createdFrom, createdTo time.Time
	updatedFrom, updatedTo time.Time
	histories              bool
	windowStart            time.Time
}

func parseOrderFilter(q url.Values, now time.Time) (orderFilter, []string) {
	var bad []string
	f := orderFilter{windowStart: now.Add(-orderWindow)}
	statuses, negate := q.Get("status"), false
	switch {
	case statuses == "":
		statuses = string(tiki.OrderStatusQueueing)
	case strings.HasPrefix(statuses, "in|"):
		statuses = statuses[3:]
	case strings.HasPrefix(statuses, "nin|"):
		statuses, negate = statuses[4:], true
	}
	set := map[tiki.OrderStatus]bool{}
	for _, v := range strings.Split(statuses, ",") {
		st := tiki.OrderStatus(strings.TrimSpace(v)).Canonical()
		if !slices.Contains(orderStatusesV1, st) {
			bad = append(bad, fmt.Sprintf("status %q is not an order status", v))
		}
		set[st] = true
	}
	f.status = func(st tiki.OrderStatus) bool { return set[st] != negate }

	if v := q.Get("fulfillment_type"); v != "" {
		f.fulfillment = tiki.FulfillmentType(v)
		if !knownFulfillment(f.fulfillment) {
			bad = append(bad, "fulfillment_type must be one of seller_delivery, tiki_delivery, dropship, cross_border")
		}
	}
	if v := q.Get("item_inventory_type"); v != "" {
		f.inventory = tiki.InventoryType(v)
		if !f.inventory.Valid() {
			bad = append(bad, "item_inventory_type must be one of cross_border, instock, backorder, seller_backorder, drop_ship")
		}
	}
	if v := q.Get("item_confirmation_status"); v != "" {
		f.confirmation = tiki.ConfirmationStatus(v)
		switch f.confirmation {
		case tiki.ConfirmationWaiting, tiki.ConfirmationSellerConfirmed, tiki.ConfirmationConfirmed, confirmationSellerCanceled:
		default:
			bad = append(bad, "item_confirmation_status must be one of waiting, seller_confirmed, confirmed, seller_canceled")
		}
	}
	switch q.Get("filter_date_by") {
	case "", "last30days":
	case "today":
		t := now.In(tiki.Vietnam())
		f.createdFrom = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, tiki.Vietnam())
	default:
		bad = append(bad, "filter_date_by must be today or last30days")
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{
		{"created_from_date", &f.createdFrom}, {"created_to_date", &f.createdTo},
		{"updated_from_date", &f.updatedFrom}, {"updated_to_date", &f.updatedTo},
	} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := tiki.ParseTime(v)
		if err != nil {
			bad = append(bad, p.name+" must be a date-time yyyy-MM-dd HH:mm:ss")
			continue
		}
		if t.After(*p.to) || p.name != "created_from_date" {
			// created_from_date narrows filter_date_by=today, never widens it.
			*p.to = t.Time
		}
	}
	for _, inc := range strings.Split(q.Get("include"), ",") {
		f.histories = f.histories || strings.TrimSpace(inc) == "status_histories"
	}
	return f, bad
}

func (f *orderFilter) match(o *fakeOrder) bool {
	if o.createdAt.Before(f.windowStart) || !f.status(o.status) ||
		f.fulfillment != "" && o.fulfillment != f.fulfillment ||
		!f.createdFrom.IsZero() && o.createdAt.Before(f.createdFrom) ||
		!f.createdTo.IsZero() && o.createdAt.After(f.createdTo) ||
		!f.updatedFrom.IsZero() && o.updatedAt.Before(f.updatedFrom) ||
		!f.updatedTo.IsZero() && o.updatedAt.After(f.updatedTo) {
		return false
	}
	hasInventory, hasConfirmation := f.inventory == "", f.confirmation == ""
	for _, it := range o.items {
		hasInventory = hasInventory || it.inventory == f.inventory
		hasConfirmation = hasConfirmation || it.confirmation == f.confirmation
	}
	return hasInventory && hasConfirmation
}

// GET /integration/v1/orders: the orders of the last 30 days, newest
// first, queueing ones unless status says otherwise.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	f, bad := parseOrderFilter(r.URL.Query(), s.cfg.now())
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	var found []*fakeOrder
	for _, o := range s.state.orders.orders {
		if f.match(o) {
			found = append(found, o)
		}
	}
	slices.SortFunc(found, func(a, b *fakeOrder) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return strings.Compare(b.code, a.code)
	})
	rows := make([]map[string]any, len(found))
	for i, o := range found {
		rows[i] = s.renderOrder(o, f.histories)
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}

// GET /integration/v1/orders/{order_code}
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	histories := slices.Contains(strings.Split(r.URL.Query().Get("include"), ","), "status_histories")
	s.mu.Lock()
	o := s.lookupOrder(w, r.PathValue("order_code"))
	var body map[string]any
	if o != nil {
		body = s.renderOrder(o, histories)
	}
	s.mu.Unlock()
	if o != nil {
		writeJSON(w, http.StatusOK, body)
	}
}

// POST /integration/v1/orders/confirmItems
func (s *Server) confirmItems(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderCode              string          `json:"order_code"`
		WarehouseCode          string          `json:"warehouse_code"`
		SellerInventoryID      tiki.FlexInt    `json:"seller_inventory_id"`
		ItemIDs                *[]tiki.FlexInt `json:"item_ids"`
		DeliveryCommitmentTime string          `json:"delivery_commitment_time"`
		TrackingNumber         string          `json:"tracking_number"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	if strings.TrimSpace(req.OrderCode) == "" {
		bad = append(bad, "order_code is required")
	}
	if req.ItemIDs == nil {
		bad = append(bad, "item_ids is required (send [] to reject every item)")
	}
	if strings.TrimSpace(req.WarehouseCode) == "" {
		bad = append(bad, "warehouse_code is required")
	}
	if req.SellerInventoryID <= 0 {
		bad = append(bad, "seller_inventory_id is required")
	}
	commitment, err := tiki.ParseTime(req.DeliveryCommitmentTime)
	if err != nil {
		bad = append(bad, "delivery_commitment_time must be a date-time Y-m-d H:i:s")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	ids := *req.ItemIDs

	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrder(w, req.OrderCode)
	if o == nil {
		return
	}
	if len(ids) > 0 {
		switch {
		case o.fulfillment == tiki.FulfillmentSellerDelivery && commitment.IsZero():
			bad = append(bad, "delivery_commitment_time is required for seller_delivery orders")
		case o.fulfillment == tiki.FulfillmentCrossBorder && strings.TrimSpace(req.TrackingNumber) == "":
			bad = append(bad, "tracking_number is required for cross_border orders")
		}
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}

	now := s.cfg.now()
	if o.status != tiki.OrderStatusQueueing {
		bad = append(bad, fmt.Sprintf("Order %s is %s: only queueing orders can be confirmed", o.code, o.status))
	}
	var wh *tiki.SellerWarehouse
	knownCode := false
	for i, cand := range s.state.orders.registered {
		knownCode = knownCode || cand.WarehouseCode == req.WarehouseCode
		if cand.WarehouseCode == req.WarehouseCode && cand.SellerInventoryID == int64(req.SellerInventoryID) {
			wh = &s.state.orders.registered[i]
		}
	}
	switch {
	case !knownCode:
		bad = append(bad, fmt.Sprintf("warehouse_code %q is not one of the seller's warehouses", req.WarehouseCode))
	case wh == nil:
		bad = append(bad, fmt.Sprintf("seller_inventory_id %d is not a seller warehouse with warehouse_code %q", req.SellerInventoryID, req.WarehouseCode))
	}
	confirmed := map[int64]bool{}
	for _, id := range ids {
		if !slices.ContainsFunc(o.items, func(it *fakeItem) bool { return it.id == int64(id) }) {
			bad = append(bad, fmt.Sprintf("item_ids: item %d is not in order %s", id, o.code))
		}
		confirmed[int64(id)] = true
	}
	if o.status == tiki.OrderStatusQueueing && len(o.items) > 0 && now.After(o.items[0].deadline) {
		bad = append(bad, fmt.Sprintf("Order %s had to be confirmed before %s", o.code, orderTS(o.items[0].deadline)))
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusUnprocessableEntity, bad...)
		return
	}

	for _, it := range o.items {
		if confirmed[it.id] {
			it.confirmation, it.confirmedAt, it.warehouseCode = tiki.ConfirmationSellerConfirmed, now.Truncate(time.Second), wh.WarehouseCode
		} else {
			it.confirmation = confirmationSellerCanceled
		}
	}
	o.warehouseID = wh.WarehouseID
	if len(confirmed) > 0 {
		s.changeOrder(o, tiki.OrderStatusSellerConfirmed, "", "", "")
	} else {
		s.changeOrder(o, tiki.OrderStatusSellerCanceled, "", string(tiki.CancelReasonSellerOutOfStock), cancelReasons[tiki.CancelReasonSellerOutOfStock])
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "data": []any{}})
}

// cancelReasons are the reasons Tiki lists for a cancellation; free text is
// filed under "others".
var cancelReasons = map[tiki.CancelReason]string{
	tiki.CancelReasonSellerOutOfStock:         "Nhà bán hết hàng - hủy đơn hàng.",
	tiki.CancelReasonCustomerNoLongerInDemand: "Khách hàng không còn nhu cầu.",
}

// sellerDelivered checks that o is a confirmed order whose delivery the
// seller reports, answering 422 otherwise. s.mu must be held.
func sellerDelivered(w http.ResponseWriter, o *fakeOrder, allowCrossBorder bool) bool {
	var bad []string
	switch {
	case o.fulfillment == tiki.FulfillmentSellerDelivery:
	case allowCrossBorder && o.fulfillment == tiki.FulfillmentCrossBorder:
	case allowCrossBorder:
		bad = append(bad, fmt.Sprintf("Order %s is a %s order: only seller_delivery and cross_border orders report delivery steps", o.code, o.fulfillment))
	default:
		bad = append(bad, fmt.Sprintf("Order %s is a %s order: only seller_delivery orders are confirmed by the seller", o.code, o.fulfillment))
	}
	switch o.status {
	case tiki.OrderStatusSellerConfirmed:
	case tiki.OrderStatusQueueing:
		bad = append(bad, fmt.Sprintf("Order %s is queueing: confirm its items first", o.code))
	default:
		bad = append(bad, fmt.Sprintf("Order %s is already %s", o.code, o.status))
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusUnprocessableEntity, bad...)
		return false
	}
	return true
}

// POST /integration/v1/orders/confirmDelivery
func (s *Server) confirmDelivery(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderCode       string   `json:"order_code"`
		Status          string   `json:"status"`
		Reason          string   `json:"reason"`
		AppointmentDate string   `json:"appointment_date"`
		DocumentURLs    []string `json:"document_urls"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	if strings.TrimSpace(req.OrderCode) == "" {
		bad = append(bad, "order_code is required")
	}
	status := tiki.ConfirmDeliveryStatus(req.Status)
	if status != tiki.ConfirmDeliveryCanceled && status != tiki.ConfirmDeliverySuccessful {
		bad = append(bad, "status must be canceled or successful_delivery")
	}
	if _, err := tiki.ParseTime(req.AppointmentDate); err != nil {
		bad = append(bad, "appointment_date must be a date-time Y-m-d H:i:s")
	}
	if len(req.DocumentURLs) > 3 {
		bad = append(bad, "document_urls must hold at most 3 URLs")
	}
	for i, raw := range req.DocumentURLs {
		if u, err := url.Parse(raw); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			bad = append(bad, fmt.Sprintf("document_urls[%d] must be an absolute http(s) URL", i))
		}
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrder(w, req.OrderCode)
	if o == nil || !sellerDelivered(w, o, false) {
		return
	}
	if status == tiki.ConfirmDeliverySuccessful {
		o.deliveredAt = s.cfg.now().Truncate(time.Second)
		s.changeOrder(o, tiki.OrderStatusComplete, string(tiki.DeliveryStatusSuccessfulDelivery), "", "")
	} else {
		code, reason := tiki.CancelReason(req.Reason), cancelReasons[tiki.CancelReason(req.Reason)]
		if reason == "" {
			code, reason = "others", req.Reason
		}
		s.changeOrder(o, tiki.OrderStatusCanceled, "", string(code), reason)
	}
	writeJSON(w, http.StatusOK, map[string]string{"order_code": o.code})
}

// POST /integration/v1/orders/updateDeliveryStatus: a step of the
// delivery of a confirmed seller-delivery (or cross-border) order.
func (s *Server) updateDeliveryStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderCode  string          `json:"order_code"`
		Status     string          `json:"status"`
		UpdateTime string          `json:"update_time"`
		Payload    json.RawMessage `json:"payload"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	if strings.TrimSpace(req.OrderCode) == "" {
		bad = append(bad, "order_code is required")
	}
	if strings.TrimSpace(req.Status) == "" {
		bad = append(bad, "status is required")
	}
	at, err := tiki.ParseTime(req.UpdateTime)
	switch {
	case err != nil:
		bad = append(bad, "update_time must be a date-time Y-m-d H:i:s")
	case at.IsZero():
		bad = append(bad, "update_time is required")
	}
	var payload string
	if len(req.Payload) > 0 && string(req.Payload) != "null" && json.Unmarshal(req.Payload, &payload) != nil {
		bad = append(bad, "payload must be a string")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrder(w, req.OrderCode)
	if o == nil || !sellerDelivered(w, o, true) {
		return
	}
	st := &s.state.orders
	st.updates[o.code] = append(st.updates[o.code], deliveryStep{OrderCode: o.code, Status: tiki.DeliveryStatus(req.Status), UpdateTime: at, Payload: payload})
	s.changeOrder(o, o.status, req.Status, "", "")
	writeJSON(w, http.StatusOK, map[string]string{"message": "success"})
}

// GET /integration/v1/orders/{order_code}/print?label=&format=: the
// URL of a label of a confirmed order, served by the fake itself.
func (s *Server) printLabel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	label, format := tiki.LabelType(q.Get("label")), tiki.LabelFormat(q.Get("format"))
	if label == "" {
		label = tiki.LabelShipping
	}
	if format == "" {
		format = tiki.LabelHTML
	}
	var bad []string
	if label != tiki.LabelShipping && label != tiki.LabelInvoice && label != tiki.LabelPO {
		bad = append(bad, "label must be shipping, invoice or po")
	}
	switch {
	case format != tiki.LabelHTML && format != tiki.LabelPDF:
		bad = append(bad, "format must be html or pdf")
	case format == tiki.LabelPDF && label != tiki.LabelInvoice:
		bad = append(bad, "format pdf is only available for label invoice")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrder(w, r.PathValue("order_code"))
	if o == nil {
		return
	}
	switch o.status {
	case tiki.OrderStatusQueueing, tiki.OrderStatusProcessing, tiki.OrderStatusWaitingPayment:
		writeErrors(w, http.StatusUnprocessableEntity, fmt.Sprintf("Order %s is %s: labels are printed once its items are confirmed", o.code, o.status))
		return
	case tiki.OrderStatusSellerCanceled, tiki.OrderStatusCanceled:
		writeErrors(w, http.StatusUnprocessableEntity, fmt.Sprintf("Order %s is %s: it has no label", o.code, o.status))
		return
	}
	st := &s.state.orders
	key := orderLabel{code: o.code, label: label, format: format}
	file, ok := st.labelFiles[key]
	if !ok {
		file = randomToken(len(st.labels))[:32] + "." + string(format)
		st.labelFiles[key], st.labels[file] = file, key
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, map[string]string{string(label) + "_label_url": scheme + "://" + r.Host + "/ts/print/" + file})
}

var labelPage = template.Must(template.New("label").Parse(`<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.Title}} {{.Code}}</title></head>
<body>
<h1>{{.Title}}</h1>
<p>Order <b>{{.Code}}</b> ({{.Fulfillment}}), placed {{.Placed}}</p>
<p>Ship to: {{.Shipping.Name}}, {{.Shipping.Street}}, {{.Shipping.Ward}}, {{.Shipping.City}}, {{.Shipping.Region}} - {{.Shipping.Phone}}</p>
<table>
<tr><th>SKU</th><th>Product</th><th>Qty</th><th>Price</th></tr>
{{range .Items}}<tr><td>{{.SKU}}</td><td>{{.Name}}</td><td>{{.Qty}}</td><td>{{.Price}}</td></tr>
{{end}}</table>
<p>Total: {{.Total}} VND; to collect: {{.Collect}} VND</p>
</body></html>
`))

// GET /ts/print/{file}: a label printed with printLabel, rendered from the
// order as it is now.
func (s *Server) labelFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if page, ok := s.labelFileV2(r.PathValue("file")); ok {
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
		return
	}
	key, ok := s.state.orders.labels[r.PathValue("file")]
	o := s.state.orders.orders[key.code]
	if !ok || o == nil {
		s.mu.Unlock()
		writeErrors(w, http.StatusNotFound, "Label not found")
		return
	}
	type line struct {
		SKU, Name string
		Qty       int
		Price     int64
	}
	var items []line
	for _, it := range o.items {
		if it.confirmation != confirmationSellerCanceled {
			items = append(items, line{it.origin, it.name, it.qty, it.price})
		}
	}
	_, _, total := o.totals()
	collect := int64(0)
	if o.payment == tiki.PaymentCOD {
		collect = total
	}
	view := struct {
		Title, Code, Fulfillment, Placed string
		Shipping                         tiki.ShippingV1
		Items                            []line
		Total, Collect                   int64
	}{
		Title: map[tiki.LabelType]string{tiki.LabelShipping: "Shipping label", tiki.LabelInvoice: "Invoice", tiki.LabelPO: "Purchase order"}[key.label],
		Code:  o.code, Fulfillment: string(o.fulfillment), Placed: orderTime(o.createdAt),
		Shipping: o.shipping, Items: items, Total: total, Collect: collect,
	}
	s.mu.Unlock()

	if key.format == tiki.LabelPDF {
		lines := []string{view.Title + " - order " + view.Code, "Placed " + view.Placed, ""}
		for _, it := range view.Items {
			lines = append(lines, fmt.Sprintf("%s  x%d  %d VND", it.SKU, it.Qty, it.Price))
		}
		lines = append(lines, "", fmt.Sprintf("Total %d VND, to collect %d VND", view.Total, view.Collect))
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write(minimalPDF(lines))
		return
	}
	var b bytes.Buffer
	if err := labelPage.Execute(&b, view); err != nil {
		writeErrors(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// minimalPDF returns a one-page PDF showing lines in Helvetica; characters
// outside printable ASCII are shown as '?'.
func minimalPDF(lines []string) []byte {
	var content bytes.Buffer
	content.WriteString("BT /F1 12 Tf 16 TL 50 800 Td\n")
	for _, l := range lines {
		var esc strings.Builder
		for _, c := range l {
			switch {
			case c == '(' || c == ')' || c == '\\':
				esc.WriteByte('\\')
				esc.WriteRune(c)
			case c < 32 || c > 126:
				esc.WriteByte('?')
			default:
				esc.WriteRune(c)
			}
		}
		fmt.Fprintf(&content, "(%s) Tj T*\n", esc.String())
	}
	content.WriteString("ET\n")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, obj := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, obj)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}
