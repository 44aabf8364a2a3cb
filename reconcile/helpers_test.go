package reconcile_test

import (
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// The shared helpers of the package's tests.

// Seller warehouses of the fake (tikitest's seller_warehouses.json): 919
// and 902 supply Tiki's hn warehouse, 903 sgn, 905 ct.
const (
	whHN  int64 = 919
	whSGN int64 = 903
	whHN2 int64 = 902
	whCT  int64 = 905
)

// warehouses are the Options.Warehouses of the tests' engines.
var warehouses = []int64{whHN, whSGN, whHN2}

// fake is a fake Tiki with a client that records what it sends.
type fake struct {
	srv    *tikitest.Server
	client *tiki.Client
	wire   *recorder
}

// newFake starts a fake Tiki and a client of it without a rate limit and
// with short retry waits; opts come last.
func newFake(t *testing.T, opts ...tiki.Option) *fake {
	t.Helper()
	srv := tikitest.NewServer(t, tikitest.WithApprovalDelay(0))
	rec := &recorder{next: http.DefaultTransport}
	base := []tiki.Option{
		tiki.WithHTTPClient(&http.Client{Transport: rec}),
		tiki.WithRateLimit(0, 0),
		tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond),
	}
	client, err := srv.Client(append(base, opts...)...)
	require.NoError(t, err)
	return &fake{srv: srv, client: client, wire: rec}
}

// product is a product to list on the fake.
type product struct {
	sku       string
	price     tiki.Money
	stock     map[int64]int
	inventory tiki.InventoryType
}

// seed lists products on the fake (market price twice the price: Tiki
// accepts prices from a tenth of it to all of it) and returns their ids by
// SKU.
func (f *fake) seed(t *testing.T, products ...product) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	for _, p := range products {
		v := tiki.Variant{SKU: p.sku, Price: p.price, InventoryType: p.inventory}
		var whs []string
		for wh, q := range p.stock {
			whs = append(whs, itoa(wh))
			v.WarehouseStocks = append(v.WarehouseStocks, tiki.WarehouseStock{WarehouseID: wh, QtyAvailable: q})
		}
		v.SellerWarehouse = strings.Join(whs, ",")
		out, err := f.srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: "Sách " + p.sku, Description: "<p>Sách</p>", MarketPrice: 2 * p.price,
			Attributes: map[string]any{"brand": "NXB Trẻ"}, Image: "https://example.com/" + p.sku + ".jpg",
			Images: []string{}, OptionAttributes: []string{}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{v},
		})
		require.NoError(t, err)
		ids[p.sku] = out[0].ProductID
	}
	return ids
}

// stock returns a product's quantity available per warehouse on the fake.
func (f *fake) stock(t *testing.T, sku string) map[int64]int {
	t.Helper()
	levels, err := f.srv.Stock(sku)
	require.NoError(t, err)
	out := map[int64]int{}
	for _, l := range levels {
		out[l.Warehouse] = l.Available
	}
	return out
}

// price returns a product's price on the fake.
func (f *fake) price(t *testing.T, sku string) tiki.Money {
	t.Helper()
	p, ok := f.srv.Product(sku)
	require.True(t, ok, "no product %s", sku)
	return p.Price
}

// order places an order of today's order API for qty units of sku, routed
// to Tiki's hn warehouse, and returns its code.
func (f *fake) order(t *testing.T, sku string, qty int) string {
	t.Helper()
	o, err := f.srv.CreateOrder(tikitest.OrderSpec{TikiWarehouse: "hn",
		Items: []tikitest.OrderItemSpec{{SellerProductCode: sku, Quantity: qty}}})
	require.NoError(t, err)
	return o.Code
}

// engine returns an engine of the fake's client; opts.Warehouses defaults
// to warehouses.
func (f *fake) engine(t *testing.T, opts reconcile.Options) *reconcile.Engine {
	t.Helper()
	if opts.Warehouses == nil {
		opts.Warehouses = warehouses
	}
	e, err := reconcile.New(f.client, opts)
	require.NoError(t, err)
	return e
}

// books iterates over items, as a snapshot of the books.
func books(items ...reconcile.Item) iter.Seq2[reconcile.Item, error] {
	return func(yield func(reconcile.Item, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ptr[T any](v T) *T { return &v }

// recorder is a transport that records every request the client sends.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent []sentRequest
}

// sentRequest is one request as it went over the wire.
type sentRequest struct {
	method, path string
	body         []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.sent = append(r.sent, sentRequest{method: req.Method, path: req.URL.Path, body: body})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// reset forgets the requests recorded so far.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = nil
}

// count returns how many requests were sent to a path ending in suffix.
func (r *recorder) count(suffix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.sent {
		if strings.HasSuffix(s.path, suffix) {
			n++
		}
	}
	return n
}

// total returns how many requests were sent.
func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// batchItem is one item of a batch update, as sent.
type batchItem struct {
	ProductID           int64                    `json:"product_id"`
	OriginalSKU         string                   `json:"original_sku"`
	Price               int64                    `json:"price"`
	Status              int                      `json:"status"`
	WarehouseQuantities []tiki.WarehouseQuantity `json:"warehouse_quantities"`
}

// updates returns the items of every batch update sent, call by call.
func (r *recorder) updates(t *testing.T) [][]batchItem {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]batchItem
	for _, s := range r.sent {
		if s.method != http.MethodPut || !strings.HasSuffix(s.path, "/v2.1/products/updateSkus") {
			continue
		}
		var body struct {
			Data []batchItem `json:"data"`
		}
		require.NoError(t, json.Unmarshal(s.body, &body))
		out = append(out, body.Data)
	}
	return out
}

// lines returns a report's lines as "sku status field warehouse
// before->after", for comparisons.
func lines(r *reconcile.Report) []string {
	var out []string
	for _, l := range r.Lines {
		s := l.SKU + " " + string(l.Status)
		if l.Field != "" {
			s += " " + string(l.Field)
		}
		if l.Warehouse != 0 {
			s += " " + itoa(l.Warehouse)
		}
		if l.Field != "" {
			s += " " + itoa(l.Before) + "->" + itoa(l.After)
		}
		if l.Reason != "" {
			s += " " + string(l.Reason)
		}
		if l.Drift {
			s += " drift"
		}
		out = append(out, s)
	}
	return out
}
