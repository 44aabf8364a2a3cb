package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

var _ webhook.DedupeStore = (*webhook.MemoryDedupe)(nil)

func TestMemoryDedupeClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := webhook.NewMemoryDedupe(webhook.WithClock(clock.Now))

	claimed, err := m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "a free key is claimed")

	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed, "a held key is not claimed twice")

	claimed, err = m.Claim(ctx, "b", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "keys are independent")
	assert.Equal(t, 2, m.Len())

	clock.Advance(time.Minute - time.Nanosecond)
	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed, "the claim holds until its ttl elapses")

	clock.Advance(time.Nanosecond)
	assert.Equal(t, 0, m.Len(), "expired keys are dropped")
	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "an expired claim frees the key")
}

func TestMemoryDedupeComplete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := webhook.NewMemoryDedupe(webhook.WithClock(clock.Now))

	claimed, err := m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	require.True(t, claimed)
	require.NoError(t, m.Complete(ctx, "a", time.Hour))

	clock.Advance(59 * time.Minute)
	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed, "Complete extends the hold past the claim's ttl")

	clock.Advance(time.Minute)
	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "the key is free once retention elapsed")

	// Completing a free key (its claim expired meanwhile) holds it.
	require.NoError(t, m.Complete(ctx, "never-claimed", time.Hour))
	claimed, err = m.Claim(ctx, "never-claimed", time.Minute)
	require.NoError(t, err)
	assert.False(t, claimed)
}

func TestMemoryDedupeRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := webhook.NewMemoryDedupe()

	claimed, err := m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	require.True(t, claimed)
	require.NoError(t, m.Release(ctx, "a"))
	assert.Equal(t, 0, m.Len())

	claimed, err = m.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, claimed, "a released key can be claimed again")

	require.NoError(t, m.Release(ctx, "free"), "releasing a free key is not an error")
}

func TestMemoryDedupeRejectsBadTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := webhook.NewMemoryDedupe()

	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := m.Claim(ctx, "a", ttl)
		require.Error(t, err)
		require.Error(t, m.Complete(ctx, "a", ttl))
	}
	assert.Equal(t, 0, m.Len())
}

func TestMemoryDedupeMaxKeysEvictsClosestToExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := webhook.NewMemoryDedupe(webhook.WithClock(clock.Now), webhook.WithMaxKeys(3))

	for i, ttl := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		claimed, err := m.Claim(ctx, fmt.Sprint("k", i), ttl)
		require.NoError(t, err)
		require.True(t, claimed)
	}
	claimed, err := m.Claim(ctx, "k3", time.Hour)
	require.NoError(t, err)
	require.True(t, claimed, "a full store still accepts a new key")
	assert.Equal(t, 3, m.Len())

	// k1 was closest to expiry, so it was evicted; the others are still held.
	for _, key := range []string{"k0", "k2", "k3"} {
		claimed, err := m.Claim(ctx, key, time.Hour)
		require.NoError(t, err)
		assert.False(t, claimed, key)
	}
	claimed, err = m.Claim(ctx, "k1", time.Hour)
	require.NoError(t, err)
	assert.True(t, claimed, "k1")
}

func TestMemoryDedupeStaysBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock()
	m := webhook.NewMemoryDedupe(webhook.WithClock(clock.Now), webhook.WithMaxKeys(1000))

	for i := range 10_000 {
		_, err := m.Claim(ctx, fmt.Sprint(i), time.Minute)
		require.NoError(t, err)
		require.LessOrEqual(t, m.Len(), 1000)
		if i%100 == 0 {
			clock.Advance(10 * time.Second)
		}
	}
	clock.Advance(time.Minute)
	assert.Equal(t, 0, m.Len(), "every key expired")
}

func TestMemoryDedupeOptionsIgnoreInvalidValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := webhook.NewMemoryDedupe(webhook.WithClock(nil), webhook.WithMaxKeys(0), webhook.WithMaxKeys(-5))

	for i := range 10 {
		claimed, err := m.Claim(ctx, fmt.Sprint(i), time.Minute)
		require.NoError(t, err)
		require.True(t, claimed)
	}
	assert.Equal(t, 10, m.Len())
}

func TestMemoryDedupeConcurrentClaimsOneWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := webhook.NewMemoryDedupe()

	const goroutines = 64
	var winners atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		webhooktest.Spawn(&wg, func() {
			<-start
			claimed, err := m.Claim(ctx, "same", time.Minute)
			assert.NoError(t, err)
			if claimed {
				winners.Add(1)
			}
			_ = m.Len()
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), winners.Load())
}
