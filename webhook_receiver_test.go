package tiki

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

func TestGenerateWebhookSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s, err := GenerateWebhookSecret()
		require.NoError(t, err)
		require.Len(t, s, WebhookSecretLen)
		for _, r := range s {
			require.True(t, r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9', s)
		}
		require.False(t, seen[s])
		seen[s] = true
	}
}

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	body := fixture(t, "tikinow_webhook_stock.json")
	sig := SignWebhook(body, hookSecret)
	assert.Regexp(t, `^sha1=[0-9a-f]{40}$`, sig)
	require.NoError(t, VerifyWebhookSignature(body, sig, hookSecret))
	require.NoError(t, VerifyWebhookSignature(body, "sha1="+strings.ToUpper(sig[5:]), hookSecret), "hex case does not matter")
	require.NoError(t, VerifyWebhookSignature(body, sig, hookSecret2, hookSecret), "any of several secrets")

	cases := map[string]struct {
		header  string
		secrets []string
		want    error
	}{
		"missing":      {"", []string{hookSecret}, ErrNoSignature},
		"no prefix":    {sig[5:], []string{hookSecret}, ErrBadSignature},
		"sha256":       {"sha256=" + sig[5:], []string{hookSecret}, ErrBadSignature},
		"not hex":      {"sha1=zz", []string{hookSecret}, ErrBadSignature},
		"short":        {sig[:20], []string{hookSecret}, ErrBadSignature},
		"other secret": {sig, []string{hookSecret2}, ErrBadSignature},
		"no secrets":   {sig, nil, ErrBadSignature},
		"empty secret": {SignWebhook(body, ""), []string{""}, ErrBadSignature},
	}
	for name, tc := range cases {
		err := VerifyWebhookSignature(body, tc.header, tc.secrets...)
		require.ErrorIs(t, err, tc.want, name)
		require.ErrorIs(t, err, webhook.ErrUnauthorized, name)
	}
	// One changed byte of the body breaks the signature.
	tampered := bytes.Replace(body, []byte("25"), []byte("26"), 1)
	require.ErrorIs(t, VerifyWebhookSignature(tampered, sig, hookSecret), ErrBadSignature)
}

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	at := func(s string) Time {
		tm, err := time.ParseInLocation(time.RFC3339, s, Vietnam())
		require.NoError(t, err)
		return NewTime(tm)
	}
	cases := map[string]WebhookEvent{
		"tikinow_webhook_stock.json": &StockEvent{Date: at("2023-05-10T14:32:05+07:00"), SKU: "4833677185901", Warehouse: "sgn",
			QtySalable: 25, SellerProductCode: "YOUR_ORIGINAL_SKU_123", PartnerID: "41235121321"},
		"tikinow_webhook_order_status.json": &OrderStatusEvent{Date: at("2023-05-10T15:01:44+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", MainState: "canceled", MainSubstate: "seller_canceled", Reason: "Nhà bán hết hàng - hủy đơn hàng.",
			ReasonCode: "seller-out-of-stock-cancel-order",
			ExtraInfo:  &OrderExtraInfo{CancelReasonCode: "seller-out-of-stock-cancel-order", CancelReason: "seller out of stock, cancel order"}},
		"tikinow_webhook_order_status_minimal.json": &OrderStatusEvent{Date: at("2023-05-10T14:40:12+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", MainState: "processing"},
		"tikinow_webhook_aftersale.json": &AftersaleEvent{Date: at("2023-05-12T09:15:00+07:00"), RefCode: "SO-20230510-0001",
			OrderCode: "929231617", Status: "processing", Type: AftersaleFD},
		"tikinow_webhook_aftersale_cr.json": &AftersaleEvent{Date: at("2023-05-13T16:20:45+07:00"), RefCode: "SO-20230510-0002",
			OrderCode: "419060832", Status: "completed", Type: AftersaleCR},
	}
	for name, want := range cases {
		got, err := ParseWebhook(fixture(t, name))
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	unknown := []byte(`{"data":{"event":"something_new","x":1}}`)
	got, err := ParseWebhook(unknown)
	require.NoError(t, err)
	assert.Equal(t, &UnknownWebhook{Body: unknown}, got)
	got, err = ParseWebhook([]byte(`[1,2]`))
	require.Error(t, err)
	assert.Nil(t, got)
	got, err = ParseWebhook([]byte(`{"other":true}`))
	require.NoError(t, err)
	assert.IsType(t, &UnknownWebhook{}, got)
	_, err = ParseWebhook([]byte(`{"data":{"main_state":{}}}`))
	require.Error(t, err, "a documented kind with a wrong field type is malformed")
}

// TikiNOW may send codes and SKUs as numbers: they decode as their text.
func TestParseWebhookNumbersAsText(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]WebhookEvent{
		`{"data":{"sku":4833677185901,"warehouse":7,"qty_salable":"25","seller_product_code":123,"partner_id":41235121321}}`: &StockEvent{
			SKU: "4833677185901", Warehouse: "7", QtySalable: 25, SellerProductCode: "123", PartnerID: "41235121321"},
		`{"data":{"sku":null,"warehouse":"sgn","qty_salable":0,"seller_product_code":"A","partner_id":"1"}}`: &StockEvent{
			Warehouse: "sgn", SellerProductCode: "A", PartnerID: "1"},
		`{"data":{"ref_code":20230510,"order_code":929231617,"main_state":"processing"}}`: &OrderStatusEvent{
			RefCode: "20230510", OrderCode: "929231617", MainState: "processing"},
		`{"data":{"ref_code":1.5e3,"order_code":"929231617","status":"completed","type":"cr"}}`: &AftersaleEvent{
			RefCode: "1.5e3", OrderCode: "929231617", Status: "completed", Type: AftersaleCR},
	} {
		got, err := ParseWebhook([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, got, body)
	}
	for _, body := range []string{
		`{"data":{"sku":true,"qty_salable":1}}`,
		`{"data":{"sku":{},"qty_salable":1}}`,
		`{"data":{"order_code":[1],"main_state":"x"}}`,
		`{"data":{"ref_code":false,"order_code":"1","status":"s","type":"fd"}}`,
	} {
		_, err := ParseWebhook([]byte(body))
		assert.Error(t, err, body)
	}
}

// A documented kind whose payload does not decode goes to OnUnknown, raw,
// instead of being answered 400 and lost; without OnUnknown it is still
// answered 400.
func TestWebhookReceiverUndecodableKind(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":{"sku":"1","warehouse":"sgn","qty_salable":"many"}}`)
	sig := SignWebhook(body, hookSecret)

	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	rec := deliver(r, http.MethodPost, body, sig)
	require.Equal(t, 200, rec.Code)
	assert.JSONEq(t, string(fixture(t, "tikinow_webhook_ack.json")), rec.Body.String())
	require.Equal(t, 1, h.count())
	assert.Equal(t, &UnknownWebhook{Body: body}, h.events[0])
	require.Len(t, h.errs, 1, "the decoding error is reported")
	assert.ErrorContains(t, h.errs[0], "*tiki.StockEvent")
	assert.ErrorContains(t, h.errs[0], "handed to OnUnknown")
	require.Equal(t, 200, deliver(r, http.MethodPost, body, sig).Code)
	assert.Equal(t, 1, h.count(), "a duplicate is recognised by its body")

	h2 := &hookRecorder{}
	r2 := newHookReceiver(t, h2)
	r2.OnUnknown(nil)
	rec = deliver(r2, http.MethodPost, body, sig)
	assert.Equal(t, 400, rec.Code)
	assert.Contains(t, rec.Body.String(), "INVALID_PAYLOAD")
	assert.Equal(t, 0, h2.count())
	require.Len(t, h2.errs, 1)
	assert.ErrorIs(t, h2.errs[0], webhook.ErrMalformedPayload)
}

func TestWebhookReceiverHandlesEveryKind(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	for _, name := range []string{"tikinow_webhook_stock.json", "tikinow_webhook_order_status.json", "tikinow_webhook_aftersale.json"} {
		body := fixture(t, name)
		rec := deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret))
		require.Equal(t, 200, rec.Code, name)
		assert.JSONEq(t, string(fixture(t, "tikinow_webhook_ack.json")), rec.Body.String())
	}
	require.Equal(t, 3, h.count())
	assert.IsType(t, &StockEvent{}, h.events[0])
	assert.Equal(t, "4833677185901", h.events[0].(*StockEvent).SKU)
	assert.Equal(t, "canceled", h.events[1].(*OrderStatusEvent).MainState)
	assert.Equal(t, AftersaleFD, h.events[2].(*AftersaleEvent).Type)

	unknown := []byte(`{"data":{"event":"new_kind"}}`)
	rec := deliver(r, http.MethodPost, unknown, SignWebhook(unknown, hookSecret))
	require.Equal(t, 200, rec.Code)
	assert.Equal(t, &UnknownWebhook{Body: unknown}, h.events[3], "unknown payloads are delivered raw")
}

func TestWebhookReceiverRotation(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiverFor(t, h, []string{hookSecret, hookSecret2})
	for i, secret := range []string{hookSecret, hookSecret2} {
		body := []byte(`{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"A","warehouse":"sgn","qty_salable":` + string(rune('1'+i)) + `}}`)
		require.Equal(t, 200, deliver(r, http.MethodPost, body, SignWebhook(body, secret)).Code)
	}
	assert.Equal(t, 2, h.count())
}

func TestWebhookReceiverRefusals(t *testing.T) {
	t.Parallel()
	body := fixture(t, "tikinow_webhook_stock.json")
	good := SignWebhook(body, hookSecret)
	cases := map[string]struct {
		method, sig string
		body        []byte
		status      int
		code        string
	}{
		"no signature":    {http.MethodPost, "", body, 401, "INVALID_SIGNATURE"},
		"wrong signature": {http.MethodPost, SignWebhook(body, hookSecret2), body, 401, "INVALID_SIGNATURE"},
		"tampered body":   {http.MethodPost, good, append([]byte(" "), body...), 401, "INVALID_SIGNATURE"},
		"GET":             {http.MethodGet, good, body, 405, "METHOD_NOT_ALLOWED"},
		"malformed JSON":  {http.MethodPost, SignWebhook([]byte(`{"data":`), hookSecret), []byte(`{"data":`), 400, "INVALID_PAYLOAD"},
		"oversize": {http.MethodPost, SignWebhook(bytes.Repeat([]byte("x"), 2048), hookSecret), bytes.Repeat([]byte("x"), 2048),
			413, "PAYLOAD_TOO_LARGE"},
	}
	for name, tc := range cases {
		h := &hookRecorder{}
		r := newHookReceiver(t, h, webhook.WithMaxBodyBytes(1024))
		rec := deliver(r, tc.method, tc.body, tc.sig)
		assert.Equal(t, tc.status, rec.Code, name)
		var reply struct {
			Success bool `json:"success"`
			Error   struct {
				StatusCode  int    `json:"status_code"`
				MessageCode string `json:"message_code"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &reply), name)
		assert.False(t, reply.Success, name)
		assert.Equal(t, tc.status, reply.Error.StatusCode, name)
		assert.Equal(t, tc.code, reply.Error.MessageCode, name)
		assert.Equal(t, 0, h.count(), "%s: the handler must not run", name)
		assert.Len(t, h.errs, 1, name)
		if tc.status == 405 {
			assert.Equal(t, "POST", rec.Header().Get("Allow"))
		}
	}
}

func TestWebhookReceiverDuplicatesAndFailures(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	body := fixture(t, "tikinow_webhook_order_status.json")
	sig := SignWebhook(body, hookSecret)

	// The handler fails: 500 with TikiNOW's error body, nothing remembered.
	h.fail.Store(true)
	rec := deliver(r, http.MethodPost, body, sig)
	require.Equal(t, 500, rec.Code)
	assert.JSONEq(t, `{"success":false,"error":{"status_code":500,"message":"Internal Server Error","message_code":"INTERNAL_ERROR"}}`, rec.Body.String())
	assert.Equal(t, 0, h.count())

	// TikiNOW delivers again, concurrently: handled exactly once.
	h.fail.Store(false)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.Equal(t, 200, deliver(r, http.MethodPost, body, sig).Code)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, h.count())
	assert.Equal(t, 200, deliver(r, http.MethodPost, body, sig).Code)
	assert.Equal(t, 1, h.count(), "a later copy is acknowledged, not handled")
}

func TestWebhookReceiverWithoutDedupe(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h, webhook.WithDedupe(nil))
	body := fixture(t, "tikinow_webhook_stock.json")
	for range 2 {
		require.Equal(t, 200, deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret)).Code)
	}
	assert.Equal(t, 2, h.count())
}

// A documented kind with neither its handler nor OnUnknown is not
// acknowledged: TikiNOW delivers it again, and the error is reported.
// Registering a handler (webhook.Ignore on purpose) acknowledges it.
func TestWebhookReceiverMissingHandler(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	r.OnStock(nil)
	r.OnUnknown(nil)
	body := fixture(t, "tikinow_webhook_stock.json")
	rec := deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret))
	require.Equal(t, http.StatusNotImplemented, rec.Code, "a 5xx: TikiNOW delivers it again")
	assert.JSONEq(t, `{"success":false,"error":{"status_code":501,"message":"Not Implemented","message_code":"NO_HANDLER"}}`, rec.Body.String())
	require.Len(t, h.errs, 1)
	assert.ErrorIs(t, h.errs[0], webhook.ErrNoHandler)
	assert.ErrorContains(t, h.errs[0], "TikiNOW stock delivery: register OnStock")
	assert.Equal(t, 0, h.count())

	r.OnStock(webhook.Ignore)
	require.Equal(t, http.StatusOK, deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret)).Code, "ignored on purpose")
	assert.Equal(t, 0, h.count())
	assert.Len(t, h.errs, 1)
}

// A delivery of an undocumented shape without OnUnknown cannot be handled
// by anything the SDK offers: it is acknowledged and reported.
func TestWebhookReceiverUndocumentedWithoutOnUnknown(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	r.OnUnknown(nil)
	body := []byte(`{"data":{"voucher_code":"V1"}}`)
	require.Equal(t, http.StatusOK, deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret)).Code)
	require.Len(t, h.errs, 1)
	assert.ErrorIs(t, h.errs[0], webhook.ErrIgnored)
	assert.Equal(t, 0, h.count())
}

func TestWebhookReceiverKindWithoutHandlerGoesToUnknown(t *testing.T) {
	t.Parallel()
	h := &hookRecorder{}
	r := newHookReceiver(t, h)
	r.OnAftersale(nil)
	body := fixture(t, "tikinow_webhook_aftersale.json")
	require.Equal(t, 200, deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret)).Code)
	require.Equal(t, 1, h.count())
	assert.Equal(t, &UnknownWebhook{Body: body}, h.events[0], "delivered raw to OnUnknown")
	assert.Empty(t, h.errs)
}

func TestWebhookReceiverWithoutHandlers(t *testing.T) {
	t.Parallel()
	var errs webhooktest.Errors
	r, err := NewWebhookReceiver([]string{hookSecret}, errs.Option())
	require.NoError(t, err)
	body := fixture(t, "tikinow_webhook_order_status.json")
	rec := deliver(r, http.MethodPost, body, SignWebhook(body, hookSecret))
	require.Equal(t, http.StatusNotImplemented, rec.Code, "not acknowledged: no handler ran")
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	assert.ErrorContains(t, errs.Last(), "TikiNOW order status delivery: register OnOrderStatus")
}

func TestNewWebhookReceiverValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secrets []string
		want    []FieldProblem
	}{
		{[]string{""}, []FieldProblem{{"secrets[0]", "is empty"}}},
		{[]string{hookSecret, ""}, []FieldProblem{{"secrets[1]", "is empty"}}},
		{nil, []FieldProblem{{"secrets", "needs at least one secret key"}}},
	} {
		r, err := NewWebhookReceiver(tc.secrets)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, tc.want, ve.Problems)
		assert.Nil(t, r)
	}
	r, err := NewWebhookReceiver([]string{hookSecret}, webhook.WithMaxBodyBytes(-1))
	require.Error(t, err, "max body bytes must not be negative")
	assert.Nil(t, r)
}

// TestWebhookReceiverConformance runs the tests every receiver of the SDK
// must pass: options applied, 405, 400, retries after a handler error,
// duplicates, the zero value.
func TestWebhookReceiverConformance(t *testing.T) {
	t.Parallel()
	body := fixture(t, "tikinow_webhook_stock.json")
	ack := string(fixture(t, "tikinow_webhook_ack.json"))
	webhooktest.Run(t, webhooktest.Receiver{
		New: func(opts ...webhook.Option) (http.Handler, error) {
			return NewWebhookReceiver([]string{hookSecret}, opts...)
		},
		Zero:      func() http.Handler { return &WebhookReceiver{} },
		HandleAll: webhooktest.HandleAll(registerHookHandlers),
		Request: func(method string, body []byte) *http.Request {
			req := httptest.NewRequest(method, "/webhooks/tiki", bytes.NewReader(body))
			req.Header.Set(SignatureHeader, SignWebhook(body, hookSecret))
			return req
		},
		Body: body,
		Key:  "tikinow:" + webhook.BodyKey(body),
		// A documented kind with a field of the wrong type is not
		// malformed here: with OnUnknown registered it is handled raw
		// (TestWebhookReceiverUndecodableKind).
		Malformed: []string{`{"data":{"main_state":"processing"}`},
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
				http.StatusServiceUnavailable:    "DELIVERY_IN_PROGRESS",
			}
			return fmt.Sprintf(`{"success":false,"error":{"status_code":%d,"message":%q,"message_code":%q}}`,
				status, http.StatusText(status), codes[status])
		},
	})
}

func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"tikinow_webhook_stock.json", "tikinow_webhook_order_status.json", "tikinow_webhook_order_status_minimal.json",
		"tikinow_webhook_aftersale.json", "tikinow_webhook_aftersale_cr.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":{"main_state":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseWebhook(body)
		if err == nil && ev == nil {
			t.Fatal("nil event without an error")
		}
	})
}

func FuzzVerifyWebhookSignature(f *testing.F) {
	body := fixture(f, "tikinow_webhook_stock.json")
	f.Add(body, SignWebhook(body, hookSecret), hookSecret)
	f.Add([]byte("{}"), "sha1=", "")
	f.Add([]byte(""), "sha1=zz", "k")
	f.Fuzz(func(t *testing.T, body []byte, header, secret string) {
		err := VerifyWebhookSignature(body, header, secret)
		if err == nil && header != SignWebhook(body, secret) && !strings.EqualFold(header, SignWebhook(body, secret)) {
			t.Fatalf("accepted %q for secret %q", header, secret)
		}
		if secret != "" && VerifyWebhookSignature(body, SignWebhook(body, secret), secret) != nil {
			t.Fatal("refused its own signature")
		}
	})
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}
