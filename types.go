package tiki

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// TimeLayout is the layout of Tiki's timestamps, in Vietnam time (UTC+7).
const TimeLayout = "2006-01-02 15:04:05"

// vietnam is Tiki's time zone. Vietnam has no daylight saving time, so a
// fixed zone is exact and does not depend on the system's zone database.
var vietnam = time.FixedZone("ICT", 7*60*60)

// Vietnam returns Tiki's time zone, UTC+7.
func Vietnam() *time.Location { return vietnam }

// timeLayouts are tried in order; layouts without a zone are Vietnam time.
var timeLayouts = []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"}

// maxUnixMilli is the last millisecond of year 9999.
const maxUnixMilli = 253402300799999

// Time is a timestamp as Tiki sends it: "2006-01-02 15:04:05" in Vietnam
// time, RFC3339, a bare date, or Unix seconds (or milliseconds). An empty string and null
// decode as the zero Time. It encodes (and formats query parameters) as
// "2006-01-02 15:04:05" in Vietnam time, and the zero Time as null.
type Time struct {
	time.Time
}

// NewTime returns t as a Time.
func NewTime(t time.Time) Time { return Time{Time: t} }

// ParseTime parses any of the forms Time accepts.
func ParseTime(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	if t, ok := parseTime(s); ok {
		return t, nil
	}
	return Time{}, fmt.Errorf("tiki: cannot parse time %q", s)
}

// parseTime parses a trimmed, non-empty s. The forms are told apart by
// their shape, so that the one layout that can match is tried alone (a
// failed time.Parse allocates its error); the layouts accept disjoint sets
// of strings, so the order in which they are tried does not change the
// result, and a string of another shape still goes through all of them.
func parseTime(s string) (Time, bool) {
	if isInteger(s) {
		return parseUnix(s)
	}
	guess := ""
	switch {
	case len(s) == len(TimeLayout) && s[10] == ' ':
		guess = TimeLayout
	case len(s) == len("2006-01-02"):
		guess = "2006-01-02"
	case len(s) > 19 && s[10] == 'T':
		guess = time.RFC3339Nano
	case len(s) == 19 && s[10] == 'T':
		guess = "2006-01-02T15:04:05"
	}
	if guess != "" {
		if t, err := time.ParseInLocation(guess, s, vietnam); err == nil {
			return Time{Time: t}, true
		}
	}
	for _, layout := range timeLayouts {
		if layout == guess {
			continue
		}
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return Time{Time: t}, true
		}
	}
	return Time{}, false
}

// isInteger reports whether s is an optional sign and digits, as
// strconv.ParseInt reads them.
func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseUnix parses Unix seconds or, for values too large for seconds (past
// year 5138), milliseconds.
func parseUnix(s string) (Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return Time{}, false
	}
	if n < 1e11 {
		return Time{Time: time.Unix(n, 0).In(vietnam)}, true
	}
	if n <= maxUnixMilli {
		return Time{Time: time.UnixMilli(n).In(vietnam)}, true
	}
	return Time{}, false
}

// String formats t as Tiki expects it in requests:
// "2006-01-02 15:04:05" in Vietnam time; "" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return t.In(vietnam).Format(TimeLayout)
}

// MarshalJSON encodes t as "2006-01-02 15:04:05" in Vietnam time, or null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.String() + `"`), nil
}

// UnmarshalJSON accepts every form described on Time. It reads b itself,
// in one pass: a JSON string's content (unescaped only when it has escapes)
// or a number as written.
func (t *Time) UnmarshalJSON(b []byte) error {
	text, ok := flexScalarBytes(b)
	if !ok {
		if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
			return newValueError("tiki: invalid JSON string %s", b)
		}
		text = b
	}
	if len(text) == 0 {
		*t = Time{}
		return nil
	}
	parsed, ok := parseTime(string(text))
	if !ok {
		return newValueError("tiki: cannot parse time %s", b)
	}
	*t = parsed
	return nil
}

// FlexInt is an integer that Tiki sends sometimes as a JSON number and
// sometimes as a string ("active": "0"). null and "" decode as 0. It encodes
// as a JSON number.
//
// The SDK's own types hold plain int64 and int fields, decoded this way;
// FlexInt is for the parts of Tiki's answers the SDK keeps as raw JSON and
// you decode yourself (Order.Raw and Order.Store, Product.Attributes,
// Event.Payload of an event type this SDK does not know), where Tiki is
// just as inconsistent. Amounts are Money, not FlexInt.
type FlexInt int64

// UnmarshalJSON accepts a number (integral), a numeric string, "" or null.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	s, ok := flexScalarBytes(b)
	if !ok {
		return newValueError("tiki: cannot decode %s as an integer", b)
	}
	if len(s) == 0 {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
		*n = FlexInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return newValueError("tiki: cannot decode %s as an integer", b)
	}
	*n = FlexInt(f)
	return nil
}

// FlexString is a string that Tiki may also send as a JSON number (ids,
// SKUs, order codes: the order entity table shows sku 341231234 unquoted,
// and TikiNOW may send its codes as numbers). A number keeps its exact text;
// null decodes as "". Booleans, objects and arrays are refused.
//
// The SDK's own types hold plain string fields, decoded this way;
// FlexString is for the parts of Tiki's answers the SDK keeps as raw JSON
// and you decode yourself (Order.Raw and Order.Store, Product.Attributes,
// Event.Payload of an event type this SDK does not know).
type FlexString string

// UnmarshalJSON accepts a string, a number (kept as written) or null. It
// reads b itself, in one pass, without calling back into encoding/json.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		v, ok := unquoteJSON(b)
		if !ok {
			return newValueError("tiki: invalid JSON string %s", b)
		}
		*s = FlexString(v)
		return nil
	case isJSONNumber(b):
		*s = FlexString(b)
		return nil
	}
	return newValueError("tiki: cannot decode %s as a string or a number", b)
}

// FlexBool is a boolean that Tiki sends as true/false, 1/0 or their string
// forms. null and "" decode as false. It encodes as a JSON boolean.
//
// The SDK's own types hold plain bool fields, decoded this way; FlexBool
// is for the parts of Tiki's answers the SDK keeps as raw JSON and you
// decode yourself (Order.Raw and Order.Store, Product.Attributes,
// Event.Payload of an event type this SDK does not know).
type FlexBool bool

// UnmarshalJSON accepts true, false, 1, 0, "true", "false", "1", "0", ""
// and null.
func (v *FlexBool) UnmarshalJSON(b []byte) error {
	s, ok := flexScalarBytes(b)
	switch {
	case !ok:
	case len(s) == 0, string(s) == "0", bytes.EqualFold(s, []byte("false")):
		*v = false
		return nil
	case string(s) == "1", bytes.EqualFold(s, []byte("true")):
		*v = true
		return nil
	}
	return newValueError("tiki: cannot decode %s as a boolean", b)
}

// flexScalarBytes returns the text of a JSON scalar: a string's content,
// or a number or literal as written; null yields nil. Arrays and objects
// are refused. The text is a part of b unless the string had escapes to
// undo. White space around the value, and around a string's content, is
// dropped. It reads b in one pass and never calls back into encoding/json.
func flexScalarBytes(b []byte) ([]byte, bool) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return nil, false
	case string(b) == "null":
		return nil, true
	case b[0] == '"':
		s, ok := unquoteJSON(b)
		if !ok {
			return nil, false
		}
		return bytes.TrimSpace(s), true
	case b[0] == '{' || b[0] == '[':
		return nil, false
	}
	return b, true
}

// unquoteJSON returns the content of the JSON string b (its quotes and
// nothing else around them), decoded as encoding/json decodes it: escapes
// undone, a \u surrogate pair joined, a lone surrogate or invalid UTF-8
// replaced by U+FFFD. A string without escapes or bytes to replace, the
// common case, is returned as a part of b, with no copy. ok is false when b
// is not a valid JSON string.
func unquoteJSON(b []byte) (s []byte, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	s = b[1 : len(b)-1]
	ascii := true
	for _, c := range s {
		switch {
		case c == '\\' || c == '"' || c < 0x20:
			return unescapeJSON(s)
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(s) {
		return unescapeJSON(s)
	}
	return s, true
}

// unescapeJSON decodes the content of a JSON string that has escapes,
// control characters, quotes or invalid UTF-8 in it, into a new slice.
func unescapeJSON(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s)+utf8.UTFMax)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c < 0x20:
			return nil, false
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(s[i+2:])
				if r < 0 {
					return nil, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// Joined with the low half that follows, or replaced.
					var low rune = -1
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						low = hex4(s[i+2:])
					}
					if dec := utf16.DecodeRune(r, low); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return nil, false
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, unicode.ReplacementChar)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
		}
	}
	return out, true
}

// hex4 decodes the four hexadecimal digits at the start of b, or returns
// -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// isJSONNumber reports whether b is a number as JSON writes it.
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(b)
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// Ptr returns a pointer to v, for optional request fields:
// &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)}.
func Ptr[T any](v T) *T { return &v }
