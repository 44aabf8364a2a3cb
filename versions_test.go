package tiki

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// services returns the service fields of a struct (the Client, client.V1,
// client.V2) by name: its exported fields that point to a service.
func services(t *testing.T, v reflect.Value) map[string]reflect.Value {
	t.Helper()
	out := map[string]reflect.Value{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Pointer && strings.HasSuffix(f.Type.Elem().Name(), "Service") {
			out[f.Name] = v.Field(i)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// clientServices returns every service of c, named as a caller reaches it
// ("Products", "V1.Orders").
func clientServices(t *testing.T, c *Client) map[string]reflect.Value {
	t.Helper()
	all := services(t, reflect.ValueOf(c).Elem())
	for prefix, v := range map[string]reflect.Value{"V1.": reflect.ValueOf(c.V1), "V2.": reflect.ValueOf(c.V2)} {
		for name, s := range services(t, v) {
			all[prefix+name] = s
		}
	}
	return all
}

// Older API versions are reached through client.V1 and client.V2 under
// today's names: no exported method of the client or of any of its
// services names a version.
func TestNoMethodNameEndsInAVersion(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	named := func(where string, typ reflect.Type) {
		require.NotZero(t, typ.NumMethod(), where)
		for i := range typ.NumMethod() {
			m := typ.Method(i).Name
			for _, version := range []string{"V1", "V2", "V21"} {
				assert.False(t, strings.HasSuffix(m, version),
					"%s.%s ends in %s: reach an older version through client.V1 or client.V2 under today's name", where, m, version)
			}
		}
	}
	named("Client", reflect.TypeOf(c))
	for name, s := range clientServices(t, c) {
		named("client."+name, s.Type())
	}
}

// Every service, of today's API and of the older versions, is a
// conversion of the client's one shared service.
func TestServicesShareTheClient(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	common := reflect.ValueOf(&c.common).Pointer()
	for name, s := range clientServices(t, c) {
		require.False(t, s.IsNil(), "client.%s is not set", name)
		assert.Equal(t, common, s.Pointer(), "client.%s is not a conversion of the client's service", name)
	}
}

// client.V1 and client.V2 reach exactly the older endpoints that Tiki's
// documents name: the 2019 guideline's v1 catalog categories, product
// creation, tracking, product update, order API and seller warehouses, and
// the v2 product endpoints that v2.1 replaced. Every method of their
// services has a row here, and every row sends its documented request.
func TestOlderVersionsReachTheirDocumentedEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type call = func(c *Client) error
	ignore := func(_ any, _ *Response, err error) error { return err }
	rows := []struct {
		name, method, path string
		call               call
	}{
		{"V1.Catalog.ListCategories", http.MethodGet, "/v1/categories",
			func(c *Client) error { return ignore(c.V1.Catalog.ListCategories(ctx, nil)) }},
		{"V1.Catalog.GetCategory", http.MethodGet, "/v1/categories/218",
			func(c *Client) error { return ignore(c.V1.Catalog.GetCategory(ctx, 218)) }},
		{"V1.ProductRequests.Create", http.MethodPost, "/v1/products",
			func(c *Client) error { return ignore(c.V1.ProductRequests.Create(ctx, validNewProduct(apiV1))) }},
		{"V1.Tracking.Latest", http.MethodGet, "/v1/tracking",
			func(c *Client) error { return ignore(c.V1.Tracking.Latest(ctx, nil)) }},
		{"V1.Tracking.Get", http.MethodGet, "/v1/tracking/c3587ec50976497f837461e0c2ea3da5",
			func(c *Client) error { return ignore(c.V1.Tracking.Get(ctx, "c3587ec50976497f837461e0c2ea3da5")) }},
		{"V1.Products.Update", http.MethodPost, "/v1/products/DANG19951995/updateSku",
			func(c *Client) error {
				return ignore(c.V1.Products.Update(ctx, "DANG19951995", ProductUpdateV1{Price: 100000}))
			}},
		{"V1.Warehouses.ListSeller", http.MethodGet, "/v1/warehouses",
			func(c *Client) error { return ignore(c.V1.Warehouses.ListSeller(ctx, nil)) }},
		{"V1.Orders.List", http.MethodGet, "/v1/orders",
			func(c *Client) error { return ignore(c.V1.Orders.List(ctx, nil)) }},
		{"V1.Orders.All", http.MethodGet, "/v1/orders",
			func(c *Client) error { return first(c.V1.Orders.All(ctx, nil)) }},
		{"V1.Orders.Get", http.MethodGet, "/v1/orders/101539588",
			func(c *Client) error { return ignore(c.V1.Orders.Get(ctx, "101539588")) }},
		{"V1.Orders.ConfirmItems", http.MethodPost, "/v1/orders/confirmItems",
			func(c *Client) error {
				return ignore(c.V1.Orders.ConfirmItems(ctx, ConfirmItemsRequest{
					OrderCode: "419060832", FulfillmentType: FulfillmentSellerDelivery, WarehouseCode: "sg",
					SellerInventoryID: 882, ItemIDs: []int64{94792486}, DeliveryCommitmentTime: vnTime(t, "2019-11-03 23:59:59"),
				}))
			}},
		{"V1.Orders.RejectAllItems", http.MethodPost, "/v1/orders/confirmItems",
			func(c *Client) error {
				return ignore(c.V1.Orders.RejectAllItems(ctx, RejectAllItemsRequest{OrderCode: "419060832", WarehouseCode: "sg", SellerInventoryID: 882}))
			}},
		{"V1.Orders.ConfirmDelivery", http.MethodPost, "/v1/orders/confirmDelivery",
			func(c *Client) error {
				return ignore(c.V1.Orders.ConfirmDelivery(ctx, ConfirmDeliveryRequest{OrderCode: "20939384", Status: ConfirmDeliverySuccessful}))
			}},
		{"V1.Orders.UpdateDeliveryStatus", http.MethodPost, "/v1/orders/updateDeliveryStatus",
			func(c *Client) error {
				return ignore(c.V1.Orders.UpdateDeliveryStatus(ctx, UpdateDeliveryStatusRequest{
					OrderCode: "20939384", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2019-11-23 23:59:59"),
				}))
			}},
		{"V1.Orders.PrintLabel", http.MethodGet, "/v1/orders/833662058/print",
			func(c *Client) error { return ignore(c.V1.Orders.PrintLabel(ctx, "833662058", nil)) }},
		{"V1.Orders.CreateMock", http.MethodPost, "/v1/orders",
			func(c *Client) error {
				return ignore(c.V1.Orders.CreateMock(ctx, MockOrderRequest{
					FulfillmentType: FulfillmentSellerDelivery, PaymentMethod: PaymentCOD,
					Items: []MockOrderItem{{ProductName: "Sổ tay A5", OriginalSKU: "NOTE-A5", Price: 45000, Qty: 1, InventoryType: InventorySellerBackorder}},
				}))
			}},
		{"V2.ProductRequests.Create", http.MethodPost, "/v2/requests",
			func(c *Client) error { return ignore(c.V2.ProductRequests.Create(ctx, validNewProduct(apiV2))) }},
		{"V2.Products.List", http.MethodGet, "/v2/products",
			func(c *Client) error { return ignore(c.V2.Products.List(ctx, nil)) }},
		{"V2.Products.Get", http.MethodGet, "/v2/products/12345",
			func(c *Client) error { return ignore(c.V2.Products.Get(ctx, 12345)) }},
		{"V2.Products.Update", http.MethodPost, "/v2/products/updateSku",
			func(c *Client) error {
				return ignore(c.V2.Products.Update(ctx, ProductUpdateV2{ProductID: 12345, Price: 100000}))
			}},
		{"V2.Products.UpdateBatch", http.MethodPut, "/v2/products/updateSkus",
			func(c *Client) error {
				return ignore(c.V2.Products.UpdateBatch(ctx, []BatchUpdateItemV2{{ProductID: 12345, Price: 100000}}))
			}},
	}

	c, _ := setup(t)
	var methods []string
	for name, s := range clientServices(t, c) {
		if !strings.HasPrefix(name, "V1.") && !strings.HasPrefix(name, "V2.") {
			continue
		}
		for i := range s.Type().NumMethod() {
			methods = append(methods, name+"."+s.Type().Method(i).Name)
		}
	}
	var named []string
	for _, r := range rows {
		named = append(named, r.name)
	}
	slices.Sort(methods)
	slices.Sort(named)
	assert.Equal(t, named, methods, "client.V1 and client.V2 hold exactly the older endpoints Tiki documents")

	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.handle("/", status(200, `{}`))
			err := r.call(c)
			var ve *ValidationError
			require.False(t, errors.As(err, &ve), "refused: %v", err)
			got := s.requests()
			require.NotEmpty(t, got)
			assert.Equal(t, r.method, got[0].Method)
			assert.Equal(t, "/prefix/integration"+r.path, got[0].Path)
		})
	}
}
