package ginee_test

import (
	"encoding/json"
	"testing"

	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

func FuzzParse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ginee.Parse(body)
		if !webhooktest.CheckParsed(t, ev, err) {
			return
		}
		env := ev.EventEnvelope()
		switch ev.(type) {
		case *ginee.OrderEvent:
			if env.Entity != ginee.EntityOrder {
				t.Fatalf("entity %q decoded as an order", env.Entity)
			}
		case *ginee.DeliveryOrderEvent:
			if env.Entity != ginee.EntityDeliveryOrder {
				t.Fatalf("entity %q decoded as a delivery order", env.Entity)
			}
		case *ginee.UnknownEvent:
			if env.Entity == ginee.EntityOrder || env.Entity == ginee.EntityDeliveryOrder {
				t.Fatalf("entity %q decoded as unknown", env.Entity)
			}
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

// FuzzTime feeds arbitrary JSON values to the Time decoder, which must
// never fail on valid JSON.
func FuzzTime(f *testing.F) {
	for _, s := range []string{
		`"2021-04-07T06:06:46.494Z"`, `"2020-10-27T15:50:19Z"`, `""`, `null`, `1617775606`,
		`1617775606494`, `-1`, `1e300`, `"soon"`, `{}`, `"2021-04-07 06:06:46"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tm ginee.Time
		if err := json.Unmarshal(data, &tm); err != nil && json.Valid(data) {
			t.Fatalf("Time failed on valid JSON %q: %v", data, err)
		}
		if _, err := json.Marshal(tm); err != nil {
			t.Fatalf("Time decoded from %q does not encode: %v", data, err)
		}
	})
}
