package ikitech_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/ikitech"
	"github.com/tikisdk/tiki/webhook"
)

func newReceiver(t *testing.T, opts ...ikitech.Option) *ikitech.Receiver {
	t.Helper()
	rc, err := ikitech.NewReceiver(testToken, opts...)
	require.NoError(t, err)
	return rc
}

// deliver posts body to rc with the given Token header ("" sends none).
func deliver(rc http.Handler, body []byte, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/ikitech", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Token", token)
	}
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, r)
	return w
}

const (
	okReply = `{"success": true}`
)

func errReply(status int) string {
	return `{"success": false, "error": "` + http.StatusText(status) + `"}`
}

// recorder registers a handler for every type and records what they get.
type recorder struct {
	mu     sync.Mutex
	events []ikitech.Event
}

func (rec *recorder) add(ev ikitech.Event) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, ev)
	return nil
}

func (rec *recorder) got() []ikitech.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]ikitech.Event(nil), rec.events...)
}

func (rec *recorder) registerAll(rc *ikitech.Receiver) {
	product := func(_ context.Context, ev *ikitech.ProductEvent) error { return rec.add(ev) }
	order := func(_ context.Context, ev *ikitech.OrderEvent) error { return rec.add(ev) }
	customer := func(_ context.Context, ev *ikitech.CustomerEvent) error { return rec.add(ev) }
	rc.OnNewProduct(product)
	rc.OnUpdateProduct(product)
	rc.OnDeleteProduct(func(_ context.Context, ev *ikitech.ProductDeleteEvent) error { return rec.add(ev) })
	rc.OnNewOrder(order)
	rc.OnUpdateOrder(order)
	rc.OnDeleteOrder(func(_ context.Context, ev *ikitech.OrderDeleteEvent) error { return rec.add(ev) })
	rc.OnNewCustomer(customer)
	rc.OnUpdateCustomer(customer)
	rc.OnDeleteCustomer(func(_ context.Context, ev *ikitech.CustomerDeleteEvent) error { return rec.add(ev) })
	rc.OnUnknown(func(_ context.Context, ev *ikitech.UnknownEvent) error { return rec.add(ev) })
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
			var rec recorder
			rec.registerAll(rc)

			w := deliver(rc, tt.body, testToken)
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, okReply, w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			got := rec.got()
			require.Len(t, got, 1, "exactly one handler ran")
			assert.Equal(t, tt.typ, got[0].EventType())
			tt.check(t, got[0])
		})
	}
}

func TestReceiverPassesRequestContext(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	rc := newReceiver(t)
	var got any
	rc.OnDeleteOrder(func(ctx context.Context, _ *ikitech.OrderDeleteEvent) error {
		got = ctx.Value(ctxKey{})
		return nil
	})
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(fixture(t, "delete_order.json")))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request-scoped"))
	r.Header.Set("Token", testToken)
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "request-scoped", got)
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
			var reported error
			rc := newReceiver(t, ikitech.WithOnError(func(_ *http.Request, err error) { reported = err }))
			var rec recorder
			rec.registerAll(rc)

			w := deliver(rc, fixture(t, "new_order.json"), token)
			assert.Equal(t, http.StatusUnauthorized, w.Code)
			assert.JSONEq(t, errReply(http.StatusUnauthorized), w.Body.String())
			assert.Empty(t, rec.got(), "no handler runs")
			assert.ErrorIs(t, reported, webhook.ErrUnauthorized)
		})
	}
}

func TestReceiverMethodNotAllowed(t *testing.T) {
	t.Parallel()

	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			var rec recorder
			rec.registerAll(rc)

			r := httptest.NewRequest(method, "/", bytes.NewReader(fixture(t, "new_order.json")))
			r.Header.Set("Token", testToken)
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, r)
			assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			assert.Empty(t, rec.got())
		})
	}
}

func TestReceiverBodyTooLarge(t *testing.T) {
	t.Parallel()

	// A valid delivery padded past the limit with trailing spaces.
	pad := func(body []byte, size int) []byte {
		return append(bytes.Clone(body), bytes.Repeat([]byte(" "), size-len(body))...)
	}
	body := fixture(t, "delete_order.json")

	t.Run("default 1 MiB", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t)
		var rec recorder
		rec.registerAll(rc)

		assert.Equal(t, http.StatusOK, deliver(rc, pad(body, 1<<20), testToken).Code, "1 MiB is accepted")
		w := deliver(rc, pad(body, 1<<20+1), testToken)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.JSONEq(t, errReply(http.StatusRequestEntityTooLarge), w.Body.String())
		assert.Len(t, rec.got(), 1)
	})
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		var reported error
		rc := newReceiver(t, ikitech.WithMaxBodyBytes(100), ikitech.WithOnError(func(_ *http.Request, err error) { reported = err }))
		var rec recorder
		rec.registerAll(rc)

		assert.Equal(t, http.StatusOK, deliver(rc, pad(body, 100), testToken).Code)
		assert.Equal(t, http.StatusRequestEntityTooLarge, deliver(rc, pad(body, 101), testToken).Code)
		assert.ErrorIs(t, reported, webhook.ErrBodyTooLarge)
		assert.Len(t, rec.got(), 1)
	})
}

func TestReceiverMalformed(t *testing.T) {
	t.Parallel()

	for name, body := range map[string]string{
		"not JSON":       `type=NEW_ORDER`,
		"truncated":      `{"type": "NEW_ORDER", "data": {`,
		"empty":          ``,
		"bad field type": `{"type": "NEW_ORDER", "data": {"total_final": "a lot"}}`,
		"array":          `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var reported error
			rc := newReceiver(t, ikitech.WithOnError(func(_ *http.Request, err error) { reported = err }))
			var rec recorder
			rec.registerAll(rc)

			w := deliver(rc, []byte(body), testToken)
			assert.Equal(t, http.StatusBadRequest, w.Code)
			assert.JSONEq(t, errReply(http.StatusBadRequest), w.Body.String())
			assert.Empty(t, rec.got())
			assert.ErrorIs(t, reported, webhook.ErrMalformedPayload)
		})
	}
}

func TestReceiverWithoutHandlerAcknowledges(t *testing.T) {
	t.Parallel()
	store := webhook.NewMemoryDedupe()
	rc := newReceiver(t, ikitech.WithDedupe(store))
	rc.OnDeleteOrder(func(context.Context, *ikitech.OrderDeleteEvent) error { return errors.New("not this one") })

	for _, body := range [][]byte{
		fixture(t, "new_order.json"),
		fixture(t, "unknown_type.json"),
		[]byte(`{"type": "NEW_PRODUCT", "data": {"price": "unreadable"}}`), // nobody reads it
	} {
		w := deliver(rc, body, testToken)
		assert.Equal(t, http.StatusOK, w.Code, string(body))
		assert.JSONEq(t, okReply, w.Body.String())
	}
	assert.Equal(t, 0, store.Len(), "nothing is remembered for unhandled deliveries")
}

func TestReceiverUnregister(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var calls atomic.Int32
	rc.OnDeleteOrder(func(context.Context, *ikitech.OrderDeleteEvent) error { calls.Add(1); return nil })
	rc.OnUnknown(func(context.Context, *ikitech.UnknownEvent) error { calls.Add(1); return nil })
	rc.OnDeleteOrder(nil)
	rc.OnUnknown(nil)

	assert.Equal(t, http.StatusOK, deliver(rc, fixture(t, "delete_order.json"), testToken).Code)
	assert.Equal(t, http.StatusOK, deliver(rc, fixture(t, "unknown_type.json"), testToken).Code)
	assert.Zero(t, calls.Load())
}

func TestReceiverDuplicateHandledOnce(t *testing.T) {
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

func TestReceiverConcurrentDuplicatesHandledOnce(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var calls atomic.Int32
	release := make(chan struct{})
	rc.OnNewOrder(func(context.Context, *ikitech.OrderEvent) error {
		calls.Add(1)
		<-release // hold the claim until every copy has been answered
		return nil
	})

	const copies = 32
	body := fixture(t, "new_order.json")
	codes := make(chan int, copies)
	for range copies {
		go func() { codes <- deliver(rc, body, testToken).Code }()
	}
	timeout := time.After(10 * time.Second)
	for i := range copies - 1 {
		select {
		case code := <-codes:
			assert.Equal(t, http.StatusOK, code, "duplicate %d is acknowledged while the first runs", i)
		case <-timeout:
			t.Fatal("duplicates were not answered: more than one handler is running")
		}
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-codes)
	assert.Equal(t, int32(1), calls.Load())
}

func TestReceiverHandlerErrorIsRetried(t *testing.T) {
	t.Parallel()
	var reported []error
	var mu sync.Mutex
	rc := newReceiver(t, ikitech.WithOnError(func(_ *http.Request, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	dbDown := errors.New("database down")
	var calls atomic.Int32
	rc.OnNewCustomer(func(_ context.Context, ev *ikitech.CustomerEvent) error {
		if calls.Add(1) == 1 {
			return dbDown
		}
		assert.Equal(t, wantCustomer(), ev.Customer)
		return nil
	})

	body := fixture(t, "new_customer.json")
	w := deliver(rc, body, testToken)
	assert.Equal(t, http.StatusInternalServerError, w.Code, "a failed handler makes IKITECH retry")
	assert.JSONEq(t, errReply(http.StatusInternalServerError), w.Body.String())
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], webhook.ErrHandlerFailed)
	assert.ErrorIs(t, reported[0], dbDown)

	assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code, "the redelivery is handled")
	assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code, "and then remembered")
	assert.Equal(t, int32(2), calls.Load())
}

// recordingStore wraps a MemoryDedupe and records the calls made to it.
type recordingStore struct {
	*webhook.MemoryDedupe
	mu    sync.Mutex
	calls []string
}

func (s *recordingStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.calls = append(s.calls, "claim "+key+" "+ttl.String())
	s.mu.Unlock()
	return s.MemoryDedupe.Claim(ctx, key, ttl)
}

func (s *recordingStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	s.calls = append(s.calls, "complete "+key+" "+ttl.String())
	s.mu.Unlock()
	return s.MemoryDedupe.Complete(ctx, key, ttl)
}

func TestReceiverDedupeOptions(t *testing.T) {
	t.Parallel()
	body := fixture(t, "delete_product.json")

	t.Run("custom store and TTLs", func(t *testing.T) {
		t.Parallel()
		store := &recordingStore{MemoryDedupe: webhook.NewMemoryDedupe()}
		rc := newReceiver(t, ikitech.WithDedupe(store), ikitech.WithDedupeTTL(time.Minute, 2*time.Hour))
		rc.OnDeleteProduct(func(context.Context, *ikitech.ProductDeleteEvent) error { return nil })

		assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code)
		assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code)
		key := "ikitech:" + webhook.BodyKey(body)
		assert.Equal(t, []string{"claim " + key + " 1m0s", "complete " + key + " 2h0m0s", "claim " + key + " 1m0s"}, store.calls)
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, ikitech.WithDedupe(nil))
		var calls atomic.Int32
		rc.OnDeleteProduct(func(context.Context, *ikitech.ProductDeleteEvent) error { calls.Add(1); return nil })

		assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code)
		assert.Equal(t, http.StatusOK, deliver(rc, body, testToken).Code)
		assert.Equal(t, int32(2), calls.Load())
	})
}

func TestNewReceiverValidates(t *testing.T) {
	t.Parallel()

	_, err := ikitech.NewReceiver("")
	require.Error(t, err)
	for _, opt := range []ikitech.Option{
		ikitech.WithMaxBodyBytes(0),
		ikitech.WithMaxBodyBytes(-1),
		ikitech.WithDedupeTTL(0, time.Hour),
		ikitech.WithDedupeTTL(time.Minute, -time.Hour),
	} {
		rc, err := ikitech.NewReceiver(testToken, opt)
		require.Error(t, err)
		assert.Nil(t, rc)
	}
	rc, err := ikitech.NewReceiver(testToken, ikitech.WithOnError(nil))
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, deliver(rc, nil, "x").Code, "a nil error function is allowed")
}

func TestReceiverRegistrationWhileServing(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ikitech.WithDedupe(nil))
	body := fixture(t, "delete_order.json")

	var wg sync.WaitGroup
	for range 8 {
		spawn(&wg, func() { deliver(rc, body, testToken) })
		spawn(&wg, func() {
			rc.OnDeleteOrder(func(context.Context, *ikitech.OrderDeleteEvent) error { return nil })
		})
	}
	wg.Wait()
}

func TestZeroReceiverFailsClosed(t *testing.T) {
	t.Parallel()
	var rc ikitech.Receiver
	called := false
	rc.OnNewOrder(func(context.Context, *ikitech.OrderEvent) error { called = true; return nil })
	w := deliver(&rc, fixture(t, "new_order.json"), testToken)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.False(t, called)
}
