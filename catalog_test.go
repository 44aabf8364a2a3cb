package tiki

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalogCategories(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "categories_list.json")
	s.respond(http.MethodGet, "/v2/categories", 200, body)

	cats, resp, err := c.Catalog.ListCategories(context.Background(), &CategoriesOptions{
		Name: "a", Parent: 320, IsPrimary: Ptr(false), IsCrossBorder: Ptr(true),
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/categories", map[string][]string{
		"name": {"a"}, "parent": {"320"}, "isPrimary": {"false"}, "isCrossBorder": {"true"},
	})
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, resp.Attempts)

	rows := rawRows(t, body)
	require.Len(t, cats, len(rows))
	require.Len(t, cats, 16)
	for i, r := range rows {
		cat := cats[i]
		assert.Equal(t, num(r["id"]), cat.ID, i)
		assert.Equal(t, str(r["name"]), cat.Name, i)
		assert.Equal(t, str(r["description"]), cat.Description, i)
		assert.Equal(t, num(r["parent_id"]), cat.ParentID, i)
		assert.Equal(t, boolean(r["is_primary"]), cat.IsPrimary, i)
		assert.Equal(t, boolean(r["is_product_listing_enabled"]), cat.IsProductListingEnabled, i)
		assert.Equal(t, boolean(r["no_license_seller_enabled"]), cat.NoLicenseSellerEnabled, i)
		assert.Empty(t, cat.Parents)
		assert.Empty(t, cat.Attributes)
	}
	// Spot checks of the document's quirks: "null" as text, JSON null, "".
	assert.Equal(t, "null", cats[0].Description)
	assert.Equal(t, "", cats[9].Description)
	assert.Equal(t, Category{ID: 6445, Name: "Magazines", Description: "English Magazines", ParentID: 320,
		IsPrimary: true, IsProductListingEnabled: true}, cats[8])
}

func TestCatalogCategoriesNoOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/categories", 200, []byte(`{"data":[]}`))
	cats, _, err := c.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, cats)
	requireWire(t, s.last(), http.MethodGet, "/v2/categories", nil)
}

func TestCatalogCategoriesV1(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "categories_list_v1.json")
	s.respond(http.MethodGet, "/v1/categories", 200, body)

	cats, _, err := c.V1.Catalog.ListCategories(context.Background(), &CategoriesOptionsV1{Name: "book", Parent: 8, IsPrimary: Ptr(true), Lang: "vi"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/categories", map[string][]string{
		"name": {"book"}, "parent": {"8"}, "primary": {"1"}, "lang": {"vi"},
	})
	rows := rawRows(t, body)
	require.Len(t, cats, 7)
	for i, r := range rows {
		assert.Equal(t, Category{ID: num(r["id"]), Name: str(r["name"]), ParentID: num(r["parent"]), IsPrimary: boolean(r["primary"])}, cats[i])
	}

	s.respond(http.MethodGet, "/v1/categories", 200, []byte(`[]`))
	_, _, err = c.V1.Catalog.ListCategories(context.Background(), &CategoriesOptionsV1{IsPrimary: Ptr(false)})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/categories", map[string][]string{"primary": {"0"}})
	_, _, err = c.V1.Catalog.ListCategories(context.Background(), nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/categories", nil)
}

func TestCatalogCategoriesInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.Catalog.ListCategories(context.Background(), &CategoriesOptions{Parent: -1})
	requireRefused(t, err, s, []FieldProblem{{Field: "parent", Problem: "must not be negative"}}...)
	_, _, err = c.V1.Catalog.ListCategories(context.Background(), &CategoriesOptionsV1{Parent: -1, Lang: "fr"})
	requireRefused(t, err, s, []FieldProblem{
		{Field: "parent", Problem: "must not be negative"},
		{Field: "lang", Problem: `must be "en" or "vi"`},
	}...)
	_, _, err = c.V1.Catalog.GetCategory(context.Background(), 0)
	requireRefused(t, err, s, []FieldProblem{{Field: "category_id", Problem: "must be a positive id"}}...)
}

// v1 documents only categories and categories/{id}: client.V1.Catalog
// reaches those two at /v1, and every call of client.Catalog goes to /v2.
func TestCatalogVersionByService(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	s.handle("/", status(200, `{"id":20,"data":[],"paging":{},"category":[]}`))
	_, _, err := c.V1.Catalog.ListCategories(ctx, nil)
	require.NoError(t, err)
	_, _, err = c.V1.Catalog.GetCategory(ctx, 20)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListCategories(ctx, nil)
	require.NoError(t, err)
	_, _, err = c.Catalog.GetCategory(ctx, 20, nil)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListAttributes(ctx, 20)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListAttributeValues(ctx, 540, nil)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListOptionLabels(ctx, 20)
	require.NoError(t, err)
	_, _, err = c.Catalog.ListBrands(ctx, &BrandsOptions{Name: "apple"})
	require.NoError(t, err)
	_, _, err = c.Catalog.GetRequiredDocuments(ctx, RequiredDocumentsOptions{CategoryID: 1})
	require.NoError(t, err)
	var paths []string
	for _, got := range s.requests() {
		paths = append(paths, strings.TrimPrefix(got.Path, apiPath))
	}
	assert.Equal(t, []string{"/v1/categories", "/v1/categories/20", "/v2/categories", "/v2/categories/20",
		"/v2/categories/20/attributes", "/v2/attributes/540/values", "/v2/categories/20/optionLabels", "/v2/brands",
		"/v2/requests/requiredDocs"}, paths)
}

func TestCatalogCategory(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/categories/20", 200, fixture(t, "category_detail.json"))

	cat, _, err := c.Catalog.GetCategory(context.Background(), 20, &CategoryOptions{IncludeParents: true})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/categories/20", map[string][]string{"includeParents": {"true"}})
	assert.Equal(t, &Category{
		ID:          20,
		Name:        "Entrepreneurship - Small Business",
		Description: "Books for entrepreneurs",
		ParentID:    4,
		Parents: []Category{
			{ID: 2, Name: "Root yyy", ParentID: 1},
			{ID: 4, Name: "Economics", ParentID: 320},
			{ID: 20, Name: "Entrepreneurship - Small Business", ParentID: 4},
			{ID: 320, Name: "English Books", ParentID: 8322},
			{ID: 8322, Name: "Nhà Sách Tiki.vn", ParentID: 2},
		},
		IsPrimary:               true,
		IsProductListingEnabled: true,
		NoLicenseSellerEnabled:  false,
	}, cat)
}

func TestCatalogCategoryV1WithAttributes(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/categories/218", 200, fixture(t, "category_detail_v1.json"))

	cat, _, err := c.V1.Catalog.GetCategory(context.Background(), 218)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/categories/218", nil)
	assert.Equal(t, &Category{
		ID:          218,
		Name:        "Children's Books",
		Description: "Children's Books | international purchases buy at | Tiki.vn | Cheaper | Free shipping | 100% genuine",
		ParentID:    320,
		IsPrimary:   true,
		Attributes: []Attribute{
			{ID: 498, Code: "author", DisplayName: "Author", IsRequired: true},
			{ID: 1300, Code: "book_cover", DisplayName: "Cover type", IsRequired: false},
			{ID: 799, Code: "bulky", DisplayName: "Is product bulky?", IsRequired: false},
		},
	}, cat)
}

func TestCatalogCategoryNotFound(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/categories/1", 404, fixture(t, "category_detail_v1_error_not_found.json"))

	cat, _, err := c.V1.Catalog.GetCategory(context.Background(), 1)
	assert.Nil(t, cat)
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, []string{"Category not found id: 1"}, apiErr.Messages)
	assert.Equal(t, http.MethodGet, apiErr.Method)
	assert.Equal(t, s.URL+apiPath+"/v1/categories/1", apiErr.URL)
	assert.Equal(t, 1, apiErr.Attempts, "4xx is never retried")
	assert.Equal(t, 1, s.count())
}

func TestCatalogIDsValidated(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	var ve *ValidationError
	_, _, err := c.Catalog.GetCategory(ctx, 0, nil)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Catalog.ListAttributes(ctx, -3)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Catalog.ListOptionLabels(ctx, 0)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Catalog.ListAttributeValues(ctx, 0, &AttributeValuesOptions{ListOptions: ListOptions{Limit: 500}})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{
		{Field: "attribute_id", Problem: "must be a positive id"},
		{Field: "limit", Problem: "must be at most 100"},
	}, ve.Problems)
	_, _, err = c.Catalog.ListBrands(ctx, nil)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Catalog.GetRequiredDocuments(ctx, RequiredDocumentsOptions{})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, 0, s.count())
}

func TestCatalogAttributes(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "category_attributes.json")
	s.respond(http.MethodGet, "/v2/categories/20/attributes", 200, body)

	attrs, _, err := c.Catalog.ListAttributes(context.Background(), 20)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/categories/20/attributes", nil)
	assert.Equal(t, []Attribute{
		{ID: 2249, Code: "all_time_quantity_sold", DisplayName: "Số lượng sản phẩm đã bán", DisplayNameEN: "All_time_quantity_sold",
			InputType: InputText, DataType: "varchar"},
		{ID: 498, Code: "author", DisplayName: "Tác giả", DisplayNameEN: "Author", InputType: InputMultiselect, DataType: "varchar"},
		{ID: 1300, Code: "book_cover", DisplayName: "Loại bìa", DisplayNameEN: "Book cover type", InputType: InputSelect, DataType: "int"},
		{ID: 799, Code: "bulky", DisplayName: "Sản phẩm của bạn có phải là Hàng Cồng Kềnh không?", DisplayNameEN: "Is bulky product?",
			DefaultValue: "false", InputType: InputBoolean, DataType: "int"},
	}, attrs)
}

func TestCatalogAttributeValues(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "attribute_values.json")
	s.respond(http.MethodGet, "/v2/attributes/540/values", 200, body)

	page, _, err := c.Catalog.ListAttributeValues(context.Background(), 540, &AttributeValuesOptions{Query: "phong", ListOptions: ListOptions{Page: 1, Limit: 20}})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/attributes/540/values", map[string][]string{"q": {"phong"}, "page": {"1"}, "limit": {"20"}})
	assert.Equal(t, Paging{Total: 29, PerPage: 20, CurrentPage: 1, LastPage: 2, From: 1, To: 20}, page.Paging)
	rows := rawRows(t, body)
	require.Len(t, page.Data, 20)
	for i, r := range rows {
		assert.Equal(t, AttributeValue{ID: num(r["id"]), Value: str(r["value"]), Position: int(num(r["position"])), AttributeCode: "publisher_vn"}, page.Data[i])
	}
	assert.Equal(t, AttributeValue{ID: 4509607, Value: "Báo Thiếu Niên Tiền Phong", AttributeCode: "publisher_vn"}, page.Data[0])
}

func TestCatalogOptionLabels(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/categories/1795/optionLabels", 200, fixture(t, "option_labels.json"))

	labels, _, err := c.Catalog.ListOptionLabels(context.Background(), 1795)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/categories/1795/optionLabels", nil)
	assert.Equal(t, []OptionLabel{{"Màu"}, {"20Pro"}, {"Dung lượng"}, {"Kích cỡ"}, {"Màu sắc"}}, labels)
}

func TestCatalogBrands(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/brands", 200, fixture(t, "brands.json"))

	page, _, err := c.Catalog.ListBrands(context.Background(), &BrandsOptions{Name: "apple"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/brands", map[string][]string{"name": {"apple"}})
	assert.Equal(t, &Page[Brand]{
		Data: []Brand{
			{Name: "Appleware", IsActive: true, IsDocumentRequired: true},
			{Name: "Apple", IsActive: true, IsDocumentRequired: true},
		},
		Paging: Paging{From: 1, To: 20, Total: 2, CurrentPage: 1, LastPage: 1, PerPage: 20},
	}, page)
}

func TestCatalogAllBrands(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/brands", 200, fixture(t, "brands.json"))

	var names []string
	for b, err := range c.Catalog.AllBrands(context.Background(), &BrandsOptions{Name: "apple"}) {
		require.NoError(t, err)
		names = append(names, b.Name)
	}
	assert.Equal(t, []string{"Appleware", "Apple"}, names)
	assert.Equal(t, 1, s.count(), "last_page 1: one request")
}

// An iterator never changes the caller's options and can be ranged over
// again, from the same first page.
func TestCatalogAllAttributeValuesKeepsOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v2/attributes/540/values", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			status(200, `{"data":[{"id":2}],"paging":{"current_page":2,"last_page":3}}`)(w, r)
			return
		}
		status(200, `{"data":[{"id":3}],"paging":{"current_page":3,"last_page":3}}`)(w, r)
	})
	opts := &AttributeValuesOptions{Query: "phong", ListOptions: ListOptions{Page: 2, Limit: 1}}
	seq := c.Catalog.AllAttributeValues(context.Background(), 540, opts)
	for range 2 {
		var ids []int64
		for v, err := range seq {
			require.NoError(t, err)
			ids = append(ids, v.ID)
		}
		assert.Equal(t, []int64{2, 3}, ids)
	}
	var pages []string
	for _, got := range s.requests() {
		pages = append(pages, got.Query["page"][0]+"/"+got.Query["q"][0])
	}
	assert.Equal(t, []string{"2/phong", "3/phong", "2/phong", "3/phong"}, pages)
	assert.Equal(t, &AttributeValuesOptions{Query: "phong", ListOptions: ListOptions{Page: 2, Limit: 1}}, opts)
}

func TestCatalogRequiredDocuments(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/requests/requiredDocs", 200, fixture(t, "required_documents.json"))

	docs, _, err := c.Catalog.GetRequiredDocuments(context.Background(), RequiredDocumentsOptions{
		CategoryID: 1975, BrandListDataID: 123, ManufactureListDataID: 7, PublisherListDataID: 9,
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/requests/requiredDocs", map[string][]string{
		"category_id": {"1975"}, "brand_listdata_id": {"123"}, "manufacture_listdata_id": {"7"}, "publisher_listdata_id": {"9"},
	})
	at := func(s string) Time {
		tm, err := time.ParseInLocation(TimeLayout, s, Vietnam())
		require.NoError(t, err)
		return NewTime(tm)
	}
	require.Len(t, docs.Category, 3)
	assert.Equal(t, Document{ID: 1, Name: "Giấy xác nhận công bố phù hợp quy định an toàn thực phẩm - Cục An toàn thực phẩm cấp/Sở Y tế",
		Position: 1, CreatedAt: at("2018-03-12 08:15:23"), UpdatedAt: at("2021-03-19 15:45:47")}, docs.Category[0])
	assert.Equal(t, Document{ID: 4, Name: "Giấy chứng nhận hợp quy hoặc giấy tiếp nhận bản công bố hợp quy",
		Position: 4, CreatedAt: at("2018-03-12 08:15:23"), UpdatedAt: at("2021-03-19 15:45:47")}, docs.Category[1])
	assert.Equal(t, int64(18), docs.Category[2].ID)
	assert.Contains(t, docs.Category[2].Name, "Quyết định xuất bản")
	assert.Equal(t, 0, docs.Category[2].Position)
	assert.Equal(t, at("2019-03-27 07:42:26"), docs.Category[2].CreatedAt)
	assert.Equal(t, at("2021-03-19 15:45:47"), docs.Category[2].UpdatedAt)
	assert.False(t, docs.BrandIsRequired)
}
