package redisstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki/redisstore"
)

// BenchmarkWriteOrderLock measures what a WriteOrder adds to a product
// write when nobody else holds its products: Lock, then Unlock, for a
// write naming one key, a product by id and SKU (2 keys), and a batch
// call of 20 products named both ways (40 keys), against the Redis the
// tests share (on loopback: the cost is round trips and Lua).
// Run: go test -run='^$' -bench=BenchmarkWriteOrderLock -benchtime=2s -count=5 .
func BenchmarkWriteOrderLock(b *testing.B) {
	addr := sharedRedisAddrB(b)
	ctx := context.Background()
	for _, n := range []int{1, 2, 40} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			rdb := newRedisClientB(b, addr)
			prefix := fmt.Sprintf("bench:%s:", b.Name())
			o, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix(prefix))
			if err != nil {
				b.Fatal(err)
			}
			keys := make([]string, n)
			for i := range keys {
				if i%2 == 0 {
					keys[i] = fmt.Sprintf("product:%d", 1000+i)
				} else {
					keys[i] = fmt.Sprintf("sku:SKU-%d", 1000+i)
				}
			}
			// The first hold of a product waits for earlier holders that
			// Redis may have forgotten: take each once before measuring.
			l, err := o.Lock(ctx, keys)
			if err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				l, err := o.Lock(ctx, keys)
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Unlock(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "us/key")
			iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				rdb.Del(ctx, iter.Val())
			}
		})
	}
}

// sharedRedisAddrB is sharedRedisAddr for a benchmark: it skips without a
// Redis.
func sharedRedisAddrB(b *testing.B) string {
	b.Helper()
	if sharedRedisErr != nil {
		b.Skipf("redisstore: %v", sharedRedisErr)
	}
	return sharedRedis
}

// newRedisClientB is a Redis client of the benchmark's own, closed when it
// ends.
func newRedisClientB(b *testing.B, addr string) *redis.Client {
	b.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
