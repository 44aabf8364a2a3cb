package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prDecode decodes a fixture into a value of type T.
func prDecode[T any](t *testing.T, name string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(fixture(t, name), &v))
	return v
}

// prWithoutNulls returns the JSON text of b with every null-valued object
// key removed: the documentation treats null and absent alike for unused
// options.
func prWithoutNulls(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	var strip func(any) any
	strip = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, val := range x {
				if val == nil {
					delete(x, k)
					continue
				}
				x[k] = strip(val)
			}
		case []any:
			for i := range x {
				x[i] = strip(x[i])
			}
		}
		return x
	}
	out, err := json.Marshal(strip(v))
	require.NoError(t, err)
	return string(out)
}

var prCreated = &TrackedRequest{TrackID: "c3587ec50976497f837461e0c2ea3da5", State: RequestQueuing}

const prTopFeatures = "White bracelet watch featuring rhinestone-accented bezel and mother-of-pearl dial with sparkling Mickey Mouse designn37-mm metal case with glass dial windownQuartz movement with analog displaynMetal alloy bracelet with jewelry-clasp closurenNot water resistantn"

func TestProductRequestsCreateConfigurable(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2.1/requests", 200, fixture(t, "product_request_create_v21_response.json"))

	p := NewProduct{
		CategoryID:  21458,
		Name:        "Disney Women's MK2106 Mickey Mouse White Bracelet Watch with Rhinestones",
		Description: "this is description",
		MarketPrice: 100000,
		Attributes: map[string]any{
			"bulky": 0, "origin": "american", "brand_origin": "casio", "product_top_features": prTopFeatures,
			"brand": "Disney", "case_diameter": "37 millimeters", "filter_case_diameter": "37 millimeters",
			"band_material": "metal-alloy", "filter_band_material": "metal-alloy",
		},
		Image: "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsL.jpg",
		Images: []string{
			"https://images-na.ssl-images-amazon.com/images/I/6110JInm%2BBL.jpg",
			"https://images-na.ssl-images-amazon.com/images/I/41FuQMh3FUL.jpg",
		},
		OptionAttributes: []string{"size", "color"},
		Variants: []Variant{
			{
				SKU: "B0055QD0EC2", MinCode: 12847234, Price: 99000, Option1: "XL", Option2: "red",
				InventoryType: InventoryCrossBorder, SellerWarehouse: "1054,1233",
				WarehouseStocks: []WarehouseStock{{WarehouseID: 1054, QtyAvailable: 3}, {WarehouseID: 1233, QtyAvailable: 5}},
				Image:           "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsLBY.jpg",
			},
			{
				SKU: "B0055QD0EC3", MinCode: 124723424, Price: 99000, Option1: "L", Option2: "red",
				InventoryType: InventoryCrossBorder, SellerWarehouse: "1054,1233",
				WarehouseStocks: []WarehouseStock{{WarehouseID: 1054, QtyAvailable: 31}, {WarehouseID: 1233, QtyAvailable: 15}},
				Image:           "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsLBX.jpg",
			},
		},
		CertificateFiles: []CertificateFile{
			{URL: "https://i.pinimg.com/236x/16/83/c3/1683c385af85d756f8fab83a93d48063.jpg", Type: CertificateBrand},
			{URL: "https://kenh14cdn.com/2020/7/15/legialinhmeo672472714514751590239205770621637245080975n-15948258251531626115845.jpg", Type: CertificateCategory, DocumentID: 17},
			{URL: "https://i.pinimg.com/236x/16/83/c3/1683c385af85d756f8fab83a93d48063.jpg", Type: CertificateCategory, DocumentID: 18},
		},
		MetaData: &ProductMetaData{IsAutoTurnOn: false},
	}
	rec, resp, err := c.ProductRequests.Create(context.Background(), p)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2.1/requests", nil)
	assert.Equal(t, "application/json", s.last().Header.Get("Content-Type"))
	requireJSONEqual(t, string(fixture(t, "product_request_create_v21_request_configurable.json")), s.last().Body)
	assert.Equal(t, prCreated, rec)
	assert.Equal(t, 1, resp.Attempts)
}

// Every create example of the documentation, decoded into NewProduct and
// sent, goes over the wire unchanged: the types lose nothing.
func TestProductRequestsCreateDocExamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture, path, response string
		create                  func(*Client, NewProduct) (*TrackedRequest, *Response, error)
	}{
		{"product_request_create_v21_request_simple.json", "/v2.1/requests", "product_request_create_v21_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.ProductRequests.Create(context.Background(), p)
			}},
		{"product_request_create_v21_request_configurable.json", "/v2.1/requests", "product_request_create_v21_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.ProductRequests.Create(context.Background(), p)
			}},
		{"product_request_create_v2_request_simple.json", "/v2/requests", "product_request_create_v2_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.V2.ProductRequests.Create(context.Background(), p)
			}},
		{"product_request_create_v2_request_configurable.json", "/v2/requests", "product_request_create_v2_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.V2.ProductRequests.Create(context.Background(), p)
			}},
		{"product_create_v1_request_simple.json", "/v1/products", "product_create_v1_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.V1.ProductRequests.Create(context.Background(), p)
			}},
		{"product_create_v1_request_configurable.json", "/v1/products", "product_create_v1_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.V1.ProductRequests.Create(context.Background(), p)
			}},
		{"product_entity_v1.json", "/v1/products", "product_create_v1_response.json",
			func(c *Client, p NewProduct) (*TrackedRequest, *Response, error) {
				return c.V1.ProductRequests.Create(context.Background(), p)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, tc.path, 200, fixture(t, tc.response))
			p := prDecode[NewProduct](t, tc.fixture)
			rec, _, err := tc.create(c, p)
			require.NoError(t, err)
			requireWire(t, s.last(), http.MethodPost, tc.path, nil)
			requireJSONEqual(t, prWithoutNulls(t, fixture(t, tc.fixture)), s.last().Body)
			// v1 answers trace_id, v2 and v2.1 track_id: the same field.
			assert.Equal(t, prCreated, rec)
			assert.Equal(t, 1, s.count())
		})
	}
}

func TestProductRequestsVariantEntityV1(t *testing.T) {
	t.Parallel()
	v := prDecode[Variant](t, "variant_entity_v1.json")
	assert.Equal(t, Variant{
		SKU: "sku1", Quantity: Ptr(21), Option1: "Black", Price: 10000001, InventoryType: InventoryCrossBorder, Supplier: 239091,
		Image: "https://cdn.fptshop.com.vn/Uploads/Originals/2019/8/8/637008711602926121_SS-note-10-pl-den-1-1.png",
		Images: []string{
			"https://cdn.fptshop.com.vn/Uploads/Originals/2019/8/8/637008619323404785_SS-note-10-pl-den-2.png",
			"https://cdn.fptshop.com.vn/Uploads/Originals/2019/8/8/637008619327294396_SS-note-10-pl-den-4.png",
		},
	}, v)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	requireJSONEqual(t, prWithoutNulls(t, fixture(t, "variant_entity_v1.json")), string(b))
}

func TestProductRequestsEmptyListsAreSentAsEmpty(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(NewProduct{})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, []any{}, m["images"], "images must be [] when nil, never null")
	assert.Equal(t, []any{}, m["option_attributes"], "option_attributes must be [] when nil, never null")
	assert.Equal(t, map[string]any{}, m["attributes"])
	assert.NotContains(t, m, "certificate_files")
	assert.NotContains(t, m, "meta_data")
	assert.NotContains(t, m, "market_price")

	// Through Create, by pointer too.
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2.1/requests", 200, fixture(t, "product_request_create_v21_response.json"))
	p := validNewProduct(apiV21)
	p.Images, p.OptionAttributes = nil, nil
	p.Variants = p.Variants[:1]
	p.Variants[0].Option1, p.Variants[0].Option2 = "", ""
	_, _, err = c.ProductRequests.Create(context.Background(), p)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(s.last().Body), &m))
	assert.Equal(t, []any{}, m["images"])
	assert.Equal(t, []any{}, m["option_attributes"])
	b, err = json.Marshal(&p)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"images":[]`)
	assert.Contains(t, string(b), `"option_attributes":[]`)
}

// The documentation's invalid payloads (sku2 lacks option2 and price) are
// refused before anything is sent, with both problems.
func TestProductRequestsCreateDocInvalidExamples(t *testing.T) {
	t.Parallel()
	want := []FieldProblem{
		{Field: "variants[1].price", Problem: "must be greater than 0"},
		{Field: "variants[1].option2", Problem: "is required: the product declares 2 option attribute(s)"},
	}
	c, s := setup(t)
	ctx := context.Background()
	var ve *ValidationError

	_, _, err := c.ProductRequests.Create(ctx, prDecode[NewProduct](t, "product_request_create_v21_request_invalid.json"))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	_, _, err = c.V2.ProductRequests.Create(ctx, prDecode[NewProduct](t, "product_request_create_v2_request_invalid.json"))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	_, _, err = c.V1.ProductRequests.Create(ctx, prDecode[NewProduct](t, "product_create_v1_request_invalid.json"))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, want, ve.Problems)
	assert.Contains(t, err.Error(), "variants[1].option2 is required")
	assert.Equal(t, 0, s.count())
}

// Tiki's own refusal (422) is an *APIError with its messages.
func TestProductRequestsCreateRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, body string }{
		{"/v2.1/requests", "product_request_create_v21_response_error.json"},
		{"/v2/requests", "product_request_create_v2_response_error.json"},
		{"/v1/products", "product_create_v1_response_error.json"},
	} {
		c, s := setup(t)
		s.respond(http.MethodPost, tc.path, 422, fixture(t, tc.body))
		var err error
		switch tc.path {
		case "/v2.1/requests":
			_, _, err = c.ProductRequests.Create(context.Background(), validNewProduct(apiV21))
		case "/v2/requests":
			_, _, err = c.V2.ProductRequests.Create(context.Background(), validNewProduct(apiV2))
		default:
			_, _, err = c.V1.ProductRequests.Create(context.Background(), validNewProduct(apiV1))
		}
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, tc.path)
		assert.Equal(t, 422, apiErr.StatusCode)
		assert.Equal(t, []string{
			"variants don't match with option_attributes => variants option2 missing",
			"variants should have price > 0",
		}, apiErr.Messages)
		assert.Equal(t, 1, s.count())
	}
}

// Create is a POST: once it may have reached Tiki (a 5xx, a reset
// connection, a timeout), it is never sent again. A 429 means Tiki did not
// take it, so that one is retried.
func TestProductRequestsCreateNeverResent(t *testing.T) {
	t.Parallel()
	created := status(200, string(fixture(t, "product_request_create_v21_response.json")))
	cases := map[string]struct {
		first   http.HandlerFunc
		timeout bool // the client gives up once the server has the request
	}{
		"500":     {first: status(500, `{"errors":["Internal server error"]}`)},
		"502":     {first: status(502, `<html>Bad Gateway</html>`)},
		"503":     {first: status(503, `{"errors":["unavailable"]}`)},
		"504":     {first: status(504, ``)},
		"hang up": {first: hangUp},
		"timeout": {timeout: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			first := tc.first
			var opts []Option
			if tc.timeout {
				received := make(chan struct{})
				first = func(w http.ResponseWriter, r *http.Request) {
					close(received)
					<-r.Context().Done()
				}
				opts = append(opts, WithHTTPClient(&http.Client{Transport: newTimeoutFirstTransport(t, received)}))
			}
			c, s := setup(t, opts...)
			s.handle("POST /v2.1/requests", first, created)
			rec, _, err := c.ProductRequests.Create(context.Background(), validNewProduct(apiV21))
			require.Error(t, err)
			assert.Nil(t, rec)
			assert.Equal(t, 1, s.count(), "a create that may have reached Tiki is sent exactly once")
			assert.Empty(t, s.waits(), "no retry wait")
			var reqErr *RequestError
			if errors.As(err, &reqErr) {
				assert.True(t, reqErr.Sent)
				assert.Equal(t, 1, reqErr.Attempts)
			} else {
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 1, apiErr.Attempts)
			}
		})
	}
	t.Run("429 is retried", func(t *testing.T) {
		t.Parallel()
		c, s := setup(t)
		s.handle("POST /v2.1/requests", status(429, `{"errors":["Too Many Requests"]}`), created)
		rec, resp, err := c.ProductRequests.Create(context.Background(), validNewProduct(apiV21))
		require.NoError(t, err)
		assert.Equal(t, prCreated, rec)
		assert.Equal(t, 2, resp.Attempts)
		got := s.requests()
		require.Len(t, got, 2)
		assert.Equal(t, got[0].Body, got[1].Body)
	})
}

// A 2xx answer to a product-request write without a track id is not a
// success: every version of Create, UpdateInfo and Replay return an
// *UnconfirmedError that says whether Tiki may have processed the request,
// and nothing is sent twice.
func TestProductRequestWritesWithoutTrackIDAreUnconfirmed(t *testing.T) {
	t.Parallel()
	const paused = `{"msg":"Kết nối đang tạm ngưng bởi seller","integration_status":0}`
	answers := map[string]struct {
		body        string
		contentType string
		sent        bool
		says        string
	}{
		"success false":     {`{"success":false,"message":"seller is inactive"}`, "application/json", false, ": seller is inactive; Tiki did not process the request"},
		"errors":            {`{"errors":["variants should have price > 0"]}`, "application/json", false, ": variants should have price > 0; Tiki did not process the request"},
		"empty object":      {`{}`, "application/json", true, ` (body "{}"); Tiki may have processed the request: look it up before sending it again`},
		"state only":        {`{"state":"queuing"}`, "application/json", true, `(body "{\"state\":\"queuing\"}"); Tiki may have processed`},
		"connection paused": {paused, "application/json", false, ": Kết nối đang tạm ngưng bởi seller; Tiki did not process the request"},
		"plain text":        {"Connection paused by the seller", "text/plain", true, `(body "Connection paused by the seller"); Tiki may have processed`},
		"empty track id":    {`{"track_id":"","state":"queuing"}`, "application/json", true, "Tiki may have processed"},
	}
	writes := map[string]struct {
		path string
		call func(c *Client) (*TrackedRequest, error)
	}{
		"Create": {"/v2.1/requests", func(c *Client) (*TrackedRequest, error) {
			r, _, err := c.ProductRequests.Create(context.Background(), validNewProduct(apiV21))
			return r, err
		}},
		"Create v2": {"/v2/requests", func(c *Client) (*TrackedRequest, error) {
			r, _, err := c.V2.ProductRequests.Create(context.Background(), validNewProduct(apiV2))
			return r, err
		}},
		"Create v1": {"/v1/products", func(c *Client) (*TrackedRequest, error) {
			r, _, err := c.V1.ProductRequests.Create(context.Background(), validNewProduct(apiV1))
			return r, err
		}},
		"UpdateInfo": {"/v2/requests/updateProductInfo", func(c *Client) (*TrackedRequest, error) {
			r, _, err := c.ProductRequests.UpdateInfo(context.Background(), ProductInfoUpdate{ProductID: 1, Image: "https://x.test/a.jpg"})
			return r, err
		}},
		"Replay": {"/v2/tracking/t1/replay", func(c *Client) (*TrackedRequest, error) {
			r, _, err := c.Tracking.Replay(context.Background(), "t1")
			return r, err
		}},
	}
	for wname, w := range writes {
		for aname, a := range answers {
			t.Run(wname+"/"+aname, func(t *testing.T) {
				t.Parallel()
				c, s := setup(t)
				s.handle("POST "+w.path, withHeader("Content-Type", a.contentType, status(200, a.body)))
				rec, err := w.call(c)
				assert.Nil(t, rec)
				var ue *UnconfirmedError
				require.ErrorAs(t, err, &ue)
				assert.Equal(t, "track_id", ue.Missing)
				assert.Equal(t, a.sent, ue.Sent)
				assert.Equal(t, 200, ue.StatusCode)
				assert.Equal(t, a.body, string(ue.Body))
				assert.Contains(t, err.Error(), "tiki: POST "+s.URL+apiPath+w.path+": 200 OK answer without a track_id")
				assert.Contains(t, err.Error(), a.says)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, "an *APIError too")
				assert.Equal(t, 1, s.count(), "sent once")
			})
		}
	}
	// The v1 answer's trace_id is its track id.
	c, s := setup(t)
	s.respond(http.MethodPost, "/v1/products", 200, fixture(t, "product_create_v1_response.json"))
	rec, _, err := c.V1.ProductRequests.Create(context.Background(), validNewProduct(apiV1))
	require.NoError(t, err)
	assert.Equal(t, "c3587ec50976497f837461e0c2ea3da5", rec.TrackID)
}

// Each rule of NewProduct: one product that passes, one that is refused
// with exactly the expected problems, and nothing sent when refused.
func TestProductRequestsValidation(t *testing.T) {
	t.Parallel()
	simple := func(p *NewProduct) {
		p.OptionAttributes = nil
		p.Variants = p.Variants[:1]
		p.Variants[0].Option1, p.Variants[0].Option2 = "", ""
	}
	cases := []struct {
		name    string
		version apiVersion
		mutate  func(p *NewProduct)
		want    []FieldProblem
	}{
		{"valid configurable v2.1", apiV21, func(*NewProduct) {}, nil},
		{"valid configurable v2", apiV2, func(*NewProduct) {}, nil},
		{"valid configurable v1", apiV1, func(*NewProduct) {}, nil},
		{"valid simple", apiV21, simple, nil},
		{"valid one option", apiV21, func(p *NewProduct) {
			p.OptionAttributes = []string{"color"}
			p.Variants[0].Option2, p.Variants[1].Option2 = "", ""
		}, nil},
		{"valid without optional fields", apiV21, func(p *NewProduct) {
			p.MarketPrice, p.Images, p.CertificateFiles, p.MetaData = 0, nil, nil, nil
			for i := range p.Variants {
				p.Variants[i].InventoryType, p.Variants[i].SellerWarehouse, p.Variants[i].WarehouseStocks = "", "", nil
			}
		}, nil},
		{"valid v2.1 with a quantity", apiV21, func(p *NewProduct) { p.Variants[0].Quantity = Ptr(0) }, nil},

		{"category_id", apiV21, func(p *NewProduct) { p.CategoryID = 0 },
			[]FieldProblem{{"category_id", "must be a positive id"}}},
		{"name", apiV21, func(p *NewProduct) { p.Name = "  " },
			[]FieldProblem{{"name", "is required"}}},
		{"description", apiV21, func(p *NewProduct) { p.Description = "" },
			[]FieldProblem{{"description", "is required"}}},
		{"market_price", apiV21, func(p *NewProduct) { p.MarketPrice = -1 },
			[]FieldProblem{{"market_price", "must not be negative"}}},
		{"attributes", apiV21, func(p *NewProduct) { p.Attributes = nil },
			[]FieldProblem{{"attributes", "is required (the category's required attributes)"}}},
		{"image", apiV21, func(p *NewProduct) { p.Image = "" },
			[]FieldProblem{{"image", "is required"}}},
		{"images entry", apiV21, func(p *NewProduct) { p.Images = []string{"http://a", ""} },
			[]FieldProblem{{"images[1]", "must not be empty"}}},
		{"three option attributes", apiV21, func(p *NewProduct) { p.OptionAttributes = append(p.OptionAttributes, "size") },
			[]FieldProblem{{"option_attributes", "must hold at most 2 option attributes, has 3"}}},
		{"empty option attribute", apiV21, func(p *NewProduct) { p.OptionAttributes[1] = "" },
			[]FieldProblem{{"option_attributes[1]", "must not be empty"}}},
		{"duplicate option attribute", apiV21, func(p *NewProduct) { p.OptionAttributes[1] = "color" },
			[]FieldProblem{{"option_attributes[1]", `duplicates option_attributes[0] "color"`}}},
		{"no variants", apiV21, func(p *NewProduct) { p.Variants = nil },
			[]FieldProblem{{"variants", "must hold at least one variant"}}},
		{"simple product with two variants", apiV21, func(p *NewProduct) {
			p.OptionAttributes = nil
			for i := range p.Variants {
				p.Variants[i].Option1, p.Variants[i].Option2 = "", ""
			}
		}, []FieldProblem{{"variants", "must hold exactly one variant, as a product without option_attributes is simple; it holds 2"}}},
		{"sku", apiV21, func(p *NewProduct) { p.Variants[1].SKU = "" },
			[]FieldProblem{{"variants[1].sku", "is required"}}},
		{"duplicate sku", apiV21, func(p *NewProduct) { p.Variants[1].SKU = "sku1" },
			[]FieldProblem{{"variants[1].sku", `duplicates variants[0].sku "sku1"`}}},
		{"price zero", apiV21, func(p *NewProduct) { p.Variants[0].Price = 0 },
			[]FieldProblem{{"variants[0].price", "must be greater than 0"}}},
		{"price negative", apiV21, func(p *NewProduct) { p.Variants[0].Price = -5 },
			[]FieldProblem{{"variants[0].price", "must be greater than 0"}}},
		{"variant market_price", apiV21, func(p *NewProduct) { p.Variants[0].MarketPrice = -1 },
			[]FieldProblem{{"variants[0].market_price", "must not be negative"}}},
		{"min_code", apiV21, func(p *NewProduct) { p.Variants[0].MinCode = -1 },
			[]FieldProblem{{"variants[0].min_code", "must not be negative"}}},
		{"supplier negative", apiV21, func(p *NewProduct) { p.Variants[0].Supplier = -1 },
			[]FieldProblem{{"variants[0].supplier", "must not be negative"}}},
		{"option1 missing", apiV21, func(p *NewProduct) { p.Variants[0].Option1 = "" },
			[]FieldProblem{{"variants[0].option1", "is required: the product declares 2 option attribute(s)"}}},
		{"option2 missing", apiV21, func(p *NewProduct) { p.Variants[1].Option2 = " " },
			[]FieldProblem{{"variants[1].option2", "is required: the product declares 2 option attribute(s)"}}},
		{"option2 not declared", apiV21, func(p *NewProduct) {
			p.OptionAttributes = []string{"color"}
			p.Variants[0].Option2 = ""
		}, []FieldProblem{{"variants[1].option2", "must be empty: the product declares 1 option attribute(s)"}}},
		{"option1 on a simple product", apiV21, func(p *NewProduct) {
			simple(p)
			p.Variants[0].Option1 = "Black"
		}, []FieldProblem{{"variants[0].option1", "must be empty: the product declares 0 option attribute(s)"}}},
		{"same options twice", apiV21, func(p *NewProduct) { p.Variants[1].Option1 = "Black" },
			[]FieldProblem{{"variants[1]", "has the same options as variants[0]"}}},
		{"inventory_type", apiV21, func(p *NewProduct) { p.Variants[1].InventoryType = "warehouse" },
			[]FieldProblem{unknownValue("variants[1].inventory_type", InventoryType("warehouse"), inventoryTypes()...)}},
		{"inventory_type of the order API", apiV21, func(p *NewProduct) { p.Variants[1].InventoryType = InventoryDropship },
			[]FieldProblem{unknownValue("variants[1].inventory_type", InventoryDropship, inventoryTypes()...)}},
		{"seller_warehouse", apiV21, func(p *NewProduct) { p.Variants[0].SellerWarehouse = "1054;1233" },
			[]FieldProblem{{"variants[0].seller_warehouse", `must be comma-separated warehouse ids, like "1034,1015"`}}},
		{"seller_warehouse zero id", apiV21, func(p *NewProduct) { p.Variants[0].SellerWarehouse = "0,1233" },
			[]FieldProblem{{"variants[0].seller_warehouse", `must be comma-separated warehouse ids, like "1034,1015"`}}},
		{"quantity negative", apiV21, func(p *NewProduct) { p.Variants[0].Quantity = Ptr(-1) },
			[]FieldProblem{{"variants[0].quantity", "must not be negative"}}},
		{"warehouseId", apiV21, func(p *NewProduct) { p.Variants[0].WarehouseStocks[1].WarehouseID = 0 },
			[]FieldProblem{{"variants[0].warehouse_stocks[1].warehouseId", "must be a positive id"}}},
		{"qtyAvailable", apiV21, func(p *NewProduct) { p.Variants[1].WarehouseStocks[0].QtyAvailable = -3 },
			[]FieldProblem{{"variants[1].warehouse_stocks[0].qtyAvailable", "must not be negative"}}},
		{"duplicate warehouse", apiV21, func(p *NewProduct) { p.Variants[0].WarehouseStocks[1].WarehouseID = 1054 },
			[]FieldProblem{{"variants[0].warehouse_stocks[1].warehouseId", "duplicates variants[0].warehouse_stocks[0]"}}},
		{"variant images entry", apiV21, func(p *NewProduct) { p.Variants[0].Images = []string{""} },
			[]FieldProblem{{"variants[0].images[0]", "must not be empty"}}},
		{"certificate url", apiV21, func(p *NewProduct) { p.CertificateFiles[0].URL = "" },
			[]FieldProblem{{"certificate_files[0].url", "is required"}}},
		{"certificate type", apiV21, func(p *NewProduct) { p.CertificateFiles[0].Type = "license" },
			[]FieldProblem{unknownValue[CertificateType]("certificate_files[0].type", "license")}},
		{"category certificate without document", apiV21, func(p *NewProduct) { p.CertificateFiles[1].DocumentID = 0 },
			[]FieldProblem{{"certificate_files[1].document_id", "is required for a category document"}}},
		{"document_id negative", apiV21, func(p *NewProduct) { p.CertificateFiles[0].DocumentID = -1 },
			[]FieldProblem{{"certificate_files[0].document_id", "must not be negative"}}},
		{"v2 quantity required", apiV2, func(p *NewProduct) { p.Variants[1].Quantity = nil },
			[]FieldProblem{{"variants[1].quantity", "is required"}}},
		{"v2 has no warehouse_stocks", apiV2, func(p *NewProduct) {
			p.Variants[0].WarehouseStocks = []WarehouseStock{{WarehouseID: 1054, QtyAvailable: 1}}
		}, []FieldProblem{{"variants[0].warehouse_stocks", "is only supported by API v2.1 (client.ProductRequests.Create)"}}},
		{"v1 supplier required", apiV1, func(p *NewProduct) { p.Variants[0].Supplier = 0 },
			[]FieldProblem{{"variants[0].supplier", "is required"}}},
		{"every problem at once", apiV21, func(p *NewProduct) {
			p.CategoryID, p.Name = -1, ""
			p.Variants[1].Option2, p.Variants[1].Price = "", 0
		}, []FieldProblem{
			{"category_id", "must be a positive id"},
			{"name", "is required"},
			{"variants[1].price", "must be greater than 0"},
			{"variants[1].option2", "is required: the product declares 2 option attribute(s)"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			created := fixture(t, "product_request_create_v21_response.json")
			for _, path := range []string{"/v2.1/requests", "/v2/requests", "/v1/products"} {
				s.respond(http.MethodPost, path, 200, created)
			}
			p := validNewProduct(tc.version)
			tc.mutate(&p)
			var err error
			switch tc.version {
			case apiV21:
				_, _, err = c.ProductRequests.Create(context.Background(), p)
			case apiV2:
				_, _, err = c.V2.ProductRequests.Create(context.Background(), p)
			case apiV1:
				_, _, err = c.V1.ProductRequests.Create(context.Background(), p)
			}
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 1, s.count())
				return
			}
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestProductRequestsList(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "product_requests_list.json")
	s.respond(http.MethodGet, "/v2/requests", 200, body)

	page, _, err := c.ProductRequests.List(context.Background(), &ProductRequestsOptions{
		State: RequestApproved, IncludeProducts: true, ListOptions: ListOptions{Page: 2, Limit: 20},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/requests", map[string][]string{
		"state": {"approved"}, "include": {"products"}, "page": {"2"}, "limit": {"20"},
	})
	assert.Equal(t, &Page[ProductRequest]{
		Data: []ProductRequest{
			{
				RequestID: "1121408707461612725", State: RequestApproved, Kind: RequestKindCreateProduct,
				CreatedAt: vnTime(t, "2019-12-20 11:57:50"), CreatedBy: "tran.nguyen2@tiki.vn",
				ApprovedAt: vnTime(t, "2019-12-20 12:11:06"), ApprovedBy: "khoa.tran2@tiki.vn",
				Products: []Product{},
			},
			{
				RequestID: "1120793560477041639", State: RequestAwaitingApprove, Kind: RequestKindCreateProduct,
				CreatedAt: vnTime(t, "2019-12-18 19:13:28"), CreatedBy: "tran.nguyen2@tiki.vn",
				Products: []Product{},
			},
		},
		Paging: Paging{Total: 7837, CurrentPage: 1, From: 0, To: 20, PerPage: 20, LastPage: 392},
	}, page)
}

func TestProductRequestsListNoOptions(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/requests", 200, fixture(t, "product_requests_list.json"))
	_, _, err := c.ProductRequests.List(context.Background(), nil)
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/requests", nil)
}

func TestProductRequestsListValidation(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/requests", 200, fixture(t, "product_requests_list.json"))
	ctx := context.Background()
	for _, s := range []RequestState{RequestQueuing, RequestProcessing, RequestDrafted, RequestBotAwaitingApprove,
		RequestMDAwaitingApprove, RequestAwaitingApprove, RequestApproved, RequestRejected, RequestDeleted} {
		_, _, err := c.ProductRequests.List(ctx, &ProductRequestsOptions{State: s})
		require.NoError(t, err, s)
	}
	assert.Equal(t, 9, s.count())
	s.forget() // from here on, nothing may be sent

	_, _, err := c.ProductRequests.List(ctx, &ProductRequestsOptions{State: "pending", ListOptions: ListOptions{Page: -1, Limit: 101}})
	requireRefused(t, err, s, []FieldProblem{
		{"state", `is "pending", not one of the known RequestState values "queuing", "processing", "drafted", "bot_awaiting_approve", ` +
			`"md_awaiting_approve", "awaiting_approve", "approved", "rejected", "deleted" (a value Tiki added later is sent once allowed with tiki.WithEnumValues)`},
		{"page", "must not be negative"},
		{"limit", "must be at most 100"},
	}...)
}

func TestProductRequestsAll(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("GET /v2/requests", func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		body := fmt.Sprintf(`{"data":[{"request_id":"r%s-1","state":"rejected"},{"request_id":"r%s-2","state":"rejected"}],
			"paging":{"total":3,"current_page":%s,"per_page":2,"last_page":2}}`, page, page, page)
		if page == "2" {
			body = `{"data":[{"request_id":"r2-1","state":"rejected"}],"paging":{"total":3,"current_page":2,"per_page":2,"last_page":2}}`
		}
		status(200, body)(w, r)
	})
	var ids []string
	for req, err := range c.ProductRequests.All(context.Background(), &ProductRequestsOptions{State: RequestRejected, ListOptions: ListOptions{Limit: 2}}) {
		require.NoError(t, err)
		assert.Equal(t, RequestRejected, req.State)
		ids = append(ids, req.RequestID)
	}
	assert.Equal(t, []string{"r1-1", "r1-2", "r2-1"}, ids)
	var queries []string
	for _, got := range s.requests() {
		queries = append(queries, got.RawQuery)
	}
	assert.Equal(t, []string{"limit=2&page=1&state=rejected", "limit=2&page=2&state=rejected"}, queries)
}

func TestProductRequestsGet(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	body := fixture(t, "product_request_get.json")
	s.respond(http.MethodGet, "/v2/requests/1121456196340384958", 200, body)

	req, _, err := c.ProductRequests.Get(context.Background(), "1121456196340384958")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/requests/1121456196340384958", nil)

	var raw struct {
		Products []struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"products"`
	}
	require.NoError(t, json.Unmarshal(body, &raw))
	attrs := raw.Products[0].Attributes
	require.Len(t, attrs, 22)
	assert.Equal(t, map[string]any{"attribute_code": "brand", "value": float64(50583), "input_type": nil}, attrs["brand"])
	assert.Equal(t, map[string]any{"attribute_code": "", "value": nil, "input_type": nil}, attrs[""])

	assert.Equal(t, &ProductRequest{
		RequestID: "1121456196340384958", State: RequestApproved, Kind: RequestKindCreateProduct,
		CreatedAt: vnTime(t, "2019-12-20 15:06:32"), CreatedBy: "tran.nguyen2@tiki.vn",
		ApprovedAt: vnTime(t, "2019-12-20 15:07:07"), ApprovedBy: "khoa.tran2@tiki.vn",
		Products: []Product{{
			ProductID: 2091401, SKU: "2886025648971",
			Name:   "Disney Women's MK2106 Mickey Mouse White Bracelet Watch with Rhinestones",
			Active: Ptr(ProductActive), OriginalSKU: "B0055QD0EC5", Price: 984000, MarketPrice: 984000,
			Images: []ProductImage{
				{URL: "https://uat.tikicdn.com/ts/product/45/02/eb/b024dce6529a4443fb4ad58c0f914e15.jpg",
					Path: "product/45/02/eb/b024dce6529a4443fb4ad58c0f914e15.jpg", Position: 0, Width: 1335, Height: 2259},
				{URL: "https://uat.tikicdn.com/ts/product/fa/18/d1/bd7c815ee514344cf56256eb7a3cd9d8.jpg",
					Path: "product/fa/18/d1/bd7c815ee514344cf56256eb7a3cd9d8.jpg", Position: 1},
			},
			Categories: []ProductCategory{
				{ID: 601225, Name: "Laptop of JD", IsPrimary: true},
				{ID: 601223, Name: "Danh mục hàng JD"},
				{ID: 1882, Name: "Điện Gia Dụng"},
				{ID: 2, Name: "Root yyy"},
			},
			Attributes: attrs,
		}},
	}, req)
}

func TestProductRequestsFindByTrackID(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodGet, "/v2/requests/findBy", 200, fixture(t, "product_request_find_by_track_id.json"))

	foundPage, _, err := c.ProductRequests.FindByTrackID(context.Background(), "8b85b2cbd7424f03af41ae5b4507eb01")
	require.NoError(t, err)
	found := foundPage.Data
	assert.Equal(t, Paging{Total: 7837, CurrentPage: 1, From: 0, To: 20, PerPage: 20, LastPage: 392}, foundPage.Paging, "the documented paging is kept")
	requireWire(t, s.last(), http.MethodGet, "/v2/requests/findBy", map[string][]string{"track_id": {"8b85b2cbd7424f03af41ae5b4507eb01"}})
	assert.Equal(t, []RequestedProduct{{
		Product: Product{
			SKU: "2932389999690", MasterSKU: "2932389999690", Name: "Instock_03", EntityType: "master_simple", Type: "simple",
			Price: 50000, CreatedAt: vnTime(t, "2019-12-03 16:47:13"), CreatedBy: "admin@tiki.vn", ProductID: 2087783,
		},
		RequestID: "1115320939429986651", State: RequestApproved, Kind: RequestKindCreateProduct,
		ApprovedAt: vnTime(t, "2019-12-03 16:48:01"), ApprovedBy: "admin@tiki.vn",
	}}, found)
}

func TestProductRequestsDelete(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodDelete, "/v2/requests/1115320939429986651", 200, fixture(t, "product_request_delete_response.json"))

	req, _, err := c.ProductRequests.Delete(context.Background(), "1115320939429986651")
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodDelete, "/v2/requests/1115320939429986651", nil)
	assert.Empty(t, s.last().Body)
	assert.Equal(t, &ProductRequest{RequestID: "1115320939429986651", State: RequestDeleted}, req)
}

func TestProductRequestsUpdateInfo(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.respond(http.MethodPost, "/v2/requests/updateProductInfo", 200, fixture(t, "product_request_update_info_response.json"))

	rec, _, err := c.ProductRequests.UpdateInfo(context.Background(), ProductInfoUpdate{
		ProductID:  2138351,
		Attributes: map[string]any{"description": "This is description", "name": "Product name"},
		Image:      "https://images-na.ssl-images-amazon.com/images/I/71rBcMwMq4L._SS500_.jpg",
		Images: []string{
			"https://images-na.ssl-images-amazon.com/images/I/31%2BtDPe1XfL._SS500_.jpg",
			"https://images-na.ssl-images-amazon.com/images/I/61vGd9wTrxL._SS500_.jpg",
			"https://images-na.ssl-images-amazon.com/images/I/61sTz%2BhRd4L._SS500_.jpg",
			"https://images-na.ssl-images-amazon.com/images/I/41gOwCRsQ7L._SS500_.jpg",
		},
	})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2/requests/updateProductInfo", nil)
	requireJSONEqual(t, string(fixture(t, "product_request_update_info_request.json")), s.last().Body)
	assert.Equal(t, &TrackedRequest{TrackID: "650bc7a64bf7473cbb4bc322c554f754", State: RequestQueuing}, rec)
}

func TestProductRequestsUpdateInfoValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		u    ProductInfoUpdate
		want []FieldProblem
	}{
		{"attributes only", ProductInfoUpdate{ProductID: 1, Attributes: map[string]any{"name": "x"}}, nil},
		{"image only", ProductInfoUpdate{ProductID: 1, Image: "http://a"}, nil},
		{"images only", ProductInfoUpdate{ProductID: 1, Images: []string{"http://a"}}, nil},
		{"product_id", ProductInfoUpdate{Image: "http://a"}, []FieldProblem{{"product_id", "must be a positive id"}}},
		{"nothing to update", ProductInfoUpdate{ProductID: 1}, []FieldProblem{{"attributes", "are not set, and neither are image and images: nothing to update"}}},
		{"blank image", ProductInfoUpdate{ProductID: 1, Image: " "}, []FieldProblem{{"image", "must not be blank"}}},
		{"blank images entry", ProductInfoUpdate{ProductID: 1, Images: []string{"http://a", " "}}, []FieldProblem{{"images[1]", "must not be empty"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodPost, "/v2/requests/updateProductInfo", 200, fixture(t, "product_request_update_info_response.json"))
			_, _, err := c.ProductRequests.UpdateInfo(context.Background(), tc.u)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 1, s.count())
				assert.NotContains(t, s.last().Body, "null", "fields left empty are not sent")
				return
			}
			requireRefused(t, err, s, tc.want...)
		})
	}
}

func TestProductRequestsIDsValidated(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	ctx := context.Background()
	var ve *ValidationError
	_, _, err := c.ProductRequests.Get(ctx, "")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{"request_id", "is required"}}, ve.Problems)
	_, _, err = c.ProductRequests.Delete(ctx, " ")
	require.ErrorAs(t, err, &ve)
	_, _, err = c.ProductRequests.FindByTrackID(ctx, "")
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []FieldProblem{{"track_id", "is required"}}, ve.Problems)

	// Path segments: dot segments would change the path once sent, and
	// white space around an id would be sent as it is.
	for id, problem := range map[string]string{
		".":    `must not be "."`,
		"..":   `must not be ".."`,
		" 11 ": "must not start or end with white space",
		"11\n": "must not start or end with white space",
	} {
		_, _, err = c.ProductRequests.Get(ctx, id)
		require.ErrorAs(t, err, &ve, id)
		assert.Equal(t, []FieldProblem{{"request_id", problem}}, ve.Problems, id)
		_, _, err = c.ProductRequests.Delete(ctx, id)
		require.ErrorAs(t, err, &ve, id)
		assert.Equal(t, []FieldProblem{{"request_id", problem}}, ve.Problems, id)
	}
	_, _, err = c.ProductRequests.FindByTrackID(ctx, " 8b85 ")
	requireRefused(t, err, s, []FieldProblem{{"track_id", "must not start or end with white space"}}...)
}

// String ids are escaped as one path segment.
func TestProductRequestsPathEscaped(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/v2/requests/{id}", status(200, `{"request_id":"x","state":"deleted"}`))
	_, _, err := c.ProductRequests.Get(context.Background(), "a/b?c")
	require.NoError(t, err)
	_, _, err = c.ProductRequests.Delete(context.Background(), "../x")
	require.NoError(t, err)
	// Dots are refused only as a whole segment.
	_, _, err = c.ProductRequests.Get(context.Background(), "...")
	require.NoError(t, err)
	_, _, err = c.ProductRequests.Get(context.Background(), "1.2")
	require.NoError(t, err)
	var uris []string
	for _, got := range s.requests() {
		uris = append(uris, got.URI)
	}
	assert.Equal(t, []string{
		"/prefix/integration/v2/requests/a%2Fb%3Fc",
		"/prefix/integration/v2/requests/..%2Fx",
		"/prefix/integration/v2/requests/...",
		"/prefix/integration/v2/requests/1.2",
	}, uris)
}

func TestProductRequestsDecodeLooseShapes(t *testing.T) {
	t.Parallel()
	var r ProductRequest
	require.NoError(t, json.Unmarshal([]byte(`{"request_id":1121456196340384958,"state":"rejected","reasons":"Image does not match product name",
		"approved_at":"","approved_by":null,"created_by":null,"unknown":{"x":1}}`), &r))
	assert.Equal(t, ProductRequest{RequestID: "1121456196340384958", State: RequestRejected, Reasons: []string{"Image does not match product name"}}, r)

	require.NoError(t, json.Unmarshal([]byte(`{"request_id":"1","reasons":["a","b"]}`), &r))
	assert.Equal(t, []string{"a", "b"}, r.Reasons)

	var m RequestedProduct
	require.NoError(t, json.Unmarshal([]byte(`{"product_id":5,"request_id":"7","state":"approved","product_info":{"a":1},"reasons":[]}`), &m))
	assert.Equal(t, RequestedProduct{Product: Product{ProductID: 5}, RequestID: "7", State: RequestApproved, ProductInfo: json.RawMessage(`{"a":1}`)}, m)
	assert.Error(t, json.Unmarshal([]byte(`{"request_id":{}}`), &r))
	assert.Error(t, json.Unmarshal([]byte(`{"product_id":"x"}`), &m))
}
