package ikitech_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ikitech"
)

func TestFloat(t *testing.T) {
	t.Parallel()

	ok := map[string]ikitech.Float{
		`150000`: 150000, `150000.5`: 150000.5, `-1.25`: -1.25, `1e3`: 1000, `0`: 0,
		`"150000"`: 150000, `"150000.50"`: 150000.5, `" 42 "`: 42, `"1E-2"`: 0.01,
		`null`: 7, `""`: 7, `"   "`: 7, // these leave the value alone
	}
	for in, want := range ok {
		f := ikitech.Float(7)
		require.NoError(t, json.Unmarshal([]byte(in), &f), in)
		assert.Equal(t, want, f, in)
	}
	for _, in := range []string{`"abc"`, `"1,000"`, `"0x10"`, `"NaN"`, `"Inf"`, `"+1"`, `"01"`, `"1."`, `".5"`, `true`, `{}`, `[]`, `1e400`, `"1e400"`} {
		var f ikitech.Float
		assert.Error(t, json.Unmarshal([]byte(in), &f), in)
	}
}

func TestInt(t *testing.T) {
	t.Parallel()

	ok := map[string]ikitech.Int{
		`12`: 12, `-3`: -3, `12.0`: 12, `1.2e1`: 12, `"12"`: 12, `"12.00"`: 12, `"-0"`: 0,
		`9223372036854775807`: 9223372036854775807, `"-9223372036854775808"`: -9223372036854775808,
		`null`: 5, `""`: 5,
	}
	for in, want := range ok {
		n := ikitech.Int(5)
		require.NoError(t, json.Unmarshal([]byte(in), &n), in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{`1.5`, `"1.5"`, `9223372036854775808`, `1e19`, `"x"`, `false`, `[1]`} {
		var n ikitech.Int
		assert.Error(t, json.Unmarshal([]byte(in), &n), in)
	}
}

func TestBool(t *testing.T) {
	t.Parallel()

	ok := map[string]bool{
		`true`: true, `false`: false, `1`: true, `0`: false,
		`"true"`: true, `"TRUE"`: true, `"false"`: false, `"1"`: true, `"0"`: false, `""`: false,
	}
	for in, want := range ok {
		b := ikitech.Bool(!want)
		require.NoError(t, json.Unmarshal([]byte(in), &b), in)
		assert.Equal(t, want, bool(b), in)
	}
	b := ikitech.Bool(true)
	require.NoError(t, json.Unmarshal([]byte(`null`), &b))
	assert.True(t, bool(b), "null leaves the value alone")

	for _, in := range []string{`2`, `"yes"`, `"null"`, `{}`, `[]`, `1.0`} {
		var b ikitech.Bool
		assert.Error(t, json.Unmarshal([]byte(in), &b), in)
	}
}

func TestTime(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want ikitech.Time
	}{
		{`"2023-05-01 10:30:00"`, vnTime("2023-05-01 10:30:00", 2023, 5, 1, 10, 30, 0)},
		{`"2023-05-01T10:30:00"`, vnTime("2023-05-01T10:30:00", 2023, 5, 1, 10, 30, 0)},
		{`"1990-12-31"`, vnTime("1990-12-31", 1990, 12, 31, 0, 0, 0)},
		{`"2023-05-02T03:30:00.000000Z"`, ikitech.Time{Time: time.Date(2023, 5, 2, 3, 30, 0, 0, time.UTC), Raw: "2023-05-02T03:30:00.000000Z"}},
		{`""`, ikitech.Time{}},
		{`"0000-00-00 00:00:00"`, ikitech.Time{Raw: "0000-00-00 00:00:00"}},
		{`"31/12/1990"`, ikitech.Time{Raw: "31/12/1990"}},
		{`1682912400`, ikitech.Time{Raw: "1682912400"}},
		{`{"date": "2023-05-01"}`, ikitech.Time{Raw: `{"date": "2023-05-01"}`}},
	}
	for _, tt := range tests {
		got := ikitech.Time{Raw: "previous"}
		require.NoError(t, json.Unmarshal([]byte(tt.in), &got), tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}

	got := vnTime("x", 2020, 1, 1, 0, 0, 0)
	require.NoError(t, json.Unmarshal([]byte(`null`), &got))
	assert.Equal(t, vnTime("x", 2020, 1, 1, 0, 0, 0), got, "null leaves the value alone")
}

func TestTimeMarshalAndString(t *testing.T) {
	t.Parallel()

	parsed := vnTime("2023-05-01 10:30:00", 2023, 5, 1, 10, 30, 0)
	b, err := json.Marshal(parsed)
	require.NoError(t, err)
	assert.JSONEq(t, `"2023-05-01T10:30:00+07:00"`, string(b))
	assert.Equal(t, "2023-05-01 10:30:00 +0700 ICT", parsed.String())

	unparsed := ikitech.Time{Raw: "0000-00-00 00:00:00"}
	b, err = json.Marshal(unparsed)
	require.NoError(t, err)
	assert.JSONEq(t, `"0000-00-00 00:00:00"`, string(b))
	assert.Equal(t, "0000-00-00 00:00:00", unparsed.String())

	b, err = json.Marshal(ikitech.Time{})
	require.NoError(t, err)
	assert.JSONEq(t, `null`, string(b))

	assert.Contains(t, fmt.Sprintf("%#v", unparsed), `Raw: "0000-00-00 00:00:00"`)
}

func TestEnums(t *testing.T) {
	t.Parallel()

	assert.Equal(t, "visible", ikitech.ProductStatusVisible.String())
	assert.Equal(t, "hidden", ikitech.ProductStatusHidden.String())
	assert.Equal(t, "ProductStatus(-1)", ikitech.ProductStatus(-1).String())
	assert.True(t, ikitech.ProductStatusVisible.Visible())
	assert.False(t, ikitech.ProductStatusHidden.Visible())
	assert.False(t, ikitech.ProductStatus(-1).Visible())

	assert.Equal(t, "unknown", ikitech.SexUnknown.String())
	assert.Equal(t, "male", ikitech.SexMale.String())
	assert.Equal(t, "female", ikitech.SexFemale.String())
	assert.Equal(t, "Sex(3)", ikitech.Sex(3).String())

	assert.Equal(t, "cash", ikitech.PaymentMethodCash.String())
	assert.Equal(t, "card", ikitech.PaymentMethodCard.String())
	assert.Equal(t, "cod", ikitech.PaymentMethodCOD.String())
	assert.Equal(t, "bank_transfer", ikitech.PaymentMethodBankTransfer.String())
	assert.Equal(t, "e_wallet", ikitech.PaymentMethodEWallet.String())
	assert.Equal(t, "PaymentMethod(9)", ikitech.PaymentMethod(9).String())

	assert.Equal(t, "GHTK", ikitech.ShipperPartnerGHTK.String())
	assert.Equal(t, "GHN", ikitech.ShipperPartnerGHN.String())
	assert.Equal(t, "VIETTELPOST", ikitech.ShipperPartnerViettelPost.String())
	assert.Equal(t, "ShipperPartner(2)", ikitech.ShipperPartner(2).String())

	assert.Equal(t, "standard", ikitech.ShipperTypeStandard.String())
	assert.Equal(t, "express", ikitech.ShipperTypeExpress.String())
	assert.Equal(t, "ShipperType(2)", ikitech.ShipperType(2).String())

	// Every enum decodes numbers and numeric strings.
	var v struct {
		S  ikitech.ProductStatus  `json:"s"`
		X  ikitech.Sex            `json:"x"`
		M  ikitech.PaymentMethod  `json:"m"`
		P  ikitech.ShipperPartner `json:"p"`
		T  ikitech.ShipperType    `json:"t"`
		OS ikitech.OrderStatus    `json:"os"`
		PS ikitech.PaymentStatus  `json:"ps"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"s": "1", "x": 2, "m": "3", "p": 3, "t": "1", "os": "7", "ps": 2}`), &v))
	assert.Equal(t, ikitech.ProductStatusHidden, v.S)
	assert.Equal(t, ikitech.SexFemale, v.X)
	assert.Equal(t, ikitech.PaymentMethodBankTransfer, v.M)
	assert.Equal(t, ikitech.ShipperPartnerViettelPost, v.P)
	assert.Equal(t, ikitech.ShipperTypeExpress, v.T)
	assert.Equal(t, ikitech.OrderStatus(7), v.OS)
	assert.Equal(t, ikitech.PaymentStatus(2), v.PS)
}

func TestEventTypeKnown(t *testing.T) {
	t.Parallel()

	for _, typ := range []ikitech.EventType{
		ikitech.EventNewProduct, ikitech.EventUpdateProduct, ikitech.EventDeleteProduct,
		ikitech.EventNewOrder, ikitech.EventUpdateOrder, ikitech.EventDeleteOrder,
		ikitech.EventNewCustomer, ikitech.EventUpdateCustomer, ikitech.EventDeleteCustomer,
	} {
		assert.True(t, typ.Known(), typ)
	}
	assert.False(t, ikitech.EventType("").Known())
	assert.False(t, ikitech.EventType("new_order").Known())
}
