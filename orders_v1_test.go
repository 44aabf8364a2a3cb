package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ordListFixtureOrder is the order of orders_list.json, field by field.
func ordListFixtureOrder(t *testing.T) OrderV1 {
	return OrderV1{
		OrderCode:                "929231617",
		CouponCode:               "123",
		Status:                   OrderStatusQueueing,
		TotalPriceBeforeDiscount: 200000,
		TotalPriceAfterDiscount:  200000,
		UpdatedAt:                vnTime(t, "2019-10-30 17:27:24"),
		PurchasedAt:              vnTime(t, "2019-10-30 17:27:17"),
		FulfillmentType:          FulfillmentDropship,
		Note:                     "",
		IsRMA:                    false,
		WarehouseID:              17,
		Tax:                      TaxV1{},
		Discount:                 DiscountV1{DiscountAmount: 10, DiscountCoupon: 10},
		Shipping: ShippingV1{
			Name:                "hậu nguyễn",
			Street:              "519 kim mã",
			Ward:                "Phường Kim Mã",
			City:                "Quận Ba Đình",
			Region:              "Hà Nội",
			Country:             "VN",
			Phone:               "0912611089",
			EstimateDescription: "Dự kiến giao hàng vào Thứ hai, 04/11/2019",
		},
		Items: []OrderItemV1{{
			ID:                  25203463,
			ProductID:           2050232,
			ProductName:         "Cơm gà - dropship -hn4",
			SKU:                 "9956112228645",
			OriginalSKU:         "",
			Qty:                 1,
			Price:               200000,
			ConfirmationStatus:  ConfirmationWaiting,
			ConfirmedAt:         Time{},
			MustConfirmBeforeAt: vnTime(t, "2019-10-31 12:00:00"),
			InventoryType:       InventoryInstock,
		}},
		Payment: PaymentV1{
			Method:      PaymentCOD,
			UpdatedAt:   vnTime(t, "2019-10-30 17:27:25"),
			Description: "Thanh toán tiền mặt khi nhận hàng",
		},
		HandlingFee:           0,
		CollectableTotalPrice: 0,
	}
}

func TestOrdersList(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders", 200, fixture(t, "orders_list.json"))

	// The document's example: /orders?page=1&limit=2&status=queueing
	page, resp, err := c.V1.Orders.List(context.Background(), &OrderListOptionsV1{
		Status: OrderStatusQueueing, ListOptions: ListOptions{Page: 1, Limit: 2},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders", map[string][]string{
		"page": {"1"}, "limit": {"2"}, "status": {"queueing"},
	})
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, &Page[OrderV1]{
		Data:   []OrderV1{ordListFixtureOrder(t)},
		Paging: Paging{Total: 1, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 1},
	}, page)
}

func TestOrdersListEveryFilter(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders", 200, []byte(`{"data":[],"paging":{"current_page":1,"last_page":1}}`))

	page, _, err := c.V1.Orders.List(context.Background(), &OrderListOptionsV1{
		Status:                 OrderStatusSellerConfirmed,
		FulfillmentType:        FulfillmentSellerDelivery,
		ItemInventoryType:      InventoryBackorder,
		ItemConfirmationStatus: ConfirmationWaiting,
		FilterDateBy:           DateFilterToday,
		CreatedFrom:            vnTime(t, "2019-07-22 15:00:00"),
		// A UTC time is sent in Vietnam time.
		CreatedTo:   NewTime(time.Date(2019, 8, 22, 8, 0, 0, 0, time.UTC)),
		UpdatedFrom: vnTime(t, "2019-07-23 00:00:00"),
		UpdatedTo:   vnTime(t, "2019-08-23 23:59:59"),
		Include:     []string{"items.fees", "status_histories"},
		ListOptions: ListOptions{Page: 3, Limit: 100},
	})
	require.NoError(t, err)
	assert.Empty(t, page.Data)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders", map[string][]string{
		"status":                   {"seller_confirmed"},
		"fulfillment_type":         {"seller_delivery"},
		"item_inventory_type":      {"backorder"},
		"item_confirmation_status": {"waiting"},
		"filter_date_by":           {"today"},
		"created_from_date":        {"2019-07-22 15:00:00"},
		"created_to_date":          {"2019-08-22 15:00:00"},
		"updated_from_date":        {"2019-07-23 00:00:00"},
		"updated_to_date":          {"2019-08-23 23:59:59"},
		"include":                  {"items.fees,status_histories"},
		"page":                     {"3"},
		"limit":                    {"100"},
	})
}

func TestOrdersListDatesSentAsGiven(t *testing.T) {
	t.Parallel()
	// The 30-day window is Tiki's to enforce: a year-old date is sent.
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders", 200, []byte(`{"data":[]}`))
	_, _, err := c.V1.Orders.List(context.Background(), &OrderListOptionsV1{CreatedFrom: vnTime(t, "2018-01-01 00:00:00")})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders", map[string][]string{"created_from_date": {"2018-01-01 00:00:00"}})
}

func TestOrdersListNilOptionsAndV1(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders", 200, fixture(t, "orders_list.json"))
	page, _, err := c.V1.Orders.List(context.Background(), nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders", nil)
	require.Len(t, page.Data, 1)
}

func TestOrdersListInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V1.Orders.List(context.Background(), &OrderListOptionsV1{
		Include:     []string{"items", "a,b", " "},
		ListOptions: ListOptions{Page: -1, Limit: 500},
	})
	requireRefused(t, err, s,
		FieldProblem{Field: "page", Problem: "must not be negative"},
		FieldProblem{Field: "limit", Problem: "must be at most 100"},
		FieldProblem{Field: "include[1]", Problem: "must be a name without commas"},
		FieldProblem{Field: "include[2]", Problem: "must be a name without commas"},
	)
}

func TestOrdersAll(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v1/orders", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			status(200, `{"data":[{"order_code":"B1"}],"paging":{"current_page":2,"last_page":2}}`)(w, r)
			return
		}
		status(200, `{"data":[{"order_code":"A1"},{"order_code":"A2"}],"paging":{"current_page":1,"last_page":2}}`)(w, r)
	})
	var codes []string
	for o, err := range c.V1.Orders.All(context.Background(), &OrderListOptionsV1{Status: OrderStatusQueueing}) {
		require.NoError(t, err)
		codes = append(codes, o.OrderCode)
	}
	assert.Equal(t, []string{"A1", "A2", "B1"}, codes)
	var pages []string
	for _, got := range s.requests() {
		assert.Equal(t, "queueing", got.Query["status"][0], "filters are kept on every page")
		pages = append(pages, got.Query["page"][0])
	}
	assert.Equal(t, []string{"1", "2"}, pages)
}

func TestOrdersAllStopsOnInvalidOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	n := 0
	for _, err := range c.V1.Orders.All(context.Background(), &OrderListOptionsV1{ListOptions: ListOptions{Limit: 101}}) {
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, s.count())
}

func TestOrdersGet(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders/929231617", 200, fixture(t, "order_detail.json"))

	order, _, err := c.V1.Orders.Get(context.Background(), "929231617")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders/929231617", nil)
	want := ordListFixtureOrder(t)
	want.CouponCode = "" // null in the detail example
	want.Discount = DiscountV1{}
	want.Shipping.ShippingFee = 0
	want.Items[0].ConfirmationStatus = ConfirmationSellerConfirmed
	want.Items[0].ConfirmedAt = vnTime(t, "2019-11-01 10:07:58")
	want.Items[0].MustConfirmBeforeAt = vnTime(t, "2019-11-01 23:59:59")
	want.Items[0].InventoryType = InventorySellerBackorder
	assert.Equal(t, &want, order)
}

func TestOrdersGetNotFound(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v1/orders/1", 404, []byte(`{"errors":["Not found"]}`))
	order, _, err := c.V1.Orders.Get(context.Background(), "1")
	assert.Nil(t, order)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestOrdersGetEscapesCode(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v1/orders/{code}", status(200, `{"order_code":"a/b c"}`))
	order, _, err := c.V1.Orders.Get(context.Background(), "a/b c")
	require.NoError(t, err)
	assert.Equal(t, "a/b c", order.OrderCode)
	assert.Equal(t, "/prefix/integration/v1/orders/a%2Fb%20c", s.last().URI)
}

func TestOrdersGetInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	for code, problem := range map[string]string{
		"":           "is required",
		"  ":         "is required",
		".":          `must not be "."`,
		"..":         `must not be ".."`,
		" 929231617": "must not start or end with white space",
		"929231617 ": "must not start or end with white space",
	} {
		_, _, err := c.V1.Orders.Get(context.Background(), code)
		requireRefused(t, err, s, FieldProblem{Field: "order_code", Problem: problem})
		_, _, err = c.V1.Orders.PrintLabel(context.Background(), code, nil)
		requireRefused(t, err, s, FieldProblem{Field: "order_code", Problem: problem})
	}
}

// Order codes sent in a body are refused when padded with white space too.
func TestOrdersBodyOrderCodeNotPadded(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	padded := FieldProblem{Field: "order_code", Problem: "must not start or end with white space"}
	req := ordConfirmSellerDelivery(t)
	req.OrderCode = " 419060832"
	_, _, err := c.V1.Orders.ConfirmItems(ctx, req)
	requireRefused(t, err, s, padded)
	_, _, err = c.V1.Orders.RejectAllItems(ctx, RejectAllItemsRequest{OrderCode: "419060832 ", WarehouseCode: "sg", SellerInventoryID: 882})
	requireRefused(t, err, s, padded)
	_, _, err = c.V1.Orders.ConfirmDelivery(ctx, ConfirmDeliveryRequest{OrderCode: "\t20939384", Status: ConfirmDeliverySuccessful})
	requireRefused(t, err, s, padded)
	_, _, err = c.V1.Orders.UpdateDeliveryStatus(ctx, UpdateDeliveryStatusRequest{OrderCode: "1\n", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2019-11-23 23:59:59")})
	requireRefused(t, err, s, padded)
}

// ordPaused is the answer older Tiki endpoints give with HTTP 200 when the
// seller paused the connection: not a success.
const ordPaused = `{"msg":"Kết nối đang tạm ngưng bởi seller"}`

// A 2xx answer without the documented success marker is an *APIError
// carrying the status, the body's message and the raw body.
func TestOrdersNotAppliedAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	calls := []struct {
		name, path string
		call       func(c *Client) (any, error)
	}{
		{"ConfirmItems", "/v1/orders/confirmItems", func(c *Client) (any, error) {
			return ordFirst(c.V1.Orders.ConfirmItems(ctx, ordConfirmSellerDelivery(t)))
		}},
		{"RejectAllItems", "/v1/orders/confirmItems", func(c *Client) (any, error) {
			return ordFirst(c.V1.Orders.RejectAllItems(ctx, RejectAllItemsRequest{OrderCode: "1", WarehouseCode: "sg", SellerInventoryID: 882}))
		}},
		{"ConfirmDelivery", "/v1/orders/confirmDelivery", func(c *Client) (any, error) {
			return ordFirst(c.V1.Orders.ConfirmDelivery(ctx, ConfirmDeliveryRequest{OrderCode: "1", Status: ConfirmDeliverySuccessful}))
		}},
		{"UpdateDeliveryStatus", "/v1/orders/updateDeliveryStatus", func(c *Client) (any, error) {
			return ordFirst(c.V1.Orders.UpdateDeliveryStatus(ctx, UpdateDeliveryStatusRequest{OrderCode: "1", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2019-11-23 23:59:59")}))
		}},
	}
	bodies := map[string][]string{
		// Every call: the paused connection, an empty object, a message.
		"": {ordPaused, `{}`, `{"message":"Kết nối đang tạm ngưng bởi seller"}`},
		// Bodies that would pass another endpoint's marker.
		"ConfirmItems":         {`{"code":400,"data":[]}`, `{"message":"success"}`},
		"RejectAllItems":       {`{"code":"OK"}`, `{"order_code":"1"}`},
		"ConfirmDelivery":      {`{"order_code":""}`, `{"code":200,"data":[]}`},
		"UpdateDeliveryStatus": {`{"message":"failed"}`, `{"code":200,"data":[]}`},
	}
	for _, tc := range calls {
		for _, body := range append(bodies[""], bodies[tc.name]...) {
			c, s := setup(t)
			s.respond(http.MethodPost, tc.path, 200, []byte(body))
			res, err := tc.call(c)
			assert.Nil(t, res, tc.name, body)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr, tc.name, body)
			assert.Equal(t, 200, apiErr.StatusCode, tc.name)
			assert.Equal(t, http.MethodPost, apiErr.Method, tc.name)
			assert.Equal(t, s.URL+apiPath+tc.path, apiErr.URL, tc.name)
			assert.Equal(t, body, string(apiErr.Body), tc.name)
			assert.Equal(t, 1, apiErr.Attempts, tc.name)
			assert.Equal(t, 1, s.count(), "never resent: %s %s", tc.name, body)
			if body == ordPaused || strings.Contains(body, "tạm ngưng") {
				assert.Equal(t, []string{"Kết nối đang tạm ngưng bởi seller"}, apiErr.Messages, tc.name)
				assert.ErrorContains(t, err, "Kết nối đang tạm ngưng bởi seller")
			}
		}
	}
}

// ordFirst keeps the result and error of a call, as any.
func ordFirst[T any](res *T, _ *Response, err error) (any, error) {
	if res == nil {
		return nil, err
	}
	return res, err
}

// The documented success answers pass, also with a string code and extra
// fields.
func TestOrdersAppliedAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, []byte(`{"code":"200","data":[],"message":"ok"}`))
	res, _, err := c.V1.Orders.ConfirmItems(ctx, ordConfirmSellerDelivery(t))
	require.NoError(t, err)
	assert.Equal(t, &ConfirmItemsResult{Code: 200, Data: json.RawMessage(`[]`)}, res)
	s.respond(http.MethodPost, "/v1/orders/confirmDelivery", 200, []byte(`{"order_code":20939384}`))
	d, _, err := c.V1.Orders.ConfirmDelivery(ctx, ConfirmDeliveryRequest{OrderCode: "20939384", Status: ConfirmDeliverySuccessful})
	require.NoError(t, err)
	assert.Equal(t, &ConfirmDeliveryResult{OrderCode: "20939384"}, d)
	s.respond(http.MethodPost, "/v1/orders/updateDeliveryStatus", 200, []byte(`{"message":"Success"}`))
	u, _, err := c.V1.Orders.UpdateDeliveryStatus(ctx, UpdateDeliveryStatusRequest{OrderCode: "1", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2019-11-23 23:59:59")})
	require.NoError(t, err)
	assert.Equal(t, &UpdateDeliveryStatusResult{Message: "Success"}, u)
}

// 003's order list table names the rows "results", its example "data":
// both decode.
func TestOrdersListResultsField(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	var list map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(fixture(t, "orders_list.json"), &list))
	body, err := json.Marshal(map[string]json.RawMessage{"results": list["data"], "paging": list["paging"]})
	require.NoError(t, err)
	s.respond(http.MethodGet, "/v1/orders", 200, body)
	page, _, err := c.V1.Orders.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, ordListFixtureOrder(t), page.Data[0])
	assert.Equal(t, Paging{Total: 1, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 1}, page.Paging)
}

func TestOrderDecodesQuirks(t *testing.T) {
	t.Parallel()
	// Floats and strings for money and ids, is_rma 1, the entity table's
	// estimation_description, a numeric sku, nulls everywhere, unknown
	// fields.
	body := `{
		"order_code": 239545064,
		"coupon_code": null,
		"status": "giao_hang_thanh_cong",
		"total_price_before_discount": 598000.0,
		"total_price_after_discount": "528000",
		"is_rma": 1,
		"warehouse_id": "4",
		"handling_fee": 14000.0,
		"collectable_total_price": null,
		"something_new": {"x": [1, 2]},
		"discount": {"discount_amount": 70000.0, "discount_coupon": "10000", "discount_tiki_point": null},
		"tax": {"code": "1", "name": "Company", "address": "Ha Noi"},
		"shipping": {"name": "hoàng anh", "estimation_description": "Expected delivery on Friday", "shipping_fee": 15000.0, "phone": null},
		"items": [{"id": "90965636", "product_id": 12033331.0, "sku": 341231234, "original_sku": "H24071", "qty": "2", "price": 299000.0,
			"confirmation_status": "confirmed", "confirmed_at": "2019-07-03T09:18:08+07:00", "must_confirmed_before_at": null,
			"inventory_type": "instock", "discount": {"discount_amount": 5, "discount_coupon": 0}}],
		"payment": {"payment_method": "cod", "updated_at": "", "description": null}
	}`
	var o OrderV1
	require.NoError(t, json.Unmarshal([]byte(body), &o))
	assert.Equal(t, OrderV1{
		OrderCode:                "239545064",
		Status:                   OrderStatusGiaoHangThanhCong,
		TotalPriceBeforeDiscount: 598000,
		TotalPriceAfterDiscount:  528000,
		IsRMA:                    true,
		WarehouseID:              4,
		HandlingFee:              14000,
		Discount:                 DiscountV1{DiscountAmount: 70000, DiscountCoupon: 10000},
		Tax:                      TaxV1{Code: "1", Name: "Company", Address: "Ha Noi"},
		Shipping:                 ShippingV1{Name: "hoàng anh", EstimateDescription: "Expected delivery on Friday", ShippingFee: 15000},
		Items: []OrderItemV1{{
			ID: 90965636, ProductID: 12033331, SKU: "341231234", OriginalSKU: "H24071", Qty: 2, Price: 299000,
			ConfirmationStatus: ConfirmationConfirmed, ConfirmedAt: o.Items[0].ConfirmedAt,
			InventoryType: InventoryInstock, Discount: &DiscountV1{DiscountAmount: 5},
		}},
		Payment: PaymentV1{Method: PaymentCOD},
	}, o)
	assert.True(t, o.Items[0].ConfirmedAt.Equal(vnTime(t, "2019-07-03 09:18:08").Time))
	assert.Equal(t, OrderStatusSuccessfulDelivery, o.Status.Canonical())

	// Both spellings present: the examples' estimate_description wins.
	var s ShippingV1
	require.NoError(t, json.Unmarshal([]byte(`{"estimate_description":"a","estimation_description":"b"}`), &s))
	assert.Equal(t, "a", s.EstimateDescription)
}

func TestOrderRefusesFractionalMoney(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"total_price_after_discount": 14000.5}`,
		`{"items": [{"price": 0.1}]}`,
		`{"shipping": {"shipping_fee": "1e400"}}`,
		`{"discount": {"discount_amount": [1]}}`,
		`{"items": [{"sku": {}}]}`,
	} {
		var o OrderV1
		assert.Error(t, json.Unmarshal([]byte(body), &o), body)
	}
}

func TestOrderStatusCanonical(t *testing.T) {
	t.Parallel()
	assert.Equal(t, OrderStatusQueueing, OrderStatusChoIn.Canonical())
	assert.Equal(t, OrderStatusSuccessfulDelivery, OrderStatusGiaoHangThanhCong.Canonical())
	assert.Equal(t, OrderStatusCanceled, OrderStatusCanceled.Canonical())
	assert.Equal(t, OrderStatusComplete, OrderStatusComplete.Canonical())
}

// ordConfirmSellerDelivery is the document's seller-delivery confirmation.
func ordConfirmSellerDelivery(t *testing.T) ConfirmItemsRequest {
	return ConfirmItemsRequest{
		OrderCode:              "419060832",
		FulfillmentType:        FulfillmentSellerDelivery,
		WarehouseCode:          "sg",
		SellerInventoryID:      882,
		ItemIDs:                []int64{94792486, 94792487},
		DeliveryCommitmentTime: vnTime(t, "2019-11-03 23:59:59"),
	}
}

func TestOrdersConfirmItemsSellerDelivery(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))

	res, _, err := c.V1.Orders.ConfirmItems(context.Background(), ordConfirmSellerDelivery(t))
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/confirmItems", nil)
	assert.Equal(t, "application/json", s.last().Header.Get("Content-Type"))
	requireJSONEqual(t, string(fixture(t, "confirm_items_request.json")), s.last().Body)
	assert.Equal(t, &ConfirmItemsResult{Code: 200, Data: json.RawMessage(`[]`)}, res)
}

func TestConfirmResultsDecodeLeniently(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]ConfirmItemsResult{
		`{"code":"200","data":[{"item_id":1}]}`: {Code: 200, Data: json.RawMessage(`[{"item_id":1}]`)},
		`{"code":"OK","data":{"x":1}}`:          {Code: 0, Data: json.RawMessage(`{"x":1}`)},
		`{"code":null,"data":null}`:             {Data: json.RawMessage(`null`)},
	} {
		var got ConfirmItemsResult
		require.NoError(t, json.Unmarshal([]byte(body), &got), body)
		assert.Equal(t, want, got, body)
	}
	var d ConfirmDeliveryResult
	require.NoError(t, json.Unmarshal([]byte(`{"order_code":20939384}`), &d))
	assert.Equal(t, ConfirmDeliveryResult{OrderCode: "20939384"}, d)
}

func TestOrdersConfirmItemsTikiDelivery(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))

	// Tiki delivery needs neither a commitment time nor a tracking number.
	req := ordConfirmSellerDelivery(t)
	req.FulfillmentType = FulfillmentTikiDelivery
	req.DeliveryCommitmentTime = Time{}
	_, _, err := c.V1.Orders.ConfirmItems(context.Background(), req)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/confirmItems", nil)
	requireJSONEqual(t, string(fixture(t, "confirm_items_request_tiki_delivery.json")), s.last().Body)
}

func TestOrdersConfirmItemsCrossBorder(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))

	req := ordConfirmSellerDelivery(t)
	req.FulfillmentType = FulfillmentCrossBorder
	req.DeliveryCommitmentTime = Time{}
	req.TrackingNumber = "419060832"
	_, _, err := c.V1.Orders.ConfirmItems(context.Background(), req)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/confirmItems", nil)
	requireJSONEqual(t, `{"order_code":"419060832","warehouse_code":"sg","seller_inventory_id":882,
		"item_ids":[94792486,94792487],"tracking_number":"419060832"}`, s.last().Body)
}

func TestOrdersConfirmItemsFromOrder(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))

	var order OrderV1
	require.NoError(t, json.Unmarshal(fixture(t, "order_detail.json"), &order))
	req := order.ConfirmItemsRequest()
	assert.Equal(t, ConfirmItemsRequest{OrderCode: "929231617", FulfillmentType: FulfillmentDropship}, req)
	req.ItemIDs = order.ItemIDs()
	req.WarehouseCode, req.SellerInventoryID = "hn", 919
	_, _, err := c.V1.Orders.ConfirmItems(context.Background(), req)
	require.NoError(t, err)
	requireJSONEqual(t, `{"order_code":"929231617","warehouse_code":"hn","seller_inventory_id":919,"item_ids":[25203463]}`, s.last().Body)

	var nilOrder *OrderV1
	assert.Equal(t, ConfirmItemsRequest{}, nilOrder.ConfirmItemsRequest())
	assert.Nil(t, nilOrder.ItemIDs())
}

func TestOrdersConfirmItemsRules(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		edit func(r *ConfirmItemsRequest)
		want []FieldProblem
	}{
		"seller delivery without commitment time": {
			func(r *ConfirmItemsRequest) { r.DeliveryCommitmentTime = Time{} },
			[]FieldProblem{{"delivery_commitment_time", "is required for seller-delivery orders"}},
		},
		"cross border without tracking number": {
			func(r *ConfirmItemsRequest) { r.FulfillmentType, r.TrackingNumber = FulfillmentCrossBorder, " " },
			[]FieldProblem{{"tracking_number", "is required for cross-border orders"}},
		},
		"fulfillment type not stated": {
			func(r *ConfirmItemsRequest) { r.FulfillmentType = "" },
			[]FieldProblem{{"fulfillment_type", "is empty, and it decides which of Tiki's rules apply (it is not sent): " +
				"build the request with OrderV1.ConfirmItemsRequest from an order read with Get or List"}},
		},
		"unknown fulfillment type": {
			func(r *ConfirmItemsRequest) { r.FulfillmentType = "seller-delivery" },
			[]FieldProblem{unknownValue[FulfillmentType]("fulfillment_type", "seller-delivery")},
		},
		"empty item list is not a rejection": {
			func(r *ConfirmItemsRequest) { r.ItemIDs = []int64{} },
			[]FieldProblem{{"item_ids", "must list at least one item: to reject every item use RejectAllItems"}},
		},
		"nil item list is not a rejection": {
			func(r *ConfirmItemsRequest) { r.ItemIDs = nil },
			[]FieldProblem{{"item_ids", "must list at least one item: to reject every item use RejectAllItems"}},
		},
		"bad and repeated ids": {
			func(r *ConfirmItemsRequest) { r.ItemIDs = []int64{0, 5, 5, -1} },
			[]FieldProblem{{"item_ids[0]", "must be a positive id"}, {"item_ids[2]", "repeats item 5"}, {"item_ids[3]", "must be a positive id"}},
		},
		"no warehouse": {
			func(r *ConfirmItemsRequest) { r.WarehouseCode, r.SellerInventoryID = "", 0 },
			[]FieldProblem{{"warehouse_code", "is required"}, {"seller_inventory_id", "must be a positive id"}},
		},
		"no order code": {
			func(r *ConfirmItemsRequest) { r.OrderCode = "" },
			[]FieldProblem{{"order_code", "is required"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			req := ordConfirmSellerDelivery(t)
			tc.edit(&req)
			res, resp, err := c.V1.Orders.ConfirmItems(context.Background(), req)
			assert.Nil(t, res)
			assert.Nil(t, resp)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestOrdersConfirmItemsOtherTypesNeedNeither(t *testing.T) {
	t.Parallel()
	// The passing side of the two rules for types they do not cover,
	// including a type the SDK does not know.
	for _, ft := range []FulfillmentType{FulfillmentDropship, FulfillmentTikiDelivery, "instant_delivery"} {
		c, s := setup(t)
		s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))
		req := ordConfirmSellerDelivery(t)
		req.FulfillmentType, req.DeliveryCommitmentTime = ft, Time{}
		_, _, err := c.V1.Orders.ConfirmItems(context.Background(), req)
		require.NoError(t, err, ft)
		assert.Equal(t, 1, s.count())
	}
}

func TestOrdersRejectAllItems(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmItems", 200, fixture(t, "confirm_items_response.json"))

	res, _, err := c.V1.Orders.RejectAllItems(context.Background(), RejectAllItemsRequest{OrderCode: "419060832", WarehouseCode: "sg", SellerInventoryID: 882})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/confirmItems", nil)
	requireJSONEqual(t, `{"order_code":"419060832","warehouse_code":"sg","seller_inventory_id":882,"item_ids":[]}`, s.last().Body)
	assert.Contains(t, s.last().Body, `"item_ids":[]`, "an empty list, never null")
	assert.Equal(t, 200, res.Code)
}

func TestOrdersRejectAllItemsInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V1.Orders.RejectAllItems(context.Background(), RejectAllItemsRequest{SellerInventoryID: -2})
	requireRefused(t, err, s,
		FieldProblem{"order_code", "is required"},
		FieldProblem{"warehouse_code", "is required"},
		FieldProblem{"seller_inventory_id", "must be a positive id"},
	)
}

func TestOrdersConfirmDelivery(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmDelivery", 200, fixture(t, "confirm_delivery_response.json"))

	res, _, err := c.V1.Orders.ConfirmDelivery(context.Background(), ConfirmDeliveryRequest{
		OrderCode: "20939384", Status: ConfirmDeliveryCanceled, Reason: CancelReasonCustomerNoLongerInDemand,
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/confirmDelivery", nil)
	requireJSONEqual(t, string(fixture(t, "confirm_delivery_request.json")), s.last().Body)
	assert.Equal(t, &ConfirmDeliveryResult{OrderCode: "20939384"}, res)
}

func TestOrdersConfirmDeliveryEveryField(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/orders/confirmDelivery", 200, fixture(t, "confirm_delivery_response.json"))

	// Successful delivery with three documents (the maximum); and a
	// cancellation with a free-text reason.
	_, _, err := c.V1.Orders.ConfirmDelivery(context.Background(), ConfirmDeliveryRequest{
		OrderCode:       "20939384",
		Status:          ConfirmDeliverySuccessful,
		AppointmentDate: vnTime(t, "2019-06-22 18:12:17"),
		DocumentURLs:    []string{"https://a.example/1.png", "https://a.example/2.png", "http://a.example/3.png"},
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"order_code":"20939384","status":"successful_delivery","appointment_date":"2019-06-22 18:12:17",
		"document_urls":["https://a.example/1.png","https://a.example/2.png","http://a.example/3.png"]}`, s.last().Body)

	_, _, err = c.V1.Orders.ConfirmDelivery(context.Background(), ConfirmDeliveryRequest{
		OrderCode: "20939384", Status: ConfirmDeliveryCanceled, Reason: "Could not be reached",
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"order_code":"20939384","status":"canceled","reason":"Could not be reached"}`, s.last().Body)
	assert.Equal(t, 2, s.count())
}

func TestOrdersConfirmDeliveryRules(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		req  ConfirmDeliveryRequest
		want []FieldProblem
	}{
		"unknown status": {
			ConfirmDeliveryRequest{OrderCode: "1", Status: "complete"},
			[]FieldProblem{unknownValue[ConfirmDeliveryStatus]("status", "complete")},
		},
		"reason without cancellation": {
			ConfirmDeliveryRequest{OrderCode: "1", Status: ConfirmDeliverySuccessful, Reason: CancelReasonSellerOutOfStock},
			[]FieldProblem{{"reason", `is only sent with status "canceled"`}},
		},
		"four documents": {
			ConfirmDeliveryRequest{OrderCode: "1", Status: ConfirmDeliveryCanceled,
				DocumentURLs: []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4"}},
			[]FieldProblem{{"document_urls", "must hold at most 3 URLs"}},
		},
		"relative or broken URLs": {
			ConfirmDeliveryRequest{OrderCode: "1", Status: ConfirmDeliveryCanceled, DocumentURLs: []string{"/doc.png", "ftp://a/b", "http://%zz"}},
			[]FieldProblem{
				{"document_urls[0]", "must be an absolute http(s) URL"},
				{"document_urls[1]", "must be an absolute http(s) URL"},
				{"document_urls[2]", "must be an absolute http(s) URL"},
			},
		},
		"nothing": {
			ConfirmDeliveryRequest{},
			[]FieldProblem{{"order_code", "is required"}, missingValue[ConfirmDeliveryStatus]("status")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.V1.Orders.ConfirmDelivery(context.Background(), tc.req)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestOrdersUpdateDeliveryStatus(t *testing.T) {
	t.Parallel()
	// The document's example sends a status text that is none of the
	// statuses Tiki lists: the client allows it explicitly.
	c, s := setup(t, WithEnumValues[DeliveryStatus]("ready for delivery"))
	s.respond(http.MethodPost, "/v1/orders/updateDeliveryStatus", 200, fixture(t, "update_delivery_status_response.json"))

	// The document's example, status text and empty payload as written.
	res, _, err := c.V1.Orders.UpdateDeliveryStatus(context.Background(), UpdateDeliveryStatusRequest{
		OrderCode:  "327965376-5vHl1b",
		Status:     "ready for delivery",
		UpdateTime: vnTime(t, "2019-11-23 23:59:59"),
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders/updateDeliveryStatus", nil)
	requireJSONEqual(t, string(fixture(t, "update_delivery_status_request.json")), s.last().Body)
	assert.Equal(t, &UpdateDeliveryStatusResult{Message: "success"}, res)

	_, _, err = c.V1.Orders.UpdateDeliveryStatus(context.Background(), UpdateDeliveryStatusRequest{
		OrderCode: "401734337", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2020-11-23 23:59:59"), Payload: `{"carrier":"GHN"}`,
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"order_code":"401734337","status":"on_delivery","update_time":"2020-11-23 23:59:59","payload":"{\"carrier\":\"GHN\"}"}`, s.last().Body)
}

func TestOrdersUpdateDeliveryStatusInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V1.Orders.UpdateDeliveryStatus(context.Background(), UpdateDeliveryStatusRequest{})
	requireRefused(t, err, s,
		FieldProblem{"order_code", "is required"},
		missingValue[DeliveryStatus]("status"),
		FieldProblem{"update_time", "is required"},
	)
	// Without WithEnumValues, the document's example text is not a status
	// the SDK knows.
	_, _, err = c.V1.Orders.UpdateDeliveryStatus(context.Background(), UpdateDeliveryStatusRequest{
		OrderCode: "1", Status: "ready for delivery", UpdateTime: vnTime(t, "2019-11-23 23:59:59"),
	})
	requireRefused(t, err, s, unknownValue[DeliveryStatus]("status", "ready for delivery"))
}

func TestOrdersPrintLabel(t *testing.T) {
	t.Parallel()
	const shippingURL = "http://uat.tikicdn.com/ts/print/1b/67/52/d54614ae10e18b2112c38845641a693d.html"
	const invoiceURL = "https://guat.tikicdn.com/ts/print/12/34/5d/669d74d1da850e337aeefdaf9aa9cef9.html"
	cases := map[string]struct {
		opts  *PrintLabelOptions
		body  []byte
		query map[string][]string
		want  *OrderLabelV1
	}{
		"shipping (document: GET /orders/833662058/print)": {
			nil, fixture(t, "print_labels_shipping.json"), nil,
			&OrderLabelV1{URL: shippingURL, ShippingLabelURL: shippingURL},
		},
		"invoice (document: ?label=invoice)": {
			&PrintLabelOptions{Label: LabelInvoice}, fixture(t, "print_labels_invoice.json"), map[string][]string{"label": {"invoice"}},
			&OrderLabelV1{URL: invoiceURL, InvoiceLabelURL: invoiceURL},
		},
		"invoice as pdf": {
			&PrintLabelOptions{Label: LabelInvoice, Format: LabelPDF}, fixture(t, "print_labels_invoice.json"),
			map[string][]string{"label": {"invoice"}, "format": {"pdf"}},
			&OrderLabelV1{URL: invoiceURL, InvoiceLabelURL: invoiceURL},
		},
		"shipping as html": {
			&PrintLabelOptions{Label: LabelShipping, Format: LabelHTML}, fixture(t, "print_labels_shipping.json"),
			map[string][]string{"label": {"shipping"}, "format": {"html"}},
			&OrderLabelV1{URL: shippingURL, ShippingLabelURL: shippingURL},
		},
		"po label": {
			&PrintLabelOptions{Label: LabelPO}, []byte(`{"po_label_url":"https://x.test/po.html"}`), map[string][]string{"label": {"po"}},
			&OrderLabelV1{URL: "https://x.test/po.html", POLabelURL: "https://x.test/po.html"},
		},
		"unknown key ending in _label_url": {
			&PrintLabelOptions{Label: "stamp"}, []byte(`{"stamp_label_url":"https://x.test/s.html","n":1}`), map[string][]string{"label": {"stamp"}},
			&OrderLabelV1{URL: "https://x.test/s.html"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t, WithEnumValues[LabelType]("stamp")) // a label Tiki added later
			s.respond(http.MethodGet, "/v1/orders/833662058/print", 200, tc.body)
			label, _, err := c.V1.Orders.PrintLabel(context.Background(), "833662058", tc.opts)
			require.NoError(t, err)
			requireWire(t, s.last(), http.MethodGet, "/v1/orders/833662058/print", tc.query)
			assert.Equal(t, tc.want, label)
		})
	}
}

func TestOrdersPrintLabelRules(t *testing.T) {
	t.Parallel()
	pdfOnlyInvoice := FieldProblem{"format", `is "pdf", which only the "invoice" label has`}
	cases := map[string]struct {
		code string
		opts *PrintLabelOptions
		want []FieldProblem
	}{
		"pdf shipping label":      {"1", &PrintLabelOptions{Label: LabelShipping, Format: LabelPDF}, []FieldProblem{pdfOnlyInvoice}},
		"pdf default label":       {"1", &PrintLabelOptions{Format: LabelPDF}, []FieldProblem{pdfOnlyInvoice}},
		"pdf po label":            {"1", &PrintLabelOptions{Label: LabelPO, Format: LabelPDF}, []FieldProblem{pdfOnlyInvoice}},
		"unknown format":          {"1", &PrintLabelOptions{Label: LabelInvoice, Format: "png"}, []FieldProblem{unknownValue[LabelFormat]("format", "png")}},
		"unknown label":           {"1", &PrintLabelOptions{Label: "stamp"}, []FieldProblem{unknownValue[LabelType]("label", "stamp")}},
		"no order code":           {"", nil, []FieldProblem{{"order_code", "is required"}}},
		"pdf without order code":  {" ", &PrintLabelOptions{Format: LabelPDF}, []FieldProblem{{"order_code", "is required"}, pdfOnlyInvoice}},
		"uppercase pdf is no pdf": {"1", &PrintLabelOptions{Label: LabelInvoice, Format: "PDF"}, []FieldProblem{unknownValue[LabelFormat]("format", "PDF")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.V1.Orders.PrintLabel(context.Background(), tc.code, tc.opts)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

// ordMockRequest is the request of mock_order_request.json.
func ordMockRequest() MockOrderRequest {
	return MockOrderRequest{
		FulfillmentType: FulfillmentSellerDelivery,
		PaymentMethod:   PaymentCOD,
		Items: []MockOrderItem{
			{ProductName: "Bình giữ nhiệt 500ml", OriginalSKU: "BGN-500", Price: 150000, Qty: 2, InventoryType: InventorySellerBackorder},
			{ProductName: "Túi vải canvas", OriginalSKU: "TVC-01", Price: 45000, Qty: 1, InventoryType: InventorySellerBackorder},
		},
		CouponCode:        "GIAM20K",
		DiscountCoupon:    20000,
		DiscountTikiPoint: 5000,
		Shipping: &ShippingV1{
			Name: "Trần Thị B", Street: "12 Lê Lợi", Ward: "Phường Bến Nghé", City: "Quận 1", Region: "Hồ Chí Minh",
			Country: "VN", Phone: "0901234567", Email: "buyer@example.com",
			EstimateDescription: "Dự kiến giao hàng vào Thứ năm, 23/04/2020", ShippingFee: 15000,
		},
		Tax:  &TaxV1{Code: "0312345678", Name: "Công ty TNHH B", Address: "12 Lê Lợi, Quận 1, Hồ Chí Minh"},
		Note: "Giao giờ hành chính",
	}
}

func TestOrdersCreateMock(t *testing.T) {
	t.Parallel()
	c, s := setup(t) // a custom base URL (like package tikitest) is allowed
	s.respond(http.MethodPost, "/v1/orders", 200, fixture(t, "mock_order_response.json"))

	order, _, err := c.V1.Orders.CreateMock(context.Background(), ordMockRequest())
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v1/orders", nil)
	requireJSONEqual(t, string(fixture(t, "mock_order_request.json")), s.last().Body)

	created := vnTime(t, "2020-04-21 09:15:02")
	item := func(id, productID int64, name, sku, original string, qty int, price Money) OrderItemV1 {
		return OrderItemV1{ID: id, ProductID: productID, ProductName: name, SKU: sku, OriginalSKU: original, Qty: qty, Price: price,
			ConfirmationStatus: ConfirmationWaiting, MustConfirmBeforeAt: vnTime(t, "2020-04-21 12:00:00"), InventoryType: InventorySellerBackorder}
	}
	req := ordMockRequest()
	assert.Equal(t, &OrderV1{
		OrderCode:                "1667",
		CouponCode:               "GIAM20K",
		Status:                   OrderStatusQueueing,
		TotalPriceBeforeDiscount: 345000,
		TotalPriceAfterDiscount:  335000,
		CreatedAt:                created,
		UpdatedAt:                created,
		FulfillmentType:          FulfillmentSellerDelivery,
		Note:                     "Giao giờ hành chính",
		Tax:                      *req.Tax,
		Discount:                 DiscountV1{DiscountAmount: 25000, DiscountCoupon: 20000, DiscountTikiPoint: 5000},
		Shipping:                 *req.Shipping,
		Items: []OrderItemV1{
			item(89601, 4190, "Bình giữ nhiệt 500ml", "175601", "BGN-500", 2, 150000),
			item(89602, 4191, "Túi vải canvas", "175602", "TVC-01", 1, 45000),
		},
		Payment: PaymentV1{Method: PaymentCOD, UpdatedAt: created, Description: "Thanh toán tiền mặt khi nhận hàng"},
	}, order)
}

func TestOrdersCreateMockOnSandbox(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	c := s.client(t, WithSellerKey(testKey), WithEnvironment(Sandbox), WithHTTPClient(s.everyHost()))
	s.handleRoot("POST /integration/v1/orders", status(200, string(fixture(t, "mock_order_response.json"))))
	order, _, err := c.V1.Orders.CreateMock(context.Background(), ordMockRequest())
	require.NoError(t, err)
	assert.Equal(t, "1667", order.OrderCode)
	assert.Equal(t, "api-sandbox.tiki.vn", s.last().Host)
	assert.Equal(t, "/integration/v1/orders", s.last().Path)
	assert.Equal(t, testKey, s.last().Header.Get("tiki-api"))
	requireJSONEqual(t, string(fixture(t, "mock_order_request.json")), s.last().Body)
}

func TestOrdersCreateMockRefusedOnProduction(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	c := s.client(t, WithSellerKey(testKey), WithEnvironment(Production), WithHTTPClient(s.everyHost()))
	order, resp, err := c.V1.Orders.CreateMock(context.Background(), ordMockRequest())
	assert.Nil(t, order)
	assert.Nil(t, resp)
	require.ErrorIs(t, err, ErrSandboxOnly)
	assert.Contains(t, err.Error(), "sandbox")
	assert.Equal(t, 0, s.count())
}

func TestOrdersCreateMockInvalid(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V1.Orders.CreateMock(context.Background(), MockOrderRequest{DiscountCoupon: -1, DiscountTikiPoint: -2})
	requireRefused(t, err, s,
		missingValue[FulfillmentType]("fulfillment_type"),
		missingValue[PaymentMethod]("payment_method"),
		FieldProblem{"items", "must hold at least one item"},
		FieldProblem{"discount_coupon", "must not be negative"},
		FieldProblem{"discount_tiki_point", "must not be negative"},
	)
	req := ordMockRequest()
	req.Items[1] = MockOrderItem{ProductName: " ", Price: 0, Qty: -1}
	_, _, err = c.V1.Orders.CreateMock(context.Background(), req)
	requireRefused(t, err, s,
		FieldProblem{"items[1].product_name", "is required"},
		FieldProblem{"items[1].original_sku", "is required"},
		FieldProblem{"items[1].price", "must be greater than 0"},
		FieldProblem{"items[1].qty", "must be greater than 0"},
		missingValue[InventoryType]("items[1].inventory_type"),
	)
	req = ordMockRequest()
	req.FulfillmentType, req.PaymentMethod, req.Items[0].InventoryType = "drone", "cash", "drop-ship"
	_, _, err = c.V1.Orders.CreateMock(context.Background(), req)
	requireRefused(t, err, s,
		unknownValue[FulfillmentType]("fulfillment_type", "drone"),
		unknownValue[PaymentMethod]("payment_method", "cash"),
		unknownValue[InventoryType]("items[0].inventory_type", "drop-ship"),
	)
}

// TestOrdersPostsNeverResent proves that the non-idempotent order calls are
// sent exactly once when the server may have applied them: a connection cut
// after sending, a 5xx, a client timeout.
func TestOrdersPostsNeverResent(t *testing.T) {
	t.Parallel()
	calls := map[string]func(c *Client) error{
		"ConfirmItems": func(c *Client) error {
			_, _, err := c.V1.Orders.ConfirmItems(context.Background(), ordConfirmSellerDelivery(t))
			return err
		},
		"RejectAllItems": func(c *Client) error {
			_, _, err := c.V1.Orders.RejectAllItems(context.Background(), RejectAllItemsRequest{OrderCode: "1", WarehouseCode: "sg", SellerInventoryID: 882})
			return err
		},
		"ConfirmDelivery": func(c *Client) error {
			_, _, err := c.V1.Orders.ConfirmDelivery(context.Background(), ConfirmDeliveryRequest{OrderCode: "1", Status: ConfirmDeliverySuccessful})
			return err
		},
		"UpdateDeliveryStatus": func(c *Client) error {
			_, _, err := c.V1.Orders.UpdateDeliveryStatus(context.Background(), UpdateDeliveryStatusRequest{OrderCode: "1", Status: DeliveryStatusOnDelivery, UpdateTime: vnTime(t, "2019-11-23 23:59:59")})
			return err
		},
		"CreateMock": func(c *Client) error {
			_, _, err := c.V1.Orders.CreateMock(context.Background(), ordMockRequest())
			return err
		},
	}
	failures := map[string]http.HandlerFunc{
		"connection cut":      hangUp,
		"503":                 status(503, `{"errors":["Service Unavailable"]}`),
		"500":                 status(500, `{"errors":["Internal server error"]}`),
		"timeout after send":  nil, // the client gives up once the server has the request
		"cut in the response": ordHalfBody,
	}
	for callName, call := range calls {
		for failName, handler := range failures {
			t.Run(callName+"/"+failName, func(t *testing.T) {
				t.Parallel()
				var opts []Option
				if handler == nil {
					received := make(chan struct{})
					handler = func(w http.ResponseWriter, r *http.Request) {
						close(received)
						<-r.Context().Done()
					}
					opts = append(opts, WithHTTPClient(&http.Client{Transport: newTimeoutFirstTransport(t, received)}))
				}
				c, s := setup(t, opts...)
				s.handle("/", handler, ok200)
				err := call(c)
				require.Error(t, err)
				var reqErr *RequestError
				var apiErr *APIError
				switch {
				case errors.As(err, &reqErr):
					assert.True(t, reqErr.Sent)
					assert.Equal(t, 1, reqErr.Attempts)
				case errors.As(err, &apiErr):
					assert.Equal(t, 1, apiErr.Attempts)
				default:
					t.Fatalf("unexpected error %T: %v", err, err)
				}
				got := s.requests()
				require.Len(t, got, 1, "sent exactly once")
				assert.NotEmpty(t, got[0].Body)
				assert.Empty(t, s.waits(), "no retry wait")
			})
		}
	}
}

// ordHalfBody promises a longer body than it sends, then closes.
func ordHalfBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "100")
	w.WriteHeader(200)
	io.WriteString(w, `{"code":`)
}

func TestOrdersPostRetriedOn429(t *testing.T) {
	t.Parallel()
	// A 429 means Tiki did not process the call: even a confirmation is
	// retried.
	c, s := setup(t)
	s.handle("POST /v1/orders/confirmItems", status(429, `{"errors":["Too Many Requests"]}`), status(200, string(fixture(t, "confirm_items_response.json"))))
	res, resp, err := c.V1.Orders.ConfirmItems(context.Background(), ordConfirmSellerDelivery(t))
	require.NoError(t, err)
	assert.Equal(t, 200, res.Code)
	assert.Equal(t, 2, resp.Attempts)
	got := s.requests()
	require.Len(t, got, 2)
	for _, g := range got {
		requireJSONEqual(t, string(fixture(t, "confirm_items_request.json")), g.Body)
	}
}

func TestOrdersGetRetriedAfter5xx(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v1/orders/929231617", status(503, ``), status(200, string(fixture(t, "order_detail.json"))))
	order, resp, err := c.V1.Orders.Get(context.Background(), "929231617")
	require.NoError(t, err)
	assert.Equal(t, "929231617", order.OrderCode)
	assert.Equal(t, 2, resp.Attempts)
	require.Equal(t, 2, s.count())
	ua := s.last().Header.Get("User-Agent")
	assert.True(t, strings.HasSuffix(ua, "tiki-go/"+Version), ua)
}

func TestOrderWithoutCodeIsAnError(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	// A reorganised payload (another API version) must not decode into
	// empty orders.
	s.respond(http.MethodGet, "/v1/orders", 200, []byte(`{"data":[{"code":"929231617","invoice":{"grand_total":100000}}],"paging":{"current_page":1,"last_page":1}}`))
	page, _, err := c.V1.Orders.List(context.Background(), nil)
	assert.Nil(t, page)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.ErrorContains(t, err, "order without order_code")
}
