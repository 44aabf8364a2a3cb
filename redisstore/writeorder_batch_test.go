package redisstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki/redisstore"
)

// scriptCounter is a go-redis hook that records the scripts a client runs
// (EVALSHA, or EVAL after a NOSCRIPT), by their number of keys.
type scriptCounter struct {
	mu   sync.Mutex
	runs []int64 // numkeys of each script run
	argv []int   // its number of arguments after the keys
}

func (h *scriptCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *scriptCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		name := cmd.Name()
		if (name == "evalsha" || name == "eval") && (err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT")) {
			if n, ok := cmd.Args()[2].(int); ok {
				h.mu.Lock()
				h.runs = append(h.runs, int64(n))
				h.argv = append(h.argv, len(cmd.Args())-3-n)
				h.mu.Unlock()
			}
		}
		return err
	}
}

func (h *scriptCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// take returns the scripts run since the last take.
func (h *scriptCounter) take() []int64 {
	out, _ := h.takeWithArgs()
	return out
}

// takeWithArgs is take, with the number of arguments of each script.
func (h *scriptCounter) takeWithArgs() ([]int64, []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	runs, argv := h.runs, h.argv
	h.runs, h.argv = nil, nil
	return runs, argv
}

// productKeys returns n write-order keys, products named by id and SKU.
func productKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		if i%2 == 0 {
			keys[i] = fmt.Sprintf("product:%d", 100+i)
		} else {
			keys[i] = fmt.Sprintf("sku:SKU-%d", 100+i)
		}
	}
	return keys
}

// A call's keys are taken by one script, renewed by one goroutine with one
// script each time, and released by one script: a 40-key batch call costs
// three scripts and a renewal per third of the TTL, not three per key and
// a goroutine per key.
func TestWriteOrderTakesACallsKeysTogether(t *testing.T) {
	// Not parallel: it counts the process's goroutines. The hold must
	// not lapse while the test waits for two renewals: a TTL of a second
	// leaves a starved process room.
	const ttl, n = time.Second, 40
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	counter := &scriptCounter{}
	rdb.AddHook(counter)
	o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix(prefix), redisstore.WithWriteLockTTL(ttl),
		redisstore.WithWriteSettle(testSettle))
	require.NoError(t, err)
	ctx := context.Background()
	// Products Redis never saw wait a TTL and the settle period, less the
	// server's uptime: take them once first.
	primeWriteKeys(t, rdb, prefix, productKeys(n)...)
	counter.take()

	before := runtime.NumGoroutine()
	l, err := o.Lock(ctx, productKeys(n))
	require.NoError(t, err)
	goroutines := runtime.NumGoroutine() - before
	assert.Equal(t, []int64{3 * n}, counter.take(), "one script takes the 40 locks (lock, record and floor of each)")
	assert.Less(t, goroutines, n/2, "one goroutine renews the call's locks (was one per key)")
	require.True(t, waitUntil(t, 10*ttl, func() bool {
		counter.mu.Lock()
		defer counter.mu.Unlock()
		return len(counter.runs) >= 2
	}))
	for _, run := range counter.take() {
		assert.EqualValues(t, 2*n, run, "each renewal is one script for the 40 locks (lock and record of each)")
	}
	require.NoError(t, l.Unlock(ctx))
	// A renewal sent before the release may still be counted: a renewal
	// has the TTLs and a value per lock for arguments, a release a value
	// per lock.
	runs, argv := counter.takeWithArgs()
	releases := 0
	for i, run := range runs {
		assert.EqualValues(t, 2*n, run, "each script after the renewals handles the 40 locks (lock and record of each)")
		switch argv[i] {
		case n:
			releases++
		case n + 2:
		default:
			t.Errorf("a script with %d arguments: neither a renewal nor a release of the 40 locks", argv[i])
		}
	}
	assert.Equal(t, 1, releases, "one script releases them")
}

// waitUntil polls cond every millisecond until it holds or d passed.
func waitUntil(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// A call whose keys another call partly holds takes the free ones before
// the held one at once, keeps them, and takes the rest once it is freed.
// Calls over overlapping keys, in any order, never wait for each other in a
// cycle, and never hold a key at the same time.
func TestWriteOrderOverlappingCalls(t *testing.T) {
	t.Parallel()
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	rdb := steadyClient(t, addr)
	deleteKeys(t, rdb, prefix)
	// A hold that lapsed while its worker was starved would let another
	// take its keys: the TTL is far longer than a scheduling stall.
	orders, _ := writeOrders(t, addr, prefix, holdTTL, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	keys := productKeys(8)
	primeWriteKeys(t, rdb, prefix, keys...)

	held, err := orders[0].Lock(ctx, keys[4:5])
	require.NoError(t, err)
	got := make(chan error, 1)
	go func() {
		l, err := orders[1].Lock(ctx, keys)
		if err == nil {
			err = l.Unlock(ctx)
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the call did not wait for the held key: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, held.Unlock(ctx))
	require.NoError(t, <-got)

	var inUse [8]atomic.Int32
	var overlaps atomic.Int32
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for range 15 {
				var mine []int
				for i := range keys {
					if rng.IntN(2) == 0 {
						mine = append(mine, i)
					}
				}
				if len(mine) == 0 {
					continue
				}
				want := make([]string, len(mine))
				for j, i := range mine {
					want[j] = keys[i]
				}
				rng.Shuffle(len(want), func(a, b int) { want[a], want[b] = want[b], want[a] })
				l, err := orders[w%3].Lock(ctx, want)
				if !assert.NoError(t, err) {
					return
				}
				for _, i := range mine {
					if inUse[i].Add(1) > 1 {
						overlaps.Add(1)
					}
				}
				time.Sleep(time.Millisecond)
				for _, i := range mine {
					inUse[i].Add(-1)
				}
				assert.NoError(t, l.Unlock(ctx))
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, overlaps.Load(), "two calls held a key at the same time")
}

// The next holder of a product whose holder did not release it (a replica
// that died, or lost Redis) waits, once the lock expired, for the settle
// period: that holder may have had a write in flight. A released product
// is taken at once, whatever the settle period.
func TestWriteOrderSettlesAfterAHolderThatDidNotRelease(t *testing.T) {
	t.Parallel()
	// The dying holder's lock must not lapse before it dies (the next
	// holder would wait less than the settle period after its expiry): a
	// TTL of a second leaves a starved process room.
	const ttl, settle = time.Second, 700 * time.Millisecond
	addr := sharedRedisAddr(t)
	prefix := uniqueName(t)
	deleteKeys(t, steadyClient(t, addr), prefix)
	order := func(rdb *redis.Client, settle time.Duration) *redisstore.WriteOrder {
		o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix(prefix), redisstore.WithWriteLockTTL(ttl),
			redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(settle))
		require.NoError(t, err)
		return o
	}
	ctx := context.Background()
	dying := steadyClient(t, addr)
	primeWriteKeys(t, dying, prefix, "product:1")
	a := order(dying, settle)
	l, err := a.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	require.NoError(t, l.Unlock(ctx)) // the product is known to Redis now
	_, err = a.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	require.NoError(t, dying.Close()) // dies holding it: no release, no renewal
	start := time.Now()
	b := order(steadyClient(t, addr), settle)
	l, err = b.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	took := time.Since(start)
	t.Logf("taken %v after its holder died (TTL %v, settle %v)", took, ttl, settle)
	assert.GreaterOrEqual(t, took, settle, "the next holder waited for the settle period")

	// Released: taken at once, whatever the settle period.
	require.NoError(t, l.Unlock(ctx))
	c := order(steadyClient(t, addr), 10*time.Second)
	start = time.Now()
	l, err = c.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "a released product waits for no settle period (10 s)")
	require.NoError(t, l.Unlock(ctx))
}

// After Redis restarts empty, the first holder of a product waits a TTL
// and the settle period: a holder Redis forgot may have had a write in
// flight.
func TestWriteOrderSettlesAfterARestart(t *testing.T) {
	t.Parallel()
	const ttl, settle = 300 * time.Millisecond, 700 * time.Millisecond
	srv := startRedis(t)
	// A client that waits for a loaded machine and tries again on a new
	// connection once Redis is back.
	o, err := redisstore.NewWriteOrder(steadyClient(t, srv.addr()), redisstore.WithWriteLockTTL(ttl),
		redisstore.WithWritePollInterval(5*time.Millisecond), redisstore.WithWriteSettle(settle))
	require.NoError(t, err)
	ctx := context.Background()
	l, err := o.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	srv.stop()
	srv.start()
	start := time.Now()
	l2, err := o.Lock(ctx, []string{"product:1"})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), ttl+settle-100*time.Millisecond, "a TTL and the settle period, less the server's uptime")
	require.NoError(t, l2.Unlock(ctx))
	require.NoError(t, l.Unlock(ctx))
}
