package redisstore_test

import (
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
)

// NewLimiter checks its configuration without contacting Redis, and
// reports every problem at once, in one *tiki.ValidationError. What to do
// when Redis cannot answer has no default: a limiter must say whether
// calls fail (FailClosed) or pace themselves locally (FallbackLocal).
func ExampleNewLimiter_configuration() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // not contacted
	defer rdb.Close()

	_, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{PerSecond: tiki.DefaultRateLimit})
	var ve *tiki.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}

	_, err = redisstore.NewLimiter(rdb, redisstore.LimiterConfig{
		Key: "seller-42", PerSecond: tiki.DefaultRateLimit, OnRedisError: redisstore.FailClosed,
	})
	fmt.Println("Key and OnRedisError set:", err)
	// Output:
	// LimiterConfig.Key is required: the seller whose budget it is
	// LimiterConfig.OnRedisError must be FailClosed or FallbackLocal, not FailureMode(0)
	// Key and OnRedisError set: <nil>
}
