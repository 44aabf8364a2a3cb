package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tikisdk/tiki/internal/safe"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// gauge counts the operations running and the most seen at once.
type gauge struct {
	running, most atomic.Int64
}

func (g *gauge) enter() {
	n := g.running.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			return
		}
	}
}

func (g *gauge) leave() { g.running.Add(-1) }

// An unordered group runs at most n operations at once and hands every
// result to finish, one call at a time.
func TestNewBoundsOperationsRunning(t *testing.T) {
	var g gauge
	var inFinish atomic.Int64
	got := make([]int, 50)
	grp := New(context.Background(), 4, func(key, v int, err error) {
		assert.Equal(t, int64(1), inFinish.Add(1), "finish calls come one at a time")
		defer inFinish.Add(-1)
		require.NoError(t, err)
		got[key] = v
	})
	for i := range got {
		require.NotNil(t, grp.Go(i, func(context.Context) (int, error) {
			g.enter()
			defer g.leave()
			time.Sleep(time.Millisecond)
			return i * i, nil
		}))
	}
	grp.Wait()
	for i, v := range got {
		assert.Equal(t, i*i, v)
	}
	assert.LessOrEqual(t, g.most.Load(), int64(4))
	assert.Equal(t, int64(4), g.most.Load(), "the slots were used")
}

// An ordered group delivers results in the order the operations started,
// whatever order they finish in, and counts an operation until it is
// taken: finished operations not yet taken hold their slots.
func TestOrderedDeliversInStartOrder(t *testing.T) {
	grp := Ordered[int](context.Background(), 3)
	defer grp.Stop()
	release := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	for i := range 3 {
		require.NotNil(t, grp.TryGo(i, func(context.Context) (int, error) {
			<-release[i]
			return i, nil
		}))
	}
	assert.Nil(t, grp.TryGo(3, func(context.Context) (int, error) { return 3, nil }), "three in flight: no slot")
	close(release[2])
	close(release[1])
	close(release[0])
	time.Sleep(5 * time.Millisecond)
	assert.Nil(t, grp.TryGo(3, func(context.Context) (int, error) { return 3, nil }), "finished but not taken: still no slot")
	for want := range 3 {
		op := grp.Next()
		require.NotNil(t, op)
		v, err := op.Result()
		require.NoError(t, err)
		assert.Equal(t, want, v)
		assert.Equal(t, want, op.Key())
		assert.Equal(t, 2-want, grp.Pending())
	}
	assert.Nil(t, grp.Next(), "nothing pending")
	assert.NotNil(t, grp.TryGo(3, func(context.Context) (int, error) { return 3, nil }), "taken: slots free")
}

// A panic in an operation is its error, a *safe.PanicError; the group and
// the other operations go on.
func TestPanicBecomesTheOperationsError(t *testing.T) {
	errs := make([]error, 3)
	grp := New(context.Background(), 2, func(key int, _ struct{}, err error) { errs[key] = err })
	for i := range 3 {
		grp.Go(i, func(context.Context) (struct{}, error) {
			if i == 1 {
				panic("boom")
			}
			return struct{}{}, nil
		})
	}
	grp.Wait()
	var pe *safe.PanicError
	require.ErrorAs(t, errs[1], &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.NoError(t, errs[0])
	assert.NoError(t, errs[2])
}

// Go starts an operation only after those named in after have finished.
func TestGoWaitsForAfter(t *testing.T) {
	var mu sync.Mutex
	var order []int
	record := func(key int) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			if key == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			order = append(order, key)
			mu.Unlock()
			return key, nil
		}
	}
	grp := New[int](context.Background(), 4, nil)
	first := grp.Go(0, record(0))
	grp.Go(1, record(1), first)
	grp.Wait()
	assert.Equal(t, []int{0, 1}, order)
}

// Once halted, or once ctx has ended, Go starts nothing more, also when it
// was waiting for a slot or for an earlier operation; operations already
// started run to their end (Halt) or see ctx end.
func TestGoStartsNothingOnceStopped(t *testing.T) {
	t.Run("halt", func(t *testing.T) {
		grp := New[int](context.Background(), 1, nil)
		block := make(chan struct{})
		first := grp.Go(0, func(context.Context) (int, error) { <-block; return 0, nil })
		require.NotNil(t, first)
		done := make(chan *Op[int])
		go func() { done <- grp.Go(1, func(context.Context) (int, error) { return 1, nil }) }()
		grp.Halt()
		assert.Nil(t, <-done, "halted while waiting for a slot")
		assert.Nil(t, grp.Go(2, func(context.Context) (int, error) { return 2, nil }, first))
		assert.Nil(t, grp.TryGo(3, func(context.Context) (int, error) { return 3, nil }))
		close(block)
		grp.Wait()
		v, err := first.Result()
		assert.NoError(t, err)
		assert.Zero(t, v, "the operation started ran to its end")
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		grp := New[int](ctx, 1, nil)
		running := make(chan struct{})
		first := grp.Go(0, func(ctx context.Context) (int, error) { close(running); <-ctx.Done(); return 0, ctx.Err() })
		<-running
		done := make(chan *Op[int])
		go func() { done <- grp.Go(1, func(context.Context) (int, error) { return 1, nil }, first) }()
		cancel()
		assert.Nil(t, <-done)
		assert.Nil(t, grp.Go(2, func(context.Context) (int, error) { return 2, nil }))
		grp.Wait()
		_, err := first.Result()
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// Stop ends the context of the operations in flight and returns once they
// have: no goroutine is left (TestMain checks).
func TestStopCancelsAndWaits(t *testing.T) {
	grp := Ordered[int](context.Background(), 8)
	var returned atomic.Int64
	for i := range 8 {
		grp.TryGo(i, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			returned.Add(1)
			return 0, errors.New("cancelled")
		})
	}
	grp.Stop()
	assert.Equal(t, int64(8), returned.Load())
}
