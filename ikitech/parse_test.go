package ikitech_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

func wantProduct() ikitech.Product {
	created := vnTime("2023-05-01 10:30:00", 2023, 5, 1, 10, 30, 0)
	return ikitech.Product{
		ID:                     1021,
		Name:                   "Áo thun cotton nam",
		NameStrFilter:          "ao-thun-cotton-nam",
		SKU:                    "ATN-001",
		Description:            "<p>Áo thun 100% cotton</p>",
		VideoURL:               "https://cdn.example.vn/videos/atn-001.mp4",
		Stars:                  4.5,
		CountStars:             12,
		View:                   3456,
		Sold:                   78,
		Likes:                  90,
		ContentForCollaborator: "Hoa hồng 10% cho mỗi đơn",
		Price:                  150000,
		MinPrice:               140000,
		MaxPrice:               160000.5,
		ImportPrice:            90000,
		DefaultPrice:           150000,
		Weight:                 250.5,
		QuantityInStock:        200,
		PercentCollaborator:    10.5,
		Barcode:                "8934567890123",
		Status:                 ikitech.ProductStatusVisible,
		CheckInventory:         true,
		SEOTitle:               "Áo thun cotton nam giá tốt",
		SEODescription:         "Mua áo thun cotton nam chính hãng",
		PointForAgency:         5,
		IsMedicine:             false,
		CreatedAt:              created,
		UpdatedAt: ikitech.Time{
			Time: time.Date(2023, 5, 2, 3, 30, 0, 0, time.UTC),
			Raw:  "2023-05-02T03:30:00.000000Z",
		},
		Distributes: []ikitech.Distribute{{
			ID:                       31,
			ProductID:                1021,
			Name:                     "Màu sắc",
			SubElementDistributeName: "Kích thước",
			CreatedAt:                created,
			UpdatedAt:                vnTime("2023-05-01 10:31:00", 2023, 5, 1, 10, 31, 0),
			ElementDistributes: []ikitech.ElementDistribute{
				{
					ID:              301,
					ProductID:       1021,
					Name:            "Đỏ",
					ImageURL:        "https://cdn.example.vn/images/atn-001-do.jpg",
					Price:           150000,
					Position:        1,
					DefaultPrice:    150000,
					ImportPrice:     90000,
					Barcode:         "8934567890124",
					SKU:             "ATN-001-DO",
					QuantityInStock: 120,
					CreatedAt:       created,
					UpdatedAt:       vnTime("2023-05-01 10:32:00", 2023, 5, 1, 10, 32, 0),
					SubElementDistributes: []json.RawMessage{
						json.RawMessage(`{"id": 3001, "name": "M", "price": 150000, "quantity_in_stock": 60}`),
						json.RawMessage(`{"id": 3002, "name": "L", "price": 155000, "quantity_in_stock": 60}`),
					},
				},
				{
					ID:                    302,
					ProductID:             1021,
					Name:                  "Xanh",
					ImageURL:              "",
					Price:                 160000.5,
					Position:              2,
					DefaultPrice:          160000,
					ImportPrice:           95000,
					Barcode:               "",
					SKU:                   "",
					QuantityInStock:       80,
					CreatedAt:             created,
					UpdatedAt:             vnTime("2023-05-01 10:33:00", 2023, 5, 1, 10, 33, 0),
					SubElementDistributes: []json.RawMessage{},
				},
			},
		}},
		Attributes: []ikitech.Attribute{
			{Name: "Chất liệu", Value: "Cotton", ID: 7},
			{Name: "Xuất xứ", Value: "Việt Nam", ID: 8},
		},
		Images: []ikitech.Image{
			{ImageURL: "https://cdn.example.vn/images/atn-001-1.jpg"},
			{ImageURL: "https://cdn.example.vn/images/atn-001-2.jpg"},
		},
	}
}

func wantOrder() ikitech.Order {
	return ikitech.Order{
		ID:                      5501,
		CustomerID:              880,
		Logged:                  true,
		PhoneNumber:             "0912345678",
		PointsAwardedToCustomer: 30,
		OrderCode:               "DH230501ABCD",
		OrderStatus:             0,
		PaymentStatus:           0,
		PaymentMethodID:         ikitech.PaymentMethodCOD,
		PartnerShipperID:        ikitech.ShipperPartnerGHN,
		ShipperType:             ikitech.ShipperTypeExpress,
		ShipDiscountAmount:      10000,
		TotalShippingFee:        30000,
		VAT:                     15000,
		COD:                     335000,
		TotalBeforeDiscount:     320000,
		BonusPointsAmountUsed:   20,
		IsUsePoints:             true,
		IsOrderForCustomer:      false,
		ComboDiscountAmount:     5000,
		ProductDiscountAmount:   7000,
		VoucherDiscountAmount:   8000,
		TotalAfterDiscount:      300000,
		Discount:                2000,
		TotalFinal:              335000,
		CustomerName:            "Nguyễn Văn An",
		CustomerProvince:        79,
		CustomerProvinceName:    "Thành phố Hồ Chí Minh",
		CustomerDistrict:        760,
		CustomerDistrictName:    "Quận 1",
		CustomerWards:           26734,
		CustomerWardsName:       "Phường Bến Nghé",
		CustomerEmail:           "an.nguyen@example.vn",
		CustomerPhone:           "0987654321",
		CustomerAddressDetail:   "12 Lê Lợi",
		CustomerNote:            "Giao giờ hành chính",
		RemainingAmount:         335000,
		PackageWeight:           500,
		PackageLength:           30,
		PackageWidth:            20,
		PackageHeight:           10.5,
		DescriptionShipper:      "Hàng dễ vỡ",
		CreatedAt:               vnTime("2023-05-01 14:00:00", 2023, 5, 1, 14, 0, 0),
		UpdatedAt:               vnTime("2023-05-01 14:05:00", 2023, 5, 1, 14, 5, 0),
		LineItemsAtTime: []ikitech.LineItem{
			{
				ID:                          1,
				Quantity:                    2,
				Name:                        "Áo thun cotton nam",
				ImageURL:                    "https://cdn.example.vn/images/atn-001-1.jpg",
				ItemPrice:                   150000,
				PriceBeforeOverride:         140000,
				MainPrice:                   0,
				BeforeDiscountPrice:         155000,
				BeforeDiscountPriceOverride: 145000,
				AfterDiscount:               150000,
				AfterDiscountOverride:       140000,
				DistributesSelected: []ikitech.SelectedDistribute{
					{Name: "Màu sắc", Value: "Đỏ"},
					{Name: "Kích thước", Value: "M"},
				},
				MoneyAmountCollaborator: 15000,
				IsBonus:                 false,
				Note:                    "Gói quà",
			},
			{
				ID:                          2,
				Quantity:                    1,
				Name:                        "Tất cổ ngắn",
				ImageURL:                    "https://cdn.example.vn/images/tat.jpg",
				ItemPrice:                   0,
				PriceBeforeOverride:         0,
				MainPrice:                   20000,
				BeforeDiscountPrice:         20000,
				BeforeDiscountPriceOverride: 20000,
				AfterDiscount:               0,
				AfterDiscountOverride:       0,
				DistributesSelected:         []ikitech.SelectedDistribute{},
				MoneyAmountCollaborator:     0,
				IsBonus:                     true,
				Note:                        "",
			},
		},
		PartnerShipperName: "Giao Hàng Trực Tiếp",
		Customer: &ikitech.Customer{
			ID:                        880,
			AreaCode:                  "+84",
			PhoneNumber:               "0912345678",
			Email:                     "an.nguyen@example.vn",
			ReferralPhoneNumber:       "",
			Name:                      "Nguyễn Văn An",
			NameStrFilter:             "nguyen-van-an",
			DateOfBirth:               vnTime("1990-12-31", 1990, 12, 31, 0, 0, 0),
			AvatarImage:               "",
			Points:                    120,
			Sex:                       ikitech.SexMale,
			Debt:                      0,
			IsCollaborator:            false,
			IsAgency:                  false,
			IsSale:                    false,
			Province:                  79,
			District:                  760,
			Wards:                     26734,
			ProvinceName:              "Thành phố Hồ Chí Minh",
			DistrictName:              "Quận 1",
			WardsName:                 "Phường Bến Nghé",
			AddressDetail:             "12 Lê Lợi",
			CreatedAt:                 vnTime("2022-01-15 08:00:00", 2022, 1, 15, 8, 0, 0),
			UpdatedAt:                 vnTime("2023-05-01 14:00:00", 2023, 5, 1, 14, 0, 0),
			TotalReferrals:            0,
			TotalFinalWithoutRefund:   1335000,
			TotalFinalAllStatus:       1500000,
			TotalAfterDiscountNoBonus: 1300000,
		},
	}
}

func wantCustomer() ikitech.Customer {
	return ikitech.Customer{
		ID:                        881,
		AreaCode:                  "+84",
		PhoneNumber:               "0901234567",
		Email:                     "binh.tran@example.vn",
		ReferralPhoneNumber:       "0912345678",
		Name:                      "Trần Thị Bình",
		NameStrFilter:             "tran-thi-binh",
		DateOfBirth:               vnTime("1995-07-20 00:00:00", 1995, 7, 20, 0, 0, 0),
		AvatarImage:               "https://cdn.example.vn/avatars/881.jpg",
		Points:                    50,
		Sex:                       ikitech.SexFemale,
		Debt:                      125000.5,
		IsCollaborator:            true,
		IsAgency:                  true,
		IsSale:                    true,
		Province:                  1,
		District:                  1,
		Wards:                     4,
		ProvinceName:              "Thành phố Hà Nội",
		DistrictName:              "Quận Ba Đình",
		WardsName:                 "Phường Phúc Xá",
		AddressDetail:             "5 Phó Đức Chính",
		CreatedAt:                 vnTime("2023-05-03 09:15:00", 2023, 5, 3, 9, 15, 0),
		UpdatedAt:                 vnTime("2023-05-03 09:16:30", 2023, 5, 3, 9, 16, 30),
		TotalReferrals:            3,
		TotalFinalWithoutRefund:   2500000,
		TotalFinalAllStatus:       2750000.25,
		TotalAfterDiscountNoBonus: 2400000,
	}
}

// compactJSON removes insignificant space, as json.RawMessage values are
// compared byte for byte.
func compactJSON(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	require.NoError(t, enc.Encode(raw))
	return json.RawMessage(strings.TrimSpace(b.String()))
}

func TestParseProduct(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ikitech.ProductEvent](t, "new_product.json")
	assert.Equal(t, ikitech.EventNewProduct, ev.EventType())
	assert.Equal(t, ikitech.EventNewProduct, ev.Type)
	assert.JSONEq(t, string(fixtureData(t, "new_product.json")), string(ev.Data))

	got := ev.Product
	for i := range got.Distributes[0].ElementDistributes[0].SubElementDistributes {
		sub := &got.Distributes[0].ElementDistributes[0].SubElementDistributes[i]
		*sub = compactJSON(t, *sub)
	}
	want := wantProduct()
	for i := range want.Distributes[0].ElementDistributes[0].SubElementDistributes {
		sub := &want.Distributes[0].ElementDistributes[0].SubElementDistributes[i]
		*sub = compactJSON(t, *sub)
	}
	assert.Equal(t, want, got)
	assert.True(t, got.Status.Visible())
}

func TestParseUpdateProduct(t *testing.T) {
	t.Parallel()

	body := strings.Replace(string(fixture(t, "new_product.json")), "NEW_PRODUCT", "UPDATE_PRODUCT", 1)
	ev, err := ikitech.Parse([]byte(body))
	require.NoError(t, err)
	pe, ok := ev.(*ikitech.ProductEvent)
	require.True(t, ok)
	assert.Equal(t, ikitech.EventUpdateProduct, pe.EventType())
	assert.Equal(t, wantProduct().Name, pe.Product.Name)
	assert.Equal(t, wantProduct().Distributes[0].ElementDistributes[1], pe.Product.Distributes[0].ElementDistributes[1])
}

func TestParseOrder(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ikitech.OrderEvent](t, "new_order.json")
	assert.Equal(t, ikitech.EventNewOrder, ev.EventType())
	assert.JSONEq(t, string(fixtureData(t, "new_order.json")), string(ev.Data))
	assert.Equal(t, wantOrder(), ev.Order)

	body := strings.Replace(string(fixture(t, "new_order.json")), "NEW_ORDER", "UPDATE_ORDER", 1)
	up, err := ikitech.Parse([]byte(body))
	require.NoError(t, err)
	require.IsType(t, &ikitech.OrderEvent{}, up)
	assert.Equal(t, ikitech.EventUpdateOrder, up.EventType())
	assert.Equal(t, wantOrder(), up.(*ikitech.OrderEvent).Order)
}

func TestParseCustomer(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ikitech.CustomerEvent](t, "new_customer.json")
	assert.Equal(t, ikitech.EventNewCustomer, ev.EventType())
	assert.JSONEq(t, string(fixtureData(t, "new_customer.json")), string(ev.Data))
	assert.Equal(t, wantCustomer(), ev.Customer)

	body := strings.Replace(string(fixture(t, "new_customer.json")), "NEW_CUSTOMER", "UPDATE_CUSTOMER", 1)
	up, err := ikitech.Parse([]byte(body))
	require.NoError(t, err)
	require.IsType(t, &ikitech.CustomerEvent{}, up)
	assert.Equal(t, ikitech.EventUpdateCustomer, up.EventType())
	assert.Equal(t, wantCustomer(), up.(*ikitech.CustomerEvent).Customer)
}

func TestParseDeletes(t *testing.T) {
	t.Parallel()

	product := parseAs[*ikitech.ProductDeleteEvent](t, "delete_product.json")
	assert.Equal(t, ikitech.EventDeleteProduct, product.EventType())
	assert.Equal(t, "Áo thun cotton nam", product.Name)
	assert.JSONEq(t, `{"name": "Áo thun cotton nam"}`, string(product.Data))

	order := parseAs[*ikitech.OrderDeleteEvent](t, "delete_order.json")
	assert.Equal(t, ikitech.EventDeleteOrder, order.EventType())
	assert.Equal(t, "DH230501ABCD", order.OrderCode)
	assert.JSONEq(t, `{"order_code": "DH230501ABCD"}`, string(order.Data))

	customer := parseAs[*ikitech.CustomerDeleteEvent](t, "delete_customer.json")
	assert.Equal(t, ikitech.EventDeleteCustomer, customer.EventType())
	assert.Equal(t, "0901234567", customer.PhoneNumber)
	assert.JSONEq(t, `{"phone_number": "0901234567"}`, string(customer.Data))
}

func TestParseUnknownTypeKeepsData(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ikitech.UnknownEvent](t, "unknown_type.json")
	assert.Equal(t, ikitech.EventType("NEW_VOUCHER"), ev.EventType())
	assert.False(t, ev.EventType().Known())
	assert.JSONEq(t, `{"code": "SALE10", "value": 10}`, string(ev.Data))

	for _, body := range []string{`{}`, `{"data": [1, 2]}`, `{"type": "new_order", "data": {"id": "x"}}`} {
		ev, err := ikitech.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.IsType(t, &ikitech.UnknownEvent{}, ev, body)
	}
}

func TestParseKnownTypeWithoutData(t *testing.T) {
	t.Parallel()

	for _, body := range []string{`{"type": "NEW_ORDER"}`, `{"type": "NEW_ORDER", "data": null}`} {
		ev, err := ikitech.Parse([]byte(body))
		require.NoError(t, err, body)
		require.IsType(t, &ikitech.OrderEvent{}, ev, body)
		assert.Equal(t, ikitech.Order{}, ev.(*ikitech.OrderEvent).Order, body)
	}
}

func TestParseLenientValues(t *testing.T) {
	t.Parallel()

	ev := parseAs[*ikitech.OrderEvent](t, "lenient_order.json")
	assert.Equal(t, ikitech.EventUpdateOrder, ev.EventType())
	want := ikitech.Order{
		ID:                      5502,
		CustomerID:              0,
		Logged:                  false,
		PhoneNumber:             "",
		PointsAwardedToCustomer: 0,
		OrderCode:               "DH230502EFGH",
		OrderStatus:             3,
		PaymentStatus:           1,
		PaymentMethodID:         ikitech.PaymentMethodEWallet,
		PartnerShipperID:        ikitech.ShipperPartnerViettelPost,
		ShipperType:             ikitech.ShipperTypeStandard,
		ShipDiscountAmount:      0,
		TotalShippingFee:        25000,
		VAT:                     0,
		COD:                     0,
		TotalBeforeDiscount:     150000,
		BonusPointsAmountUsed:   0,
		IsUsePoints:             false,
		IsOrderForCustomer:      true,
		ComboDiscountAmount:     1000,
		ProductDiscountAmount:   0,
		VoucherDiscountAmount:   0,
		TotalAfterDiscount:      150000,
		Discount:                0,
		TotalFinal:              175000.75,
		CustomerName:            "Khách lẻ",
		CustomerProvince:        48,
		CustomerProvinceName:    "Thành phố Đà Nẵng",
		CustomerDistrict:        490,
		CustomerDistrictName:    "Quận Hải Châu",
		CustomerWards:           20194,
		CustomerWardsName:       "Phường Thạch Thang",
		CustomerEmail:           "",
		CustomerPhone:           "0935000111",
		CustomerAddressDetail:   "1 Bạch Đằng",
		CustomerNote:            "",
		RemainingAmount:         175000.75,
		PackageWeight:           1000,
		PackageLength:           10,
		PackageWidth:            10,
		PackageHeight:           10,
		DescriptionShipper:      "",
		CreatedAt:               ikitech.Time{Time: time.Date(2023, 5, 2, 0, 0, 0, 0, time.UTC), Raw: "2023-05-02T00:00:00Z"},
		UpdatedAt:               ikitech.Time{Raw: "0000-00-00 00:00:00"},
		LineItemsAtTime: []ikitech.LineItem{{
			ID:                  9,
			Quantity:            3,
			Name:                "Nón lá",
			ItemPrice:           50000,
			MainPrice:           50000,
			BeforeDiscountPrice: 50000,
			AfterDiscount:       50000,
		}},
		PartnerShipperName: "VIETTELPOST",
		Customer:           nil,
	}
	assert.Equal(t, want, ev.Order)
	assert.True(t, ev.Order.UpdatedAt.IsZero(), "an unparseable time is zero")
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()

	tests := map[string]string{
		"empty":              ``,
		"blank":              "  \n",
		"not JSON":           `type=NEW_ORDER`,
		"truncated":          `{"type": "NEW_ORDER", "data": {"id": 1`,
		"null":               `null`,
		"array":              `[{"type": "NEW_ORDER"}]`,
		"string":             `"NEW_ORDER"`,
		"type not a string":  `{"type": 1, "data": {}}`,
		"data not an object": `{"type": "NEW_ORDER", "data": "x"}`,
		"garbage number":     `{"type": "NEW_ORDER", "data": {"total_final": "N/A"}}`,
		"fractional int":     `{"type": "NEW_ORDER", "data": {"id": 1.5}}`,
		"int overflow":       `{"type": "NEW_ORDER", "data": {"id": 1e30}}`,
		"float overflow":     `{"type": "NEW_ORDER", "data": {"cod": 1e400}}`,
		"bad bool":           `{"type": "NEW_ORDER", "data": {"logged": "yes"}}`,
		"bad enum":           `{"type": "NEW_ORDER", "data": {"payment_method_id": "cod"}}`,
		"bad nested":         `{"type": "NEW_ORDER", "data": {"line_items_at_time": [{"quantity": {}}]}}`,
		"delete bad name":    `{"type": "DELETE_PRODUCT", "data": {"name": 5}}`,
		"delete bad code":    `{"type": "DELETE_ORDER", "data": []}`,
		"delete bad phone":   `{"type": "DELETE_CUSTOMER", "data": {"phone_number": true}}`,
		"customer bad field": `{"type": "NEW_CUSTOMER", "data": {"sex": "male"}}`,
		"product bad field":  `{"type": "NEW_PRODUCT", "data": {"images": {}}}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev, err := ikitech.Parse([]byte(body))
			require.ErrorIs(t, err, webhook.ErrMalformedPayload)
			assert.Nil(t, ev)
		})
	}
}

// TestParseDocumentedFixtures decodes the repository's fixtures built from
// IKITECH's documentation, one per type (this package's own fixtures hold
// values chosen to tell every field apart).
func TestParseDocumentedFixtures(t *testing.T) {
	t.Parallel()

	tests := map[string]func(t *testing.T, ev ikitech.Event){
		"ikitech_new_product.json": func(t *testing.T, ev ikitech.Event) {
			p := ev.(*ikitech.ProductEvent).Product
			assert.Equal(t, ikitech.Int(1024), p.ID)
			assert.Equal(t, "Áo thun nam cổ tròn", p.Name)
			assert.NotEmpty(t, p.Distributes)
		},
		"ikitech_update_product.json": func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, ikitech.Int(1024), ev.(*ikitech.ProductEvent).Product.ID)
		},
		"ikitech_delete_product.json": func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "Áo thun nam cổ tròn", ev.(*ikitech.ProductDeleteEvent).Name)
		},
		"ikitech_new_order.json": func(t *testing.T, ev ikitech.Event) {
			o := ev.(*ikitech.OrderEvent).Order
			assert.Equal(t, "IKI220315A1B2C3", o.OrderCode)
			assert.Equal(t, vnTime("2022-03-15 10:05:00", 2022, 3, 15, 10, 5, 0), o.CreatedAt)
			assert.NotEmpty(t, o.LineItemsAtTime)
		},
		"ikitech_update_order.json": func(t *testing.T, ev ikitech.Event) {
			o := ev.(*ikitech.OrderEvent).Order
			assert.Equal(t, "IKI220315A1B2C3", o.OrderCode)
			assert.Empty(t, o.PhoneNumber, "null")
		},
		"ikitech_delete_order.json": func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "IKI220315A1B2C3", ev.(*ikitech.OrderDeleteEvent).OrderCode)
		},
		"ikitech_new_customer.json": func(t *testing.T, ev ikitech.Event) {
			c := ev.(*ikitech.CustomerEvent).Customer
			assert.Equal(t, ikitech.Int(3301), c.ID)
			assert.Equal(t, "0987654321", c.ReferralPhoneNumber)
		},
		"ikitech_update_customer.json": func(t *testing.T, ev ikitech.Event) {
			c := ev.(*ikitech.CustomerEvent).Customer
			assert.Equal(t, ikitech.Int(3301), c.ID)
			assert.Empty(t, c.ReferralPhoneNumber, "null")
		},
		"ikitech_delete_customer.json": func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "0912345678", ev.(*ikitech.CustomerDeleteEvent).PhoneNumber)
		},
	}
	for name, check := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := webhooktest.ReadFile(t, "../testdata/"+name)
			ev, err := ikitech.Parse(body)
			require.NoError(t, err)
			want := strings.ToUpper(strings.TrimSuffix(strings.TrimPrefix(name, "ikitech_"), ".json"))
			assert.Equal(t, ikitech.EventType(want), ev.EventType())
			check(t, ev)
		})
	}
}
