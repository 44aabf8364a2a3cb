package eventqueue_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/tikitest"
)

// orderQueue starts the fake Tiki with a queue subscribed to order status
// changes, holding two of them, and returns the fake, the app's client and
// the queue's code.
func orderQueue() (*tikitest.Server, *tiki.Client, string) {
	srv, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders")
	if err != nil {
		log.Fatal(err)
	}
	for _, typ := range []tiki.EventType{tiki.EventOrderStatusUpdated, tiki.EventProductPriceUpdated} {
		if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ); err != nil {
			log.Fatal(err)
		}
	}
	// The fake emits what Tiki would when an order changes status, or a
	// price.
	for _, status := range []string{"picking", "shipping"} {
		if _, err := srv.EmitEvent(srv.DefaultSellerID(), "ORDER_STATUS_UPDATED", "v1",
			map[string]string{"order_code": "510916693", "status": status}); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := srv.EmitEvent(srv.DefaultSellerID(), "PRODUCT_PRICE_UPDATED", "v1",
		map[string]any{"product_id": 1, "price_from": "100000", "price_to": "90000"}); err != nil {
		log.Fatal(err)
	}
	return srv, client, q.Code
}

// untilEmpty is an option that stops the consumer once the queue is empty,
// as examples and tests do.
func untilEmpty(stop context.CancelFunc) eventqueue.Option {
	return eventqueue.WithOnBatch(func(_ context.Context, b eventqueue.BatchReport) {
		if b.Events == 0 {
			stop()
		} else {
			fmt.Printf("batch of %d: %d handled, %d ignored\n", b.Events, b.Handled, b.Ignored)
		}
	})
}

// A consumer of an event queue, against the fake Tiki: a typed handler for
// order status changes, price changes ignored on purpose, and a stop when
// the queue is empty. Without WithIgnore, the price change would hold the
// queue until a handler takes it.
func ExampleNewConsumer() {
	srv, client, queue := orderQueue()
	defer srv.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	consumer, err := eventqueue.NewConsumer(client, queue,
		eventqueue.WithCheckpoint(eventqueue.NewMemoryCheckpoint()), // NewFileCheckpoint in production
		eventqueue.WithIgnore(tiki.EventProductPriceUpdated),
		eventqueue.WithIdleWait(10*time.Millisecond, 20*time.Millisecond),
		untilEmpty(stop),
	)
	if err != nil {
		log.Fatal(err)
	}
	consumer.OnOrderStatus(func(ctx context.Context, e *tiki.OrderStatusUpdatedEvent) error {
		fmt.Println("order", e.OrderCode, "is now", e.Status)
		return nil // an error would have the event delivered again
	})
	if err := consumer.Run(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// order 510916693 is now picking
	// order 510916693 is now shipping
	// batch of 3: 2 handled, 1 ignored
}

// A checkpoint file that cannot be trusted stops the consumer at once, with
// an error naming the file. Deleting it is safe: the consumer pulls without
// an ack id and receives Tiki's oldest unacknowledged batch again.
func ExampleNewFileCheckpoint() {
	srv, client, queue := orderQueue()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "checkpoints")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cp, err := eventqueue.NewFileCheckpoint(dir)
	if err != nil {
		log.Fatal(err)
	}
	// A disk that lost a write left half a file.
	file := filepath.Join(dir, "tiki-queue-"+queue+".json")
	if err := os.WriteFile(file, []byte("{"), 0o600); err != nil {
		log.Fatal(err)
	}

	run := func() error {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		consumer, err := eventqueue.NewConsumer(client, queue,
			eventqueue.WithCheckpoint(cp),
			eventqueue.WithIdleWait(10*time.Millisecond, 20*time.Millisecond),
			untilEmpty(stop),
		)
		if err != nil {
			return err
		}
		consumer.OnEvent(func(ctx context.Context, e *tiki.Event) error {
			fmt.Println("event", e.Type)
			return nil
		})
		return consumer.Run(ctx)
	}
	err = run()
	fmt.Println("corrupt checkpoint:", errors.Is(err, eventqueue.ErrCorruptCheckpoint))
	if err := os.Remove(file); err != nil {
		log.Fatal(err)
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// corrupt checkpoint: true
	// event ORDER_STATUS_UPDATED
	// event ORDER_STATUS_UPDATED
	// event PRODUCT_PRICE_UPDATED
	// batch of 3: 3 handled, 0 ignored
}
