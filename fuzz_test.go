package tiki

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fuzz targets feed arbitrary bytes to every decoder of Tiki's
// responses and of the request bodies the SDK sends: none may panic, and
// what decodes must survive a round trip. A value that decodes encodes
// without error, the encoding decodes again to the same value, and
// encoding that value gives the same bytes: a response stored as JSON by a
// caller reads back unchanged, and a request body means what was decoded
// from it. The seeds are the documented examples of testdata/.

// roundTrip decodes b as a T. When that fails it reports false; otherwise
// it checks the round trip described above and returns the decoded value.
//
// "The same value" allows what JSON cannot carry or writes in more than
// one way: tiki.Time keeps whole seconds (Tiki's layout has none smaller;
// an event's envelope keeps milliseconds),
// raw JSON is compared as a JSON value, an empty json.Number (not sent)
// equals 0, a nil slice or map equals an empty one (omitempty drops both),
// and a Raw field (the bytes as received) is not compared.
func roundTrip[T any](t *testing.T, b []byte) (T, bool) {
	t.Helper()
	var first T
	if json.Unmarshal(b, &first) != nil {
		return first, false
	}
	checkRoundTrip(t, first)
	return first, true
}

// checkRoundTrip checks that v encodes, decodes back to the same value and
// encodes again to the same bytes.
func checkRoundTrip[T any](t *testing.T, v T) {
	t.Helper()
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T %+v does not encode: %v", v, v, err)
	}
	var back T
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatalf("%T encoded as %s does not decode: %v", v, enc, err)
	}
	if diff := wireDiff(reflect.ValueOf(v), reflect.ValueOf(back), fmt.Sprintf("%T", v)); diff != "" {
		t.Fatalf("%T changed in a round trip through %s: %s", v, enc, diff)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatalf("%T %+v does not encode the second time: %v", back, back, err)
	}
	if !bytes.Equal(enc, again) {
		t.Fatalf("%T encodes as %s, then as %s", v, enc, again)
	}
}

// wireDiff compares a and b as values decoded from JSON (see roundTrip)
// and describes the first difference, or returns "".
func wireDiff(a, b reflect.Value, path string) string {
	if a.IsValid() != b.IsValid() {
		return fmt.Sprintf("%s: %v became %v", path, a, b)
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: %s became %s", path, a.Type(), b.Type())
	}
	switch a.Type() {
	case reflect.TypeFor[Time]():
		ta, tb := a.Interface().(Time), b.Interface().(Time)
		if !ta.Equal(tb.Time) && !ta.Truncate(time.Second).Equal(tb.Time) {
			return fmt.Sprintf("%s: %v became %v", path, ta.Time, tb.Time)
		}
		return ""
	case reflect.TypeFor[time.Time]():
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		if !ta.Equal(tb) {
			return fmt.Sprintf("%s: %v became %v", path, ta, tb)
		}
		return ""
	case reflect.TypeFor[json.RawMessage]():
		if !sameJSON(a.Bytes(), b.Bytes()) {
			return fmt.Sprintf("%s: %s became %s", path, a.Bytes(), b.Bytes())
		}
		return ""
	case reflect.TypeFor[json.Number]():
		na, nb := a.Interface().(json.Number), b.Interface().(json.Number)
		if na == "" {
			na = "0" // what the encoder writes for the zero Number
		}
		if na != nb {
			return fmt.Sprintf("%s: %s became %s", path, na, nb)
		}
		return ""
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return fmt.Sprintf("%s: %v became %v", path, a, b)
			}
			return ""
		}
		return wireDiff(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			f := a.Type().Field(i)
			if !f.IsExported() || f.Name == "Raw" {
				continue
			}
			if d := wireDiff(a.Field(i), b.Field(i), path+"."+f.Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d elements became %d", path, a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := wireDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d keys became %d", path, a.Len(), b.Len())
		}
		iter := a.MapRange()
		for iter.Next() {
			bv := b.MapIndex(iter.Key())
			if !bv.IsValid() {
				return fmt.Sprintf("%s: key %v lost", path, iter.Key())
			}
			if d := wireDiff(iter.Value(), bv, fmt.Sprintf("%s[%v]", path, iter.Key())); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		return fmt.Sprintf("%s: %#v became %#v", path, a.Interface(), b.Interface())
	}
	return ""
}

// sameJSON reports whether a and b are the same JSON value, however
// written (white space, escapes, key order); numbers are compared as
// written. Nil and empty raw JSON count as null (what the encoder writes
// for them).
func sameJSON(a, b []byte) bool {
	va, errA := decodeAny(a)
	vb, errB := decodeAny(b)
	if errA != nil || errB != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

func decodeAny(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// fuzzSeeds adds every testdata fixture (in dir, relative to testdata)
// whose name starts with one of the prefixes as a seed.
func fuzzSeeds(f *testing.F, dir string, prefixes ...string) {
	f.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Name(), p) && strings.HasSuffix(e.Name(), ".json") {
				f.Add(fixture(f, filepath.Join(dir, e.Name())))
				break
			}
		}
	}
}

// FuzzTime: a Time encodes in Tiki's layout, which decodes to the same
// instant to the second, and its String parses back to it.
func FuzzTime(f *testing.F) {
	for _, s := range []string{`"2021-03-19 15:45:47"`, `"2020-12-24T06:45:29.174Z"`, `""`, `null`, `1616143547`,
		`1616143547123`, `"2021-03-19"`, `"2023-05-10T14:32:05+07:00"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, ok := roundTrip[Time](t, b)
		if !ok || tm.IsZero() {
			return
		}
		parsed, err := ParseTime(tm.String())
		if err != nil {
			t.Fatalf("ParseTime(%q) of %s: %v", tm.String(), b, err)
		}
		if !parsed.Equal(tm.Truncate(time.Second)) {
			t.Fatalf("%s: String %q parses as %v", b, tm.String(), parsed.Time)
		}
	})
}

// FuzzFlexScalars: the scalars Tiki sends in more than one form (numbers
// as strings, booleans as 0/1, amounts as decimals) encode in one form that
// decodes to the same value.
func FuzzFlexScalars(f *testing.F) {
	for _, s := range []string{`"0"`, `1`, `"1"`, `12.0`, `null`, `""`, `true`, `"false"`, `[]`, `"1e400"`,
		`"409000.00"`, `409000.00`, `4.09e5`, `-1`, `"9223372036854775807"`, `4833677185901`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip[FlexInt](t, b)
		roundTrip[FlexBool](t, b)
		roundTrip[FlexString](t, b)
		roundTrip[ActiveFlag](t, b)
		if m, ok := roundTrip[Money](t, b); ok && m.String() != string(mustMarshal(t, m)) {
			t.Fatalf("Money %s encodes as %s", m, mustMarshal(t, m))
		}
	})
}

// FuzzCatalogDecoders: what the catalog calls decode (categories,
// attributes, values, documents, brands, warehouses) reads back unchanged.
func FuzzCatalogDecoders(f *testing.F) {
	for _, name := range []string{"categories_list.json", "categories_list_v1.json", "category_detail.json", "category_detail_v1.json",
		"category_attributes.json", "attribute_values.json", "required_documents.json", "brands.json", "warehouses_tiki.json",
		"option_labels.json", "category_entity_v1.json", "attribute_entity_v1.json"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var cats list[Category]
		if json.Unmarshal(b, &cats) == nil {
			for _, c := range cats {
				checkRoundTrip(t, c)
			}
		}
		roundTrip[Category](t, b)
		var attrs list[Attribute]
		if json.Unmarshal(b, &attrs) == nil {
			for _, a := range attrs {
				checkRoundTrip(t, a)
			}
		}
		var values Page[AttributeValue]
		if json.Unmarshal(b, &values) == nil {
			for _, v := range values.Data {
				checkRoundTrip(t, v)
			}
		}
		roundTrip[RequiredDocuments](t, b)
		roundTrip[Brand](t, b)
		var whs list[Warehouse]
		if json.Unmarshal(b, &whs) == nil {
			for _, w := range whs {
				checkRoundTrip(t, w)
			}
		}
		var labels list[OptionLabel]
		if json.Unmarshal(b, &labels) == nil {
			for _, l := range labels {
				checkRoundTrip(t, l)
			}
		}
	})
}

// FuzzErrorBody: any error body yields an error with a message, and the
// check for a failure inside a 2xx body holds on anything.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{`{"errors":["a","b"]}`, `{"errors":[{"code":1}]}`, `{"errors":"x"}`,
		`{"success":false,"error":{"status_code":401,"message":"Unauthorized","message_code":"INVALID_TOKEN"},"meta_data":{"request_id":"r"}}`,
		`<html>`, ``, `{"message":"m"}`} {
		f.Add([]byte(s))
	}
	f.Add(fixture(f, "integration_error.json"))
	f.Add(fixture(f, "tikinow_error.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := &APIError{StatusCode: 500, Body: b}
		e.parseErrorBody()
		if e.Error() == "" {
			t.Fatalf("an APIError for %q has no message", b)
		}
		_, _, _ = reportsFailure(b)
	})
}

// FuzzOrderDecoders: the v1 order API's answers decode without panic, an
// order's helpers hold on whatever decoded, and its request bodies
// (confirm items, confirm delivery, delivery status, mock orders) survive a
// round trip.
func FuzzOrderDecoders(f *testing.F) {
	fuzzSeeds(f, ".", "order", "seller", "confirm", "print", "update_delivery", "mock_order")
	f.Fuzz(func(t *testing.T, b []byte) {
		var page Page[OrderV1]
		_ = json.Unmarshal(b, &page)
		var o OrderV1
		if json.Unmarshal(b, &o) == nil {
			_ = o.ItemIDs()
			req := o.ConfirmItemsRequest()
			checkRoundTrip(t, req)
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

		roundTrip[ConfirmItemsRequest](t, b)
		roundTrip[ConfirmDeliveryRequest](t, b)
		roundTrip[UpdateDeliveryStatusRequest](t, b)
		roundTrip[MockOrderRequest](t, b)
	})
}

// FuzzOrderV2Decoders decodes anything as the v2 order API's answers: no
// panic, an order keeps its exact raw form and reads back unchanged from
// its encoding, its helpers hold on whatever decoded, and the bodies of
// the v2 actions survive a round trip.
func FuzzOrderV2Decoders(f *testing.F) {
	fuzzSeeds(f, "orders_v2", "")
	f.Add([]byte(`{"code": "1", "invoice": {"subtotal": "409000.00", "grand_total": 4.09e5}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var page Page[Order]
		if json.Unmarshal(b, &page) == nil {
			for _, o := range page.Data {
				checkRoundTrip(t, o)
			}
		}
		if o, ok := roundTrip[Order](t, b); ok {
			if o.Code == "" {
				t.Fatal("an order decoded without its code")
			}
			if !bytes.Equal(bytes.TrimSpace(o.Raw), bytes.TrimSpace(b)) {
				t.Fatalf("Raw %q is not the input %q", o.Raw, b)
			}
			_ = o.NeedsConfirmation()
			_ = o.WaitingItemIDs()
		}
		roundTrip[Money](t, b)
		if invs, ok := roundTrip[SellerInventories](t, b); ok {
			_ = invs.For("sgn")
		}
		roundTrip[PickupSlots](t, b)
		var label OrderLabel
		if json.Unmarshal(b, &label) == nil && label.URL() == "" {
			t.Fatal("a label decoded without a link")
		}
		var res ActionResult
		if res.decodeBody(b) == nil {
			_ = res.reportsError()
		}

		roundTrip[ConfirmAvailableRequest](t, b)
		roundTrip[DropshipConfirmRequest](t, b)
		roundTrip[SellerDeliveryUpdate](t, b)
		roundTrip[ShipmentUpdate](t, b)
		roundTrip[RejectAllItemsRequest](t, b)
	})
}

// FuzzProductBodies: the bodies of product calls (new products, updates of
// one product or of a batch, product information, webhook registration)
// survive a round trip, so that what a caller builds is what goes over the
// wire.
func FuzzProductBodies(f *testing.F) {
	fuzzSeeds(f, ".", "product_request_create_", "product_update_", "products_update_skus_", "product_request_update_info_request",
		"tikinow_register_webhooks_request")
	f.Add([]byte(`{"product_id":1,"active":"1","warehouse_quantities":[{"warehouse_id":903,"qty_available":4}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		roundTrip[NewProduct](t, b)
		roundTrip[ProductUpdate](t, b)
		roundTrip[ProductUpdateV1](t, b)
		roundTrip[ProductUpdateV2](t, b)
		roundTrip[ProductInfoUpdate](t, b)
		var batch struct {
			Data []BatchUpdateItem `json:"data"`
		}
		if json.Unmarshal(b, &batch) == nil {
			checkRoundTrip(t, batch)
		}
		var batchV2 struct {
			Data []BatchUpdateItemV2 `json:"data"`
		}
		if json.Unmarshal(b, &batchV2) == nil {
			checkRoundTrip(t, batchV2)
		}
		roundTrip[RegisterWebhooksRequest](t, b)
	})
}

// FuzzEvents: an event of the queue re-encodes as Tiki sent it, and one
// built from its fields decodes back to them; typed events read back
// unchanged from their encoding.
func FuzzEvents(f *testing.F) {
	fuzzSeeds(f, "events", "")
	f.Add([]byte(`{"id":7,"sid":"abc","type":"ORDER_CREATED_SUCCESSFULLY","version":"v1","created_at":"1700000000000","payload":{"order_code":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if batch, ok := roundTrip[EventBatch](t, b); ok {
			for _, e := range batch.Events {
				checkEvent(t, e)
			}
		}
		if e, ok := roundTrip[Event](t, b); ok {
			checkEvent(t, e)
		}
	})
}

// checkEvent checks that e, rebuilt from its fields alone, encodes to what
// decodes to the same fields, and that its typed form encodes as the event
// Tiki sent.
func checkEvent(t *testing.T, e Event) {
	t.Helper()
	if typed, err := e.Decode(); err == nil {
		if !sameJSON(mustMarshal(t, typed), e.Raw) {
			t.Fatalf("%T encodes as %s, not as the event received %s", typed, mustMarshal(t, typed), e.Raw)
		}
	}
	if e.err != nil {
		return
	}
	built := e
	built.Raw = nil
	enc := mustMarshal(t, built)
	var back Event
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatalf("event built as %+v encodes as %s, which does not decode: %v", built, enc, err)
	}
	back.Raw = nil
	if built.CreatedAt.IsZero() != back.CreatedAt.IsZero() || !built.CreatedAt.Truncate(time.Millisecond).Equal(back.CreatedAt.Time) {
		t.Fatalf("created_at %v encoded as %s decodes as %v", built.CreatedAt, enc, back.CreatedAt)
	}
	built.CreatedAt, back.CreatedAt = Time{}, Time{}
	if d := wireDiff(reflect.ValueOf(built), reflect.ValueOf(back), "Event"); d != "" || back.err != nil {
		t.Fatalf("event built as %+v encodes as %s: %s %v", built, enc, d, back.err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T does not encode: %v", v, err)
	}
	return b
}
