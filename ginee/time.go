package ginee

import (
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
// kept in Raw. It converts to and from [webhook.Time], which holds that
// logic. Compare Times with Equal, not ==.
type Time struct {
	time.Time

	// Raw is the text Ginee sent (a JSON string's content, or the JSON text
	// of anything else); empty for null. It keeps a value in an unexpected
	// format from being lost.
	Raw string
}

// UnmarshalJSON implements [json.Unmarshaler], as [webhook.Time.DecodeJSON]
// does with UTC for times without a zone and numbers read as Unix times.
func (t *Time) UnmarshalJSON(data []byte) error {
	(*webhook.Time)(t).DecodeJSON(data, time.UTC, unixTime)
	return nil
}

// unixTime reads n as a number of Unix seconds, or of milliseconds when it
// is 10^12 or more; it returns the zero Time for a number out of range.
func unixTime(n json.Number) time.Time {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return time.Time{}
	}
	ms := f * 1000
	if math.Abs(f) >= 1e12 {
		ms = f
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
	return fmt.Sprintf("ginee.Time{Time: %#v, Raw: %q}", t.Time, t.Raw)
}
