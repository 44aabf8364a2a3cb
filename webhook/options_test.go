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

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

func TestConfigure(t *testing.T) {
	t.Parallel()
	var order []string
	opt := func(name string, err error) webhook.Option {
		return func(*webhook.Endpoint) error {
			order = append(order, name)
			return err
		}
	}
	var e webhook.Endpoint
	require.NoError(t, e.Configure(nil, opt("a", nil), opt("b", nil)))
	assert.Equal(t, []string{"a", "b"}, order)
	require.NoError(t, e.Configure(nil))

	// A nil option is a problem, as NewClient and NewConsumer have it; the
	// others are still applied.
	order = nil
	err := e.Configure(nil, opt("a", nil), nil, opt("b", nil))
	webhooktest.RequireRefused(t, err, []tiki.FieldProblem{{Field: "opts[1]", Problem: "must not be nil"}})
	assert.Equal(t, []string{"a", "b"}, order)

	order = nil
	err = e.Configure(
		[]tiki.FieldProblem{{Field: "token", Problem: "is empty"}},
		opt("a", nil),
		opt("b", webhook.Invalid("WithB(n)", "must be positive (got %d)", -1)),
		opt("c", errors.New("not a validation error")),
		opt("d", &tiki.ValidationError{}),
		opt("e", webhook.Invalid("WithE(s)", "is empty")),
	)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, order, "every option is applied")
	webhooktest.RequireRefused(t, err, []tiki.FieldProblem{
		{Field: "token", Problem: "is empty"},
		{Field: "WithB(n)", Problem: "must be positive (got -1)"},
		{Field: "opts[2]", Problem: "not a validation error"},
		{Field: "opts[3]", Problem: (&tiki.ValidationError{}).Error()},
		{Field: "WithE(s)", Problem: "is empty"},
	}, "the arguments' problems, then each invalid option's, in order")

	err = e.Configure([]tiki.FieldProblem{{Field: "token", Problem: "is empty"}})
	webhooktest.RequireRefused(t, err, []tiki.FieldProblem{{Field: "token", Problem: "is empty"}})
}

// TestOptionsRefuseInvalidValues goes over every option of this package:
// each invalid value is a *tiki.ValidationError naming the option and its
// parameter, leaves the Endpoint as it was, and the problems of several
// invalid options are listed together.
func TestOptionsRefuseInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opt  webhook.Option
		want []tiki.FieldProblem
	}{
		{webhook.WithMaxBodyBytes(0), []tiki.FieldProblem{{Field: "WithMaxBodyBytes(n)", Problem: "must be positive (got 0)"}}},
		{webhook.WithMaxBodyBytes(-1), []tiki.FieldProblem{{Field: "WithMaxBodyBytes(n)", Problem: "must be positive (got -1)"}}},
		{webhook.WithBodyTimeout(0), []tiki.FieldProblem{{Field: "WithBodyTimeout(d)", Problem: "must be positive (got 0s)"}}},
		{webhook.WithBodyTimeout(-time.Second), []tiki.FieldProblem{{Field: "WithBodyTimeout(d)", Problem: "must be positive (got -1s)"}}},
		{webhook.WithDedupeTTL(0, time.Hour), []tiki.FieldProblem{{Field: "WithDedupeTTL(lease)", Problem: "must be positive (got 0s)"}}},
		{webhook.WithDedupeTTL(time.Minute, -time.Hour), []tiki.FieldProblem{{Field: "WithDedupeTTL(retention)", Problem: "must be positive (got -1h0m0s)"}}},
		{webhook.WithDedupeTTL(-time.Minute, 0), []tiki.FieldProblem{
			{Field: "WithDedupeTTL(lease)", Problem: "must be positive (got -1m0s)"},
			{Field: "WithDedupeTTL(retention)", Problem: "must be positive (got 0s)"},
		}},
	}
	var all []webhook.Option
	var allProblems []tiki.FieldProblem
	for _, tt := range tests {
		e := webhook.Endpoint{MaxBodyBytes: 7, BodyTimeout: time.Second, Dedupe: dedupe.Runner{Lease: time.Second, Retention: time.Hour}}
		before := e
		webhooktest.RequireRefused(t, e.Configure(nil, tt.opt), tt.want)
		assert.Equal(t, before, e, "an invalid option changes nothing")
		all = append(all, tt.opt)
		allProblems = append(allProblems, tt.want...)
	}

	var e webhook.Endpoint
	err := e.Configure(nil, append(all, webhook.WithOnError(nil), webhook.WithDedupe(nil))...)
	webhooktest.RequireRefused(t, err, allProblems, "every problem, not just the first")

	// The valid values of every option.
	store := new(dedupe.MemoryStore)
	require.NoError(t, e.Configure(nil, webhook.WithMaxBodyBytes(1), webhook.WithBodyTimeout(time.Nanosecond),
		webhook.WithDedupe(store), webhook.WithDedupeTTL(time.Nanosecond, time.Nanosecond),
		webhook.WithOnError(func(*http.Request, error) {}), webhook.WithOnError(nil), webhook.WithDedupe(nil)))
}

func TestWithMaxBodyBytes(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	e.MaxBodyBytes = 0
	require.NoError(t, e.Configure(nil, webhook.WithMaxBodyBytes(6)))
	assert.Equal(t, int64(6), e.MaxBodyBytes)
	assert.Equal(t, http.StatusOK, e.post("hello!").Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, e.post("hello!!").Code)
	assert.ErrorIs(t, e.lastErr(), webhook.ErrBodyTooLarge)

}

func TestWithDedupe(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := new(dedupe.MemoryStore)
	require.NoError(t, e.Configure(nil, webhook.WithDedupe(store)))
	assert.Same(t, store, e.Dedupe.Store)
	e.post("hello")
	e.post("hello")
	assert.Equal(t, int32(1), e.runs.Load())
	assert.Equal(t, 1, store.Len(), "the store given is the one used")

	e = newTestEndpoint()
	require.NoError(t, e.Configure(nil, webhook.WithDedupe(nil)))
	e.post("hello")
	e.post("hello")
	assert.Equal(t, int32(2), e.runs.Load(), "nil disables deduplication")
}

func TestWithDedupeTTL(t *testing.T) {
	t.Parallel()
	e := newTestEndpoint()
	store := &webhooktest.StubStore{State: dedupe.Claimed}
	require.NoError(t, e.Configure(nil, webhook.WithDedupe(store), webhook.WithDedupeTTL(time.Minute, 2*time.Hour)))
	assert.Equal(t, http.StatusOK, e.post("hello").Code)
	assert.Equal(t, []time.Duration{time.Minute, 2 * time.Hour}, store.TTLs, "lease for the claim, retention once handled")

}

func TestWithOnError(t *testing.T) {
	t.Parallel()
	var e webhook.Endpoint
	e.Decode = func(*http.Request, []byte) (webhook.Delivery, error) {
		return webhook.Delivery{Handle: func(context.Context) error { return errors.New("boom") }}, nil
	}
	var got []error
	require.NoError(t, e.Configure(nil, webhook.WithOnError(func(_ *http.Request, err error) { got = append(got, err) })))
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	require.Len(t, got, 1)
	assert.ErrorIs(t, got[0], dedupe.ErrHandlerFailed)

	require.NoError(t, e.Configure(nil, webhook.WithOnError(nil)))
	assert.Nil(t, e.OnError, "nil: slog.Default() reports")
	w = httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(w.Body.String(), `{"success":false`))
}
