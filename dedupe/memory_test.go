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

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/webhooktest"
)

var _ dedupe.Store = (*dedupe.MemoryStore)(nil)

func TestMemoryStoreClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := dedupe.NewMemoryStore(dedupe.WithClock(clock.Now))

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
	clock := newFakeClock()
	m := dedupe.NewMemoryStore(dedupe.WithClock(clock.Now))

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
	m := dedupe.NewMemoryStore()

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
	m := dedupe.NewMemoryStore()

	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := m.Claim(ctx, "a", "run-1", ttl)
		require.Error(t, err)
		require.Error(t, m.Complete(ctx, "a", ttl))
	}
	assert.Equal(t, 0, m.Len())
}

func TestMemoryStoreMaxKeysEvictsClosestToExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := dedupe.NewMemoryStore(dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(3))

	for i, ttl := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		state, err := m.Claim(ctx, fmt.Sprint("k", i), "run-1", ttl)
		require.NoError(t, err)
		require.Equal(t, dedupe.Claimed, state)
	}
	state, err := m.Claim(ctx, "k3", "run-1", time.Hour)
	require.NoError(t, err)
	require.Equal(t, dedupe.Claimed, state, "a full store still accepts a new key")
	assert.Equal(t, 3, m.Len())

	// k1 was closest to expiry, so it was evicted; the others are still held.
	for _, key := range []string{"k0", "k2", "k3"} {
		state, err := m.Claim(ctx, key, "run-2", time.Hour)
		require.NoError(t, err)
		assert.Equal(t, dedupe.ClaimedByOther, state, key)
	}
	state, err = m.Claim(ctx, "k1", "run-2", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, dedupe.Claimed, state, "k1")
}

func TestMemoryStoreStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := dedupe.NewMemoryStore(dedupe.WithClock(clock.Now), dedupe.WithMaxKeys(1000))

	for i := range 10_000 {
		_, err := m.Claim(ctx, fmt.Sprint(i), "run-1", time.Minute)
		require.NoError(t, err)
		require.LessOrEqual(t, m.Len(), 1000)
		if i%100 == 0 {
			clock.Advance(10 * time.Second)
		}
	}
	clock.Advance(time.Minute)
	assert.Equal(t, 0, m.Len(), "every key expired")
}

func TestMemoryStoreOptionsIgnoreInvalidValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := dedupe.NewMemoryStore(dedupe.WithClock(nil), dedupe.WithMaxKeys(0), dedupe.WithMaxKeys(-5))

	for i := range 10 {
		state, err := m.Claim(ctx, fmt.Sprint(i), "run-1", time.Minute)
		require.NoError(t, err)
		require.Equal(t, dedupe.Claimed, state)
	}
	assert.Equal(t, 10, m.Len())
}

func TestMemoryStoreConcurrentClaimsOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := dedupe.NewMemoryStore()

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
