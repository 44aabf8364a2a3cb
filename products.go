package tiki

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ProductsService reads the seller's approved products and updates their
// price, stock and status.
type ProductsService service

// InventoryType is how a product is stocked, packed and delivered.
type InventoryType string

// Inventory types documented by Tiki.
const (
	// InventoryCrossBorder: global sellers; products shipped from abroad.
	InventoryCrossBorder InventoryType = "cross_border"
	// InventoryInstock: in Tiki's warehouse, packed and delivered by Tiki.
	InventoryInstock InventoryType = "instock"
	// InventoryBackorder: in the seller's storage, packed and delivered by Tiki.
	InventoryBackorder InventoryType = "backorder"
	// InventorySellerBackorder: in the seller's storage, packed and
	// delivered by the seller.
	InventorySellerBackorder InventoryType = "seller_backorder"
	// InventoryDropShip: in the seller's storage, packed by the seller,
	// delivered by Tiki.
	InventoryDropShip InventoryType = "drop_ship"
)

// inventoryTypes are the inventory types the product API documents.
func inventoryTypes() []InventoryType {
	return []InventoryType{InventoryCrossBorder, InventoryInstock, InventoryBackorder, InventorySellerBackorder, InventoryDropShip}
}

// Valid reports whether t is one of the inventory types Tiki documents.
func (t InventoryType) Valid() bool { return slices.Contains(inventoryTypes(), t) }

// ActiveFlag says whether a product is switched on for sale. Tiki sends it
// as a number or as a string ("0"); both decode.
type ActiveFlag int

// Values of ActiveFlag.
const (
	// ProductInactive: the product is switched off.
	ProductInactive ActiveFlag = 0
	// ProductActive: the product is switched on.
	ProductActive ActiveFlag = 1
)

// Valid reports whether a is 0 or 1.
func (a ActiveFlag) Valid() bool { return knownInt(activeFlags, int(a)) }

// UnmarshalJSON accepts 1, 0, "1", "0", true and false; null and "" decode
// as 0.
func (a *ActiveFlag) UnmarshalJSON(b []byte) error {
	var n FlexInt
	if err := n.UnmarshalJSON(b); err != nil {
		var f FlexBool
		if f.UnmarshalJSON(b) != nil {
			return err
		}
		*a = ActiveFlag(boolInt(bool(f)))
		return nil
	}
	*a = ActiveFlag(n)
	return nil
}

// Product is a product on Tiki, as listed, fetched or found. Which fields
// are filled depends on the endpoint and on what was included (seller,
// categories, inventory, attributes, images).
type Product struct {
	// ProductID is Tiki's id of the product (sent as product_id or id).
	ProductID int64 `json:"product_id"`
	// SKU is Tiki's SKU of the product.
	SKU string `json:"sku"`
	// OriginalSKU is the seller's own code (the variant's SKU in the
	// product request).
	OriginalSKU string `json:"original_sku"`
	// Name is the product's name.
	Name string `json:"name"`
	// MasterID is the id of the master product that sellers' offers of the
	// same item share.
	MasterID int64 `json:"master_id"`
	// MasterSKU is the SKU of that master product.
	MasterSKU string `json:"master_sku"`
	// SuperID is the id of the configurable product a variant belongs to;
	// 0 for none.
	SuperID int64 `json:"super_id"`
	// SuperSKU is the SKU of that configurable product; "" for none.
	SuperSKU string `json:"super_sku"`
	// EntityType is Tiki's kind of entity, for example "seller_simple" or
	// "master_simple".
	EntityType string `json:"entity_type"`
	// Type is the product type, for example "simple".
	Type string `json:"type"`
	// Price is the selling price, in VND.
	Price Money `json:"price"`
	// MarketPrice is the price before discount, in VND.
	MarketPrice Money `json:"market_price"`
	// Version counts the product's changes.
	Version int `json:"version"`
	// Active is whether the product is switched on; nil when the endpoint
	// does not say.
	Active *ActiveFlag `json:"active,omitempty"`
	// IsHidden reports a hidden product.
	IsHidden bool `json:"is_hidden"`
	// CreatedAt is when the product was created (Vietnam time).
	CreatedAt Time `json:"created_at"`
	// CreatedBy is who created it, as Tiki records it (an email address,
	// for example "admin@tiki.vn").
	CreatedBy string `json:"created_by,omitempty"`
	// UpdatedAt is when the product last changed (Vietnam time); zero when
	// the endpoint does not say.
	UpdatedAt Time `json:"updated_at"`
	// Thumbnail is the URL of the product's thumbnail.
	Thumbnail string `json:"thumbnail,omitempty"`
	// Images is the product's gallery.
	Images []ProductImage `json:"images,omitempty"`
	// Categories are the product's categories, the primary one marked.
	Categories []ProductCategory `json:"categories,omitempty"`
	// Seller is the seller offering the product (included with "seller").
	Seller *ProductSeller `json:"seller,omitempty"`
	// Attributes are the product's attributes by code, as Tiki sends them
	// (values are strings, float64 numbers, booleans, maps or lists; in a
	// product request's products each value is a map with attribute_code,
	// value and input_type). "specifications" is also decoded into
	// Specifications.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Specifications are the attribute groups shown on the product page,
	// from attributes.specifications.
	Specifications []SpecificationGroup `json:"-"`
	// Inventory is the product's stock (included with "inventory").
	Inventory *ProductInventory `json:"inventory,omitempty"`
}

// UnmarshalJSON tolerates id or product_id, numbers sent as strings (or as
// 14000.0), SKUs sent as numbers, null, and attributes sent as an empty
// list. A price that is not a whole number of dong is an *AmountError: the
// product is not decoded (see AmountError).
func (p *Product) UnmarshalJSON(b []byte) error {
	var w productWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = w.product()
	return nil
}

// productFields is Product without its methods: productWire embeds it for
// Product's fields without inheriting Product.UnmarshalJSON.
type productFields Product

// productWire is a product as Tiki sends it: Product's fields, those that
// Tiki sends in more than one shape replaced by tolerant types. It has no
// UnmarshalJSON of its own, so encoding/json decodes it in one pass, alone
// or as a row of a page (the client decodes every page of products as
// rows of productWire: productRows); product converts it.
type productWire struct {
	productFields
	ID          *FlexInt   `json:"id"`
	ProductID   *FlexInt   `json:"product_id"`
	SKU         FlexString `json:"sku"`
	OriginalSKU FlexString `json:"original_sku"`
	Name        FlexString `json:"name"`
	MasterID    FlexInt    `json:"master_id"`
	MasterSKU   FlexString `json:"master_sku"`
	SuperID     FlexInt    `json:"super_id"`
	SuperSKU    FlexString `json:"super_sku"`
	Version     FlexInt    `json:"version"`
	IsHidden    FlexBool   `json:"is_hidden"`
	CreatedBy   FlexString `json:"created_by"`
	// Attributes holds whatever JSON value Tiki sent, decoded once: an
	// object becomes Product.Attributes, any other shape (an empty list
	// for none) is dropped.
	Attributes any `json:"attributes"`
}

// product converts w: product_id, or id when there is none, and the
// tolerant fields into Product's plain ones; the specifications are taken
// from the decoded attributes.
func (w *productWire) product() Product {
	p := Product(w.productFields)
	if id := firstNonNil(w.ProductID, w.ID); id != nil {
		p.ProductID = int64(*id)
	}
	p.SKU, p.OriginalSKU, p.Name = string(w.SKU), string(w.OriginalSKU), string(w.Name)
	p.MasterID, p.MasterSKU = int64(w.MasterID), string(w.MasterSKU)
	p.SuperID, p.SuperSKU = int64(w.SuperID), string(w.SuperSKU)
	p.Version = int(w.Version)
	p.IsHidden, p.CreatedBy = bool(w.IsHidden), string(w.CreatedBy)
	if attrs, ok := w.Attributes.(map[string]any); ok {
		p.Attributes = attrs
		p.Specifications = specificationGroups(specificationsValue(attrs))
	}
	return p
}

// specificationsValue returns the "specifications" attribute. Like
// encoding/json matching a key to a struct field, it accepts the key in
// any case when there is no exact match (the first such key in sorted
// order when there are several).
func specificationsValue(attrs map[string]any) any {
	if v, ok := attrs["specifications"]; ok {
		return v
	}
	var key string
	found := false
	for k := range attrs {
		if strings.EqualFold(k, "specifications") && (!found || k < key) {
			key, found = k, true
		}
	}
	if !found {
		return nil
	}
	return attrs[key]
}

// specificationGroups converts the "specifications" attribute, as decoded
// into the attributes map, to specification groups. The specifications
// are a bonus: a value of another shape (or none) gives nil, and the map
// keeps it. Only this value is encoded again, to be decoded into its
// types; the rest of the attributes is not read twice.
func specificationGroups(v any) []SpecificationGroup {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var specs []SpecificationGroup
	if json.Unmarshal(b, &specs) != nil {
		return nil
	}
	return specs
}

// ProductImage is one picture of a product.
type ProductImage struct {
	// ID is Tiki's id of the image (0 when Tiki sends null).
	ID int64 `json:"id"`
	// URL is the image's full URL on Tiki's CDN.
	URL string `json:"url"`
	// Path is the image's path on Tiki's CDN, for example
	// "product/83/f7/55/81986fa898d5b864f08de0186ad0f4e1.jpg".
	Path string `json:"path"`
	// Position is the image's place in the gallery.
	Position int `json:"position"`
	// Width is the image's width in pixels (0 when unknown).
	Width int `json:"width"`
	// Height is the image's height in pixels (0 when unknown).
	Height int `json:"height"`
}

// ProductCategory is a category a product belongs to.
type ProductCategory struct {
	// ID is Tiki's category id.
	ID int64 `json:"id"`
	// Name is the category's name, for example "Điện thoại smartphone".
	Name string `json:"name"`
	// URLKey is the category's slug on Tiki's site, for example
	// "dien-thoai-smartphone".
	URLKey string `json:"url_key"`
	// IsPrimary marks the product's primary category.
	IsPrimary bool `json:"is_primary"`
}

// ProductSeller is the seller offering a product.
type ProductSeller struct {
	// ID is Tiki's id of the seller.
	ID int64 `json:"id"`
	// Name is the seller's name, for example "Tiki Trading".
	Name string `json:"name"`
	// Code is the seller's code, for example "TIKI".
	Code string `json:"code"`
	// Logo is the URL of the seller's logo.
	Logo string `json:"logo"`
	// Slug is the seller's slug on Tiki's site, for example "tiki".
	Slug string `json:"slug"`
	// Status is the seller's status code, as Tiki sends it (for example
	// 1).
	Status int `json:"status"`
	// StoreID is the id of the seller's store.
	StoreID int64 `json:"store_id"`
	// ListdataID is Tiki's list data id of the seller (listdata_id).
	ListdataID int64 `json:"listdata_id"`
	// VATLimitSupported is one of Tiki's VAT settings of the seller
	// (vat_limit_supported), as sent.
	VATLimitSupported int64 `json:"vat_limit_supported"`
	// IsAllVATSupported is one of Tiki's VAT settings of the seller
	// (is_all_vat_supported; Tiki sends 1/0).
	IsAllVATSupported bool `json:"is_all_vat_supported"`
}

// UnmarshalJSON decodes the seller, taking its VAT settings from numbers,
// strings or booleans.
func (s *ProductSeller) UnmarshalJSON(b []byte) error {
	type plain ProductSeller
	return json.Unmarshal(b, &struct {
		*plain
		VATLimitSupported *FlexInt  `json:"vat_limit_supported"`
		IsAllVATSupported *FlexBool `json:"is_all_vat_supported"`
	}{(*plain)(s), (*FlexInt)(&s.VATLimitSupported), (*FlexBool)(&s.IsAllVATSupported)})
}

// ProductInventory is a product's stock. API v2 gives the quantities of
// the product; v2.1 gives them per warehouse in WarehouseStocks.
type ProductInventory struct {
	// InventoryType is how the product is stocked, for example
	// InventoryInstock or InventoryBackorder.
	InventoryType InventoryType `json:"inventory_type"`
	// FulfillmentType is who delivers, for example "tiki_delivery".
	FulfillmentType string `json:"fulfillment_type"`
	// Quantity is the product's stock (API v2; zero in v2.1).
	Quantity int `json:"quantity"`
	// QuantityAvailable is the available quantity (API v2; zero in v2.1).
	QuantityAvailable int `json:"quantity_available"`
	// QuantityReserved is the quantity reserved by orders; it may be
	// negative, as Tiki sends it (API v2; zero in v2.1).
	QuantityReserved int `json:"quantity_reserved"`
	// QuantitySellable is the quantity that can be sold (API v2; zero in
	// v2.1).
	QuantitySellable int `json:"quantity_sellable"`
	// WarehouseStocks is the stock in each warehouse (API v2.1).
	WarehouseStocks []InventoryStock `json:"warehouse_stocks,omitempty"`
}

// InventoryStock is a product's stock in one warehouse.
type InventoryStock struct {
	// WarehouseID is the id of the seller's warehouse, for example 1034.
	WarehouseID int64 `json:"warehouse_id"`
	// Quantity is the stock in that warehouse.
	Quantity int `json:"quantity"`
	// QuantityAvailable is the available quantity in that warehouse.
	QuantityAvailable int `json:"quantity_available"`
	// QuantitySellable is the quantity that can be sold from that
	// warehouse.
	QuantitySellable int `json:"quantity_sellable"`
	// QuantityReserved may be negative, as Tiki sends it.
	QuantityReserved int `json:"quantity_reserved"`
}

// SpecificationGroup is a group of attributes shown together on the
// product page ("General", "Thông tin chi tiết").
type SpecificationGroup struct {
	// ID is Tiki's id of the group.
	ID int64 `json:"id"`
	// Name is the group's title, for example "General".
	Name string `json:"name"`
	// SortOrder is the group's place on the product page.
	SortOrder int `json:"sort_order"`
	// Attributes are the group's attributes and their values.
	Attributes []SpecificationAttribute `json:"attributes"`
}

// SpecificationAttribute is one attribute of a specification group.
type SpecificationAttribute struct {
	// ID is Tiki's attribute id.
	ID int64 `json:"id"`
	// Code is the attribute's code, for example "dimensions".
	Code string `json:"code"`
	// Name is the attribute's name, for example "Kích thước".
	Name string `json:"name"`
	// DisplayName is the label shown on the product page.
	DisplayName string `json:"display_name"`
	// DataType is the stored type, for example "text" or "static".
	DataType string `json:"data_type"`
	// InputType is how the value is entered, for example "text" or
	// "textarea" (kept as text: it goes beyond AttributeInputType's
	// values).
	InputType string `json:"input_type"`
	// Value as Tiki sends it: usually a string, sometimes a number.
	Value any `json:"value"`
}

// ProductInclude names extra information to include with products.
type ProductInclude string

// Product includes documented by Tiki.
const (
	// IncludeSeller fills Product.Seller.
	IncludeSeller ProductInclude = "seller"
	// IncludeCategories fills Product.Categories.
	IncludeCategories ProductInclude = "categories"
	// IncludeInventory fills Product.Inventory.
	IncludeInventory ProductInclude = "inventory"
	// IncludeAttributes fills Product.Attributes and
	// Product.Specifications.
	IncludeAttributes ProductInclude = "attributes"
	// IncludeImages fills Product.Images.
	IncludeImages ProductInclude = "images"
)

// allProductIncludes is what Get asks for: every documented include.
var allProductIncludes = strings.Join(names(productIncludes), ",")

// Valid reports whether i is a documented include.
func (i ProductInclude) Valid() bool { return slices.Contains(productIncludes, i) }

// ProductsOptions filters List. Every field is optional; times are sent as
// "2006-01-02 15:04:05" in Vietnam time.
type ProductsOptions struct {
	// Name searches product names (full text).
	Name string `url:"name,omitempty"`
	// Active keeps active (ProductActive) or inactive (ProductInactive)
	// products.
	Active *ActiveFlag `url:"active"`
	// CategoryID keeps products of this primary category.
	CategoryID int64 `url:"category_id,omitempty"`
	// Include adds information to each product, for example
	// IncludeInventory.
	Include []ProductInclude `url:"include,omitempty"`
	// CreatedFrom keeps products created at or after it
	// (created_from_date).
	CreatedFrom Time `url:"created_from_date,omitempty"`
	// CreatedTo keeps products created at or before it (created_to_date).
	CreatedTo Time `url:"created_to_date,omitempty"`
	// UpdatedFrom keeps products updated at or after it
	// (updated_from_date).
	UpdatedFrom Time `url:"updated_from_date,omitempty"`
	// UpdatedTo keeps products updated at or before it (updated_to_date).
	UpdatedTo Time `url:"updated_to_date,omitempty"`
	ListOptions
}

func (o *ProductsOptions) validate(v *validator) {
	checkActive(v, "active", o.Active)
	v.check(o.CategoryID >= 0, "category_id", "must not be negative")
	for i, inc := range o.Include {
		checkEnum(v, "include["+strconv.Itoa(i)+"]", inc)
	}
	checkRange(v, "created_from_date", o.CreatedFrom, "created_to_date", o.CreatedTo)
	checkRange(v, "updated_from_date", o.UpdatedFrom, "updated_to_date", o.UpdatedTo)
	o.ListOptions.validate(v)
}

// List returns one page of the seller's products (from approved requests),
// latest first, filtered by opts (which may be nil). Include
// IncludeInventory for the stock per warehouse.
//
// GET /v2.1/products
func (s *ProductsService) List(ctx context.Context, opts *ProductsOptions) (*Page[Product], *Response, error) {
	return listProducts(ctx, s.client, apiV21, opts)
}

// List returns one page of the seller's products through API v2, whose
// inventory has no per-warehouse stock. Tiki deprecated API v2 products
// from 2022-01-05 in favour of v2.1 (client.Products.List).
//
// GET /v2/products
func (s *ProductsV2Service) List(ctx context.Context, opts *ProductsOptions) (*Page[Product], *Response, error) {
	return listProducts(ctx, s.client, apiV2, opts)
}

// listProducts returns one page of GET /{version}/products.
func listProducts(ctx context.Context, c *Client, version apiVersion, opts *ProductsOptions) (*Page[Product], *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	return productRows(getPage[productWire](ctx, c, version, "products", opts))
}

// productRows is the route of every page of products the client decodes:
// the rows are decoded as Tiki sends them (productWire, in one pass over
// the body, without Product.UnmarshalJSON parsing each row a second time)
// and converted.
func productRows(p *Page[productWire], resp *Response, err error) (*Page[Product], *Response, error) {
	if err != nil {
		return nil, resp, err
	}
	return &Page[Product]{Data: convertRows(p.Data, (*productWire).product), Paging: p.Paging}, resp, nil
}

// All iterates over the seller's products, latest first, page after page
// from opts.Page (default 1) to the last one.
//
//	for p, err := range client.Products.All(ctx, &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}}) {
//		if err != nil { ... }
//	}
func (s *ProductsService) All(ctx context.Context, opts *ProductsOptions, walkOpts ...WalkOption) iter.Seq2[Product, error] {
	return walk(ctx, s.client, "products", opts, s.List, walkOpts)
}

// HiddenProductsOptions filters ListHidden. Every field is optional.
type HiddenProductsOptions struct {
	// Name searches product names.
	Name string `url:"name,omitempty"`
	// CreatedFrom keeps products created at or after it (created_at_from).
	CreatedFrom Time `url:"created_at_from,omitempty"`
	// CreatedTo keeps products created at or before it (created_at_to).
	CreatedTo Time `url:"created_at_to,omitempty"`
	// UpdatedFrom keeps products updated at or after it (updated_at_from).
	UpdatedFrom Time `url:"updated_at_from,omitempty"`
	// UpdatedTo keeps products updated at or before it (updated_at_to).
	UpdatedTo Time `url:"updated_at_to,omitempty"`
	ListOptions
}

func (o *HiddenProductsOptions) validate(v *validator) {
	checkRange(v, "created_at_from", o.CreatedFrom, "created_at_to", o.CreatedTo)
	checkRange(v, "updated_at_from", o.UpdatedFrom, "updated_at_to", o.UpdatedTo)
	o.ListOptions.validate(v)
}

// ListHidden returns one page of the seller's hidden products.
//
// GET /v2/products/getHiddenSkus
func (s *ProductsService) ListHidden(ctx context.Context, opts *HiddenProductsOptions) (*Page[Product], *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	return productRows(getPage[productWire](ctx, s.client, apiV2, "products/getHiddenSkus", opts))
}

// AllHidden iterates over the seller's hidden products, page after page.
func (s *ProductsService) AllHidden(ctx context.Context, opts *HiddenProductsOptions, walkOpts ...WalkOption) iter.Seq2[Product, error] {
	return walk(ctx, s.client, "products/getHiddenSkus", opts, s.ListHidden, walkOpts)
}

// Get returns one product with everything Tiki can include: seller,
// categories, inventory (per warehouse), attributes and images.
//
// GET /v2.1/products/{productId}?includes=seller,categories,inventory,attributes,images
func (s *ProductsService) Get(ctx context.Context, productID int64) (*Product, *Response, error) {
	return getProduct(ctx, s.client, apiV21, productID)
}

// Get returns one product through API v2, whose inventory has no
// per-warehouse stock. Tiki deprecated API v2 products from 2022-01-05 in
// favour of v2.1 (client.Products.Get).
//
// GET /v2/products/{productId}?includes=seller,categories,inventory,attributes,images
func (s *ProductsV2Service) Get(ctx context.Context, productID int64) (*Product, *Response, error) {
	return getProduct(ctx, s.client, apiV2, productID)
}

// getProduct returns one product through GET /{version}/products/{id},
// with everything Tiki can include.
func getProduct(ctx context.Context, c *Client, version apiVersion, productID int64) (*Product, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	if err := checkID("product_id", productID); err != nil {
		return nil, nil, err
	}
	q := encodeQuery(struct {
		Includes string `url:"includes"`
	}{allProductIncludes})
	return callShaped(ctx, c, &request{method: http.MethodGet, version: version, path: "products/" + itoa(productID), route: "products/{productId}", query: q},
		func(p *Product) bool { return p.ProductID != 0 }, `a product (an object with "product_id")`)
}

// FindByOriginalSKU returns the seller's products whose original SKU (the
// seller's own code) is sku, as one page with Tiki's paging block; the page
// is empty when there is none.
//
// GET /v2/products/findBy?original_sku={sku}
func (s *ProductsService) FindByOriginalSKU(ctx context.Context, sku string) (*Page[Product], *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	var v validator
	checkText(&v, "original_sku", sku)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	q := encodeQuery(struct {
		OriginalSKU string `url:"original_sku"`
	}{sku})
	return productRows(call[Page[productWire]](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "products/findBy", query: q}))
}

// ProductUpdateResult is Tiki's answer to an update that Tiki applied.
//
// A 2xx answer is not proof of success (older Tiki endpoints answer 200 with
// a message, for example that the seller paused the connection): the
// product update methods (Update and UpdateOriginalSKU, and Update of
// client.V2.Products and client.V1.Products)
// return an answer without the documented {"state": "approved"} as an
// *APIError whose StatusCode is the HTTP status, Messages the body's
// message and Body the raw body; the product was then not updated.
type ProductUpdateResult struct {
	// State is RequestApproved: Tiki's documented answer to an applied
	// update. Any other answer is returned as an *APIError.
	State RequestState `json:"state"`
}

// applied reports whether the answer carries Tiki's success marker,
// {"state": "approved"}.
func (r *ProductUpdateResult) applied() bool { return r.State == RequestApproved }

// WarehouseQuantity is the stock to set in one of the seller's warehouses.
// Note the keys: warehouse_id and qty_available, unlike the warehouseId and
// qtyAvailable of product creation (WarehouseStock).
type WarehouseQuantity struct {
	// WarehouseID is the id of the seller's warehouse (warehouse_id);
	// positive, and listed once per update.
	WarehouseID int64 `json:"warehouse_id"`
	// QtyAvailable is the quantity available for sale to set in that
	// warehouse (qty_available); not negative.
	QtyAvailable int `json:"qty_available"`
}

// ProductUpdate changes the price, status or stock of one product, named by
// ProductID or OriginalSKU (when both are given, Tiki uses ProductID).
// Zero fields are not changed.
type ProductUpdate struct {
	// ProductID is Tiki's id of the product to update.
	ProductID int64 `json:"product_id,omitempty"`
	// OriginalSKU is the seller's SKU of the product to update.
	OriginalSKU string `json:"original_sku,omitempty"`
	// Price is the new price in VND.
	Price Money `json:"price,omitempty"`
	// Active switches the product on (ProductActive) or off
	// (ProductInactive).
	Active *ActiveFlag `json:"active,omitempty"`
	// SellerWarehouse lists the ids of the warehouses that hold the
	// product, comma-separated ("1034,1015"); it adds and removes
	// warehouses.
	SellerWarehouse string `json:"seller_warehouse,omitempty"`
	// WarehouseQuantities sets the stock per warehouse. List every
	// warehouse of the product: Tiki sets those left out to 0. Products
	// stocked by Tiki (InventoryInstock) cannot have their stock changed.
	WarehouseQuantities []WarehouseQuantity `json:"warehouse_quantities,omitempty"`
}

// productKey checks that a product is named by id or original SKU.
func productKey(v *validator, prefix string, productID int64, originalSKU string) {
	switch {
	case productID < 0:
		v.add(prefix+"product_id", "must be a positive id")
	case productID == 0 && strings.TrimSpace(originalSKU) == "":
		v.add(prefix+"product_id", "is required when original_sku is empty")
	}
}

func checkPrice(v *validator, field string, price Money) {
	v.check(price >= 0, field, "must be greater than 0")
}

func checkActive(v *validator, field string, a *ActiveFlag) {
	if a != nil {
		checkIntEnum(v, field, "ActiveFlag", int(*a), activeFlags)
	}
}

func checkQuantity(v *validator, field string, q *int) {
	if q != nil {
		v.check(*q >= 0, field, "must not be negative")
	}
}

// checkQuantityUpdate checks the price, quantity and active flag of an
// update through API v2 or v1, at least one of which must be set.
func checkQuantityUpdate(v *validator, price Money, quantity *int, active *ActiveFlag) {
	checkPrice(v, "price", price)
	checkQuantity(v, "quantity", quantity)
	checkActive(v, "active", active)
	v.check(price != 0 || quantity != nil || active != nil, "price", "is not set, and neither are quantity and active: nothing to update")
}

func checkWarehouseQuantities(v *validator, field string, wqs []WarehouseQuantity) {
	checkWarehouseStock(v, field, "warehouse_id", "qty_available", len(wqs), func(j int) (int64, int) {
		return wqs[j].WarehouseID, wqs[j].QtyAvailable
	})
}

// checkWarehouseStock checks a list of n stock entries, one per warehouse
// (product creation's warehouse_stocks, updates' warehouse_quantities):
// each names a positive warehouse id, no warehouse twice, and a quantity
// that is not negative. entry returns the id and quantity of entry j;
// idKey and qtyKey are their JSON keys, which differ between the lists.
func checkWarehouseStock(v *validator, field, idKey, qtyKey string, n int, entry func(j int) (id int64, qty int)) {
	seen := make(map[int64]int, n)
	for j := range n {
		id, qty := entry(j)
		f := field + "[" + strconv.Itoa(j) + "]"
		v.check(id > 0, f+"."+idKey, "must be a positive id")
		v.check(qty >= 0, f+"."+qtyKey, "must not be negative")
		if k, dup := seen[id]; dup && id > 0 {
			v.add(f+"."+idKey, "duplicates %s[%d]", field, k)
		} else {
			seen[id] = j
		}
	}
}

func (u *ProductUpdate) validate(v *validator) {
	productKey(v, "", u.ProductID, u.OriginalSKU)
	checkPrice(v, "price", u.Price)
	checkActive(v, "active", u.Active)
	checkSellerWarehouse(v, "seller_warehouse", u.SellerWarehouse)
	checkWarehouseQuantities(v, "warehouse_quantities", u.WarehouseQuantities)
	v.check(u.Price != 0 || u.Active != nil || u.SellerWarehouse != "" || len(u.WarehouseQuantities) > 0,
		"price", "is not set, and neither are active, seller_warehouse and warehouse_quantities: nothing to update")
}

// Update changes the price, active flag, warehouses and stock per warehouse
// of one product. It is a PUT that sets absolute values, and the call holds
// the product's write lock (by ProductID and OriginalSKU, as given) until it
// returns, retries included, and, when it ended in doubt (an attempt
// reached Tiki and its answer never came), for the client's settle period
// beyond (WithWriteSettle): a later write to the product through the same
// client is sent only after that, so neither a retry of this call nor an
// attempt of it that Tiki applies within the settle period can overwrite
// it. Within that guarantee the client retries it safely. Across processes
// only a WriteOrder that the clients share (WithWriteOrder) orders writes
// to one product.
//
// An answer without Tiki's success marker is an *APIError (see
// ProductUpdateResult): the product was then not updated.
//
// PUT /v2.1/products/updateSku
func (s *ProductsService) Update(ctx context.Context, u ProductUpdate) (*ProductUpdateResult, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	var v validator
	u.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPut, version: apiV21, path: "products/updateSku", body: u,
		lockKeys: productLockKeys(u.ProductID, u.OriginalSKU)}, (*ProductUpdateResult).applied)
}

// ProductUpdateV2 is the body of the v2 Update (client.V2.Products.Update):
// one Quantity instead of stock per warehouse.
type ProductUpdateV2 struct {
	// ProductID is Tiki's id of the product to update; it or OriginalSKU
	// is required, and Tiki uses ProductID when both are given.
	ProductID int64 `json:"product_id,omitempty"`
	// OriginalSKU is the seller's SKU of the product to update.
	OriginalSKU string `json:"original_sku,omitempty"`
	// Price is the new price in VND; 0 leaves it unchanged.
	Price Money `json:"price,omitempty"`
	// Quantity is the new stock; nil leaves it unchanged, 0 sets it to 0.
	Quantity *int `json:"quantity,omitempty"`
	// Active switches the product on (ProductActive) or off
	// (ProductInactive); nil leaves it unchanged.
	Active *ActiveFlag `json:"active,omitempty"`
}

// Update changes the price, quantity and active flag of one product
// through API v2. It is a POST: it is not resent once it may have reached
// Tiki. Tiki deprecated API v2 updates from 2022-01-05 in favour of v2.1
// (client.Products.Update: a PUT, with stock per warehouse).
//
// An answer without Tiki's success marker is an *APIError (see
// ProductUpdateResult): the product was then not updated.
//
// POST /v2/products/updateSku
func (s *ProductsV2Service) Update(ctx context.Context, u ProductUpdateV2) (*ProductUpdateResult, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	var v validator
	productKey(&v, "", u.ProductID, u.OriginalSKU)
	checkQuantityUpdate(&v, u.Price, u.Quantity, u.Active)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "products/updateSku", body: u,
		lockKeys: productLockKeys(u.ProductID, u.OriginalSKU)}, (*ProductUpdateResult).applied)
}

// ProductUpdateV1 is the body of the v1 Update (client.V1.Products.Update);
// the product is named by its original SKU in the path.
type ProductUpdateV1 struct {
	// Price is the new price in VND; 0 leaves it unchanged.
	Price Money `json:"price,omitempty"`
	// Quantity is the new stock; nil leaves it unchanged, 0 sets it to 0.
	Quantity *int `json:"quantity,omitempty"`
	// Active switches the product on (ProductActive) or off
	// (ProductInactive); nil leaves it unchanged.
	Active *ActiveFlag `json:"active,omitempty"`
}

// Update changes the price, quantity and active flag of the product whose
// original SKU is sku, through API v1 (Tiki's 2019 API, replaced by v2.1:
// client.Products.Update).
//
// An answer without Tiki's success marker is an *APIError (see
// ProductUpdateResult): the product was then not updated.
//
// POST /v1/products/{sku}/updateSku
func (s *ProductsV1Service) Update(ctx context.Context, sku string, u ProductUpdateV1) (*ProductUpdateResult, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	var v validator
	seg := segment(&v, "sku", sku)
	checkQuantityUpdate(&v, u.Price, u.Quantity, u.Active)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "products/" + seg + "/updateSku", route: "products/{sku}/updateSku", body: u,
		lockKeys: productLockKeys(0, sku)}, (*ProductUpdateResult).applied)
}

// UpdateOriginalSKU changes the seller's own code (original SKU) of a
// product.
//
// An answer without Tiki's success marker is an *APIError (see
// ProductUpdateResult): the product was then not updated.
//
// POST /v2/products/updateOriginalSku
func (s *ProductsService) UpdateOriginalSKU(ctx context.Context, productID int64, originalSKU string) (*ProductUpdateResult, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	var v validator
	v.check(productID > 0, "product_id", "must be a positive id")
	v.check(strings.TrimSpace(originalSKU) != "", "original_sku", "is required")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := struct {
		ProductID   int64  `json:"product_id"`
		OriginalSKU string `json:"original_sku"`
	}{productID, originalSKU}
	return callApplied(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "products/updateOriginalSku", body: body,
		lockKeys: productLockKeys(productID, originalSKU)}, (*ProductUpdateResult).applied)
}
