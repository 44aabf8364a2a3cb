package redisstore_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/redisstore"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

// Every replica of a service builds its client like this: the limiters of
// all replicas draw on one budget per seller in Redis.
func ExampleNewLimiter() {
	rdb := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:6379",
		// Notice an outage quickly: a limiter is on every call's path.
		DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: 1,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond,
	})
	limiter, err := redisstore.NewLimiter(rdb, redisstore.LimiterConfig{
		Key:          "seller-42",           // one budget per seller
		PerSecond:    tiki.DefaultRateLimit, // 200/s across every replica
		OnRedisError: redisstore.FallbackLocal,
		// 4 replicas: while Redis is down each paces itself at 50/s.
		FallbackFraction: 0.25,
		Logger:           slog.Default(),
	})
	if err != nil {
		log.Fatal(err)
	}
	client, err := tiki.NewClient(tiki.WithSellerKey("k-123456"), tiki.WithLimiter(limiter))
	if err != nil {
		log.Fatal(err)
	}
	warehouses, _, err := client.Warehouses.ListTiki(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	log.Println(len(warehouses))
}

// A webhook delivered to two replicas is handled once: every replica's
// receiver takes the same store as its dedupe store.
func ExampleNewDedupeStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix("shop:dedupe:"))
	if err != nil {
		log.Fatal(err)
	}
	receiver, err := tikinow.NewReceiver([]string{os.Getenv("TIKINOW_WEBHOOK_SECRET")}, webhook.WithDedupe(store))
	if err != nil {
		log.Fatal(err)
	}
	receiver.OnStock(func(ctx context.Context, e *tikinow.StockEvent) error {
		return nil // set the stock of e.SKU in e.Warehouse
	})
	http.Handle("POST /webhooks/tiki", receiver)
}
