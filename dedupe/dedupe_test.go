package dedupe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

func TestDeduperHandledThenDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dedupe.Runner{Store: dedupe.NewMemoryStore()}

	runs := 0
	fn := func(context.Context) error { runs++; return nil }

	outcome, err := d.Do(ctx, "k", fn)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome)

	outcome, err = d.Do(ctx, "k", fn)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Duplicate, outcome)
	assert.Equal(t, 1, runs)
}

func TestDeduperFailureReleases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dedupe.Runner{Store: dedupe.NewMemoryStore()}
	boom := errors.New("boom")

	outcome, err := d.Do(ctx, "k", func(context.Context) error { return boom })
	assert.Equal(t, dedupe.Failed, outcome)
	require.ErrorIs(t, err, dedupe.ErrHandlerFailed)
	require.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, dedupe.ErrStore)

	runs := 0
	outcome, err = d.Do(ctx, "k", func(context.Context) error { runs++; return nil })
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome, "a redelivery after a failure is handled")
	assert.Equal(t, 1, runs)
}

func TestDeduperPanicReleasesAndPropagates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dedupe.Runner{Store: dedupe.NewMemoryStore()}

	assert.PanicsWithValue(t, "handler bug", func() {
		_, _ = d.Do(ctx, "k", func(context.Context) error { panic("handler bug") })
	})
	outcome, err := d.Do(ctx, "k", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome, "the panicking run released the key")
}

func TestDeduperUsesLeaseAndRetention(t *testing.T) {
	t.Parallel()

	type ctxKey struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "request"))
	store := &webhooktest.StubStore{State: dedupe.Claimed}
	d := dedupe.Runner{Store: store, Lease: time.Minute, Retention: time.Hour}

	outcome, err := d.Do(ctx, "k", func(got context.Context) error {
		assert.Equal(t, "request", got.Value(ctxKey{}), "fn gets the caller's context")
		cancel() // the client went away while the handler ran
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome)
	assert.Equal(t, []string{"claim k", "complete k"}, store.Calls)
	assert.Equal(t, []time.Duration{time.Minute, time.Hour}, store.TTLs[:2])
	require.NoError(t, store.Ctxs[1].Err(), "Complete gets a context that the request's cancellation does not reach")
	assert.Equal(t, "request", store.Ctxs[1].Value(ctxKey{}))

	store = &webhooktest.StubStore{State: dedupe.Claimed}
	d = dedupe.Runner{Store: store}
	_, err = d.Do(context.Background(), "k", func(context.Context) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{dedupe.DefaultLease, dedupe.DefaultRetention}, store.TTLs[:2], "zero durations mean the defaults")
}

func TestDeduperStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	storeDown := errors.New("store down")
	boom := errors.New("boom")

	t.Run("claim fails: not run, and the claim is released", func(t *testing.T) {
		t.Parallel()
		store := &webhooktest.StubStore{ClaimErr: storeDown}
		d := dedupe.Runner{Store: store}
		ran := false
		outcome, err := d.Do(ctx, "k", func(context.Context) error { ran = true; return nil })
		assert.Equal(t, dedupe.Failed, outcome)
		require.ErrorIs(t, err, dedupe.ErrStore)
		require.ErrorIs(t, err, storeDown)
		assert.False(t, ran)
		// The claim may have been made with its answer lost: it is released
		// with its own token.
		assert.Equal(t, []string{"claim k", "release k"}, store.Calls)
		require.Len(t, store.Tokens, 2)
		assert.Len(t, store.Tokens[0], 32, "128 random bits in hex")
		assert.Equal(t, store.Tokens[0], store.Tokens[1])
	})
	t.Run("unexpected state: not run", func(t *testing.T) {
		t.Parallel()
		d := dedupe.Runner{Store: &webhooktest.StubStore{State: dedupe.ClaimState(9)}}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { t.Error("ran"); return nil })
		assert.Equal(t, dedupe.Failed, outcome)
		require.ErrorIs(t, err, dedupe.ErrStore)
	})
	t.Run("complete fails: still handled", func(t *testing.T) {
		t.Parallel()
		d := dedupe.Runner{Store: &webhooktest.StubStore{State: dedupe.Claimed, CompleteErr: storeDown}}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { return nil })
		assert.Equal(t, dedupe.Handled, outcome)
		require.ErrorIs(t, err, dedupe.ErrStore)
		require.ErrorIs(t, err, storeDown)
	})
	t.Run("handler and release fail: both reported", func(t *testing.T) {
		t.Parallel()
		store := &webhooktest.StubStore{State: dedupe.Claimed, ReleaseErr: storeDown}
		d := dedupe.Runner{Store: store}
		outcome, err := d.Do(ctx, "k", func(context.Context) error { return boom })
		assert.Equal(t, dedupe.Failed, outcome)
		require.ErrorIs(t, err, dedupe.ErrHandlerFailed)
		require.ErrorIs(t, err, boom)
		require.ErrorIs(t, err, dedupe.ErrStore)
		require.ErrorIs(t, err, storeDown)
		assert.Equal(t, []string{"claim k", "release k"}, store.Calls)
	})
}

// TestDeduperAcknowledgesOnlyCompletedKeys checks that a key claimed by
// another run is not a duplicate: the delivery may still fail there.
func TestDeduperAcknowledgesOnlyCompletedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(context.Context) error { t.Error("the handler ran"); return nil }

	outcome, err := dedupe.Runner{Store: &webhooktest.StubStore{State: dedupe.ClaimedByOther}}.Do(ctx, "k", run)
	assert.Equal(t, dedupe.InProgress, outcome)
	assert.ErrorIs(t, err, dedupe.ErrInProgress)

	outcome, err = dedupe.Runner{Store: &webhooktest.StubStore{State: dedupe.Completed}}.Do(ctx, "k", run)
	assert.Equal(t, dedupe.Duplicate, outcome)
	assert.NoError(t, err)
}

// TestDeduperTokens checks that each run claims with a token of its own and
// releases with it, so that a run never frees another's claim.
func TestDeduperTokens(t *testing.T) {
	t.Parallel()
	store := &webhooktest.StubStore{State: dedupe.Claimed}
	d := dedupe.Runner{Store: store}
	for range 2 {
		_, _ = d.Do(context.Background(), "k", func(context.Context) error { return errors.New("boom") })
	}
	require.Len(t, store.Tokens, 4)
	assert.Equal(t, store.Tokens[0], store.Tokens[1], "first run: claim and release")
	assert.Equal(t, store.Tokens[2], store.Tokens[3], "second run: claim and release")
	assert.NotEqual(t, store.Tokens[0], store.Tokens[2], "two runs, two tokens")
}

func TestDeduperWithoutStoreRunsEveryTime(t *testing.T) {
	t.Parallel()
	var d dedupe.Runner
	runs := 0
	for range 3 {
		outcome, err := d.Do(context.Background(), "k", func(context.Context) error { runs++; return nil })
		require.NoError(t, err)
		assert.Equal(t, dedupe.Handled, outcome)
	}
	assert.Equal(t, 3, runs)

	outcome, err := d.Do(context.Background(), "k", func(context.Context) error { return errors.New("boom") })
	assert.Equal(t, dedupe.Failed, outcome)
	assert.ErrorIs(t, err, dedupe.ErrHandlerFailed)
}

func TestOutcomeString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "handled", dedupe.Handled.String())
	assert.Equal(t, "duplicate", dedupe.Duplicate.String())
	assert.Equal(t, "failed", dedupe.Failed.String())
	assert.Equal(t, "in progress", dedupe.InProgress.String())
	assert.Equal(t, "Outcome(0)", dedupe.Outcome(0).String())

	assert.Equal(t, "claimed", dedupe.Claimed.String())
	assert.Equal(t, "claimed by other", dedupe.ClaimedByOther.String())
	assert.Equal(t, "completed", dedupe.Completed.String())
	assert.Equal(t, "ClaimState(0)", dedupe.ClaimState(0).String())
}

func TestDeduperNilContext(t *testing.T) {
	t.Parallel()
	var nilCtx context.Context
	for _, d := range []dedupe.Runner{{}, {Store: dedupe.NewMemoryStore()}} {
		outcome, err := d.Do(nilCtx, "k", func(context.Context) error { t.Error("ran"); return nil })
		assert.Equal(t, dedupe.Failed, outcome)
		assert.Error(t, err)
	}
}
