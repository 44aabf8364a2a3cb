package ginee_test

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

	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/webhook"
)

const (
	okReply = `{"status": true}`
	hookURL = "/webhooks/ginee"
)

func errReply(status int) string {
	return `{"status": false, "message": "` + http.StatusText(status) + `"}`
}

func newReceiver(t *testing.T, opts ...ginee.Option) *ginee.Receiver {
	t.Helper()
	rc, err := ginee.NewReceiver(opts...)
	require.NoError(t, err)
	return rc
}

func TestReceiverDispatches(t *testing.T) {
	t.Parallel()

	tests := []struct {
		fixture string
		check   func(t *testing.T, ev ginee.Event)
	}{
		{"order_create.json", func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.OrderEvent{}, ev)
			assert.Equal(t, wantOrderEnvelope(t), *ev.EventEnvelope())
			assert.Equal(t, wantOrder(), ev.(*ginee.OrderEvent).Order)
		}},
		{"delivery_order_create.json", func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, ginee.ActionCreate, ev.EventEnvelope().Action)
		}},
		{"delivery_order_update.json", func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, wantUpdateEnvelope(t), *ev.EventEnvelope())
			assert.Equal(t, wantUpdatedDeliveryOrder(), ev.(*ginee.DeliveryOrderEvent).DeliveryOrder)
		}},
		{"delivery_order_delete.json", func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, ginee.ActionDelete, ev.EventEnvelope().Action)
			assert.Equal(t, wantDeletedDeliveryOrder(), ev.(*ginee.DeliveryOrderEvent).DeliveryOrder)
		}},
		{"unknown_entity.json", func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.UnknownEvent{}, ev)
			assert.Equal(t, ginee.Entity("product"), ev.EventEnvelope().Entity)
			assert.JSONEq(t, `{"productId": "P1", "stock": 3}`, string(ev.EventEnvelope().Payload))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			var rec recorder
			rec.registerAll(rc)

			w := post(rc, hookURL, fixture(t, tt.fixture))
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, okReply, w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			got := rec.got()
			require.Len(t, got, 1)
			tt.check(t, got[0])
		})
	}
}

func TestReceiverPassesRequestContext(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	rc := newReceiver(t)
	var got any
	rc.OnOrder(func(ctx context.Context, _ *ginee.OrderEvent) error {
		got = ctx.Value(ctxKey{})
		return nil
	})
	r := httptest.NewRequest(http.MethodPost, hookURL, bytes.NewReader(fixture(t, "order_create.json")))
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, "request-scoped"))
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "request-scoped", got)
}

func TestReceiverSecretHeader(t *testing.T) {
	t.Parallel()
	body := fixture(t, "order_create.json")

	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"right", []string{"X-Ginee-Secret", "s3cr3t-value"}, http.StatusOK},
		{"header name is case-insensitive", []string{"x-ginee-secret", "s3cr3t-value"}, http.StatusOK},
		{"missing", nil, http.StatusUnauthorized},
		{"empty", []string{"X-Ginee-Secret", ""}, http.StatusUnauthorized},
		{"wrong", []string{"X-Ginee-Secret", "guess"}, http.StatusUnauthorized},
		{"value is case-sensitive", []string{"X-Ginee-Secret", "S3CR3T-VALUE"}, http.StatusUnauthorized},
		{"prefix", []string{"X-Ginee-Secret", "s3cr3t-valu"}, http.StatusUnauthorized},
		{"other header", []string{"Authorization", "s3cr3t-value"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reported error
			rc := newReceiver(t,
				ginee.WithSecretHeader("X-Ginee-Secret", "s3cr3t-value"),
				ginee.WithOnError(func(_ *http.Request, err error) { reported = err }))
			var rec recorder
			rec.registerAll(rc)

			w := post(rc, hookURL, body, tt.header...)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusOK {
				assert.JSONEq(t, okReply, w.Body.String())
				assert.Len(t, rec.got(), 1)
				return
			}
			assert.JSONEq(t, errReply(http.StatusUnauthorized), w.Body.String())
			assert.Empty(t, rec.got(), "no handler runs")
			assert.ErrorIs(t, reported, webhook.ErrUnauthorized)
		})
	}
}

func TestReceiverPathSecret(t *testing.T) {
	t.Parallel()
	body := fixture(t, "order_create.json")

	tests := []struct {
		path   string
		status int
	}{
		{"/webhooks/ginee/Zt8w-Q3k_p", http.StatusOK},
		{"/Zt8w-Q3k_p", http.StatusOK},
		{"/webhooks/ginee/Zt8w%2DQ3k_p", http.StatusOK}, // percent-encoded "-"
		{"/webhooks/ginee", http.StatusUnauthorized},
		{"/webhooks/ginee/", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_p/", http.StatusUnauthorized},
		{"/webhooks/ginee/zt8w-q3k_p", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_p/extra", http.StatusUnauthorized},
		{"/webhooks/ginee?secret=Zt8w-Q3k_p", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, ginee.WithPathSecret("Zt8w-Q3k_p"))
			var rec recorder
			rec.registerAll(rc)

			w := post(rc, tt.path, body)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusOK {
				assert.Len(t, rec.got(), 1)
			} else {
				assert.Empty(t, rec.got())
			}
		})
	}
}

func TestReceiverBothSecretsMustMatch(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ginee.WithPathSecret("path-secret"), ginee.WithSecretHeader("X-Secret", "header-secret"))
	var rec recorder
	rec.registerAll(rc)
	body := fixture(t, "order_create.json")

	assert.Equal(t, http.StatusUnauthorized, post(rc, "/hook/path-secret", body).Code)
	assert.Equal(t, http.StatusUnauthorized, post(rc, "/hook/wrong", body, "X-Secret", "header-secret").Code)
	assert.Empty(t, rec.got())
	assert.Equal(t, http.StatusOK, post(rc, "/hook/path-secret", body, "X-Secret", "header-secret").Code)
	assert.Len(t, rec.got(), 1)
}

func TestReceiverWithoutSecretAcceptsAnyRequest(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var rec recorder
	rec.registerAll(rc)
	assert.Equal(t, http.StatusOK, post(rc, "/anything", fixture(t, "order_create.json")).Code)
	assert.Len(t, rec.got(), 1)
}

func TestReceiverMethodNotAllowed(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t)
			var rec recorder
			rec.registerAll(rc)
			r := httptest.NewRequest(method, hookURL, bytes.NewReader(fixture(t, "order_create.json")))
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
	pad := func(body []byte, size int) []byte {
		return append(bytes.Clone(body), bytes.Repeat([]byte("\n"), size-len(body))...)
	}
	body := fixture(t, "order_create.json")

	t.Run("default 1 MiB", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, ginee.WithDedupe(nil))
		var rec recorder
		rec.registerAll(rc)
		assert.Equal(t, http.StatusOK, post(rc, hookURL, pad(body, 1<<20)).Code)
		w := post(rc, hookURL, pad(body, 1<<20+1))
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		assert.JSONEq(t, errReply(http.StatusRequestEntityTooLarge), w.Body.String())
		assert.Len(t, rec.got(), 1)
	})
	t.Run("configured", func(t *testing.T) {
		t.Parallel()
		var reported error
		rc := newReceiver(t, ginee.WithDedupe(nil), ginee.WithMaxBodyBytes(1000),
			ginee.WithOnError(func(_ *http.Request, err error) { reported = err }))
		var rec recorder
		rec.registerAll(rc)
		assert.Equal(t, http.StatusOK, post(rc, hookURL, pad(body, 1000)).Code)
		assert.Equal(t, http.StatusRequestEntityTooLarge, post(rc, hookURL, pad(body, 1001)).Code)
		assert.ErrorIs(t, reported, webhook.ErrBodyTooLarge)
		assert.Len(t, rec.got(), 1)
	})
}

func TestReceiverMalformed(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"doc curl example": `{"id": GENIE5FF31A7C5F15030001D3ED5F, "entity": "delivery-order", "action": "CREATE", "payload": {}}`,
		"empty":            ``,
		"bad payload":      `{"id": "GENIE1", "entity": "order", "payload": {"orderId": 1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var reported error
			rc := newReceiver(t, ginee.WithOnError(func(_ *http.Request, err error) { reported = err }))
			var rec recorder
			rec.registerAll(rc)
			w := post(rc, hookURL, []byte(body))
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
	rc := newReceiver(t, ginee.WithDedupe(store))
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { return errors.New("not this one") })

	for _, body := range [][]byte{
		fixture(t, "delivery_order_update.json"),
		fixture(t, "unknown_entity.json"),
		[]byte(`{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": "unreadable"}}`),
	} {
		w := post(rc, hookURL, body)
		assert.Equal(t, http.StatusOK, w.Code, string(body))
		assert.JSONEq(t, okReply, w.Body.String())
	}
	assert.Equal(t, 0, store.Len())

	rc.OnOrder(nil)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, fixture(t, "order_create.json")).Code, "a removed handler does not run")
}

func TestReceiverDedupesByID(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var ids []string
	var mu sync.Mutex
	rc.OnDeliveryOrder(func(_ context.Context, ev *ginee.DeliveryOrderEvent) error {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, ev.ID)
		return nil
	})

	body := fixture(t, "delivery_order_update.json")
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	// A copy whose body differs (Ginee re-serialized it) but with the same id.
	reformatted := bytes.ReplaceAll(body, []byte("\n"), nil)
	require.NotEqual(t, body, reformatted)
	w := post(rc, hookURL, reformatted)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, okReply, w.Body.String())
	// Another notification about the same delivery order is handled.
	other := bytes.Replace(body, []byte("GENIE5FF5D0245F150300015E5600"), []byte("GENIE5FF5D0245F150300015E5601"), 1)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, other).Code)

	assert.Equal(t, []string{"GENIE5FF5D0245F150300015E5600", "GENIE5FF5D0245F150300015E5601"}, ids)
}

func TestReceiverDedupesWithoutIDByBody(t *testing.T) {
	t.Parallel()
	store := &keyStore{MemoryDedupe: webhook.NewMemoryDedupe()}
	rc := newReceiver(t, ginee.WithDedupe(store))
	var calls atomic.Int32
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { calls.Add(1); return nil })

	body := []byte(`{"entity": "order", "action": "CREATE", "payload": {"orderId": "order_1"}}`)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, int32(1), calls.Load())
	assert.Equal(t, []string{"ginee:body:" + webhook.BodyKey(body)}, store.claimedKeys())
}

// keyStore records the keys claimed in a MemoryDedupe.
type keyStore struct {
	*webhook.MemoryDedupe
	mu   sync.Mutex
	keys []string
}

func (s *keyStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	claimed, err := s.MemoryDedupe.Claim(ctx, key, ttl)
	if claimed {
		s.mu.Lock()
		s.keys = append(s.keys, key)
		s.mu.Unlock()
	}
	return claimed, err
}

func (s *keyStore) claimedKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

func TestReceiverDedupeOptions(t *testing.T) {
	t.Parallel()
	body := fixture(t, "order_create.json")

	store := &keyStore{MemoryDedupe: webhook.NewMemoryDedupe()}
	rc := newReceiver(t, ginee.WithDedupe(store), ginee.WithDedupeTTL(time.Minute, time.Hour))
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { return nil })
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, []string{"ginee:id:GENIE5FF31A7C5F15030001D3ED5E"}, store.claimedKeys())

	rc = newReceiver(t, ginee.WithDedupe(nil))
	var calls atomic.Int32
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { calls.Add(1); return nil })
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, int32(2), calls.Load(), "deduplication disabled")
}

func TestReceiverConcurrentDuplicatesHandledOnce(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	var calls atomic.Int32
	release := make(chan struct{})
	rc.OnDeliveryOrder(func(context.Context, *ginee.DeliveryOrderEvent) error {
		calls.Add(1)
		<-release // hold the claim until every copy has been answered
		return nil
	})

	const copies = 32
	body := fixture(t, "delivery_order_delete.json")
	replies := make(chan *httptest.ResponseRecorder, copies)
	for range copies {
		go func() { replies <- post(rc, hookURL, body) }()
	}
	timeout := time.After(10 * time.Second)
	for i := range copies - 1 {
		select {
		case w := <-replies:
			assert.Equal(t, http.StatusOK, w.Code, "duplicate %d", i)
			assert.JSONEq(t, okReply, w.Body.String())
		case <-timeout:
			t.Fatal("duplicates were not answered: more than one handler is running")
		}
	}
	close(release)
	assert.Equal(t, http.StatusOK, (<-replies).Code)
	assert.Equal(t, int32(1), calls.Load())
}

func TestReceiverHandlerErrorIsRetried(t *testing.T) {
	t.Parallel()
	var reported []error
	var mu sync.Mutex
	rc := newReceiver(t, ginee.WithOnError(func(_ *http.Request, err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	queueFull := errors.New("queue full")
	var calls atomic.Int32
	rc.OnOrder(func(_ context.Context, ev *ginee.OrderEvent) error {
		if calls.Add(1) == 1 {
			return queueFull
		}
		assert.Equal(t, wantOrder(), ev.Order)
		return nil
	})

	body := fixture(t, "order_create.json")
	w := post(rc, hookURL, body)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.JSONEq(t, errReply(http.StatusInternalServerError), w.Body.String())
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], webhook.ErrHandlerFailed)
	assert.ErrorIs(t, reported[0], queueFull)

	w = post(rc, hookURL, body)
	assert.Equal(t, http.StatusOK, w.Code, "the redelivery is handled")
	assert.JSONEq(t, okReply, w.Body.String())
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code, "and then remembered")
	assert.Equal(t, int32(2), calls.Load())
}

func TestNewReceiverValidates(t *testing.T) {
	t.Parallel()
	for _, opt := range []ginee.Option{
		ginee.WithSecretHeader("", "v"),
		ginee.WithSecretHeader("X-Secret", ""),
		ginee.WithPathSecret(""),
		ginee.WithPathSecret("a/b"),
		ginee.WithMaxBodyBytes(0),
		ginee.WithDedupeTTL(0, time.Hour),
		ginee.WithDedupeTTL(time.Minute, 0),
	} {
		rc, err := ginee.NewReceiver(opt)
		require.Error(t, err)
		assert.Nil(t, rc)
	}
}

func TestReceiverRegistrationWhileServing(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ginee.WithDedupe(nil))
	body := fixture(t, "order_create.json")
	var wg sync.WaitGroup
	for range 8 {
		spawn(&wg, func() { post(rc, hookURL, body) })
		spawn(&wg, func() { rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { return nil }) })
		spawn(&wg, func() { rc.OnUnknown(nil) })
	}
	wg.Wait()
}

func TestReceiverErrorMessagesDoNotLeak(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error {
		return errors.New("pq: password authentication failed for user app")
	})
	w := post(rc, hookURL, fixture(t, "order_create.json"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.False(t, strings.Contains(w.Body.String(), "password"), "handler errors stay on the server")
}

func TestZeroReceiverFailsClosed(t *testing.T) {
	t.Parallel()
	var rc ginee.Receiver
	called := false
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { called = true; return nil })
	w := post(&rc, hookURL, fixture(t, "order_create.json"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.False(t, called)
}
