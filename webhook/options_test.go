package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

func TestApply(t *testing.T) {
	t.Parallel()
	var order []string
	opt := func(name string, err error) webhook.Option {
		return func(*webhook.Endpoint) error {
			order = append(order, name)
			return err
		}
	}
	var e webhook.Endpoint
	require.NoError(t, e.Apply(opt("a", nil), nil, opt("b", nil)), "nil options are skipped")
	assert.Equal(t, []string{"a", "b"}, order)

	order = nil
	bad := errors.New("bad setting")
	assert.ErrorIs(t, e.Apply(opt("a", nil), opt("b", bad), opt("c", nil)), bad)
	assert.Equal(t, []string{"a", "b"}, order, "the first error stops")
	require.NoError(t, e.Apply())
}

func TestWithMaxBodyBytes(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	e.MaxBodyBytes = 0
	require.NoError(t, e.Apply(webhook.WithMaxBodyBytes(6)))
	assert.Equal(t, int64(6), e.MaxBodyBytes)
	assert.Equal(t, http.StatusOK, e.post("hello!").Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.post("hello!!").Code)
	assert.ErrorIs(t, e.lastErr(), webhook.ErrBodyTooLarge)

	for _, n := range []int64{0, -1} {
		var e webhook.Endpoint
		assert.Error(t, e.Apply(webhook.WithMaxBodyBytes(n)), n)
		assert.Zero(t, e.MaxBodyBytes, "an invalid option changes nothing")
	}
}

func TestWithDedupe(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := dedupe.NewMemoryStore()
	require.NoError(t, e.Apply(webhook.WithDedupe(store)))
	assert.Same(t, store, e.Dedupe.Store)
	e.post("hello")
	e.post("hello")
	assert.Equal(t, int32(1), e.runs.Load())
	assert.Equal(t, 1, store.Len(), "the store given is the one used")

	e = newTestEndpoint()
	require.NoError(t, e.Apply(webhook.WithDedupe(nil)))
	e.post("hello")
	e.post("hello")
	assert.Equal(t, int32(2), e.runs.Load(), "nil disables deduplication")
}

func TestWithDedupeTTL(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := &webhooktest.StubStore{State: dedupe.Claimed}
	require.NoError(t, e.Apply(webhook.WithDedupe(store), webhook.WithDedupeTTL(time.Minute, 2*time.Hour)))
	assert.Equal(t, http.StatusOK, e.post("hello").Code)
	assert.Equal(t, []time.Duration{time.Minute, 2 * time.Hour}, store.TTLs, "lease for the claim, retention once handled")

	for _, ttl := range [][2]time.Duration{{0, time.Hour}, {time.Minute, 0}, {-time.Minute, time.Hour}, {time.Minute, -time.Hour}} {
		var e webhook.Endpoint
		assert.Error(t, e.Apply(webhook.WithDedupeTTL(ttl[0], ttl[1])), ttl)
		assert.Zero(t, e.Dedupe, "an invalid option changes nothing")
	}
}

func TestWithOnError(t *testing.T) {
	t.Parallel()
	var e webhook.Endpoint
	e.Decode = func(*http.Request, []byte) (webhook.Delivery, error) {
		return webhook.Delivery{Handle: func(context.Context) error { return errors.New("boom") }}, nil
	}
	var got []error
	require.NoError(t, e.Apply(webhook.WithOnError(func(_ *http.Request, err error) { got = append(got, err) })))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0], dedupe.ErrHandlerFailed)

	require.NoError(t, e.Apply(webhook.WithOnError(nil)))
	assert.Nil(t, e.OnError, "nil reports nothing")
	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(w.Body.String(), `{"success":false`))
}
