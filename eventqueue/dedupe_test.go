package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// recordingStore is a dedupe.Store that records every call and can be told
// to fail claims.
type recordingStore struct {
	dedupe.Store
	mu        sync.Mutex
	calls     []string
	failClaim bool
}

func (s *recordingStore) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
}

func (s *recordingStore) Claim(ctx context.Context, key, token string, ttl time.Duration) (dedupe.ClaimState, error) {
	s.record("claim %s %v", key, ttl)
	if s.failClaim {
		return 0, errors.New("store down")
	}
	return s.Store.Claim(ctx, key, token, ttl)
}

func (s *recordingStore) Complete(ctx context.Context, key string, ttl time.Duration) error {
	s.record("complete %s %v", key, ttl)
	return s.Store.Complete(ctx, key, ttl)
}

func (s *recordingStore) Release(ctx context.Context, key, token string) error {
	s.record("release %s", key)
	return s.Store.Release(ctx, key, token)
}

func (s *recordingStore) history() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// An event claimed by another run (another replica, or one whose handler
// outlived its lease) is neither handed out nor acknowledged: the batch
// stops there and is pulled again after a backoff, until that run
// completed the event (then it is a duplicate) or released it (then it is
// handed out here).
func TestEventClaimedByAnotherRunStopsTheBatch(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"completed", "released"} {
		t.Run(outcome, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := new(dedupe.MemoryStore)
			key := "eventqueue:" + testQueue + ":ev-1"
			state, err := store.Claim(ctx, key, "the other replica's run", time.Hour)
			require.NoError(t, err)
			require.Equal(t, dedupe.Claimed, state)

			q := newWireQueue(10)
			q.add(orderEvent(0), orderEvent(1), orderEvent(2))
			r := newRig(t, q, WithDedupe(store))
			var handled []string
			r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
				handled = append(handled, e.ID)
				return nil
			})
			var errs []error
			r.c.onError = func(_ context.Context, err error) {
				if errs = append(errs, err); len(errs) == 2 {
					// The other run ends after two of our attempts.
					if outcome == "completed" {
						assert.NoError(t, store.Complete(ctx, key, time.Hour))
					} else {
						assert.NoError(t, store.Release(ctx, key, "the other replica's run"))
					}
				}
			}
			require.NoError(t, r.runUntilDrained())

			require.Len(t, errs, 2)
			for _, err := range errs {
				var he *HandlerError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, "ev-1", he.Event.ID)
				assert.ErrorIs(t, err, dedupe.ErrInProgress)
			}
			assert.Equal(t, []string{"", "", "", "ack-3"}, q.sentAcks()[:4], "nothing acknowledged while the other run holds the event")
			assert.GreaterOrEqual(t, r.waits[0], time.Second/2, "a backoff follows")
			if outcome == "completed" {
				assert.Equal(t, []string{"ev-0", "ev-2"}, handled)
				assert.Equal(t, []string{"ev-0", "ev-0", "ev-1"}, r.dups)
			} else {
				assert.Equal(t, []string{"ev-0", "ev-1", "ev-2"}, handled)
				assert.Equal(t, []string{"ev-0", "ev-0"}, r.dups)
			}
		})
	}
}

// The consumer follows the claim, complete and release contract: a claim
// for twice the handler time limit, completion for Tiki's seven days after
// a handler succeeded, release after it failed.
func TestConsumerClaimsCompletesAndReleases(t *testing.T) {
	t.Parallel()
	store := &recordingStore{Store: new(dedupe.MemoryStore)}
	q := newWireQueue(10)
	q.add(orderEvent(0), orderEvent(1))
	r := newRig(t, q, WithDedupe(store), WithHandlerTimeout(time.Minute))
	failed := false
	r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		if e.ID == "ev-1" && !failed {
			failed = true
			return errors.New("database down")
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{
		"claim eventqueue:q1:ev-0 2m0s", "complete eventqueue:q1:ev-0 168h0m0s",
		"claim eventqueue:q1:ev-1 2m0s", "release eventqueue:q1:ev-1",
		"claim eventqueue:q1:ev-0 2m0s", // a duplicate now
		"claim eventqueue:q1:ev-1 2m0s", "complete eventqueue:q1:ev-1 168h0m0s",
	}, store.history())
	assert.Equal(t, []string{"ev-0"}, r.dups)
}

// A store that cannot claim stops the batch before the handler runs: the
// event is handed out only once a claim succeeds.
func TestDedupeStoreFailureStopsTheBatch(t *testing.T) {
	t.Parallel()
	store := &recordingStore{Store: new(dedupe.MemoryStore), failClaim: true}
	q := newWireQueue(10)
	q.add(orderEvent(0))
	r := newRig(t, q, WithDedupe(store))
	runs := 0
	r.c.OnOrderCreated(func(context.Context, *tiki.OrderCreatedEvent) error { runs++; return nil })
	r.c.onError = func(_ context.Context, err error) {
		assert.ErrorIs(t, err, dedupe.ErrStore)
		var he *HandlerError
		assert.ErrorAs(t, err, &he)
		assert.Zero(t, runs, "the handler did not run")
		store.mu.Lock()
		store.failClaim = false
		store.mu.Unlock()
	}
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, 1, runs)
	assert.Len(t, r.waits, 2, "one backoff, one idle wait")
}

// Without a dedupe, every redelivered event is handed out again.
func TestWithoutDedupeRedeliveriesRunAgain(t *testing.T) {
	t.Parallel()
	q := newWireQueue(10)
	q.add(orderEvent(0), orderEvent(1))
	r := newRig(t, q, WithDedupe(nil))
	var calls []string
	r.c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		calls = append(calls, e.ID)
		if len(calls) == 2 {
			return errors.New("once")
		}
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Equal(t, []string{"ev-0", "ev-1", "ev-0", "ev-1"}, calls)
	assert.Empty(t, r.dups)
}

// Two replicas sharing a dedupe store, the first running a handler that
// ignores its context far past its time limit: the claim on the event is
// renewed while that handler runs, so the second replica, which pulls the
// same event (the first lost its lease, say), is turned away
// (dedupe.ErrInProgress) instead of running it at the same time. The
// store's clock moves only after each renewal, by less than the claim, so
// the test does not depend on the machine's speed.
func TestHandlerPastItsClaimNeverRunsBesideACopy(t *testing.T) {
	t.Parallel()
	const limit = 10 * time.Millisecond // claims last 2*limit
	clock := webhooktest.NewClock()
	memory, err := dedupe.NewMemoryStore(dedupe.WithClock(clock.Now))
	require.NoError(t, err)
	store := webhooktest.NewWatchedStore(memory)
	key := "eventqueue:" + testQueue + ":ev-0"

	var running, overlap atomic.Int32
	// handler returns once release is closed; nil: at once.
	handler := func(release <-chan struct{}) func(context.Context, *tiki.OrderCreatedEvent) error {
		return func(context.Context, *tiki.OrderCreatedEvent) error {
			if running.Add(1) > 1 {
				overlap.Add(1)
			}
			defer running.Add(-1)
			if release != nil {
				<-release
			}
			return nil
		}
	}

	// The first replica: its handler runs until the test releases it.
	q1 := newWireQueue(10)
	q1.add(orderEvent(0))
	first := newRig(t, q1, WithDedupe(store), WithHandlerTimeout(limit))
	releaseFirst := make(chan struct{})
	first.c.OnOrderCreated(handler(releaseFirst))
	firstDone := make(chan error, 1)
	go func() { firstDone <- first.runUntilDrained() }()

	// Twelve renewals; after each the store's clock moves a third of a
	// claim: 80 ms of the store's time, four claims.
	for range 12 {
		if !store.AwaitRenewal(t, key) {
			close(releaseFirst)
			t.FailNow()
		}
		clock.Advance(2 * limit / 3)
	}

	// The second replica pulls the same event meanwhile.
	q2 := newWireQueue(10)
	q2.add(orderEvent(0))
	second := newRig(t, q2, WithDedupe(store), WithHandlerTimeout(limit))
	second.c.OnOrderCreated(handler(nil))
	ctx, cancel := context.WithCancel(context.Background())
	var turnedAway []error
	second.c.onError = func(_ context.Context, err error) {
		turnedAway = append(turnedAway, err)
		cancel()
	}
	second.mu.Lock()
	second.onIdle = cancel // the copy ran: the test fails below
	second.mu.Unlock()
	require.NoError(t, second.run(ctx))
	if assert.Len(t, turnedAway, 1) {
		assert.ErrorIs(t, turnedAway[0], dedupe.ErrInProgress)
	}
	assert.Zero(t, q2.ackedCount(), "the copy is not acknowledged")

	close(releaseFirst)
	require.NoError(t, <-firstDone)
	assert.Zero(t, overlap.Load(), "the event never ran twice at once")
	assert.True(t, q1.drained())
}

// A time limit too long to be doubled (math.MaxInt64) claims events for the
// longest Duration and reports no handler at once: the arithmetic
// saturates instead of overflowing into negative durations.
func TestLongestHandlerTimeoutSaturates(t *testing.T) {
	t.Parallel()
	store := &recordingStore{Store: new(dedupe.MemoryStore)}
	q := newWireQueue(10)
	q.add(orderEvent(0))
	r := newRig(t, q, WithDedupe(store), WithHandlerTimeout(math.MaxInt64))
	r.c.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		deadline, ok := ctx.Deadline()
		assert.True(t, ok)
		assert.Greater(t, time.Until(deadline), 100*365*24*time.Hour, "the handler's context ends in centuries")
		time.Sleep(20 * time.Millisecond) // a report due at once would come meanwhile
		return nil
	})
	require.NoError(t, r.runUntilDrained())
	assert.Empty(t, r.errors(), "no handler reported past its time limit")
	assert.Equal(t, []string{
		"claim eventqueue:q1:ev-0 2562047h47m16.854775807s", "complete eventqueue:q1:ev-0 168h0m0s",
	}, store.history())
}
