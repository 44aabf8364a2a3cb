package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

// testEndpoint is an Endpoint that authorizes by an "X-Key: k" header,
// verifies that the body does not start with "forged", decodes the body
// "fail" as a failing handler, "bad" as malformed, "ignore" as no handler,
// and anything else as a handler that counts its runs.
type testEndpoint struct {
	webhook.Endpoint
	runs atomic.Int32

	mu     sync.Mutex
	errs   []error
	ctxVal any
}

type ctxKey struct{}

func newTestEndpoint() *testEndpoint {
	e := &testEndpoint{}
	e.Endpoint = webhook.Endpoint{
		Authorize: func(r *http.Request) error {
			if !webhook.SecretEqual(r.Header.Get("X-Key"), "k") {
				return errors.New("bad key")
			}
			return nil
		},
		Verify: func(_ *http.Request, body []byte) error {
			if strings.HasPrefix(string(body), "forged") {
				return errors.New("bad signature")
			}
			return nil
		},
		Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
			switch string(body) {
			case "bad":
				return webhook.Delivery{}, errors.New("not JSON")
			case "ignore":
				return webhook.Delivery{Key: "test:" + webhook.BodyKey(body)}, nil
			case "fail":
				return webhook.Delivery{Key: "test:fail", Handle: func(context.Context) error {
					e.runs.Add(1)
					return errors.New("boom")
				}}, nil
			}
			return webhook.Delivery{Key: "test:" + webhook.BodyKey(body), Handle: func(ctx context.Context) error {
				e.runs.Add(1)
				e.mu.Lock()
				e.ctxVal = ctx.Value(ctxKey{})
				e.mu.Unlock()
				return nil
			}}, nil
		},
		MaxBodyBytes: 16,
		Dedupe:       webhook.Deduper{Store: webhook.NewMemoryDedupe()},
		OnError: func(_ *http.Request, err error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.errs = append(e.errs, err)
		},
	}
	return e
}

func (e *testEndpoint) post(body string, mutate ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("X-Key", "k")
	for _, m := range mutate {
		m(r)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func (e *testEndpoint) lastErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) == 0 {
		return nil
	}
	return e.errs[len(e.errs)-1]
}

func TestEndpointHandles(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()

	w := e.post("hello", func(r *http.Request) {
		*r = *r.WithContext(context.WithValue(r.Context(), ctxKey{}, "from request"))
	})
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"success": true}`, w.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, int32(1), e.runs.Load())
	assert.Equal(t, "from request", e.ctxVal, "the handler gets the request's context")
	assert.NoError(t, e.lastErr())
}

func TestEndpointRejects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		body     string
		mutate   func(*http.Request)
		status   int
		sentinel error
	}{
		{"GET", "hello", func(r *http.Request) { r.Method = http.MethodGet }, http.StatusMethodNotAllowed, webhook.ErrMethodNotAllowed},
		{"PUT", "hello", func(r *http.Request) { r.Method = http.MethodPut }, http.StatusMethodNotAllowed, webhook.ErrMethodNotAllowed},
		{"missing key", "hello", func(r *http.Request) { r.Header.Del("X-Key") }, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"wrong key", "hello", func(r *http.Request) { r.Header.Set("X-Key", "K") }, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"forged body", "forged", nil, http.StatusUnauthorized, webhook.ErrUnauthorized},
		{"too large", strings.Repeat("x", 17), nil, http.StatusRequestEntityTooLarge, webhook.ErrBodyTooLarge},
		{"malformed", "bad", nil, http.StatusBadRequest, webhook.ErrMalformedPayload},
		{"handler error", "fail", nil, http.StatusInternalServerError, webhook.ErrHandlerFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEndpoint()
			var mutate []func(*http.Request)
			if tt.mutate != nil {
				mutate = append(mutate, tt.mutate)
			}
			w := e.post(tt.body, mutate...)
			assert.Equal(t, tt.status, w.Code)
			assert.JSONEq(t, `{"success": false, "error": "`+http.StatusText(tt.status)+`"}`, w.Body.String())
			assert.ErrorIs(t, e.lastErr(), tt.sentinel)
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			if tt.sentinel != webhook.ErrHandlerFailed {
				assert.Zero(t, e.runs.Load(), "no handler runs for a rejected request")
			}
		})
	}
}

func TestEndpointNoHandlerAcknowledges(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := webhook.NewMemoryDedupe()
	e.Dedupe.Store = store

	w := e.post("ignore")
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 0, store.Len(), "nothing is claimed for a delivery without handler")
}

func TestEndpointDuplicatesAndRedelivery(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()

	assert.Equal(t, http.StatusOK, e.post("hello").Code)
	assert.Equal(t, http.StatusOK, e.post("hello").Code, "a duplicate is acknowledged")
	assert.Equal(t, int32(1), e.runs.Load())

	assert.Equal(t, http.StatusInternalServerError, e.post("fail").Code)
	assert.Equal(t, http.StatusInternalServerError, e.post("fail").Code, "a failed delivery is not marked as seen")
	assert.Equal(t, int32(3), e.runs.Load())
}

func TestEndpointEmptyKeyDisablesDedupe(t *testing.T) {
	t.Parallel()
	var runs atomic.Int32
	e := &webhook.Endpoint{
		Decode: func(*http.Request, []byte) (webhook.Delivery, error) {
			return webhook.Delivery{Handle: func(context.Context) error { runs.Add(1); return nil }}, nil
		},
		Dedupe: webhook.Deduper{Store: webhook.NewMemoryDedupe()},
	}
	for range 2 {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
		assert.Equal(t, http.StatusOK, w.Code)
	}
	assert.Equal(t, int32(2), runs.Load())
}

func TestEndpointCustomReplyAndMissingDecode(t *testing.T) {
	t.Parallel()
	e := &webhook.Endpoint{
		Reply: func(w http.ResponseWriter, status int) {
			_ = webhook.WriteJSON(w, status, map[string]bool{"status": status == http.StatusOK})
		},
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "an Endpoint without Decode fails closed")
	assert.JSONEq(t, `{"status": false}`, w.Body.String())
}

func TestEndpointStoreFailures(t *testing.T) {
	t.Parallel()
	storeDown := errors.New("store down")

	e := newTestEndpoint()
	e.Dedupe.Store = &stubStore{claimErr: storeDown}
	w := e.post("hello")
	assert.Equal(t, http.StatusInternalServerError, w.Code, "no claim, no run: the sender retries later")
	assert.Zero(t, e.runs.Load())
	assert.ErrorIs(t, e.lastErr(), storeDown)

	e = newTestEndpoint()
	e.Dedupe.Store = &stubStore{claimed: true, completeErr: storeDown}
	w = e.post("hello")
	assert.Equal(t, http.StatusOK, w.Code, "the handler succeeded: acknowledge even if the key was not recorded")
	assert.Equal(t, int32(1), e.runs.Load())
	require.ErrorIs(t, e.lastErr(), webhook.ErrDedupeStore)
}

func TestEndpointConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()

	const copies = 32
	var wg sync.WaitGroup
	codes := make([]int, copies)
	for i := range copies {
		webhooktest.Spawn(&wg, func() { codes[i] = e.post("hello").Code })
	}
	wg.Wait()
	for _, code := range codes {
		assert.Equal(t, http.StatusOK, code)
	}
	assert.Equal(t, int32(1), e.runs.Load())
}

func TestEndpointBrokenBody(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	r := httptest.NewRequest(http.MethodPost, "/hook", io.NopCloser(failingReader{}))
	r.Header.Set("X-Key", "k")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.ErrorIs(t, e.lastErr(), webhook.ErrMalformedPayload)
	assert.Zero(t, e.runs.Load())
}
