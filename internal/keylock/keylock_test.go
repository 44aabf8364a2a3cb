package keylock

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Overlapping sets of keys are held one at a time, never deadlock, and
// leave nothing behind.
func TestLocksOverlappingKeys(t *testing.T) {
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

// A caller whose context ends while it waits holds nothing.
func TestLockGivesUpWithItsContext(t *testing.T) {
	var l Locks
	unlock, err := l.Lock(context.Background(), []string{"b"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = l.Lock(ctx, []string{"a", "b"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	again, err := l.Lock(context.Background(), []string{"a"})
	require.NoError(t, err, "a was released")
	again()
	unlock()
	assert.Zero(t, l.Len())
}
