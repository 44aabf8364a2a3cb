package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// memLease is a Lease and FencedCheckpoint in memory, for tests of the
// Consumer's side of the contract. It records what happens to it, in
// order, in events.
type memLease struct {
	mu     sync.Mutex
	fence  int64
	holder int64 // fence of the current hold, 0 when free
	lost   chan struct{}
	acks   map[string]string
	saves  []string
	events []string

	// loseAtAcquire makes every hold lost as soon as it is acquired, as a
	// lease that cannot be renewed in time is.
	loseAtAcquire bool
	// onAcquire, if set, is called with the fence of each hold acquired.
	onAcquire func(fence int64)
	// handlerRunning is set by tests while a handler runs: a Release
	// meanwhile is recorded as such.
	handlerRunning atomic.Bool
}

type memHold struct {
	l     *memLease
	fence int64
	lost  chan struct{}
}

func (l *memLease) Acquire(ctx context.Context, queue string) (LeaseHold, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder != 0 {
		return nil, errors.New("held")
	}
	l.fence++
	l.holder = l.fence
	l.lost = make(chan struct{})
	if l.loseAtAcquire {
		close(l.lost)
	}
	l.events = append(l.events, fmt.Sprintf("acquired %d", l.fence))
	if l.onAcquire != nil {
		l.onAcquire(l.fence)
	}
	return &memHold{l: l, fence: l.fence, lost: l.lost}, nil
}

// takeOver makes another replica the holder: the current hold is lost.
func (l *memLease) takeOver() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fence++
	l.holder = l.fence
	close(l.lost)
}

// record adds what happened to the record.
func (l *memLease) record(event string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, event)
}

// history returns the record.
func (l *memLease) history() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

func (h *memHold) Token() int64          { return h.fence }
func (h *memHold) Lost() <-chan struct{} { return h.lost }
func (h *memHold) Release(context.Context) error {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.l.holder == h.fence {
		h.l.holder = 0
	}
	h.l.events = append(h.l.events, fmt.Sprintf("released %d", h.fence))
	if h.l.handlerRunning.Load() {
		h.l.events = append(h.l.events, fmt.Sprintf("released %d while its handler ran", h.fence))
	}
	return nil
}

func (l *memLease) Load(_ context.Context, queue string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acks[queue], nil
}

func (l *memLease) Save(context.Context, string, string) error {
	return errors.New("unfenced save under a lease")
}

func (l *memLease) SaveFenced(_ context.Context, queue, ack string, fence int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if fence != l.holder {
		return fmt.Errorf("fence %d is not current: %w", fence, ErrLeaseLost)
	}
	if l.acks == nil {
		l.acks = map[string]string{}
	}
	l.acks[queue] = ack
	l.saves = append(l.saves, ack)
	return nil
}

func TestConsumerUnderLeaseNeverSavesAfterLosingIt(t *testing.T) {
	t.Parallel()
	q := newWireQueue(2)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l))
	ctx, cancel := context.WithCancel(context.Background())
	var handled []string
	r.c.OnOrderCreated(func(hctx context.Context, e *tiki.OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID == "ev-3" {
			l.takeOver() // another replica takes the lease during this batch
			<-hctx.Done()
			cancel()
		}
		return nil
	})
	require.NoError(t, r.run(ctx))
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-2", "ev-3"}, handled)
	assert.Equal(t, []string{"ack-1"}, l.saves, "the batch finished after the lease was lost is not saved")
	assert.Equal(t, []string{"", "ack-1"}, q.sentAcks(), "nor acknowledged")
}

func TestConsumerReacquiresTheLease(t *testing.T) {
	t.Parallel()
	q := newWireQueue(2)
	for i := range 4 {
		q.add(orderEvent(i))
	}
	l := &memLease{}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l))
	lostOnce := false
	r.c.OnOrderCreated(func(hctx context.Context, e *tiki.OrderCreatedEvent) error {
		if e.ID == "ev-2" && !lostOnce {
			lostOnce = true
			l.takeOver()
			l.mu.Lock()
			l.holder = 0 // the other replica died
			l.mu.Unlock()
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.True(t, q.drained())
	assert.GreaterOrEqual(t, l.fence, int64(3), "acquired again after losing it")
	assert.Equal(t, []string{"ack-1", "ack-3", "ack-4"}, l.saves[:3])
}

// Handlers read the fencing token of their lease from their context, and
// each BatchReport carries it; without a lease there is none.
func TestHandlersGetTheFencingToken(t *testing.T) {
	t.Parallel()
	q := newWireQueue(2)
	q.add(orderEvent(0), orderEvent(1), orderEvent(2))
	l := &memLease{fence: 41}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l))
	var fences []int64
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		fence, ok := Fence(ctx)
		assert.True(t, ok)
		fences = append(fences, fence)
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []int64{42, 42, 42}, fences)
	require.NotEmpty(t, r.reports)
	for _, rep := range r.reports {
		assert.EqualValues(t, 42, rep.Fence)
	}

	q2 := newWireQueue(2)
	q2.add(orderEvent(0))
	r2 := newRig(t, q2)
	r2.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		_, ok := Fence(ctx)
		assert.False(t, ok, "no lease, no token")
		return nil
	})
	require.NoError(t, r2.runUntilDrained())
	assert.Zero(t, r2.reports[0].Fence)
	var nilCtx context.Context
	_, ok := Fence(nilCtx)
	assert.False(t, ok)
}

// A handler that ignores its context keeps the lease: the consumer
// releases it only once the handler returned, whether the lease was lost or
// the consumer was stopped meanwhile, and saves nothing after a loss. The
// lease records a release made while the handler runs.
func TestLeaseIsReleasedOnlyOnceTheHandlerReturned(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"lease lost", "consumer stopped"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			q := newWireQueue(5)
			q.add(orderEvent(0), orderEvent(1))
			l := &memLease{}
			r := newRig(t, q, WithLease(l), WithCheckpoint(l))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.c.OnOrderCreated(func(hctx context.Context, e *tiki.OrderCreatedEvent) error {
				if e.ID != "ev-1" {
					return nil
				}
				l.handlerRunning.Store(true)
				defer l.handlerRunning.Store(false)
				if how == "lease lost" {
					l.takeOver()
				} else {
					cancel()
				}
				// The handler goes on after its context ended; the
				// consumer must not let the lease go meanwhile.
				<-hctx.Done()
				l.record("handler returned")
				if how == "lease lost" {
					cancel()
				}
				return nil
			})
			require.NoError(t, r.run(ctx))
			history := l.history()
			require.GreaterOrEqual(t, len(history), 3, history)
			assert.Equal(t, []string{"acquired 1", "handler returned", "released 1"}, history[:3])
			assert.NotContains(t, strings.Join(history, "\n"), "while its handler ran")
			if how == "lease lost" {
				assert.Empty(t, l.saves, "the batch is not saved after the lease was lost")
			} else {
				assert.Equal(t, []string{"ack-1"}, l.saves, "a batch handled completely is saved under the lease still held")
			}
		})
	}
}

// A handler that ends Run's goroutine (runtime.Goexit, as t.FailNow does in
// a seller's test) leaves nothing behind: the lease is released, the
// handler's time limit reports nothing afterwards, and the Consumer can run
// again.
func TestHandlerEndingRunsGoroutineReleasesEverything(t *testing.T) {
	t.Parallel()
	const limit = 5 * time.Millisecond
	q := newWireQueue(5)
	q.add(orderEvent(0))
	l := &memLease{}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l), WithHandlerTimeout(limit))
	var goexits atomic.Int32
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error {
		if goexits.Add(1) == 1 {
			runtime.Goexit()
		}
		return nil
	})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		_ = r.c.Run(context.Background())
		t.Error("Run returned: the handler did not end its goroutine")
	}()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("Run's goroutine did not end")
	}
	assert.Equal(t, []string{"acquired 1", "released 1"}, l.history(), "the lease is released")

	// Ten time limits later, the handler's timer has reported nothing: it
	// was stopped with the handler.
	time.Sleep(10 * limit)
	for _, err := range r.errors() {
		var te *HandlerTimeoutError
		assert.False(t, errors.As(err, &te), "reported after the handler ended: %v", err)
	}

	// The Consumer is not left running, and the event's claim was freed:
	// it runs again.
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, int32(2), goexits.Load())
	assert.True(t, q.drained())
}

// Each hold lost before it saved a batch counts as one more failure in a
// row: the next Acquire waits the failure backoff, growing as the losses
// follow each other, instead of taking the lease again at once. A session
// whose hold is lost pulls nothing.
func TestLostLeasesBackOff(t *testing.T) {
	t.Parallel()
	q := newWireQueue(5)
	q.add(orderEvent(0))
	l := &memLease{loseAtAcquire: true}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.onAcquire = func(fence int64) {
		if fence == 4 {
			cancel()
		}
	}
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error {
		t.Error("a handler ran under a lost lease")
		return nil
	})
	require.NoError(t, r.run(ctx))
	assert.Empty(t, q.sentAcks(), "nothing pulled under a lost lease")
	r.mu.Lock()
	waits := append([]time.Duration(nil), r.waits...)
	r.mu.Unlock()
	require.Len(t, waits, 3, "one backoff after each of the three first losses")
	for i, w := range waits {
		// WithBackoff(1s, 8s): the n-th wait is at least half of 1s*2^(n-1).
		assert.GreaterOrEqual(t, w, time.Second<<i/2, "wait %d", i)
	}
	assert.Equal(t, []string{"acquired 1", "released 1", "acquired 2", "released 2", "acquired 3", "released 3", "acquired 4", "released 4"}, l.history())
	assert.Contains(t, r.logs.String(), "consecutive_failures=3")
}

// The lease lost while a handler runs: no event after it is handed out,
// even before the session's context ends, and nothing is saved.
func TestNoEventIsHandedOutAfterTheLeaseWasLost(t *testing.T) {
	t.Parallel()
	q := newWireQueue(5)
	q.add(orderEvent(0), orderEvent(1), orderEvent(2))
	l := &memLease{}
	r := newRig(t, q, WithLease(l), WithCheckpoint(l))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var handled []string
	r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		handled = append(handled, e.ID)
		if e.ID == "ev-0" {
			l.takeOver() // and the handler returns at once
		}
		return nil
	})
	// The other replica holds the lease from now on: the next Acquire
	// fails, which ends the test.
	r.c.onError = func(context.Context, error) { cancel() }
	require.NoError(t, r.run(ctx))
	assert.Equal(t, []string{"ev-0"}, handled)
	assert.Empty(t, l.saves)
	assert.Equal(t, []string{""}, q.sentAcks(), "one pull, before the loss")
}
