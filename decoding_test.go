package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
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
			c, mt := setup(t)
			respond(mt, tc.method, tc.path, 200, []byte(tc.body), nil)
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
