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
	store := &stubStore{state: webhook.Claimed}
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

	store = &stubStore{state: webhook.Claimed}
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

	t.Run("claim fails: not run, and the claim is released", func(t *testing.T) {
		t.Parallel()
		store := &stubStore{claimErr: storeDown}
		d := webhook.Deduper{Store: store}
		ran := false
		outcome, err := d.Do(ctx, "k", func(context.Context) error { ran = true; return nil })
		assert.Equal(t, webhook.Failed, outcome)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
		require.ErrorIs(t, err, storeDown)
		assert.False(t, ran)
		// The claim may have been made with its answer lost: it is released
		// with its own token.
		assert.Equal(t, []string{"claim k", "release k"}, store.calls)
		require.Len(t, store.tokens, 2)
		assert.Len(t, store.tokens[0], 32, "128 random bits in hex")
		assert.Equal(t, store.tokens[0], store.tokens[1])
	})
	t.Run("unexpected state: not run", func(t *testing.T) {
		t.Parallel()
		d := webhook.Deduper{Store: &stubStore{state: webhook.ClaimState(9)}}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { t.Error("ran"); return nil })
		assert.Equal(t, webhook.Failed, outcome)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
	})
	t.Run("complete fails: still handled", func(t *testing.T) {
		t.Parallel()
		d := webhook.Deduper{Store: &stubStore{state: webhook.Claimed, completeErr: storeDown}}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { return nil })
		assert.Equal(t, webhook.Handled, outcome)
		require.ErrorIs(t, err, webhook.ErrDedupeStore)
		require.ErrorIs(t, err, storeDown)
	})
	t.Run("handler and release fail: both reported", func(t *testing.T) {
		t.Parallel()
		store := &stubStore{state: webhook.Claimed, releaseErr: storeDown}
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

// TestDeduperAcknowledgesOnlyCompletedKeys checks that a key claimed by
// another run is not a duplicate: the delivery may still fail there.
func TestDeduperAcknowledgesOnlyCompletedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(context.Context) error { t.Error("the handler ran"); return nil }

	outcome, err := webhook.Deduper{Store: &stubStore{state: webhook.ClaimedByOther}}.Do(ctx, "k", run)
	assert.Equal(t, webhook.InProgress, outcome)
	assert.ErrorIs(t, err, webhook.ErrInProgress)

	outcome, err = webhook.Deduper{Store: &stubStore{state: webhook.Completed}}.Do(ctx, "k", run)
	assert.Equal(t, webhook.Duplicate, outcome)
	assert.NoError(t, err)
}

// TestDeduperTokens checks that each run claims with a token of its own and
// releases with it, so that a run never frees another's claim.
func TestDeduperTokens(t *testing.T) {
	t.Parallel()
	store := &stubStore{state: webhook.Claimed}
	d := webhook.Deduper{Store: store}
	for range 2 {
		_, _ = d.Do(context.Background(), "k", func(context.Context) error { return errors.New("boom") })
	}
	require.Len(t, store.tokens, 4)
	assert.Equal(t, store.tokens[0], store.tokens[1], "first run: claim and release")
	assert.Equal(t, store.tokens[2], store.tokens[3], "second run: claim and release")
	assert.NotEqual(t, store.tokens[0], store.tokens[2], "two runs, two tokens")
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
	assert.Equal(t, "in progress", webhook.InProgress.String())
	assert.Equal(t, "Outcome(0)", webhook.Outcome(0).String())

	assert.Equal(t, "claimed", webhook.Claimed.String())
	assert.Equal(t, "claimed by other", webhook.ClaimedByOther.String())
	assert.Equal(t, "completed", webhook.Completed.String())
	assert.Equal(t, "ClaimState(0)", webhook.ClaimState(0).String())
}

func TestDeduperNilContext(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	for _, d := range []webhook.Deduper{{}, {Store: webhook.NewMemoryDedupe()}} {
		outcome, err := d.Do(nilCtx, "k", func(context.Context) error { t.Error("ran"); return nil })
		assert.Equal(t, webhook.Failed, outcome)
		assert.Error(t, err)
	}
}
