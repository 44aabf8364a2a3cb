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

// ProductRequestsService creates product requests (the way a product is
// listed on Tiki) and reads, updates and deletes them.
type ProductRequestsService service

// maxOptionAttributes is how many option attributes a product may declare.
const maxOptionAttributes = 2

// NewProduct is a product to list on Tiki: the body of a product request.
//
// A simple product has no option attributes and exactly one variant. A
// configurable product declares one or two option attributes (for example
// "color" and "size") and has one variant per combination, each giving a
// value for every declared option (Option1 for the first, Option2 for the
// second).
//
// Images and OptionAttributes are sent as [] when nil (Tiki refuses null),
// and Attributes as {}.
type NewProduct struct {
	// CategoryID is the primary category the product belongs to
	// (required; see CatalogService.ListCategories).
	CategoryID int64 `json:"category_id"`
	// Name is the product's name on Tiki (required).
	Name string `json:"name"`
	// Description is the product's description, HTML allowed (required).
	Description string `json:"description"`
	// MarketPrice is the price before discount, in VND.
	MarketPrice Money `json:"market_price,omitempty"`
	// Attributes holds the category's attributes by code (required: every
	// attribute the category marks required must be there; see
	// CatalogService.ListAttributes). Values are strings, numbers or booleans.
	Attributes map[string]any `json:"attributes"`
	// Image is the URL of the product's main picture (required).
	Image string `json:"image"`
	// Images are the URLs of the product's gallery; may be empty. Tiki adds
	// Image to them itself.
	Images []string `json:"images"`
	// OptionAttributes are the codes of the attributes variants differ by,
	// at most two; empty for a simple product.
	OptionAttributes []string `json:"option_attributes"`
	// Variants are the sellable variants: exactly one for a simple product.
	Variants []Variant `json:"variants"`
	// CertificateFiles are the documents the brand or category requires
	// (see CatalogService.GetRequiredDocuments).
	CertificateFiles []CertificateFile `json:"certificate_files,omitempty"`
	// MetaData holds processing options.
	MetaData *ProductMetaData `json:"meta_data,omitempty"`
}

// MarshalJSON sends nil Images and OptionAttributes as [] and nil
// Attributes as {}, as Tiki requires.
func (p NewProduct) MarshalJSON() ([]byte, error) {
	type plain NewProduct
	w := plain(p)
	if w.Images == nil {
		w.Images = []string{}
	}
	if w.OptionAttributes == nil {
		w.OptionAttributes = []string{}
	}
	if w.Attributes == nil {
		w.Attributes = map[string]any{}
	}
	return json.Marshal(w)
}

// Variant is one sellable variant of a NewProduct. Fields marked "Replace"
// in Tiki's documentation (MarketPrice, Name, Description, Image, Images)
// replace the product's own; Attributes are merged with the product's.
type Variant struct {
	// SKU is the seller's code for the variant (required, unique in the
	// request). It becomes the product's original SKU on Tiki.
	SKU string `json:"sku"`
	// MinCode is the variant's min code (API v2.1).
	MinCode int64 `json:"min_code,omitempty"`
	// Price is the selling price in VND (required, greater than 0).
	Price Money `json:"price"`
	// MarketPrice is the price before discount in VND.
	MarketPrice Money `json:"market_price,omitempty"`
	// Option1 is the variant's value for the product's first option
	// attribute; required exactly when the product declares that option.
	Option1 string `json:"option1,omitempty"`
	// Option2 is the variant's value for the product's second option
	// attribute; required exactly when the product declares that option.
	Option2 string `json:"option2,omitempty"`
	// InventoryType is how the variant is stocked and delivered; it must be
	// one the seller registered. Empty: the seller's latest one.
	InventoryType InventoryType `json:"inventory_type,omitempty"`
	// SellerWarehouse lists the ids of the seller's warehouses holding the
	// variant, comma-separated ("1054,1233").
	SellerWarehouse string `json:"seller_warehouse,omitempty"`
	// WarehouseStocks is the stock in each of the seller's warehouses (API
	// v2.1 only).
	WarehouseStocks []WarehouseStock `json:"warehouse_stocks,omitempty"`
	// Quantity is the stock available for sale (required by API v1 and
	// v2; v2.1 uses WarehouseStocks).
	Quantity *int `json:"quantity,omitempty"`
	// Supplier is the id of the seller's storage location (required by API
	// v1).
	Supplier int64 `json:"supplier,omitempty"`
	// BrandOrigin is the brand's country of origin, for example "viet nam".
	BrandOrigin string `json:"brand_origin,omitempty"`
	// Name replaces the product's name for this variant.
	Name string `json:"name,omitempty"`
	// Description replaces the product's description for this variant.
	Description string `json:"description,omitempty"`
	// Attributes are merged into the product's for this variant.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Image is the URL of the variant's main picture; it replaces the
	// product's.
	Image string `json:"image,omitempty"`
	// Images are the URLs of the variant's gallery; they replace the
	// product's.
	Images []string `json:"images,omitempty"`
}

// WarehouseStock is a variant's stock in one of the seller's warehouses,
// when creating a product (API v2.1). Note the keys: warehouseId and
// qtyAvailable, unlike the warehouse_id and qty_available of stock updates
// (WarehouseQuantity).
type WarehouseStock struct {
	// WarehouseID is the id of the seller's warehouse (warehouseId), for
	// example 1054.
	WarehouseID int64 `json:"warehouseId"`
	// QtyAvailable is the quantity available for sale in that warehouse
	// (qtyAvailable).
	QtyAvailable int `json:"qtyAvailable"`
}

// CertificateType says which requirement a certificate file meets.
type CertificateType string

// Certificate types documented by Tiki.
const (
	// CertificateBrand: a document the brand requires.
	CertificateBrand CertificateType = "brand"
	// CertificateCategory: a document the category requires; DocumentID
	// names which (see CatalogService.GetRequiredDocuments).
	CertificateCategory CertificateType = "category"
)

// Valid reports whether t is a documented certificate type.
func (t CertificateType) Valid() bool { return slices.Contains(certificateTypes, t) }

// CertificateFile is a document attached to a product request.
type CertificateFile struct {
	// URL of the document's file (required).
	URL string `json:"url"`
	// Type is CertificateBrand or CertificateCategory (required).
	Type CertificateType `json:"type"`
	// DocumentID is the id of the required document this file is (required
	// for CertificateCategory).
	DocumentID int64 `json:"document_id,omitempty"`
}

// ProductMetaData holds processing options of a product request.
type ProductMetaData struct {
	// IsAutoTurnOn makes Tiki switch the product on once approved.
	IsAutoTurnOn bool `json:"is_auto_turn_on"`
}

// validate checks p against the rules of Tiki's documentation for the given
// API version, adding every problem to v.
func (p *NewProduct) validate(v *validator, version apiVersion) {
	v.check(p.CategoryID > 0, "category_id", "must be a positive id")
	v.check(strings.TrimSpace(p.Name) != "", "name", "is required")
	v.check(strings.TrimSpace(p.Description) != "", "description", "is required")
	v.check(p.MarketPrice >= 0, "market_price", "must not be negative")
	v.check(len(p.Attributes) > 0, "attributes", "is required (the category's required attributes)")
	v.check(strings.TrimSpace(p.Image) != "", "image", "is required")
	checkURLs(v, "images", p.Images)

	// Option attributes: at most two, named, distinct.
	opts := p.OptionAttributes
	v.check(len(opts) <= maxOptionAttributes, "option_attributes", "must hold at most %d option attributes, has %d", maxOptionAttributes, len(opts))
	for i, o := range opts {
		field := "option_attributes[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(o) == "" {
			v.add(field, "must not be empty")
			continue
		}
		for j := range i {
			if opts[j] == o {
				v.add(field, "duplicates option_attributes[%d] %q", j, o)
				break
			}
		}
	}

	switch {
	case len(p.Variants) == 0:
		v.add("variants", "must hold at least one variant")
	case len(opts) == 0 && len(p.Variants) > 1:
		v.add("variants", "must hold exactly one variant, as a product without option_attributes is simple; it holds %d", len(p.Variants))
	}
	skus := make(map[string]int, len(p.Variants))
	combos := make(map[[2]string]int, len(p.Variants))
	for i := range p.Variants {
		vr := &p.Variants[i]
		prefix := "variants[" + strconv.Itoa(i) + "]"
		vr.validate(v, prefix, len(opts), version)
		if sku := strings.TrimSpace(vr.SKU); sku != "" {
			if j, dup := skus[sku]; dup {
				v.add(prefix+".sku", "duplicates variants[%d].sku %q", j, sku)
			} else {
				skus[sku] = i
			}
		}
		if len(opts) > 0 {
			combo := [2]string{vr.Option1, vr.Option2}
			if j, dup := combos[combo]; dup {
				v.add(prefix, "has the same options as variants[%d]", j)
			} else {
				combos[combo] = i
			}
		}
	}

	for i, f := range p.CertificateFiles {
		prefix := "certificate_files[" + strconv.Itoa(i) + "]"
		v.check(strings.TrimSpace(f.URL) != "", prefix+".url", "is required")
		checkEnum(v, prefix+".type", f.Type)
		v.check(f.DocumentID >= 0, prefix+".document_id", "must not be negative")
		if f.Type == CertificateCategory {
			v.check(f.DocumentID > 0, prefix+".document_id", "is required for a category document")
		}
	}
}

// validate checks one variant; declared is how many option attributes the
// product declares.
func (vr *Variant) validate(v *validator, prefix string, declared int, version apiVersion) {
	v.check(strings.TrimSpace(vr.SKU) != "", prefix+".sku", "is required")
	v.check(vr.Price > 0, prefix+".price", "must be greater than 0")
	v.check(vr.MarketPrice >= 0, prefix+".market_price", "must not be negative")
	v.check(vr.MinCode >= 0, prefix+".min_code", "must not be negative")
	v.check(vr.Supplier >= 0, prefix+".supplier", "must not be negative")
	for k, val := range []string{vr.Option1, vr.Option2} {
		field := prefix + ".option" + strconv.Itoa(k+1)
		if k < declared {
			v.check(strings.TrimSpace(val) != "", field, "is required: the product declares %d option attribute(s)", declared)
		} else {
			v.check(val == "", field, "must be empty: the product declares %d option attribute(s)", declared)
		}
	}
	// The product API's inventory types: the order API's dropship and
	// preorder are not values of a product.
	checkOptionalEnum(v, prefix+".inventory_type", vr.InventoryType, inventoryTypes()...)
	checkSellerWarehouse(v, prefix+".seller_warehouse", vr.SellerWarehouse)
	if vr.Quantity != nil {
		v.check(*vr.Quantity >= 0, prefix+".quantity", "must not be negative")
	}
	switch version {
	case apiV21:
		checkWarehouseStock(v, prefix+".warehouse_stocks", "warehouseId", "qtyAvailable", len(vr.WarehouseStocks), func(j int) (int64, int) {
			return vr.WarehouseStocks[j].WarehouseID, vr.WarehouseStocks[j].QtyAvailable
		})
	default:
		v.check(vr.Quantity != nil, prefix+".quantity", "is required")
		v.check(len(vr.WarehouseStocks) == 0, prefix+".warehouse_stocks", "is only supported by API v2.1 (client.ProductRequests.Create)")
		if version == apiV1 {
			v.check(vr.Supplier > 0, prefix+".supplier", "is required")
		}
	}
	checkURLs(v, prefix+".images", vr.Images)
}

// Create sends a product request: Tiki queues it, transforms it, reviews it
// and, once approved, creates the product. The returned record's TrackID
// follows it (TrackingService.Get, TrackingService.Wait). Stock is given
// per warehouse (Variant.WarehouseStocks).
//
// The product is checked before anything is sent; every problem is
// reported in one *ValidationError. Create is a POST and is never resent
// once it may have reached Tiki: after a timeout or a 5xx the error is a
// *RequestError with Sent set or an *APIError, and the request may or may
// not exist. Look it up (TrackingService.Latest, ProductRequestsService.List)
// before creating it again, or Tiki refuses the duplicate SKU. A 2xx answer
// without a track id is an *UnconfirmedError, whose Sent says whether Tiki
// may have queued the request.
//
// POST /v2.1/requests
func (s *ProductRequestsService) Create(ctx context.Context, p NewProduct) (*TrackedRequest, *Response, error) {
	v := s.client.newValidator()
	p.validate(&v, apiV21)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[TrackedRequest](ctx, s.client, &request{method: http.MethodPost, version: apiV21, path: "requests", body: p})
}

// Create sends a product request through API v2, where each variant has
// one Quantity instead of per-warehouse stock. Tiki deprecated API v2
// product requests from 2022-01-05 in favour of v2.1
// (client.ProductRequests.Create). Create checks the product and is never
// resent as client.ProductRequests.Create is.
//
// POST /v2/requests
func (s *ProductRequestsV2Service) Create(ctx context.Context, p NewProduct) (*TrackedRequest, *Response, error) {
	v := s.client.newValidator()
	p.validate(&v, apiV2)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[TrackedRequest](ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "requests", body: p})
}

// Create creates a product through API v1 (Tiki's 2019 API, replaced by
// v2.1: client.ProductRequests.Create), where each variant needs a
// Quantity and a Supplier. Tiki answers with a trace_id, decoded into
// TrackID; follow it with client.V1.Tracking.Get.
//
// POST /v1/products
func (s *ProductRequestsV1Service) Create(ctx context.Context, p NewProduct) (*TrackedRequest, *Response, error) {
	v := s.client.newValidator()
	p.validate(&v, apiV1)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[TrackedRequest](ctx, s.client, &request{method: http.MethodPost, version: apiV1, path: "products", body: p})
}

// RequestKind is what a product request does.
type RequestKind string

// Request kinds documented by Tiki.
const (
	// RequestKindCreateProduct: the request creates a product.
	RequestKindCreateProduct RequestKind = "create_product"
)

// ProductRequest is a product request as Tiki keeps it, once created from
// a NewProduct (or from a product info update).
type ProductRequest struct {
	// RequestID is Tiki's id of the request (a string of digits, too large
	// for a float).
	RequestID string `json:"request_id"`
	// State is the request's current state.
	State RequestState `json:"state"`
	// Kind is what the request does.
	Kind RequestKind `json:"kind,omitempty"`
	// CreatedAt is when the request was created (Vietnam time).
	CreatedAt Time `json:"created_at"`
	// CreatedBy is who created it, as Tiki records it (an email address).
	CreatedBy string `json:"created_by,omitempty"`
	// ApprovedAt is when the request was approved (Vietnam time); zero
	// until then.
	ApprovedAt Time `json:"approved_at"`
	// ApprovedBy is who approved it, as Tiki records it (an email address,
	// for example "admin@tiki.vn"); empty until then.
	ApprovedBy string `json:"approved_by,omitempty"`
	// Reasons say why the request was rejected.
	Reasons []string `json:"reasons,omitempty"`
	// Products are the products the request created, filled by Get and by
	// List with IncludeProducts.
	Products []Product `json:"products,omitempty"`
}

// UnmarshalJSON tolerates ids sent as numbers, null and reasons sent as one
// string or a list.
func (r *ProductRequest) UnmarshalJSON(b []byte) error {
	type plain ProductRequest
	var w struct {
		plain
		RequestID  FlexString  `json:"request_id"`
		CreatedBy  FlexString  `json:"created_by"`
		ApprovedBy FlexString  `json:"approved_by"`
		Reasons    messageList `json:"reasons"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = ProductRequest(w.plain)
	r.RequestID = string(w.RequestID)
	r.CreatedBy = string(w.CreatedBy)
	r.ApprovedBy = string(w.ApprovedBy)
	r.Reasons = []string(w.Reasons)
	return nil
}

// messageList decodes null, a string, or a list of strings (other values
// kept as their JSON text).
type messageList []string

func (m *messageList) UnmarshalJSON(b []byte) error {
	*m = flattenMessages(b)
	if len(*m) == 0 {
		*m = nil
	}
	return nil
}

// RequestedProduct is what FindByTrackID answers: the product a request
// created, with the request's id, state and approval.
type RequestedProduct struct {
	// Product holds the product's fields (SKU, ProductID, Name, ...).
	Product
	// RequestID is Tiki's id of the request that created the product.
	RequestID string `json:"request_id"`
	// State is the request's current state.
	State RequestState `json:"state"`
	// Kind is what the request does, for example RequestKindCreateProduct.
	Kind RequestKind `json:"kind,omitempty"`
	// ApprovedAt is when the request was approved (Vietnam time); zero
	// until then.
	ApprovedAt Time `json:"approved_at"`
	// ApprovedBy is who approved it, as Tiki records it (an email address,
	// for example "admin@tiki.vn"); empty until then.
	ApprovedBy string `json:"approved_by,omitempty"`
	// ProductInfo is Tiki's product_info block, as raw JSON (often null).
	ProductInfo json.RawMessage `json:"product_info,omitempty"`
	// Reasons say why the request was rejected.
	Reasons []string `json:"reasons,omitempty"`
}

// UnmarshalJSON decodes the product's and the request's fields of one
// flat object.
func (r *RequestedProduct) UnmarshalJSON(b []byte) error {
	var p Product
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var w struct {
		RequestID   FlexString      `json:"request_id"`
		State       RequestState    `json:"state"`
		Kind        RequestKind     `json:"kind"`
		ApprovedAt  Time            `json:"approved_at"`
		ApprovedBy  FlexString      `json:"approved_by"`
		ProductInfo json.RawMessage `json:"product_info"`
		Reasons     messageList     `json:"reasons"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = RequestedProduct{
		Product:    p,
		RequestID:  string(w.RequestID),
		State:      w.State,
		Kind:       w.Kind,
		ApprovedAt: w.ApprovedAt,
		ApprovedBy: string(w.ApprovedBy),
		Reasons:    []string(w.Reasons),
	}
	if info := strings.TrimSpace(string(w.ProductInfo)); info != "" && info != "null" {
		r.ProductInfo = w.ProductInfo
	}
	return nil
}

// ProductRequestsOptions filters List. Every field is optional.
type ProductRequestsOptions struct {
	// State keeps requests in this state.
	State RequestState `url:"state,omitempty"`
	// IncludeProducts fills each request's Products (include=products).
	IncludeProducts bool `url:"-"`
	ListOptions
}

func (o *ProductRequestsOptions) validate(v *validator) {
	checkOptionalEnum(v, "state", o.State)
	o.ListOptions.validate(v)
}

// productRequestsQuery is the query of GET /v2/requests.
type productRequestsQuery struct {
	ProductRequestsOptions
	Include string `url:"include,omitempty"`
}

// List returns one page of the seller's product requests, latest first
// (Tiki's default page size is 20).
//
// GET /v2/requests
func (s *ProductRequestsService) List(ctx context.Context, opts *ProductRequestsOptions) (*Page[ProductRequest], *Response, error) {
	o := zeroIfNil(opts)
	v := s.client.newValidator()
	o.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	wire := productRequestsQuery{ProductRequestsOptions: o}
	if o.IncludeProducts {
		wire.Include = "products"
	}
	return call[Page[ProductRequest]](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "requests", query: encodeQuery(wire)})
}

// All iterates over the seller's product requests, latest first, page
// after page from opts.Page (default 1) to the last one.
//
//	for req, err := range client.ProductRequests.All(ctx, &tiki.ProductRequestsOptions{State: tiki.RequestRejected}) {
//		if err != nil { ... }
//	}
func (s *ProductRequestsService) All(ctx context.Context, opts *ProductRequestsOptions, walkOpts ...WalkOption) iter.Seq2[ProductRequest, error] {
	return walk(ctx, s.client, "requests", opts, s.List, walkOpts)
}

// Get returns one product request with the products it created.
//
// GET /v2/requests/{request_id}
func (s *ProductRequestsService) Get(ctx context.Context, requestID string) (*ProductRequest, *Response, error) {
	var v validator
	seg := segment(&v, "request_id", requestID)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callShaped(ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "requests/" + seg, route: "requests/{request_id}"},
		func(r *ProductRequest) bool { return r.RequestID != "" }, `a product request (an object with "request_id")`)
}

// FindByTrackID returns the product request created from the track id
// that Create answered, merged with the products it created, as one page
// with Tiki's paging block. The page is empty while Tiki has not created the
// request yet.
//
// GET /v2/requests/findBy?track_id={track_id}
func (s *ProductRequestsService) FindByTrackID(ctx context.Context, trackID string) (*Page[RequestedProduct], *Response, error) {
	var v validator
	checkText(&v, "track_id", trackID)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	q := encodeQuery(struct {
		TrackID string `url:"track_id"`
	}{trackID})
	return call[Page[RequestedProduct]](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "requests/findBy", query: q})
}

// Delete deletes a product request; Tiki answers with its new state,
// RequestDeleted.
//
// DELETE /v2/requests/{request_id}
func (s *ProductRequestsService) Delete(ctx context.Context, requestID string) (*ProductRequest, *Response, error) {
	var v validator
	seg := segment(&v, "request_id", requestID)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[ProductRequest](ctx, s.client, &request{method: http.MethodDelete, version: apiV2, path: "requests/" + seg, route: "requests/{request_id}"})
}

// ProductInfoUpdate changes the attributes, main image or gallery of an
// approved product. Fields left empty are not changed (an empty Images
// leaves the gallery as it is).
type ProductInfoUpdate struct {
	// ProductID is Tiki's id of the product (required).
	ProductID int64 `json:"product_id"`
	// Attributes to change, by code (name and description among them).
	Attributes map[string]any `json:"attributes,omitempty"`
	// Image is the URL of the new main picture.
	Image string `json:"image,omitempty"`
	// Images are the URLs of the new gallery.
	Images []string `json:"images,omitempty"`
}

// UpdateInfo asks Tiki to change a product's attributes, main image or
// gallery. Like a new product, the change goes through a request that Tiki
// reviews: follow the returned TrackID. A 2xx answer without a track id is
// an *UnconfirmedError.
//
// POST /v2/requests/updateProductInfo
func (s *ProductRequestsService) UpdateInfo(ctx context.Context, u ProductInfoUpdate) (*TrackedRequest, *Response, error) {
	var v validator
	v.check(u.ProductID > 0, "product_id", "must be a positive id")
	v.check(len(u.Attributes) > 0 || u.Image != "" || len(u.Images) > 0, "attributes", "are not set, and neither are image and images: nothing to update")
	v.check(u.Image == "" || strings.TrimSpace(u.Image) != "", "image", "must not be blank")
	checkURLs(&v, "images", u.Images)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[TrackedRequest](ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "requests/updateProductInfo", body: u,
		lockKeys: productLockKeys(u.ProductID, "")})
}
