package tiki

import "context"

// WarehousesService lists warehouses: Tiki's own fulfilment centres, whose
// codes are used in stock updates and webhook registration.
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
	l, resp, err := get[list[Warehouse]](ctx, s.client, GroupWarehouses, "warehouses/tiki", nil)
	return derefList(l), resp, err
}
