package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	l.events = append(l.events, fmt.Sprintf("acquired %d", l.fence))
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
		require.True(t, ok)
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
// the consumer was stopped meanwhile, and saves nothing after a loss.
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
				if how == "lease lost" {
					l.takeOver()
				} else {
					cancel()
				}
				<-hctx.Done()
				// The handler goes on after its context ended; the
				// consumer must not let the lease go meanwhile.
				time.Sleep(20 * time.Millisecond)
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
			if how == "lease lost" {
				assert.Empty(t, l.saves, "the batch is not saved after the lease was lost")
			} else {
				assert.Equal(t, []string{"ack-1"}, l.saves, "a batch handled completely is saved under the lease still held")
			}
		})
	}
}
