package tikinow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

// TestReceiverConformance runs the tests every receiver of the SDK must
// pass: options applied, 405, 400, retries after a handler error,
// duplicates, the zero value.
func TestReceiverConformance(t *testing.T) {
	t.Parallel()
	webhooktest.Run(t, harness(t))
}

func TestReceiverHandlesEveryKind(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, nil)
	for _, name := range []string{stockFixture, orderFixture, aftersaleFixture} {
		w := signed(r, fixture(t, name))
		require.Equal(t, http.StatusOK, w.Code, name)
		assert.JSONEq(t, string(fixture(t, ackFixture)), w.Body.String())
	}
	got := h.Got()
	require.Len(t, got, 3)
	assert.Equal(t, "4833677185901", got[0].(*tikinow.StockEvent).SKU)
	assert.Equal(t, int64(25), got[0].(*tikinow.StockEvent).QtySalable)
	assert.Equal(t, "canceled", got[1].(*tikinow.OrderStatusEvent).MainState)
	assert.Equal(t, tikinow.AftersaleFD, got[2].(*tikinow.AftersaleEvent).Type)

	unknown := []byte(`{"data":{"event":"new_kind"}}`)
	require.Equal(t, http.StatusOK, signed(r, unknown).Code)
	assert.Equal(t, &tikinow.UnknownEvent{Body: unknown}, h.Got()[3], "unknown payloads are delivered raw")
	assert.Empty(t, h.errs.Got())
}

func TestReceiverRotation(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, nil, secret, secret2)
	for i, key := range []string{secret, secret2} {
		body := fmt.Appendf(nil, `{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"A","warehouse":"sgn","qty_salable":%d}}`, i)
		require.Equal(t, http.StatusOK, deliver(r, http.MethodPost, body, tikinow.Sign(body, key)).Code, "signed with secret %d", i)
	}
	assert.Len(t, h.Got(), 2)
}

func TestReceiverRefusals(t *testing.T) {
	t.Parallel()
	body := fixture(t, stockFixture)
	good := tikinow.Sign(body, secret)
	large := make([]byte, 2048)
	cases := map[string]struct {
		method, sig string
		body        []byte
		status      int
		code        string
		want        error
	}{
		"no signature":    {http.MethodPost, "", body, 401, "INVALID_SIGNATURE", tikinow.ErrNoSignature},
		"wrong signature": {http.MethodPost, tikinow.Sign(body, secret2), body, 401, "INVALID_SIGNATURE", tikinow.ErrBadSignature},
		"tampered body":   {http.MethodPost, good, append([]byte(" "), body...), 401, "INVALID_SIGNATURE", tikinow.ErrBadSignature},
		"GET":             {http.MethodGet, good, body, 405, "METHOD_NOT_ALLOWED", webhook.ErrMethodNotAllowed},
		"malformed JSON":  {http.MethodPost, tikinow.Sign([]byte(`{"data":`), secret), []byte(`{"data":`), 400, "INVALID_PAYLOAD", webhook.ErrMalformedPayload},
		"oversize":        {http.MethodPost, tikinow.Sign(large, secret), large, 413, "PAYLOAD_TOO_LARGE", webhook.ErrBodyTooLarge},
	}
	for name, tc := range cases {
		h := &hooks{}
		r := newReceiver(t, h, []webhook.Option{webhook.WithMaxBodyBytes(1024)})
		w := deliver(r, tc.method, tc.body, tc.sig)
		assert.Equal(t, tc.status, w.Code, name)
		assert.JSONEq(t, errorReply(tc.status, tc.code), w.Body.String(), name)
		assert.Empty(t, h.Got(), "%s: the handler must not run", name)
		require.Len(t, h.errs.Got(), 1, name)
		assert.ErrorIs(t, h.errs.Last(), tc.want, name)
		if tc.status == 405 {
			assert.Equal(t, "POST", w.Header().Get("Allow"))
		}
	}
}

func TestReceiverDuplicatesAndFailures(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, nil)
	body := fixture(t, orderFixture)

	// The handler fails: 500 with TikiNOW's error body, nothing remembered.
	h.fail.Store(true)
	w := signed(r, body)
	require.Equal(t, http.StatusInternalServerError, w.Code)
	assert.JSONEq(t, errorReply(500, "INTERNAL_ERROR"), w.Body.String())
	assert.Empty(t, h.Got())

	// TikiNOW delivers again, concurrently: handled exactly once, and no
	// copy acknowledged before that run succeeded.
	h.fail.Store(false)
	var wg sync.WaitGroup
	for range 20 {
		webhooktest.Spawn(&wg, func() {
			code := signed(r, body).Code
			assert.True(t, code == http.StatusOK || code == http.StatusServiceUnavailable, code)
		})
	}
	wg.Wait()
	assert.Len(t, h.Got(), 1)
	assert.Equal(t, http.StatusOK, signed(r, body).Code)
	assert.Len(t, h.Got(), 1, "a later copy is acknowledged, not handled")
}

// A TikiNOW receiver whose dedupe store is at its bound, holding handled
// deliveries, with one delivery still running: deliveries that arrive next
// make room by forgetting handled ones, and a copy of the running delivery
// is answered 503 without running its handler a second time beside the
// first run. A store full of running claims answers new deliveries 503.
func TestReceiverFullStoreNeverRunsTwice(t *testing.T) {
	t.Parallel()
	const bound = 8
	store, err := dedupe.NewMemoryStore(dedupe.WithMaxKeys(bound))
	require.NoError(t, err)
	stockBody := func(i int) []byte {
		return fmt.Appendf(nil, `{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"SKU-%d","warehouse":"sgn","qty_salable":%d}}`, i, i)
	}
	var stockRuns atomic.Int32
	r, err := tikinow.NewReceiver([]string{secret}, webhook.WithDedupe(store))
	require.NoError(t, err)
	r.OnStock(func(context.Context, *tikinow.StockEvent) error { stockRuns.Add(1); return nil })
	var orderRuns atomic.Int32
	running, finish := make(chan struct{}), make(chan struct{})
	r.OnOrderStatus(func(context.Context, *tikinow.OrderStatusEvent) error {
		if orderRuns.Add(1) == 1 {
			close(running)
			<-finish
		}
		return nil
	})

	for i := range bound - 1 {
		require.Equal(t, http.StatusOK, signed(r, stockBody(i)).Code)
	}
	order := fixture(t, orderFixture)
	first := make(chan int, 1)
	go func() { first <- signed(r, order).Code }()
	<-running
	require.Equal(t, bound, store.Len(), "the store is at its bound")

	assert.Equal(t, http.StatusServiceUnavailable, signed(r, order).Code, "a copy while the first run goes on")
	for i := bound; i < bound+3; i++ {
		require.Equal(t, http.StatusOK, signed(r, stockBody(i)).Code, "handled deliveries make room")
	}
	w := signed(r, order)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "the running claim was not evicted")
	assert.JSONEq(t, errorReply(503, "RETRY_LATER"), w.Body.String())
	assert.Equal(t, int32(1), orderRuns.Load(), "the handler did not run a second time")

	close(finish)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, signed(r, order).Code)
	assert.Equal(t, int32(1), orderRuns.Load(), "a copy after the run succeeded is a duplicate")

	// Full of running claims: a new delivery is answered 503, nothing runs.
	full, err := dedupe.NewMemoryStore(dedupe.WithMaxKeys(1))
	require.NoError(t, err)
	var errs webhooktest.Errors
	r2, err := tikinow.NewReceiver([]string{secret}, webhook.WithDedupe(full), errs.Option())
	require.NoError(t, err)
	running2, finish2 := make(chan struct{}), make(chan struct{})
	r2.OnOrderStatus(func(context.Context, *tikinow.OrderStatusEvent) error { close(running2); <-finish2; return nil })
	r2.OnStock(func(context.Context, *tikinow.StockEvent) error { stockRuns.Add(1); return nil })
	go func() { first <- signed(r2, order).Code }()
	<-running2
	before := stockRuns.Load()
	assert.Equal(t, http.StatusServiceUnavailable, signed(r2, stockBody(0)).Code)
	assert.ErrorIs(t, errs.Last(), dedupe.ErrFull)
	assert.Equal(t, before, stockRuns.Load())
	close(finish2)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, signed(r2, stockBody(0)).Code, "delivered again once the run finished")
}

func TestReceiverWithoutDedupe(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, []webhook.Option{webhook.WithDedupe(nil)})
	body := fixture(t, stockFixture)
	for range 2 {
		require.Equal(t, http.StatusOK, signed(r, body).Code)
	}
	assert.Len(t, h.Got(), 2)
}

// A documented kind with neither its handler nor OnUnknown is not
// acknowledged: TikiNOW delivers it again, and the error is reported.
// Registering a handler (webhook.Ignore on purpose) acknowledges it.
func TestReceiverMissingHandler(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, nil)
	r.OnStock(nil)
	r.OnUnknown(nil)
	body := fixture(t, stockFixture)
	w := signed(r, body)
	require.Equal(t, http.StatusNotImplemented, w.Code, "a 5xx: TikiNOW delivers it again")
	assert.JSONEq(t, errorReply(501, "NO_HANDLER"), w.Body.String())
	require.Len(t, h.errs.Got(), 1)
	assert.ErrorIs(t, h.errs.Last(), webhook.ErrNoHandler)
	assert.ErrorContains(t, h.errs.Last(), "tikinow: stock delivery: register OnStock")
	assert.Empty(t, h.Got())

	r.OnStock(webhook.Ignore)
	require.Equal(t, http.StatusOK, signed(r, body).Code, "ignored on purpose")
	assert.Empty(t, h.Got())
	assert.Len(t, h.errs.Got(), 1)
}

// A delivery of a shape the SDK does not recognise (TikiNOW renamed a
// field, sent data as a list, or another envelope) with every documented
// handler registered but not OnUnknown is not acknowledged: it is answered
// 501, so that TikiNOW delivers it again, and reported, naming its members
// but not their values. OnUnknown(webhook.Ignore) acknowledges such
// deliveries on purpose.
func TestReceiverUnrecognisedShapeWithoutOnUnknown(t *testing.T) {
	t.Parallel()
	probes := []string{
		`{"data":{"return_code":"R1","state":"approved"}}`,
		`{"data":[{"sku":"1","qty_salable":3}]}`,
		`{"payload":{"sku":"1","qty_salable":3}}`,
		`{"data":{"voucher_code":"V1"}}`,
		`{"data":null}`,
	}
	h := &hooks{}
	r := newReceiver(t, h, nil)
	r.OnUnknown(nil)
	for _, probe := range probes {
		w := signed(r, []byte(probe))
		assert.Equal(t, http.StatusNotImplemented, w.Code, probe)
		assert.JSONEq(t, errorReply(501, "NO_HANDLER"), w.Body.String())
		assert.ErrorIs(t, h.errs.Last(), webhook.ErrNoHandler, probe)
		assert.ErrorContains(t, h.errs.Last(), "register OnUnknown", probe)
		assert.NotContains(t, h.errs.Last().Error(), "approved", "values are not reported")
	}
	assert.Len(t, h.errs.Got(), len(probes))
	assert.Empty(t, h.Got())
	assert.ErrorContains(t, h.errs.Got()[0], `data members "return_code", "state"`)
	assert.ErrorContains(t, h.errs.Got()[1], "data is not an object")
	assert.ErrorContains(t, h.errs.Got()[2], `no data member; members "payload"`)

	r.OnUnknown(webhook.Ignore)
	for _, probe := range probes {
		assert.Equal(t, http.StatusOK, signed(r, []byte(probe)).Code, "acknowledged on purpose: %s", probe)
	}
	assert.Len(t, h.errs.Got(), len(probes), "nothing more to report")
}

// Without WithOnError, what the receiver meets is logged through
// slog.Default(): a delivery it cannot hand to anyone is never dropped
// without a trace. Not parallel: it replaces the default logger.
func TestReceiverReportsThroughTheDefaultLogger(t *testing.T) {
	logs := webhooktest.DefaultLog(t)

	r, err := tikinow.NewReceiver([]string{secret})
	require.NoError(t, err)
	r.OnStock(func(context.Context, *tikinow.StockEvent) error { return nil })
	r.OnOrderStatus(webhook.Ignore)
	r.OnAftersale(webhook.Ignore)
	assert.Equal(t, http.StatusNotImplemented, signed(r, []byte(`{"data":{"return_code":"R1","state":"approved"}}`)).Code)
	assert.Equal(t, http.StatusUnauthorized, deliver(r, http.MethodPost, []byte(`{}`), "sha1=00").Code)
	got := logs.String()
	assert.Contains(t, got, `level=ERROR msg="webhook: receiver error" method=POST error="webhook: no handler registered for this kind of delivery: tikinow: delivery of a shape this package does not recognise`)
	assert.Contains(t, got, "status=501")
	assert.Contains(t, got, `level=WARN msg="webhook: receiver error" method=POST error="webhook: unauthorized`)
	assert.Contains(t, got, "status=401")
	assert.NotContains(t, got, "/webhooks/tiki", "no path: a receiver may take a secret in it")
}

// A stock delivery whose qty_salable is null or "" does not say how many
// can be sold: it is malformed (400 without OnUnknown, ErrMalformedPayload
// from Parse), never read as 0, which a handler setting stock would apply.
// A negative quantity is passed on as sent.
func TestStockWithoutQuantityIsMalformed(t *testing.T) {
	t.Parallel()
	for _, qty := range []string{`null`, `""`, `"  "`} {
		body := []byte(`{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"1","warehouse":"sgn","qty_salable":` + qty + `}}`)
		ev, err := tikinow.Parse(body)
		assert.Nil(t, ev, qty)
		assert.ErrorIs(t, err, webhook.ErrMalformedPayload, qty)
		assert.ErrorContains(t, err, "not read as 0", qty)

		h := &hooks{}
		r := newReceiver(t, h, nil)
		r.OnUnknown(nil)
		w := signed(r, body)
		assert.Equal(t, http.StatusBadRequest, w.Code, qty)
		assert.Empty(t, h.Got(), "OnStock did not run: %s", qty)
	}
	ev, err := tikinow.Parse([]byte(`{"data":{"sku":"1","warehouse":"sgn","qty_salable":-3}}`))
	require.NoError(t, err)
	assert.Equal(t, int64(-3), ev.(*tikinow.StockEvent).QtySalable)
}

func TestReceiverKindWithoutHandlerGoesToUnknown(t *testing.T) {
	t.Parallel()
	h := &hooks{}
	r := newReceiver(t, h, nil)
	r.OnAftersale(nil)
	body := fixture(t, aftersaleFixture)
	require.Equal(t, http.StatusOK, signed(r, body).Code)
	assert.Equal(t, []tikinow.Event{&tikinow.UnknownEvent{Body: body}}, h.Got(), "delivered raw to OnUnknown")
	assert.Empty(t, h.errs.Got())
}

func TestReceiverWithoutHandlers(t *testing.T) {
	t.Parallel()
	var errs webhooktest.Errors
	r, err := tikinow.NewReceiver([]string{secret}, errs.Option())
	require.NoError(t, err)
	w := signed(r, fixture(t, orderFixture))
	require.Equal(t, http.StatusNotImplemented, w.Code, "not acknowledged: no handler ran")
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	assert.ErrorContains(t, errs.Last(), "tikinow: order status delivery: register OnOrderStatus")
}

// A documented kind whose payload does not decode goes to OnUnknown, raw,
// instead of being answered 400 and lost; without OnUnknown it is still
// answered 400.
func TestReceiverUndecodableKind(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":{"sku":"1","warehouse":"sgn","qty_salable":"many"}}`)

	h := &hooks{}
	r := newReceiver(t, h, nil)
	w := signed(r, body)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, string(fixture(t, ackFixture)), w.Body.String())
	assert.Equal(t, []tikinow.Event{&tikinow.UnknownEvent{Body: body}}, h.Got())
	require.Len(t, h.errs.Got(), 1, "the decoding error is reported")
	assert.ErrorIs(t, h.errs.Last(), webhook.ErrMalformedPayload)
	assert.ErrorContains(t, h.errs.Last(), "tikinow: stock delivery")
	assert.ErrorContains(t, h.errs.Last(), "handed to OnUnknown")
	require.Equal(t, http.StatusOK, signed(r, body).Code)
	assert.Len(t, h.Got(), 1, "a duplicate is recognised by its body")

	h2 := &hooks{}
	r2 := newReceiver(t, h2, nil)
	r2.OnUnknown(nil)
	w = signed(r2, body)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, errorReply(400, "INVALID_PAYLOAD"), w.Body.String())
	assert.Empty(t, h2.Got())
	require.Len(t, h2.errs.Got(), 1)
	assert.ErrorIs(t, h2.errs.Last(), webhook.ErrMalformedPayload)
}

// TestNewReceiverValidates goes over the secrets argument and the options:
// every problem is listed in one *tiki.ValidationError, and no receiver is
// made.
func TestNewReceiverValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		opts    []webhook.Option
		want    []tiki.FieldProblem
	}{
		{"no secrets", nil, nil, []tiki.FieldProblem{{Field: "secrets", Problem: "needs at least one secret key"}}},
		{"empty list", []string{}, nil, []tiki.FieldProblem{{Field: "secrets", Problem: "needs at least one secret key"}}},
		{"empty secret", []string{""}, nil, []tiki.FieldProblem{{Field: "secrets[0]", Problem: "must be exactly 32 characters (has 0)"}}},
		{"short and long", []string{secret, "short", secret + "x"}, nil, []tiki.FieldProblem{
			{Field: "secrets[1]", Problem: "must be exactly 32 characters (has 5)"},
			{Field: "secrets[2]", Problem: "must be exactly 32 characters (has 33)"},
		}},
		{"an option", []string{secret}, []webhook.Option{webhook.WithMaxBodyBytes(-1)}, []tiki.FieldProblem{
			{Field: "WithMaxBodyBytes(n)", Problem: "must be positive (got -1)"},
		}},
		{"everything", nil, []webhook.Option{webhook.WithBodyTimeout(0), nil, webhook.WithDedupeTTL(time.Minute, 0)}, []tiki.FieldProblem{
			{Field: "secrets", Problem: "needs at least one secret key"},
			{Field: "WithBodyTimeout(d)", Problem: "must be positive (got 0s)"},
			{Field: "opts[1]", Problem: "must not be nil"},
			{Field: "WithDedupeTTL(retention)", Problem: "must be positive (got 0s)"},
		}},
	}
	for _, tt := range tests {
		r, err := tikinow.NewReceiver(tt.secrets, tt.opts...)
		webhooktest.RequireRefused(t, err, tt.want, tt.name)
		assert.Nil(t, r, tt.name)
	}
}

// The secrets given are copied: changing the caller's slice afterwards
// changes nothing.
func TestNewReceiverCopiesSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{secret}
	h := &hooks{}
	r := newReceiver(t, h, nil, secrets...)
	secrets[0] = secret2
	assert.Equal(t, http.StatusOK, signed(r, fixture(t, stockFixture)).Code)
}

// TestNoGoroutineLeft handles and fails deliveries and checks that no
// goroutine of the receiver is left. It is not parallel, so that other
// tests' goroutines do not interfere.
func TestNoGoroutineLeft(t *testing.T) {
	before := goleak.IgnoreCurrent()
	h := &hooks{}
	r := newReceiver(t, h, nil)
	assert.Equal(t, http.StatusOK, signed(r, fixture(t, stockFixture)).Code)
	h.fail.Store(true)
	assert.Equal(t, http.StatusInternalServerError, signed(r, fixture(t, aftersaleFixture)).Code)
	goleak.VerifyNone(t, before)
}

// The documented deliveries, decoded, encode as JSON that decodes back to
// the same events.
func TestEventsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{stockFixture, orderFixture, orderMinFixture, aftersaleFixture, aftersaleCRFixture} {
		ev, err := tikinow.Parse(fixture(t, name))
		require.NoError(t, err, name)
		again, err := tikinow.Parse(encode(t, ev))
		require.NoError(t, err, name)
		assert.Equal(t, ev, again, name)
	}
}

// encode returns ev encoded as the data of a delivery.
func encode(t testing.TB, ev tikinow.Event) []byte {
	t.Helper()
	data, err := json.Marshal(ev)
	require.NoError(t, err)
	body, err := json.Marshal(map[string]json.RawMessage{"data": data})
	require.NoError(t, err)
	return body
}

// checkRoundTrip checks that ev, encoded as the data of a delivery, parses
// back to an event of the same kind that encodes the same way (times are
// encoded to the second, as tiki.Time does).
func checkRoundTrip(t testing.TB, ev tikinow.Event) {
	t.Helper()
	body := encode(t, ev)
	again, err := tikinow.Parse(body)
	require.NoError(t, err, "%s", body)
	require.IsType(t, ev, again)
	require.Equal(t, string(body), string(encode(t, again)))
}
