package redisstore_test

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/redisstore"
)

// releases records when Waits returned nil.
type releases struct {
	mu    sync.Mutex
	times []time.Time
}

func (r *releases) add(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times = append(r.times, t)
}

func (r *releases) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.times)
}

// maxInWindow returns the largest number of releases within any window of
// length d (half-open, ending at a release).
func (r *releases) maxInWindow(d time.Duration) int {
	r.mu.Lock()
	times := append([]time.Time(nil), r.times...)
	r.mu.Unlock()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, lo := 0, 0
	for hi, t := range times {
		for !times[lo].After(t.Add(-d)) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// excess returns by how much the releases exceed a steady rate of
// perSecond: the largest n - perSecond*s over every run of n consecutive
// releases spanning s seconds, from the release numbered from on. A budget of perSecond with a burst of b
// never lets through more than b + perSecond*s requests in s seconds, so
// its releases have an excess of at most b.
func (r *releases) excess(perSecond float64, from int) float64 {
	r.mu.Lock()
	times := append([]time.Time(nil), r.times...)
	r.mu.Unlock()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	times = times[from:]
	best := 0.0
	for i := range times {
		for j := i; j < len(times); j++ {
			best = max(best, float64(j-i+1)-perSecond*times[j].Sub(times[i]).Seconds())
		}
	}
	return best
}

// waitFor polls cond every 10 ms until it holds, failing t after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFallbackLocalNeverExceedsTheRateAcrossAnOutage keeps 20 goroutines
// calling Wait on a FallbackLocal limiter of 20/s, burst 5, while its Redis
// is killed, then started again (empty: no persistence). However the
// switches between Redis and the local limiter fall, no second holds more
// than the budget allows: 20 + the burst of 5. Waits queued on the local
// limiter when Redis comes back are not released beside the ones Redis
// paces, and the requests let through locally just before are charged to
// Redis's fresh budget.
func TestFallbackLocalNeverExceedsTheRateAcrossAnOutage(t *testing.T) {
	redisSrv := startRedis(t)
	// 20/s: a release comes every 50 ms, so that a stall of the test's
	// own goroutines between Wait's return and its recording (a loaded
	// machine, the race detector) bunches two or three of them at most,
	// well short of a burst of 5.
	const perSecond, burst = 20, 5
	logs := &recordingHandler{}
	l, err := redisstore.NewLimiter(newRedisClient(t, redisSrv.addr()), redisstore.LimiterConfig{
		Key: "seller-1", PerSecond: perSecond, Burst: burst, OnRedisError: redisstore.FallbackLocal,
		RecheckInterval: 50 * time.Millisecond, Logger: slog.New(logs),
	})
	require.NoError(t, err)

	var got releases
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := l.Wait(ctx)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Wait: %v", err)
					}
					return
				}
				got.add(time.Now())
			}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()

	waitFor(t, "30 requests on Redis", func() bool { return got.count() >= 30 })
	redisSrv.stop()
	waitFor(t, "the outage's warning", func() bool { return len(logs.messages(slog.LevelWarn)) == 1 })
	n := got.count()
	waitFor(t, "30 requests paced locally", func() bool { return got.count() >= n+30 })
	redisSrv.start()
	waitFor(t, "the end of the outage", func() bool { return len(logs.messages(slog.LevelInfo)) == 1 })
	n = got.count()
	waitFor(t, "40 requests on Redis again", func() bool { return got.count() >= n+40 })
	cancel()
	wg.Wait()

	most, excess, drained := got.maxInWindow(time.Second), got.excess(perSecond, 0), got.excess(perSecond, 20)
	t.Logf("%d requests across an outage at %d/s, burst %d: at most %d in any second; %.2f requests above the steady rate at most (%.2f once the first burst was spent)",
		got.count(), perSecond, burst, most, excess, drained)
	// The budget allows perSecond+burst in a second, and an excess of
	// burst; two more allow for the moment between a Wait's return and the
	// time it is recorded (up to 40 ms), on a busy machine.
	assert.LessOrEqual(t, most, perSecond+burst+2)
	assert.LessOrEqual(t, excess, float64(burst+2))
	// The callers never stop waiting, so once the first burst is spent no
	// switch (to the local limiter, which starts empty; back to Redis,
	// charged with what the local limiter let through) may grant a new
	// one: the pace stays steady, but for the recording's jitter.
	assert.Less(t, drained, float64(burst), "a new burst after a switch")
	assert.Len(t, logs.messages(slog.LevelWarn), 1)
}

// TestFailClosedHungRedisFailsEveryWaiterAtOnce stops Redis's process (it
// accepts connections and answers nothing, as a hung server does) while
// 100 callers wait on a FailClosed limiter: every one of them fails within
// about one Redis timeout (the time one Wait takes to fail alone), not one
// timeout per caller ahead of it in the queue. A FallbackLocal limiter's
// callers likewise go on locally within one timeout.
func TestFailClosedHungRedisFailsEveryWaiterAtOnce(t *testing.T) {
	redisSrv := startRedis(t)
	t.Cleanup(redisSrv.resume) // runs before stop: cleanups run last registered first
	newLimiter := func(mode redisstore.FailureMode) *redisstore.Limiter {
		l, err := redisstore.NewLimiter(newRedisClient(t, redisSrv.addr()), redisstore.LimiterConfig{
			Key: uniqueName(t), PerSecond: 1000, Burst: 100, OnRedisError: mode,
			Logger: slog.New(&recordingHandler{}),
		})
		require.NoError(t, err)
		require.NoError(t, l.Wait(context.Background()), "Redis answers before it hangs")
		return l
	}
	alone, closed, fallback := newLimiter(redisstore.FailClosed), newLimiter(redisstore.FailClosed), newLimiter(redisstore.FallbackLocal)

	redisSrv.pause()
	start := time.Now()
	err := alone.Wait(context.Background())
	oneTimeout := time.Since(start)
	require.Error(t, err)
	t.Logf("one Wait on a hung Redis fails after %v: %v", oneTimeout, err)

	const callers = 100
	// Long enough for every caller to fail on its own; the old queue made
	// the last one wait 100 timeouts.
	ctx, cancel := context.WithTimeout(context.Background(), 5*oneTimeout+2*time.Second)
	defer cancel()
	run := func(l *redisstore.Limiter) ([]error, []time.Duration) {
		errs := make([]error, callers)
		took := make([]time.Duration, callers)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = l.Wait(ctx)
				took[i] = time.Since(start)
			}()
		}
		wg.Wait()
		return errs, took
	}

	errs, took := run(closed)
	slowest := time.Duration(0)
	for i, err := range errs {
		require.Error(t, err, "caller %d", i)
		assert.False(t, errors.Is(err, context.DeadlineExceeded), "caller %d failed with Redis's error, not its deadline: %v", i, err)
		assert.Contains(t, err.Error(), "redisstore: rate limit")
		slowest = max(slowest, took[i])
	}
	t.Logf("FailClosed: %d callers failed, the slowest after %v", callers, slowest)
	assert.LessOrEqual(t, slowest, 2*oneTimeout+500*time.Millisecond, "every caller fails within about one Redis timeout")

	errs, took = run(fallback)
	slowest = 0
	for i, err := range errs {
		require.NoError(t, err, "caller %d", i)
		slowest = max(slowest, took[i])
	}
	t.Logf("FallbackLocal: %d callers let through locally, the slowest after %v", callers, slowest)
	// One timeout, then the local limiter: it starts empty, at 1000/s.
	assert.LessOrEqual(t, slowest, 2*oneTimeout+500*time.Millisecond+callers*time.Millisecond)
}
