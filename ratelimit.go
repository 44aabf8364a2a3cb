package tiki

import (
	queue "container/list"
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultRateLimit is Tiki's documented limit: 200 requests per second per
// seller. Above it the API answers 429 Too Many Requests.
const DefaultRateLimit = 200

// Limiter paces requests. Wait blocks until one more request may be sent, or
// returns an error when ctx ends first; it must never reject a request that
// could be sent later. Every attempt the client makes, retries and token
// renewal repeats included, passes through Wait.
//
// *rate.Limiter from golang.org/x/time/rate satisfies Limiter. Implement it
// to share one budget between several processes (Tiki's limit is per seller,
// not per process).
type Limiter interface {
	// Wait blocks until one more request may be sent and returns nil, or
	// returns a non-nil error (normally ctx's) when ctx ends first. The
	// client then sends nothing and returns a *RequestError.
	Wait(ctx context.Context) error
}

// newLimiter returns the client's limiter for a rate in requests per second
// and a burst; a rate of zero means no limit.
func newLimiter(perSecond float64, burst int) Limiter {
	if perSecond == 0 {
		return unlimited{}
	}
	if burst == 0 {
		burst = max(1, int(perSecond/10))
	}
	return newBucket(perSecond, burst, realClock{})
}

// bucket is the built-in limiter: a token bucket of burst tokens refilled
// at perSecond, whose waiters queue in order and take a token only when
// one is there. A waiter that gives up (its context ends) leaves the queue
// having taken nothing, so however many waiters give up, the next caller
// waits at most one interval (1/perSecond) once the bucket is empty.
//
// It is not built on golang.org/x/time/rate, whose Reserve and Wait queue
// waiters in order too and pace as accurately (TestLimiterAccuracy holds
// with either), because a rate.Limiter hands each waiter a token from the
// future and a cancelled reservation gives it back only when no later
// reservation was made: measured at 200/s with a burst of 20, after 2,000
// waiters on an empty limiter give up, the next caller waits 9.4 to 10 s
// behind a rate.Limiter (485 ms after 200) and 5 ms behind bucket
// (TestRateLimiterKeepsTheBudgetOfCancelledWaiters,
// TestLimiterCancelledWaitersKeepNoBudget). Callers that time out under load
// would stall every later call for seconds.
//
// A wait that the queue ahead of it makes certain to outlast the context's
// deadline is refused at once with an error matching
// context.DeadlineExceeded.
type bucket struct {
	perSecond float64
	burst     float64
	clock     clock

	mu      sync.Mutex
	tokens  float64
	last    time.Time
	queue   queue.List // of *waiter, oldest first
	pending bool       // a timer will serve the queue
}

// waiter is one caller queued for a token.
type waiter struct {
	ready   chan struct{} // closed when a token was handed over
	granted bool
	elem    *queue.Element
}

// clock is the bucket's time source; tests replace it.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type realClock struct{}

func (realClock) Now() time.Time                      { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

func newBucket(perSecond float64, burst int, c clock) *bucket {
	return &bucket{perSecond: perSecond, burst: float64(burst), tokens: float64(burst), last: c.Now(), clock: c}
}

// Wait takes a token, waiting in line for one when the bucket is empty.
func (b *bucket) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	now := b.clock.Now()
	b.refill(now)
	if b.queue.Len() == 0 && b.tokens >= 1 {
		b.tokens--
		b.mu.Unlock()
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		// The tokens this waiter needs beyond those already here: one for
		// each waiter ahead of it, and its own.
		need := float64(b.queue.Len()+1) - b.tokens
		if eta := b.duration(need); deadline.Sub(now) < eta {
			b.mu.Unlock()
			return fmt.Errorf("%w (waiting for the rate limit would pass it)", context.DeadlineExceeded)
		}
	}
	w := &waiter{ready: make(chan struct{})}
	w.elem = b.queue.PushBack(w)
	b.serve()
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.granted {
		// The token arrived as the context ended: give it back whole.
		b.tokens = min(b.tokens+1, b.burst)
		b.serve()
	} else {
		b.queue.Remove(w.elem)
	}
	return ctx.Err()
}

// refill adds the tokens earned since the last refill. The burst caps
// what an idle bucket saves; while callers wait, every token earned is
// theirs (a timer that fires late must not lose the time it was late by).
func (b *bucket) refill(now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens += elapsed.Seconds() * b.perSecond
		b.last = now
	}
	if b.queue.Len() == 0 {
		b.tokens = min(b.tokens, b.burst)
	}
}

// duration is how long n tokens take to earn.
func (b *bucket) duration(n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	secs := n / b.perSecond
	if secs >= math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(math.Ceil(secs * float64(time.Second)))
}

// serve hands the tokens there are to the waiters at the head of the
// queue, then schedules the next round. b.mu is held.
func (b *bucket) serve() {
	b.refill(b.clock.Now())
	for b.queue.Len() > 0 && b.tokens >= 1 {
		w := b.queue.Remove(b.queue.Front()).(*waiter)
		b.tokens--
		w.granted = true
		close(w.ready)
	}
	b.tokens = min(b.tokens, b.burst)
	b.schedule()
}

// schedule arranges for serve to run when the next token is earned, if
// anyone is waiting and no round is already arranged. b.mu is held.
func (b *bucket) schedule() {
	if b.pending || b.queue.Len() == 0 {
		return
	}
	b.pending = true
	b.clock.AfterFunc(b.duration(1-b.tokens), func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.pending = false
		b.serve()
	})
}

// queued is the number of callers waiting (for tests).
func (b *bucket) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue.Len()
}

// tokenBucket adapts a caller's *rate.Limiter (WithLimiter). rate.Limiter
// refuses at once a wait that would outlast the context's deadline;
// tokenBucket reports that as context.DeadlineExceeded, so callers see one
// error for one cause.
type tokenBucket struct{ l *rate.Limiter }

func (b tokenBucket) Wait(ctx context.Context) error {
	err := b.l.Wait(ctx)
	if err != nil && ctx.Err() == nil {
		if _, ok := ctx.Deadline(); ok {
			return fmt.Errorf("%w (waiting for the rate limit would pass it)", context.DeadlineExceeded)
		}
	}
	return err
}

// unlimited is the limiter of a client whose rate limit is switched off.
type unlimited struct{}

func (unlimited) Wait(ctx context.Context) error { return ctx.Err() }
