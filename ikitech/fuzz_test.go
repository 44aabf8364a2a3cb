package ikitech_test

import (
	"encoding/json"
	"testing"

	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

func FuzzParse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ikitech.Parse(body)
		if !webhooktest.CheckParsed(t, ev, err) {
			return
		}
		_, unknown := ev.(*ikitech.UnknownEvent)
		if unknown == ev.EventType().Known() {
			t.Fatalf("type %q decoded as %T", ev.EventType(), ev)
		}
	})
}

// FuzzReceiver sends arbitrary bodies through a Receiver with every handler
// registered: it must answer with a known status and never panic.
func FuzzReceiver(f *testing.F) {
	seed(f)
	rc := harness(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		webhooktest.CheckDelivery(t, rc, body)
	})
}

// FuzzScalars feeds arbitrary JSON values to the lenient scalar decoders.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{
		`150000`, `"150000.50"`, `null`, `""`, `"  "`, `1e400`, `"1e3"`, `-0`, `true`, `"TRUE"`, `"0"`,
		`"2023-05-01 10:30:00"`, `"2023-05-02T03:30:00.000000Z"`, `"0000-00-00 00:00:00"`, `{}`, `[1]`,
		`9223372036854775807`, `9223372036854775808`, `"\u0031"`, `"2023-05-01 10:00:00+24:00"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fl ikitech.Float
		if err := json.Unmarshal(data, &fl); err == nil {
			if _, err := json.Marshal(fl); err != nil {
				t.Fatalf("Float decoded %q to %v, which does not encode: %v", data, fl, err)
			}
		}
		var n ikitech.Int
		if err := json.Unmarshal(data, &n); err == nil {
			var fromFloat ikitech.Float
			if json.Unmarshal(data, &fromFloat) != nil {
				t.Fatalf("%q decodes as Int %d but not as Float", data, n)
			}
		}
		var b ikitech.Bool
		_ = json.Unmarshal(data, &b)
		var pm ikitech.PaymentMethod
		_ = json.Unmarshal(data, &pm)

		var tm ikitech.Time
		if err := json.Unmarshal(data, &tm); err != nil && json.Valid(data) {
			t.Fatalf("Time failed on valid JSON %q: %v", data, err)
		}
		if _, err := json.Marshal(tm); err != nil {
			t.Fatalf("Time decoded from %q does not encode: %v", data, err)
		}
	})
}
