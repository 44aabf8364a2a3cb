package tikitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// listedProducts returns the seller's products as the fake lists them,
// by original SKU.
func listedProducts(t *testing.T, c *tiki.Client) map[string]tiki.Product {
	t.Helper()
	page, _, err := c.Products.List(context.Background(), &tiki.ProductsOptions{})
	require.NoError(t, err)
	out := map[string]tiki.Product{}
	for _, p := range page.Data {
		out[p.OriginalSKU] = p
	}
	return out
}

// requireV2ItemIs checks that a v2 order item references product p.
func requireV2ItemIs(t *testing.T, p tiki.Product, it tiki.OrderItem) {
	t.Helper()
	assert.Equal(t, p.ProductID, it.Product.ID, "product id")
	assert.Equal(t, p.SKU, it.Product.SKU, "sku")
	assert.Equal(t, p.OriginalSKU, it.Product.SellerProductCode, "seller_product_code")
	assert.Equal(t, p.Name, it.Product.Name, "name")
	assert.Equal(t, p.Price, it.Invoice.Price, "price")
}

// requireV1ItemIs checks that a v1 order item references product p.
func requireV1ItemIs(t *testing.T, p tiki.Product, it tiki.OrderItemV1) {
	t.Helper()
	assert.Equal(t, p.ProductID, it.ProductID, "product_id")
	assert.Equal(t, p.SKU, it.SKU, "sku")
	assert.Equal(t, p.OriginalSKU, it.OriginalSKU, "original_sku")
	assert.Equal(t, p.Name, it.ProductName, "product_name")
	assert.Equal(t, p.Price, it.Price, "price")
}

// Orders the fake places (v2, by helper and by the mock order endpoint)
// are made of the products it holds for the seller.
func TestOrderItemsReferenceSellerProductsV2(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	ctx := context.Background()
	prodSeed(t, srv, "BOOK-A", "BOOK-B")
	products := listedProducts(t, c)
	require.Len(t, products, 2)

	// Items without a code take the products in turn.
	snap, err := srv.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{}, {}, {Quantity: 3}}})
	require.NoError(t, err)
	o, _, err := c.Orders.Get(ctx, snap.Code, nil)
	require.NoError(t, err)
	require.Len(t, o.Items, 3)
	requireV2ItemIs(t, products["BOOK-A"], o.Items[0])
	requireV2ItemIs(t, products["BOOK-B"], o.Items[1])
	requireV2ItemIs(t, products["BOOK-A"], o.Items[2])
	assert.Equal(t, 3, o.Items[2].Invoice.Quantity)

	// An item naming a product by its code takes its ids, name and price;
	// a price given wins.
	mock := v2Mock(t, srv, `{"items":[{"seller_product_code":"BOOK-B"},{"seller_product_code":"BOOK-A","price":99000}]}`)
	o, _, err = c.Orders.Get(ctx, mock.Code, nil)
	require.NoError(t, err)
	require.Len(t, o.Items, 2)
	requireV2ItemIs(t, products["BOOK-B"], o.Items[0])
	assert.Equal(t, products["BOOK-A"].ProductID, o.Items[1].Product.ID)
	assert.Equal(t, products["BOOK-A"].SKU, o.Items[1].Product.SKU)
	assert.Equal(t, int64(99000), int64(o.Items[1].Invoice.Price))

	// A code the seller has no product for keeps it, with ids of no product.
	other := v2Mock(t, srv, `{"items":[{"seller_product_code":"NOT-LISTED","name":"Khác","price":1000}]}`)
	require.Len(t, other.Items, 1)
	assert.Equal(t, "NOT-LISTED", other.Items[0].Product.SellerProductCode)
	for _, p := range products {
		assert.NotEqual(t, p.SKU, other.Items[0].Product.SKU)
	}
}

// The same holds for v1 orders.
func TestOrderItemsReferenceSellerProductsV1(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	ctx := context.Background()
	prodSeed(t, srv, "PEN-1", "PEN-2")
	products := listedProducts(t, c)

	placed := createOrderV1(t, srv, tikitest.OrderSpecV1{Items: []tiki.MockOrderItem{{}, {}, {OriginalSKU: "PEN-1", Qty: 2}}})
	o, _, err := c.V1.Orders.Get(ctx, placed.OrderCode)
	require.NoError(t, err)
	require.Len(t, o.Items, 3)
	requireV1ItemIs(t, products["PEN-1"], o.Items[0])
	requireV1ItemIs(t, products["PEN-2"], o.Items[1])
	requireV1ItemIs(t, products["PEN-1"], o.Items[2])
	assert.Equal(t, 2, o.Items[2].Qty)

	// The mock order endpoint: the product's ids for the product's code.
	code, body := v2Do(t, srv, "POST", "/v1/orders", `{"fulfillment_type":"seller_delivery","payment_method":"cod",`+
		`"items":[{"product_name":"Bút","original_sku":"PEN-2","price":5000,"qty":1,"inventory_type":"seller_backorder"}]}`)
	require.Equal(t, 200, code, body)
	var mock tiki.OrderV1
	require.NoError(t, json.Unmarshal([]byte(body), &mock), body)
	require.Len(t, mock.Items, 1)
	assert.Equal(t, products["PEN-2"].ProductID, mock.Items[0].ProductID)
	assert.Equal(t, products["PEN-2"].SKU, mock.Items[0].SKU)
}

// Without products, orders keep the fake's placeholder items.
func TestOrderItemsWithoutProducts(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	snap, err := srv.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{}, {}}})
	require.NoError(t, err)
	o, _, err := c.Orders.Get(context.Background(), snap.Code, nil)
	require.NoError(t, err)
	for i, it := range o.Items {
		assert.Equal(t, fmt.Sprintf("SKU-%d", i+1), string(it.Product.SellerProductCode))
		assert.Equal(t, int64(100000), int64(it.Invoice.Price))
	}
	v1 := createOrderV1(t, srv, tikitest.OrderSpecV1{})
	require.Len(t, v1.Items, 1)
	assert.Equal(t, "SKU-1", v1.Items[0].OriginalSKU)
}
