package redisstore_test

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/redisstore"
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

// A webhook delivered to two replicas is handled once: both share the
// store. Receivers take it as their dedupe store; here it is given to the
// pipeline they are built on.
func ExampleNewDedupeStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	store, err := redisstore.NewDedupeStore(rdb, redisstore.WithKeyPrefix("shop:dedupe:"))
	if err != nil {
		log.Fatal(err)
	}
	endpoint := &webhook.Endpoint{
		Decode: func(_ *http.Request, body []byte) (webhook.Delivery, error) {
			return webhook.Delivery{
				Key:    "myhook:" + webhook.BodyKey(body),
				Handle: func(ctx context.Context) error { return nil /* handle body */ },
			}, nil
		},
		Dedupe: dedupe.Runner{Store: store},
	}
	http.Handle("/hooks/mine", endpoint)
}

// Every replica gives its client the same write order (one Redis, one
// prefix per seller): a stock update retried by one replica never lands
// after a newer update of the same product by another.
func ExampleNewWriteOrder() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	order, err := redisstore.NewWriteOrder(rdb, redisstore.WithWritePrefix("tiki:writes:seller-42:"))
	if err != nil {
		log.Fatal(err)
	}
	client, err := tiki.NewClient(tiki.WithSellerKey("k-123456"), tiki.WithWriteOrder(order))
	if err != nil {
		log.Fatal(err)
	}
	_, _, err = client.Products.Update(context.Background(), tiki.ProductUpdate{
		OriginalSKU:         "PEN-1",
		WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 903, QtyAvailable: 10}},
	})
	if errors.Is(err, tiki.ErrWriteLockLost) {
		log.Println("Redis lost track of the product during the call: read it back before writing again")
	}
}
