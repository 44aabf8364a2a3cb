package tiki

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tikisdk/tiki/internal/cputime"
)

// The order decoding benchmarks measure turning v2 order answers into
// Orders, as the client decodes them: a page of 100 orders (the order of
// testdata/orders_v2/order_from_field_tables.json, which fills every
// documented field, with distinct codes) and that one order as Get
// decodes it.
// Run: go test -run='^$' -bench=BenchmarkDecodeOrder -benchmem -count=10 .

// ordersPageBody returns a v2 orders page of n copies of the documented
// order, with distinct codes.
func ordersPageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	var order map[string]any
	if err := json.Unmarshal(fixture(tb, "orders_v2/order_from_field_tables.json"), &order); err != nil {
		tb.Fatal(err)
	}
	rows := make([]json.RawMessage, n)
	for i := range rows {
		order["code"] = fmt.Sprint(745467462 + i)
		row, err := json.Marshal(order)
		if err != nil {
			tb.Fatal(err)
		}
		rows[i] = row
	}
	body, err := json.Marshal(map[string]any{
		"data":   rows,
		"paging": map[string]int{"total": n, "per_page": n, "current_page": 1, "last_page": 1, "from": 1, "to": n},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

func BenchmarkDecodeOrdersPage(b *testing.B) {
	body := ordersPageBody(b, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	for range b.N {
		// As the client decodes Orders.List's answer (a bodyDecoder).
		var p Page[Order]
		if err := p.decodeBody(body); err != nil || len(p.Data) != 100 || p.Data[99].Items[0].Invoice.Price == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOrderDetail decodes the documented order as the client
// decodes Orders.Get's answer.
func BenchmarkDecodeOrderDetail(b *testing.B) {
	body := fixture(b, "orders_v2/order_from_field_tables.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	for range b.N {
		var o Order
		if err := json.Unmarshal(body, &o); err != nil || o.Code == "" {
			b.Fatal(err)
		}
	}
}
