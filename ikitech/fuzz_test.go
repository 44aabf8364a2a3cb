package ikitech_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/tikisdk/tiki/ikitech"
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
		``, `null`, `{}`, `[]`, `{"type":"NEW_ORDER","data":null}`,
		`{"type":"NEW_ORDER","data":{"id":"1e3","cod":"-0.5","logged":"1","created_at":123}}`,
		`{"type":"NEW_PRODUCT","data":{"distributes":[{"element_distributes":[{"sub_element_distributes":[1,"x",null]}]}]}}`,
	} {
		f.Add([]byte(s))
	}
}

func FuzzParse(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ikitech.Parse(body)
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
		_, unknown := ev.(*ikitech.UnknownEvent)
		if unknown == ev.EventType().Known() {
			t.Fatalf("type %q decoded as %T", ev.EventType(), ev)
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
		rc, err := ikitech.NewReceiver(testToken, ikitech.WithMaxBodyBytes(1<<16))
		if err != nil {
			t.Fatal(err)
		}
		var rec recorder
		rec.registerAll(rc)

		w := deliver(rc, body, testToken)
		switch w.Code {
		case http.StatusOK:
			if len(rec.got()) != 1 {
				t.Fatalf("200 after %d handler runs", len(rec.got()))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if len(rec.got()) != 0 {
				t.Fatalf("%d after a handler ran", w.Code)
			}
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
		if !json.Valid(w.Body.Bytes()) || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"success":`)) {
			t.Fatalf("unexpected reply %q", w.Body.String())
		}
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
