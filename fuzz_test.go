package tiki

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary bytes to every decoder of Tiki's
// responses: none may panic, and what decodes must encode again.

func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2021-03-19 15:45:47"`, `"2020-12-24T06:45:29.174Z"`, `""`, `null`, `1616143547`, `"2021-03-19"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tm Time
		if json.Unmarshal(b, &tm) != nil {
			return
		}
		out, err := json.Marshal(tm)
		if err != nil {
			t.Fatalf("marshal %v: %v", tm, err)
		}
		var back Time
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !back.Equal(tm.Truncate(1e9)) && !back.Equal(tm.Time) {
			t.Fatalf("round trip %s -> %s changed the instant", b, out)
		}
	})
}

func FuzzFlexScalars(f *testing.F) {
	for _, s := range []string{`"0"`, `1`, `"1"`, `12.0`, `null`, `""`, `true`, `"false"`, `[]`, `"1e400"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n FlexInt
		_ = json.Unmarshal(b, &n)
		var v FlexBool
		_ = json.Unmarshal(b, &v)
	})
}

func FuzzCatalogDecoders(f *testing.F) {
	for _, name := range []string{"categories_list.json", "categories_list_v1.json", "category_detail.json", "category_detail_v1.json",
		"category_attributes.json", "attribute_values.json", "required_documents.json", "brands.json", "warehouses_tiki.json"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var cats list[Category]
		_ = json.Unmarshal(b, &cats)
		var cat Category
		_ = json.Unmarshal(b, &cat)
		var attrs list[Attribute]
		_ = json.Unmarshal(b, &attrs)
		var values Page[AttributeValue]
		_ = json.Unmarshal(b, &values)
		var docs RequiredDocuments
		_ = json.Unmarshal(b, &docs)
		var whs list[Warehouse]
		_ = json.Unmarshal(b, &whs)
	})
}

func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{`{"errors":["a","b"]}`, `{"errors":[{"code":1}]}`, `{"errors":"x"}`,
		`{"success":false,"error":{"status_code":401,"message":"Unauthorized","message_code":"INVALID_TOKEN"},"meta_data":{"request_id":"r"}}`,
		`<html>`, ``, `{"message":"m"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e := &APIError{StatusCode: 500, Body: b}
		e.parseErrorBody()
		_ = e.Error()
		_, _, _ = reportsFailure(b)
	})
}

// fuzzSeeds adds every testdata fixture whose name starts with one of the
// prefixes as a seed.
func fuzzSeeds(f *testing.F, prefixes ...string) {
	f.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Name(), p) && strings.HasSuffix(e.Name(), ".json") {
				f.Add(fixture(f, e.Name()))
			}
		}
	}
}

func FuzzOrderDecoders(f *testing.F) {
	fuzzSeeds(f, "order", "seller", "confirm", "print", "update_delivery", "mock_order")
	f.Fuzz(func(t *testing.T, b []byte) {
		var page Page[OrderV1]
		_ = json.Unmarshal(b, &page)
		var o OrderV1
		if json.Unmarshal(b, &o) == nil {
			_ = o.ItemIDs()
			_ = o.ConfirmItemsRequest()
			_ = o.Status.Canonical()
		}
		var whs list[SellerWarehouse]
		_ = json.Unmarshal(b, &whs)
		var me SellerInfo
		_ = json.Unmarshal(b, &me)
		var label OrderLabelV1
		_ = json.Unmarshal(b, &label)
		var ci ConfirmItemsResult
		_ = json.Unmarshal(b, &ci)
		var cd ConfirmDeliveryResult
		_ = json.Unmarshal(b, &cd)
		var ud UpdateDeliveryStatusResult
		_ = json.Unmarshal(b, &ud)
	})
}

// FuzzOrderV2Decoders decodes anything as the v2 order API's answers: no
// panic, an order keeps its exact raw form, its helpers hold on whatever
// decoded, and Money survives its own encoding.
func FuzzOrderV2Decoders(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "orders_v2"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(fixture(f, filepath.Join("orders_v2", e.Name())))
		}
	}
	f.Add([]byte(`{"code": "1", "invoice": {"subtotal": "409000.00", "grand_total": 4.09e5}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var page Page[Order]
		_ = json.Unmarshal(b, &page)
		var o Order
		if json.Unmarshal(b, &o) == nil {
			if o.Code == "" {
				t.Fatal("an order decoded without its code")
			}
			if !bytes.Equal(bytes.TrimSpace(o.Raw), bytes.TrimSpace(b)) {
				t.Fatalf("Raw %q is not the input %q", o.Raw, b)
			}
			_ = o.NeedsConfirmation()
			_ = o.WaitingItemIDs()
		}
		var m Money
		if json.Unmarshal(b, &m) == nil {
			enc, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			var back Money
			if err := json.Unmarshal(enc, &back); err != nil || back != m {
				t.Fatalf("Money %d encoded as %s decoded as %d, %v", m, enc, back, err)
			}
		}
		var invs SellerInventories
		if json.Unmarshal(b, &invs) == nil {
			_ = invs.For("sgn")
		}
		var slots PickupSlots
		_ = json.Unmarshal(b, &slots)
		var label OrderLabel
		if json.Unmarshal(b, &label) == nil && label.URL() == "" {
			t.Fatal("a label decoded without a link")
		}
		var res ActionResult
		if res.decodeBody(b) == nil {
			_ = res.reportsError()
		}
	})
}
