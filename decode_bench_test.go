package tiki

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tikisdk/tiki/internal/cputime"
)

// The decoding benchmarks measure the CPU and allocations of turning a
// 2xx body into the SDK's types, without any HTTP: a page of 100 products
// (the documented v2.1 list row of testdata/products_list_v21.json, ids
// made distinct) decoded as the client decodes it, the same bytes decoded
// into plain structs without custom decoders (the comparator), one product
// with everything included as Get decodes it, and each tolerant scalar on
// its own.
// Run: go test -run='^$' -bench=BenchmarkDecode -benchmem -count=10 .

// productsPageBody returns a v2.1 products page of n copies of the
// documented row, with distinct ids and SKUs.
func productsPageBody(tb testing.TB, n int) []byte {
	tb.Helper()
	var doc struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(fixture(tb, "products_list_v21.json"), &doc); err != nil {
		tb.Fatal(err)
	}
	rows := make([]map[string]any, n)
	for i := range rows {
		row := make(map[string]any, len(doc.Data[0]))
		for k, v := range doc.Data[0] {
			row[k] = v
		}
		row["product_id"] = 2088336 + i
		row["original_sku"] = fmt.Sprintf("SKU-%d", i)
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

// plainProduct is the documented row in plain Go types, decoded by
// encoding/json alone: what the same bytes cost without tolerance.
type plainProduct struct {
	ProductID   int64  `json:"product_id"`
	SKU         string `json:"sku"`
	OriginalSKU string `json:"original_sku"`
	Name        string `json:"name"`
	MasterID    int64  `json:"master_id"`
	MasterSKU   string `json:"master_sku"`
	SuperID     int64  `json:"super_id"`
	SuperSKU    string `json:"super_sku"`
	EntityType  string `json:"entity_type"`
	Type        string `json:"type"`
	Price       int64  `json:"price"`
	MarketPrice int64  `json:"market_price"`
	Version     int    `json:"version"`
	IsHidden    bool   `json:"is_hidden"`
	CreatedAt   string `json:"created_at"`
	CreatedBy   string `json:"created_by"`
	UpdatedAt   string `json:"updated_at"`
	Thumbnail   string `json:"thumbnail"`
	Images      []struct {
		ID       int64  `json:"id"`
		URL      string `json:"url"`
		Path     string `json:"path"`
		Position int    `json:"position"`
		Width    int    `json:"width"`
		Height   int    `json:"height"`
	} `json:"images"`
	Categories []struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		URLKey    string `json:"url_key"`
		IsPrimary bool   `json:"is_primary"`
	} `json:"categories"`
	Inventory *struct {
		InventoryType   string `json:"inventory_type"`
		FulfillmentType string `json:"fulfillment_type"`
		WarehouseStocks []struct {
			WarehouseID       int64 `json:"warehouse_id"`
			Quantity          int   `json:"quantity"`
			QuantityAvailable int   `json:"quantity_available"`
			QuantitySellable  int   `json:"quantity_sellable"`
			QuantityReserved  int   `json:"quantity_reserved"`
		} `json:"warehouse_stocks"`
	} `json:"inventory"`
}

func BenchmarkDecodeProductsPage(b *testing.B) {
	body := productsPageBody(b, 100)
	b.Run("sdk", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer reportCPU(b, cputime.Process())
		for range b.N {
			// As the client decodes a page of products (productRows).
			var w Page[productWire]
			err := w.decodeBody(body)
			p, _, err := productRows(&w, nil, err)
			if err != nil || len(p.Data) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		defer reportCPU(b, cputime.Process())
		for range b.N {
			var p struct {
				Data   []plainProduct `json:"data"`
				Paging Paging         `json:"paging"`
			}
			if err := json.Unmarshal(body, &p); err != nil || len(p.Data) != 100 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeProductDetail decodes one product with everything
// included (testdata/product_get_v21.json: seller, inventory, images and 53
// attributes with their specifications) as the client decodes Get's
// answer.
func BenchmarkDecodeProductDetail(b *testing.B) {
	body := fixture(b, "product_get_v21.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer reportCPU(b, cputime.Process())
	for range b.N {
		var p Product
		if err := json.Unmarshal(body, &p); err != nil || len(p.Specifications) != 2 {
			b.Fatal(err)
		}
	}
}

// reportCPU reports the process's CPU time per operation since start, as
// cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
}

func BenchmarkDecodeScalars(b *testing.B) {
	type decoder interface{ UnmarshalJSON([]byte) error }
	for _, tc := range []struct {
		name string
		in   string
		new  func() decoder
	}{
		{"Time", `"2019-12-09 15:25:36"`, func() decoder { return new(Time) }},
		{"TimeRFC3339", `"2020-12-24T06:45:29.174Z"`, func() decoder { return new(Time) }},
		{"TimeUnix", `1616143547`, func() decoder { return new(Time) }},
		{"FlexInt", `20000`, func() decoder { return new(FlexInt) }},
		{"FlexIntString", `"20000"`, func() decoder { return new(FlexInt) }},
		{"FlexBool", `"1"`, func() decoder { return new(FlexBool) }},
		{"FlexString", `"YOUR_ORIGINAL_SKU_123"`, func() decoder { return new(FlexString) }},
		{"FlexStringEscaped", `"Đi\u1ec7n tho\u1ea1i \"x\""`, func() decoder { return new(FlexString) }},
		{"FlexStringNumber", `4833677185901`, func() decoder { return new(FlexString) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			in := []byte(tc.in)
			d := tc.new()
			b.ReportAllocs()
			for range b.N {
				if err := d.UnmarshalJSON(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
