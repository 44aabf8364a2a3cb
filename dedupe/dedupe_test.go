package dedupe_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
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
	d := dedupe.Runner{Store: new(dedupe.MemoryStore)}

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
	d := dedupe.Runner{Store: new(dedupe.MemoryStore)}
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
	d := dedupe.Runner{Store: new(dedupe.MemoryStore)}

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
	for _, d := range []dedupe.Runner{{}, {Store: new(dedupe.MemoryStore)}} {
		outcome, err := d.Do(nilCtx, "k", func(context.Context) error { t.Error("ran"); return nil })
		assert.Equal(t, dedupe.Failed, outcome)
		assert.Error(t, err)
	}
}

// newWatchedStore returns a store on clock that signals the renewals of
// claims.
func newWatchedStore(t *testing.T, clock *webhooktest.Clock) *webhooktest.WatchedStore {
	return webhooktest.NewWatchedStore(newMemoryStore(t, dedupe.WithClock(clock.Now)))
}

// A handler that runs far longer than the lease keeps its claim: the
// Runner renews it while the handler runs, so a copy of the delivery is
// turned away (InProgress) instead of running beside it. The store's clock
// moves only after each renewal, by less than the lease, so the test does
// not depend on how fast the machine is.
func TestDeduperRenewsTheClaimWhileTheHandlerRuns(t *testing.T) {
	t.Parallel()
	const lease = 30 * time.Millisecond
	clock := webhooktest.NewClock()
	store := newWatchedStore(t, clock)
	d := dedupe.Runner{Store: store, Lease: lease}
	ctx := context.Background()

	var copies []dedupe.Outcome
	outcome, err := d.Do(ctx, "k", func(context.Context) error {
		for range 12 {
			if !store.AwaitRenewal(t, "k") {
				return nil
			}
			clock.Advance(lease / 3)
		}
		// 120 ms of the store's time after the claim, four leases: a copy
		// arriving now finds the claim still held.
		outcome, err := d.Do(ctx, "k", func(context.Context) error { t.Error("a copy ran beside the first run"); return nil })
		assert.ErrorIs(t, err, dedupe.ErrInProgress)
		copies = append(copies, outcome)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome)
	assert.Equal(t, []dedupe.Outcome{dedupe.InProgress}, copies)

	calls := store.Calls()
	assert.Equal(t, "complete k", calls[len(calls)-1], "no renewal after the key was completed")
	state, err := store.Claim(ctx, "k", "later", lease)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Completed, state)
}

// The renewals stop when the handler returns, fails, panics or calls
// runtime.Goexit: none reaches the store after the key was completed or
// released (a renewal after a release would claim the key anew).
func TestDeduperRenewalsStopWithTheHandler(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"returns", "fails", "panics", "goexits"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			store := newWatchedStore(t, webhooktest.NewClock())
			d := dedupe.Runner{Store: store, Lease: 3 * time.Millisecond}
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer func() { _ = recover() }()
				_, _ = d.Do(context.Background(), "k", func(context.Context) error {
					store.AwaitRenewal(t, "k")
					switch end {
					case "fails":
						return errors.New("boom")
					case "panics":
						panic("boom")
					case "goexits":
						runtime.Goexit()
					}
					return nil
				})
			}()
			<-done
			after := store.Calls()
			want := "complete k"
			if end != "returns" {
				want = "release k"
			}
			assert.Equal(t, want, after[len(after)-1])
			time.Sleep(20 * time.Millisecond) // several renewal periods
			assert.Equal(t, after, store.Calls(), "no store call after the run ended")
			if end != "returns" {
				state, err := store.Claim(context.Background(), "k", "next", time.Minute)
				require.NoError(t, err)
				assert.Equal(t, dedupe.Claimed, state, "the key is free for the redelivery")
			}
		})
	}
}

// A renewal that fails is tried again at the next one; one that finds the
// key no longer claimed by the run stops the renewals. A store that panics
// while renewing fails that renewal, not the process.
func TestDeduperRenewalFailures(t *testing.T) {
	t.Parallel()
	var claims atomic.Int32
	store := &funcStore{claim: func(n int32) (dedupe.ClaimState, error) {
		switch {
		case n == 1:
			return dedupe.Claimed, nil // the run's claim
		case n == 2:
			return 0, errors.New("store down")
		case n == 3:
			panic("store bug")
		case n == 4:
			return dedupe.Claimed, nil
		default:
			return dedupe.ClaimedByOther, nil // taken over: the renewals stop
		}
	}, calls: &claims}
	d := dedupe.Runner{Store: store, Lease: 3 * time.Millisecond}
	outcome, err := d.Do(context.Background(), "k", func(context.Context) error {
		for deadline := time.Now().Add(10 * time.Second); claims.Load() < 5; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Error("the claim was not renewed four times")
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond) // several renewal periods
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, dedupe.Handled, outcome)
	assert.Equal(t, int32(5), claims.Load(), "no renewal after the claim was found taken over")
}

// funcStore answers Claim with claim, given the number of the call.
type funcStore struct {
	claim func(n int32) (dedupe.ClaimState, error)
	calls *atomic.Int32
}

func (s *funcStore) Claim(context.Context, string, string, time.Duration) (dedupe.ClaimState, error) {
	return s.claim(s.calls.Add(1))
}
func (s *funcStore) Complete(context.Context, string, time.Duration) error { return nil }
func (s *funcStore) Release(context.Context, string, string) error         { return nil }
