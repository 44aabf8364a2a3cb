package tikinow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

// secret and secret2 are secret keys of TikiNOW's length (two, for
// rotation).
const (
	secret  = "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0"
	secret2 = "Zm9vYmFyYmF6cXV4cXV1eHF1dXp6enp6"
)

// Fixtures, by name in the repository's testdata/ (beside the registration
// request and answers the root package's tests use): deliveries built from
// the payloads TikiNOW documents, and the acknowledgement it expects.
const (
	stockFixture       = "tikinow_webhook_stock.json"
	orderFixture       = "tikinow_webhook_order_status.json"
	orderMinFixture    = "tikinow_webhook_order_status_minimal.json"
	aftersaleFixture   = "tikinow_webhook_aftersale.json"
	aftersaleCRFixture = "tikinow_webhook_aftersale_cr.json"
	ackFixture         = "tikinow_webhook_ack.json"
)

// fixture returns the content of ../testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return webhooktest.ReadFile(t, path.Join("..", "testdata", name))
}

// seed adds every delivery fixture and a few edge cases to the corpus of f.
func seed(f *testing.F) {
	webhooktest.Seed(f, []string{"../testdata/tikinow_webhook_*.json"},
		``, `null`, `{}`, `[]`, `{"data":null}`, `{"data":[1]}`, `{"data":{"main_state":1}}`,
		`{"data":{"sku":4833677185901,"warehouse":7,"qty_salable":"25","seller_product_code":123,"partner_id":41235121321}}`,
		`{"data":{"ref_code":1.5e3,"order_code":"929231617","status":"completed","type":"cr"}}`,
		`{"data":{"qty_salable":"1e3","date":"2023-05-10 14:32:05"}}`,
	)
}

// hooks records the events a receiver's handlers are given and the errors
// it reports; its handlers fail while fail is set.
type hooks struct {
	webhooktest.Recorder[tikinow.Event]
	errs webhooktest.Errors
	fail atomic.Bool
}

func (h *hooks) handle(_ context.Context, ev tikinow.Event) error {
	if h.fail.Load() {
		return errors.New("database down")
	}
	return h.Add(ev)
}

// newReceiver returns a receiver for secrets (secret when none), built with
// opts, whose every handler records into h.
func newReceiver(t testing.TB, h *hooks, opts []webhook.Option, secrets ...string) *tikinow.Receiver {
	t.Helper()
	if secrets == nil {
		secrets = []string{secret}
	}
	r, err := tikinow.NewReceiver(secrets, append([]webhook.Option{h.errs.Option()}, opts...)...)
	require.NoError(t, err)
	registerAll(r, h.handle)
	return r
}

// registerAll registers fn as the handler of every kind of delivery,
// OnUnknown's included; nil removes them.
func registerAll(r *tikinow.Receiver, fn func(context.Context, tikinow.Event) error) {
	r.OnStock(webhooktest.Typed[*tikinow.StockEvent](fn))
	r.OnOrderStatus(webhooktest.Typed[*tikinow.OrderStatusEvent](fn))
	r.OnAftersale(webhooktest.Typed[*tikinow.AftersaleEvent](fn))
	r.OnUnknown(webhooktest.Typed[*tikinow.UnknownEvent](fn))
}

// request returns a delivery of body with the X-Signature sig (none if
// empty).
func request(method string, body []byte, sig string) *http.Request {
	req := httptest.NewRequest(method, "/webhooks/tiki", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(tikinow.SignatureHeader, sig)
	}
	return req
}

// deliver posts body with the signature sig (none if empty) to r and
// returns the answer.
func deliver(r http.Handler, method string, body []byte, sig string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, request(method, body, sig))
	return w
}

// signed posts body to r, signed with secret.
func signed(r http.Handler, body []byte) *httptest.ResponseRecorder {
	return deliver(r, http.MethodPost, body, tikinow.Sign(body, secret))
}

// errorReply is TikiNOW's error body for status with message code code.
func errorReply(status int, code string) string {
	return fmt.Sprintf(`{"success":false,"error":{"status_code":%d,"message":%q,"message_code":%q}}`, status, http.StatusText(status), code)
}

// harness describes the Receiver to the tests every receiver must pass.
func harness(t testing.TB) webhooktest.Receiver {
	body := fixture(t, stockFixture)
	ack := string(fixture(t, ackFixture))
	return webhooktest.Receiver{
		New: func(opts ...webhook.Option) (http.Handler, error) {
			return tikinow.NewReceiver([]string{secret}, opts...)
		},
		Zero:      func() http.Handler { return &tikinow.Receiver{} },
		HandleAll: webhooktest.HandleAll(registerAll),
		OnUnknown: webhooktest.HandleAll(func(r *tikinow.Receiver, fn func(context.Context, tikinow.Event) error) {
			r.OnUnknown(webhooktest.Typed[*tikinow.UnknownEvent](fn))
		}),
		Request: func(method string, body []byte) *http.Request {
			return request(method, body, tikinow.Sign(body, secret))
		},
		Body: body,
		Key:  "tikinow:" + webhook.BodyKey(body),
		Unrecognised: []string{
			`{"data":{"return_code":"R1","state":"approved"}}`,
			`{"data":[{"sku":"1","qty_salable":3}]}`,
			`{"payload":{"sku":"1","qty_salable":3}}`,
		},
		// A documented kind with a field of the wrong type is not
		// malformed here: with OnUnknown registered it is handled raw
		// (TestReceiverUndecodableKind).
		Malformed: []string{`{"data":{"main_state":"processing"}`, `null`, `"data"`},
		Reply: func(status int) string {
			if status == http.StatusOK {
				return ack
			}
			codes := map[int]string{
				http.StatusUnauthorized:          "INVALID_SIGNATURE",
				http.StatusBadRequest:            "INVALID_PAYLOAD",
				http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
				http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
				http.StatusInternalServerError:   "INTERNAL_ERROR",
				http.StatusRequestTimeout:        "REQUEST_TIMEOUT",
				http.StatusNotImplemented:        "NO_HANDLER",
				http.StatusServiceUnavailable:    "RETRY_LATER",
			}
			return errorReply(status, codes[status])
		},
	}
}
