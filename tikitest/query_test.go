package tikitest_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// A query parameter the route does not document is answered 400 in Tiki's
// error shape, naming the parameter and the route.
func TestUnknownQueryParameterRefused(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	for _, c := range []struct{ path, want string }{
		{"/v2/orders?stauts=queueing", `{"errors":["unknown query parameter \"stauts\" for GET /integration/v2/orders"]}`},
		{"/v2.1/products?lmit=5&page=2", `{"errors":["unknown query parameter \"lmit\" for GET /integration/v2.1/products"]}`},
		{"/v2/categories?b=1&a=2", `{"errors":["unknown query parameter \"a\" for GET /integration/v2/categories",` +
			`"unknown query parameter \"b\" for GET /integration/v2/categories"]}`},
		{"/v2/warehouses/tiki?page=1", `{"errors":["unknown query parameter \"page\" for GET /integration/v2/warehouses/tiki"]}`},
		{"/v1/categories?isPrimary=true", `{"errors":["unknown query parameter \"isPrimary\" for GET /integration/v1/categories"]}`},
		{"/v2/orders/300000001?includes=item.fees", `{"errors":["unknown query parameter \"includes\" for GET /integration/v2/orders/300000001"]}`},
	} {
		code, body := v2Do(t, srv, "GET", c.path, "")
		assert.Equal(t, 400, code, c.path)
		assert.JSONEq(t, c.want, body, c.path)
	}
	// Write endpoints take their input in the body: a query is refused.
	code, body := v2Do(t, srv, "POST", "/v2/orders?fulfillment_type=dropship", `{"items":[{}]}`)
	assert.Equal(t, 400, code)
	assert.JSONEq(t, `{"errors":["unknown query parameter \"fulfillment_type\" for POST /integration/v2/orders"]}`, body)
	// Credentials are checked first.
	code, _ = v2Do(t, srv, "GET", "/v2/orders?stauts=1", "")
	assert.Equal(t, 400, code)
	code, _, _ = ordRaw(t, "GET", srv.URL+"/v2/warehouses/tiki", "", "")
	assert.Equal(t, 401, code)
}

// Every parameter Tiki documents for a route is known to it (the values may
// still be refused for what they are).
func TestDocumentedQueryParametersAccepted(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	order, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: "dropship"})
	require.NoError(t, err)
	v1 := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	routes := map[string][]string{
		"/v1/orders": {"page", "limit", "status", "fulfillment_type", "item_inventory_type", "item_confirmation_status",
			"filter_date_by", "created_from_date", "created_to_date", "updated_from_date", "updated_to_date", "include"},
		"/v1/orders/" + v1.OrderCode:            {"include"},
		"/v1/orders/" + v1.OrderCode + "/print": {"label", "format"},
		"/v1/warehouses":                        {"warehouse_id", "warehouse_code"},
		"/v2/orders": {"page", "limit", "code", "sku", "item_confirmation_status", "item_inventory_type", "fulfillment_type",
			"status", "include", "is_rma", "filter_date_by", "created_from_date", "created_to_date", "updated_from_date",
			"updated_to_date", "order_by"},
		"/v2/orders/" + order.Code:                      {"include"},
		"/v2/orders/" + order.Code + "/dropship/labels": {"format"},
		"/v2/seller-inventories":                        {"tiki_warehouse_codes"},
		"/v2/sellers/me/warehouses":                     {"status", "type", "page", "limit"},
		"/v2/categories":                                {"name", "parent", "isPrimary", "isCrossBorder"},
		"/v2/categories/27":                             {"includeParents"},
		"/v1/categories":                                {"name", "parent", "primary", "lang"},
		"/v2/attributes/540/values":                     {"q", "page", "limit"},
		"/v2/brands":                                    {"name", "page", "limit"},
		"/v2/requests/requiredDocs":                     {"category_id", "brand_listdata_id", "manufacture_listdata_id", "publisher_listdata_id"},
		"/v2/products/getHiddenSkus":                    {"name", "created_at_from", "created_at_to", "updated_at_from", "updated_at_to", "page", "limit"},
	}
	for _, v := range []string{"v1", "v2"} {
		routes["/"+v+"/tracking"] = []string{"limit", "created_at_min", "created_at_max", "updated_at_min", "updated_at_max"}
	}
	for _, v := range []string{"v2", "v2.1"} {
		routes["/"+v+"/requests"] = []string{"page", "limit", "state", "include"}
		routes["/"+v+"/requests/findBy"] = []string{"track_id", "page", "limit"}
		routes["/"+v+"/products/findBy"] = []string{"original_sku", "page", "limit"}
	}
	for _, v := range []string{"v2", "v2.1"} {
		routes["/"+v+"/products"] = []string{"page", "limit", "name", "active", "category_id", "include",
			"created_from_date", "created_to_date", "updated_from_date", "updated_to_date"}
		routes["/"+v+"/products/1"] = []string{"include", "includes"}
	}
	for path, params := range routes {
		q := url.Values{}
		for _, p := range params {
			q.Set(p, "1")
		}
		_, body := v2Do(t, srv, "GET", path+"?"+q.Encode(), "")
		assert.NotContains(t, body, "unknown query parameter", path)
	}
}

// WithLenientQuery serves requests with unknown parameters, as Tiki does,
// and the request log names what was ignored.
func TestLenientQuery(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	srv := tikitest.NewServer(t, tikitest.WithLenientQuery(), tikitest.WithRequestLog(&log), fixedClock())
	code, body := v2Do(t, srv, "GET", "/v2/orders?stauts=queueing", "")
	assert.Equal(t, 200, code, body)
	assert.Equal(t, []string{`GET /integration/v2/orders?stauts=queueing 200 0s: ignored: unknown query parameter "stauts" for GET /integration/v2/orders`},
		log.Lines())
}

// The SDK sends only parameters the routes document: every list and
// filter option set at once is accepted by the strict fake.
func TestSDKSendsOnlyDocumentedParameters(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	ctx := context.Background()
	prodSeed(t, srv, "Q-1")
	order, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: "dropship"})
	require.NoError(t, err)
	v1 := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	from, to := prodAt(t, "2020-01-01 00:00:00"), prodAt(t, "2030-01-01 00:00:00")
	page := tiki.ListOptions{Page: 1, Limit: 10}
	yes, one := true, 1
	active := tiki.ProductActive

	calls := map[string]func() error{
		"Orders.List": func() error {
			_, _, err := c.Orders.List(ctx, &tiki.OrderListOptions{
				Codes: []string{order.Code}, SKUs: []string{"1"}, Status: tiki.In(tiki.OrderStatusQueueing),
				ItemConfirmationStatus: tiki.ConfirmationWaiting, ItemInventoryType: tiki.In(tiki.InventoryBackorder),
				FulfillmentType: tiki.NotIn(tiki.FulfillmentCrossBorder), IsRMA: &yes, FilterDateBy: tiki.DateFilterLast30Days,
				CreatedFrom: from, CreatedTo: to, UpdatedFrom: from, UpdatedTo: to, OrderBy: tiki.OrderByCreatedAtAsc,
				Include: []tiki.OrderInclude{tiki.IncludeStatusHistories, tiki.IncludeItemFees}, ListOptions: page})
			return err
		},
		"Orders.Get": func() error {
			_, _, err := c.Orders.Get(ctx, order.Code, &tiki.OrderGetOptions{Include: []tiki.OrderInclude{tiki.IncludeItemConfirmationHistories}})
			return err
		},
		"Orders.Label": func() error {
			o, _, err := c.Orders.Get(ctx, order.Code, nil)
			if err != nil {
				return err
			}
			_, _, err = c.Orders.Label(ctx, o, &tiki.LabelOptions{Format: tiki.LabelHTML})
			return err
		},
		"OrdersV1.List": func() error {
			_, _, err := c.V1.Orders.List(ctx, &tiki.OrderListOptionsV1{
				Status: tiki.OrderStatusQueueing, FulfillmentType: tiki.FulfillmentSellerDelivery,
				ItemInventoryType: tiki.InventorySellerBackorder, ItemConfirmationStatus: tiki.ConfirmationWaiting,
				FilterDateBy: tiki.DateFilterLast30Days, CreatedFrom: from, CreatedTo: to, UpdatedFrom: from, UpdatedTo: to,
				Include: []string{"status_histories"}, ListOptions: page})
			return err
		},
		"OrdersV1.PrintLabel": func() error {
			_, _, err := c.V1.Orders.PrintLabel(ctx, v1.OrderCode, &tiki.PrintLabelOptions{Label: tiki.LabelInvoice, Format: tiki.LabelHTML})
			return err
		},
		"Products.List": func() error {
			_, _, err := c.Products.List(ctx, &tiki.ProductsOptions{Name: "Sổ", Active: &active, CategoryID: 218,
				Include: []tiki.ProductInclude{tiki.IncludeInventory}, CreatedFrom: from, CreatedTo: to, UpdatedFrom: from,
				UpdatedTo: to, ListOptions: page})
			return err
		},
		"Products.Hidden": func() error {
			_, _, err := c.Products.ListHidden(ctx, &tiki.HiddenProductsOptions{Name: "x", CreatedFrom: from, CreatedTo: to,
				UpdatedFrom: from, UpdatedTo: to, ListOptions: page})
			return err
		},
		"Products.FindByOriginalSKU": func() error { _, _, err := c.Products.FindByOriginalSKU(ctx, "Q-1"); return err },
		"ProductRequests.List": func() error {
			_, _, err := c.ProductRequests.List(ctx, &tiki.ProductRequestsOptions{State: tiki.RequestApproved, IncludeProducts: true, ListOptions: page})
			return err
		},
		"Tracking.Latest": func() error {
			_, _, err := c.Tracking.Latest(ctx, &tiki.TrackingOptions{Limit: 10, CreatedMin: from, CreatedMax: to, UpdatedMin: from, UpdatedMax: to})
			return err
		},
		"Sellers.Warehouses": func() error {
			_, _, err := c.Sellers.ListWarehouses(ctx, &tiki.SellerWarehouseListOptions{Active: &yes, Type: &one, ListOptions: page})
			return err
		},
		"Warehouses.Seller": func() error {
			_, _, err := c.V1.Warehouses.ListSeller(ctx, &tiki.SellerWarehousesOptions{WarehouseID: 919, WarehouseCode: "hn"})
			return err
		},
		"Catalog.Categories": func() error {
			_, _, err := c.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{Name: "a", Parent: 2, IsPrimary: &yes, IsCrossBorder: &yes})
			return err
		},
		"Catalog.Category": func() error {
			_, _, err := c.Catalog.GetCategory(ctx, 27, &tiki.CategoryOptions{IncludeParents: true})
			return err
		},
		"Catalog.AttributeValues": func() error {
			_, _, err := c.Catalog.ListAttributeValues(ctx, 540, &tiki.AttributeValuesOptions{Query: "p", ListOptions: page})
			return err
		},
		"Catalog.Brands": func() error {
			_, _, err := c.Catalog.ListBrands(ctx, &tiki.BrandsOptions{Name: "apple", ListOptions: page})
			return err
		},
		"Catalog.RequiredDocuments": func() error {
			_, _, err := c.Catalog.GetRequiredDocuments(ctx, tiki.RequiredDocumentsOptions{CategoryID: 1975, BrandListDataID: 1,
				ManufactureListDataID: 2, PublisherListDataID: 3})
			return err
		},
	}
	// Labels are printed once an order is confirmed: the fake refuses them
	// for what the order is, after accepting the query.
	refused := map[string]bool{"Orders.Label": true, "OrdersV1.PrintLabel": true}
	for name, call := range calls {
		err := call()
		var apiErr *tiki.APIError
		if errors.As(err, &apiErr) {
			assert.NotContains(t, strings.Join(apiErr.Messages, "; "), "unknown query parameter", name)
		}
		if refused[name] {
			require.ErrorAs(t, err, &apiErr, name)
			assert.Equal(t, 422, apiErr.StatusCode, name)
			continue
		}
		assert.NoError(t, err, name)
	}
}
