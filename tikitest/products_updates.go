package tikitest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
)

// MaxBatchUpdate is how many products one batch update (updateSkus) may
// change; the fake answers 400 above it, as Tiki does.
const MaxBatchUpdate = 20

// Tiki's messages for refused price changes.
const (
	msgPriceAboveListing = "Seller price must be less than or equals listing price of master product"
	msgPriceTooLow       = "Price is not valid because less than ten percent listing price"
)

// prodChange is one product update as the update endpoints receive it;
// which fields count depends on the endpoint.
type prodChange struct {
	ProductID           tiki.FlexInt        `json:"product_id"`
	OriginalSKU         string              `json:"original_sku"`
	Price               *tiki.FlexInt       `json:"price"`
	MarketPrice         *tiki.FlexInt       `json:"market_price"`
	Active              *tiki.FlexInt       `json:"active"`
	Status              *tiki.FlexInt       `json:"status"`
	Quantity            *tiki.FlexInt       `json:"quantity"`
	SellerWarehouse     *string             `json:"seller_warehouse"`
	WarehouseQuantities *[]prodWarehouseQty `json:"warehouse_quantities"`
}

type prodWarehouseQty struct {
	WarehouseID  tiki.FlexInt `json:"warehouse_id"`
	QtyAvailable tiki.FlexInt `json:"qty_available"`
}

// keep clears the fields an endpoint does not take: "single" (updateSku)
// or "batch" (updateSkus), for an API version.
func (c *prodChange) keep(kind, version string) {
	if version == "v2.1" {
		c.Quantity = nil
	} else {
		c.SellerWarehouse, c.WarehouseQuantities, c.MarketPrice = nil, nil, nil
	}
	if kind == "single" {
		c.Status = nil
	} else {
		c.Active, c.MarketPrice = nil, nil
	}
}

// prodPlan is a product's state after a change, before it is applied.
type prodPlan struct {
	price, marketPrice int64
	active, hidden     bool
	warehouses         []int64
	stock              map[int64]int
}

// lookupProduct finds the product named by id, or by original SKU when id
// is 0. s.mu must be held.
func (s *Server) lookupProduct(id int64, sku string) (*fakeProduct, bool) {
	if id != 0 {
		p, ok := s.state.products.byID[id]
		return p, ok
	}
	p, ok := s.state.products.bySKU[sku]
	return p, ok
}

// planChange works out a change against Tiki's rules, returning the new
// state or the problems. s.mu must be held.
func (s *Server) planChange(p *fakeProduct, c *prodChange) (prodPlan, prodProblems) {
	plan := prodPlan{
		price: p.price, marketPrice: p.marketPrice, active: p.active, hidden: p.hidden,
		warehouses: slices.Clone(p.warehouses), stock: maps.Clone(p.stock),
	}
	var bad prodProblems
	if reason, ok := s.refusal(p); ok {
		bad.add("%s", reason)
		return plan, bad
	}
	if c.Price != nil {
		if *c.Price <= 0 {
			bad.add("price must be greater than 0")
		} else {
			plan.price = int64(*c.Price)
		}
	}
	if c.MarketPrice != nil {
		if *c.MarketPrice <= 0 {
			bad.add("market_price must be greater than 0")
		} else {
			plan.marketPrice = int64(*c.MarketPrice)
		}
	}
	if len(bad) == 0 && (plan.price != p.price || plan.marketPrice != p.marketPrice) {
		switch {
		case plan.price > plan.marketPrice:
			bad.add(msgPriceAboveListing)
		case plan.price*10 < plan.marketPrice:
			bad.add(msgPriceTooLow)
		}
	}
	if c.Active != nil {
		switch *c.Active {
		case 1:
			plan.active, plan.hidden = true, false
		case 0:
			plan.active = false
		default:
			bad.add("active must be 1 (active) or 0 (inactive)")
		}
	}
	if c.Status != nil {
		switch tiki.ProductStatus(*c.Status) {
		case tiki.ProductStatusEnabled:
			plan.active, plan.hidden = true, false
		case tiki.ProductStatusDisabled:
			plan.active, plan.hidden = false, false
		case tiki.ProductStatusHidden:
			plan.active, plan.hidden = false, true
		default:
			bad.add("status must be 1 (enabled), 2 (disabled) or 3 (hidden)")
		}
	}

	if c.SellerWarehouse == nil && c.WarehouseQuantities == nil && c.Quantity == nil {
		return plan, bad
	}
	if p.inventoryType == tiki.InventoryInstock {
		bad.add("Can not update stock of a product stored in a TIKI warehouse (inventory_type instock)")
		return plan, bad
	}
	if c.SellerWarehouse != nil && strings.TrimSpace(*c.SellerWarehouse) != "" {
		n := len(bad)
		s.checkWarehouseList(&bad, "seller_warehouse", *c.SellerWarehouse)
		if len(bad) == n {
			ids := prodWarehouseIDs(*c.SellerWarehouse)
			stock := make(map[int64]int, len(ids))
			for _, id := range ids {
				stock[id] = plan.stock[id]
			}
			plan.warehouses, plan.stock = ids, stock
		}
	}
	if c.WarehouseQuantities != nil {
		// The whole list: warehouses left out get 0.
		stock := make(map[int64]int, len(plan.warehouses))
		for _, id := range plan.warehouses {
			stock[id] = 0
		}
		seen := map[int64]bool{}
		for _, wq := range *c.WarehouseQuantities {
			id := int64(wq.WarehouseID)
			n := len(bad)
			s.checkWarehouse(&bad, "warehouse_quantities", id)
			switch {
			case seen[id]:
				bad.add("warehouse_quantities repeats warehouse %d", id)
			case wq.QtyAvailable < 0:
				bad.add("warehouse_quantities qty_available must not be negative")
			case len(bad) == n:
				if !slices.Contains(plan.warehouses, id) {
					plan.warehouses = append(plan.warehouses, id)
				}
				stock[id] = int(wq.QtyAvailable)
			}
			seen[id] = true
		}
		plan.stock = stock
	}
	if c.Quantity != nil {
		if *c.Quantity < 0 {
			bad.add("quantity must not be negative")
		} else {
			if len(plan.warehouses) == 0 {
				plan.warehouses = []int64{s.state.products.defaultWarehouse}
			}
			for _, id := range plan.warehouses {
				plan.stock[id] = 0
			}
			plan.stock[plan.warehouses[0]] = int(*c.Quantity)
		}
	}
	return plan, bad
}

// applyPlan applies a planned change, counts a new version when anything
// changed, sends stock webhooks and publishes price, market price and
// inventory events. s.mu must be held.
func (s *Server) applyPlan(p *fakeProduct, plan prodPlan) {
	changed := p.price != plan.price || p.marketPrice != plan.marketPrice || p.active != plan.active ||
		p.hidden != plan.hidden || !slices.Equal(p.warehouses, plan.warehouses) || !maps.Equal(p.stock, plan.stock)
	if !changed {
		return
	}
	before := s.stockByCode(p)
	price, marketPrice, stock := p.price, p.marketPrice, p.stock // plan.stock is a new map: stock stays as it was
	if p.hidden != plan.hidden {
		s.state.products.visible = nil // see latestPage
	}
	p.price, p.marketPrice, p.active, p.hidden = plan.price, plan.marketPrice, plan.active, plan.hidden
	p.warehouses, p.stock = plan.warehouses, plan.stock
	p.version++
	p.updatedAt = s.cfg.now().Truncate(time.Second)
	s.emitStock(p, before)
	s.publishProductChanges(p, price, marketPrice, stock)
}

// PUT /integration/v2.1/products/updateSku (price, market_price, active,
// seller_warehouse, warehouse_quantities), POST /v2/products/updateSku
// (price, quantity, active) and POST /v1/products/{sku}/updateSku: one
// product, all of the change or nothing.
func (s *Server) updateSku(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readProductBody(w, r)
		if !ok {
			return
		}
		var c prodChange
		if err := json.Unmarshal(body, &c); err != nil {
			writeErrors(w, http.StatusBadRequest, "Invalid payload: "+err.Error())
			return
		}
		if version == "v1" {
			c.ProductID, c.OriginalSKU = 0, r.PathValue("sku")
		}
		c.keep("single", version)
		if c.ProductID == 0 && c.OriginalSKU == "" {
			writeErrors(w, http.StatusBadRequest, "product_id or original_sku is required")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.tickRequests()
		p, ok := s.lookupProduct(int64(c.ProductID), c.OriginalSKU)
		if !ok {
			writeErrors(w, http.StatusNotFound, productNotFound(int64(c.ProductID), c.OriginalSKU))
			return
		}
		plan, bad := s.planChange(p, &c)
		if len(bad) > 0 {
			writeErrors(w, http.StatusUnprocessableEntity, bad...)
			return
		}
		s.applyPlan(p, plan)
		writeJSON(w, http.StatusOK, map[string]string{"state": string(tiki.RequestApproved)})
	}
}

func productNotFound(id int64, sku string) string {
	if id != 0 {
		return fmt.Sprintf("Product not found: product_id %d", id)
	}
	return "Product not found: original_sku " + sku
}

// PUT /integration/{v2.1,v2}/products/updateSkus: up to MaxBatchUpdate
// products, each applied or refused on its own, answered with one row per
// item.
func (s *Server) updateSkus(version string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readProductBody(w, r)
		if !ok {
			return
		}
		var in struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			writeErrors(w, http.StatusBadRequest, "data must be a list of products")
			return
		}
		switch {
		case len(in.Data) == 0:
			writeErrors(w, http.StatusBadRequest, "data is required")
			return
		case len(in.Data) > MaxBatchUpdate:
			writeErrors(w, http.StatusBadRequest, fmt.Sprintf("You can update up to %d products in 1 call, got %d", MaxBatchUpdate, len(in.Data)))
			return
		}
		s.mu.Lock()
		s.tickRequests()
		rows := make([]map[string]any, 0, len(in.Data))
		for _, raw := range in.Data {
			rows = append(rows, s.batchItem(raw, version))
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"data": rows})
	}
}

// batchItem applies one item of a batch and returns its row. s.mu must be
// held.
func (s *Server) batchItem(raw json.RawMessage, version string) map[string]any {
	var c prodChange
	if err := json.Unmarshal(raw, &c); err != nil {
		return prodBatchRow(nil, 0, "", "resource_illegal", "Invalid item: "+err.Error())
	}
	c.keep("batch", version)
	id := int64(c.ProductID)
	if id == 0 && c.OriginalSKU == "" {
		return prodBatchRow(nil, 0, "", "resource_illegal", "product_id or original_sku is required")
	}
	p, ok := s.lookupProduct(id, c.OriginalSKU)
	if !ok {
		return prodBatchRow(nil, id, c.OriginalSKU, "resource_not_found", productNotFound(id, c.OriginalSKU))
	}
	plan, bad := s.planChange(p, &c)
	if len(bad) > 0 {
		return prodBatchRow(p, 0, "", "resource_illegal", bad...)
	}
	s.applyPlan(p, plan)
	return prodBatchRow(p, 0, "", "success")
}

// prodBatchRow renders a batch result: is_success, product_id, original_sku,
// code and message (null on success).
func prodBatchRow(p *fakeProduct, id int64, sku, code string, messages ...string) map[string]any {
	if p != nil {
		id, sku = p.id, p.originalSKU
	}
	row := map[string]any{"is_success": code == "success", "product_id": id, "original_sku": sku, "code": code, "message": nil}
	if len(messages) > 0 {
		row["message"] = messages
	}
	return row
}

// POST /integration/{v2,v2.1}/products/updateOriginalSku: a new seller SKU,
// unique among the seller's products and requests in progress.
func (s *Server) updateOriginalSKU(w http.ResponseWriter, r *http.Request) {
	body, ok := readProductBody(w, r)
	if !ok {
		return
	}
	var in struct {
		ProductID   tiki.FlexInt `json:"product_id"`
		OriginalSKU string       `json:"original_sku"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid payload: "+err.Error())
		return
	}
	sku := strings.TrimSpace(in.OriginalSKU)
	var bad prodProblems
	if in.ProductID <= 0 {
		bad.add("product_id is required")
	}
	if sku == "" {
		bad.add("original_sku is required")
	}
	if len(bad) > 0 {
		writeErrors(w, http.StatusBadRequest, bad...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickRequests()
	st := &s.state.products
	p, ok := st.byID[int64(in.ProductID)]
	if !ok {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("product_id not found: %d", in.ProductID))
		return
	}
	if sku != p.originalSKU {
		if s.skuTaken(sku, nil) {
			writeErrors(w, http.StatusUnprocessableEntity, "original_sku "+sku+" is already used by another product or product request")
			return
		}
		delete(st.bySKU, p.originalSKU)
		p.originalSKU = sku
		st.bySKU[sku] = p
		p.version++
		p.updatedAt = s.cfg.now().Truncate(time.Second)
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": string(tiki.RequestApproved)})
}
