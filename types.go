package tiki

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, vietnam); err == nil {
			return Time{Time: t}, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		// Unix seconds; values too large for seconds (past year 5138)
		// are milliseconds.
		if n >= 1e11 {
			if n <= maxUnixMilli {
				return Time{Time: time.UnixMilli(n).In(vietnam)}, nil
			}
		} else {
			return Time{Time: time.Unix(n, 0).In(vietnam)}, nil
		}
	}
	return Time{}, fmt.Errorf("tiki: cannot parse time %q", s)
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

// UnmarshalJSON accepts every form described on Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// FlexInt is an integer that Tiki sends sometimes as a JSON number and
// sometimes as a string ("active": "0"). null and "" decode as 0. It encodes
// as a JSON number.
type FlexInt int64

// UnmarshalJSON accepts a number (integral), a numeric string, "" or null.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	s, ok := flexScalar(b)
	if !ok {
		return fmt.Errorf("tiki: cannot decode %s as an integer", truncate(b))
	}
	if s == "" {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = FlexInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("tiki: cannot decode %s as an integer", truncate(b))
	}
	*n = FlexInt(f)
	return nil
}

// FlexBool is a boolean that Tiki sends as true/false, 1/0 or their string
// forms. null and "" decode as false. It encodes as a JSON boolean.
type FlexBool bool

// UnmarshalJSON accepts true, false, 1, 0, "true", "false", "1", "0", ""
// and null.
func (v *FlexBool) UnmarshalJSON(b []byte) error {
	s, ok := flexScalar(b)
	if !ok {
		return fmt.Errorf("tiki: cannot decode %s as a boolean", truncate(b))
	}
	switch strings.ToLower(s) {
	case "true", "1":
		*v = true
	case "false", "0", "":
		*v = false
	default:
		return fmt.Errorf("tiki: cannot decode %s as a boolean", truncate(b))
	}
	return nil
}

// flexScalar returns the text of a JSON scalar: a string's content, or a
// number or literal as written; null yields "". Arrays and objects are
// refused.
func flexScalar(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return "", false
	case string(b) == "null":
		return "", true
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	case b[0] == '{' || b[0] == '[':
		return "", false
	}
	return string(b), true
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
