package tiki

// The services of Tiki's older API versions (see "Older API versions" in
// the package documentation). Each is, like every service, a conversion
// of the client's shared service, and keeps the name of today's service
// and methods for the same endpoint.

// V1Services are the endpoints of Tiki's 2019 API (v1) that Tiki's
// guideline documents, reached through Client.V1 under the names of
// today's services and methods.
type V1Services struct {
	// Catalog lists categories and returns one category, with its
	// attributes, in the v1 shapes (GET /v1/categories,
	// GET /v1/categories/{id}).
	Catalog *CatalogV1Service
	// ProductRequests creates a product (POST /v1/products).
	ProductRequests *ProductRequestsV1Service
	// Tracking follows the product requests created through v1
	// (GET /v1/tracking, GET /v1/tracking/{trace_id}).
	Tracking *TrackingV1Service
	// Products updates the price, quantity and active flag of a product
	// (POST /v1/products/{sku}/updateSku).
	Products *ProductsV1Service
	// Orders is the v1 order API: a different API from today's
	// client.Orders (v2), with its own shapes (OrderV1) and endpoints
	// (GET /v1/orders, POST /v1/orders/confirmItems, ...).
	Orders *OrdersV1Service
	// Warehouses lists the seller's warehouses as the v1 order API knows
	// them (GET /v1/warehouses).
	Warehouses *WarehousesV1Service
}

// V2Services are the product endpoints of Tiki's API v2 that v2.1
// replaced (Tiki deprecated them from 2022-01-05), reached through
// Client.V2 under the names of today's services and methods. Their
// products carry one quantity instead of stock per warehouse.
type V2Services struct {
	// ProductRequests creates a product request (POST /v2/requests).
	ProductRequests *ProductRequestsV2Service
	// Products lists, reads and updates products (GET /v2/products,
	// GET /v2/products/{id}, POST /v2/products/updateSku,
	// PUT /v2/products/updateSkus).
	Products *ProductsV2Service
}

// CatalogV1Service reads categories through API v1, whose categories
// carry parent and primary (decoded into Category's ParentID and
// IsPrimary) and whose category detail lists the category's attributes.
type CatalogV1Service service

// ProductRequestsV1Service creates products through API v1.
type ProductRequestsV1Service service

// TrackingV1Service follows product requests through API v1, whose
// records carry trace_id and tiki_sku (decoded into TrackedRequest's
// TrackID and TikiSKU).
type TrackingV1Service service

// ProductsV1Service updates products through API v1, which names a
// product by its original SKU in the path.
type ProductsV1Service service

// WarehousesV1Service lists the seller's warehouses as the v1 order API
// knows them.
type WarehousesV1Service service

// ProductRequestsV2Service creates product requests through API v2, where
// each variant has one quantity instead of stock per warehouse.
type ProductRequestsV2Service service

// ProductsV2Service reads and updates products through API v2, whose
// inventory has one quantity instead of stock per warehouse.
type ProductsV2Service service
