package tikitest_test

//lint:file-ignore SA1019 the fake answers Tiki's deprecated v1 and v2 endpoints too; they are tested through the SDK's deprecated methods.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
	"github.com/tikisdk/tiki/webhook"
)

// prodClock is a settable clock for the fake.
type prodClock struct {
	mu  sync.Mutex
	now time.Time
}

func prodNewClock(t *testing.T, at string) *prodClock {
	t.Helper()
	return &prodClock{now: prodAt(t, at).Time}
}

func (c *prodClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *prodClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func prodAt(t *testing.T, s string) tiki.Time {
	t.Helper()
	at, err := tiki.ParseTime(s)
	require.NoError(t, err)
	return at
}

// prodSetup starts a fake and a client without retries.
func prodSetup(t *testing.T, opts ...tikitest.Option) (*tikitest.Server, *tiki.Client) {
	t.Helper()
	srv := tikitest.NewServer(t, opts...)
	c, err := srv.Client(tiki.WithRetry(1, 0, 0))
	require.NoError(t, err)
	return srv, c
}

// prodNewProduct is a valid product in primary category 218 (Medical
// Books), stocked in warehouses 919 (hn, 5) and 903 (sgn, 7), switched on
// at approval: simple for one SKU, configurable by color for more.
func prodNewProduct(skus ...string) tiki.NewProduct {
	colors := []string{"Red", "Blue", "Green", "Black", "White"}
	p := tiki.NewProduct{
		CategoryID:  218,
		Name:        "Sổ tay y khoa",
		Description: "<p>Sổ tay cho sinh viên y</p>",
		MarketPrice: 200000,
		Attributes:  map[string]any{"brand": "Tiki", "bulky": 0},
		Image:       "https://img.example/main.jpg",
		Images:      []string{"https://img.example/1.jpg", "https://img.example/main.jpg"},
		MetaData:    &tiki.ProductMetaData{IsAutoTurnOn: true},
	}
	if len(skus) > 1 {
		p.OptionAttributes = []string{"color"}
	}
	for i, sku := range skus {
		v := tiki.Variant{SKU: sku, Price: 150000, InventoryType: tiki.InventoryDropShip, SellerWarehouse: "919,903",
			WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 5}, {WarehouseID: 903, QtyAvailable: 7}}}
		if len(skus) > 1 {
			v.Option1 = colors[i%len(colors)] + strings.Repeat("+", i/len(colors))
		}
		p.Variants = append(p.Variants, v)
	}
	return p
}

// prodSeed lists products at once, one simple product per SKU.
func prodSeed(t *testing.T, srv *tikitest.Server, skus ...string) []tiki.Product {
	t.Helper()
	var out []tiki.Product
	for _, sku := range skus {
		ps, err := srv.SeedProduct(prodNewProduct(sku))
		require.NoError(t, err)
		out = append(out, ps...)
	}
	return out
}

// prodRaw sends a request the SDK would refuse to send.
func prodRaw(t *testing.T, srv *tikitest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("tiki-api", srv.SellerKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// prodRawErrors checks that a raw request is answered with Tiki's error
// shape, these messages exactly.
func prodRawErrors(t *testing.T, srv *tikitest.Server, method, path, body string, status int, messages ...string) {
	t.Helper()
	code, got := prodRaw(t, srv, method, path, body)
	assert.Equal(t, status, code, got)
	want, err := json.Marshal(map[string][]string{"errors": messages})
	require.NoError(t, err)
	assert.JSONEq(t, string(want), got, path)
}

func prodRequireAPIError(t *testing.T, err error, status int, messages ...string) {
	t.Helper()
	var apiErr *tiki.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, messages, apiErr.Messages)
}

// prodFixture reads a documented example and adapts it to the fake's
// catalog and seller: a primary category it knows, and the seller's
// warehouses 919 and 903 for the documentation's 1054 and 1233.
func prodFixture(t *testing.T, name string, category int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	s := strings.NewReplacer("1054", "919", "1233", "903").Replace(string(b))
	if category != 0 {
		for _, old := range []string{`"category_id": 21458`, `"category_id": 1846`} {
			s = strings.Replace(s, old, fmt.Sprintf(`"category_id": %d`, category), 1)
		}
	}
	return s
}

func prodTrack(t *testing.T, c *tiki.Client, trackID string) *tiki.TrackedRequest {
	t.Helper()
	rec, _, err := c.Tracking.Get(context.Background(), trackID)
	require.NoError(t, err)
	return rec
}

func TestProductsLifecycleByClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := prodNewClock(t, "2024-03-01 09:00:00")
	srv, c := prodSetup(t, tikitest.WithClock(clock.Now))
	srv.SetApprovalDelay(time.Minute)

	created, _, err := c.ProductRequests.Create(ctx, prodNewProduct("LC-RED", "LC-BLUE"))
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestQueuing, created.State)
	assert.Len(t, created.TrackID, 32)

	clock.Advance(59 * time.Second)
	assert.Equal(t, tiki.RequestQueuing, prodTrack(t, c, created.TrackID).State)
	clock.Advance(time.Second)
	rec := prodTrack(t, c, created.TrackID)
	assert.Equal(t, tiki.RequestProcessing, rec.State)
	assert.Empty(t, rec.RequestID)
	rowsPage, _, err := c.ProductRequests.FindByTrackID(ctx, created.TrackID)
	require.NoError(t, err)
	rows := rowsPage.Data
	assert.Empty(t, rows, "Tiki has not created the request yet")

	clock.Advance(time.Minute)
	rec = prodTrack(t, c, created.TrackID)
	assert.Equal(t, tiki.RequestAwaitingApprove, rec.State)
	require.NotEmpty(t, rec.RequestID)
	rowsPage, _, err = c.ProductRequests.FindByTrackID(ctx, created.TrackID)
	require.NoError(t, err)
	rows = rowsPage.Data
	require.Len(t, rows, 2)
	assert.Equal(t, "LC-RED", rows[0].OriginalSKU)
	assert.Equal(t, tiki.RequestAwaitingApprove, rows[0].State)
	assert.Zero(t, rows[0].ProductID)
	_, ok := srv.Product("LC-RED")
	assert.False(t, ok, "no product before approval")

	clock.Advance(time.Minute)
	rec = prodTrack(t, c, created.TrackID)
	assert.Equal(t, &tiki.TrackedRequest{TrackID: created.TrackID, RequestID: rec.RequestID, State: tiki.RequestApproved}, rec)

	approvedAt := prodAt(t, "2024-03-01 09:03:00")
	rowsPage, _, err = c.ProductRequests.FindByTrackID(ctx, created.TrackID)
	require.NoError(t, err)
	rows = rowsPage.Data
	require.Len(t, rows, 2)
	for i, sku := range []string{"LC-RED", "LC-BLUE"} {
		assert.Equal(t, sku, rows[i].OriginalSKU)
		assert.Positive(t, rows[i].ProductID)
		assert.Len(t, rows[i].SKU, 13)
		assert.Equal(t, rec.RequestID, rows[i].RequestID)
		assert.Equal(t, tiki.RequestApproved, rows[i].State)
		assert.Equal(t, tiki.RequestKindCreateProduct, rows[i].Kind)
		assert.True(t, approvedAt.Equal(rows[i].ApprovedAt.Time))
		assert.NotEmpty(t, rows[i].ApprovedBy)
	}

	req, _, err := c.ProductRequests.Get(ctx, rec.RequestID)
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestApproved, req.State)
	assert.True(t, prodAt(t, "2024-03-01 09:00:00").Equal(req.CreatedAt.Time))
	assert.True(t, approvedAt.Equal(req.ApprovedAt.Time))
	require.Len(t, req.Products, 2)
	assert.Equal(t, "LC-RED", req.Products[0].OriginalSKU)
	assert.Equal(t, map[string]any{"attribute_code": "color", "value": "Red", "input_type": nil}, req.Products[0].Attributes["color"])

	page, _, err := c.Products.List(ctx, &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}})
	require.NoError(t, err)
	require.Len(t, page.Data, 2)
	assert.Equal(t, tiki.Paging{Total: 2, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 2}, page.Paging)
	blue, red := page.Data[0], page.Data[1] // latest first
	assert.Equal(t, "LC-BLUE", blue.OriginalSKU)
	assert.Equal(t, "Sổ tay y khoa - Red", red.Name)
	assert.Equal(t, tiki.Money(150000), red.Price)
	assert.Equal(t, tiki.Money(200000), red.MarketPrice)
	assert.Equal(t, 1, red.Version)
	assert.Positive(t, red.SuperID)
	assert.Equal(t, red.SuperID, blue.SuperID)
	assert.Equal(t, red.ProductID-1, red.MasterID)
	assert.Equal(t, "seller_simple", red.EntityType)
	assert.Equal(t, "https://img.example/main.jpg", red.Thumbnail)
	assert.Equal(t, []string{"https://img.example/main.jpg", "https://img.example/1.jpg"}, []string{red.Images[0].URL, red.Images[1].URL})
	assert.Equal(t, []tiki.ProductCategory{{ID: 218, Name: "Medical Books", URLKey: "medical-books", IsPrimary: true}}, red.Categories)
	assert.True(t, approvedAt.Equal(red.CreatedAt.Time))
	assert.Equal(t, &tiki.ProductInventory{InventoryType: tiki.InventoryDropShip, FulfillmentType: "tiki_delivery",
		WarehouseStocks: []tiki.InventoryStock{
			{WarehouseID: 919, Quantity: 5, QuantityAvailable: 5, QuantitySellable: 5},
			{WarehouseID: 903, Quantity: 7, QuantityAvailable: 7, QuantitySellable: 7},
		}}, red.Inventory)

	got, _, err := c.Products.Get(ctx, red.ProductID)
	require.NoError(t, err)
	assert.Equal(t, red.SKU, got.SKU)
	assert.Equal(t, tiki.ProductActive, *got.Active)
	assert.Equal(t, "Sushi shop", got.Seller.Name)
	assert.Equal(t, "Red", got.Attributes["color"])
	assert.Equal(t, "Tiki", got.Attributes["brand"])
	assert.Equal(t, red.Inventory, got.Inventory)
	fromGoAPI, ok := srv.Product("LC-RED")
	require.True(t, ok)
	assert.Equal(t, *got, fromGoAPI)

	v2, _, err := c.V2.Products.Get(ctx, red.ProductID)
	require.NoError(t, err)
	assert.Equal(t, &tiki.ProductInventory{InventoryType: tiki.InventoryDropShip, FulfillmentType: "tiki_delivery",
		Quantity: 12, QuantityAvailable: 12, QuantitySellable: 12}, v2.Inventory)

	found, _, err := c.Products.FindByOriginalSKU(ctx, "LC-BLUE")
	require.NoError(t, err)
	require.Len(t, found.Data, 1)
	assert.Equal(t, blue.ProductID, found.Data[0].ProductID)
	found, _, err = c.Products.FindByOriginalSKU(ctx, "NOPE")
	require.NoError(t, err)
	assert.Empty(t, found.Data)
	_, _, err = c.Products.Get(ctx, 1)
	prodRequireAPIError(t, err, 404, "Product not found id: 1")
}

func TestProductsExplicitSteps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0) // only the test moves requests

	first, _, err := c.ProductRequests.Create(ctx, prodNewProduct("EX-1"))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.AdvanceRequests())
	assert.Equal(t, tiki.RequestProcessing, prodTrack(t, c, first.TrackID).State)
	second, _, err := c.V2.ProductRequests.Create(ctx, func() tiki.NewProduct {
		p := prodNewProduct("EX-2")
		p.Variants[0].WarehouseStocks, p.Variants[0].Quantity = nil, tiki.Ptr(4)
		return p
	}())
	require.NoError(t, err)
	assert.Equal(t, 2, srv.AdvanceRequests())
	assert.Equal(t, tiki.RequestAwaitingApprove, prodTrack(t, c, first.TrackID).State)
	assert.Equal(t, tiki.RequestProcessing, prodTrack(t, c, second.TrackID).State)

	require.NoError(t, srv.ApproveRequest(second.TrackID))
	assert.Equal(t, tiki.RequestApproved, prodTrack(t, c, second.TrackID).State)
	p, ok := srv.Product("EX-2")
	require.True(t, ok)
	assert.Equal(t, 4, p.Inventory.WarehouseStocks[0].Quantity, "v2 quantity goes to the first warehouse")
	assert.ErrorContains(t, srv.ApproveRequest(second.TrackID), "is approved")
	assert.ErrorContains(t, srv.ApproveRequest("nope"), "no product request")

	require.NoError(t, srv.RejectRequest(first.TrackID, "Image does not match product name"))
	rec := prodTrack(t, c, first.TrackID)
	assert.Equal(t, tiki.RequestRejected, rec.State)
	assert.Equal(t, "Image does not match product name", rec.Reason)
	assert.Nil(t, rec.Rejection)
	assert.NotEmpty(t, rec.RequestID, "rejected in review: Tiki had created the request")
	assert.ErrorContains(t, srv.RejectRequest(first.TrackID, "again"), "is rejected")
	assert.Equal(t, 0, srv.AdvanceRequests())
	_, ok = srv.Product("EX-1")
	assert.False(t, ok)
}

func TestProductsCreateValidation(t *testing.T) {
	t.Parallel()
	srv, c := prodSetup(t)
	docErrors := []string{
		"variants don't match with option_attributes => variants option2 missing",
		"variants should have price > 0",
	}
	// The documented invalid payloads get the documented answer.
	prodRawErrors(t, srv, "POST", "/v2.1/requests", prodFixture(t, "product_request_create_v21_request_invalid.json", 218), 422, docErrors...)
	prodRawErrors(t, srv, "POST", "/v2/requests", prodFixture(t, "product_request_create_v2_request_invalid.json", 218), 422, docErrors...)
	prodRawErrors(t, srv, "POST", "/v1/products", prodFixture(t, "product_create_v1_request_invalid.json", 218), 422, docErrors...)
	// An unknown category, as documented: 404.
	prodRawErrors(t, srv, "POST", "/v2.1/requests", prodFixture(t, "product_request_create_v21_request_simple.json", 0), 404,
		"Attributes not found for category_id 21458")

	// The documented valid payloads are accepted.
	for _, tc := range []struct{ path, fixture, key string }{
		{"/v2.1/requests", "product_request_create_v21_request_simple.json", "track_id"},
		{"/v2.1/requests", "product_request_create_v21_request_configurable.json", "track_id"},
		{"/v2/requests", "product_request_create_v2_request_configurable.json", "track_id"},
		{"/v1/products", "product_create_v1_request_configurable.json", "trace_id"},
	} {
		code, body := prodRaw(t, srv, "POST", tc.path, prodFixture(t, tc.fixture, 218))
		require.Equal(t, 200, code, "%s: %s", tc.fixture, body)
		var got map[string]string
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		assert.Equal(t, "queuing", got["state"])
		assert.Len(t, got[tc.key], 32)
	}

	valid := func(edit func(m map[string]any)) string {
		b, err := json.Marshal(prodNewProduct("V-1", "V-2"))
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		edit(m)
		b, err = json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	variant := func(m map[string]any, i int) map[string]any { return m["variants"].([]any)[i].(map[string]any) }
	for name, tc := range map[string]struct {
		path   string
		edit   func(m map[string]any)
		status int
		want   []string
	}{
		"required fields": {"/v2.1/requests", func(m map[string]any) {
			delete(m, "name")
			m["description"] = " "
			m["image"] = ""
			m["images"] = nil
		}, 422, []string{"name is required", "description is required", "image is required",
			"images is required: send [] when the product has no other image"}},
		"not a primary category": {"/v2.1/requests", func(m map[string]any) { m["category_id"] = 623 }, 422,
			[]string{"category_id 623 is not a primary category: products belong to primary categories"}},
		"unknown category with other problems": {"/v2.1/requests", func(m map[string]any) { m["category_id"] = 99; delete(m, "name") }, 422,
			[]string{"name is required", "category_id 99 is not a category"}},
		"three option attributes": {"/v2.1/requests", func(m map[string]any) {
			m["option_attributes"] = []string{"color", "size", "material"}
			for i := range 2 {
				variant(m, i)["option2"] = "L"
			}
		}, 422, []string{"option_attributes supports up to 2 attributes"}},
		"option attributes missing": {"/v2.1/requests", func(m map[string]any) { delete(m, "option_attributes") }, 422,
			[]string{"option_attributes is required: send [] for a simple product",
				"a product without option_attributes is simple and must have exactly one variant",
				"variants don't match with option_attributes => variants option1 is not an option attribute"}},
		"simple with two variants": {"/v2.1/requests", func(m map[string]any) {
			m["option_attributes"] = []string{}
			delete(variant(m, 0), "option1")
			delete(variant(m, 1), "option1")
		}, 422, []string{"a product without option_attributes is simple and must have exactly one variant"}},
		"variant options": {"/v2.1/requests", func(m map[string]any) {
			variant(m, 0)["option2"] = "XL"
			variant(m, 1)["option1"] = variant(m, 0)["option1"]
		}, 422, []string{"variants don't match with option_attributes => variants option2 is not an option attribute"}},
		"same options": {"/v2.1/requests", func(m map[string]any) { variant(m, 1)["option1"] = "Red" }, 422,
			[]string{"variants options Red are duplicated"}},
		"price and sku": {"/v2.1/requests", func(m map[string]any) {
			variant(m, 0)["price"] = 0
			variant(m, 1)["sku"] = "V-1"
		}, 422, []string{"variants should have price > 0", "variants sku V-1 is duplicated"}},
		"unknown warehouses": {"/v2.1/requests", func(m map[string]any) {
			variant(m, 0)["seller_warehouse"] = "919,1054"
			variant(m, 1)["warehouse_stocks"] = []any{map[string]any{"warehouseId": 1233, "qtyAvailable": -1}}
		}, 422, []string{"variants seller_warehouse: warehouse 1054 is not a warehouse of the seller",
			"variants warehouse_stocks: warehouse 1233 is not a warehouse of the seller",
			"variants warehouse_stocks qtyAvailable must not be negative"}},
		"v2 needs quantity": {"/v2/requests", func(m map[string]any) {}, 422, []string{"variants should have quantity"}},
		"v1 needs supplier": {"/v1/products", func(m map[string]any) {
			variant(m, 0)["quantity"], variant(m, 1)["quantity"] = 1, 1
		}, 422, []string{"variants should have supplier"}},
		"wrong type": {"/v2.1/requests", func(m map[string]any) { variant(m, 0)["price"] = "cheap" }, 422,
			[]string{"variants.price has an invalid value (string)"}},
		"certificate": {"/v2.1/requests", func(m map[string]any) {
			m["certificate_files"] = []any{map[string]any{"url": "https://doc.example/1.pdf", "type": "category"}}
		}, 422, []string{"certificate_files document_id is required for a category document"}},
	} {
		t.Run(name, func(t *testing.T) {
			prodRawErrors(t, srv, "POST", tc.path, valid(tc.edit), tc.status, tc.want...)
		})
	}
	prodRawErrors(t, srv, "POST", "/v2.1/requests", `{"name": `, 400, "Invalid JSON payload")
	prodRawErrors(t, srv, "POST", "/v2.1/requests", `[1]`, 400, "Invalid JSON payload: the body must be a product object")

	// Only the four valid requests exist.
	latest, _, err := c.Tracking.Latest(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, latest, 4)
}

func TestProductsDuplicateSKU(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	existing := prodSeed(t, srv, "DUP-1")[0]
	_, err := srv.SeedProduct(prodNewProduct("DUP-1"))
	assert.ErrorContains(t, err, "seller SKU DUP-1 is not unique")

	// A variant SKU that is already a product's.
	dup, _, err := c.ProductRequests.Create(ctx, prodNewProduct("DUP-0", "DUP-1"))
	require.NoError(t, err)
	assert.ErrorContains(t, srv.ApproveRequest(dup.TrackID), "was rejected")
	rec := prodTrack(t, c, dup.TrackID)
	assert.Equal(t, tiki.RequestRejected, rec.State)
	assert.Empty(t, rec.RequestID, "rejected before Tiki created the request")
	assert.JSONEq(t, `{"errors":[{"code":420,"data":null,"description":"Product code DUP-1 is not unique",`+
		`"msg":"Mã seller product không duy nhất","msg_eng":"Seller product code is not unique"}],`+
		`"message":"Mã seller product không duy nhất","trace_id":null}`, rec.Reason)
	require.NotNil(t, rec.Rejection)
	assert.Equal(t, []int{420}, rec.Rejection.Codes())
	assert.Equal(t, "Product code DUP-1 is not unique", rec.Rejection.Errors[0].Description)
	assert.Equal(t, "Seller product code is not unique", rec.ReasonText())
	assert.Equal(t, "Mã seller product không duy nhất", rec.Rejection.Vietnamese())
	_, ok := srv.Product("DUP-0")
	assert.False(t, ok, "a rejected request creates nothing")

	// The same SKU in two requests: the one ahead in the queue wins.
	a, _, err := c.ProductRequests.Create(ctx, prodNewProduct("TWIN-1"))
	require.NoError(t, err)
	b, _, err := c.ProductRequests.Create(ctx, prodNewProduct("TWIN-1"))
	require.NoError(t, err)
	for srv.AdvanceRequests() > 0 {
	}
	assert.Equal(t, tiki.RequestApproved, prodTrack(t, c, a.TrackID).State)
	rec = prodTrack(t, c, b.TrackID)
	assert.Equal(t, tiki.RequestRejected, rec.State)
	assert.Equal(t, "Product code TWIN-1 is not unique", rec.Rejection.Errors[0].Description)

	// Replayed while the SKU is taken: rejected again.
	replayed, _, err := c.Tracking.Replay(ctx, b.TrackID)
	require.NoError(t, err)
	assert.Equal(t, &tiki.TrackedRequest{TrackID: b.TrackID, State: tiki.RequestQueuing}, replayed)
	assert.Equal(t, tiki.RequestQueuing, prodTrack(t, c, b.TrackID).State)
	assert.Error(t, srv.ApproveRequest(b.TrackID))

	// Once the product's SKU changes, the replayed request goes through.
	twin, ok := srv.Product("TWIN-1")
	require.True(t, ok)
	_, _, err = c.Products.UpdateOriginalSKU(ctx, twin.ProductID, existing.OriginalSKU)
	prodRequireAPIError(t, err, 422, "original_sku DUP-1 is already used by another product or product request")
	res, _, err := c.Products.UpdateOriginalSKU(ctx, twin.ProductID, "TWIN-1-OLD")
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestApproved, res.State)
	_, _, err = c.Products.UpdateOriginalSKU(ctx, 1, "X")
	prodRequireAPIError(t, err, 404, "product_id not found: 1")
	_, _, err = c.Tracking.Replay(ctx, b.TrackID)
	require.NoError(t, err)
	require.NoError(t, srv.ApproveRequest(b.TrackID))
	renamed, ok := srv.Product("TWIN-1-OLD")
	require.True(t, ok)
	assert.Equal(t, twin.ProductID, renamed.ProductID)
	assert.Equal(t, 2, renamed.Version)
	fresh, ok := srv.Product("TWIN-1")
	require.True(t, ok)
	assert.NotEqual(t, twin.ProductID, fresh.ProductID)
}

func TestProductsWaitDrivenByClock(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clock := prodNewClock(t, "2024-03-01 09:00:00")
	srv, c := prodSetup(t, tikitest.WithClock(clock.Now))
	srv.SetApprovalDelay(10 * time.Minute)
	created, _, err := c.ProductRequests.Create(ctx, prodNewProduct("WAIT-1"))
	require.NoError(t, err)

	var seen []tiki.RequestState
	rec, _, err := c.Tracking.Wait(ctx, created.TrackID, &tiki.WaitOptions{
		Interval: time.Millisecond, MaxInterval: 2 * time.Millisecond,
		OnPoll: func(r *tiki.TrackedRequest) {
			seen = append(seen, r.State)
			clock.Advance(10 * time.Minute) // time passes between polls
		},
	})
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestApproved, rec.State)
	assert.Equal(t, []tiki.RequestState{tiki.RequestQueuing, tiki.RequestProcessing, tiki.RequestAwaitingApprove, tiki.RequestApproved}, seen)
	p, ok := srv.Product("WAIT-1")
	require.True(t, ok)
	assert.True(t, prodAt(t, "2024-03-01 09:30:00").Equal(p.CreatedAt.Time))
}

func TestProductsWaitApprovedByTest(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	for _, approve := range []bool{true, false} {
		created, _, err := c.ProductRequests.Create(ctx, prodNewProduct(fmt.Sprintf("WAIT-%v", approve)))
		require.NoError(t, err)
		polled := make(chan struct{}, 100)
		done := make(chan error, 1)
		go func() {
			<-polled
			if approve {
				done <- srv.ApproveRequest(created.TrackID)
			} else {
				done <- srv.RejectRequest(created.TrackID, "Image does not match product name")
			}
		}()
		rec, _, err := c.Tracking.Wait(ctx, created.TrackID, &tiki.WaitOptions{
			Interval: 5 * time.Millisecond, MaxInterval: 10 * time.Millisecond,
			OnPoll: func(*tiki.TrackedRequest) { polled <- struct{}{} },
		})
		require.NoError(t, err)
		require.NoError(t, <-done)
		if approve {
			assert.Equal(t, tiki.RequestApproved, rec.State)
		} else {
			assert.Equal(t, tiki.RequestRejected, rec.State)
			assert.Equal(t, "Image does not match product name", rec.ReasonText())
		}
	}
}

func TestProductsReplayAndDeleteRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	create := func(sku string, steps int) *tiki.TrackedRequest {
		t.Helper()
		r, _, err := c.ProductRequests.Create(ctx, prodNewProduct(sku))
		require.NoError(t, err)
		for range steps {
			srv.AdvanceRequests()
		}
		return prodTrack(t, c, r.TrackID)
	}

	approved := create("DEL-1", 3)
	require.Equal(t, tiki.RequestApproved, approved.State)
	_, _, err := c.ProductRequests.Delete(ctx, approved.RequestID)
	prodRequireAPIError(t, err, 422, "Request "+approved.RequestID+" is approved and cannot be deleted")
	_, _, err = c.Tracking.Replay(ctx, approved.TrackID)
	prodRequireAPIError(t, err, 422, "Request "+approved.TrackID+" is approved: only a rejected request can be replayed")

	waiting := create("DEL-2", 2)
	require.Equal(t, tiki.RequestAwaitingApprove, waiting.State)
	deleted, _, err := c.ProductRequests.Delete(ctx, waiting.RequestID)
	require.NoError(t, err)
	assert.Equal(t, waiting.RequestID, deleted.RequestID)
	assert.Equal(t, tiki.RequestDeleted, deleted.State)
	assert.Equal(t, tiki.RequestDeleted, prodTrack(t, c, waiting.TrackID).State)
	assert.Equal(t, 0, srv.AdvanceRequests(), "a deleted request does not move")
	_, ok := srv.Product("DEL-2")
	assert.False(t, ok)
	_, _, err = c.ProductRequests.Get(ctx, waiting.RequestID)
	prodRequireAPIError(t, err, 404, "Request not found: "+waiting.RequestID)
	_, _, err = c.ProductRequests.Delete(ctx, waiting.RequestID)
	prodRequireAPIError(t, err, 404, "Request not found: "+waiting.RequestID)
	_, _, err = c.Tracking.Replay(ctx, waiting.TrackID)
	prodRequireAPIError(t, err, 422, "Request "+waiting.TrackID+" is deleted: only a rejected request can be replayed")
	rowsPage, _, err := c.ProductRequests.FindByTrackID(ctx, waiting.TrackID)
	require.NoError(t, err)
	rows := rowsPage.Data
	assert.Empty(t, rows)

	rejected := create("DEL-3", 2)
	require.NoError(t, srv.RejectRequest(rejected.TrackID, "Wrong category"))
	deleted, _, err = c.ProductRequests.Delete(ctx, rejected.RequestID)
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestDeleted, deleted.State)

	// A rejected request starts again from the queue.
	again := create("DEL-4", 1)
	require.NoError(t, srv.RejectRequest(again.TrackID, "Image does not match product name"))
	replayed, _, err := c.Tracking.Replay(ctx, again.TrackID)
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestQueuing, replayed.State)
	rec := prodTrack(t, c, again.TrackID)
	assert.Equal(t, tiki.RequestQueuing, rec.State)
	assert.Empty(t, rec.Reason)
	require.NoError(t, srv.ApproveRequest(again.TrackID))

	_, _, err = c.Tracking.Replay(ctx, "nope")
	prodRequireAPIError(t, err, 404, "track_id is invalid: nope")
	_, _, err = c.Tracking.Get(ctx, "nope")
	prodRequireAPIError(t, err, 404, "track_id is invalid: nope")
	_, _, err = c.ProductRequests.Delete(ctx, "123")
	prodRequireAPIError(t, err, 404, "Request not found: 123")
}

func TestProductsUpdateInfo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	p := prodSeed(t, srv, "INFO-1")[0]

	tr, _, err := c.ProductRequests.UpdateInfo(ctx, tiki.ProductInfoUpdate{
		ProductID:  p.ProductID,
		Attributes: map[string]any{"name": "Sổ tay mới", "brand": "Hồng Hà"},
		Image:      "https://img.example/new.jpg",
		Images:     []string{"https://img.example/2.jpg"},
	})
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestQueuing, tr.State)
	unchanged, _ := srv.Product("INFO-1")
	assert.Equal(t, p.Name, unchanged.Name, "nothing changes before approval")

	require.NoError(t, srv.ApproveRequest(tr.TrackID))
	got, _, err := c.Products.Get(ctx, p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, "Sổ tay mới", got.Name)
	assert.Equal(t, "Hồng Hà", got.Attributes["brand"])
	assert.Equal(t, "https://img.example/new.jpg", got.Thumbnail)
	require.Len(t, got.Images, 2)
	assert.Equal(t, "https://img.example/2.jpg", got.Images[1].URL)
	assert.Equal(t, 2, got.Version)

	rec := prodTrack(t, c, tr.TrackID)
	req, _, err := c.ProductRequests.Get(ctx, rec.RequestID)
	require.NoError(t, err)
	assert.Equal(t, tiki.RequestKind("update_product_info"), req.Kind)
	require.Len(t, req.Products, 1)
	assert.Equal(t, p.ProductID, req.Products[0].ProductID)
	rowsPage, _, err := c.ProductRequests.FindByTrackID(ctx, tr.TrackID)
	require.NoError(t, err)
	rows := rowsPage.Data
	require.Len(t, rows, 1)
	assert.Equal(t, "Sổ tay mới", rows[0].Name)

	_, _, err = c.ProductRequests.UpdateInfo(ctx, tiki.ProductInfoUpdate{ProductID: 999, Image: "https://img.example/x.jpg"})
	prodRequireAPIError(t, err, 404, "product_id not found: 999")
	prodRawErrors(t, srv, "POST", "/v2/requests/updateProductInfo", `{"product_id": 1}`, 400, "attributes, image or images is required")
}

func TestProductsUpdateSku(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	p := prodSeed(t, srv, "UPD-1")[0]
	stock := func(sku string) map[int64]int {
		got, ok := srv.Product(sku)
		require.True(t, ok)
		out := map[int64]int{}
		for _, ws := range got.Inventory.WarehouseStocks {
			out[ws.WarehouseID] = ws.Quantity
		}
		return out
	}

	res, _, err := c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "UPD-1", Price: 180000, Active: tiki.Ptr(tiki.ProductInactive),
		WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: 20}}})
	require.NoError(t, err)
	assert.Equal(t, &tiki.ProductUpdateResult{State: tiki.RequestApproved}, res)
	got, _ := srv.Product("UPD-1")
	assert.Equal(t, tiki.Money(180000), got.Price)
	assert.Equal(t, tiki.ProductInactive, *got.Active)
	assert.Equal(t, 2, got.Version)
	assert.Equal(t, map[int64]int{919: 20, 903: 0}, stock("UPD-1"), "a warehouse left out gets 0")

	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{ProductID: p.ProductID, SellerWarehouse: "919, 905",
		WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: 4}, {WarehouseID: 905, QtyAvailable: 3}}})
	require.NoError(t, err)
	assert.Equal(t, map[int64]int{919: 4, 905: 3}, stock("UPD-1"))

	for _, tc := range []struct {
		u    tiki.ProductUpdate
		code int
		msg  string
	}{
		{tiki.ProductUpdate{ProductID: p.ProductID, Price: 250000}, 422, "Seller price must be less than or equals listing price of master product"},
		{tiki.ProductUpdate{ProductID: p.ProductID, Price: 19999}, 422, "Price is not valid because less than ten percent listing price"},
		{tiki.ProductUpdate{ProductID: p.ProductID, Price: 100000, WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 1054, QtyAvailable: 1}}}, 422,
			"warehouse_quantities: warehouse 1054 is not a warehouse of the seller"},
		{tiki.ProductUpdate{ProductID: p.ProductID, SellerWarehouse: "919,1234"}, 422, "seller_warehouse: warehouse 1234 is not a warehouse of the seller"},
		{tiki.ProductUpdate{ProductID: 42, Price: 1}, 404, "Product not found: product_id 42"},
		{tiki.ProductUpdate{OriginalSKU: "NOPE", Price: 1}, 404, "Product not found: original_sku NOPE"},
	} {
		_, _, err := c.Products.Update(ctx, tc.u)
		prodRequireAPIError(t, err, tc.code, tc.msg)
	}
	got, _ = srv.Product("UPD-1")
	assert.Equal(t, tiki.Money(180000), got.Price, "refused updates change nothing")
	assert.Equal(t, 3, got.Version)

	// Stock kept by Tiki cannot be changed by the seller; the price can.
	instock := prodNewProduct("UPD-INSTOCK")
	instock.Variants[0].InventoryType = tiki.InventoryInstock
	_, err = srv.SeedProduct(instock)
	require.NoError(t, err)
	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "UPD-INSTOCK", WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: 1}}})
	prodRequireAPIError(t, err, 422, "Can not update stock of a product stored in a TIKI warehouse (inventory_type instock)")
	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "UPD-INSTOCK", Price: 160000})
	require.NoError(t, err)

	// The legacy v2 and v1 updates: one quantity, in the first warehouse.
	_, _, err = c.V2.Products.Update(ctx, tiki.ProductUpdateV2{ProductID: p.ProductID, Quantity: tiki.Ptr(9), Price: 170000, Active: tiki.Ptr(tiki.ProductActive)})
	require.NoError(t, err)
	v2, _, err := c.V2.Products.Get(ctx, p.ProductID)
	require.NoError(t, err)
	assert.Equal(t, 9, v2.Inventory.Quantity)
	assert.Equal(t, tiki.Money(170000), v2.Price)
	assert.Equal(t, tiki.ProductActive, *v2.Active)
	assert.Equal(t, map[int64]int{919: 9, 905: 0}, stock("UPD-1"))
	_, _, err = c.V1.Products.Update(ctx, "UPD-1", tiki.ProductUpdateV1{Quantity: tiki.Ptr(2), Price: 165000})
	require.NoError(t, err)
	assert.Equal(t, map[int64]int{919: 2, 905: 0}, stock("UPD-1"))
	_, _, err = c.V1.Products.Update(ctx, "NOPE", tiki.ProductUpdateV1{Price: 1})
	prodRequireAPIError(t, err, 404, "Product not found: original_sku NOPE")
	prodRawErrors(t, srv, "POST", "/v2/products/updateSku", `{"price": 1}`, 400, "product_id or original_sku is required")
	prodRawErrors(t, srv, "PUT", "/v2.1/products/updateSku", `{"product_id": `+fmt.Sprint(p.ProductID)+`, "active": 3}`, 422,
		"active must be 1 (active) or 0 (inactive)")
}

func TestProductsUpdateBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	var skus []string
	for i := range 25 {
		skus = append(skus, fmt.Sprintf("B-%02d", i))
	}
	seeded := prodSeed(t, srv, skus...)

	var items []tiki.BatchUpdateItem
	for i := range 21 {
		items = append(items, tiki.BatchUpdateItem{OriginalSKU: skus[i], Price: 120000, Status: tiki.ProductStatusEnabled,
			WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: i}, {WarehouseID: 903, QtyAvailable: 1}}})
	}
	items[3] = tiki.BatchUpdateItem{OriginalSKU: "B-MISSING", Price: 120000}
	items[10] = tiki.BatchUpdateItem{ProductID: seeded[10].ProductID, Price: 250000}
	items[20].WarehouseQuantities[1].WarehouseID = 1054
	before := srv.Requests()
	results, _, err := c.Products.UpdateBatch(ctx, items)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Requests()-before, "21 items take two calls")
	require.Len(t, results, 21)
	assert.Equal(t, tiki.BatchResults{
		{Index: 3, OriginalSKU: "B-MISSING", Code: "resource_not_found", Messages: []string{"Product not found: original_sku B-MISSING"}},
		{Index: 10, ProductID: seeded[10].ProductID, OriginalSKU: "B-10", Code: "resource_illegal",
			Messages: []string{"Seller price must be less than or equals listing price of master product"}},
		{Index: 20, ProductID: seeded[20].ProductID, OriginalSKU: "B-20", Code: "resource_illegal",
			Messages: []string{"warehouse_quantities: warehouse 1054 is not a warehouse of the seller"}},
	}, results.Failures())
	for i, res := range results {
		if i == 3 || i == 10 || i == 20 {
			continue
		}
		assert.True(t, res.Success, i)
		assert.Equal(t, "success", res.Code)
		assert.Equal(t, seeded[i].ProductID, res.ProductID)
		got, _ := srv.Product(skus[i])
		assert.Equal(t, tiki.Money(120000), got.Price)
		assert.Equal(t, i, got.Inventory.WarehouseStocks[0].Quantity)
		assert.Equal(t, 1, got.Inventory.WarehouseStocks[1].Quantity)
	}
	for _, i := range []int{10, 20, 21} {
		got, _ := srv.Product(skus[i])
		assert.Equal(t, tiki.Money(150000), got.Price, "item %d is unchanged", i)
		assert.Equal(t, 1, got.Version)
	}

	// More than 20 items in one call is refused whole.
	var raw []string
	for i := range 21 {
		raw = append(raw, fmt.Sprintf(`{"original_sku": %q, "price": 110000}`, skus[i]))
	}
	prodRawErrors(t, srv, "PUT", "/v2.1/products/updateSkus", `{"data": [`+strings.Join(raw, ",")+`]}`, 400,
		"You can update up to 20 products in 1 call, got 21")
	prodRawErrors(t, srv, "PUT", "/v2.1/products/updateSkus", `{"data": []}`, 400, "data is required")
	code, body := prodRaw(t, srv, "PUT", "/v2.1/products/updateSkus", `{"data": [{"original_sku": "B-00", "status": 5}, {"price": 1}]}`)
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"data": [
		{"is_success": false, "product_id": `+fmt.Sprint(seeded[0].ProductID)+`, "original_sku": "B-00", "code": "resource_illegal",
		 "message": ["status must be 1 (enabled), 2 (disabled) or 3 (hidden)"]},
		{"is_success": false, "product_id": 0, "original_sku": "", "code": "resource_illegal", "message": ["product_id or original_sku is required"]}]}`, body)

	// v2: one quantity; status hides and disables.
	results, _, err = c.V2.Products.UpdateBatch(ctx, []tiki.BatchUpdateItemV2{
		{OriginalSKU: "B-00", Status: tiki.ProductStatusHidden, Quantity: tiki.Ptr(4)},
		{ProductID: seeded[1].ProductID, Status: tiki.ProductStatusDisabled},
	})
	require.NoError(t, err)
	assert.Empty(t, results.Failures())
	hidden, _, err := c.Products.ListHidden(ctx, nil)
	require.NoError(t, err)
	require.Len(t, hidden.Data, 1)
	assert.Equal(t, "B-00", hidden.Data[0].OriginalSKU)
	assert.True(t, hidden.Data[0].IsHidden)
	assert.Equal(t, tiki.ProductInactive, *hidden.Data[0].Active)
	assert.Equal(t, seeded[0].ProductID, hidden.Data[0].ProductID)
	b00, _ := srv.Product("B-00")
	assert.Equal(t, map[int64]int{919: 4, 903: 0}, map[int64]int{919: b00.Inventory.WarehouseStocks[0].Quantity, 903: b00.Inventory.WarehouseStocks[1].Quantity})
	list, _, err := c.Products.List(ctx, &tiki.ProductsOptions{Active: tiki.Ptr(tiki.ProductInactive)})
	require.NoError(t, err)
	require.Len(t, list.Data, 1, "hidden products are not listed")
	assert.Equal(t, "B-01", list.Data[0].OriginalSKU)
}

func TestProductsListFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := prodNewClock(t, "2024-05-01 08:00:00")
	srv, c := prodSetup(t, tikitest.WithClock(clock.Now))
	seed := func(sku, name string, category int64, active bool) {
		p := prodNewProduct(sku)
		p.Name, p.CategoryID = name, category
		p.MetaData.IsAutoTurnOn = active
		_, err := srv.SeedProduct(p)
		require.NoError(t, err)
		clock.Advance(time.Hour)
	}
	seed("L-1", "Sổ tay A5", 218, true)
	seed("L-2", "Bút bi xanh", 6445, true)
	seed("L-3", "Sổ tay A4", 20, false)
	_, _, err := c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "L-1", Price: 140000}) // at 11:00
	require.NoError(t, err)

	skus := func(opts *tiki.ProductsOptions) []string {
		t.Helper()
		page, _, err := c.Products.List(ctx, opts)
		require.NoError(t, err)
		out := []string{}
		for _, p := range page.Data {
			out = append(out, p.OriginalSKU)
		}
		return out
	}
	assert.Equal(t, []string{"L-3", "L-2", "L-1"}, skus(nil))
	assert.Equal(t, []string{"L-3", "L-1"}, skus(&tiki.ProductsOptions{Name: "SỔ TAY"}))
	assert.Equal(t, []string{"L-3"}, skus(&tiki.ProductsOptions{Name: "tay a4"}))
	assert.Equal(t, []string{"L-2", "L-1"}, skus(&tiki.ProductsOptions{Active: tiki.Ptr(tiki.ProductActive)}))
	assert.Equal(t, []string{"L-3"}, skus(&tiki.ProductsOptions{Active: tiki.Ptr(tiki.ProductInactive)}))
	assert.Equal(t, []string{"L-2"}, skus(&tiki.ProductsOptions{CategoryID: 6445}))
	assert.Equal(t, []string{"L-2"}, skus(&tiki.ProductsOptions{CreatedFrom: prodAt(t, "2024-05-01 08:30:00"), CreatedTo: prodAt(t, "2024-05-01 09:00:00")}))
	assert.Equal(t, []string{"L-1"}, skus(&tiki.ProductsOptions{UpdatedFrom: prodAt(t, "2024-05-01 11:00:00")}))
	assert.Equal(t, []string{"L-3", "L-2"}, skus(&tiki.ProductsOptions{UpdatedTo: prodAt(t, "2024-05-01 10:59:59")}))

	page, _, err := c.Products.List(ctx, &tiki.ProductsOptions{ListOptions: tiki.ListOptions{Page: 2, Limit: 2}})
	require.NoError(t, err)
	assert.Equal(t, tiki.Paging{Total: 3, PerPage: 2, CurrentPage: 2, LastPage: 2, From: 3, To: 3}, page.Paging)
	var all []string
	for p, err := range c.Products.All(ctx, &tiki.ProductsOptions{ListOptions: tiki.ListOptions{Limit: 1}}) {
		require.NoError(t, err)
		all = append(all, p.OriginalSKU)
	}
	assert.Equal(t, []string{"L-3", "L-2", "L-1"}, all)

	v2, _, err := c.V2.Products.List(ctx, &tiki.ProductsOptions{Name: "A5", Include: []tiki.ProductInclude{tiki.IncludeInventory}})
	require.NoError(t, err)
	require.Len(t, v2.Data, 1)
	assert.Equal(t, 12, v2.Data[0].Inventory.Quantity)
	assert.Nil(t, v2.Data[0].Inventory.WarehouseStocks)
	plain, _, err := c.Products.List(ctx, &tiki.ProductsOptions{Name: "A4"})
	require.NoError(t, err)
	assert.Nil(t, plain.Data[0].Inventory, "inventory only when included")
	assert.Equal(t, []tiki.ProductCategory{
		{ID: 2, Name: "Root yyy", URLKey: "root-yyy"}, {ID: 4, Name: "Economics", URLKey: "economics"},
		{ID: 320, Name: "English Books", URLKey: "english-books"}, {ID: 8322, Name: "Nhà Sách Tiki.vn", URLKey: "nha-sach-tiki-vn"},
		{ID: 20, Name: "Entrepreneurship - Small Business", URLKey: "entrepreneurship-small-business", IsPrimary: true},
	}, plain.Data[0].Categories)

	for _, q := range []string{"active=2", "category_id=x", "created_from_date=yesterday", "limit=500"} {
		code, body := prodRaw(t, srv, "GET", "/v2.1/products?"+q, "")
		assert.Equal(t, 400, code, "%s: %s", q, body)
	}
	code, _ := prodRaw(t, srv, "GET", "/v2/products/getHiddenSkus?updated_at_to=bad", "")
	assert.Equal(t, 400, code)
	prodRawErrors(t, srv, "GET", "/v2/products/findBy", "", 400, "original_sku is required")
}

func TestProductsTrackingLatest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := prodNewClock(t, "2024-06-01 10:00:00")
	srv, c := prodSetup(t, tikitest.WithClock(clock.Now))
	srv.SetApprovalDelay(0)
	p1 := prodNewProduct("T-1")
	p1.Variants[0].WarehouseStocks, p1.Variants[0].Quantity, p1.Variants[0].Supplier = nil, tiki.Ptr(3), 239091
	first, _, err := c.V1.ProductRequests.Create(ctx, p1)
	require.NoError(t, err)
	clock.Advance(time.Hour)
	second, _, err := c.ProductRequests.Create(ctx, prodNewProduct("T-2"))
	require.NoError(t, err)
	clock.Advance(time.Hour)
	third, _, err := c.ProductRequests.Create(ctx, prodNewProduct("T-3"))
	require.NoError(t, err)
	clock.Advance(time.Hour)
	require.NoError(t, srv.ApproveRequest(first.TrackID)) // updated at 13:00

	ids := func(opts *tiki.TrackingOptions) []string {
		t.Helper()
		recs, _, err := c.Tracking.Latest(ctx, opts)
		require.NoError(t, err)
		out := []string{}
		for _, r := range recs {
			out = append(out, r.TrackID)
		}
		return out
	}
	assert.Equal(t, []string{third.TrackID, second.TrackID, first.TrackID}, ids(nil))
	assert.Equal(t, []string{third.TrackID, second.TrackID}, ids(&tiki.TrackingOptions{Limit: 2}))
	assert.Equal(t, []string{third.TrackID, second.TrackID}, ids(&tiki.TrackingOptions{CreatedMin: prodAt(t, "2024-06-01 10:30:00")}))
	assert.Equal(t, []string{second.TrackID, first.TrackID}, ids(&tiki.TrackingOptions{CreatedMax: prodAt(t, "2024-06-01 11:00:00")}))
	assert.Equal(t, []string{first.TrackID}, ids(&tiki.TrackingOptions{UpdatedMin: prodAt(t, "2024-06-01 13:00:00")}))
	assert.Equal(t, []string{third.TrackID, second.TrackID}, ids(&tiki.TrackingOptions{UpdatedMax: prodAt(t, "2024-06-01 12:59:59")}))

	recs, _, err := c.Tracking.Latest(ctx, &tiki.TrackingOptions{Limit: 1, UpdatedMin: prodAt(t, "2024-06-01 13:00:00")})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, tiki.RequestApproved, recs[0].State)
	assert.NotEmpty(t, recs[0].RequestID)

	// API v1: trace_id and tiki_sku.
	v1, _, err := c.V1.Tracking.Latest(ctx, &tiki.TrackingOptions{Limit: 3})
	require.NoError(t, err)
	require.Len(t, v1, 3)
	product, ok := srv.Product("T-1")
	require.True(t, ok)
	assert.Equal(t, tiki.TrackedRequest{TrackID: first.TrackID, State: tiki.RequestApproved, TikiSKU: product.SKU}, v1[2])
	assert.Equal(t, tiki.TrackedRequest{TrackID: third.TrackID, State: tiki.RequestQueuing}, v1[0])
	one, _, err := c.V1.Tracking.Get(ctx, first.TrackID)
	require.NoError(t, err)
	assert.Equal(t, product.SKU, one.TikiSKU)
	assert.Equal(t, 3, product.Inventory.WarehouseStocks[0].Quantity)
	_, _, err = c.V1.Tracking.Get(ctx, "nope")
	prodRequireAPIError(t, err, 404, "TraceId not found: nope")
	for _, q := range []string{"limit=0", "limit=101", "created_at_min=soon"} {
		code, body := prodRaw(t, srv, "GET", "/v2/tracking?"+q, "")
		assert.Equal(t, 400, code, "%s: %s", q, body)
	}
}

func TestProductsRequestsList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	prodSeed(t, srv, "R-1", "R-2")
	waiting, _, err := c.ProductRequests.Create(ctx, prodNewProduct("R-3"))
	require.NoError(t, err)
	srv.AdvanceRequests()
	srv.AdvanceRequests()
	_, _, err = c.ProductRequests.Create(ctx, prodNewProduct("R-4")) // queuing: not created in Tiki yet
	require.NoError(t, err)

	page, _, err := c.ProductRequests.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Data, 3)
	assert.Equal(t, 3, page.Paging.Total)
	assert.Equal(t, tiki.RequestAwaitingApprove, page.Data[0].State)
	assert.Equal(t, prodTrack(t, c, waiting.TrackID).RequestID, page.Data[0].RequestID)
	assert.True(t, page.Data[0].ApprovedAt.IsZero())
	assert.Empty(t, page.Data[1].Products, "products only when included")

	approved, _, err := c.ProductRequests.List(ctx, &tiki.ProductRequestsOptions{State: tiki.RequestApproved, IncludeProducts: true,
		ListOptions: tiki.ListOptions{Limit: 1}})
	require.NoError(t, err)
	require.Len(t, approved.Data, 1)
	assert.Equal(t, 2, approved.Paging.LastPage)
	assert.Equal(t, tiki.RequestKindCreateProduct, approved.Data[0].Kind)
	require.Len(t, approved.Data[0].Products, 1)
	assert.Equal(t, "R-2", approved.Data[0].Products[0].OriginalSKU)
	assert.False(t, approved.Data[0].ApprovedAt.IsZero())
	assert.NotEmpty(t, approved.Data[0].CreatedBy)

	var states []tiki.RequestState
	for r, err := range c.ProductRequests.All(ctx, &tiki.ProductRequestsOptions{ListOptions: tiki.ListOptions{Limit: 2}}) {
		require.NoError(t, err)
		states = append(states, r.State)
	}
	assert.Equal(t, []tiki.RequestState{tiki.RequestAwaitingApprove, tiki.RequestApproved, tiki.RequestApproved}, states)
	prodRawErrors(t, srv, "GET", "/v2/requests?state=lost", "", 400, "state is invalid: lost")
}

func TestProductsStockWebhooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	secret, err := tikinow.NewSecret()
	require.NoError(t, err)
	receiver, err := tikinow.NewReceiver([]string{secret}, webhook.WithDedupe(nil))
	require.NoError(t, err)
	var mu sync.Mutex
	var events []tikinow.StockEvent
	receiver.OnStock(func(_ context.Context, e *tikinow.StockEvent) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, *e)
		return nil
	})
	hook := httptest.NewServer(receiver)
	t.Cleanup(hook.Close)
	_, _, err = c.Webhooks.Register(ctx, &tiki.RegisterWebhooksRequest{
		InventoryLocations: []string{"hn", "sgn"},
		Webhooks:           tiki.WebhookTargets{Stock: &tiki.WebhookTarget{URL: hook.URL, SecretKey: secret}},
		ExternalPartnerID:  "shop-9",
	})
	require.NoError(t, err)
	received := func() map[string]int {
		t.Helper()
		for _, d := range srv.WebhookDeliveries() {
			assert.Equal(t, "stock", d.Kind)
			assert.Equal(t, http.StatusOK, d.Status, string(d.Body))
		}
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for _, e := range events {
			assert.Equal(t, "WH-1", e.SellerProductCode)
			assert.Equal(t, "shop-9", e.PartnerID)
			assert.Len(t, e.SKU, 13)
			assert.False(t, e.Date.IsZero())
			out[e.Warehouse] = int(e.QtySalable)
		}
		events = nil
		return out
	}

	// Warehouses 919 and 902 are Tiki's hn, 903 sgn, 905 ct (not registered).
	p := prodNewProduct("WH-1")
	p.Variants[0].SellerWarehouse = ""
	p.Variants[0].WarehouseStocks = []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 5}, {WarehouseID: 902, QtyAvailable: 2},
		{WarehouseID: 903, QtyAvailable: 7}, {WarehouseID: 905, QtyAvailable: 1}}
	_, err = srv.SeedProduct(p)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"hn": 7, "sgn": 7}, received())

	_, _, err = c.Products.Update(ctx, tiki.ProductUpdate{OriginalSKU: "WH-1", WarehouseQuantities: []tiki.WarehouseQuantity{
		{WarehouseID: 919, QtyAvailable: 1}, {WarehouseID: 902, QtyAvailable: 2}, {WarehouseID: 903, QtyAvailable: 7}, {WarehouseID: 905, QtyAvailable: 4}}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"hn": 3}, received(), "only changed warehouses")

	results, _, err := c.Products.UpdateBatch(ctx, []tiki.BatchUpdateItem{{OriginalSKU: "WH-1", Price: 140000}})
	require.NoError(t, err)
	assert.Empty(t, results.Failures())
	assert.Empty(t, received(), "a price change is not a stock change")

	results, _, err = c.Products.UpdateBatch(ctx, []tiki.BatchUpdateItem{{OriginalSKU: "WH-1", SellerWarehouse: "903"}})
	require.NoError(t, err)
	assert.Empty(t, results.Failures())
	assert.Equal(t, map[string]int{"hn": 0}, received(), "warehouses removed")
}

func TestProductsConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := prodSetup(t)
	srv.SetApprovalDelay(0)
	const workers, each = 8, 5
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				srv.AdvanceRequests()
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, _, err := c.ProductRequests.Create(ctx, prodNewProduct(fmt.Sprintf("RACE-%d-%d", w, i)))
				assert.NoError(t, err)
			}
			_, _, err := c.ProductRequests.Create(ctx, prodNewProduct("RACE-SHARED"))
			assert.NoError(t, err)
			_, _, err = c.Products.List(ctx, &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}})
			assert.NoError(t, err)
			_, _, err = c.Products.UpdateBatch(ctx, []tiki.BatchUpdateItem{{OriginalSKU: fmt.Sprintf("RACE-%d-0", w), Price: 140000}})
			assert.NoError(t, err)
			_, _, err = c.Tracking.Latest(ctx, nil)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	close(stop)
	for srv.AdvanceRequests() > 0 {
	}

	recs, _, err := c.Tracking.Latest(ctx, &tiki.TrackingOptions{Limit: 100})
	require.NoError(t, err)
	require.Len(t, recs, workers*(each+1))
	count := map[tiki.RequestState]int{}
	for _, r := range recs {
		count[r.State]++
	}
	assert.Equal(t, map[tiki.RequestState]int{tiki.RequestApproved: workers*each + 1, tiki.RequestRejected: workers - 1}, count)
	seen := map[string]bool{}
	for p, err := range c.Products.All(ctx, &tiki.ProductsOptions{ListOptions: tiki.ListOptions{Limit: 100}}) {
		require.NoError(t, err)
		assert.False(t, seen[p.OriginalSKU], "SKU %s listed twice", p.OriginalSKU)
		seen[p.OriginalSKU] = true
	}
	assert.Len(t, seen, workers*each+1)
}

func TestProductsGoAPI(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	bad := prodNewProduct("G-1")
	bad.CategoryID, bad.Variants[0].Price = 623, 0
	_, err := srv.SeedProduct(bad)
	assert.EqualError(t, err, "tikitest: product refused: variants should have price > 0; "+
		"category_id 623 is not a primary category: products belong to primary categories")
	bad.CategoryID, bad.Variants[0].Price = 5, 1
	_, err = srv.SeedProduct(bad)
	assert.EqualError(t, err, "tikitest: product refused: Attributes not found for category_id 5")

	inactive := prodNewProduct("G-2")
	inactive.MetaData = nil
	ps, err := srv.SeedProduct(inactive)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, tiki.ProductInactive, *ps[0].Active, "switched on only with is_auto_turn_on")
	assert.Equal(t, "G-2", ps[0].OriginalSKU)
	got, ok := srv.Product("G-2")
	assert.True(t, ok)
	assert.Equal(t, ps[0], got)
	_, ok = srv.Product("G-3")
	assert.False(t, ok)

	assert.ErrorContains(t, srv.ApproveRequest("x"), `no product request with track id "x"`)
	assert.ErrorIs(t, srv.ApproveRequest("x"), tiki.ErrNotFound)
	assert.ErrorContains(t, srv.RejectRequest("x", "no"), `no product request with track id "x"`)
	assert.ErrorIs(t, srv.RejectRequest("x", "no"), tiki.ErrNotFound)
	assert.Equal(t, 0, srv.AdvanceRequests())
	srv.SetApprovalDelay(-time.Second) // same as 0
}
