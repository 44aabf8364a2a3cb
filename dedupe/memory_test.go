package dedupe_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

var _ dedupe.Store = (*dedupe.MemoryStore)(nil)

func TestMemoryStoreClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now))

	state, err := m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "a free key is claimed")

	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.ClaimedByOther, state, "a held key is not claimed by another run")

	state, err = m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "the same claim repeated is still the caller's")

	state, err = m.Claim(ctx, "b", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "keys are independent")
	assert.Equal(t, 2, m.Len())

	clock.Advance(time.Minute - time.Nanosecond)
	state, err = m.Claim(ctx, "a", "run-3", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.ClaimedByOther, state, "the claim holds until its ttl elapses")

	clock.Advance(time.Nanosecond)
	assert.Equal(t, 0, m.Len(), "expired keys are dropped")
	state, err = m.Claim(ctx, "a", "run-3", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "an expired claim frees the key")

	_, err = m.Claim(ctx, "c", "", time.Minute)
	assert.Error(t, err, "an empty token is refused")
}

func TestMemoryStoreComplete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now))

	state, err := m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state)
	require.NoError(t, m.Complete(ctx, "a", time.Hour))

	state, err = m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Completed, state, "a completed key is completed, even for its own token")

	clock.Advance(59 * time.Minute)
	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Completed, state, "Complete extends the hold past the claim's ttl")
	require.NoError(t, m.Release(ctx, "a", "run-1"))
	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Completed, state, "Release does not free a completed key")

	clock.Advance(time.Minute)
	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "the key is free once retention elapsed")

	// Completing a free key (its claim expired meanwhile) holds it.
	require.NoError(t, m.Complete(ctx, "never-claimed", time.Hour))
	state, err = m.Claim(ctx, "never-claimed", "run-1", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Completed, state)
}

func TestMemoryStoreRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := new(dedupe.MemoryStore)

	state, err := m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state)
	require.NoError(t, m.Release(ctx, "a", "run-2"), "another run's token")
	assert.Equal(t, 1, m.Len(), "a claim is released only with its token")
	require.NoError(t, m.Release(ctx, "a", "run-1"))
	assert.Equal(t, 0, m.Len())

	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "a released key can be claimed again")

	require.NoError(t, m.Release(ctx, "free", "run-1"), "releasing a free key is not an error")
}

func TestMemoryStoreRejectsBadTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := new(dedupe.MemoryStore)

	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := m.Claim(ctx, "a", "run-1", ttl)
		require.Error(t, err)
		require.Error(t, m.Complete(ctx, "a", ttl))
	}
	assert.Equal(t, 0, m.Len())
}

func TestMemoryStoreMaxKeysEvictsCompletedClosestToExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(4))

	for i, ttl := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		require.NoError(t, m.Complete(ctx, fmt.Sprint("k", i), ttl))
	}
	state, err := m.Claim(ctx, "running", "run-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state)

	state, err = m.Claim(ctx, "k3", "run-1", time.Hour)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state, "a full store still accepts a new key")
	assert.Equal(t, 4, m.Len())

	// k1 was the completed key closest to expiry, so it was evicted, not
	// the running claim that expires sooner; the others are still held.
	for key, want := range map[string]dedupe.ClaimState{"k0": dedupe.Completed, "k2": dedupe.Completed, "k3": dedupe.ClaimedByOther, "running": dedupe.ClaimedByOther} {
		state, err := m.Claim(ctx, key, "run-2", time.Hour)
		require.NoError(t, err)
		assert.Equal(t, want, state, key)
	}
	state, err = m.Claim(ctx, "k1", "run-2", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "k1")
}

// Completed keys of the same expiry are evicted in the order they were
// completed.
func TestMemoryStoreEvictsEqualExpiryInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(3))
	for _, key := range []string{"b", "a", "c"} {
		require.NoError(t, m.Complete(ctx, key, time.Hour))
	}
	require.NoError(t, m.Complete(ctx, "d", time.Hour))
	require.NoError(t, m.Complete(ctx, "e", time.Hour))
	for key, want := range map[string]dedupe.ClaimState{"c": dedupe.Completed, "d": dedupe.Completed, "e": dedupe.Completed} {
		state, err := m.Claim(ctx, key, "run-1", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, want, state, key)
	}
}

func TestMemoryStoreStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(1000))
	d := dedupe.Runner{Store: m, Lease: time.Minute, Retention: time.Hour}

	for i := range 10_000 {
		outcome, err := d.Do(ctx, fmt.Sprint(i), func(context.Context) error { return nil })
		require.NoError(t, err)
		require.Equal(t, dedupe.Handled, outcome)
		require.LessOrEqual(t, m.Len(), 1000)
		if i%100 == 0 {
			clock.Advance(10 * time.Second)
		}
	}
	clock.Advance(time.Hour)
	assert.Equal(t, 0, m.Len(), "every key expired")
}

// An invalid option makes NewMemoryStore return no store and one
// *tiki.ValidationError listing every problem; no option gives a store
// with the defaults, as the zero value is.
func TestNewMemoryStoreReportsInvalidOptions(t *testing.T) {
	t.Parallel()
	m, err := dedupe.NewMemoryStore(dedupe.WithClock(nil), dedupe.WithMaxKeys(0), nil, dedupe.WithMaxKeys(-5), dedupe.WithMaxKeys(2))
	assert.Nil(t, m)
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "WithClock(now)", Problem: "must not be nil"},
		{Field: "WithMaxKeys(n)", Problem: "must be positive (got 0)"},
		{Field: "opts[2]", Problem: "must not be nil"},
		{Field: "WithMaxKeys(n)", Problem: "must be positive (got -5)"},
	}, ve.Problems)

	ctx := context.Background()
	for _, m := range []*dedupe.MemoryStore{newMemoryStore(t), new(dedupe.MemoryStore)} {
		for i := range 10 {
			state, err := m.Claim(ctx, fmt.Sprint(i), "run-1", time.Minute)
			require.NoError(t, err)
			require.Equal(t, dedupe.Claimed, state)
		}
		assert.Equal(t, 10, m.Len())
		require.NoError(t, m.Release(ctx, "0", "run-1"))
		require.NoError(t, m.Complete(ctx, "0", time.Hour))
		assert.Equal(t, 10, m.Len())
	}
}

// A Claim with the token already holding the key renews the claim: it then
// lasts its ttl from now, as a Runner's renewals need while a long handler
// runs.
func TestMemoryStoreClaimWithItsOwnTokenRenews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now))

	state, err := m.Claim(ctx, "a", "run-1", time.Minute)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state)
	for range 5 {
		clock.Advance(50 * time.Second)
		state, err = m.Claim(ctx, "a", "run-1", time.Minute)
		require.NoError(t, err)
		require.Equal(t, dedupe.Claimed, state, "renewed before it expired")
	}
	clock.Advance(59 * time.Second) // 309 s after the first claim
	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.ClaimedByOther, state, "the renewed claim still holds the key")

	clock.Advance(time.Second)
	state, err = m.Claim(ctx, "a", "run-2", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "a minute after the last renewal, the claim expired")
}

func TestMemoryStoreConcurrentClaimsOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := new(dedupe.MemoryStore)

	const goroutines = 64
	var winners atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range goroutines {
		webhooktest.Spawn(&wg, func() {
			<-start
			state, err := m.Claim(ctx, "same", fmt.Sprint("run-", i), time.Minute)
			assert.NoError(t, err)
			if state == dedupe.Claimed {
				winners.Add(1)
			}
			_ = m.Len()
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), winners.Load())
}

// A store at its bound holding handled deliveries and one still running:
// the deliveries that arrive next evict handled keys, never the running
// claim, so that a copy of the running delivery is turned away (it may
// still fail) instead of running the handler a second time beside it.
func TestMemoryStoreFullNeverEvictsRunningClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const bound = 4
	d := dedupe.Runner{Store: newMemoryStore(t, dedupe.WithMaxKeys(bound))}
	handle := func(context.Context) error { return nil }
	for i := range bound - 1 {
		outcome, err := d.Do(ctx, fmt.Sprint("handled-", i), handle)
		require.NoError(t, err)
		require.Equal(t, dedupe.Handled, outcome)
	}

	var runs atomic.Int32
	running, finish := make(chan struct{}), make(chan struct{})
	first := make(chan dedupe.Outcome, 1)
	go func() {
		outcome, _ := d.Do(ctx, "running", func(context.Context) error {
			runs.Add(1)
			close(running)
			<-finish
			return nil
		})
		first <- outcome
	}()
	<-running

	for i := range 2 * bound {
		outcome, err := d.Do(ctx, fmt.Sprint("arriving-", i), handle)
		require.NoError(t, err, "a handled key makes room")
		require.Equal(t, dedupe.Handled, outcome)
	}
	outcome, err := d.Do(ctx, "running", func(context.Context) error { runs.Add(1); return nil })
	assert.Equal(t, dedupe.InProgress, outcome, "the running claim is still held")
	assert.ErrorIs(t, err, dedupe.ErrInProgress)
	close(finish)
	assert.Equal(t, dedupe.Handled, <-first)
	assert.Equal(t, int32(1), runs.Load(), "the handler of the running delivery ran once")

	outcome, err = d.Do(ctx, "running", handle)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Duplicate, outcome)
}

// A store full of running claims refuses a new claim with an error
// wrapping ErrFull (the receiver answers 503, the sender delivers again)
// rather than evicting one of them; once a claim is released or completed
// the new key is claimed.
func TestMemoryStoreFullOfRunningClaimsRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := webhooktest.NewClock()
	m := newMemoryStore(t, dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(2))
	for _, key := range []string{"a", "b"} {
		state, err := m.Claim(ctx, key, "run-"+key, time.Minute)
		require.NoError(t, err)
		require.Equal(t, dedupe.Claimed, state)
	}

	_, err := m.Claim(ctx, "c", "run-c", time.Hour)
	require.ErrorIs(t, err, dedupe.ErrFull)
	assert.Equal(t, 2, m.Len())
	for _, key := range []string{"a", "b"} {
		state, err := m.Claim(ctx, key, "run-x", time.Minute)
		require.NoError(t, err)
		assert.Equal(t, dedupe.ClaimedByOther, state, "%s is still claimed", key)
	}
	assert.ErrorIs(t, m.Complete(ctx, "c", time.Hour), dedupe.ErrFull, "no room to remember c either")

	state, err := m.Claim(ctx, "a", "run-a", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "a claim repeated with its token needs no room")

	require.NoError(t, m.Complete(ctx, "a", time.Hour))
	state, err = m.Claim(ctx, "c", "run-c", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "the completed key a made room")
	_, err = m.Claim(ctx, "a", "run-x", time.Minute)
	require.ErrorIs(t, err, dedupe.ErrFull, "a, completed, was evicted, and b and c are running")
	require.NoError(t, m.Release(ctx, "b", "run-b"))
	state, err = m.Claim(ctx, "d", "run-d", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "a released claim made room")

	clock.Advance(time.Minute)
	state, err = m.Claim(ctx, "e", "run-e", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "expired claims make room")
}
