package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

func TestNewLimiterChecksConfig(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	valid := redisstore.LimiterConfig{Key: "seller-1", PerSecond: 200, OnRedisError: redisstore.FailClosed}

	_, err := redisstore.NewLimiter(rdb, valid)
	require.NoError(t, err)

	tests := map[string]struct {
		rdb    redis.UniversalClient
		change func(*redisstore.LimiterConfig)
		want   string
	}{
		"nil client":       {change: func(*redisstore.LimiterConfig) {}, want: "nil Redis client"},
		"empty key":        {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.Key = "" }, want: "empty Key"},
		"zero rate":        {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.PerSecond = 0 }, want: "PerSecond"},
		"too fast":         {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.PerSecond = 2e6 }, want: "PerSecond"},
		"negative burst":   {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.Burst = -1 }, want: "Burst"},
		"no failure mode":  {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.OnRedisError = 0 }, want: "OnRedisError"},
		"fraction above 1": {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.FallbackFraction = 1.5 }, want: "FallbackFraction"},
		"negative recheck": {rdb: rdb, change: func(c *redisstore.LimiterConfig) { c.RecheckInterval = -time.Second }, want: "RecheckInterval"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := valid
			tc.change(&cfg)
			l, err := redisstore.NewLimiter(tc.rdb, cfg)
			assert.Nil(t, l)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestFailureModeString(t *testing.T) {
	assert.Equal(t, "FailClosed", redisstore.FailClosed.String())
	assert.Equal(t, "FallbackLocal", redisstore.FallbackLocal.String())
	assert.Equal(t, "FailureMode(0)", redisstore.FailureMode(0).String())
}

// newSharedLimiter returns a limiter on the shared Redis, on a key of this
// test run's own.
func newSharedLimiter(t *testing.T, cfg redisstore.LimiterConfig) *redisstore.Limiter {
	t.Helper()
	addr := sharedRedisAddr(t)
	rdb := newRedisClient(t, addr)
	if cfg.Key == "" {
		cfg.Key = uniqueName(t)
	}
	deleteKeys(t, rdb, "rate:"+redisstore.DefaultLimiterPrefix+cfg.Key)
	l, err := redisstore.NewLimiter(rdb, cfg)
	require.NoError(t, err)
	return l
}

func TestLimiterBurstThenPace(t *testing.T) {
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 20, Burst: 5, OnRedisError: redisstore.FailClosed})
	ctx := context.Background()

	// A burst of 5, then one request per 50 ms: the 9th request cannot pass
	// before 4 x 50 ms after the first, however fast or slow the machine
	// is. (How close to the bound it passes depends on the load; that is
	// evidence, measured by TestSharedBudgetAcrossReplicas.)
	start := time.Now()
	for range 9 {
		require.NoError(t, l.Wait(ctx))
	}
	assert.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond)
}

func TestLimiterDeadlineThatWouldPassFailsAtOnce(t *testing.T) {
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 0.1, Burst: 1, OnRedisError: redisstore.FailClosed})
	require.NoError(t, l.Wait(context.Background()))

	// The next request is allowed in about 10 s: a 2 s deadline cannot be
	// met, and Wait says so at once instead of sleeping until it passes.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := l.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second, "at once, not after the 2 s deadline")
	assert.NoError(t, ctx.Err(), "the deadline has not passed yet")

	// The same holds for goroutines queued behind the one asking Redis.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	start = time.Now()
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Wait(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
	assert.Less(t, time.Since(start), time.Second, "at once, not after the 2 s deadline")
}

func TestLimiterCancelEndsWait(t *testing.T) {
	l := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 0.5, Burst: 1, OnRedisError: redisstore.FailClosed})
	require.NoError(t, l.Wait(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Wait(ctx)
		}()
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	wg.Wait()
	assert.Less(t, time.Since(start), 150*time.Millisecond, "the wait would have lasted 2 s")
	for _, err := range errs {
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	}

	// A canceled context never reaches Redis.
	assert.ErrorIs(t, l.Wait(ctx), context.Canceled)
}

func TestLimitersWithTheSameKeyShareTheBudget(t *testing.T) {
	key := uniqueName(t)
	a := newSharedLimiter(t, redisstore.LimiterConfig{Key: key, PerSecond: 2, Burst: 2, OnRedisError: redisstore.FailClosed})
	b := newSharedLimiter(t, redisstore.LimiterConfig{Key: key, PerSecond: 2, Burst: 2, OnRedisError: redisstore.FailClosed})
	other := newSharedLimiter(t, redisstore.LimiterConfig{PerSecond: 2, Burst: 2, OnRedisError: redisstore.FailClosed})
	ctx := context.Background()

	start := time.Now()
	require.NoError(t, a.Wait(ctx))
	require.NoError(t, b.Wait(ctx)) // the burst of 2, spent by two limiters
	require.NoError(t, other.Wait(ctx))
	require.NoError(t, other.Wait(ctx)) // another key: a budget of its own
	assert.Less(t, time.Since(start), 400*time.Millisecond, "one more on a's budget would take 500 ms")

	require.NoError(t, b.Wait(ctx)) // waits for a's and b's budget: ~500 ms
	assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond)
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestLimiterManyWaitersFewRedisCalls checks that waiting goroutines queue
// in the process instead of each polling Redis.
func TestLimiterManyWaitersFewRedisCalls(t *testing.T) {
	rdb := newRedisClient(t, sharedRedisAddr(t))
	key := uniqueName(t)
	deleteKeys(t, rdb, "rate:"+redisstore.DefaultLimiterPrefix+key)
	l, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{
		Key: key, PerSecond: 100, Burst: 1, OnRedisError: redisstore.FailClosed,
	})
	require.NoError(t, err)
	hook := &countingHook{}
	rdb.AddHook(hook)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l.Wait(ctx) == nil {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	calls := hook.n.Load()
	t.Logf("20 waiters, 100/s for 500 ms: %d allowed, %d Redis commands", allowed.Load(), calls)
	assert.LessOrEqual(t, allowed.Load(), int64(51), "never above the rate")
	assert.GreaterOrEqual(t, allowed.Load(), int64(25))
	// A few commands open the connection; then about 2 or 3 per request,
	// where 20 waiters polling on their own would make about 20.
	assert.LessOrEqual(t, calls, 4*allowed.Load()+5, "Redis commands per allowed request")
}

// A nil context is refused with an error matching tiki.ErrNilContext,
// without contacting Redis or panicking.
func TestNilContextIsRefused(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	var nilCtx context.Context
	for _, mode := range []redisstore.FailureMode{redisstore.FailClosed, redisstore.FallbackLocal} {
		l, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{Key: "seller-1", PerSecond: 200, OnRedisError: mode})
		require.NoError(t, err)
		assert.ErrorIs(t, l.Wait(nilCtx), tiki.ErrNilContext, mode)
	}
	s, err := redisstore.NewDedupeStore(rdb)
	require.NoError(t, err)
	_, err = s.Claim(nilCtx, "k", "run-1", time.Minute)
	assert.ErrorIs(t, err, tiki.ErrNilContext)
	assert.ErrorIs(t, s.Complete(nilCtx, "k", time.Minute), tiki.ErrNilContext)
	assert.ErrorIs(t, s.Release(nilCtx, "k", "run-1"), tiki.ErrNilContext)
}
