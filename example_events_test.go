package tiki_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tikisdk/tiki"
)

// Pull by hand: handle every event of a batch, then send its ack id with
// the next pull. A batch that is not acknowledged comes again; a consumer
// (eventqueue.NewConsumer) runs this loop with a checkpoint and retries.
func ExampleEventQueueService_Pull() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	q, _, err := client.EventQueue.CreateQueue(ctx, "orders")
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, tiki.EventOrderStatusUpdated); err != nil {
		log.Fatal(err)
	}
	// The fake publishes what Tiki would when an order changes status.
	for _, status := range []string{"picking", "shipping"} {
		if _, err := srv.EmitEvent(srv.DefaultSellerID(), "ORDER_STATUS_UPDATED", "v1",
			map[string]string{"order_code": "510916693", "status": status}); err != nil {
			log.Fatal(err)
		}
	}

	ackID := "" // the first pull acknowledges nothing
	for {
		batch, _, err := client.EventQueue.Pull(ctx, q.Code, ackID)
		if err != nil {
			log.Fatal(err) // ackID was not sent: the batch comes again
		}
		if len(batch.Events) == 0 {
			break
		}
		for _, ev := range batch.Events {
			typed, err := ev.Decode()
			if err != nil {
				log.Fatal(err)
			}
			if e, ok := typed.(*tiki.OrderStatusUpdatedEvent); ok {
				fmt.Println("order", e.OrderCode, "is now", e.Status)
			}
		}
		ackID = batch.AckID // every event was handled: acknowledge them
	}
	info, _ := srv.EventQueue(q.Code)
	fmt.Println("pending:", info.Pending, "acknowledged:", info.Acknowledged)
	// Output:
	// order 510916693 is now picking
	// order 510916693 is now shipping
	// pending: 0 acknowledged: 2
}
