package ginee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

// Time is a timestamp Ginee documents as a UTC timestamp
// ("2021-04-07T06:06:46.494Z").
//
// It decodes from the shapes [webhook.ParseTime] accepts, a time without a
// zone being read as UTC, and from a JSON number of Unix seconds, or of
// milliseconds when it is 10^12 or more. A Time never fails a delivery: null
// and "" leave it zero, and any other value leaves it zero with the text
// kept in Raw. Compare Times with Equal, not ==.
type Time struct {
	time.Time

	// Raw is the text Ginee sent (a JSON string's content, or the JSON text
	// of anything else); empty for null. It keeps a value in an unexpected
	// format from being lost.
	Raw string
}

// UnmarshalJSON implements [json.Unmarshaler].
func (t *Time) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		*t = Time{Time: unixTime(data), Raw: string(data)}
		return nil
	}
	parsed, err := webhook.ParseTime(s, time.UTC)
	if err != nil {
		*t = Time{Raw: s}
		return nil
	}
	*t = Time{Time: parsed, Raw: s}
	return nil
}

// unixTime reads data as a number of Unix seconds or milliseconds; it
// returns the zero Time for anything else.
func unixTime(data []byte) time.Time {
	n, err := strconv.ParseFloat(string(data), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return time.Time{}
	}
	ms := n * 1000
	if math.Abs(n) >= 1e12 {
		ms = n
	}
	// Beyond about ±290 million years, time.UnixMilli overflows; and
	// RFC 3339 cannot write years past 9999 anyway.
	const maxMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
	if ms < 0 || ms > maxMillis {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// MarshalJSON implements [json.Marshaler]: RFC 3339 for a parsed time, the
// raw text for one that was not parsed, null when there is neither.
func (t Time) MarshalJSON() ([]byte, error) {
	switch {
	case !t.Time.IsZero():
		return t.Time.MarshalJSON()
	case t.Raw != "":
		return json.Marshal(t.Raw)
	default:
		return []byte("null"), nil
	}
}

// String returns the time in the format of [time.Time.String], or Raw when
// it could not be parsed.
func (t Time) String() string {
	if t.Time.IsZero() && t.Raw != "" {
		return t.Raw
	}
	return t.Time.String()
}

// GoString returns Go syntax for t, including Raw (the embedded
// [time.Time.GoString] would leave it out).
func (t Time) GoString() string {
	return fmt.Sprintf("ginee.Time{Time: %#v, Raw: %q}", t.Time, t.Raw)
}
