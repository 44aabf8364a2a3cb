package tiki

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wantFieldTablesOrder is testdata/orders_v2/order_from_field_tables.json,
// decoded by hand.
func wantFieldTablesOrder(t *testing.T) Order {
	return Order{
		Code:              "745467462",
		RelationCode:      "896493516",
		FulfillmentType:   FulfillmentCrossBorder,
		Status:            OrderStatusComplete,
		HasBackorderItems: true,
		CreatedAt:         vnTime(t, "2020-08-10 18:50:17"),
		UpdatedAt:         vnTime(t, "2020-08-18 11:10:02"),
		Invoice: OrderInvoice{
			ItemsCount: 1, ItemsQuantity: 1, Subtotal: 409000, DiscountAmount: 428000, DiscountTikiXu: 428000,
			ShippingAmountAfterDiscount: 19000, TotalSellerIncome: 409000,
			PurchasedAt: vnTime(t, "2020-08-10 18:50:17"),
			TaxInfo:     &TaxInfo{Code: "370281****", Address: "Số 30 Hoàng Hoa Thám", CompanyName: "CONG TY TNHH ABC MEDIA"},
		},
		TikiWarehouse: TikiWarehouseInfo{ID: 17, Name: "Ha Noi 4", Code: "hn4"},
		Items: []OrderItem{{
			ID: 156453540,
			Product: OrderItemProduct{
				ID: 102566546, Type: "simple", MasterID: 102566545, SKU: "9243568016837", Name: "Sách Tiếng Việt",
				CatalogGroupName: "Sách Tiếng Việt", InventoryType: InventoryBackorder, IMEIs: []string{}, SerialNumbers: []string{},
				Thumbnail: "https://salt.tikicdn.com/cache/280x280/ts/product/example.jpg",
			},
			Invoice: OrderItemInvoice{
				Price: 409000, Quantity: 1, Subtotal: 409000, DiscountAmount: 428000, DiscountTikiXu: 428000,
				SellerIncome: 409000,
				Fees: []OrderItemFee{{ID: 189434047, FeeTypeKey: "pickup_fee", FeeTypeName: "Phí lấy hàng", Status: 1, Quantity: 1,
					BaseAmount: 5, TotalAmount: -5500, FinalAmount: -5500}},
			},
			Seller: OrderItemSeller{ID: 46262, Name: "Organicfood"},
			Confirmation: ItemConfirmation{
				Status:              ConfirmationSellerConfirmed,
				ConfirmedAt:         vnTime(t, "2020-05-16 08:33:35"),
				AvailableConfirmSLA: vnTime(t, "2020-05-16 12:00:00"),
				PickupConfirmSLA:    vnTime(t, "2020-05-16 16:00:00"),
				Histories: []ConfirmationHistory{{OrderItemID: 156453540, Status: ConfirmationWaiting,
					SLAConfirmedAt: vnTime(t, "2020-08-11 12:00:00")}},
			},
			InventoryRequisition: &InventoryRequisition{ID: 14933766, Code: "HN4/BOP/20/08/253202", SellerInventoryID: 2389,
				Status: "done", PickupMethod: "cross_border", WarehouseCode: "hn4", CreatedAt: vnTime(t, "2020-08-10 18:50:18")},
			InventoryWithdrawals: []InventoryWithdrawal{{ID: 1453443, Status: "waiting_for_picking"}},
		}},
		Shipping: ShippingInfo{
			PartnerID: "2", PartnerName: "GHN", TrackingCode: "31416789187639", Status: "Delivered",
			Plan: ShippingPlan{ID: 1, Name: "Giao hàng tiêu chuẩn", PromisedDeliveryDate: vnTime(t, "2020-08-24 23:59:59"),
				Description: "Giao vào Thứ hai, 24/08"},
			Address: ShippingAddress{FullName: "NGUYỄN THỊ Z", Street: "13 Nguyen Duc Canh", Ward: "Đình Xuyên",
				WardTikiCode: "VN034005007", District: "Gia Lâm", DistrictTikiCode: "VN034005", Region: "Hà Nội",
				RegionTikiCode: "VN034", Country: "Việt Nam", CountryID: "VN", Email: "example@mail.com", Phone: "0123111111"},
		},
		Payment: PaymentInfo{Method: PaymentCOD, Status: "success", Description: "Thanh toán tiền mặt khi nhận hàng"},
		Delivery: DeliveryConfirmation{DeliveryConfirmed: true, DeliveryConfirmedAt: vnTime(t, "2020-08-10 15:37:32"),
			DeliveryNote: "Order TKB.RRSIIRQ3 BookingID 4283 has been delivered", DeliveryConfirmation: json.RawMessage("[]")},
		Customer:        CustomerInfo{ID: 969444, FullName: "Trương Bình T"},
		InstallmentInfo: &InstallmentInfo{InstallmentFee: 240000, Month: 12, MonthlyPay: 390833},
		CancelInfo: &CancelInfo{ReasonCode: "2034", ReasonText: "Thời gian giao hàng quá lâu/sớm",
			CanceledAt: vnTime(t, "2020-06-16 23:59:43")},
		RMAInfo: &RMAInfo{ID: 603055, WarehouseID: 16, OriginalOrderCode: "789783969", ExchangedOrderCode: "745467462",
			Status: "Hoàn thành", CreatedAt: vnTime(t, "2020-06-09")},
		StatusHistories: []StatusHistory{{ID: 1105187480, Status: OrderStatusSuccessfulDelivery, CreatedAt: vnTime(t, "2020-08-18 11:10:02")}},
		SellerWarehouse: &OrderSellerWarehouse{ID: 384740, Name: "kho mb", Code: "WH000384740", ContactName: "cuong",
			ContactPhone: "+84337056362", Street: "Giao tự", WarehouseType: "pickup", RegionCode: "VN034", RegionName: "Hà Nội",
			DistrictCode: "VN034005", DistrictName: "Huyện Gia Lâm", WardCode: "VN034005014", WardName: "Xã Kim Sơn",
			CountryCode: "vn", Active: true},
	}
}

func TestOrdersGetDecodesEveryDocumentedField(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "orders_v2/order_from_field_tables.json")
	s.respond(http.MethodGet, "/v2/orders/745467462", 200, body)

	order, resp, err := c.Orders.Get(context.Background(), "745467462",
		&OrderGetOptions{Include: []OrderInclude{IncludeStatusHistories, IncludeItemFees, IncludeItemConfirmationHistories}})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders/745467462",
		map[string][]string{"include": {"status_histories,item.fees,item.confirmation_histories"}})
	assert.Equal(t, 200, resp.StatusCode)
	want := wantFieldTablesOrder(t)
	want.Store = json.RawMessage(`{
        "id": 46262,
        "name": "Organicfood"
    }`)
	requireOrder(t, want, *order, body)
	assert.Contains(t, string(order.Raw), `"main_state": "complete"`, "undocumented fields are kept in Raw")
}

func TestOrdersGetWithoutInclude(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "orders_v2/order_simplified_dropship.json")
	s.respond(http.MethodGet, "/v2/orders/613795703", 200, body)
	order, _, err := c.Orders.Get(context.Background(), "613795703", nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders/613795703", nil)
	requireOrder(t, simplifiedOrder(t, FulfillmentDropship), *order, body)
	assert.True(t, order.NeedsConfirmation())
	assert.Equal(t, []int64{191564100}, order.WaitingItemIDs())
}

func TestOrdersListSendsEveryFilter(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	odf := fixture(t, "orders_v2/order_simplified_tiki_delivery.json")
	ds := fixture(t, "orders_v2/order_simplified_dropship.json")
	page := `{"data": [` + string(odf) + `,` + string(ds) + `], "paging": {"total": 2, "current_page": 1, "from": 1, "to": 2, "per_page": 20, "last_page": 1}}`
	s.respond(http.MethodGet, "/v2/orders", 200, []byte(page))

	p, _, err := c.Orders.List(context.Background(), &OrderListOptions{
		Codes:                  []string{"936734420", "704309977"},
		SKUs:                   []string{"675902566253"},
		Status:                 NotIn(OrderStatusProcessing, OrderStatusWaitingPayment),
		ItemConfirmationStatus: ConfirmationWaiting,
		ItemInventoryType:      In(InventoryBackorder, InventoryPreorder),
		FulfillmentType:        In(FulfillmentDropship),
		IsRMA:                  Ptr(false),
		FilterDateBy:           DateFilterLast7Days,
		CreatedFrom:            vnTime(t, "2020-08-20 15:00:00"),
		CreatedTo:              vnTime(t, "2020-08-21 15:00:00"),
		UpdatedFrom:            NewTime(time.Date(2020, 8, 20, 8, 0, 0, 0, time.UTC)),
		UpdatedTo:              vnTime(t, "2020-08-22 00:00:00"),
		OrderBy:                OrderByUpdatedAtAsc,
		Include:                []OrderInclude{IncludeItemFees},
		ListOptions:            ListOptions{Page: 1, Limit: 50},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders", map[string][]string{
		"code":                     {"936734420,704309977"},
		"sku":                      {"675902566253"},
		"status":                   {"nin|processing,waiting_payment"},
		"item_confirmation_status": {"waiting"},
		"item_inventory_type":      {"in|backorder,preorder"},
		"fulfillment_type":         {"dropship"},
		"is_rma":                   {"false"},
		"filter_date_by":           {"last7days"},
		"created_from_date":        {"2020-08-20 15:00:00"},
		"created_to_date":          {"2020-08-21 15:00:00"},
		"updated_from_date":        {"2020-08-20 15:00:00"},
		"updated_to_date":          {"2020-08-22 00:00:00"},
		"order_by":                 {"updated_at|asc"},
		"include":                  {"item.fees"},
		"page":                     {"1"},
		"limit":                    {"50"},
	})
	require.Len(t, p.Data, 2)
	requireOrder(t, simplifiedOrder(t, FulfillmentTikiDelivery), p.Data[0], odf)
	requireOrder(t, simplifiedOrder(t, FulfillmentDropship), p.Data[1], ds)
	assert.Equal(t, Paging{Total: 2, CurrentPage: 1, From: 1, To: 2, PerPage: 20, LastPage: 1}, p.Paging)
}

func TestOrdersListRefusesBadFilters(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		opts OrderListOptions
		want []FieldProblem
	}{
		"comma in a code": {OrderListOptions{Codes: []string{"1,2"}},
			[]FieldProblem{{Field: "code", Problem: "must be a value without commas, bars or surrounding spaces"}}},
		"empty NotIn": {OrderListOptions{Status: NotIn[OrderStatus]()},
			[]FieldProblem{{Field: "status", Problem: "needs at least one value in NotIn"}}},
		"bar in a status": {OrderListOptions{Status: In(OrderStatus("in|x"), OrderStatusClosed)},
			[]FieldProblem{unknownValue[OrderStatus]("status[0]", "in|x")}},
		"unknown date filter": {OrderListOptions{FilterDateBy: "yesterday"},
			[]FieldProblem{unknownValue[OrderDateFilter]("filter_date_by", "yesterday")}},
		"unknown sort": {OrderListOptions{OrderBy: "code|asc"},
			[]FieldProblem{unknownValue[OrderSort]("order_by", "code|asc")}},
		"range backwards": {OrderListOptions{CreatedFrom: vnTime(t, "2021-01-02 00:00:00"), CreatedTo: vnTime(t, "2021-01-01 00:00:00")},
			[]FieldProblem{{Field: "created_from_date", Problem: "must not be after its end"}}},
		"empty include": {OrderListOptions{Include: []OrderInclude{""}},
			[]FieldProblem{{Field: "include", Problem: "must not be empty"}}},
		"limit": {OrderListOptions{ListOptions: ListOptions{Limit: 101}},
			[]FieldProblem{{Field: "limit", Problem: "must be at most 100"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			_, _, err := c.Orders.List(context.Background(), &tc.opts)
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestOrdersAllWalksPages(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	odf := string(fixture(t, "orders_v2/order_simplified_tiki_delivery.json"))
	s.handle("GET /v2/orders", func(w http.ResponseWriter, r *http.Request) {
		n := r.URL.Query().Get("page")
		status(200, `{"data": [`+strings.Replace(odf, "613795703", "10"+n, 1)+`], "paging": {"current_page": `+n+`, "last_page": 3}}`)(w, r)
	})
	var codes []string
	for o, err := range c.Orders.All(context.Background(), &OrderListOptions{Status: In(OrderStatusQueueing)}) {
		require.NoError(t, err)
		codes = append(codes, o.Code)
	}
	assert.Equal(t, []string{"101", "102", "103"}, codes, "rows in page order")
	var pages []string
	for _, got := range s.requests() {
		pages = append(pages, got.Query["page"][0])
	}
	assert.ElementsMatch(t, []string{"1", "2", "3"}, pages, "each page fetched once")
}

func TestOrdersRefuseOtherShapes(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body string
		want string
	}{
		"a v1 order":                    {string(fixture(t, "order_detail.json")), `expected a v2 order (an object with "code")`},
		"a wrapped order":               {`{"data": {"code": "1"}}`, `expected a v2 order`},
		"an amount with dong fractions": {`{"code": "1", "invoice": {"subtotal": 409000.50}}`, "has a fraction: not a whole number of dong"},
		"an amount as words":            {`{"code": "1", "invoice": {"subtotal": "many"}}`, "is not a number"},
		"not JSON":                      {`<html>`, "invalid character"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodGet, "/v2/orders/1", 200, []byte(tc.body))
			_, _, err := c.Orders.Get(context.Background(), "1", nil)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("typed errors inside", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		s.respond(http.MethodGet, "/v2/orders/1", 200, []byte(`{"code": "1", "items": [{"invoice": {"price": "1.5"}}]}`))
		_, _, err := c.Orders.Get(context.Background(), "1", nil)
		var ae *AmountError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, `"1.5"`, ae.Value)
		s.respond(http.MethodGet, "/v2/orders/2", 200, fixture(t, "order_detail.json"))
		_, _, err = c.Orders.Get(context.Background(), "2", nil)
		var se *ShapeError
		require.ErrorAs(t, err, &se)
	})
}

func TestOrdersKeepUnknownEnumValues(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := `{"code": "1", "status": "teleported", "fulfillment_type": "drone", "items": [{"id": 1, "confirmation": {"status": "pondering"}}]}`
	s.respond(http.MethodGet, "/v2/orders/1", 200, []byte(body))
	o, _, err := c.Orders.Get(context.Background(), "1", nil)
	require.NoError(t, err)
	assert.Equal(t, OrderStatus("teleported"), o.Status)
	assert.Equal(t, FulfillmentType("drone"), o.FulfillmentType)
	assert.Equal(t, ConfirmationStatus("pondering"), o.Items[0].Confirmation.Status)
	assert.False(t, o.NeedsConfirmation(), "an unknown model has no confirmation endpoint")
}
