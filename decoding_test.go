package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimeDecodesEveryForm(t *testing.T) {
	t.Parallel()
	want := time.Date(2021, 3, 19, 15, 45, 47, 0, Vietnam())
	cases := map[string]time.Time{
		`"2021-03-19 15:45:47"`:       want,
		`"2021-03-19T15:45:47+07:00"`: want,
		`"2021-03-19T08:45:47Z"`:      want,
		`"2021-03-19T15:45:47"`:       want,
		`"2021-03-19"`:                time.Date(2021, 3, 19, 0, 0, 0, 0, Vietnam()),
		`1616143547`:                  want,
		`"1616143547"`:                want,
		`1616143547000`:               want,
		`""`:                          {},
		`null`:                        {},
	}
	for in, exp := range cases {
		var got Time
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.True(t, exp.Equal(got.Time), "%s: got %v", in, got)
	}
	var bad Time
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &bad))
	assert.Error(t, json.Unmarshal([]byte(`{}`), &bad))
}

func TestTimeRoundTrip(t *testing.T) {
	t.Parallel()
	type doc struct {
		At    Time `json:"at"`
		Empty Time `json:"empty"`
	}
	in := `{"at":"2018-03-12 08:15:23","empty":null}`
	var d doc
	require.NoError(t, json.Unmarshal([]byte(in), &d))
	out, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))

	// Other forms are written in Tiki's own layout and Vietnam time.
	require.NoError(t, json.Unmarshal([]byte(`{"at":"2018-03-12T01:15:23Z"}`), &d))
	out, err = json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
	assert.Equal(t, "2018-03-12 08:15:23", d.At.String())
	assert.Equal(t, "", Time{}.String())
}

func TestTimeQueryParameter(t *testing.T) {
	t.Parallel()
	q := encodeQuery(struct {
		Created Time `url:"created_from_date,omitempty"`
		Updated Time `url:"updated_from_date,omitempty"`
	}{Created: NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))})
	assert.Equal(t, "created_from_date=2024-01-02+10%3A04%3A05", q.Encode())
}

func TestFlexInt(t *testing.T) {
	t.Parallel()
	cases := map[string]FlexInt{`0`: 0, `"0"`: 0, `1`: 1, `"1"`: 1, `" 42 "`: 42, `12.0`: 12, `"-7"`: -7, `null`: 0, `""`: 0}
	for in, want := range cases {
		var got FlexInt
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{`1.5`, `"abc"`, `true`, `[]`, `{}`, `"1e400"`} {
		var got FlexInt
		assert.Error(t, json.Unmarshal([]byte(in), &got), in)
	}
	out, err := json.Marshal(struct{ N FlexInt }{N: 5})
	require.NoError(t, err)
	assert.JSONEq(t, `{"N":5}`, string(out))
}

func TestFlexBool(t *testing.T) {
	t.Parallel()
	cases := map[string]FlexBool{`true`: true, `false`: false, `1`: true, `0`: false, `"1"`: true, `"0"`: false,
		`"true"`: true, `"FALSE"`: false, `null`: false, `""`: false}
	for in, want := range cases {
		var got FlexBool
		require.NoError(t, json.Unmarshal([]byte(in), &got), in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{`2`, `"yes"`, `[]`} {
		var got FlexBool
		assert.Error(t, json.Unmarshal([]byte(in), &got), in)
	}
	out, err := json.Marshal(struct{ B FlexBool }{B: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"B":true}`, string(out))
}

func TestFlexString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`"abc"`: "abc", `" padded "`: " padded ", `""`: "", `null`: "", ` null `: "",
		`4833677185901`: "4833677185901", `-12`: "-12", `1.50`: "1.50", `1e3`: "1e3", `12345678901234567890123`: "12345678901234567890123",
	} {
		var s FlexString
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		assert.Equal(t, want, string(s), in)
	}
	for _, in := range []string{`true`, `false`, `{}`, `[]`, `[1]`, `"unterminated`, ``, `nul`} {
		var s FlexString
		assert.Error(t, s.UnmarshalJSON([]byte(in)), in)
	}
}

// 003's order list names its rows "results" in the field table and "data"
// in the example: Page decodes either.
func TestPageDecodesDataOrResults(t *testing.T) {
	t.Parallel()
	paging := Paging{Total: 2, PerPage: 20, CurrentPage: 1, LastPage: 1, From: 1, To: 2}
	for body, want := range map[string][]AttributeValue{
		`{"data":[{"id":1},{"id":2}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:       {{ID: 1}, {ID: 2}},
		`{"results":[{"id":1},{"id":2}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:    {{ID: 1}, {ID: 2}},
		`{"data":null,"results":[{"id":3}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`: {{ID: 3}},
		`{"data":[],"results":[{"id":3}],"paging":{"total":2,"per_page":20,"current_page":1,"last_page":1,"from":1,"to":2}}`:   {},
	} {
		var p Page[AttributeValue]
		require.NoError(t, json.Unmarshal([]byte(body), &p), body)
		assert.Equal(t, want, p.Data, body)
		assert.Equal(t, paging, p.Paging, body)
	}
	var p Page[AttributeValue]
	var se *ShapeError
	assert.ErrorAs(t, json.Unmarshal([]byte(`{"paging":{}}`), &p), &se, "a page without rows is another shape, not an empty page")
	assert.ErrorAs(t, json.Unmarshal([]byte(`{}`), &p), &se)
	assert.ErrorAs(t, json.Unmarshal([]byte(`null`), &p), &se)
	var l list[AttributeValue]
	assert.ErrorAs(t, json.Unmarshal([]byte(`null`), &l), &se, "null is not a list")
	assert.ErrorAs(t, json.Unmarshal([]byte(`{}`), &l), &se)
	require.NoError(t, json.Unmarshal([]byte(`{"data": null}`), &l))
	assert.Empty(t, l)
	assert.Error(t, json.Unmarshal([]byte(`{"results":{"id":1}}`), &p))
	assert.Error(t, json.Unmarshal([]byte(`[]`), &p))
}

func TestFreeFormKept(t *testing.T) {
	t.Parallel()
	// A category with fields the SDK does not know still decodes: nothing
	// unknown makes a call fail.
	var c Category
	require.NoError(t, json.Unmarshal([]byte(`{"id":"5","name":"x","parent_id":null,"is_primary":"1","future_field":{"a":1}}`), &c))
	assert.Equal(t, Category{ID: 5, Name: "x", IsPrimary: true}, c)
}

// TestSingleObjectAnswersOfAnotherShape checks that a 2xx answer of another
// shape than documented is a *DecodeError naming the expected shape, never
// a zero value.
func TestSingleObjectAnswersOfAnotherShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	order := orderOf(t, FulfillmentDropship, "")
	cases := map[string]struct {
		method, path, body string
		call               func(c *Client) error
		want               string
	}{
		"request get": {http.MethodGet, "/v2/requests/1", `{"data": {"request_id": "1"}}`, func(c *Client) error {
			_, _, err := c.ProductRequests.Get(ctx, "1")
			return err
		}, `a product request (an object with "request_id")`},
		"category get": {http.MethodGet, "/v2/categories/8322", `{"data": {"id": 8322}}`, func(c *Client) error {
			_, _, err := c.Catalog.GetCategory(ctx, 8322, nil)
			return err
		}, `a category (an object with "id")`},
		"seller inventories": {http.MethodGet, "/v2/seller-inventories", `{"data": []}`, func(c *Client) error {
			_, _, err := c.Warehouses.ListSellerInventories(ctx, "sgn")
			return err
		}, `seller inventories`},
		"pickup slots": {http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", `[]`, func(c *Client) error {
			_, _, err := c.Orders.ExpectedPickupSlots(ctx)
			return err
		}, `cannot unmarshal array`},
		"pickup slots object": {http.MethodGet, "/v2/orders/dropship/expected-pickup-slots", `{"slots": []}`, func(c *Client) error {
			_, _, err := c.Orders.ExpectedPickupSlots(ctx)
			return err
		}, `pickup slots`},
		"action answered null": {http.MethodPost, "/v2/orders/613795703/dropship/confirm-available", `null`, func(c *Client) error {
			_, _, err := c.Orders.ConfirmDropship(ctx, order, DropshipConfirmRequest{SellerInventoryID: 1, ExpectedPickupTime: "x"})
			return err
		}, `an empty answer or a JSON object`},
		"action answered a list": {http.MethodPost, "/v2/orders/613795703/dropship/confirm-available", `[]`, func(c *Client) error {
			_, _, err := c.Orders.ConfirmDropship(ctx, order, DropshipConfirmRequest{SellerInventoryID: 1, ExpectedPickupTime: "x"})
			return err
		}, `an empty answer or a JSON object`},
		"label": {http.MethodGet, "/v2/orders/613795703/dropship/labels", `{"label": ""}`, func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, order, nil)
			return err
		}, `a label`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(tc.method, tc.path, 200, []byte(tc.body))
			err := tc.call(c)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.Contains(t, err.Error(), tc.want)
			var se *ShapeError
			if errors.As(err, &se) {
				assert.Contains(t, err.Error(), "is JSON of another shape than documented")
			}
		})
	}
}

// The tolerant scalars (Time, FlexInt, FlexBool, FlexString) read their
// raw bytes themselves, in one pass. These tests hold them to what
// encoding/json would give: the reference decoders below go through
// json.Unmarshal, as the scalars did before, and must agree with them on
// every input.

// refUnquote is encoding/json's reading of a JSON string.
func refUnquote(b []byte) (string, bool) {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// refScalar is the text of a JSON scalar as the scalars read it, through
// encoding/json.
func refScalar(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return "", false
	case string(b) == "null":
		return "", true
	case b[0] == '"':
		s, ok := refUnquote(b)
		return strings.TrimSpace(s), ok
	case b[0] == '{' || b[0] == '[':
		return "", false
	}
	return string(b), true
}

func refFlexInt(b []byte) (FlexInt, bool) {
	s, ok := refScalar(b)
	if !ok {
		return 0, false
	}
	if s == "" {
		return 0, true
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return FlexInt(v), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return FlexInt(f), true
}

func refFlexBool(b []byte) (FlexBool, bool) {
	s, ok := refScalar(b)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0", "":
		return false, true
	}
	return false, false
}

func refFlexString(b []byte) (FlexString, bool) {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return "", true
	case len(b) > 0 && b[0] == '"':
		s, ok := refUnquote(b)
		return FlexString(s), ok
	}
	var n json.Number
	if json.Unmarshal(b, &n) != nil {
		return "", false
	}
	return FlexString(n), true
}

func refTime(b []byte) (Time, bool) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return Time{}, true
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var ok bool
		if s, ok = refUnquote(b); !ok {
			return Time{}, false
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return Time{Time: t}, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		if n >= 1e11 {
			if n <= maxUnixMilli {
				return Time{Time: time.UnixMilli(n).In(vietnam)}, true
			}
		} else {
			return Time{Time: time.Unix(n, 0).In(vietnam)}, true
		}
	}
	return Time{}, false
}

// agree checks every scalar against its reference on b, called directly
// and through json.Unmarshal (which hands it only valid JSON).
func agree(t *testing.T, b []byte) {
	t.Helper()
	{
		var got FlexInt
		err := got.UnmarshalJSON(b)
		want, ok := refFlexInt(b)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("FlexInt %q: got %v, %v; want %v, ok %v", b, got, err, want, ok)
		}
	}
	{
		var got FlexBool
		err := got.UnmarshalJSON(b)
		want, ok := refFlexBool(b)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("FlexBool %q: got %v, %v; want %v, ok %v", b, got, err, want, ok)
		}
	}
	{
		var got FlexString
		err := got.UnmarshalJSON(b)
		want, ok := refFlexString(b)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("FlexString %q: got %q, %v; want %q, ok %v", b, got, err, want, ok)
		}
	}
	{
		var got Time
		err := got.UnmarshalJSON(b)
		want, ok := refTime(b)
		if ok != (err == nil) || (ok && !got.Equal(want.Time)) {
			t.Fatalf("Time %q: got %v, %v; want %v, ok %v", b, got, err, want, ok)
		}
	}
	if s, ok := refUnquote(b); ok && bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		got, gotOK := unquoteJSON(bytes.TrimSpace(b))
		if !gotOK || string(got) != s {
			t.Fatalf("unquote %q: got %q, %v; want %q", b, got, gotOK, s)
		}
	}
	if json.Valid(b) {
		var n json.Number
		trimmed := bytes.TrimSpace(b)
		isNum := len(trimmed) > 0 && trimmed[0] != '"' && string(trimmed) != "null" && json.Unmarshal(b, &n) == nil
		if isNum != isJSONNumber(trimmed) {
			t.Fatalf("number %q: isJSONNumber %v, encoding/json %v", b, !isNum, isNum)
		}
	}
}

// decoderSeeds are the inputs the scalars' tests and fuzz targets start
// from: every form Tiki sends, escapes, invalid UTF-8 and broken JSON.
var decoderSeeds = []string{
	`"2021-03-19 15:45:47"`, `"2021-03-19T15:45:47+07:00"`, `"2021-03-19T08:45:47Z"`, `"2020-12-24T06:45:29.174Z"`,
	`"2021-03-19T15:45:47"`, `"2021-03-19"`, `1616143547`, `"1616143547"`, `1616143547000`, `-5`, `"-5"`,
	`99999999999999999999`, `""`, `null`, ` null `, `"  "`, `" 2021-03-19 "`, `"yesterday"`, `{}`, `[]`, `[1]`,
	`0`, `"0"`, `1`, `"1"`, `" 42 "`, `12.0`, `"12.0"`, `1.5`, `"abc"`, `true`, `false`, `"true"`, `"FALSE"`,
	`"1e400"`, `1e3`, `-0`, `01`, `1.`, `.5`, `1e`, `1e+`, `-`, `2`, `"yes"`,
	`"abc"`, `" padded "`, `4833677185901`, `12345678901234567890123`, `"unterminated`, ``, `nul`, `"a"b"`,
	`"\u0041\u00e9\u1ec7"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
	`"tab\tnewline\n"`, `"\"quoted\" \\ \/ \b\f\n\r\t"`, `"\x"`, `"\u12"`, `"\u12G4"`, "\"raw\ttab\"",
	"\"\xff\xfe bad utf8\"", "\"Đi\u1ec7n tho\u1ea1i\"", `"Điện thoại"`, "\"\xed\xa0\x80\"", `"\\"`, `"\"`,
}

func TestScalarsAgreeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range decoderSeeds {
		agree(t, []byte(s))
	}
}

// FuzzScalarsAgreeWithEncodingJSON: on any input, the one-pass scalars
// decode what encoding/json-based decoding gives, and refuse what it
// refuses.
func FuzzScalarsAgreeWithEncodingJSON(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agree(t, b)
	})
}

// FuzzScalarsRoundTrip: what decodes encodes, and decodes back to the same
// value (Time's own round trip is FuzzTime).
func FuzzScalarsRoundTrip(f *testing.F) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n FlexInt
		if json.Unmarshal(b, &n) == nil {
			out, err := json.Marshal(n)
			require.NoError(t, err)
			var back FlexInt
			require.NoError(t, json.Unmarshal(out, &back), "%s", out)
			require.Equal(t, n, back)
		}
		var v FlexBool
		if json.Unmarshal(b, &v) == nil {
			out, err := json.Marshal(v)
			require.NoError(t, err)
			var back FlexBool
			require.NoError(t, json.Unmarshal(out, &back), "%s", out)
			require.Equal(t, v, back)
		}
		var s FlexString
		if json.Unmarshal(b, &s) == nil {
			out, err := json.Marshal(s)
			require.NoError(t, err)
			var back FlexString
			require.NoError(t, json.Unmarshal(out, &back), "%s", out)
			require.Equal(t, s, back)
		}
	})
}

// A string without escapes is read in place: decoding it allocates only
// the result.
func TestScalarsDecodeWithoutExtraAllocations(t *testing.T) {
	for in, want := range map[string]float64{
		`"YOUR_ORIGINAL_SKU_123"`: 1, // the string itself
		`20000`:                   0,
		`"20000"`:                 0,
		`"1"`:                     0,
	} {
		b := []byte(in)
		var s FlexString
		var n FlexInt
		var v FlexBool
		allocs := testing.AllocsPerRun(100, func() {
			switch in {
			case `"YOUR_ORIGINAL_SKU_123"`:
				_ = s.UnmarshalJSON(b)
			case `"1"`:
				_ = v.UnmarshalJSON(b)
			default:
				_ = n.UnmarshalJSON(b)
			}
		})
		assert.LessOrEqual(t, allocs, want, in)
	}
}

// Money accepts a JSON number or a JSON string holding a decimal, whose
// value is a whole number of dong, and null; nothing else.
func TestMoneyDecodesExactly(t *testing.T) {
	t.Parallel()
	ok := map[string]Money{
		`409000.00`: 409000, `"409000.00"`: 409000, `409000`: 409000, `-5500.00`: -5500, `0.00`: 0, `null`: 0,
		`4.09e5`: 409000, `"9223372036854775807"`: 9223372036854775807, `92233720368547758.00`: 92233720368547758,
		`1.000000000000000000000`: 1, `-9223372036854775808`: -9223372036854775808, `"-9223372036854775808.0"`: -9223372036854775808,
		`-0`: 0, `"-0.00"`: 0, `"+5"`: 5, `"007"`: 7, `"0409000.00"`: 409000, ` 12 `: 12, "\t\"12\"\n": 12,
		// Exponents, in numbers and strings alike: allowed when the value is whole.
		`1e3`: 1000, `"1e3"`: 1000, `"+1E+3"`: 1000, `1.5e3`: 1500, `4.09E5`: 409000, `100e-2`: 1, `"12300e-2"`: 123,
		`0e999999999999999999999`: 0, `"0.000e-99999999999999999999"`: 0, `9.223372036854775807e18`: 9223372036854775807, `92233720368547758070e-1`: 9223372036854775807,
		`"\u0034\u0030\u0039"`: 409,
	}
	for in, want := range ok {
		var m Money
		require.NoError(t, json.Unmarshal([]byte(in), &m), in)
		assert.Equal(t, want, m, in)
		require.NoError(t, m.UnmarshalJSON([]byte(in)), in)
		assert.Equal(t, want, m, in)
	}
	bad := map[string]string{
		// Not whole.
		`409000.5`: "has a fraction", `"0.01"`: "has a fraction", `1e-3`: "has a fraction", `"409000.50"`: "has a fraction",
		`1.2345e3`: "has a fraction", `"5e-1"`: "has a fraction", `1e-99999999999999999999`: "has a fraction",
		// Too large.
		`9223372036854775808.00`: "does not fit", `"9223372036854775808"`: "does not fit", `-9223372036854775809`: "does not fit",
		`1e19`: "does not fit", `"1e999999999999999999999999"`: "does not fit", `92233720368547758080e-1`: "does not fit",
		// Not numbers: strings without digits, base prefixes, separators,
		// white space inside the string, other JSON values.
		`"."`: "is not a number", `"-."`: "is not a number", `"+."`: "is not a number", `""`: "is not a number",
		`" "`: "is not a number", `"-"`: "is not a number", `"e3"`: "is not a number", `"-.5"`: "is not a number",
		`"0b101"`: "is not a number", `"0o17"`: "is not a number", `"0b1e3"`: "is not a number", `"0x10"`: "is not a number",
		`"0X1p4"`: "is not a number", `"1_000"`: "is not a number", `"1,000"`: "is not a number", `"1/2"`: "is not a number",
		`"5."`: "is not a number", `".5"`: "is not a number", `"1e"`: "is not a number", `"1e+"`: "is not a number",
		`" 5"`: "is not a number", `"5 "`: "is not a number", `"Inf"`: "is not a number", `"NaN"`: "is not a number",
		`"1.2.3"`: "is not a number", `"abc"`: "is not a number", `"１２"`: "is not a number",
		`true`: "is not a number", `{}`: "is not a number", `[]`: "is not a number", `"5`: "is not a number",
	}
	for in, want := range bad {
		var m Money = 77
		err := m.UnmarshalJSON([]byte(in))
		var ae *AmountError
		require.ErrorAs(t, err, &ae, in)
		assert.Contains(t, ae.Error(), want, in)
		assert.Equal(t, Money(77), m, "%s: a refused amount leaves the value alone", in)
		if json.Valid([]byte(in)) {
			require.ErrorAs(t, json.Unmarshal([]byte(in), &m), &ae, in)
		}
	}
	// Bytes handed to UnmarshalJSON directly are held to the JSON number
	// grammar too, which encoding/json checks only on a whole document.
	for _, in := range []string{`+5`, `007`, `.5`, `5.`, `0x10`, `Infinity`, "\u00a05"} {
		var m Money
		assert.Error(t, m.UnmarshalJSON([]byte(in)), in)
	}
	b, err := json.Marshal(Money(409000))
	require.NoError(t, err)
	assert.Equal(t, "409000", string(b))
}

// Percent reads Money's grammar without the whole-number rule.
func TestPercentDecodes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Percent{
		`5`: 5, `"5"`: 5, `5.5`: 5.5, `"12.50"`: 12.5, `null`: 0, `1e1`: 10, `"+0.5"`: 0.5, `1e-400`: 0, `-2`: -2,
	} {
		var p Percent
		require.NoError(t, json.Unmarshal([]byte(in), &p), in)
		assert.Equal(t, want, p, in)
	}
	for _, in := range []string{`""`, `"."`, `"0x10"`, `"Inf"`, `"NaN"`, `1e400`, `"5%"`, `true`, `{}`} {
		var p Percent
		var ae *AmountError
		assert.ErrorAs(t, p.UnmarshalJSON([]byte(in)), &ae, in)
	}
	b, err := json.Marshal(struct{ P Percent }{5.5})
	require.NoError(t, err)
	assert.JSONEq(t, `{"P":5.5}`, string(b))
}

// refMoney is Money's contract written apart from money.go: a regular
// expression for each form, encoding/json for a string's content and
// math/big for the value. It returns the value, or why the input is
// refused: "not a number", "fraction" or "too large".
func refMoney(b []byte) (Money, string) {
	s := strings.Trim(string(b), " \t\r\n")
	form := refJSONNumber
	switch {
	case s == "null":
		return 0, ""
	case strings.HasPrefix(s, `"`):
		var content string
		if json.Unmarshal([]byte(s), &content) != nil {
			return 0, "not a number"
		}
		s, form = content, refDecimalString
	}
	m := form.FindStringSubmatch(s)
	if m == nil {
		return 0, "not a number"
	}
	mantissa, exp := m[1], m[2]
	if len(strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")) > 4 {
		// |exponent| of 10000 or more: math/big would build a huge number.
		switch {
		case strings.Trim(mantissa, "+-.0") == "":
			return 0, ""
		case !strings.HasPrefix(exp, "-"):
			return 0, "too large"
		case len(mantissa) < 1000:
			return 0, "fraction" // fewer digits than the point moves
		}
		return 0, "skip"
	}
	if exp == "" {
		exp = "0"
	}
	var r big.Rat
	if _, ok := r.SetString(mantissa + "e" + exp); !ok {
		return 0, "not a number"
	}
	if !r.IsInt() {
		return 0, "fraction"
	}
	if !r.Num().IsInt64() {
		return 0, "too large"
	}
	return Money(r.Num().Int64()), ""
}

var (
	// refJSONNumber is RFC 8259's number; refDecimalString the decimal
	// Money takes from a string. The groups are the mantissa and the
	// exponent (without its "e").
	refJSONNumber    = regexp.MustCompile(`^(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?)(?:[eE]([+-]?[0-9]+))?$`)
	refDecimalString = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?)(?:[eE]([+-]?[0-9]+))?$`)
)

// moneyAgrees checks Money against refMoney on b: the same acceptance, the
// same value, the same reason for a refusal.
func moneyAgrees(t *testing.T, b []byte) {
	t.Helper()
	want, why := refMoney(b)
	if why == "skip" {
		return
	}
	var got Money
	err := got.UnmarshalJSON(b)
	if (err == nil) != (why == "") {
		t.Fatalf("Money %q: got %v, %v; the reference says %q", b, got, err, why)
	}
	if err == nil && got != want {
		t.Fatalf("Money %q: got %d, want %d", b, got, want)
	}
	var ae *AmountError
	if err != nil && (!errors.As(err, &ae) || !strings.Contains(ae.Reason, map[string]string{
		"not a number": "not a number", "fraction": "fraction", "too large": "does not fit"}[why])) {
		t.Fatalf("Money %q: %v; the reference says %q", b, err, why)
	}
}

// moneySeeds are the forms Tiki sends and the strings a looser decoder
// once took for numbers.
var moneySeeds = []string{
	`409000.00`, `"409000.00"`, `409000`, `-5500.00`, `"-5500"`, `4.09e5`, `"1e3"`, `null`, `""`, `"."`, `"-."`, `"+."`,
	`"0b101"`, `"0o17"`, `"0b1e3"`, `"0x10"`, `"1_000"`, `"409000.50"`, `1e-3`, `9223372036854775808`, `"+007.000"`,
	`"\u0035"`, `" 5"`, `"5e99999"`, `0e-99999`, `true`, `[1]`, `"Inf"`, `"１"`, `5.`, `.5`, `-`, `"12e+03"`,
}

func TestMoneyAgreesWithReferenceGrammar(t *testing.T) {
	t.Parallel()
	for _, s := range moneySeeds {
		moneyAgrees(t, []byte(s))
	}
}

// FuzzMoneyGrammar: on any input, Money accepts what the reference
// grammar accepts, with the same value, and refuses the rest for the same
// reason.
func FuzzMoneyGrammar(f *testing.F) {
	for _, s := range moneySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		moneyAgrees(t, b)
	})
}

// An amount that is not a whole number of dong makes the whole call fail:
// the error is a *DecodeError wrapping an *AmountError that names the
// field, in JSON names from the answer's top, and the value; the answer
// stays on the error. Nothing of the answer is returned.
func TestAmountErrorNamesTheField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	replace := func(t *testing.T, name, old, new string) []byte {
		t.Helper()
		b := string(fixture(t, name))
		require.Contains(t, b, old)
		return []byte(strings.Replace(b, old, new, 1))
	}
	page := func(rows ...[]byte) []byte {
		return []byte(`{"data": [` + string(bytes.Join(rows, []byte(","))) + `], "paging": {"total": 2, "per_page": 20, "current_page": 1, "last_page": 1}}`)
	}
	orderV2 := fixture(t, "orders_v2/order_from_field_tables.json")
	var products struct{ Data []json.RawMessage }
	require.NoError(t, json.Unmarshal(fixture(t, "products_list_v21.json"), &products))
	productRow := []byte(products.Data[0])
	require.Contains(t, string(productRow), `"price": 20000`)
	cases := map[string]struct {
		path  string
		body  []byte
		call  func(c *Client) (any, error)
		field string
		value string
	}{
		"order v2": {"/v2/orders/745467462", replace(t, "orders_v2/order_from_field_tables.json", `"price": 409000.00`, `"price": 409000.50`),
			func(c *Client) (any, error) { o, _, err := c.Orders.Get(ctx, "745467462", nil); return o, err },
			"items[0].invoice.price", "409000.50"},
		"order v2 list": {"/v2/orders", page(orderV2, replace(t, "orders_v2/order_from_field_tables.json", `"final_amount": -5500.00`, `"final_amount": "-5500.5"`)),
			func(c *Client) (any, error) { p, _, err := c.Orders.List(ctx, nil); return p, err },
			"data[1].items[0].invoice.fees[0].final_amount", `"-5500.5"`},
		"order v2 discount": {"/v2/orders/745467462", replace(t, "orders_v2/order_from_field_tables.json", `"discount_percent": 0.00`, `"discount_percent": "."`),
			func(c *Client) (any, error) { o, _, err := c.Orders.Get(ctx, "745467462", nil); return o, err },
			"invoice.discount_percent", `"."`},
		"order v1": {"/v1/orders/929231617", replace(t, "order_detail.json", `"price": 200000`, `"price": 200000.5`),
			func(c *Client) (any, error) { o, _, err := c.V1.Orders.Get(ctx, "929231617"); return o, err },
			"items[0].price", "200000.5"},
		"order v1 list": {"/v1/orders", replace(t, "orders_list.json", `"total_price_after_discount": 200000`, `"total_price_after_discount": "0b101"`),
			func(c *Client) (any, error) { p, _, err := c.V1.Orders.List(ctx, nil); return p, err },
			"data[0].total_price_after_discount", `"0b101"`},
		"product": {"/v2.1/products/12345", replace(t, "product_get_v21.json", `"price": 27000,`, `"price": 27000.5,`),
			func(c *Client) (any, error) { p, _, err := c.Products.Get(ctx, 12345); return p, err },
			"price", "27000.5"},
		"product list": {"/v2.1/products", page(productRow, bytes.Replace(productRow, []byte(`"price": 20000`), []byte(`"price": "20000.01"`), 1)),
			func(c *Client) (any, error) { p, _, err := c.Products.List(ctx, nil); return p, err },
			"data[1].price", `"20000.01"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, s := setup(t)
			s.respond(http.MethodGet, tc.path, 200, tc.body)
			got, err := tc.call(c)
			assert.True(t, reflect.ValueOf(got).IsNil(), "nothing of the answer is returned")
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			var ae *AmountError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.field, ae.Field)
			assert.Equal(t, tc.value, ae.Value)
			assert.Contains(t, err.Error(), tc.field+": amount "+tc.value)
			assert.NotContains(t, err.Error(), "another shape")
			assert.Equal(t, string(tc.body), string(de.Body), "the answer stays on the error")
		})
	}
}

// An event whose payload holds an amount that is not a whole number of
// dong does not decode, names the field from the event's top and keeps
// its raw JSON; the other events of the batch decode.
func TestEventAmountErrorNamesTheField(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	bad := `{"id":"p1","sid":"S","created_at":1740401636695,"type":"PRODUCT_PRICE_UPDATED","version":"v1",` +
		`"payload":{"product_id":239545064,"original_sku":"xyz","price_from":"239000","price_to":"199000.5"}}`
	good := `{"id":"p2","sid":"S","created_at":1740401636695,"type":"PRODUCT_MARKET_PRICE_UPDATED","version":"v1",` +
		`"payload":{"product_id":239545064,"market_price_from":300000,"market_price_to":"250000.00"}}`
	s.respond(http.MethodPost, "/v1/queues/q1/events/pull", 200, []byte(`{"events":[`+bad+`,`+good+`],"ack_id":"a1"}`))
	batch, _, err := c.EventQueue.Pull(context.Background(), "q1", "")
	require.NoError(t, err, "the envelopes decode; payloads decode one event at a time")
	require.Len(t, batch.Events, 2)

	d, err := batch.Events[0].Decode()
	assert.Nil(t, d)
	var de *EventDecodeError
	require.ErrorAs(t, err, &de)
	assert.JSONEq(t, bad, string(de.Event.Raw), "the event stays as Tiki sent it")
	var ae *AmountError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "payload.price_to", ae.Field)
	assert.Equal(t, `"199000.5"`, ae.Value)
	assert.Contains(t, err.Error(), `payload.price_to: amount "199000.5" has a fraction`)

	d, err = batch.Events[1].Decode()
	require.NoError(t, err)
	assert.Equal(t, Money(250000), d.(*MarketPriceUpdatedEvent).MarketPriceTo)

	// An event reads only the fields its type carries: a stock change is
	// not refused for a price it does not hold.
	stock := Event{ID: "i1", Type: EventProductInventoryUpdated, Version: "v2",
		Payload: json.RawMessage(`{"product_id":7,"quantity_to":3,"price_to":"."}`)}
	d, err = stock.Decode()
	require.NoError(t, err)
	assert.Equal(t, 3, d.(*InventoryUpdatedEvent).QuantityTo)
}

// Codes and SKUs are plain strings and flags plain booleans, also when
// Tiki sends them in another form: a code as a number, a flag as 1/0 or a
// string.
func TestOrderPlainFieldsDecodeEveryForm(t *testing.T) {
	t.Parallel()
	body := `{"code": 745467462, "is_rma": 1, "is_vat_exporting": "true", "has_backorder_items": "0",
		"invoice": {"gift_card_code": 123, "coupon_code": 456, "discount_percent": "0.00"},
		"items": [{"id": 1,
			"product": {"sku": 341231234, "seller_product_code": 99},
			"invoice": {"is_seller_discount_coupon": 1, "is_taxable": "1",
				"fees": [{"base_amount": "5.5", "final_amount": "-5500.00"}]},
			"inventory_requisition": {"is_printed": "true"}}],
		"shipping": {"partner_id": 7, "plan": {"is_free_shipping": 1}},
		"payment": {"is_prepaid": "1"},
		"delivery": {"delivery_confirmed": 1, "delivery_confirmed_by_customer": "true"},
		"cancel_info": {"reason_code": 201},
		"seller_warehouse": {"active": 1}}`
	var o Order
	require.NoError(t, json.Unmarshal([]byte(body), &o))
	assert.Equal(t, "745467462", o.Code)
	assert.True(t, o.IsRMA)
	assert.True(t, o.IsVATExporting)
	assert.False(t, o.HasBackorderItems)
	assert.Equal(t, "123", o.Invoice.GiftCardCode)
	assert.Equal(t, "456", o.Invoice.CouponCode)
	it := o.Items[0]
	assert.Equal(t, "341231234", it.Product.SKU)
	assert.Equal(t, "99", it.Product.SellerProductCode)
	assert.True(t, it.Invoice.IsSellerDiscountCoupon)
	assert.True(t, it.Invoice.IsTaxable)
	assert.Equal(t, Percent(5.5), it.Invoice.Fees[0].BaseAmount)
	assert.Equal(t, Money(-5500), it.Invoice.Fees[0].FinalAmount)
	assert.True(t, it.InventoryRequisition.IsPrinted)
	assert.Equal(t, "7", o.Shipping.PartnerID)
	assert.True(t, o.Shipping.Plan.IsFreeShipping)
	assert.True(t, o.Payment.IsPrepaid)
	assert.True(t, o.Delivery.DeliveryConfirmed)
	assert.True(t, o.Delivery.DeliveryConfirmedByCustomer)
	assert.Equal(t, "201", o.CancelInfo.ReasonCode)
	assert.True(t, o.SellerWarehouse.Active)

	var inv SellerInventory
	require.NoError(t, json.Unmarshal([]byte(`{"id": 1, "is_primary": "1"}`), &inv))
	assert.True(t, inv.IsPrimary)
	var seller ProductSeller
	require.NoError(t, json.Unmarshal([]byte(`{"vat_limit_supported": "2", "is_all_vat_supported": 1}`), &seller))
	assert.Equal(t, ProductSeller{VATLimitSupported: 2, IsAllVATSupported: true}, seller)
	var v1 OrderV1
	require.NoError(t, json.Unmarshal([]byte(`{"order_code": 929231617, "is_rma": "1", "warehouse_id": "17",
		"items": [{"id": "1", "product_id": 2.0, "sku": 995611, "original_sku": 12, "qty": "2"}]}`), &v1))
	assert.Equal(t, "929231617", v1.OrderCode)
	assert.True(t, v1.IsRMA)
	assert.Equal(t, int64(17), v1.WarehouseID)
	assert.Equal(t, OrderItemV1{ID: 1, ProductID: 2, SKU: "995611", OriginalSKU: "12", Qty: 2}, v1.Items[0])
	var a Attribute
	require.NoError(t, json.Unmarshal([]byte(`{"id": "5", "is_required": 1}`), &a))
	assert.True(t, a.IsRequired)
}
