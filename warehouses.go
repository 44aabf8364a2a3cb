package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// WarehousesService lists warehouses: Tiki's own fulfilment centres, whose
// codes are used in stock updates and webhook registration, and the
// seller inventories that order confirmations name.
type WarehousesService service

// Warehouse is one of Tiki's warehouses.
type Warehouse struct {
	// Name is the warehouse's display name, for example "Sài Gòn".
	Name string `json:"name"`
	// Code identifies it in other calls, for example "sgn".
	Code string `json:"code"`
}

// ListTiki lists Tiki's active warehouses.
//
// GET /v2/warehouses/tiki
func (s *WarehousesService) ListTiki(ctx context.Context) ([]Warehouse, *Response, error) {
	return callList[Warehouse](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "warehouses/tiki"})
}

// Locality is a named administrative area of an address (country,
// region, district or ward) with Tiki's code for it.
type Locality struct {
	// Code, for example "VN034" (Hà Nội) or "VN034025003" (a ward).
	Code string `json:"code"`
	// Name is the area's name, for example "Hà Nội" or "Phường Giáp Bát".
	Name string `json:"name"`
}

// SellerWarehouse is a warehouse the seller registered with Tiki, as the v1
// order API knows it. client.V1.Orders.ConfirmItems names it by
// WarehouseCode and SellerInventoryID: several warehouses may share a code,
// the inventory id tells them apart.
type SellerWarehouse struct {
	// WarehouseID is the id of the Tiki warehouse the seller's warehouse
	// is registered with, for example 2.
	WarehouseID int64 `json:"warehouse_id"`
	// WarehouseCode is that Tiki warehouse's code, for example "hn" or
	// "sgn"; several of the seller's warehouses may share it.
	WarehouseCode string `json:"warehouse_code"`
	// SellerInventoryID is the id of the seller's warehouse itself, which
	// tells warehouses with the same code apart.
	SellerInventoryID int64 `json:"seller_inventory_id"`
	// Name is the name the seller gave the warehouse.
	Name string `json:"name"`
	// Street is the address line.
	Street string `json:"street"`
	// Ward is the warehouse's ward (code like "VN034025003").
	Ward Locality `json:"ward"`
	// District is the warehouse's district (code like "VN034025").
	District Locality `json:"district"`
	// Region is the warehouse's province or city (code like "VN034").
	Region Locality `json:"region"`
	// Country is the warehouse's country (code "vn").
	Country Locality `json:"country"`
	// ContactName is the name of the warehouse's contact person.
	ContactName string `json:"contact_name"`
	// ContactEmail is the contact person's email address.
	ContactEmail string `json:"contact_email"`
	// ContactPhone is the contact person's phone number.
	ContactPhone string `json:"contact_phone"`
}

// UnmarshalJSON tolerates ids sent as strings.
func (w *SellerWarehouse) UnmarshalJSON(b []byte) error {
	type plain SellerWarehouse
	var raw struct {
		plain
		WarehouseID       FlexInt `json:"warehouse_id"`
		SellerInventoryID FlexInt `json:"seller_inventory_id"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*w = SellerWarehouse(raw.plain)
	w.WarehouseID = int64(raw.WarehouseID)
	w.SellerInventoryID = int64(raw.SellerInventoryID)
	return nil
}

// SellerWarehousesOptions filters the v1 ListSeller. Every field is
// optional.
type SellerWarehousesOptions struct {
	// WarehouseID keeps the warehouse with this id.
	WarehouseID int64 `url:"warehouse_id,omitempty"`
	// WarehouseCode keeps the warehouses with this code, for example "hn".
	WarehouseCode string `url:"warehouse_code,omitempty"`
}

func (o *SellerWarehousesOptions) validate(v *validator) {
	v.check(o.WarehouseID >= 0, "warehouse_id", "must not be negative")
}

// ListSeller lists the warehouses the seller registered with Tiki as the v1
// order API knows them, filtered by opts (which may be nil). Step 1 of both
// v1 order flows: the warehouse code and seller inventory id go into
// client.V1.Orders.ConfirmItems. Today's order API names seller warehouses
// through client.Warehouses.ListSellerInventories (and
// client.Sellers.ListWarehouses lists them).
//
// GET /v1/warehouses
func (s *WarehousesV1Service) ListSeller(ctx context.Context, opts *SellerWarehousesOptions) ([]SellerWarehouse, *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	o.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callList[SellerWarehouse](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "warehouses", query: encodeQuery(&o)})
}

// SellerInventories are the seller warehouses an order may be confirmed
// from, per Tiki warehouse.
type SellerInventories struct {
	// Inventories are the seller's active requisition warehouses that
	// supply the Tiki warehouses asked for.
	Inventories []SellerInventory `json:"seller_inventories"`
	// Mappings tell, per Tiki warehouse, which of them may be named.
	Mappings []InventoryMapping `json:"mappings"`
}

// InventoryMapping lists the seller inventories that supply one Tiki
// warehouse.
type InventoryMapping struct {
	// TikiWarehouseCode is the Tiki warehouse, for example "sgn".
	TikiWarehouseCode string `json:"tiki_warehouse_code"`
	// SellerInventoryIDs are the seller inventories that supply it.
	SellerInventoryIDs []int64 `json:"seller_inventory_ids"`
}

// UnmarshalJSON refuses an answer without the documented lists.
func (si *SellerInventories) UnmarshalJSON(b []byte) error {
	var w struct {
		Inventories *[]SellerInventory  `json:"seller_inventories"`
		Mappings    *[]InventoryMapping `json:"mappings"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Inventories == nil || w.Mappings == nil {
		return newShapeError(`seller inventories ({"seller_inventories": [...], "mappings": [...]})`, b)
	}
	*si = SellerInventories{Inventories: *w.Inventories, Mappings: *w.Mappings}
	return nil
}

// For returns the seller inventories mapped to a Tiki warehouse, in
// Tiki's order. Ids that the mapping names without listing the inventory
// are left out.
func (si *SellerInventories) For(tikiWarehouseCode string) []SellerInventory {
	if si == nil {
		return nil
	}
	byID := make(map[int64]SellerInventory, len(si.Inventories))
	for _, inv := range si.Inventories {
		byID[inv.ID] = inv
	}
	var out []SellerInventory
	for _, m := range si.Mappings {
		if !strings.EqualFold(m.TikiWarehouseCode, tikiWarehouseCode) {
			continue
		}
		for _, id := range m.SellerInventoryIDs {
			if inv, ok := byID[id]; ok {
				out = append(out, inv)
			}
		}
	}
	return out
}

// ListSellerInventories returns the seller warehouses that v2 order
// confirmations may name, for the given Tiki warehouse codes (an order's
// TikiWarehouse.Code): only active requisition warehouses, and, per Tiki
// warehouse, which of them supply it.
//
// GET /v2/seller-inventories?tiki_warehouse_codes=...
func (s *WarehousesService) ListSellerInventories(ctx context.Context, tikiWarehouseCodes ...string) (*SellerInventories, *Response, error) {
	var v validator
	if len(tikiWarehouseCodes) == 0 {
		v.add("tiki_warehouse_codes", "must name at least one Tiki warehouse (Order.TikiWarehouse.Code)")
	}
	checkValueList(&v, "tiki_warehouse_codes", tikiWarehouseCodes)
	if len(tikiWarehouseCodes) == 1 && tikiWarehouseCodes[0] == "" {
		v.add("tiki_warehouse_codes", "must name at least one Tiki warehouse (Order.TikiWarehouse.Code)")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	q := encodeQuery(struct {
		Codes []string `url:"tiki_warehouse_codes"`
	}{tikiWarehouseCodes})
	return call[SellerInventories](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "seller-inventories", query: q})
}

// inventoryFor returns the first seller inventory Tiki maps to the order's
// Tiki warehouse.
func (s *WarehousesService) inventoryFor(ctx context.Context, order *Order) (int64, *Response, error) {
	code := order.TikiWarehouse.Code
	if strings.TrimSpace(code) == "" {
		return 0, nil, &ValidationError{Problems: []FieldProblem{{Field: "seller_inventory_id",
			Problem: "is required: order " + order.Code + " names no Tiki warehouse to look it up by"}}}
	}
	invs, resp, err := s.ListSellerInventories(ctx, code)
	if err != nil {
		return 0, resp, err
	}
	for _, m := range invs.Mappings {
		if strings.EqualFold(m.TikiWarehouseCode, code) && len(m.SellerInventoryIDs) > 0 {
			return m.SellerInventoryIDs[0], resp, nil
		}
	}
	return 0, resp, &ValidationError{Problems: []FieldProblem{{Field: "seller_inventory_id",
		Problem: "is required: Tiki maps no seller inventory to Tiki warehouse " + code}}}
}
