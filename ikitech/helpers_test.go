package ikitech_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

const testToken = "ikitech-test-token"

// ict is Vietnam time, in which IKITECH writes times without a zone.
var ict = time.FixedZone("ICT", 7*60*60)

// vnTime is the Time a zone-less IKITECH time decodes to.
func vnTime(raw string, y int, mo time.Month, d, h, mi, s int) ikitech.Time {
	return ikitech.Time{Time: time.Date(y, mo, d, h, mi, s, 0, ict), Raw: raw}
}

// fixture returns the content of this package's testdata/name. Its
// deliveries hold values chosen to tell every field apart; the
// repository's ../testdata/ikitech_*.json are the ones built from
// IKITECH's documentation (see TestParseDocumentedFixtures).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return webhooktest.ReadFile(t, path.Join("testdata", name))
}

// fixtureData returns the "data" member of testdata/name.
func fixtureData(t testing.TB, name string) json.RawMessage {
	t.Helper()
	return webhooktest.Member(t, fixture(t, name), "data")
}

// parseAs parses testdata/name and asserts the type of the event.
func parseAs[E ikitech.Event](t *testing.T, name string) E {
	t.Helper()
	ev, err := ikitech.Parse(fixture(t, name))
	require.NoError(t, err)
	e, ok := ev.(E)
	require.Truef(t, ok, "Parse returned %T", ev)
	return e
}

// seed adds every fixture and a few edge cases to the corpus of f.
func seed(f *testing.F) {
	webhooktest.Seed(f, []string{"testdata/*.json", "../testdata/ikitech_*.json"},
		``, `null`, `{}`, `[]`, `{"type":"NEW_ORDER","data":null}`,
		`{"type":"NEW_ORDER","data":{"id":"1e3","cod":"-0.5","logged":"1","created_at":123}}`,
		`{"type":"NEW_PRODUCT","data":{"distributes":[{"element_distributes":[{"sub_element_distributes":[1,"x",null]}]}]}}`,
	)
}

func newReceiver(t *testing.T, opts ...webhook.Option) *ikitech.Receiver {
	t.Helper()
	rc, err := ikitech.NewReceiver(testToken, opts...)
	require.NoError(t, err)
	return rc
}

// request returns a delivery of body with the given Token header ("" sends
// none).
func request(method string, body []byte, token string) *http.Request {
	r := httptest.NewRequest(method, "/webhooks/ikitech", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set(ikitech.TokenHeader, token)
	}
	return r
}

// deliver posts body to rc with the given Token header ("" sends none).
func deliver(rc http.Handler, body []byte, token string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, request(http.MethodPost, body, token))
	return w
}

const okReply = `{"success": true}`

func errReply(status int) string {
	return `{"success": false, "error": "` + http.StatusText(status) + `"}`
}

// registerAll registers fn as the handler of every type, OnUnknown's
// included; nil removes them.
func registerAll(rc *ikitech.Receiver, fn func(context.Context, ikitech.Event) error) {
	rc.OnNewProduct(webhooktest.Typed[*ikitech.ProductEvent](fn))
	rc.OnUpdateProduct(webhooktest.Typed[*ikitech.ProductEvent](fn))
	rc.OnDeleteProduct(webhooktest.Typed[*ikitech.ProductDeleteEvent](fn))
	rc.OnNewOrder(webhooktest.Typed[*ikitech.OrderEvent](fn))
	rc.OnUpdateOrder(webhooktest.Typed[*ikitech.OrderEvent](fn))
	rc.OnDeleteOrder(webhooktest.Typed[*ikitech.OrderDeleteEvent](fn))
	rc.OnNewCustomer(webhooktest.Typed[*ikitech.CustomerEvent](fn))
	rc.OnUpdateCustomer(webhooktest.Typed[*ikitech.CustomerEvent](fn))
	rc.OnDeleteCustomer(webhooktest.Typed[*ikitech.CustomerDeleteEvent](fn))
	rc.OnUnknown(webhooktest.Typed[*ikitech.UnknownEvent](fn))
}

// harness describes the Receiver to the tests every receiver must pass.
func harness(t testing.TB) webhooktest.Receiver {
	body := fixture(t, "delete_product.json")
	return webhooktest.Receiver{
		New: func(opts ...webhook.Option) (http.Handler, error) {
			return ikitech.NewReceiver(testToken, opts...)
		},
		Zero:      func() http.Handler { return &ikitech.Receiver{} },
		HandleAll: webhooktest.HandleAll(registerAll),
		OnUnknown: webhooktest.HandleAll(func(rc *ikitech.Receiver, fn func(context.Context, ikitech.Event) error) {
			rc.OnUnknown(webhooktest.Typed[*ikitech.UnknownEvent](fn))
		}),
		Unrecognised: []string{
			`{"type": "NEW_VOUCHER", "data": {"code": "V1"}}`,
			`{"type": "new_order", "data": {}}`,
		},
		Request: func(method string, body []byte) *http.Request { return request(method, body, testToken) },
		Body:    body,
		Key:     "ikitech:" + webhook.BodyKey(body),
		Malformed: []string{
			`type=NEW_ORDER`,
			`{"type": "NEW_ORDER", "data": {"total_final": "a lot"}}`,
		},
		Reply: func(status int) string {
			if status == http.StatusOK {
				return okReply
			}
			return errReply(status)
		},
	}
}
