package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// WarehousesService lists warehouses: Tiki's own fulfilment centres, whose
// codes are used in stock updates and webhook registration, and the
// seller's warehouses, which order confirmations name.
type WarehousesService service

// Warehouse is one of Tiki's warehouses.
type Warehouse struct {
	// Name is the warehouse's display name, for example "Sài Gòn".
	Name string `json:"name"`
	// Code identifies it in other calls, for example "sgn".
	Code string `json:"code"`
}

// Tiki lists Tiki's active warehouses.
//
// GET /v2/warehouses/tiki
func (s *WarehousesService) Tiki(ctx context.Context) ([]Warehouse, *Response, error) {
	return callList[Warehouse](ctx, s.client, &request{method: http.MethodGet, group: GroupWarehouses, path: "warehouses/tiki"})
}

// Locality is a named administrative area of an address (country,
// region, district or ward) with Tiki's code for it.
type Locality struct {
	// Code, for example "VN034" (Hà Nội) or "VN034025003" (a ward).
	Code string `json:"code"`
	Name string `json:"name"`
}

// SellerWarehouse is a warehouse the seller registered with Tiki.
// ConfirmItems names it by WarehouseCode and SellerInventoryID: several
// warehouses may share a code, the inventory id tells them apart.
type SellerWarehouse struct {
	WarehouseID       int64  `json:"warehouse_id"`
	WarehouseCode     string `json:"warehouse_code"`
	SellerInventoryID int64  `json:"seller_inventory_id"`
	Name              string `json:"name"`
	Street            string `json:"street"`
	// Ward, District, Region and Country locate the warehouse.
	Ward         Locality `json:"ward"`
	District     Locality `json:"district"`
	Region       Locality `json:"region"`
	Country      Locality `json:"country"`
	ContactName  string   `json:"contact_name"`
	ContactEmail string   `json:"contact_email"`
	ContactPhone string   `json:"contact_phone"`
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

// SellerWarehousesOptions filters Seller. Every field is optional.
type SellerWarehousesOptions struct {
	// WarehouseID keeps the warehouse with this id.
	WarehouseID int64
	// WarehouseCode keeps the warehouses with this code, for example "hn".
	WarehouseCode string
}

// Seller lists the warehouses the seller registered with Tiki, filtered by
// opts (which may be nil). Step 1 of both order flows: the warehouse code
// and seller inventory id go into ConfirmItems.
//
// GET /v2/warehouses
func (s *WarehousesService) Seller(ctx context.Context, opts *SellerWarehousesOptions) ([]SellerWarehouse, *Response, error) {
	o := SellerWarehousesOptions{}
	if opts != nil {
		o = *opts
	}
	var v validator
	v.check(o.WarehouseID >= 0, "warehouse_id", "must not be negative")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	q := url.Values{}
	setInt64(q, "warehouse_id", o.WarehouseID)
	setString(q, "warehouse_code", o.WarehouseCode)
	return callList[SellerWarehouse](ctx, s.client, &request{method: http.MethodGet, group: GroupWarehouses, path: "warehouses", query: q})
}
