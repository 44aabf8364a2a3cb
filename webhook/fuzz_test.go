package webhook_test

import (
	"testing"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

func FuzzParseTime(f *testing.F) {
	for _, seed := range []string{
		"2021-04-07T06:06:46.494Z", "2020-10-27T15:50:19Z", "2023-05-01 10:00:00",
		"2023-05-01T10:00:00+07:00", "2023-05-01 10:00:00.123456", "1990-12-31", "",
		"0000-00-00 00:00:00", "2023-05-01 10:00:00+07:00", "2023-05-01 10:00:00+24:00",
	} {
		f.Add(seed)
	}
	ict := time.FixedZone("ICT", 7*60*60)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := webhook.ParseTime(s, ict)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("ParseTime(%q) failed but returned %v", s, got)
			}
			return
		}
		if _, err := got.MarshalJSON(); err != nil {
			t.Fatalf("ParseTime(%q) = %v, which does not encode as JSON: %v", s, got, err)
		}
		// What parsed once parses again, to the same instant, from its
		// RFC 3339 form.
		again, err := webhook.ParseTime(got.Format(time.RFC3339Nano), nil)
		if err != nil {
			// Years outside 0000-9999 do not round-trip through RFC 3339.
			if y := got.Year(); y >= 0 && y <= 9999 {
				t.Fatalf("ParseTime(%q) = %v, whose RFC 3339 form does not parse: %v", s, got, err)
			}
			return
		}
		if !again.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, round trip gives %v", s, got, again)
		}
	})
}
