package tiki

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
)

// SellersService reads the authenticated seller's account.
type SellersService service

// RegistrationStatus is the state of a seller's registration with Tiki.
type RegistrationStatus string

// Registration statuses documented by Tiki. An account created directly,
// without registration data, has none ("").
const (
	// RegistrationDraft: the account was created.
	RegistrationDraft RegistrationStatus = "draft"
	// RegistrationWaiting: the contract was submitted and waits for Tiki's
	// key account manager.
	RegistrationWaiting RegistrationStatus = "waiting"
	// RegistrationSellerSupplementing: Tiki waits for the seller to update
	// the contract.
	RegistrationSellerSupplementing RegistrationStatus = "seller_supplementing"
	// RegistrationKAMRejected: the key account manager rejected the
	// contract.
	RegistrationKAMRejected RegistrationStatus = "kam_rejected"
	// RegistrationCompleted: the contract was approved.
	RegistrationCompleted RegistrationStatus = "completed"
)

// SellerInfo is the authenticated seller's account.
type SellerInfo struct {
	// ID is Tiki's id of the seller.
	ID int64 `json:"id"`
	// Name is the seller's name.
	Name string `json:"name"`
	// SID is the seller's social id; Tiki has deprecated it and may leave it
	// out.
	SID string `json:"sid,omitempty"`
	// Logo is the URL of the seller's logo; empty when there is none.
	Logo string `json:"logo,omitempty"`
	// Active: the store is active on Tiki (Tiki sends 1/0).
	Active bool `json:"active"`
	// OperationModels are the registered operation models, for example
	// "dropship" and "instock".
	OperationModels []string `json:"operation_models"`
	// CanUpdateProduct: the account may update products through the API
	// (Tiki sends 1/0).
	CanUpdateProduct bool `json:"can_update_product"`
	// RegistrationStatus is the state of the seller's registration, for
	// example RegistrationCompleted; "" for an account created without
	// registration data.
	RegistrationStatus RegistrationStatus `json:"registration_status"`
	// LiveAt is when the store went live; zero for a store that has not.
	LiveAt Time `json:"live_at"`
}

// UnmarshalJSON decodes 1/0 flags, a string or numeric id, and nulls.
func (s *SellerInfo) UnmarshalJSON(b []byte) error {
	type plain SellerInfo
	var w struct {
		plain
		ID               FlexInt  `json:"id"`
		Active           FlexBool `json:"active"`
		CanUpdateProduct FlexBool `json:"can_update_product"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = SellerInfo(w.plain)
	s.ID = int64(w.ID)
	s.Active = bool(w.Active)
	s.CanUpdateProduct = bool(w.CanUpdateProduct)
	return nil
}

// Get returns the account of the seller the client authenticates as.
//
// GET /v2/sellers/me
func (s *SellersService) Get(ctx context.Context) (*SellerInfo, *Response, error) {
	return callShaped(ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "sellers/me"},
		func(me *SellerInfo) bool { return me.ID != 0 }, `the seller (an object with "id")`)
}

// Seller warehouse filters of Sellers.ListWarehouses.
const (
	// WarehouseTypeReturn: warehouses that receive products returned by
	// Tiki.
	WarehouseTypeReturn = 0
	// WarehouseTypePickup: warehouses that supply Tiki's warehouses.
	WarehouseTypePickup = 1
)

// SellerWarehouseListOptions filters Sellers.ListWarehouses. Every field is
// optional.
type SellerWarehouseListOptions struct {
	// Active keeps active warehouses when true, inactive ones when false;
	// nil keeps both (status 1 or 0).
	Active *bool `url:"status,int"`
	// Type keeps warehouses of one type: WarehouseTypeReturn or
	// WarehouseTypePickup; nil keeps both.
	Type *int `url:"type"`
	ListOptions
}

// ListWarehouses returns one page of the seller's warehouses (seller
// inventories), filtered by opts (which may be nil).
//
// GET /v2/sellers/me/warehouses
func (s *SellersService) ListWarehouses(ctx context.Context, opts *SellerWarehouseListOptions) (*Page[SellerInventory], *Response, error) {
	return getPage[SellerInventory](ctx, s.client, apiV2, "sellers/me/warehouses", opts)
}

func (o *SellerWarehouseListOptions) validate(v *validator) {
	o.ListOptions.validate(v)
	v.check(o.Type == nil || *o.Type == WarehouseTypeReturn || *o.Type == WarehouseTypePickup, "type",
		"must be WarehouseTypeReturn (0) or WarehouseTypePickup (1)")
}

// AllWarehouses iterates over every seller warehouse matching opts.
func (s *SellersService) AllWarehouses(ctx context.Context, opts *SellerWarehouseListOptions, walkOpts ...WalkOption) iter.Seq2[SellerInventory, error] {
	return walk(ctx, s.client, "sellers/me/warehouses", opts, s.ListWarehouses, walkOpts)
}
