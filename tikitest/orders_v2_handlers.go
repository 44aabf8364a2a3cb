package tikitest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// --- mock orders ----------------------------------------------------------

// v2MockOrder is the body of POST /integration/v2/orders, the fake's mock
// order (Tiki's sandbox places test orders from its seller center; the
// fake takes them over the API instead). Every field but items is
// optional:
//
//	{
//	  "fulfillment_type": "tiki_delivery",  // seller_delivery, cross_border, dropship
//	  "tiki_warehouse_code": "hn",          // sgn, ct, hp
//	  "payment_method": "cod",              // cybersource, momo, ...
//	  "shipping_fee": 15000,
//	  "customer_name": "Nguyễn Văn A",
//	  "relation_code": "",
//	  "is_rma": false,
//	  "is_vat_exporting": false,
//	  "items": [
//	    {"seller_product_code": "SKU-1", "name": "Áo thun", "price": 150000, "quantity": 2,
//	     "inventory_type": "backorder"}                   // or instock (no confirmation needed)
//	  ]
//	}
//
// Items are built from the seller's products the fake holds, as for
// Server.CreateOrder. It answers 200 with the new order in the v2 order
// shape.
type v2MockOrder struct {
	FulfillmentType   string       `json:"fulfillment_type"`
	TikiWarehouseCode string       `json:"tiki_warehouse_code"`
	PaymentMethod     string       `json:"payment_method"`
	ShippingFee       int64        `json:"shipping_fee"`
	CustomerName      string       `json:"customer_name"`
	RelationCode      string       `json:"relation_code"`
	IsRMA             bool         `json:"is_rma"`
	IsVATExporting    bool         `json:"is_vat_exporting"`
	Items             []v2MockItem `json:"items"`
}

type v2MockItem struct {
	SellerProductCode string `json:"seller_product_code"`
	Name              string `json:"name"`
	Price             int64  `json:"price"`
	Quantity          int    `json:"quantity"`
	InventoryType     string `json:"inventory_type"`
}

// defaults fills the optional fields.
func (m *v2MockOrder) defaults() {
	if m.FulfillmentType == "" {
		m.FulfillmentType = v2TikiDelivery
	}
	if m.TikiWarehouseCode == "" {
		m.TikiWarehouseCode = "hn"
	}
	if m.PaymentMethod == "" {
		m.PaymentMethod = "cod"
	}
	if m.CustomerName == "" {
		m.CustomerName = "Nguyễn Văn A"
	}
	for i := range m.Items {
		it := &m.Items[i]
		if it.SellerProductCode == "" {
			it.SellerProductCode = fmt.Sprintf("SKU-%d", i+1)
		}
		if it.Name == "" {
			it.Name = fmt.Sprintf("Sản phẩm %d", i+1)
		}
		if it.Price == 0 {
			it.Price = 100000
		}
		if it.Quantity == 0 {
			it.Quantity = 1
		}
		if it.InventoryType == "" {
			it.InventoryType = "backorder"
		}
	}
}

// check returns what is wrong with a mock order after defaults.
func (m *v2MockOrder) check() problems {
	var bad problems
	switch m.FulfillmentType {
	case v2TikiDelivery, v2SellerDelivery, v2CrossBorder, v2Dropship:
	default:
		bad.add("fulfillment_type", "must be one of tiki_delivery, seller_delivery, cross_border, dropship")
	}
	if _, ok := v2TikiWarehouses[m.TikiWarehouseCode]; !ok {
		bad.add("tiki_warehouse_code", "must be one of hn, sgn, ct, hp")
	}
	if m.ShippingFee < 0 {
		bad.add("shipping_fee", "must not be negative")
	}
	if len(m.Items) == 0 {
		bad.add("items", "must hold at least one item")
	}
	for i, it := range m.Items {
		p := fmt.Sprintf("items[%d].", i)
		if it.Price <= 0 {
			bad.add(p+"price", "must be greater than 0")
		}
		if it.Quantity <= 0 {
			bad.add(p+"quantity", "must be greater than 0")
		}
		if !slices.Contains(v2InventoryTypes, it.InventoryType) {
			bad.add(p+"inventory_type", "must be one of "+strings.Join(v2InventoryTypes, ", "))
		}
	}
	return bad
}

// POST /integration/v2/orders: a mock order (see v2MockOrder).
func (s *Server) createMockOrderV2(w http.ResponseWriter, r *http.Request) {
	var req v2MockOrder
	if !decodeOrderBody(w, r, &req) {
		return
	}
	if len(req.Items) == 0 {
		writeErrors(w, http.StatusBadRequest, "items must hold at least one item")
		return
	}
	s.mu.Lock()
	s.itemsFromProductsV2(req.Items)
	req.defaults()
	if bad := req.check(); len(bad) > 0 {
		s.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, bad.messages()...)
		return
	}
	body := s.renderOrderV2(s.placeOrderV2(req, s.cfg.now()), v2Include{})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// --- list and detail ------------------------------------------------------

// v2Set is a parsed set filter: a value, a list, in|a,b or nin|a,b.
type v2Set struct {
	values map[string]bool
	negate bool
}

func parseV2Set(v string) *v2Set {
	if v == "" {
		return nil
	}
	set := &v2Set{values: map[string]bool{}}
	switch {
	case strings.HasPrefix(v, "in|"):
		v = v[3:]
	case strings.HasPrefix(v, "nin|"):
		v, set.negate = v[4:], true
	}
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			set.values[x] = true
		}
	}
	return set
}

func (f *v2Set) match(v string) bool { return f == nil || f.values[v] != f.negate }

// check reports the values of f outside allowed.
func (f *v2Set) check(name string, allowed []string) []string {
	if f == nil {
		return nil
	}
	var bad []string
	for v := range f.values {
		if !slices.Contains(allowed, v) {
			bad = append(bad, fmt.Sprintf("%s: %q is not one of %s", name, v, strings.Join(allowed, ", ")))
		}
	}
	slices.Sort(bad)
	return bad
}

type v2Filter struct {
	code, sku, status, fulfillment, confirmation, inventory *v2Set
	isRMA                                                   *bool
	createdFrom, createdTo, updatedFrom, updatedTo          time.Time
	orderBy                                                 string
	desc                                                    bool
	include                                                 v2Include
}

func parseV2Include(v string) (v2Include, []string) {
	var inc v2Include
	var bad []string
	for _, x := range strings.Split(v, ",") {
		switch strings.TrimSpace(x) {
		case "":
		case "status_histories":
			inc.statusHistories = true
		case "item.fees":
			inc.fees = true
		case "item.confirmation_histories":
			inc.confirmationHistories = true
		default:
			bad = append(bad, fmt.Sprintf("include: %q is not one of status_histories, item.fees, item.confirmation_histories", x))
		}
	}
	return inc, bad
}

func parseV2Filter(q url.Values, now time.Time) (v2Filter, []string) {
	var bad []string
	f := v2Filter{
		code: parseV2Set(q.Get("code")), sku: parseV2Set(q.Get("sku")), status: parseV2Set(q.Get("status")),
		fulfillment: parseV2Set(q.Get("fulfillment_type")), confirmation: parseV2Set(q.Get("item_confirmation_status")),
		inventory: parseV2Set(q.Get("item_inventory_type")), orderBy: "created_at", desc: true,
	}
	bad = append(bad, f.fulfillment.check("fulfillment_type", []string{v2TikiDelivery, v2SellerDelivery, v2CrossBorder, v2Dropship, "instant_delivery"})...)
	bad = append(bad, f.confirmation.check("item_confirmation_status", []string{v2Waiting, v2SellerConfirmed, v2SellerCanceled, v2Confirmed, "ready_to_pick"})...)
	bad = append(bad, f.inventory.check("item_inventory_type", append([]string{"preorder"}, v2InventoryTypes...))...)
	switch v := q.Get("is_rma"); v {
	case "":
	case "1", "true":
		f.isRMA = new(bool)
		*f.isRMA = true
	case "0", "false":
		f.isRMA = new(bool)
	default:
		bad = append(bad, "is_rma must be 0, 1, true or false")
	}
	day := now.In(tiki.Vietnam())
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, tiki.Vietnam())
	switch q.Get("filter_date_by") {
	case "":
	case "today":
		f.createdFrom = midnight
	case "last7days":
		f.createdFrom = midnight.AddDate(0, 0, -6)
	case "last30days":
		f.createdFrom = midnight.AddDate(0, 0, -29)
	default:
		bad = append(bad, "filter_date_by must be today, last7days or last30days")
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
		t, err := time.ParseInLocation(tiki.TimeLayout, v, tiki.Vietnam())
		if err != nil {
			bad = append(bad, p.name+" must be a date-time yyyy-MM-dd HH:mm:ss")
			continue
		}
		if p.name != "created_from_date" || t.After(*p.to) {
			// created_from_date narrows filter_date_by, never widens it.
			*p.to = t
		}
	}
	if v := q.Get("order_by"); v != "" {
		field, dir, _ := strings.Cut(v, "|")
		switch {
		case field != "created_at" && field != "updated_at" || dir != "" && dir != "asc" && dir != "desc":
			bad = append(bad, "order_by must be created_at or updated_at, with |asc or |desc")
		default:
			f.orderBy, f.desc = field, dir != "asc"
		}
	}
	inc, incBad := parseV2Include(q.Get("include"))
	f.include = inc
	return f, append(bad, incBad...)
}

func (f *v2Filter) match(o *v2Order) bool {
	if !f.code.match(o.code) || !f.status.match(o.status) || !f.fulfillment.match(o.fulfillment) ||
		f.isRMA != nil && *f.isRMA != o.isRMA ||
		!f.createdFrom.IsZero() && o.createdAt.Before(f.createdFrom) ||
		!f.createdTo.IsZero() && o.createdAt.After(f.createdTo) ||
		!f.updatedFrom.IsZero() && o.updatedAt.Before(f.updatedFrom) ||
		!f.updatedTo.IsZero() && o.updatedAt.After(f.updatedTo) {
		return false
	}
	// An item filter keeps the order when one of its items matches.
	anyItem := func(set *v2Set, value func(*v2Item) []string) bool {
		if set == nil {
			return true
		}
		for _, it := range o.items {
			for _, v := range value(it) {
				if set.match(v) {
					return true
				}
			}
		}
		return false
	}
	return anyItem(f.sku, func(it *v2Item) []string { return []string{it.sku, it.code} }) &&
		anyItem(f.confirmation, func(it *v2Item) []string { return []string{it.confirmation} }) &&
		anyItem(f.inventory, func(it *v2Item) []string { return []string{it.inventory} })
}

// GET /integration/v2/orders
func (s *Server) listOrdersV2(w http.ResponseWriter, r *http.Request) {
	f, bad := parseV2Filter(r.URL.Query(), s.cfg.now())
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	var found []*v2Order
	for _, o := range s.state.ordersV2.orders {
		if f.match(o) {
			found = append(found, o)
		}
	}
	slices.SortFunc(found, func(a, b *v2Order) int {
		c := 0
		if f.orderBy == "updated_at" {
			c = a.updatedAt.Compare(b.updatedAt)
		} else {
			c = a.createdAt.Compare(b.createdAt)
		}
		if c == 0 {
			c = strings.Compare(a.code, b.code)
		}
		if f.desc {
			c = -c
		}
		return c
	})
	rows := make([]v2OrderWire, len(found))
	for i, o := range found {
		rows[i] = s.renderOrderV2(o, f.include)
	}
	s.mu.Unlock()
	writePage(w, r, rows)
}

// writePage answers one page of rows with Tiki's paging block, or 400 for
// a bad page or limit; a page past the end is answered empty, with the
// list's paging.
func writePage[T any](w http.ResponseWriter, r *http.Request, rows []T) {
	p, ok := pageOf(w, r)
	if !ok {
		return
	}
	from, to := p.window(len(rows))
	writePageRows(w, p, rows[from:to], len(rows))
}

// lookupOrderV2 returns the order or answers 404. s.mu must be held.
func (s *Server) lookupOrderV2(w http.ResponseWriter, code string) *v2Order {
	o := s.state.ordersV2.orders[code]
	if o == nil {
		writeErrors(w, http.StatusNotFound, "Order not found: "+code)
	}
	return o
}

// GET /integration/v2/orders/{code}?include=
func (s *Server) getOrderV2(w http.ResponseWriter, r *http.Request) {
	inc, bad := parseV2Include(r.URL.Query().Get("include"))
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.lookupOrderV2(w, r.PathValue("code")); o != nil {
		writeJSON(w, http.StatusOK, s.renderOrderV2(o, inc))
	}
}

// --- seller inventories and warehouses --------------------------------------

type v2InventoryWire struct {
	ID      int64              `json:"id"`
	Name    string             `json:"name"`
	Address v2InventoryAddress `json:"address"`
	Type    string             `json:"type"`
}

type v2InventoryAddress struct {
	Street   string `json:"street"`
	Ward     string `json:"ward"`
	District string `json:"district"`
	Region   string `json:"region"`
	Country  string `json:"country"`
}

type v2MappingWire struct {
	TikiWarehouseCode  string  `json:"tiki_warehouse_code"`
	SellerInventoryIDs []int64 `json:"seller_inventory_ids"`
}

// sellerInventory returns the seller inventory with id, built from the
// seller's registered warehouses, and whether it exists.
func (s *Server) sellerInventory(id int64) (v2InventoryWire, bool) {
	for i, wh := range s.state.orders.registered {
		if wh.SellerInventoryID != id {
			continue
		}
		raw := s.state.orders.warehouses[i]
		name := func(k string) string {
			if m, ok := raw[k].(map[string]any); ok {
				v, _ := m["name"].(string)
				return v
			}
			v, _ := raw[k].(string)
			return v
		}
		return v2InventoryWire{ID: id, Name: name("name"), Type: "requisition", Address: v2InventoryAddress{
			Street: name("street"), Ward: name("ward"), District: name("district"), Region: name("region"), Country: name("country"),
		}}, true
	}
	return v2InventoryWire{}, false
}

// mappedInventory reports whether the seller inventory id may confirm
// orders of the Tiki warehouse code.
func (s *Server) mappedInventory(code string, id int64) bool {
	for _, wh := range s.state.orders.registered {
		if wh.WarehouseCode == code && wh.SellerInventoryID == id {
			return true
		}
	}
	return false
}

// GET /integration/v2/seller-inventories?tiki_warehouse_codes=sgn,hn
func (s *Server) sellerInventoriesV2(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("tiki_warehouse_codes")
	if strings.TrimSpace(raw) == "" {
		writeErrors(w, http.StatusBadRequest, "tiki_warehouse_codes is required")
		return
	}
	out := struct {
		SellerInventories []v2InventoryWire `json:"seller_inventories"`
		Mappings          []v2MappingWire   `json:"mappings"`
	}{SellerInventories: []v2InventoryWire{}, Mappings: []v2MappingWire{}}
	seen := map[int64]bool{}
	for _, code := range strings.Split(raw, ",") {
		code = strings.TrimSpace(code)
		m := v2MappingWire{TikiWarehouseCode: code, SellerInventoryIDs: []int64{}}
		for _, wh := range s.state.orders.registered {
			if wh.WarehouseCode != code {
				continue
			}
			m.SellerInventoryIDs = append(m.SellerInventoryIDs, wh.SellerInventoryID)
			if !seen[wh.SellerInventoryID] {
				seen[wh.SellerInventoryID] = true
				inv, _ := s.sellerInventory(wh.SellerInventoryID)
				out.SellerInventories = append(out.SellerInventories, inv)
			}
		}
		if len(m.SellerInventoryIDs) > 0 {
			out.Mappings = append(out.Mappings, m)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// v2SellerWarehouseWire is a warehouse of GET v2/sellers/me/warehouses.
type v2SellerWarehouseWire struct {
	ID        int64              `json:"id"`
	SellerID  int64              `json:"seller_id"`
	IsPrimary bool               `json:"is_primary"`
	Name      string             `json:"name"`
	Status    int                `json:"status"`
	Address   v2InventoryAddress `json:"address"`
	Type      string             `json:"type"`
}

// sellerWarehousesV2All lists the seller's warehouses as Tiki's Seller
// Warehouse object: the registered ones (active pickup warehouses, type
// requisition, the first one primary), an inactive pickup warehouse and a
// return warehouse (type withdrawal). Read-only data: no lock needed.
func (s *Server) sellerWarehousesV2All() []v2SellerWarehouseWire {
	var out []v2SellerWarehouseWire
	seen := map[int64]bool{}
	for _, wh := range s.state.orders.registered {
		if seen[wh.SellerInventoryID] {
			continue
		}
		seen[wh.SellerInventoryID] = true
		inv, _ := s.sellerInventory(wh.SellerInventoryID)
		out = append(out, v2SellerWarehouseWire{ID: inv.ID, SellerID: v2SellerID, IsPrimary: len(out) == 0, Name: inv.Name, Status: 1, Address: inv.Address, Type: "requisition"})
	}
	addr := v2InventoryAddress{Street: "01 đường số 2", Ward: "Xã Đông Xuân", District: "Huyện Sóc Sơn", Region: "Hà Nội", Country: "Viet Nam"}
	out = append(out,
		v2SellerWarehouseWire{ID: 990, SellerID: v2SellerID, Name: "Kho cũ Sóc Sơn", Status: 0, Address: addr, Type: "requisition"},
		v2SellerWarehouseWire{ID: 991, SellerID: v2SellerID, Name: "Kho nhận hàng hoàn", Status: 1, Address: addr, Type: "withdrawal"},
	)
	return out
}

// GET /integration/v2/sellers/me/warehouses?status=0|1&type=0|1&page=&limit=
// (status 0 inactive, 1 active; type 0 return, 1 pickup), answered
// {"data": [...], "paging": {...}}.
func (s *Server) sellerWarehousesV2(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var bad []string
	status, typ := q.Get("status"), q.Get("type")
	if status != "" && status != "0" && status != "1" {
		bad = append(bad, "status must be 0 (inactive) or 1 (active)")
	}
	if typ != "" && typ != "0" && typ != "1" {
		bad = append(bad, "type must be 0 (return) or 1 (pickup)")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	rows := []v2SellerWarehouseWire{}
	for _, wh := range s.sellerWarehousesV2All() {
		if status != "" && strconv.Itoa(wh.Status) != status ||
			typ == "0" && wh.Type != "withdrawal" || typ == "1" && wh.Type != "requisition" {
			continue
		}
		rows = append(rows, wh)
	}
	writePage(w, r, rows)
}

// --- confirmation ---------------------------------------------------------

// checkConfirmable returns why o cannot be confirmed now by the seller
// through an endpoint for the given fulfillment types. s.mu must be held.
func (s *Server) checkConfirmable(o *v2Order, now time.Time, dropship bool) []string {
	var bad []string
	switch {
	case dropship && o.fulfillment != v2Dropship:
		bad = append(bad, fmt.Sprintf("Order %s is a %s order: only dropship orders are confirmed here (use confirm-available)", o.code, o.fulfillment))
	case !dropship && o.fulfillment == v2Dropship:
		bad = append(bad, fmt.Sprintf("Order %s is a dropship order: confirm it with dropship/confirm-available", o.code))
	case !dropship && o.fulfillment != v2TikiDelivery && o.fulfillment != v2SellerDelivery && o.fulfillment != v2CrossBorder:
		bad = append(bad, fmt.Sprintf("Order %s is a %s order: it is not confirmed by the seller", o.code, o.fulfillment))
	}
	if len(bad) > 0 {
		return bad
	}
	waiting := o.waitingItems()
	switch {
	case o.status != v2Queueing:
		return []string{fmt.Sprintf("Order %s is %s: only queueing orders can be confirmed", o.code, o.status)}
	case len(waiting) == 0 && o.sellerInventoryID != 0:
		return []string{fmt.Sprintf("Order %s is already confirmed", o.code)}
	case len(waiting) == 0:
		return []string{fmt.Sprintf("Order %s has no item waiting for confirmation", o.code)}
	}
	for _, it := range waiting {
		if now.After(it.sla) {
			return []string{fmt.Sprintf("Order %s had to be confirmed before %s", o.code, orderTime(it.sla))}
		}
	}
	return nil
}

// confirmItemsV2 applies a checked confirmation: the items in keep are
// confirmed, the other waiting ones canceled, and the order canceled when
// nothing is left, or else moved to next (when not empty). s.mu must be
// held.
func (s *Server) confirmItemsV2(now time.Time, o *v2Order, keep map[int64]bool, inventory int64, next string) {
	now = now.Truncate(time.Second)
	for _, it := range o.waitingItems() {
		it.confirmation = v2SellerCanceled
		if keep[it.id] {
			it.confirmation, it.sellerInventoryID = v2SellerConfirmed, inventory
		}
		it.confirmedAt = now
		it.confirmHistories = append(it.confirmHistories, v2ConfirmHistory{ConfirmedAt: v2Time(now), OrderItemID: it.id, SLAConfirmedAt: v2Time(it.sla), Status: it.confirmation})
	}
	if inventory != 0 {
		o.sellerInventoryID = inventory
	}
	if !o.confirmed() {
		o.cancelCode, o.cancelReason, o.canceledAt = v2CancelOutOfStock, cancelReasonsV2[v2CancelOutOfStock], now
		s.changeOrderV2(now, o, v2Canceled)
		return
	}
	if next != "" {
		s.changeOrderV2(now, o, next)
		return
	}
	touchOrderV2(now, o)
}

// confirmableOrderV2 returns the order the request's path names and the
// fake's time, or answers 404 or 422 and returns nil when there is no such
// order or it cannot be confirmed now (dropship: through the dropship
// endpoint). The caller holds s.mu.
func (s *Server) confirmableOrderV2(w http.ResponseWriter, r *http.Request, dropship bool) (*v2Order, time.Time) {
	o := s.lookupOrderV2(w, r.PathValue("code"))
	if o == nil {
		return nil, time.Time{}
	}
	now := s.cfg.now()
	if bad := s.checkConfirmable(o, now, dropship); len(bad) > 0 {
		writeErrors(w, http.StatusUnprocessableEntity, bad...)
		return nil, time.Time{}
	}
	return o, now
}

// POST /integration/v2/orders/{code}/confirm-available
// {"available_item_ids": [...], "seller_inventory_id": 919}
func (s *Server) confirmAvailableV2(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AvailableItemIDs  *[]int64 `json:"available_item_ids"`
		SellerInventoryID int64    `json:"seller_inventory_id"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	if req.AvailableItemIDs == nil {
		bad = append(bad, "available_item_ids is required (send [] to cancel every item)")
	}
	if req.SellerInventoryID <= 0 && (req.AvailableItemIDs == nil || len(*req.AvailableItemIDs) > 0) {
		bad = append(bad, "seller_inventory_id is required")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, now := s.confirmableOrderV2(w, r, false)
	if o == nil {
		return
	}
	keep := map[int64]bool{}
	for _, id := range *req.AvailableItemIDs {
		i := slices.IndexFunc(o.items, func(it *v2Item) bool { return it.id == id })
		switch {
		case i < 0:
			bad = append(bad, fmt.Sprintf("available_item_ids: item %d is not in order %s", id, o.code))
		case o.items[i].confirmation != v2Waiting:
			bad = append(bad, fmt.Sprintf("available_item_ids: item %d of order %s does not wait for confirmation (%s)", id, o.code, o.items[i].confirmation))
		}
		keep[id] = true
	}
	inventory := req.SellerInventoryID
	if len(keep) > 0 && !s.mappedInventory(o.tikiWarehouse, inventory) {
		bad = append(bad, fmt.Sprintf("seller_inventory_id %d is not mapped to Tiki warehouse %s of order %s", inventory, o.tikiWarehouse, o.code))
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusUnprocessableEntity, bad...)
		return
	}
	if len(keep) == 0 {
		inventory = 0
	}
	s.confirmItemsV2(now, o, keep, inventory, "")
	writeJSON(w, http.StatusOK, map[string]any{"code": o.code, "status": o.status})
}

// v2PickupSlot is an expected pickup slot of a dropship order.
type v2PickupSlot struct {
	ExpectedPickupSlot string `json:"expected_pickup_slot"`
	ExpectedPickupTime string `json:"expected_pickup_time"`
}

// pickupSlots returns the pickup slots offered at now: 09:00-12:00 and
// 14:00-17:00 (Vietnam time) of today and the next two days, those that
// start after now.
func pickupSlots(now time.Time) []v2PickupSlot {
	day := now.In(tiki.Vietnam())
	var out []v2PickupSlot
	for d := 0; d < 3; d++ {
		for _, h := range []int{9, 14} {
			start := time.Date(day.Year(), day.Month(), day.Day()+d, h, 0, 0, 0, tiki.Vietnam())
			if !start.After(now) {
				continue
			}
			out = append(out, v2PickupSlot{
				ExpectedPickupSlot: fmt.Sprintf("%s - %s %s", start.Format("15:04"), start.Add(3*time.Hour).Format("15:04"), start.Format("02/01/2006")),
				ExpectedPickupTime: orderTime(start),
			})
		}
	}
	return out
}

// GET /integration/v2/orders/dropship/expected-pickup-slots
func (s *Server) pickupSlotsV2(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"seller_id": v2SellerID, "pickup_slots": pickupSlots(s.cfg.now())})
}

// POST /integration/v2/orders/{code}/dropship/confirm-available
// {"confirmation_status": "seller_confirmed", "seller_inventory_id": 919,
// "expected_pickup_time": "2021-06-03 09:00:00"}
func (s *Server) confirmDropshipV2(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ConfirmationStatus string `json:"confirmation_status"`
		SellerInventoryID  int64  `json:"seller_inventory_id"`
		ExpectedPickupTime string `json:"expected_pickup_time"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	confirm := req.ConfirmationStatus == v2SellerConfirmed
	switch {
	case !confirm && req.ConfirmationStatus != v2SellerCanceled:
		bad = append(bad, "confirmation_status must be seller_confirmed or seller_canceled")
	case confirm && req.SellerInventoryID <= 0:
		bad = append(bad, "seller_inventory_id is required")
	}
	var pickup time.Time
	if confirm {
		t, err := time.ParseInLocation(tiki.TimeLayout, req.ExpectedPickupTime, tiki.Vietnam())
		if err != nil {
			bad = append(bad, "expected_pickup_time must be a date-time yyyy-MM-dd HH:mm:ss from the expected pickup slots")
		}
		pickup = t
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, now := s.confirmableOrderV2(w, r, true)
	if o == nil {
		return
	}
	keep := map[int64]bool{}
	inventory := int64(0)
	if confirm {
		inventory = req.SellerInventoryID
		if !s.mappedInventory(o.tikiWarehouse, inventory) {
			bad = append(bad, fmt.Sprintf("seller_inventory_id %d is not mapped to Tiki warehouse %s of order %s", inventory, o.tikiWarehouse, o.code))
		}
		if !slices.ContainsFunc(pickupSlots(now), func(sl v2PickupSlot) bool { return sl.ExpectedPickupTime == orderTime(pickup) }) {
			bad = append(bad, fmt.Sprintf("expected_pickup_time %s is not one of the expected pickup slots", req.ExpectedPickupTime))
		}
		for _, it := range o.waitingItems() {
			keep[it.id] = true
		}
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusUnprocessableEntity, bad...)
		return
	}
	if confirm {
		o.pickupTime = pickup
	}
	// A confirmed dropship order waits for Tiki's driver: picking.
	s.confirmItemsV2(now, o, keep, inventory, "picking")
	writeJSON(w, http.StatusOK, map[string]any{"code": o.code, "status": o.status})
}

// --- labels ---------------------------------------------------------------

// labelV2 serves GET /integration/v2/orders/{code}/{kind}/labels: the label
// of a confirmed, not canceled order of the kind's fulfillment type, as
// JSON with its URLs (see v2Labels) or, with format=html, the HTML page
// itself.
func (s *Server) labelV2(kind string) func(http.ResponseWriter, *http.Request) {
	spec := v2Labels[kind]
	return func(w http.ResponseWriter, r *http.Request) {
		format := r.URL.Query().Get("format")
		if format != "" && format != "html" {
			writeErrors(w, http.StatusBadRequest, "format must be html")
			return
		}
		s.mu.Lock()
		o := s.lookupOrderV2(w, r.PathValue("code"))
		if o == nil {
			s.mu.Unlock()
			return
		}
		var bad string
		switch {
		case o.fulfillment != spec.fulfillment:
			bad = fmt.Sprintf("Order %s is a %s order: %s labels are for %s orders", o.code, o.fulfillment, kind, spec.fulfillment)
		case o.status == v2Canceled:
			bad = fmt.Sprintf("Order %s is canceled: it has no label", o.code)
		case !o.confirmed():
			bad = fmt.Sprintf("Order %s is not confirmed yet: labels are printed once its items are confirmed", o.code)
		}
		if bad != "" {
			s.mu.Unlock()
			writeErrors(w, http.StatusUnprocessableEntity, bad)
			return
		}
		if format == "html" {
			page, err := s.labelHTMLV2(o, spec.title)
			s.mu.Unlock()
			if err != nil {
				writeErrors(w, http.StatusInternalServerError, "Internal server error")
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
			return
		}
		st := &s.state.ordersV2
		key := v2LabelKey{code: o.code, kind: kind}
		file, ok := st.files[key]
		if !ok {
			file = "v2-" + randomToken(len(st.labels))[:32] + ".html"
			st.files[key], st.labels[file] = file, key
		}
		s.mu.Unlock()
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		url := scheme + "://" + r.Host + "/ts/print/" + file
		body := map[string]string{}
		for _, k := range spec.keys {
			body[k] = url
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// labelHTMLV2 renders the label of o. s.mu must be held.
func (s *Server) labelHTMLV2(o *v2Order, title string) ([]byte, error) {
	type line struct {
		SKU, Name string
		Qty       int
		Price     int64
	}
	var items []line
	var total int64
	for _, it := range o.items {
		if it.confirmation != v2SellerCanceled {
			items = append(items, line{it.code, it.name, it.qty, it.price})
			total += it.price * int64(it.qty)
		}
	}
	total += o.shippingFee
	collect := int64(0)
	if o.payment == "cod" {
		collect = total
	}
	type address struct{ Name, Street, Ward, City, Region, Phone string }
	view := struct {
		Title, Code, Fulfillment, Placed string
		Shipping                         address
		Items                            []line
		Total, Collect                   int64
	}{
		Title: title, Code: o.code, Fulfillment: o.fulfillment, Placed: orderTime(o.createdAt),
		Shipping: address{Name: o.customerName, Street: "52 Út Tịch", Ward: "Phường 04", City: "Quận Tân Bình", Region: "Hồ Chí Minh", Phone: "0901000000"},
		Items:    items, Total: total, Collect: collect,
	}
	var b bytes.Buffer
	err := labelPage.Execute(&b, view)
	return b.Bytes(), err
}

// labelFileV2 serves a label file of a v2 order, if file is one. s.mu must
// be held.
func (s *Server) labelFileV2(file string) ([]byte, bool) {
	key, ok := s.state.ordersV2.labels[file]
	o := s.state.ordersV2.orders[key.code]
	if !ok || o == nil {
		return nil, false
	}
	page, err := s.labelHTMLV2(o, v2Labels[key.kind].title)
	return page, err == nil
}

// --- delivery ----------------------------------------------------------------

// checkDelivering returns why the seller cannot report the delivery of o
// (of fulfillment type ft) now. s.mu must be held.
func checkDelivering(o *v2Order, ft string) string {
	switch {
	case o.fulfillment != ft:
		return fmt.Sprintf("Order %s is a %s order: only %s orders report this", o.code, o.fulfillment, ft)
	case o.status == v2Canceled || o.status == v2SuccessfulDelivery || o.status == "complete":
		return fmt.Sprintf("Order %s is already %s", o.code, o.status)
	case !o.confirmed():
		return fmt.Sprintf("Order %s is not confirmed yet: confirm its items first", o.code)
	}
	return ""
}

// POST /integration/v2/orders/{code}/seller-delivery/update-delivery
// {"status": "failed_delivery", "failure_cause": "redelivery_appointment",
// "appointment_date": "2021-06-12 09:00:00", "note": "..."}
func (s *Server) updateDeliveryV2(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status          string `json:"status"`
		FailureCause    string `json:"failure_cause"`
		AppointmentDate string `json:"appointment_date"`
		Note            string `json:"note"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	switch req.Status {
	case v2SuccessfulDelivery:
		if req.FailureCause != "" {
			bad = append(bad, "failure_cause is only for status failed_delivery")
		}
	case "failed_delivery":
		cancels, ok := v2FailureCauses[req.FailureCause]
		switch {
		case !ok:
			bad = append(bad, "failure_cause must be out_of_needs, redelivery_appointment or out_of_stock for status failed_delivery")
		case !cancels && req.AppointmentDate == "":
			bad = append(bad, "appointment_date is required for failure_cause redelivery_appointment")
		}
	default:
		bad = append(bad, "status must be successful_delivery or failed_delivery")
	}
	var appointment time.Time
	if req.AppointmentDate != "" {
		t, err := time.ParseInLocation(tiki.TimeLayout, req.AppointmentDate, tiki.Vietnam())
		if err != nil {
			t, err = time.ParseInLocation(time.DateOnly, req.AppointmentDate, tiki.Vietnam())
		}
		if err != nil {
			bad = append(bad, "appointment_date must be a date yyyy-MM-dd or a date-time yyyy-MM-dd HH:mm:ss")
		}
		appointment = t
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrderV2(w, r.PathValue("code"))
	if o == nil {
		return
	}
	now := s.cfg.now()
	if msg := checkDelivering(o, v2SellerDelivery); msg != "" {
		writeErrors(w, http.StatusUnprocessableEntity, msg)
		return
	}
	if !appointment.IsZero() && appointment.Before(now) && req.FailureCause == "redelivery_appointment" {
		writeErrors(w, http.StatusUnprocessableEntity, "appointment_date must not be in the past")
		return
	}
	reported := tiki.SellerDeliveryUpdate{Status: tiki.SellerDeliveryStatus(req.Status), FailureCause: tiki.DeliveryFailureCause(req.FailureCause), Note: req.Note}
	if !appointment.IsZero() {
		reported.AppointmentDate = tiki.Ptr(tiki.NewTime(appointment))
	}
	o.deliveries = append(o.deliveries, reported)
	switch {
	case req.Status == v2SuccessfulDelivery:
		o.deliveredAt = now.Truncate(time.Second)
		s.changeOrderV2(now, o, v2SuccessfulDelivery)
	case v2FailureCauses[req.FailureCause]:
		o.cancelCode = v2CancelOutOfStock
		if req.FailureCause == "out_of_needs" {
			o.cancelCode = v2CancelNoLongerNeeded
		}
		o.cancelReason, o.canceledAt = cancelReasonsV2[o.cancelCode], now.Truncate(time.Second)
		s.changeOrderV2(now, o, v2Canceled)
	default:
		touchOrderV2(now, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": o.code, "status": o.status})
}

// POST /integration/v2/orders/{code}/cross-border/update-shipment
// {"status": "transferring_to_foreign_warehouses", "update_time": "2021-06-11 12:00:00"}:
// the steps go forward through v2ShipmentSteps (a step may be skipped, none
// repeated or reversed); successful_delivery completes the order.
func (s *Server) updateShipmentV2(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status     string `json:"status"`
		UpdateTime string `json:"update_time"`
	}
	if !decodeOrderBody(w, r, &req) {
		return
	}
	var bad []string
	step := slices.Index(v2ShipmentSteps, req.Status)
	if step < 0 {
		bad = append(bad, "status must be one of "+strings.Join(v2ShipmentSteps, ", "))
	}
	updated, err := time.ParseInLocation(tiki.TimeLayout, req.UpdateTime, tiki.Vietnam())
	if err != nil {
		bad = append(bad, "update_time must be a date-time yyyy-MM-dd HH:mm:ss")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrderV2(w, r.PathValue("code"))
	if o == nil {
		return
	}
	if msg := checkDelivering(o, v2CrossBorder); msg != "" {
		writeErrors(w, http.StatusUnprocessableEntity, msg)
		return
	}
	if n := len(o.shipments); n > 0 {
		if last := slices.Index(v2ShipmentSteps, string(o.shipments[n-1].Status)); step <= last {
			writeErrors(w, http.StatusUnprocessableEntity, fmt.Sprintf("Order %s is already at shipment status %s: %s cannot follow it", o.code, o.shipments[n-1].Status, req.Status))
			return
		}
	}
	now := s.cfg.now()
	o.shipments = append(o.shipments, tiki.ShipmentUpdate{Status: tiki.DeliveryStatus(req.Status), UpdateTime: tiki.NewTime(updated)})
	if req.Status == v2SuccessfulDelivery {
		o.deliveredAt = now.Truncate(time.Second)
		s.changeOrderV2(now, o, v2SuccessfulDelivery)
	} else {
		touchOrderV2(now, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": o.code, "status": o.status})
}
