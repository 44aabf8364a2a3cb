package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Time is a timestamp read from a delivery together with the text it was
// read from. Reading one never fails a delivery: a value that is not a
// recognizable time leaves the time zero and is kept in Raw.
//
// The receivers' own time types, [github.com/tikisdk/tiki/ikitech.Time] and
// [github.com/tikisdk/tiki/ginee.Time], have the same fields and convert to
// and from Time; they differ only in how they call [Time.DecodeJSON] (the
// zone of a time written without one, and whether a number is a Unix time).
// Compare Times with Equal, not ==.
type Time struct {
	time.Time

	// Raw is the text the sender wrote (a JSON string's content, or the JSON
	// text of any other value); empty for null. It keeps a value in an
	// unexpected format from being lost.
	Raw string
}

// DecodeJSON sets t from the JSON value data, without ever failing:
//
//   - null leaves t unchanged;
//   - a string is kept in Raw and parsed with [ParseTime], a time without a
//     zone being read in loc (UTC when nil); "" and anything ParseTime
//     rejects leave the time zero;
//   - a number is kept in Raw and its time is fromNumber's result (zero when
//     fromNumber is nil);
//   - anything else is kept in Raw, with a zero time.
func (t *Time) DecodeJSON(data []byte, loc *time.Location, fromNumber func(json.Number) time.Time) {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		parsed, err := ParseTime(s, loc)
		if err != nil {
			parsed = time.Time{}
		}
		*t = Time{Time: parsed, Raw: s}
		return
	}
	*t = Time{Raw: string(data)}
	var n json.Number
	if fromNumber != nil && json.Unmarshal(data, &n) == nil {
		t.Time = fromNumber(n)
	}
}

// UnmarshalJSON implements [json.Unmarshaler] as [Time.DecodeJSON] does,
// reading a time without a zone as UTC and a number as no time.
func (t *Time) UnmarshalJSON(data []byte) error {
	t.DecodeJSON(data, time.UTC, nil)
	return nil
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
	return fmt.Sprintf("webhook.Time{Time: %#v, Raw: %q}", t.Time, t.Raw)
}
