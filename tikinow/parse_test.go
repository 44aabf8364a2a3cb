package tikinow_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

// at is the time s, RFC 3339, as a delivery's Date decodes it.
func at(t *testing.T, s string) tiki.Time {
	t.Helper()
	tm, err := time.ParseInLocation(time.RFC3339, s, tiki.Vietnam())
	require.NoError(t, err)
	return tiki.NewTime(tm)
}

func TestParse(t *testing.T) {
	t.Parallel()
	cases := map[string]tikinow.Event{
		stockFixture: &tikinow.StockEvent{Date: at(t, "2023-05-10T14:32:05+07:00"), SKU: "4833677185901", Warehouse: "sgn",
			QtySalable: 25, SellerProductCode: "YOUR_ORIGINAL_SKU_123", PartnerID: "41235121321"},
		orderFixture: &tikinow.OrderStatusEvent{Date: at(t, "2023-05-10T15:01:44+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", MainState: "canceled", MainSubstate: "seller_canceled", Reason: "Nhà bán hết hàng - hủy đơn hàng.",
			ReasonCode: "seller-out-of-stock-cancel-order",
			ExtraInfo:  &tikinow.OrderExtraInfo{CancelReasonCode: "seller-out-of-stock-cancel-order", CancelReason: "seller out of stock, cancel order"}},
		orderMinFixture: &tikinow.OrderStatusEvent{Date: at(t, "2023-05-10T14:40:12+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", MainState: "processing"},
		aftersaleFixture: &tikinow.AftersaleEvent{Date: at(t, "2023-05-12T09:15:00+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", Status: "processing", Type: tikinow.AftersaleFD},
		aftersaleCRFixture: &tikinow.AftersaleEvent{Date: at(t, "2023-05-13T16:20:45+07:00"), RefCode: "SO-20230510-0002",
			OrderCode: "419060832", Status: "completed", Type: tikinow.AftersaleCR},
	}
	for name, want := range cases {
		got, err := tikinow.Parse(fixture(t, name))
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}

	for _, body := range []string{`{"data":{"event":"something_new","x":1}}`, `{"other":true}`, `{"data":null}`, `{"data":[1]}`, `{"data":"x"}`} {
		got, err := tikinow.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, &tikinow.UnknownEvent{Body: []byte(body)}, got, "%s: kept raw", body)
	}
	for _, body := range []string{``, `[1,2]`, `null`, `"x"`, `{"data":`, `{"data":{"main_state":{}}}`} {
		got, err := tikinow.Parse([]byte(body))
		require.ErrorIs(t, err, webhook.ErrMalformedPayload, body)
		assert.Nil(t, got, body)
	}
}

// TikiNOW may send codes and SKUs as numbers, and quantities as strings:
// they decode as their text, and as the number. A quantity that is null or
// "" is malformed.
func TestParseNumbersAsText(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]tikinow.Event{
		`{"data":{"sku":4833677185901,"warehouse":7,"qty_salable":"25","seller_product_code":123,"partner_id":41235121321}}`: &tikinow.StockEvent{
			SKU: "4833677185901", Warehouse: "7", QtySalable: 25, SellerProductCode: "123", PartnerID: "41235121321"},
		`{"data":{"sku":null,"warehouse":"sgn","qty_salable":0,"seller_product_code":"A","partner_id":"1"}}`: &tikinow.StockEvent{
			Warehouse: "sgn", SellerProductCode: "A", PartnerID: "1"},
		`{"data":{"sku":"A","qty_salable":"1e3"}}`: &tikinow.StockEvent{SKU: "A", QtySalable: 1000},
		`{"data":{"sku":"A","qty_salable":-2.0}}`:  &tikinow.StockEvent{SKU: "A", QtySalable: -2},
		`{"data":{"sku":"A","qty_salable":" 7 "}}`: &tikinow.StockEvent{SKU: "A", QtySalable: 7},
		`{"data":{"sku":"A","qty_salable":"-0"}}`:  &tikinow.StockEvent{SKU: "A"},
		`{"data":{"sku":"A","qty_salable":1e+15}}`: &tikinow.StockEvent{SKU: "A", QtySalable: 1e15},
		`{"data":{"ref_code":20230510,"order_code":929231617,"main_state":"processing","reason_code":12,"extra_info":{"cancel_reason_code":3}}}`: &tikinow.OrderStatusEvent{
			RefCode: "20230510", OrderCode: "929231617", MainState: "processing", ReasonCode: "12", ExtraInfo: &tikinow.OrderExtraInfo{CancelReasonCode: "3"}},
		`{"data":{"ref_code":1.5e3,"order_code":"929231617","status":"completed","type":"cr"}}`: &tikinow.AftersaleEvent{
			RefCode: "1.5e3", OrderCode: "929231617", Status: "completed", Type: tikinow.AftersaleCR},
	} {
		got, err := tikinow.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, got, body)
	}
	for _, body := range []string{
		`{"data":{"sku":true,"qty_salable":1}}`,
		`{"data":{"sku":{},"qty_salable":1}}`,
		`{"data":{"order_code":[1],"main_state":"x"}}`,
		`{"data":{"ref_code":false,"order_code":"1","status":"s","type":"fd"}}`,
		`{"data":{"main_state":"x","extra_info":{"cancel_reason_code":true}}}`,
		`{"data":{"qty_salable":"many"}}`,
		`{"data":{"sku":"A","qty_salable":""}}`,   // a quantity that is not there is not 0
		`{"data":{"sku":"A","qty_salable":null}}`, // nor is one that is null
		`{"data":{"qty_salable":"2.5"}}`,
		`{"data":{"qty_salable":2.5}}`,
		`{"data":{"qty_salable":"0x10"}}`,
		`{"data":{"qty_salable":"0x1p4"}}`,
		`{"data":{"qty_salable":"Inf"}}`,
		`{"data":{"qty_salable":"\"1\""}}`,
		`{"data":{"qty_salable":1e300}}`,
		`{"data":{"qty_salable":true}}`,
		`{"data":{"date":"yesterday","qty_salable":1}}`,
	} {
		_, err := tikinow.Parse([]byte(body))
		assert.ErrorIs(t, err, webhook.ErrMalformedPayload, body)
	}
}
