package tiki

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func TestLimiterWaitsRatherThanRejects(t *testing.T) {
	t.Parallel()
	// 50 per second with a burst of 1: 6 calls need at least 100 ms.
	c, s := setup(t, WithRateLimit(50, 1))
	s.handle("/v2/things", ok200)
	start := time.Now()
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := callThing(c, http.MethodGet)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, time.Since(start), 95*time.Millisecond)
	assert.EqualValues(t, 6, s.count(), "every call went through: none rejected")
}

func TestEveryAttemptPassesLimiter(t *testing.T) {
	t.Parallel()
	l := &countingLimiter{}
	c, s := setup(t, WithLimiter(l))
	s.handle("/v2/things", status(503, ``), status(500, ``), ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	assert.EqualValues(t, 3, l.n.Load())
	assert.EqualValues(t, 3, s.count())
}

func TestLimiterHonoursContext(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithRateLimit(0.001, 1))
	s.handle("/v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet) // takes the only token
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var reqErr *RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, 0, reqErr.Attempts)
	assert.EqualValues(t, 1, s.count())
}

func TestWithLimiterRateLimiterDeadline(t *testing.T) {
	t.Parallel()
	l := rate.NewLimiter(0.001, 1)
	c, s := setup(t, WithLimiter(l))
	s.handle("/v2/things", ok200)
	_, _, err := callThing(c, http.MethodGet)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// fakeClock is a clock for the limiter that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	f  func()
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), f: f})
}

// Advance moves the clock by d and runs the timers that came due, in
// order, including those they set that are due too.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		slices.SortStableFunc(c.timers, func(a, b fakeTimer) int { return a.at.Compare(b.at) })
		if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.mu.Unlock()
		t.f()
	}
}

// queueWaiters starts n goroutines waiting on l, each with its own
// context, and returns when all n are queued: cancel ends them all, and
// the returned channel yields each one's error.
func queueWaiters(t *testing.T, b *bucket, n int) (cancel func(), errs <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out := make(chan error, n)
	before := b.queued()
	for range n {
		go func() { out <- b.Wait(ctx) }()
	}
	// Queued, or already served (on the real clock tokens keep coming).
	require.True(t, waitUntil(context.Background(), func() bool { return b.queued()+len(out) == before+n }))
	return cancel, out
}

// After 2,000 waiters on an empty bucket give up, the next caller waits one
// interval, not the 10 s the 2,000 would have taken.
func TestLimiterCancelledWaitersKeepNoBudget(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(DefaultRateLimit, 20, clk)
	for range 20 {
		require.NoError(t, b.Wait(context.Background()))
	}
	cancel, errs := queueWaiters(t, b, 2000)
	cancel()
	for range 2000 {
		require.ErrorIs(t, <-errs, context.Canceled)
	}
	assert.Zero(t, b.queued())

	done := make(chan error, 1)
	go func() { done <- b.Wait(context.Background()) }()
	require.True(t, waitUntil(context.Background(), func() bool { return b.queued() == 1 }))
	interval := time.Second / DefaultRateLimit
	clk.Advance(interval - time.Millisecond)
	assert.Equal(t, 1, b.queued(), "no token before one interval")
	clk.Advance(time.Millisecond)
	require.NoError(t, <-done, "served after one interval")
}

// Why the built-in limiter is not golang.org/x/time/rate: a rate.Limiter
// keeps the budget that waiters who gave up had reserved. 2,000 waiters
// reserve on an empty limiter at 200/s and are cancelled (oldest first, as
// contexts with one timeout end); the next caller still waits about the 10
// s they had reserved, where the built-in bucket makes it wait one interval
// (TestLimiterCancelledWaitersKeepNoBudget). Should x/time/rate change
// this, the built-in bucket can give way to it.
func TestRateLimiterKeepsTheBudgetOfCancelledWaiters(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := rate.NewLimiter(DefaultRateLimit, 20)
	require.True(t, l.AllowN(now, 20), "the burst")
	reservations := make([]*rate.Reservation, 2000)
	for i := range reservations {
		reservations[i] = l.ReserveN(now, 1)
	}
	for _, r := range reservations {
		r.CancelAt(now)
	}
	next := l.ReserveN(now, 1).DelayFrom(now)
	t.Logf("after 2,000 cancelled waiters a rate.Limiter makes the next caller wait %v", next)
	assert.Greater(t, next, 9*time.Second)
}

// The same through a client on the real clock: with a 1 s deadline the call
// after 2,000 cancelled waiters goes through at once.
func TestLimiterCancelledWaitersClient(t *testing.T) {
	t.Parallel()
	c, s := setup(t, WithRateLimit(DefaultRateLimit, 20))
	s.handle("/v2/x", ok200)
	b := c.limiter.(*bucket)
	for range 20 {
		require.NoError(t, b.Wait(context.Background()))
	}
	cancel, errs := queueWaiters(t, b, 2000)
	cancel()
	for range 2000 {
		<-errs
	}
	ctx, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	start := time.Now()
	_, err := c.do(ctx, &request{method: http.MethodGet, version: apiV2, path: "x"}, nil)
	require.NoError(t, err)
	t.Logf("the call after 2,000 cancelled waiters took %v", time.Since(start))
}

// Waiters are served in the order they came, one per interval.
func TestLimiterServesInOrder(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(10, 1, clk)
	require.NoError(t, b.Wait(context.Background()))
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, b.Wait(context.Background()))
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}()
		require.True(t, waitUntil(context.Background(), func() bool { return b.queued() == i+1 }))
	}
	served := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(order)
	}
	for i := range 5 {
		clk.Advance(100 * time.Millisecond)
		assert.Equal(t, 4-i, b.queued(), "one waiter served per interval")
		require.True(t, waitUntil(context.Background(), func() bool { return served() == i+1 }))
	}
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}

// A wait that the queue ahead makes certain to pass the deadline is
// refused at once; one that can make it waits.
func TestLimiterRefusesHopelessWaitAtOnce(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := newBucket(100, 1, clk)
	require.NoError(t, b.Wait(context.Background()))
	cancel, _ := queueWaiters(t, b, 10) // 100 ms of queue
	defer cancel()
	ctx, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	err := b.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NoError(t, ctx.Err(), "refused at once, before the deadline")
	assert.Equal(t, 10, b.queued(), "the refused caller did not queue")
}

// TestLimiterAccuracy runs 32 concurrent callers for 5 s through a client
// limited to 50 requests per second, against a server that enforces the
// same rate: the achieved rate is between 95% and 101% of the limit (a
// loaded machine may send a little less, never more) and the server
// answers no 429.
func TestLimiterAccuracy(t *testing.T) {
	requireEvidence(t)
	// Not parallel: the measurement is of the limiter, not of a loaded CPU.
	const perSecond, duration = 50, 5 * time.Second
	// The server's own bucket: the same rate, with room for 400 ms of jitter
	// between a request leaving the client and arriving (goroutine
	// scheduling on a loaded 2-core machine).
	enforce := rate.NewLimiter(perSecond, 20)
	var served, refused atomic.Int64
	c, s := setup(t, WithRateLimit(perSecond, 1), WithRetry(1, 0, 0))
	s.handle("GET /v2/warehouses/tiki", func(w http.ResponseWriter, r *http.Request) {
		if !enforce.Allow() {
			refused.Add(1)
			status(http.StatusTooManyRequests, `{"errors":["Too Many Requests"]}`)(w, r)
			return
		}
		served.Add(1)
		status(http.StatusOK, `[]`)(w, r)
	})

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _, err := c.Warehouses.ListTiki(ctx)
				if errors.Is(err, context.DeadlineExceeded) {
					return // the run is over (or its next turn would come after)
				}
				if err != nil {
					t.Errorf("call failed: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	achieved := float64(served.Load()) / elapsed.Seconds()
	t.Logf("%d calls in %v: %.2f/s (target %d/s), %d answered 429", served.Load(), elapsed.Round(time.Millisecond), achieved, perSecond, refused.Load())
	assert.GreaterOrEqual(t, achieved, 0.95*perSecond)
	assert.LessOrEqual(t, achieved, 1.01*perSecond)
	assert.Zero(t, refused.Load())
}
