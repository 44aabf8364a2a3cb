package redisstore_test

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
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

// Every replica of a service runs the consumer of a queue like this: one
// replica pulls at a time (the lease), a replica that lost the lease cannot
// save an ack id (the fenced checkpoint), and the replica that takes over
// skips what the previous one handled, and waits for what it is still
// handling (the shared dedupe store).
func ExampleNewLease() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	lease, err := redisstore.NewLease(rdb)
	if err != nil {
		log.Fatal(err)
	}
	cp, err := redisstore.NewCheckpoint(rdb)
	if err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.NewDedupeStore(rdb)
	if err != nil {
		log.Fatal(err)
	}
	client, err := tiki.NewClient(tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: "id", ClientSecret: "secret"}))
	if err != nil {
		log.Fatal(err)
	}
	consumer, err := eventqueue.NewConsumer(client, "5a84289f-ed78-4285-9670-9a34508fb4a7",
		eventqueue.WithLease(lease), eventqueue.WithCheckpoint(cp), eventqueue.WithDedupe(store))
	if err != nil {
		log.Fatal(err)
	}
	consumer.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		fence, _ := eventqueue.Fence(ctx) // store it with the order: refuse writes of a smaller one
		log.Println("order", e.OrderCode, "under fence", fence)
		return nil
	})
	if err := consumer.Run(context.Background()); err != nil {
		log.Fatal(err)
	}
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
