package sellers_test

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// TestPoolOf10000Sellers is the evidence behind docs/performance.md's pool
// section (make evidence): a pool holding the clients of 10,000 sellers,
// each of which made one call, with the heap each idle seller costs, the
// goroutines it holds, and the time from asking the pool for a seller it
// does not hold to the answer of that seller's first call. (Not parallel:
// it measures the process.)
func TestPoolOf10000Sellers(t *testing.T) {
	if os.Getenv("TIKI_EVIDENCE") != "1" {
		t.Skip("timing evidence: runs with TIKI_EVIDENCE=1 (make evidence)")
	}
	const n = 10_000
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	for s := int64(1); s <= n+200; s++ {
		connect(t, srv, store, s)
	}
	pool := newPool(t, srv, store)

	firstCall := func(s int64) time.Duration {
		start := time.Now()
		c, err := pool.Client(strconv.FormatInt(s, 10))
		require.NoError(t, err)
		_, _, err = c.Sellers.Get(ctx)
		require.NoError(t, err)
		return time.Since(start)
	}
	firstCall(n + 1) // the transport's first connection
	pool.CloseIdleConnections()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	var wg sync.WaitGroup
	next := make(chan int64)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				firstCall(s)
			}
		}()
	}
	for s := int64(1); s <= n; s++ {
		next <- s
	}
	close(next)
	wg.Wait()
	pool.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perSeller := float64(after.HeapAlloc-before.HeapAlloc) / n
	grown := runtime.NumGoroutine() - goroutines
	require.Equal(t, n+1, pool.Len())

	// Cold sellers, one at a time, against the warm transport.
	firstCall(n + 2)
	var cold, warm []time.Duration
	for s := int64(n + 3); s <= n+200; s++ {
		cold = append(cold, firstCall(s))
		warm = append(warm, firstCall(s))
	}
	slices.Sort(cold)
	slices.Sort(warm)
	pct := func(d []time.Duration, p int) time.Duration { return d[len(d)*p/100].Round(time.Microsecond) }
	t.Logf("heap per idle seller: %.0f B (%d sellers, %.1f MiB in all)", perSeller, n, float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
	t.Logf("goroutines: %+d for %d sellers (%.4f per seller)", grown, n, float64(grown)/n)
	t.Logf("first call of a cold seller: median %v, p90 %v; a warm seller's call: median %v, p90 %v (%d sellers, GOMAXPROCS %d)",
		pct(cold, 50), pct(cold, 90), pct(warm, 50), pct(warm, 90), len(cold), runtime.GOMAXPROCS(0))
	assert.Less(t, perSeller, 16.0*1024, "an idle seller costs a few KB")
	assert.LessOrEqual(t, grown, 5, "no goroutine per seller")
}
