package ikitech_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

// TestReceiverConformance runs the tests every receiver must pass: options
// applied, 405, 400, retries after a handler error, duplicates, the zero
// value.
func TestReceiverConformance(t *testing.T) {
	t.Parallel()
	webhooktest.Run(t, harness(t))
}

func retype(body []byte, from, to ikitech.EventType) []byte {
	return bytes.Replace(body, []byte(`"`+from+`"`), []byte(`"`+to+`"`), 1)
}

func TestReceiverDispatchesEveryType(t *testing.T) {
	t.Parallel()

	product := fixture(t, "new_product.json")
	order := fixture(t, "new_order.json")
	customer := fixture(t, "new_customer.json")
	tests := []struct {
		typ   ikitech.EventType
		body  []byte
		check func(t *testing.T, ev ikitech.Event)
	}{
		{ikitech.EventNewProduct, product, func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantProduct().Distributes[0].ElementDistributes[1], ev.(*ikitech.ProductEvent).Product.Distributes[0].ElementDistributes[1])
			assert.Equal(t, wantProduct().Attributes, ev.(*ikitech.ProductEvent).Product.Attributes)
		}},
		{ikitech.EventUpdateProduct, retype(product, ikitech.EventNewProduct, ikitech.EventUpdateProduct), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantProduct().Images, ev.(*ikitech.ProductEvent).Product.Images)
		}},
		{ikitech.EventDeleteProduct, fixture(t, "delete_product.json"), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "Áo thun cotton nam", ev.(*ikitech.ProductDeleteEvent).Name)
		}},
		{ikitech.EventNewOrder, order, func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantOrder(), ev.(*ikitech.OrderEvent).Order)
		}},
		{ikitech.EventUpdateOrder, retype(order, ikitech.EventNewOrder, ikitech.EventUpdateOrder), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantOrder(), ev.(*ikitech.OrderEvent).Order)
		}},
		{ikitech.EventDeleteOrder, fixture(t, "delete_order.json"), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "DH230501ABCD", ev.(*ikitech.OrderDeleteEvent).OrderCode)
		}},
		{ikitech.EventNewCustomer, customer, func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantCustomer(), ev.(*ikitech.CustomerEvent).Customer)
		}},
		{ikitech.EventUpdateCustomer, retype(customer, ikitech.EventNewCustomer, ikitech.EventUpdateCustomer), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, wantCustomer(), ev.(*ikitech.CustomerEvent).Customer)
		}},
		{ikitech.EventDeleteCustomer, fixture(t, "delete_customer.json"), func(t *testing.T, ev ikitech.Event) {
			assert.Equal(t, "0901234567", ev.(*ikitech.CustomerDeleteEvent).PhoneNumber)
		}},
		{"NEW_VOUCHER", fixture(t, "unknown_type.json"), func(t *testing.T, ev ikitech.Event) {
			assert.JSONEq(t, `{"code": "SALE10", "value": 10}`, string(ev.(*ikitech.UnknownEvent).Data))
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			rec := webhooktest.Record(rc, registerAll)

			w := deliver(rc, tt.body, testToken)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, okReply, w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			got := rec.Got()
			require.Len(t, got, 1, "exactly one handler ran")
			assert.Equal(t, tt.typ, got[0].EventType())
			tt.check(t, got[0])
		})
	}
}

func TestReceiverRejectsBadToken(t *testing.T) {
	t.Parallel()

	for name, token := range map[string]string{
		"missing":      "",
		"wrong":        "not-the-token",
		"wrong case":   strings.ToUpper(testToken),
		"prefix":       testToken[:len(testToken)-1],
		"longer":       testToken + "x",
		"padded":       " " + testToken,
		"bearer style": "Bearer " + testToken,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var errs webhooktest.Errors
			rc := newReceiver(t, errs.Option())
			rec := webhooktest.Record(rc, registerAll)

			w := deliver(rc, fixture(t, "new_order.json"), token)
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			assert.JSONEq(t, errReply(http.StatusUnauthorized), w.Body.String())
			assert.Empty(t, rec.Got(), "no handler runs")
			assert.ErrorIs(t, errs.Last(), webhook.ErrUnauthorized)
		})
	}
}

// A documented type without a handler, and an undocumented type without
// OnUnknown, are answered 501, so that IKITECH delivers them again, and
// reported. Neither decodes the data nor touches the store.
// OnUnknown(webhook.Ignore) acknowledges undocumented types on purpose.
func TestReceiverWithoutHandler(t *testing.T) {
	t.Parallel()
	store := new(dedupe.MemoryStore)
	var errs webhooktest.Errors
	rc := newReceiver(t, webhook.WithDedupe(store), errs.Option())
	rc.OnDeleteOrder(func(context.Context, *ikitech.OrderDeleteEvent) error { return errors.New("not this one") })

	for _, body := range [][]byte{
		fixture(t, "new_order.json"),
		[]byte(`{"type": "NEW_PRODUCT", "data": {"price": "unreadable"}}`), // nobody reads it
	} {
		w := deliver(rc, body, testToken)
		assert.Equal(t, http.StatusNotImplemented, w.Code, string(body))
		assert.JSONEq(t, `{"success": false, "error": "Not Implemented"}`, w.Body.String())
		assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	}
	assert.ErrorContains(t, errs.Last(), "NEW_PRODUCT delivery")

	w := deliver(rc, fixture(t, "unknown_type.json"), testToken)
	assert.Equal(t, http.StatusNotImplemented, w.Code)
	assert.JSONEq(t, `{"success": false, "error": "Not Implemented"}`, w.Body.String())
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	assert.ErrorContains(t, errs.Last(), "which IKITECH does not document: register OnUnknown")
	assert.Equal(t, 0, store.Len(), "nothing is remembered for unhandled deliveries")
	rc.OnUnknown(webhook.Ignore)
	w = deliver(rc, fixture(t, "unknown_type.json"), testToken)
	assert.Equal(t, http.StatusOK, w.Code, "ignored on purpose")
	assert.JSONEq(t, okReply, w.Body.String())

	rc.OnNewOrder(webhook.Ignore)
	assert.Equal(t, http.StatusOK, deliver(rc, fixture(t, "new_order.json"), testToken).Code, "ignored on purpose")
}

func TestReceiverUnregister(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var calls atomic.Int32
	rc.OnDeleteOrder(func(context.Context, *ikitech.OrderDeleteEvent) error { calls.Add(1); return nil })
	rc.OnUnknown(func(context.Context, *ikitech.UnknownEvent) error { calls.Add(1); return nil })
	rc.OnDeleteOrder(nil)
	rc.OnUnknown(nil)

	assert.Equal(t, http.StatusNotImplemented, deliver(rc, fixture(t, "delete_order.json"), testToken).Code)
	assert.Equal(t, http.StatusNotImplemented, deliver(rc, fixture(t, "unknown_type.json"), testToken).Code)
	assert.Zero(t, calls.Load())
}

func TestReceiverDeduplicatesByBody(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var calls atomic.Int32
	rc.OnNewOrder(func(context.Context, *ikitech.OrderEvent) error { calls.Add(1); return nil })

	body := fixture(t, "new_order.json")
	for range 3 {
		w := deliver(rc, body, testToken)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.JSONEq(t, okReply, w.Body.String())
	}
	assert.Equal(t, int32(1), calls.Load())

	// A different body is a different delivery.
	changed := bytes.Replace(body, []byte(`"order_status": 0`), []byte(`"order_status": 1`), 1)
	require.NotEqual(t, body, changed)
	assert.Equal(t, http.StatusOK, deliver(rc, changed, testToken).Code)
	assert.Equal(t, int32(2), calls.Load())
}

// TestNewReceiverValidates checks the token argument: an empty one is a
// *tiki.ValidationError, listed with the problems of the invalid options.
func TestNewReceiverValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		token string
		opts  []webhook.Option
		want  []tiki.FieldProblem
	}{
		{"", nil, []tiki.FieldProblem{{Field: "token", Problem: "is empty"}}},
		{testToken, []webhook.Option{webhook.WithMaxBodyBytes(0)}, []tiki.FieldProblem{{Field: "WithMaxBodyBytes(n)", Problem: "must be positive (got 0)"}}},
		{"", []webhook.Option{webhook.WithDedupeTTL(0, time.Hour), webhook.WithBodyTimeout(0)}, []tiki.FieldProblem{
			{Field: "token", Problem: "is empty"},
			{Field: "WithDedupeTTL(lease)", Problem: "must be positive (got 0s)"},
			{Field: "WithBodyTimeout(d)", Problem: "must be positive (got 0s)"},
		}},
	}
	for _, tt := range tests {
		rc, err := ikitech.NewReceiver(tt.token, tt.opts...)
		webhooktest.RequireRefused(t, err, tt.want)
		assert.Nil(t, rc, "no receiver")
	}
}
