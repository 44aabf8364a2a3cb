package keylock

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitUntil polls cond every millisecond until it holds or ctx ends.
func waitUntil(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Millisecond):
		}
	}
	return true
}

// Overlapping sets of keys are held one at a time, never deadlock, and
// leave nothing behind.
func TestLocksOverlappingKeys(t *testing.T) {
	t.Parallel()
	var l Locks
	ctx := context.Background()
	var mu sync.Mutex
	inside := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 50 {
		keys := [][]string{{"a", "b"}, {"b", "c"}, {"c", "a"}}[i%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := l.Lock(ctx, keys)
			require.NoError(t, err)
			mu.Lock()
			for _, k := range keys {
				assert.False(t, inside[k], "two holders of %s", k)
				inside[k] = true
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			for _, k := range keys {
				inside[k] = false
			}
			mu.Unlock()
			unlock()
			unlock()
		}()
	}
	wg.Wait()
	assert.Zero(t, l.Len())
}

// Key sets locked in opposite orders, with a key repeated, never deadlock.
func TestLocksNoDeadlock(t *testing.T) {
	t.Parallel()
	var l Locks
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := []string{"a", "b", "c"}
			if i%2 == 1 {
				keys = []string{"c", "b", "a", "a"}
			}
			for range 200 {
				u, err := l.Lock(ctx, keys)
				if !assert.NoError(t, err) {
					return
				}
				u()
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, l.Len())
}

// The waiters of a key get it in the order they started waiting.
func TestLocksServeInOrder(t *testing.T) {
	t.Parallel()
	var l Locks
	ctx := context.Background()
	unlock, err := l.Lock(ctx, []string{"k"})
	require.NoError(t, err)
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		// Each waiter queues only after the previous one is queued.
		require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == i+1 }))
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := l.Lock(ctx, []string{"k"})
			assert.NoError(t, err)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			u()
		}()
	}
	require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == 6 }))
	unlock()
	unlock() // a second call is harmless
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
	assert.Zero(t, l.Len())
}

// A caller whose context ends while it waits gives back the keys it took
// and holds nothing.
func TestLocksCancelledWaiterHoldsNothing(t *testing.T) {
	t.Parallel()
	var l Locks
	unlock, err := l.Lock(context.Background(), []string{"b"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Lock(ctx, []string{"c", "b", "a"})
		errc <- err
	}()
	require.True(t, waitUntil(context.Background(), func() bool { return l.Users("b") == 2 }))
	assert.Equal(t, 1, l.Users("a"), "keys are taken in sorted order: a is held while b is awaited")
	assert.Zero(t, l.Users("c"))
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Zero(t, l.Users("a"), "a was given back")
	again, err := l.Lock(context.Background(), []string{"a"})
	require.NoError(t, err, "a is free")
	again()
	unlock()
	assert.Zero(t, l.Len())
	// No keys: nothing to hold.
	u, err := l.Lock(context.Background(), nil)
	require.NoError(t, err)
	u()
	assert.Zero(t, l.Len())
}

// A holder that settles keeps its waiters in their order: they wake to
// check their deadlines (none here) and keep their places. Settle and
// Release may be called twice; Settle after Release does nothing.
func TestLocksSettlingHolderKeepsOrder(t *testing.T) {
	t.Parallel()
	var l Locks
	ctx := context.Background()
	h, err := l.Acquire(ctx, []string{"k"})
	require.NoError(t, err)
	assert.Equal(t, 1, h.Len())
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == i+1 }))
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := l.Lock(ctx, []string{"k"})
			assert.NoError(t, err)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			u()
		}()
	}
	require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == 6 }))
	h.Settle(time.Now().Add(time.Hour))
	h.Settle(time.Now().Add(time.Hour))
	h.Release()
	h.Release()
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
	assert.Zero(t, l.Len())

	// Settling a released hold changes nothing for the next holder.
	next, err := l.Acquire(ctx, []string{"k"})
	require.NoError(t, err)
	h.Settle(time.Now().Add(time.Hour))
	short, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		u, err := l.Lock(short, []string{"k"})
		if err == nil {
			u()
		}
		errc <- err
	}()
	require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == 2 }))
	next.Release()
	require.NoError(t, <-errc)
	assert.Zero(t, l.Len())
}

// A waiter whose context would end before a key's holder has settled gives
// up at once, with an error matching context.DeadlineExceeded that names
// the key, and holds nothing: when it comes during the settle period, and
// when it was already waiting as the holder began to settle. A waiter
// whose context lasts longer keeps waiting.
func TestLocksWaiterGivesUpBeforeASettlePeriodItCannotOutwait(t *testing.T) {
	t.Parallel()
	var l Locks
	ctx := context.Background()
	h, err := l.Acquire(ctx, []string{"a", "k"})
	require.NoError(t, err)

	patient := make(chan error, 1)
	go func() {
		u, err := l.Lock(ctx, []string{"k"})
		if err == nil {
			u()
		}
		patient <- err
	}()
	hurried, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	early := make(chan error, 1)
	go func() {
		waitUntil(ctx, func() bool { return l.Users("k") == 2 }) // queue behind the patient waiter
		_, err := l.Lock(hurried, []string{"j", "k"})
		early <- err
	}()
	require.True(t, waitUntil(ctx, func() bool { return l.Users("k") == 3 }))
	assert.Equal(t, 1, l.Users("j"), "j is held while k is awaited")

	started := time.Now()
	h.Settle(time.Now().Add(time.Hour))
	err = <-early
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "an earlier write to k settles for")
	assert.Less(t, time.Since(started), 30*time.Second, "gave up at once, not at its deadline")
	assert.Zero(t, l.Users("j"), "j was given back")

	_, err = l.Lock(hurried, []string{"k"})
	require.ErrorIs(t, err, context.DeadlineExceeded, "comes during the settle period")
	assert.Equal(t, 2, l.Users("k"), "only the holder and the patient waiter remain")

	h.Release()
	require.NoError(t, <-patient)
	assert.Zero(t, l.Len())
}
