package webhook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/webhook"
)

func TestDeduperHandledThenDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.Deduper{Store: webhook.NewMemoryDedupe()}

	runs := 0
	fn := func(context.Context) error { runs++; return nil }

	outcome, err := d.Do(ctx, "k", fn)
	require.NoError(t, err)
	assert.Equal(t, webhook.Handled, outcome)

	outcome, err = d.Do(ctx, "k", fn)
	require.NoError(t, err)
	assert.Equal(t, webhook.Duplicate, outcome)
	assert.Equal(t, 1, runs)
}

func TestDeduperFailureReleases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.Deduper{Store: webhook.NewMemoryDedupe()}
	boom := errors.New("boom")

	outcome, err := d.Do(ctx, "k", func(context.Context) error { return boom })
	assert.Equal(t, webhook.Failed, outcome)
	require.ErrorIs(t, err, webhook.ErrHandlerFailed)
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, webhook.ErrDedupeStore)

	runs := 0
	outcome, err = d.Do(ctx, "k", func(context.Context) error { runs++; return nil })
	require.NoError(t, err)
	assert.Equal(t, webhook.Handled, outcome, "a redelivery after a failure is handled")
	assert.Equal(t, 1, runs)
}

func TestDeduperPanicReleasesAndPropagates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.Deduper{Store: webhook.NewMemoryDedupe()}

	assert.PanicsWithValue(t, "handler bug", func() {
		_, _ = d.Do(ctx, "k", func(context.Context) error { panic("handler bug") })
	})
	outcome, err := d.Do(ctx, "k", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, webhook.Handled, outcome, "the panicking run released the key")
}

func TestDeduperUsesLeaseAndRetention(t *testing.T) {
	t.Parallel()

	type ctxKey struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "request"))
	store := &stubStore{claimed: true}
	d := webhook.Deduper{Store: store, Lease: time.Minute, Retention: time.Hour}

	outcome, err := d.Do(ctx, "k", func(got context.Context) error {
		assert.Equal(t, "request", got.Value(ctxKey{}), "fn gets the caller's context")
		cancel() // the client went away while the handler ran
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, webhook.Handled, outcome)
	assert.Equal(t, []string{"claim k", "complete k"}, store.calls)
	assert.Equal(t, []time.Duration{time.Minute, time.Hour}, store.ttls[:2])
	require.NoError(t, store.ctxs[1].Err(), "Complete gets a context that the request's cancellation does not reach")
	assert.Equal(t, "request", store.ctxs[1].Value(ctxKey{}))

	store = &stubStore{claimed: true}
	d = webhook.Deduper{Store: store}
	_, err = d.Do(context.Background(), "k", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{webhook.DefaultLease, webhook.DefaultRetention}, store.ttls[:2], "zero durations mean the defaults")
}

func TestDeduperStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storeDown := errors.New("store down")
	boom := errors.New("boom")

	t.Run("claim fails: not run", func(t *testing.T) {
		t.Parallel()
		d := webhook.Deduper{Store: &stubStore{claimErr: storeDown}}
		ran := false
		outcome, err := d.Do(ctx, "k", func(context.Context) error { ran = true; return nil })
		assert.Equal(t, webhook.Failed, outcome)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
		require.ErrorIs(t, err, storeDown)
		assert.False(t, ran)
	})
	t.Run("complete fails: still handled", func(t *testing.T) {
		t.Parallel()
		d := webhook.Deduper{Store: &stubStore{claimed: true, completeErr: storeDown}}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { return nil })
		assert.Equal(t, webhook.Handled, outcome)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
		require.ErrorIs(t, err, storeDown)
	})
	t.Run("handler and release fail: both reported", func(t *testing.T) {
		t.Parallel()
		store := &stubStore{claimed: true, releaseErr: storeDown}
		d := webhook.Deduper{Store: store}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { return boom })
		assert.Equal(t, webhook.Failed, outcome)
		require.ErrorIs(t, err, webhook.ErrHandlerFailed)
		require.ErrorIs(t, err, boom)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
		require.ErrorIs(t, err, storeDown)
		assert.Equal(t, []string{"claim k", "release k"}, store.calls)
	})
}

func TestDeduperWithoutStoreRunsEveryTime(t *testing.T) {
	t.Parallel()
	var d webhook.Deduper
	runs := 0
	for range 3 {
		outcome, err := d.Do(context.Background(), "k", func(context.Context) error { runs++; return nil })
		require.NoError(t, err)
		assert.Equal(t, webhook.Handled, outcome)
	}
	assert.Equal(t, 3, runs)

	outcome, err := d.Do(context.Background(), "k", func(context.Context) error { return errors.New("boom") })
	assert.Equal(t, webhook.Failed, outcome)
	assert.ErrorIs(t, err, webhook.ErrHandlerFailed)
}

func TestOutcomeString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "handled", webhook.Handled.String())
	assert.Equal(t, "duplicate", webhook.Duplicate.String())
	assert.Equal(t, "failed", webhook.Failed.String())
	assert.Equal(t, "Outcome(0)", webhook.Outcome(0).String())
}
