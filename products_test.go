package tiki

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prodListed is the product of the documentation's list and find examples.
func prodListed(t *testing.T) Product {
	return Product{
		SKU: "4833677185901", MasterSKU: "2629421073875", MasterID: 2088335, Name: "test product name",
		EntityType: "seller_simple", Type: "simple", Price: 20000,
		CreatedAt: vnTime(t, "2019-12-09 15:25:36"), CreatedBy: "admin@tiki.vn",
		ProductID: 2088336, OriginalSKU: "YOUR_ORIGINAL_SKU_123", MarketPrice: 20000, Version: 5,
		Thumbnail: "https://uat.tikicdn.com/ts/product/83/f7/55/81986fa898d5b864f08de0186ad0f4e1.jpg",
		Images: []ProductImage{{ID: 47932612,
			URL:  "https://uat.tikicdn.com/ts/product/83/f7/55/81986fa898d5b864f08de0186ad0f4e1.jpg",
			Path: "product/83/f7/55/81986fa898d5b864f08de0186ad0f4e1.jpg", Position: 0, Width: 1200, Height: 1200}},
		Categories: []ProductCategory{
			{ID: 1789, Name: "Điện Thoại - Máy Tính Bảng", URLKey: "dien-thoai-may-tinh-bang", IsPrimary: false},
			{ID: 1795, Name: "Điện thoại smartphone", URLKey: "dien-thoai-smartphone", IsPrimary: true},
		},
	}
}

var prodPaging = Paging{Total: 1, CurrentPage: 1, From: 0, To: 20, PerPage: 20, LastPage: 1}

func TestProductsList(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2.1/products", 200, fixture(t, "products_list_v21.json"))

	page, _, err := c.Products.List(context.Background(), &ProductsOptions{
		Name: "test product", Active: Ptr(ProductActive), CategoryID: 1795,
		Include:     []ProductInclude{IncludeInventory, IncludeImages},
		CreatedFrom: vnTime(t, "2019-12-01 00:00:00"), CreatedTo: vnTime(t, "2019-12-31 23:59:59"),
		UpdatedFrom: vnTime(t, "2020-01-01 00:00:00"), UpdatedTo: vnTime(t, "2020-01-02 00:00:00"),
		ListOptions: ListOptions{Page: 1, Limit: 20},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2.1/products", map[string][]string{
		"name": {"test product"}, "active": {"1"}, "category_id": {"1795"}, "include": {"inventory,images"},
		"created_from_date": {"2019-12-01 00:00:00"}, "created_to_date": {"2019-12-31 23:59:59"},
		"updated_from_date": {"2020-01-01 00:00:00"}, "updated_to_date": {"2020-01-02 00:00:00"},
		"page": {"1"}, "limit": {"20"},
	})
	want := prodListed(t)
	want.Inventory = &ProductInventory{
		InventoryType: InventoryBackorder, FulfillmentType: "tiki_delivery",
		WarehouseStocks: []InventoryStock{{WarehouseID: 1034, Quantity: 37, QuantityAvailable: 37, QuantitySellable: 37, QuantityReserved: -37}},
	}
	assert.Equal(t, &Page[Product]{Data: []Product{want}, Paging: prodPaging}, page)
	assert.Nil(t, page.Data[0].Active, "the list does not say whether the product is active")
}

func TestProductsListInactiveFilter(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2.1/products", 200, fixture(t, "products_list_v21.json"))
	_, _, err := c.Products.List(context.Background(), &ProductsOptions{Active: Ptr(ProductInactive)})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2.1/products", map[string][]string{"active": {"0"}})
	_, _, err = c.Products.List(context.Background(), nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2.1/products", nil)
}

func TestProductsListV2(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/products", 200, fixture(t, "products_list_v2.json"))
	page, _, err := c.V2.Products.List(context.Background(), &ProductsOptions{Name: "test"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/products", map[string][]string{"name": {"test"}})
	assert.Equal(t, &Page[Product]{Data: []Product{prodListed(t)}, Paging: prodPaging}, page)
}

func TestProductsAll(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v2.1/products", func(w http.ResponseWriter, r *http.Request) {
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		status(200, fmt.Sprintf(`{"data":[{"product_id":%d},{"product_id":%d}],"paging":{"current_page":%d,"last_page":3}}`, p*10+1, p*10+2, p))(w, r)
	})
	var ids []int64
	for p, err := range c.Products.All(context.Background(), &ProductsOptions{Include: []ProductInclude{IncludeInventory}, ListOptions: ListOptions{Page: 2}}) {
		require.NoError(t, err)
		ids = append(ids, p.ProductID)
	}
	assert.Equal(t, []int64{21, 22, 31, 32}, ids, "starts at opts.Page")
	var pages []string
	for _, got := range s.requests() {
		assert.Equal(t, "inventory", got.Query["include"][0])
		pages = append(pages, got.Query["page"][0])
	}
	assert.Equal(t, []string{"2", "3"}, pages)
}

func TestProductsHidden(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "products_hidden.json")
	s.respond(http.MethodGet, "/v2/products/getHiddenSkus", 200, body)

	page, _, err := c.Products.ListHidden(context.Background(), &HiddenProductsOptions{
		Name:        "Áo Khoác",
		CreatedFrom: vnTime(t, "2021-09-01 00:00:00"), CreatedTo: vnTime(t, "2021-09-30 00:00:00"),
		UpdatedFrom: vnTime(t, "2021-09-22 00:00:00"), UpdatedTo: vnTime(t, "2021-09-23 00:00:00"),
		ListOptions: ListOptions{Page: 1, Limit: 5},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/products/getHiddenSkus", map[string][]string{
		"name":            {"Áo Khoác"},
		"created_at_from": {"2021-09-01 00:00:00"}, "created_at_to": {"2021-09-30 00:00:00"},
		"updated_at_from": {"2021-09-22 00:00:00"}, "updated_at_to": {"2021-09-23 00:00:00"},
		"page": {"1"}, "limit": {"5"},
	})
	assert.Equal(t, Paging{Total: 10000, PerPage: 5, CurrentPage: 1, LastPage: 2000, From: 1, To: 5}, page.Paging)
	rows := rawRows(t, body)
	require.Len(t, page.Data, 5)
	for i, r := range rows {
		assert.Equal(t, Product{
			ProductID: num(r["id"]), SKU: str(r["sku"]), Name: str(r["name"]),
			MasterID: num(r["master_id"]), MasterSKU: str(r["master_sku"]),
			SuperID: num(r["super_id"]), SuperSKU: str(r["super_sku"]), OriginalSKU: str(r["original_sku"]),
			Type: str(r["type"]), EntityType: str(r["entity_type"]),
			Price: Money(num(r["price"])), MarketPrice: Money(num(r["market_price"])), Version: int(num(r["version"])),
			CreatedAt: vnTime(t, str(r["created_at"])), CreatedBy: str(r["created_by"]), UpdatedAt: vnTime(t, str(r["updated_at"])),
			Active: Ptr(ProductInactive), IsHidden: boolean(r["is_hidden"]),
		}, page.Data[i], i)
		assert.Equal(t, "0", r["active"], "the document sends active as a string here")
	}
	assert.Equal(t, int64(125172435), page.Data[0].ProductID)
	assert.Equal(t, "11", page.Data[0].OriginalSKU)
	assert.Equal(t, Money(89000), page.Data[4].Price)
	assert.True(t, page.Data[4].IsHidden)
}

func TestProductsAllHidden(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	s.respond(http.MethodGet, "/v2/products/getHiddenSkus", 200, fixture(t, "products_hidden.json"))
	sent := &sentCounter{next: s.transport()}
	c := s.client(t, WithSellerKey(testKey), WithHTTPClient(&http.Client{Transport: sent}))
	n := 0
	for p, err := range c.Products.AllHidden(context.Background(), nil) {
		require.NoError(t, err)
		assert.True(t, p.IsHidden)
		n++
		if n == 7 {
			break
		}
	}
	assert.Equal(t, 7, n)
	assert.LessOrEqual(t, int(sent.n.Load()), 2+DefaultPagesAhead, "last_page 2000: the walk stops when the loop breaks; at most the window was fetched ahead")
}

// prodFixtureAttributes returns the "attributes" object of a fixture,
// decoded as the generic map the SDK exposes.
func prodFixtureAttributes(t *testing.T, name string) map[string]any {
	t.Helper()
	var raw struct {
		Attributes map[string]any `json:"attributes"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, name), &raw))
	require.NotEmpty(t, raw.Attributes)
	return raw.Attributes
}

// prodDetail is the product of the documentation's get examples (v2 and
// v2.1 differ in their inventory only).
func prodDetail(t *testing.T, attrs map[string]any) Product {
	return Product{
		ProductID: 12345, SKU: "8935086810576", Name: "Hạt Giống Tâm Hồn 1- Kèm CD",
		MasterID: 324683, MasterSKU: "2438445414768", SuperID: 0,
		Active: Ptr(ProductActive), IsHidden: false, Type: "simple", EntityType: "seller_simple",
		Price: 27000, MarketPrice: 27000, Version: 45,
		CreatedAt: vnTime(t, "2017-02-25 21:14:25"), UpdatedAt: vnTime(t, "2021-02-04 10:01:01"),
		Thumbnail: "https://uat.tikicdn.com/cache/280x280/ts/h/g/hgth_-_1_1.jpg",
		Seller: &ProductSeller{
			ID: 1, Name: "Tiki Trading", Code: "TIKI",
			Logo: "http://uat.tikicdn.com/ts/seller/0e/9d/fd/61dfb9c92f03fefbb799e829e4b54e67.jpg",
			Slug: "tiki", Status: 1, StoreID: 1, ListdataID: 632463, VATLimitSupported: 0, IsAllVATSupported: false,
		},
		Attributes: attrs,
		Specifications: []SpecificationGroup{
			{ID: 2077, Name: "General", SortOrder: 1, Attributes: []SpecificationAttribute{
				{ID: 59, Code: "sku", Name: "Sku", DisplayName: "SKU", DataType: "static", InputType: "text", Value: "8935086810576"},
			}},
			{ID: 2079, Name: "Thông tin chi tiết", SortOrder: 3, Attributes: []SpecificationAttribute{
				{ID: 497, Code: "dimensions", Name: "Kích thước", DisplayName: "Kích thước", DataType: "text", InputType: "textarea", Value: "13 x 20.5"},
			}},
		},
		Images: []ProductImage{{ID: 12348871, URL: "https://uat.tikicdn.com/ts/h/g/hgth_-_1_1.jpg", Path: "/h/g/hgth_-_1_1.jpg", Position: 1}},
		Categories: []ProductCategory{
			{ID: 2, Name: "Root yyy", URLKey: "default-category"},
			{ID: 316, Name: "Sách Tiếng Việt", URLKey: "sach-tieng-viet", IsPrimary: true},
		},
	}
}

func TestProductsGet(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2.1/products/12345", 200, fixture(t, "product_get_v21.json"))

	p, _, err := c.Products.Get(context.Background(), 12345)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2.1/products/12345", map[string][]string{"includes": {"seller,categories,inventory,attributes,images"}})
	attrs := prodFixtureAttributes(t, "product_get_v21.json")
	want := prodDetail(t, attrs)
	want.Inventory = &ProductInventory{
		InventoryType: InventoryInstock, FulfillmentType: "tiki_delivery",
		WarehouseStocks: []InventoryStock{
			{WarehouseID: 1064, Quantity: 12, QuantityAvailable: 12, QuantityReserved: 0, QuantitySellable: 12},
			{WarehouseID: 1043, Quantity: 16, QuantityAvailable: 16, QuantityReserved: 0, QuantitySellable: 16},
		},
	}
	assert.Equal(t, &want, p)
	// The free-form attributes keep every value as Tiki sent it.
	assert.Len(t, p.Attributes, 53)
	assert.Equal(t, 14000.0, p.Attributes["price_restore"])
	assert.Equal(t, "4", p.Attributes["gift_message_available"])
	assert.Equal(t, map[string]any{"id": float64(1453707), "value": " CÔNG TY CỔ PHẦN HỒNG LAM"}, p.Attributes["supplier"])
	assert.Equal(t, "2017-02-17T09:22:00.000+00:00", p.Attributes["special_from_date"])
	assert.Contains(t, p.Attributes["description"], `<p style="text-align: justify;"`)
	assert.Len(t, p.Attributes["specifications"], 2)
}

func TestProductsGetV2(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/products/12345", 200, fixture(t, "product_get_v2.json"))

	p, _, err := c.V2.Products.Get(context.Background(), 12345)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/products/12345", map[string][]string{"includes": {"seller,categories,inventory,attributes,images"}})
	want := prodDetail(t, prodFixtureAttributes(t, "product_get_v2.json"))
	want.Inventory = &ProductInventory{
		InventoryType: InventoryInstock, FulfillmentType: "tiki_delivery",
		Quantity: 20, QuantityAvailable: 0, QuantityReserved: -20, QuantitySellable: 20,
	}
	assert.Equal(t, &want, p)
}

func TestProductsGetValidated(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	var ve *ValidationError
	_, _, err := c.Products.Get(context.Background(), 0)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{"product_id", "must be a positive id"}}, ve.Problems)
	_, _, err = c.V2.Products.Get(context.Background(), -1)
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Products.FindByOriginalSKU(context.Background(), " ")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{"original_sku", "is required"}}, ve.Problems)
	_, _, err = c.Products.FindByOriginalSKU(context.Background(), "YOUR_ORIGINAL_SKU_123 ")
	requireRefused(t, err, s, []FieldProblem{{"original_sku", "must not start or end with white space"}}...)
}

func TestProductsFindByOriginalSKU(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/products/findBy", 200, fixture(t, "product_find_by_original_sku.json"))

	found, _, err := c.Products.FindByOriginalSKU(context.Background(), "YOUR_ORIGINAL_SKU_123")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/products/findBy", map[string][]string{"original_sku": {"YOUR_ORIGINAL_SKU_123"}})
	assert.Equal(t, []Product{prodListed(t)}, found.Data)
	assert.Equal(t, Paging{Total: 1, CurrentPage: 1, From: 0, To: 20, PerPage: 20, LastPage: 1}, found.Paging, "the documented paging is kept")
}

func TestProductsDecodeLooseShapes(t *testing.T) {
	t.Parallel()
	var p Product
	require.NoError(t, json.Unmarshal([]byte(`{"id":"7","product_id":null,"sku":4833677185901,"original_sku":123,"price":"27000",
		"market_price":27000.0,"active":"1","is_hidden":"true","attributes":[],"created_at":"","images":[{"id":null}],"extra":{"a":1}}`), &p))
	assert.Equal(t, Product{ProductID: 7, SKU: "4833677185901", OriginalSKU: "123", Price: 27000, MarketPrice: 27000,
		Active: Ptr(ProductActive), IsHidden: true, Images: []ProductImage{{}}}, p)

	require.NoError(t, json.Unmarshal([]byte(`{"product_id":1,"active":true,"attributes":{"specifications":"none","x":1}}`), &p))
	assert.Equal(t, Product{ProductID: 1, Active: Ptr(ProductActive), Attributes: map[string]any{"specifications": "none", "x": 1.0}}, p,
		"specifications of another shape stay in the map only")

	require.NoError(t, json.Unmarshal([]byte(`{"active":null}`), &p))
	assert.Nil(t, p.Active)

	for _, bad := range []string{`{"price":"cheap"}`, `{"active":"maybe"}`, `{"attributes":{"x":}}`, `{"sku":{}}`, `[]`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &p), bad)
	}
}

func TestProductsEnums(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ActiveFlag{`1`: 1, `0`: 0, `"1"`: 1, `"0"`: 0, `true`: 1, `false`: 0, `""`: 0, `null`: 0} {
		var a ActiveFlag
		require.NoError(t, json.Unmarshal([]byte(in), &a), in)
		assert.Equal(t, want, a, in)
	}
	assert.True(t, ProductActive.Valid())
	assert.True(t, ProductInactive.Valid())
	assert.False(t, ActiveFlag(2).Valid())
	for _, s := range []ProductStatus{ProductStatusEnabled, ProductStatusDisabled, ProductStatusHidden} {
		assert.True(t, s.Valid())
	}
	assert.False(t, ProductStatus(0).Valid())
	assert.False(t, ProductStatus(4).Valid())
	for _, it := range []InventoryType{InventoryCrossBorder, InventoryInstock, InventoryBackorder, InventorySellerBackorder, InventoryDropShip} {
		assert.True(t, it.Valid())
	}
	assert.False(t, InventoryType("dropship").Valid())
	for _, inc := range []ProductInclude{IncludeSeller, IncludeCategories, IncludeInventory, IncludeAttributes, IncludeImages} {
		assert.True(t, inc.Valid())
	}
	assert.False(t, ProductInclude("reviews").Valid())
	assert.True(t, CertificateBrand.Valid())
	assert.False(t, CertificateType("").Valid())
}

func TestProductsListValidation(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2.1/products", 200, fixture(t, "products_list_v21.json"))
	s.respond(http.MethodGet, "/v2/products/getHiddenSkus", 200, fixture(t, "products_hidden.json"))
	ctx := context.Background()
	t0, t1 := vnTime(t, "2021-01-01 00:00:00"), vnTime(t, "2021-02-01 00:00:00")

	for _, o := range []*ProductsOptions{
		{Active: Ptr(ProductActive)}, {Active: Ptr(ProductInactive)}, {CategoryID: 1},
		{Include: []ProductInclude{IncludeSeller, IncludeCategories, IncludeInventory, IncludeAttributes, IncludeImages}},
		{CreatedFrom: t0, CreatedTo: t1, UpdatedFrom: t0, UpdatedTo: t0}, {ListOptions: ListOptions{Limit: 100}},
	} {
		_, _, err := c.Products.List(ctx, o)
		require.NoError(t, err)
	}
	_, _, err := c.Products.ListHidden(ctx, &HiddenProductsOptions{CreatedFrom: t0, CreatedTo: t1})
	require.NoError(t, err)
	assert.Equal(t, 7, s.count())
	s.forget() // from here on, nothing may be sent

	var ve *ValidationError
	_, _, err = c.Products.List(ctx, &ProductsOptions{
		Active: Ptr(ActiveFlag(2)), CategoryID: -1, Include: []ProductInclude{IncludeInventory, "reviews"},
		CreatedFrom: t1, CreatedTo: t0, UpdatedFrom: t1, UpdatedTo: t0, ListOptions: ListOptions{Limit: 101},
	})
	requireRefused(t, err, s, []FieldProblem{
		{"active", "is 2, not one of the known ActiveFlag values 0 (ProductInactive), 1 (ProductActive)"},
		{"category_id", "must not be negative"},
		unknownValue[ProductInclude]("include[1]", "reviews"),
		{"created_to_date", "must not be before created_from_date"},
		{"updated_to_date", "must not be before updated_from_date"},
		{"limit", "must be at most 100"},
	}...)
	_, _, err = c.V2.Products.List(ctx, &ProductsOptions{CategoryID: -1})
	require.ErrorAs(t, err, &ve)
	_, _, err = c.Products.ListHidden(ctx, &HiddenProductsOptions{CreatedFrom: t1, CreatedTo: t0, UpdatedFrom: t1, UpdatedTo: t0, ListOptions: ListOptions{Page: -1}})
	requireRefused(t, err, s, []FieldProblem{
		{"created_at_to", "must not be before created_at_from"},
		{"updated_at_to", "must not be before updated_at_from"},
		{"page", "must not be negative"},
	}...)
	assert.Equal(t, 0, s.count(), "nothing sent for invalid calls")
}

func TestProductsUpdate(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSku", 200, fixture(t, "product_update_sku_v21_response.json"))

	res, resp, err := c.Products.Update(context.Background(), ProductUpdate{
		OriginalSKU: "xxx-yyy-123", ProductID: 2166152, Price: 100000, Active: Ptr(ProductActive),
		SellerWarehouse:     "1034, 1015",
		WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1034, QtyAvailable: 17}, {WarehouseID: 1015, QtyAvailable: 18}},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPut, "/v2.1/products/updateSku", nil)
	requireJSONEqual(t, string(fixture(t, "product_update_sku_v21_request.json")), s.last().Body)
	assert.Equal(t, &ProductUpdateResult{State: RequestApproved}, res)
	assert.Equal(t, 1, resp.Attempts)
}

func TestProductsUpdateSendsOnlyWhatChanges(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSku", 200, fixture(t, "product_update_sku_v21_response.json"))
	_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 2166152, Active: Ptr(ProductInactive)})
	require.NoError(t, err)
	requireJSONEqual(t, `{"product_id":2166152,"active":0}`, s.last().Body)
	_, _, err = c.Products.Update(context.Background(), ProductUpdate{OriginalSKU: "xxx-yyy-123",
		WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1034, QtyAvailable: 0}}})
	require.NoError(t, err)
	requireJSONEqual(t, `{"original_sku":"xxx-yyy-123","warehouse_quantities":[{"warehouse_id":1034,"qty_available":0}]}`, s.last().Body)
}

func TestProductsUpdateRefused(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPut, "/v2.1/products/updateSku", 422, fixture(t, "product_update_sku_v21_response_error.json"))
	_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 2166152, Price: 1})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, []string{"Price is not valid because less than ten percent listing price"}, apiErr.Messages)
	assert.Equal(t, 1, s.count())
}

// Update is a PUT of absolute values: retried on 5xx.
func TestProductsUpdateRetried(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("PUT /v2.1/products/updateSku", status(503, ``), status(200, string(fixture(t, "product_update_sku_v21_response.json"))))
	res, resp, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 2166152, Price: 100000})
	require.NoError(t, err)
	assert.Equal(t, RequestApproved, res.State)
	assert.Equal(t, 2, resp.Attempts)
	got := s.requests()
	require.Len(t, got, 2)
	assert.Equal(t, got[0].Body, got[1].Body)
}

func TestProductsUpdateV2(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/products/updateSku", 200, fixture(t, "product_update_sku_v2_response.json"))
	res, _, err := c.V2.Products.Update(context.Background(), ProductUpdateV2{
		OriginalSKU: "xxx-yyy-123", ProductID: 2166152, Price: 100000, Quantity: Ptr(20), Active: Ptr(ProductActive),
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2/products/updateSku", nil)
	requireJSONEqual(t, string(fixture(t, "product_update_sku_v2_request.json")), s.last().Body)
	assert.Equal(t, &ProductUpdateResult{State: RequestApproved}, res)

	s.respond(http.MethodPost, "/v2/products/updateSku", 422, fixture(t, "product_update_sku_v2_response_error.json"))
	_, _, err = c.V2.Products.Update(context.Background(), ProductUpdateV2{ProductID: 1, Quantity: Ptr(0)})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, []string{"Price is not valid because less than ten percent listing price"}, apiErr.Messages)
}

func TestProductsUpdateV1(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/products/DANG19951995/updateSku", 200, []byte(`{"state":"approved"}`))
	res, _, err := c.V1.Products.Update(context.Background(), "DANG19951995", ProductUpdateV1{Price: 100000, Quantity: Ptr(20), Active: Ptr(ProductActive)})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/products/DANG19951995/updateSku", nil)
	requireJSONEqual(t, string(fixture(t, "product_update_sku_v1_request.json")), s.last().Body)
	assert.Equal(t, RequestApproved, res.State)

	s.respond(http.MethodPost, "/v1/products/DANG19951995/updateSku", 422, fixture(t, "product_update_sku_v1_response_error.json"))
	_, _, err = c.V1.Products.Update(context.Background(), "DANG19951995", ProductUpdateV1{Price: 1})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, []string{"Price is not valid because less than ten percent listing price"}, apiErr.Messages)
}

// The v1 Update's SKU is a path segment: dot segments and white space are
// refused, anything else is escaped.
func TestProductsUpdateV1SKUSegment(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	u := ProductUpdateV1{Price: 100000}
	var ve *ValidationError
	for sku, problem := range map[string]string{
		"":       "is required",
		".":      `must not be "."`,
		"..":     `must not be ".."`,
		" DANG1": "must not start or end with white space",
	} {
		_, _, err := c.V1.Products.Update(ctx, sku, u)
		require.ErrorAs(t, err, &ve, sku)
		assert.Equal(t, []FieldProblem{{"sku", problem}}, ve.Problems, sku)
	}
	assert.Equal(t, 0, s.count())

	s.handle("POST /v1/products/{sku}/updateSku", status(200, `{"state":"approved"}`))
	for _, sku := range []string{"a/..", "...", "A B"} {
		_, _, err := c.V1.Products.Update(ctx, sku, u)
		require.NoError(t, err, sku)
	}
	var uris []string
	for _, got := range s.requests() {
		uris = append(uris, got.URI)
	}
	assert.Equal(t, []string{
		"/prefix/integration/v1/products/a%2F../updateSku",
		"/prefix/integration/v1/products/.../updateSku",
		"/prefix/integration/v1/products/A%20B/updateSku",
	}, uris)
}

// A 2xx answer without {"state": "approved"} is an *APIError: the product
// was not updated.
func TestProductsUpdateNotApplied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := []struct {
		name, method, path string
		call               func(c *Client) (*ProductUpdateResult, *Response, error)
	}{
		{"Update", http.MethodPut, "/v2.1/products/updateSku", func(c *Client) (*ProductUpdateResult, *Response, error) {
			return c.Products.Update(ctx, ProductUpdate{ProductID: 2166152, Price: 100000})
		}},
		{"V2.Products.Update", http.MethodPost, "/v2/products/updateSku", func(c *Client) (*ProductUpdateResult, *Response, error) {
			return c.V2.Products.Update(ctx, ProductUpdateV2{ProductID: 2166152, Price: 100000})
		}},
		{"V1.Products.Update", http.MethodPost, "/v1/products/DANG19951995/updateSku", func(c *Client) (*ProductUpdateResult, *Response, error) {
			return c.V1.Products.Update(ctx, "DANG19951995", ProductUpdateV1{Price: 100000})
		}},
		{"UpdateOriginalSKU", http.MethodPost, "/v2/products/updateOriginalSku", func(c *Client) (*ProductUpdateResult, *Response, error) {
			return c.Products.UpdateOriginalSKU(ctx, 123456, "BRAND_NEW_CODE")
		}},
	}
	for _, tc := range calls {
		for body, messages := range map[string][]string{
			`{"msg":"Kết nối đang tạm ngưng bởi seller"}`:     {"Kết nối đang tạm ngưng bởi seller"},
			`{"message":"Kết nối đang tạm ngưng bởi seller"}`: {"Kết nối đang tạm ngưng bởi seller"},
			`{"state":"rejected"}`: nil,
			`{}`:                   nil,
		} {
			c, s := setup(t)
			s.respond(tc.method, tc.path, 200, []byte(body))
			res, resp, err := tc.call(c)
			assert.Nil(t, res, tc.name, body)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, tc.name, body)
			assert.Equal(t, 200, apiErr.StatusCode)
			assert.Equal(t, messages, apiErr.Messages, tc.name, body)
			assert.Equal(t, body, string(apiErr.Body))
			assert.Equal(t, tc.method, apiErr.Method)
			assert.Equal(t, s.URL+apiPath+tc.path, apiErr.URL)
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, 1, s.count(), "a 200 is not retried: %s", tc.name)
		}
	}
}

func TestProductsUpdateOriginalSKU(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/products/updateOriginalSku", 200, fixture(t, "product_update_original_sku_response.json"))
	res, _, err := c.Products.UpdateOriginalSKU(context.Background(), 123456, "BRAND_NEW_CODE")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2/products/updateOriginalSku", nil)
	requireJSONEqual(t, string(fixture(t, "product_update_original_sku_request.json")), s.last().Body)
	assert.Equal(t, &ProductUpdateResult{State: RequestApproved}, res)

	var ve *ValidationError
	_, _, err = c.Products.UpdateOriginalSKU(context.Background(), 0, "")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{"product_id", "must be a positive id"}, {"original_sku", "is required"}}, ve.Problems)
	assert.Equal(t, 1, s.count())
}

// Each rule of the single-product updates: passing and refused.
func TestProductsUpdateValidation(t *testing.T) {
	t.Parallel()
	const nothing21 = "is not set, and neither are active, seller_warehouse and warehouse_quantities: nothing to update"
	const nothingV2 = "is not set, and neither are quantity and active: nothing to update"
	wq := func(id int64, q int) []WarehouseQuantity {
		return []WarehouseQuantity{{WarehouseID: id, QtyAvailable: q}}
	}
	cases := []struct {
		name string
		call func(c *Client) error
		want []FieldProblem
	}{
		{"by product_id", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, Price: 1000})
			return err
		}, nil},
		{"by original_sku", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{OriginalSKU: "A-1", Active: Ptr(ProductInactive)})
			return err
		}, nil},
		{"stock only", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, SellerWarehouse: "1034", WarehouseQuantities: wq(1034, 0)})
			return err
		}, nil},
		{"no product", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{Price: 1000})
			return err
		}, []FieldProblem{{"product_id", "is required when original_sku is empty"}}},
		{"negative product_id", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: -1, OriginalSKU: "A", Price: 1})
			return err
		}, []FieldProblem{{"product_id", "must be a positive id"}}},
		{"negative price", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, Price: -1})
			return err
		}, []FieldProblem{{"price", "must be greater than 0"}}},
		{"active 2", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, Active: Ptr(ActiveFlag(2))})
			return err
		}, []FieldProblem{{"active", "is 2, not one of the known ActiveFlag values 0 (ProductInactive), 1 (ProductActive)"}}},
		{"seller_warehouse", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, SellerWarehouse: "hn,sgn"})
			return err
		}, []FieldProblem{{"seller_warehouse", `must be comma-separated warehouse ids, like "1034,1015"`}}},
		{"warehouse_id", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, WarehouseQuantities: wq(0, 1)})
			return err
		}, []FieldProblem{{"warehouse_quantities[0].warehouse_id", "must be a positive id"}}},
		{"qty_available", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, WarehouseQuantities: wq(1034, -1)})
			return err
		}, []FieldProblem{{"warehouse_quantities[0].qty_available", "must not be negative"}}},
		{"duplicate warehouse", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1, WarehouseQuantities: append(wq(1034, 1), wq(1034, 2)...)})
			return err
		}, []FieldProblem{{"warehouse_quantities[1].warehouse_id", "duplicates warehouse_quantities[0]"}}},
		{"nothing to update", func(c *Client) error {
			_, _, err := c.Products.Update(context.Background(), ProductUpdate{ProductID: 1})
			return err
		}, []FieldProblem{{"price", nothing21}}},
		{"v2 valid", func(c *Client) error {
			_, _, err := c.V2.Products.Update(context.Background(), ProductUpdateV2{OriginalSKU: "A", Quantity: Ptr(0)})
			return err
		}, nil},
		{"v2 every problem", func(c *Client) error {
			_, _, err := c.V2.Products.Update(context.Background(), ProductUpdateV2{Price: -1, Quantity: Ptr(-1), Active: Ptr(ActiveFlag(-1))})
			return err
		}, []FieldProblem{
			{"product_id", "is required when original_sku is empty"},
			{"price", "must be greater than 0"},
			{"quantity", "must not be negative"},
			{"active", "is -1, not one of the known ActiveFlag values 0 (ProductInactive), 1 (ProductActive)"},
		}},
		{"v2 nothing to update", func(c *Client) error {
			_, _, err := c.V2.Products.Update(context.Background(), ProductUpdateV2{ProductID: 1})
			return err
		}, []FieldProblem{{"price", nothingV2}}},
		{"v1 valid", func(c *Client) error {
			_, _, err := c.V1.Products.Update(context.Background(), "A/1", ProductUpdateV1{Active: Ptr(ProductActive)})
			return err
		}, nil},
		{"v1 every problem", func(c *Client) error {
			_, _, err := c.V1.Products.Update(context.Background(), "", ProductUpdateV1{Price: -1, Quantity: Ptr(-1), Active: Ptr(ActiveFlag(3))})
			return err
		}, []FieldProblem{
			{"sku", "is required"},
			{"price", "must be greater than 0"},
			{"quantity", "must not be negative"},
			{"active", "is 3, not one of the known ActiveFlag values 0 (ProductInactive), 1 (ProductActive)"},
		}},
		{"v1 nothing to update", func(c *Client) error {
			_, _, err := c.V1.Products.Update(context.Background(), "A", ProductUpdateV1{})
			return err
		}, []FieldProblem{{"price", nothingV2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			ok := []byte(`{"state":"approved"}`)
			s.respond(http.MethodPut, "/v2.1/products/updateSku", 200, ok)
			s.respond(http.MethodPost, "/v2/products/updateSku", 200, ok)
			s.respond(http.MethodPost, "/v1/products/A%2F1/updateSku", 200, ok)
			err := tc.call(c)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 1, s.count())
				return
			}
			requireRefused(t, err, s, tc.want...)
		})
	}
}

// The decoders of product responses never panic and never fail on what
// the documentation shows.
func FuzzProductDecoders(f *testing.F) {
	for _, name := range []string{
		"product_get_v21.json", "product_get_v2.json", "products_list_v21.json", "products_hidden.json",
		"product_request_get.json", "product_request_find_by_track_id.json", "tracking_latest.json", "tracking_one_v1.json",
		"products_update_skus_v21_response.json", "product_request_create_v21_request_configurable.json",
	} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"reason":"{\"errors\":[{\"code\":1}]}"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Product
		_ = json.Unmarshal(b, &p)
		var pr ProductRequest
		_ = json.Unmarshal(b, &pr)
		var rp RequestedProduct
		_ = json.Unmarshal(b, &rp)
		var tr TrackedRequest
		if json.Unmarshal(b, &tr) == nil {
			_ = tr.ReasonText()
			_ = tr.Rejection.Codes()
		}
		var page Page[Product]
		_ = json.Unmarshal(b, &page)
		var rows list[batchRow]
		_ = json.Unmarshal(b, &rows)
		var np NewProduct
		if json.Unmarshal(b, &np) == nil {
			var v validator
			np.validate(&v, apiV21)
			np.validate(&v, apiV1)
			_, _ = json.Marshal(np)
		}
		_ = ParseRejection(string(b))
	})
}

// The README's walkthrough, end to end: create, wait for approval, read
// the created product, set its stock.
func TestProductsWalkthrough(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2.1/requests", 200, fixture(t, "product_request_create_v21_response.json"))
	s.handle("GET /v2/tracking/c3587ec50976497f837461e0c2ea3da5",
		status(200, `{"track_id":"c3587ec50976497f837461e0c2ea3da5","state":"queuing"}`),
		status(200, `{"track_id":"c3587ec50976497f837461e0c2ea3da5","state":"md_awaiting_approve","reason":""}`),
		status(200, `{"track_id":"c3587ec50976497f837461e0c2ea3da5","state":"approved","reason":"","request_id":"1121456196340384958"}`))
	s.respond(http.MethodGet, "/v2/requests/1121456196340384958", 200, fixture(t, "product_request_get.json"))
	update := s.respond(http.MethodPut, "/v2.1/products/updateSku", 200, fixture(t, "product_update_sku_v21_response.json"))
	batch := s.respond(http.MethodPut, "/v2.1/products/updateSkus", 200,
		[]byte(`{"data":[{"is_success":true,"product_id":2091401,"original_sku":"B0055QD0EC5","code":"success","message":null}]}`))
	ctx := context.Background()

	created, _, err := c.ProductRequests.Create(ctx, validNewProduct(apiV21))
	require.NoError(t, err)
	rec, _, err := c.Tracking.Wait(ctx, created.TrackID, nil)
	require.NoError(t, err)
	require.Equal(t, RequestApproved, rec.State)
	req, _, err := c.ProductRequests.Get(ctx, rec.RequestID)
	require.NoError(t, err)
	require.Len(t, req.Products, 1)
	p := req.Products[0]
	_, _, err = c.Products.Update(ctx, ProductUpdate{
		ProductID: p.ProductID, Active: Ptr(ProductActive),
		WarehouseQuantities: []WarehouseQuantity{{WarehouseID: 1054, QtyAvailable: 12}},
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"product_id":2091401,"active":1,"warehouse_quantities":[{"warehouse_id":1054,"qty_available":12}]}`, update.last().Body)
	results, _, err := c.Products.UpdateBatch(ctx, []BatchUpdateItem{{OriginalSKU: p.OriginalSKU, Price: 990000}})
	require.NoError(t, err)
	requireJSONEqual(t, `{"data":[{"original_sku":"B0055QD0EC5","price":990000}]}`, batch.last().Body)
	assert.Empty(t, results.Failures())
	assert.Len(t, s.waits(), 2)
	assert.Equal(t, 7, s.count())
}

// sentCounter is an http.RoundTripper that counts the requests a client
// hands to it, then sends them through next: it counts what the client
// sent, where the server's record holds what arrived (a request cancelled
// on its way may never arrive).
type sentCounter struct {
	next http.RoundTripper
	n    atomic.Int32
}

func (c *sentCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}
