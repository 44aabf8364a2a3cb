package redisstore_test

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

// NewLimiter checks its configuration without contacting Redis, and
// reports every problem at once. What to do when Redis cannot answer has
// no default: a limiter must say whether calls fail (FailClosed) or pace
// themselves locally (FallbackLocal).
func ExampleNewLimiter_configuration() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // not contacted
	defer rdb.Close()

	_, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{PerSecond: tiki.DefaultRateLimit})
	fmt.Println(err)

	_, err = redisstore.NewLimiter(rdb, redisstore.LimiterConfig{
		Key: "seller-42", PerSecond: tiki.DefaultRateLimit, OnRedisError: redisstore.FailClosed,
	})
	fmt.Println("Key and OnRedisError set:", err)
	// Output:
	// redisstore: NewLimiter: empty Key
	// want OnRedisError FailClosed or FallbackLocal, got FailureMode(0)
	// Key and OnRedisError set: <nil>
}
