package ikitech

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

// Float is a number IKITECH documents as double (prices, amounts, weights,
// ratings). It decodes from a JSON number or from a string holding one
// ("150000.5"); null and "" leave it zero. Any other value fails the
// delivery with [webhook.ErrMalformedPayload], rather than silently turning
// a price into zero.
//
// Amounts are in Vietnamese đồng. A float64 holds every whole amount up to
// 2^53 exactly, far above any order total.
type Float float64

// UnmarshalJSON implements [json.Unmarshaler].
func (f *Float) UnmarshalJSON(data []byte) error {
	s, ok, err := numberText(data)
	if err != nil || !ok {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("ikitech: number %s is out of range", s)
	}
	*f = Float(v)
	return nil
}

// Int is a whole number IKITECH documents as int (ids, counts, quantities,
// points). It decodes from a JSON number or from a string holding one
// ("12"); a number with a zero fraction ("12.0", 1.2e1) is accepted. null
// and "" leave it zero. A fraction, or a value outside the int64 range,
// fails the delivery.
type Int int64

// UnmarshalJSON implements [json.Unmarshaler].
func (n *Int) UnmarshalJSON(data []byte) error {
	return decodeInt(data, n)
}

// Bool is a flag IKITECH documents as boolean. Besides true and false it
// decodes from 1 and 0, and from the strings "true", "false", "1", "0" (in
// any case), as PHP back ends often send them; null and "" leave it false.
type Bool bool

// UnmarshalJSON implements [json.Unmarshaler].
func (b *Bool) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	s := string(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		*b = true
	case "false", "0", "":
		*b = false
	default:
		return fmt.Errorf("ikitech: cannot decode %s as a boolean", truncate(data))
	}
	return nil
}

// Time is a timestamp IKITECH documents as datetime.
//
// It decodes from the shapes [webhook.ParseTime] accepts. IKITECH is a
// Vietnamese platform: a time written without a zone ("2023-05-01 10:30:00",
// the Laravel default) is read as Vietnam time (UTC+7).
//
// A Time never fails a delivery: null and "" leave it zero, and a value that
// is not a recognizable time ("0000-00-00 00:00:00", a number) leaves it
// zero with the text kept in Raw. It converts to and from [webhook.Time],
// which holds that logic. Compare Times with Equal, not ==.
type Time struct {
	time.Time

	// Raw is the text IKITECH sent (a JSON string's content, or the JSON
	// text of anything else); empty for null. It keeps a value in an
	// unexpected format from being lost.
	Raw string
}

// UnmarshalJSON implements [json.Unmarshaler], as [webhook.Time.DecodeJSON]
// does with Vietnam time for times without a zone and no Unix times.
func (t *Time) UnmarshalJSON(data []byte) error {
	(*webhook.Time)(t).DecodeJSON(data, vietnam(), nil)
	return nil
}

// MarshalJSON implements [json.Marshaler]: RFC 3339 for a parsed time, the
// raw text for one that was not parsed, null when there is neither.
func (t Time) MarshalJSON() ([]byte, error) {
	return webhook.Time(t).MarshalJSON()
}

// String returns the time in the format of [time.Time.String], or Raw when
// it could not be parsed.
func (t Time) String() string {
	return webhook.Time(t).String()
}

// GoString returns Go syntax for t, including Raw (the embedded
// [time.Time.GoString] would leave it out).
func (t Time) GoString() string {
	return fmt.Sprintf("ikitech.Time{Time: %#v, Raw: %q}", t.Time, t.Raw)
}

// vietnam returns the zone IKITECH's zone-less times are written in.
func vietnam() *time.Location {
	return time.FixedZone("ICT", 7*60*60)
}

// numberText returns the text of the number held by data, a JSON number or
// a JSON string holding one. ok is false for null and for a blank string.
func numberText(data []byte) (s string, ok bool, err error) {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		return "", false, nil
	case len(data) > 0 && data[0] == '"':
		if err := json.Unmarshal(data, &s); err != nil {
			return "", false, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", false, nil
		}
	default:
		s = string(data)
	}
	if !isJSONNumber(s) {
		return "", false, fmt.Errorf("ikitech: cannot decode %s as a number", truncate(data))
	}
	return s, true, nil
}

// decodeInt decodes data as [Int] does into any integer type, refusing
// values the type cannot hold.
func decodeInt[T ~int | ~int64](data []byte, dst *T) error {
	s, ok, err := numberText(data)
	if err != nil || !ok {
		return err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return fmt.Errorf("ikitech: %s is not an integer", s)
		}
		n = int64(f)
	}
	if int64(T(n)) != n {
		return fmt.Errorf("ikitech: %s is out of range", s)
	}
	*dst = T(n)
	return nil
}

// isJSONNumber reports whether s is a number in JSON syntax:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// truncate shortens a value quoted in an error message.
func truncate(data []byte) string {
	const limit = 64
	if len(data) <= limit {
		return string(data)
	}
	return string(data[:limit]) + "..."
}
