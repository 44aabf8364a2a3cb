package tiki

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Product rows are decoded in one pass: the page and list decoders decode
// each row as productWire and convert it, Product.UnmarshalJSON decodes
// one product through the same conversion. These tests hold the three
// paths to the same products, and to what the earlier two-pass decoder
// gave, on every product the fixtures hold and on loose shapes.

// prodFixtureRows returns the product rows of every fixture that holds
// products, by fixture name: the rows of the list and page answers, the
// single products of the get answers, and the products of a product
// request.
func prodFixtureRows(t *testing.T) map[string][]json.RawMessage {
	t.Helper()
	rows := map[string][]json.RawMessage{}
	for _, name := range []string{
		"products_list_v21.json", "products_list_v2.json", "products_hidden.json",
		"product_find_by_original_sku.json", "product_request_find_by_track_id.json",
	} {
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(fixture(t, name), &page), name)
		rows[name] = page.Data
	}
	for _, name := range []string{"product_get_v21.json", "product_get_v2.json"} {
		rows[name] = []json.RawMessage{fixture(t, name)}
	}
	var req struct {
		Products []json.RawMessage `json:"products"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "product_request_get.json"), &req))
	rows["product_request_get.json"] = req.Products
	for name, r := range rows {
		require.NotEmpty(t, r, name)
	}
	return rows
}

// prodRowByRow decodes each row alone through Product.UnmarshalJSON.
func prodRowByRow(t *testing.T, rows []json.RawMessage) []Product {
	t.Helper()
	out := make([]Product, len(rows))
	for i, row := range rows {
		require.NoError(t, json.Unmarshal(row, &out[i]))
	}
	return out
}

func prodJoin(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestProductPagesDecodeLikeRowByRow(t *testing.T) {
	t.Parallel()
	paging := Paging{Total: 40, PerPage: 20, CurrentPage: 2, LastPage: 2, From: 21, To: 40}
	for name, rows := range prodFixtureRows(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := prodRowByRow(t, rows)
			for _, p := range want {
				require.True(t, p.ProductID != 0 || p.SKU != "", "every row decodes to a product")
			}

			for _, key := range []string{"data", "results"} {
				body := prodJoin(t, map[string]any{key: rows, "paging": paging})
				var p Page[Product]
				require.NoError(t, p.decodeBody(body), key)
				assert.Equal(t, Page[Product]{Data: want, Paging: paging}, p, "page decoder, rows in %q", key)

				var nested struct {
					Page Page[Product] `json:"page"`
				}
				require.NoError(t, json.Unmarshal(prodJoin(t, map[string]json.RawMessage{"page": body}), &nested), key)
				assert.Equal(t, p, nested.Page, "Page.UnmarshalJSON, rows in %q", key)

				// The generic page path decodes each row through
				// Product.UnmarshalJSON.
				generic, gp, err := decodePage[Product](body)
				require.NoError(t, err)
				assert.Equal(t, Page[Product]{Data: generic, Paging: gp}, p, "generic page path, rows in %q", key)
			}

			for _, body := range [][]byte{prodJoin(t, rows), prodJoin(t, map[string]any{"data": rows})} {
				var l list[Product]
				require.NoError(t, l.decodeBody(body), string(body[:1]))
				assert.Equal(t, want, []Product(l), "list decoder")
				generic, err := decodeList[Product](body)
				require.NoError(t, err)
				assert.Equal(t, generic, []Product(l), "generic list path")
			}

			for i, row := range rows {
				old, err := decodeProductTwoPass(row)
				require.NoError(t, err)
				assert.Equal(t, old, want[i], "row %d decodes as the two-pass decoder decoded it", i)
			}
		})
	}

	t.Run("fixture pages as sent", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"products_list_v21.json", "products_list_v2.json", "products_hidden.json", "product_find_by_original_sku.json"} {
			body := fixture(t, name)
			var p Page[Product]
			require.NoError(t, p.decodeBody(body), name)
			rows, gp, err := decodePage[Product](body)
			require.NoError(t, err, name)
			assert.Equal(t, Page[Product]{Data: rows, Paging: gp}, p, name)
			assert.NotZero(t, p.Paging.LastPage, name)
		}
	})
}

func TestProductPagesKeepEmptyAndMissingRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		want []Product
	}{
		{`{"data":[],"paging":{"last_page":1}}`, []Product{}},
		{`{"data":null,"results":[],"paging":{"last_page":1}}`, []Product{}},
		{`{"data":null,"results":null}`, nil},
		{`{"data":[{"id":1}],"results":[{"id":2}]}`, []Product{{ProductID: 1}}},
	} {
		var p Page[Product]
		require.NoError(t, p.decodeBody([]byte(tc.body)), tc.body)
		assert.Equal(t, tc.want, p.Data, tc.body)
		rows, _, err := decodePage[Product]([]byte(tc.body))
		require.NoError(t, err)
		assert.Equal(t, rows, p.Data, tc.body)
	}
	for _, tc := range []struct {
		body string
		want []Product
	}{
		{` [] `, []Product{}},
		{`{"data":[]}`, []Product{}},
		{`{"data":null}`, nil},
	} {
		var l list[Product]
		require.NoError(t, l.decodeBody([]byte(tc.body)), tc.body)
		assert.Equal(t, tc.want, []Product(l), tc.body)
	}
	for _, body := range []string{`{}`, `null`} {
		var l list[Product]
		var se *ShapeError
		require.ErrorAs(t, l.decodeBody([]byte(body)), &se, "%s is not a list", body)
	}
}

func TestProductPagesRefuseWhatRowsRefuse(t *testing.T) {
	t.Parallel()
	for _, row := range []string{`{"price":"cheap"}`, `{"active":"maybe"}`, `{"sku":{}}`, `{"created_at":"yesterday"}`, `[]`, `"x"`} {
		var one Product
		rowErr := json.Unmarshal([]byte(row), &one)
		require.Error(t, rowErr, row)

		for _, body := range []string{`{"data":[{"id":1},` + row + `]}`, `{"results":[` + row + `]}`} {
			p := Page[Product]{Data: []Product{{ProductID: 9}}}
			err := p.decodeBody([]byte(body))
			require.Error(t, err, body)
			assert.Equal(t, []Product{{ProductID: 9}}, p.Data, "a page that fails to decode is left as it was")
			if _, isType := rowErr.(*json.UnmarshalTypeError); !isType {
				assert.Equal(t, rowErr.Error(), err.Error(), "the row's own error, %s", body)
			}
		}
		for _, body := range []string{`[` + row + `]`, `{"data":[` + row + `]}`} {
			var l list[Product]
			require.Error(t, l.decodeBody([]byte(body)), body)
		}
	}
	var p Page[Product]
	assert.Error(t, p.decodeBody([]byte(`{"data":{"id":1}}`)))
	assert.Error(t, p.decodeBody([]byte(`{"data":[{"id":1}]`)))
}

func TestProductDecodesLikeTwoPass(t *testing.T) {
	t.Parallel()
	for _, row := range []string{
		`{"id":"7","product_id":null,"sku":4833677185901,"original_sku":123,"price":"27000",
			"market_price":27000.0,"active":"1","is_hidden":"true","attributes":[],"created_at":"","images":[{"id":null}],"extra":{"a":1}}`,
		`{"id":5,"product_id":"6","name":null,"version":"3","is_hidden":1,"active":"0"}`,
		`{"id":5,"created_at":1616143547,"updated_at":"2020-12-24T06:45:29.174Z","created_by":null}`,
		`{"sku":"  a\u00e9\"b  ","name":"\ud83d\ude00","master_sku":12.50,"super_id":"","price":"1e3"}`,
		`{"product_id":1,"active":true,"attributes":{"specifications":"none","x":1}}`,
		`{"attributes":null}`,
		`{"attributes":"x"}`,
		`{"attributes":{}}`,
		`{"attributes":{"specifications":null}}`,
		`{"attributes":{"specifications":[]}}`,
		`{"attributes":{"specifications":{"id":1}}}`,
		`{"attributes":{"specifications":[null,{"id":1,"attributes":[{"id":2,"code":"c","value":{"a":[1,"b",null]}}]}]}}`,
		`{"attributes":{"specifications":[{"id":"1"}]}}`,
		`{"attributes":{"specifications":[{"id":1.5}]}}`,
		`{"attributes":{"specifications":[{"name":5}],"other":[1,2]}}`,
		`{"attributes":{"specifications":[{"ID":2,"Name":"n","SORT_ORDER":3,"Attributes":[{"Display_Name":"d","value":7}]}]}}`,
		`{"attributes":{"Specifications":[{"id":4,"name":"g"}],"x":"y"}}`,
		`{"attributes":{"specifications":[{"id":1,"attributes":[{"value":"<b>&</b>"}]}],"specs":1}}`,
		`{"seller":{"id":1,"vat_limit_supported":"2","is_all_vat_supported":"1"},"inventory":{"inventory_type":"instock","warehouse_stocks":[{"warehouse_id":1,"quantity_reserved":-2}]}}`,
		`{"categories":[{"id":1,"is_primary":true}],"images":[],"thumbnail":null}`,
	} {
		old, oldErr := decodeProductTwoPass([]byte(row))
		var p Product
		err := json.Unmarshal([]byte(row), &p)
		if oldErr != nil {
			assert.Error(t, err, row)
			continue
		}
		require.NoError(t, err, row)
		assert.Equal(t, old, p, row)

		var page Page[Product]
		require.NoError(t, page.decodeBody([]byte(`{"data":[`+row+`]}`)), row)
		assert.Equal(t, []Product{old}, page.Data, row)
	}

	// A specification's id sent as 3.0 is the one value decoded more
	// tolerantly than before: the decoded attributes hold it as a float.
	var p Product
	require.NoError(t, json.Unmarshal([]byte(`{"attributes":{"specifications":[{"id":3.0}]}}`), &p))
	assert.Equal(t, []SpecificationGroup{{ID: 3}}, p.Specifications)
}

// Every tolerant field of productWire replaces a field of Product (or is
// id, Tiki's other name for product_id): a key spelt differently would
// leave Product's field to decode without tolerance.
func TestProductWireShadowsProductFields(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	pt := reflect.TypeFor[Product]()
	for i := range pt.NumField() {
		names[strings.Split(pt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	wt := reflect.TypeFor[productWire]()
	for i := range wt.NumField() {
		f := wt.Field(i)
		if f.Anonymous {
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		assert.True(t, names[name] || name == "id", "productWire.%s (%q) names no field of Product", f.Name, name)
	}
}

// decodeProductTwoPass is the decoder Product used before it decoded rows
// in one pass, kept as the reference for what decodes to what: the row
// decoded again with tolerant fields, the attributes decoded twice, into
// the map and into the specifications.
func decodeProductTwoPass(b []byte) (Product, error) {
	type plain Product
	var w struct {
		plain
		ID          *FlexInt        `json:"id"`
		ProductID   *FlexInt        `json:"product_id"`
		SKU         FlexString      `json:"sku"`
		OriginalSKU FlexString      `json:"original_sku"`
		Name        FlexString      `json:"name"`
		MasterID    FlexInt         `json:"master_id"`
		MasterSKU   FlexString      `json:"master_sku"`
		SuperID     FlexInt         `json:"super_id"`
		SuperSKU    FlexString      `json:"super_sku"`
		Price       Money           `json:"price"`
		MarketPrice Money           `json:"market_price"`
		Version     FlexInt         `json:"version"`
		IsHidden    FlexBool        `json:"is_hidden"`
		CreatedBy   FlexString      `json:"created_by"`
		Attributes  json.RawMessage `json:"attributes"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return Product{}, err
	}
	p := Product(w.plain)
	if id := firstNonNil(w.ProductID, w.ID); id != nil {
		p.ProductID = int64(*id)
	}
	p.SKU, p.OriginalSKU, p.Name = string(w.SKU), string(w.OriginalSKU), string(w.Name)
	p.MasterID, p.MasterSKU = int64(w.MasterID), string(w.MasterSKU)
	p.SuperID, p.SuperSKU = int64(w.SuperID), string(w.SuperSKU)
	p.Price, p.MarketPrice, p.Version = w.Price, w.MarketPrice, int(w.Version)
	p.IsHidden, p.CreatedBy = bool(w.IsHidden), string(w.CreatedBy)
	if raw := bytes.TrimSpace(w.Attributes); len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &p.Attributes); err != nil {
			return Product{}, err
		}
		var specs struct {
			Specifications []SpecificationGroup `json:"specifications"`
		}
		if json.Unmarshal(raw, &specs) == nil {
			p.Specifications = specs.Specifications
		}
	}
	return p, nil
}
