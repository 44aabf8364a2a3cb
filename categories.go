package tiki

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strings"
)

// CatalogService reads Tiki's catalog: the category tree, the attributes a
// product in a category must or may have, their allowed values, option
// labels for variants, brands and the documents a category requires.
// These are the first calls of every product listing: pick a primary
// category, map your attributes to its attribute codes, then create the
// product request.
type CatalogService service

// Category is a node of Tiki's category tree. Products can only be created in
// categories that are primary and have product listing enabled.
//
// It decodes both API versions: v2's parent_id and is_primary, and v1's
// parent and primary (1/0).
type Category struct {
	// ID is Tiki's category id.
	ID int64 `json:"id"`
	// Name is the category's name as shown on Tiki (often Vietnamese).
	Name string `json:"name"`
	// Description may be empty; Tiki also sends the literal text "null".
	Description string `json:"description"`
	// ParentID is the parent category's id (v2 parent_id, v1 parent); zero
	// when Tiki gives none.
	ParentID int64 `json:"parent_id"`
	// IsPrimary: only primary categories can hold products.
	IsPrimary bool `json:"is_primary"`
	// IsProductListingEnabled: products can only be created in categories
	// where this is true.
	IsProductListingEnabled bool `json:"is_product_listing_enabled"`
	// NoLicenseSellerEnabled: sellers without a business license may list
	// products in this category.
	NoLicenseSellerEnabled bool `json:"no_license_seller_enabled"`
	// Parents is the chain of ancestors, filled by GetCategory with
	// IncludeParents.
	Parents []Category `json:"parents,omitempty"`
	// Attributes of the category, filled by the v1 category detail
	// (client.V1.Catalog.GetCategory).
	Attributes []Attribute `json:"attributes,omitempty"`
}

// UnmarshalJSON decodes v1 and v2 category shapes, tolerating strings for
// numbers and 1/0 for booleans.
func (c *Category) UnmarshalJSON(b []byte) error {
	var w struct {
		ID                      FlexInt     `json:"id"`
		Name                    string      `json:"name"`
		Description             *string     `json:"description"`
		ParentID                *FlexInt    `json:"parent_id"`
		Parent                  *FlexInt    `json:"parent"`
		IsPrimary               *FlexBool   `json:"is_primary"`
		Primary                 *FlexBool   `json:"primary"`
		IsProductListingEnabled FlexBool    `json:"is_product_listing_enabled"`
		NoLicenseSellerEnabled  FlexBool    `json:"no_license_seller_enabled"`
		Parents                 []Category  `json:"parents"`
		Attributes              []Attribute `json:"attributes"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Category{
		ID:                      int64(w.ID),
		Name:                    w.Name,
		IsProductListingEnabled: bool(w.IsProductListingEnabled),
		NoLicenseSellerEnabled:  bool(w.NoLicenseSellerEnabled),
		Parents:                 w.Parents,
		Attributes:              w.Attributes,
	}
	if w.Description != nil {
		c.Description = *w.Description
	}
	if p := firstNonNil(w.ParentID, w.Parent); p != nil {
		c.ParentID = int64(*p)
	}
	if p := firstNonNil(w.IsPrimary, w.Primary); p != nil {
		c.IsPrimary = bool(*p)
	}
	return nil
}

// AttributeInputType is how an attribute's value is entered.
type AttributeInputType string

// Attribute input types documented by Tiki.
const (
	// InputText: free text.
	InputText AttributeInputType = "text"
	// InputSelect: one of the attribute's values (ListAttributeValues).
	InputSelect AttributeInputType = "select"
	// InputMultiselect: several of the attribute's values.
	InputMultiselect AttributeInputType = "multiselect"
	// InputBoolean: true or false.
	InputBoolean AttributeInputType = "boolean"
)

// Attribute is a property that products of a category have, such as author
// or RAM. Its Code is the key under which a product request's attributes
// carry the value.
type Attribute struct {
	// ID is Tiki's attribute id, which ListAttributeValues takes.
	ID int64 `json:"id"`
	// Code is the attribute's key in a product request's attributes, for
	// example "author" or "bulky".
	Code string `json:"code"`
	// Description describes the attribute; empty when Tiki sends null.
	Description string `json:"description"`
	// DescriptionEN is the English description; empty when Tiki sends null.
	DescriptionEN string `json:"description_en"`
	// DisplayName is the Vietnamese label.
	DisplayName string `json:"display_name"`
	// DisplayNameEN is the English label.
	DisplayNameEN string `json:"display_name_en"`
	// IsRequired: a product request must give a value for this attribute.
	IsRequired bool `json:"is_required"`
	// DefaultValue is the attribute's default value as text (for example
	// "false" for a boolean attribute); empty when Tiki sends null.
	DefaultValue string `json:"default_value"`
	// InputType is how the value is entered: text, select, multiselect or
	// boolean (the Input* constants).
	InputType AttributeInputType `json:"input_type"`
	// DataType is the stored type, for example "varchar" or "int".
	DataType string `json:"data_type"`
}

// UnmarshalJSON tolerates null for the text fields, and 1/0 or strings for
// IsRequired.
func (a *Attribute) UnmarshalJSON(b []byte) error {
	type plain Attribute
	var w struct {
		plain
		ID            FlexInt  `json:"id"`
		IsRequired    FlexBool `json:"is_required"`
		Description   *string  `json:"description"`
		DescriptionEN *string  `json:"description_en"`
		DefaultValue  *string  `json:"default_value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Attribute(w.plain)
	a.ID = int64(w.ID)
	a.IsRequired = bool(w.IsRequired)
	a.Description = deref(w.Description)
	a.DescriptionEN = deref(w.DescriptionEN)
	a.DefaultValue = deref(w.DefaultValue)
	return nil
}

// AttributeValue is one allowed value of a select or multiselect attribute.
type AttributeValue struct {
	// ID is Tiki's id of the value.
	ID int64 `json:"id"`
	// Value is the value's text, for example "BÁO TIỀN PHONG".
	Value string `json:"value"`
	// Position is the value's display order; zero when Tiki sends null.
	Position int `json:"position"`
	// AttributeCode is the code of the attribute the value belongs to, for
	// example "publisher_vn".
	AttributeCode string `json:"attribute_code"`
}

// OptionLabel is a label that variants of a category's products can be
// told apart by (for example "Màu sắc", colour).
type OptionLabel struct {
	// Label is the label's text (Tiki's option_label), for example "Màu sắc".
	Label string `json:"option_label"`
}

// Brand is a brand known to Tiki.
type Brand struct {
	// Name is the brand's name, for example "Apple".
	Name string `json:"name"`
	// IsActive reports whether the brand is active on Tiki.
	IsActive bool `json:"is_active"`
	// IsDocumentRequired: products of this brand need certificate documents.
	IsDocumentRequired bool `json:"is_document_required"`
}

// Document is a certificate document type that Tiki may require for a
// product (food safety certificate, distribution contract...).
type Document struct {
	// ID is Tiki's id of the document type.
	ID int64 `json:"id"`
	// Name is the document's title, as Tiki writes it (Vietnamese).
	Name string `json:"name"`
	// Position is the document's display order.
	Position int `json:"position"`
	// CreatedAt is when Tiki created the document type (Vietnam time).
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when Tiki last changed the document type (Vietnam time).
	UpdatedAt Time `json:"updated_at"`
}

// RequiredDocuments lists the documents a product request must attach.
type RequiredDocuments struct {
	// Category lists the documents the category requires.
	Category []Document `json:"category"`
	// BrandIsRequired: the brand's own documents are required too.
	BrandIsRequired bool `json:"brand_is_required"`
}

// CategoriesOptions filters ListCategories. Every field is optional.
type CategoriesOptions struct {
	// Name keeps categories whose name contains this text (case-insensitive).
	Name string `url:"name,omitempty"`
	// Parent keeps the children of this category.
	Parent int64 `url:"parent,omitempty"`
	// IsPrimary keeps primary (true) or non-primary (false) categories.
	IsPrimary *bool `url:"isPrimary"`
	// IsCrossBorder selects cross-border categories (Tiki's default: false).
	IsCrossBorder *bool `url:"isCrossBorder"`
}

func (o *CategoriesOptions) validate(v *validator) {
	v.check(o.Parent >= 0, "parent", "must not be negative")
}

// ListCategories lists categories, filtered by opts (which may be nil).
//
// GET /v2/categories
func (s *CatalogService) ListCategories(ctx context.Context, opts *CategoriesOptions) ([]Category, *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	o.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callList[Category](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "categories", query: encodeQuery(&o)})
}

// CategoriesOptionsV1 filters the v1 ListCategories, whose query names the
// primary filter primary and sends it as 1 or 0. Every field is optional.
type CategoriesOptionsV1 struct {
	// Name keeps categories whose name contains this text (case-insensitive).
	Name string `url:"name,omitempty"`
	// Parent keeps the children of this category.
	Parent int64 `url:"parent,omitempty"`
	// IsPrimary keeps primary (true) or non-primary (false) categories
	// (primary=1/0).
	IsPrimary *bool `url:"primary,int"`
	// Lang selects the language of names, "en" (Tiki's default) or "vi".
	Lang string `url:"lang,omitempty"`
}

func (o *CategoriesOptionsV1) validate(v *validator) {
	v.check(o.Parent >= 0, "parent", "must not be negative")
	v.check(o.Lang == "" || o.Lang == "en" || o.Lang == "vi", "lang", `must be "en" or "vi"`)
}

// ListCategories lists categories through API v1, filtered by opts (which
// may be nil).
//
// GET /v1/categories
func (s *CatalogV1Service) ListCategories(ctx context.Context, opts *CategoriesOptionsV1) ([]Category, *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	o.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callList[Category](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "categories", query: encodeQuery(&o)})
}

// CategoryOptions tunes GetCategory.
type CategoryOptions struct {
	// IncludeParents fills Parents with the chain of ancestors
	// (includeParents=true).
	IncludeParents bool `url:"includeParents,omitempty"`
}

// GetCategory returns one category, with its ancestors when
// opts.IncludeParents is set (opts may be nil).
//
// GET /v2/categories/{categoryId}
func (s *CatalogService) GetCategory(ctx context.Context, categoryID int64, opts *CategoryOptions) (*Category, *Response, error) {
	o := zeroIfNil(opts)
	return getCategory(ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "categories/" + itoa(categoryID), route: "categories/{categoryId}", query: encodeQuery(&o)}, categoryID)
}

// GetCategory returns one category through API v1, with its attributes
// (Category.Attributes).
//
// GET /v1/categories/{categoryId}
func (s *CatalogV1Service) GetCategory(ctx context.Context, categoryID int64) (*Category, *Response, error) {
	return getCategory(ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "categories/" + itoa(categoryID), route: "categories/{categoryId}"}, categoryID)
}

// getCategory sends r, which asks for the category categoryID, after
// checking the id.
func getCategory(ctx context.Context, c *Client, r *request, categoryID int64) (*Category, *Response, error) {
	if err := checkID("category_id", categoryID); err != nil {
		return nil, nil, err
	}
	return callShaped(ctx, c, r, func(cat *Category) bool { return cat.ID != 0 }, `a category (an object with "id")`)
}

// ListAttributes lists the attributes of a category: those a product
// request must carry (IsRequired) and those it may carry.
//
// GET /v2/categories/{categoryId}/attributes
func (s *CatalogService) ListAttributes(ctx context.Context, categoryID int64) ([]Attribute, *Response, error) {
	if err := checkID("category_id", categoryID); err != nil {
		return nil, nil, err
	}
	return callList[Attribute](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "categories/" + itoa(categoryID) + "/attributes", route: "categories/{categoryId}/attributes"})
}

// AttributeValuesOptions filters ListAttributeValues.
type AttributeValuesOptions struct {
	// Query keeps values containing this text (the q parameter).
	Query string `url:"q,omitempty"`
	ListOptions
}

// ListAttributeValues returns one page of the allowed values of a select
// or multiselect attribute (Tiki's default page size is 20).
//
// GET /v2/attributes/{attributeId}/values
func (s *CatalogService) ListAttributeValues(ctx context.Context, attributeID int64, opts *AttributeValuesOptions) (*Page[AttributeValue], *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	v.check(attributeID > 0, "attribute_id", "must be a positive id")
	o.ListOptions.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Page[AttributeValue]](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "attributes/" + itoa(attributeID) + "/values", route: "attributes/{attributeId}/values", query: encodeQuery(&o)})
}

// AllAttributeValues iterates over every allowed value of an attribute,
// fetching page after page from opts.Page (default 1) to the last one.
//
//	for value, err := range client.Catalog.AllAttributeValues(ctx, 540, nil) {
//		if err != nil { ... }
//	}
func (s *CatalogService) AllAttributeValues(ctx context.Context, attributeID int64, opts *AttributeValuesOptions, walkOpts ...WalkOption) iter.Seq2[AttributeValue, error] {
	return walk(ctx, s.client, "attributes/"+itoa(attributeID)+"/values", opts, func(ctx context.Context, o *AttributeValuesOptions) (*Page[AttributeValue], *Response, error) {
		return s.ListAttributeValues(ctx, attributeID, o)
	}, walkOpts)
}

// ListOptionLabels lists the labels that variants of products in a
// category may be distinguished by.
//
// GET /v2/categories/{categoryId}/optionLabels
func (s *CatalogService) ListOptionLabels(ctx context.Context, categoryID int64) ([]OptionLabel, *Response, error) {
	if err := checkID("category_id", categoryID); err != nil {
		return nil, nil, err
	}
	return callList[OptionLabel](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "categories/" + itoa(categoryID) + "/optionLabels", route: "categories/{categoryId}/optionLabels"})
}

// BrandsOptions filters ListBrands.
type BrandsOptions struct {
	// Name is the brand name to search for (required).
	Name string `url:"name"`
	ListOptions
}

// ListBrands returns one page of the brands whose name matches opts.Name.
//
// GET /v2/brands?name={brand_name}
func (s *CatalogService) ListBrands(ctx context.Context, opts *BrandsOptions) (*Page[Brand], *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	v.check(strings.TrimSpace(o.Name) != "", "name", "is required")
	o.ListOptions.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Page[Brand]](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "brands", query: encodeQuery(&o)})
}

// AllBrands iterates over every brand matching opts.Name, page after page.
func (s *CatalogService) AllBrands(ctx context.Context, opts *BrandsOptions, walkOpts ...WalkOption) iter.Seq2[Brand, error] {
	return walk(ctx, s.client, "brands", opts, s.ListBrands, walkOpts)
}

// RequiredDocumentsOptions says which category (required) and which brand,
// manufacturer or publisher (list data ids, optional) a product belongs to.
type RequiredDocumentsOptions struct {
	// CategoryID is the product's category (query category_id). Required.
	CategoryID int64 `url:"category_id,omitempty"`
	// BrandListDataID is the list data id of the product's brand (query
	// brand_listdata_id); zero leaves it out.
	BrandListDataID int64 `url:"brand_listdata_id,omitempty"`
	// ManufactureListDataID is the list data id of the product's
	// manufacturer (query manufacture_listdata_id); zero leaves it out.
	ManufactureListDataID int64 `url:"manufacture_listdata_id,omitempty"`
	// PublisherListDataID is the list data id of the product's publisher
	// (query publisher_listdata_id); zero leaves it out.
	PublisherListDataID int64 `url:"publisher_listdata_id,omitempty"`
}

func (o *RequiredDocumentsOptions) validate(v *validator) {
	v.check(o.CategoryID > 0, "category_id", "must be a positive id")
	v.check(o.BrandListDataID >= 0, "brand_listdata_id", "must not be negative")
	v.check(o.ManufactureListDataID >= 0, "manufacture_listdata_id", "must not be negative")
	v.check(o.PublisherListDataID >= 0, "publisher_listdata_id", "must not be negative")
}

// GetRequiredDocuments returns the certificate documents a product of the
// given category (and brand, manufacturer or publisher) must carry.
//
// GET /v2/requests/requiredDocs
func (s *CatalogService) GetRequiredDocuments(ctx context.Context, opts RequiredDocumentsOptions) (*RequiredDocuments, *Response, error) {
	var v validator
	opts.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[RequiredDocuments](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "requests/requiredDocs", query: encodeQuery(&opts)})
}
