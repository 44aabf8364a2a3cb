package ginee_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/webhook"
)

// addFixtures seeds f with every testdata file and a few edge cases.
func addFixtures(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`,
		`{"id": GENIE5FF31A7C5F15030001D3ED5F, "entity": "delivery-order", "action": "CREATE", "payload": {}}`,
		`{"entity":"order","createAt":1e12,"user":{"_id":"x"},"payload":{"payAt":-1}}`,
		`{"entity":"delivery-order","payload":{"orderItems":[{"quantity":"7"},{"quantity":2.0}]}}`,
	} {
		f.Add([]byte(s))
	}
}

func FuzzParse(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ginee.Parse(body)
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformedPayload) {
				t.Fatalf("error does not wrap ErrMalformedPayload: %v", err)
			}
			if ev != nil {
				t.Fatalf("Parse returned both %T and an error", ev)
			}
			return
		}
		if ev == nil {
			t.Fatal("Parse returned neither an event nor an error")
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
		// A decoded event encodes again: its values are all representable.
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("decoded event does not encode: %v", err)
		}
	})
}

// FuzzReceiver sends arbitrary bodies through a Receiver with every handler
// registered: it must answer with a known status and never panic.
func FuzzReceiver(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rc, err := ginee.NewReceiver(ginee.WithMaxBodyBytes(1 << 16))
		if err != nil {
			t.Fatal(err)
		}
		var rec recorder
		rec.registerAll(rc)

		w := post(rc, "/webhooks/ginee", body)
		var reply struct {
			Status *bool `json:"status"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil || reply.Status == nil {
			t.Fatalf("unexpected reply %q", w.Body.String())
		}
		switch w.Code {
		case http.StatusOK:
			if !*reply.Status || len(rec.got()) != 1 {
				t.Fatalf("200 with status %v after %d handler runs", *reply.Status, len(rec.got()))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if *reply.Status || len(rec.got()) != 0 {
				t.Fatalf("%d with status %v after %d handler runs", w.Code, *reply.Status, len(rec.got()))
			}
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
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
