package reconcile_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
)

// The event-queue consumer hands each order to the seller's handler through
// the backfill, which records it; a pass of the backfill then finds the
// order whose event was lost, and hands it to the same handler.
func ExampleOrdersBackfill() {
	// A fake Tiki whose orders were placed ten minutes ago, longer than
	// the backfill's lag.
	srv, err := tikitest.Start(tikitest.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// The seller's order handler.
	handle := func(ctx context.Context, d reconcile.OrderDelivery) error {
		from := "event"
		if d.Backfilled {
			from = "backfill"
		}
		fmt.Printf("order %s is %s (%s)\n", d.Code, d.Status, from)
		return nil
	}
	store, err := reconcile.NewMemoryDeliveredStore(0) // NewFileDeliveredStore in production
	if err != nil {
		log.Fatal(err)
	}
	backfill, err := reconcile.NewOrdersBackfill(client, store, handle, reconcile.OrdersOptions{Workers: 1})
	if err != nil {
		log.Fatal(err)
	}

	// The live path: an event-queue consumer whose handlers deliver
	// through the backfill.
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders")
	if err != nil {
		log.Fatal(err)
	}
	for _, typ := range []tiki.EventType{tiki.EventOrderCreated, tiki.EventOrderStatusUpdated} {
		if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ); err != nil {
			log.Fatal(err)
		}
	}
	consumer, err := eventqueue.NewConsumer(client, q.Code, eventqueue.WithIdleWait(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	consumer.OnOrderCreated(func(ctx context.Context, ev *tiki.OrderCreatedEvent) error {
		return backfill.Deliver(ctx, reconcile.OrderDelivery{Code: ev.OrderCode, Status: ev.Status})
	})
	consumer.OnOrderStatus(func(ctx context.Context, ev *tiki.OrderStatusUpdatedEvent) error {
		return backfill.Deliver(ctx, reconcile.OrderDelivery{Code: ev.OrderCode, Status: ev.Status})
	})

	// Three orders; the fake loses the event of the second one.
	first, _ := srv.CreateOrder(tikitest.OrderSpec{})
	srv.LoseOrderNotifications(func(tikitest.OrderChange) bool { return true })
	srv.CreateOrder(tikitest.OrderSpec{})
	srv.LoseOrderNotifications(nil)
	srv.CreateOrder(tikitest.OrderSpec{})
	srv.SetOrderStatus(first.Code, tiki.OrderStatus("canceled"))

	// The consumer handles the three events that arrived.
	run, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- consumer.Run(run) }()
	for info, _ := srv.EventQueue(q.Code); info.Acknowledged < 3; info, _ = srv.EventQueue(q.Code) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		log.Fatal(err)
	}

	// One pass of the backfill (Run repeats it).
	report, err := backfill.Once(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lost events:", len(report.Lost))
	// Output:
	// order 300000001 is queueing (event)
	// order 300000003 is queueing (event)
	// order 300000001 is canceled (event)
	// order 300000002 is queueing (backfill)
	// lost events: 1
}

// A service that receives TikiNOW's order webhooks delivers them through
// the backfill too, and runs the backfill beside its receiver. A webhook's
// main_state is not the order API's status: the delivery carries the order
// code alone, and Deliver reads the order for its status.
func ExampleOrdersBackfill_Deliver() {
	client, err := tiki.NewClient(tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: "id", ClientSecret: "secret"}))
	if err != nil {
		log.Fatal(err)
	}
	store, err := reconcile.NewFileDeliveredStore("/var/lib/shop/tiki-orders.log", 0)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	handle := func(ctx context.Context, d reconcile.OrderDelivery) error {
		return nil // put d.Code in status d.Status into the seller's order system
	}
	backfill, err := reconcile.NewOrdersBackfill(client, store, handle, reconcile.OrdersOptions{})
	if err != nil {
		log.Fatal(err)
	}

	receiver, err := tikinow.NewReceiver([]string{"sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0"})
	if err != nil {
		log.Fatal(err)
	}
	receiver.OnOrderStatus(func(ctx context.Context, e *tikinow.OrderStatusEvent) error {
		return backfill.Deliver(ctx, reconcile.OrderDelivery{Code: e.OrderCode})
	})
	go func() {
		if err := backfill.Run(context.Background()); err != nil {
			log.Fatal(err) // credentials refused: nothing another pass can mend
		}
	}()
	http.Handle("POST /webhooks/tiki", receiver)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
