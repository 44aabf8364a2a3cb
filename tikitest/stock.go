package tikitest

import (
	"fmt"
	"maps"
	"slices"

	"github.com/tikisdk/tiki"
)

// Stock as Tiki counts it, changed behind the client's back, held by
// orders, and updates Tiki refuses.
//
// Tiki counts a product's stock in each seller warehouse with three
// figures: quantity_available (the units in the warehouse),
// quantity_reserved (the units open orders hold) and quantity_sellable
// (available − reserved, what can still be sold). The seller sets
// available; the fake keeps reserved as Tiki does:
//
//   - an order of today's order API (CreateOrder) holds, for each item of a
//     product stocked by the seller, the units ordered: from the product's
//     warehouses that supply the order's Tiki warehouse first, then from
//     the others, as far as they have sellable units;
//   - when the order is canceled (or, at the order's next change, when the
//     item was canceled by the seller's confirmation) its units are
//     released;
//   - when the order ships (handover_to_partner, shipping,
//     successful_delivery, delivered, complete) its units leave the
//     warehouse: available and reserved both drop by them.
//
// Each change is published as PRODUCT_INVENTORY_UPDATED with the three
// figures before and after, and sent as a stock webhook (qty_salable is the
// sellable quantity summed per Tiki warehouse).

// stockState is the fake's stock held by orders and its refused products.
// Every field is guarded by Server.mu.
type stockState struct {
	reserved map[int64]map[int64]int // product id -> seller warehouse -> units held
	holds    map[int64][]stockHold   // order item id -> its units, per warehouse
	refused  map[int64]string        // product id -> Tiki's message
	gen      map[int64]int           // product id -> count of changes by orders
}

// stockHold is units of one order item held in one warehouse.
type stockHold struct {
	product, warehouse int64
	units              int
}

func (s *Server) initStock() {
	s.state.stock = stockState{reserved: map[int64]map[int64]int{}, holds: map[int64][]stockHold{}, refused: map[int64]string{}, gen: map[int64]int{}}
}

// StockLevel is a product's stock in one seller warehouse.
type StockLevel struct {
	// Warehouse is the seller warehouse's id (seller_inventory_id).
	Warehouse int64
	// Available is quantity_available: the units in the warehouse.
	Available int
	// Reserved is quantity_reserved: the units open orders hold.
	Reserved int
	// Sellable is quantity_sellable: Available − Reserved, not below 0.
	Sellable int
}

// Stock returns the stock of the product whose original (seller) SKU is
// originalSKU, per seller warehouse in the product's order. An unknown SKU
// is an error wrapping tiki.ErrNotFound.
func (s *Server) Stock(originalSKU string) ([]StockLevel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return nil, err
	}
	out := make([]StockLevel, 0, len(p.warehouses))
	for _, wh := range p.warehouses {
		out = append(out, s.stockLevel(p, wh))
	}
	return out, nil
}

// SetStock sets the quantity available of a product in one seller
// warehouse behind the client's back, as an edit in Seller Center (or a
// warehouse count) does: the product's version counts up, and Tiki's event
// and webhook are sent. Units held by orders stay held. A warehouse that is
// not the seller's or a negative quantity is a *tiki.ValidationError; an
// unknown SKU an error wrapping tiki.ErrNotFound. The fake lets it set any
// product's stock, Tiki's own (instock) included, and any quantity, such as
// the 10,000,000 of a product Tiki lets sell when out of stock.
func (s *Server) SetStock(originalSKU string, warehouseID int64, quantity int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bad []tiki.FieldProblem
	if _, ok := s.state.products.warehouses[warehouseID]; !ok {
		bad = append(bad, tiki.FieldProblem{Field: "warehouseID", Problem: fmt.Sprintf("must be one of the seller's warehouses, not %d", warehouseID)})
	}
	if quantity < 0 {
		bad = append(bad, tiki.FieldProblem{Field: "quantity", Problem: fmt.Sprintf("must not be negative, not %d", quantity)})
	}
	if len(bad) > 0 {
		return &tiki.ValidationError{Problems: bad}
	}
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return err
	}
	plan := currentPlan(p)
	if !slices.Contains(plan.warehouses, warehouseID) {
		plan.warehouses = append(plan.warehouses, warehouseID)
	}
	plan.stock[warehouseID] = quantity
	s.applyPlan(p, plan)
	return nil
}

// SetPrice sets the selling price of a product behind the client's back,
// as an edit in Seller Center does (raising the market price to it when it
// is above): the product's version counts up, and Tiki's events are sent.
// A price that is not positive is a *tiki.ValidationError; an unknown SKU
// an error wrapping tiki.ErrNotFound.
func (s *Server) SetPrice(originalSKU string, price tiki.Money) error {
	if price <= 0 {
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "price", Problem: fmt.Sprintf("must be greater than 0, not %d", price)}}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return err
	}
	plan := currentPlan(p)
	plan.price = int64(price)
	plan.marketPrice = max(plan.marketPrice, plan.price)
	s.applyPlan(p, plan)
	return nil
}

// RefuseUpdates makes Tiki refuse every update of a product from now on,
// with reason as Tiki's message (a product Tiki locked, a category that no
// longer takes the product): a batch update answers the item's row with
// is_success false and code resource_illegal, a single update answers 422.
// AcceptUpdates ends it. An empty reason is a *tiki.ValidationError; an
// unknown SKU an error wrapping tiki.ErrNotFound.
func (s *Server) RefuseUpdates(originalSKU, reason string) error {
	if reason == "" {
		return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: "reason", Problem: "is required"}}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return err
	}
	s.state.stock.refused[p.id] = reason
	return nil
}

// AcceptUpdates ends RefuseUpdates for a product. An unknown SKU is an
// error wrapping tiki.ErrNotFound.
func (s *Server) AcceptUpdates(originalSKU string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return err
	}
	delete(s.state.stock.refused, p.id)
	return nil
}

// stockProduct returns the product whose original SKU is sku. s.mu must be
// held.
func (s *Server) stockProduct(sku string) (*fakeProduct, error) {
	s.tickRequests()
	p, ok := s.state.products.bySKU[sku]
	if !ok {
		return nil, fmt.Errorf("tikitest: no product with original SKU %q: %w", sku, tiki.ErrNotFound)
	}
	return p, nil
}

// currentPlan is a product's state as a change starts from it.
func currentPlan(p *fakeProduct) prodPlan {
	return prodPlan{
		price: p.price, marketPrice: p.marketPrice, active: p.active, hidden: p.hidden,
		warehouses: slices.Clone(p.warehouses), stock: maps.Clone(p.stock),
	}
}

// refusal returns the message Tiki refuses p's updates with, if it does.
// s.mu must be held.
func (s *Server) refusal(p *fakeProduct) (string, bool) {
	reason, ok := s.state.stock.refused[p.id]
	return reason, ok
}

// reservedUnits returns the units of p held by orders in warehouse wh.
// s.mu must be held.
func (s *Server) reservedUnits(p *fakeProduct, wh int64) int {
	return s.state.stock.reserved[p.id][wh]
}

// stockLevel returns p's stock in warehouse wh. s.mu must be held.
func (s *Server) stockLevel(p *fakeProduct, wh int64) StockLevel {
	avail, res := p.stock[wh], s.reservedUnits(p, wh)
	return StockLevel{Warehouse: wh, Available: avail, Reserved: res, Sellable: max(avail-res, 0)}
}

// publishInventory publishes PRODUCT_INVENTORY_UPDATED (v2) for a change of
// p's stock in warehouse wh from before to after. s.mu must be held.
func (s *Server) publishInventory(p *fakeProduct, wh int64, before, after StockLevel) {
	if before == after {
		return
	}
	s.publishOwnEvent(tiki.EventProductInventoryUpdated, "v2", inventoryPayload{ProductID: p.id, OriginalSKU: p.originalSKU,
		WarehouseID: wh, QuantityFrom: before.Available, QuantityTo: after.Available,
		QuantityAvailableFrom: before.Available, QuantityAvailableTo: after.Available,
		QuantityReservedFrom: before.Reserved, QuantityReservedTo: after.Reserved,
		QuantitySellableFrom: before.Sellable, QuantitySellableTo: after.Sellable})
}

// holdStock changes the units held in p's warehouse wh by delta and its
// quantity available by taken (negative when units leave the warehouse),
// and reports the change. s.mu must be held.
func (s *Server) holdStock(p *fakeProduct, wh int64, delta, taken int) {
	before, byCode := s.stockLevel(p, wh), s.stockByCode(p)
	st := &s.state.stock
	if st.reserved[p.id] == nil {
		st.reserved[p.id] = map[int64]int{}
	}
	st.reserved[p.id][wh] = max(st.reserved[p.id][wh]+delta, 0)
	st.gen[p.id]++
	if taken != 0 {
		p.stock[wh] = max(p.stock[wh]+taken, 0)
	}
	s.publishInventory(p, wh, before, s.stockLevel(p, wh))
	s.emitStock(p, byCode)
}

// reserveOrder holds the units of a new order's items. s.mu must be held.
func (s *Server) reserveOrder(o *v2Order) {
	st := &s.state.products
	for _, it := range o.items {
		p := st.bySKU[it.code]
		if p == nil || p.inventoryType == tiki.InventoryInstock || it.inventory == "instock" {
			continue
		}
		// The warehouses that supply the order's Tiki warehouse first.
		whs := slices.Clone(p.warehouses)
		slices.SortStableFunc(whs, func(a, b int64) int {
			return boolRank(st.warehouses[a] != o.tikiWarehouse) - boolRank(st.warehouses[b] != o.tikiWarehouse)
		})
		need := it.qty
		for _, wh := range whs {
			take := min(need, s.stockLevel(p, wh).Sellable)
			if take <= 0 {
				continue
			}
			s.holdStock(p, wh, take, 0)
			s.state.stock.holds[it.id] = append(s.state.stock.holds[it.id], stockHold{product: p.id, warehouse: wh, units: take})
			need -= take
		}
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// shippedStatuses are the order statuses in which an order's units have
// left the seller's warehouse.
var shippedStatuses = []tiki.OrderStatus{tiki.OrderStatusHandoverToPartner, tiki.OrderStatusShipping,
	tiki.OrderStatusSuccessfulDelivery, tiki.OrderStatusDelivered, tiki.OrderStatusComplete}

// settleOrder releases or ships the units held by an order after its
// status changed. s.mu must be held.
func (s *Server) settleOrder(o *v2Order) {
	ship := slices.Contains(shippedStatuses, tiki.OrderStatus(o.status))
	for _, it := range o.items {
		holds := s.state.stock.holds[it.id]
		if len(holds) == 0 {
			continue
		}
		release := o.status == v2Canceled || it.confirmation == v2SellerCanceled
		if !release && !ship {
			continue
		}
		for _, h := range holds {
			p := s.state.products.byID[h.product]
			if p == nil {
				continue
			}
			if release {
				s.holdStock(p, h.warehouse, -h.units, 0)
			} else {
				s.holdStock(p, h.warehouse, -h.units, -h.units)
			}
		}
		delete(s.state.stock.holds, it.id)
	}
}
