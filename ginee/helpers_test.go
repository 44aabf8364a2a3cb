package ginee_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

// Fixtures, by path from this package: the examples of Ginee's
// documentation are the repository's; this package keeps only variants of
// its own.
const (
	orderCreate          = "../testdata/ginee_order_create.json"
	deliveryOrderCreate  = "../testdata/ginee_webhook_envelope.json" // the doc's curl example, its id quoted
	deliveryOrderUpdate  = "../testdata/ginee_delivery_order_update.json"
	deliveryOrderDelete  = "../testdata/ginee_delivery_order_delete.json"
	okReplyFixture       = "../testdata/ginee_webhook_response.json"
	deliveryOrderLenient = "testdata/delivery_order_lenient.json"
	unknownEntity        = "testdata/unknown_entity.json"
)

// fixture returns the content of the fixture at path.
func fixture(t testing.TB, path string) []byte {
	t.Helper()
	return webhooktest.ReadFile(t, path)
}

// fixturePayload returns the "payload" member of the fixture at path.
func fixturePayload(t testing.TB, path string) json.RawMessage {
	t.Helper()
	return webhooktest.Member(t, fixture(t, path), "payload")
}

// utc is the Time a Ginee timestamp decodes to.
func utc(raw string) ginee.Time {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		panic(err)
	}
	return ginee.Time{Time: t, Raw: raw}
}

// parseAs parses the fixture at path and asserts the type of the event.
func parseAs[E ginee.Event](t *testing.T, path string) E {
	t.Helper()
	ev, err := ginee.Parse(fixture(t, path))
	require.NoError(t, err)
	e, ok := ev.(E)
	require.Truef(t, ok, "Parse returned %T", ev)
	return e
}

// seed adds every fixture and a few edge cases to the corpus of f.
func seed(f *testing.F) {
	webhooktest.Seed(f, []string{"testdata/*.json", "../testdata/ginee_*.json"},
		``, `null`, `{}`, `[]`,
		`{"id": GENIE5FF31A7C5F15030001D3ED5F, "entity": "delivery-order", "action": "CREATE", "payload": {}}`,
		`{"entity":"order","createAt":1e12,"user":{"_id":"x"},"payload":{"payAt":-1}}`,
		`{"entity":"delivery-order","payload":{"orderItems":[{"quantity":"7"},{"quantity":2.0}]}}`,
	)
}

const hookURL = "/webhooks/ginee"

func newReceiver(t *testing.T, opts ...webhook.Option) *ginee.Receiver {
	t.Helper()
	rc, err := ginee.NewReceiver(opts...)
	require.NoError(t, err)
	return rc
}

// request returns a notification of body to path, with optional headers
// as name, value pairs.
func request(method, path string, body []byte, header ...string) *http.Request {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// post sends body to h at path, with optional headers as name, value pairs.
func post(h http.Handler, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(http.MethodPost, path, body, header...))
	return w
}

func errReply(status int) string {
	return `{"status": false, "message": "` + http.StatusText(status) + `"}`
}

// registerAll registers fn as the handler of every entity, OnUnknown's
// included; nil removes them.
func registerAll(rc *ginee.Receiver, fn func(context.Context, ginee.Event) error) {
	rc.OnOrder(webhooktest.Typed[*ginee.OrderEvent](fn))
	rc.OnDeliveryOrder(webhooktest.Typed[*ginee.DeliveryOrderEvent](fn))
	rc.OnUnknown(webhooktest.Typed[*ginee.UnknownEvent](fn))
}

// harness describes the Receiver to the tests every receiver must pass.
func harness(t testing.TB) webhooktest.Receiver {
	okReply := string(fixture(t, okReplyFixture))
	return webhooktest.Receiver{
		New: func(opts ...webhook.Option) (http.Handler, error) {
			return ginee.NewReceiver(append([]webhook.Option{ginee.WithoutAuthentication()}, opts...)...)
		},
		Zero:      func() http.Handler { return &ginee.Receiver{} },
		HandleAll: webhooktest.HandleAll(registerAll),
		OnUnknown: webhooktest.HandleAll(func(rc *ginee.Receiver, fn func(context.Context, ginee.Event) error) {
			rc.OnUnknown(webhooktest.Typed[*ginee.UnknownEvent](fn))
		}),
		Unrecognised: []string{
			`{"id": "GENIE1", "entity": "product", "action": "UPDATE", "payload": {"productId": "P1", "stock": 3}}`,
			`{"id": "GENIE2", "entity": "", "payload": {}}`,
		},
		Request: func(method string, body []byte) *http.Request { return request(method, hookURL, body) },
		Body:    fixture(t, orderCreate),
		Key:     "ginee:id:GENIE5FF31A7C5F15030001D3ED5E",
		Malformed: []string{
			// The curl example of Ginee's documentation, as written.
			`{"id": GENIE5FF31A7C5F15030001D3ED5F, "entity": "delivery-order", "action": "CREATE", "payload": {}}`,
			`{"id": "GENIE1", "entity": "order", "payload": {"orderId": 1}}`,
		},
		Reply: func(status int) string {
			if status == http.StatusOK {
				return okReply
			}
			return errReply(status)
		},
	}
}
