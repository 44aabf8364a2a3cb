package tikinow_test

import (
	"strings"
	"testing"

	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/tikinow"
)

// FuzzParse: an arbitrary body parses to an event or to an error wrapping
// webhook.ErrMalformedPayload, and a documented event reads back unchanged
// from its encoding.
func FuzzParse(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := tikinow.Parse(body)
		if !webhooktest.CheckParsed(t, ev, err) {
			return
		}
		if _, unknown := ev.(*tikinow.UnknownEvent); !unknown {
			checkRoundTrip(t, ev)
		}
	})
}

// FuzzReceiver sends arbitrary signed bodies through a Receiver with every
// handler registered: it must answer with a known status and never panic.
func FuzzReceiver(f *testing.F) {
	seed(f)
	rc := harness(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		webhooktest.CheckDelivery(t, rc, body)
	})
}

// FuzzVerify: Verify accepts exactly the signature Sign makes (in either
// hex case) for a non-empty secret.
func FuzzVerify(f *testing.F) {
	body := fixture(f, stockFixture)
	f.Add(body, tikinow.Sign(body, secret), secret)
	f.Add([]byte("{}"), "sha1=", "")
	f.Add([]byte(""), "sha1=zz", "k")
	f.Fuzz(func(t *testing.T, body []byte, header, secret string) {
		want := tikinow.Sign(body, secret)
		err := tikinow.Verify(body, header, secret)
		if err == nil && (secret == "" || !strings.EqualFold(strings.TrimSpace(header), want)) {
			t.Fatalf("accepted %q for secret %q", header, secret)
		}
		if secret != "" && tikinow.Verify(body, want, secret) != nil {
			t.Fatal("refused its own signature")
		}
	})
}
