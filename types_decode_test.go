package tiki

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
