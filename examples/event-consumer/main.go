// Command event-consumer consumes Tiki's event queue with
// eventqueue.Consumer: it
// creates a queue, subscribes it to every documented event type, places
// orders and changes prices and stock, and prints the events it handles.
// Half-way through, the consumer "crashes" (it stops in the middle of a
// batch, before saving that batch's ack id) and a new one starts from the
// file checkpoint: nothing is lost, and the events of the interrupted batch
// that were handled before the crash come again (at least once), which is
// why handlers must tolerate a repeat.
//
//	go run ./examples/event-consumer
//
// It runs against the built-in fake Tiki (package tikitest), which
// implements the event queue: queues and subscriptions are the app's
// resources on Tiki, and this example does not create them on a real
// account.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "event-consumer:", err)
		os.Exit(1)
	}
}

func run() error {
	srv, err := tikitest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.SetEventBatchSize(3) // small batches, to show several
	client, err := srv.Client()
	if err != nil {
		return err
	}
	ctx := context.Background()
	fmt.Println("Talking to the built-in fake Tiki at", srv.URL)

	// 1. A queue, subscribed to every event type (the app's token owns the
	//    queue; a public app subscribes each seller with that seller's
	//    token).
	q, _, err := client.EventQueue.CreateQueue(ctx, "orders and stock")
	if err != nil {
		return err
	}
	for _, typ := range tiki.EventTypes() {
		if _, _, err := client.EventQueue.Subscribe(ctx, q.Code, typ); err != nil {
			return err
		}
	}
	fmt.Printf("Queue %s subscribed to %d event types\n", q.Code, len(tiki.EventTypes()))

	// 2. Things happen on the seller's shop: orders, price and stock.
	if err := makeChanges(ctx, srv, client); err != nil {
		return err
	}
	info, _ := srv.EventQueue(q.Code)
	fmt.Printf("%d events are waiting in the queue\n\n", info.Pending)

	// 3. Consume, with a checkpoint that survives the crash.
	dir, err := os.MkdirTemp("", "event-consumer-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cp, err := eventqueue.NewFileCheckpoint(dir)
	if err != nil {
		return err
	}
	handled := map[string]int{}
	fmt.Println("Consumer 1 (crashes after its 4th event):")
	if err := consume(ctx, client, q.Code, cp, handled, 4); err != nil {
		return err
	}
	fmt.Println("\nConsumer 2 (restarted from the checkpoint):")
	if err := consume(ctx, client, q.Code, cp, handled, 0); err != nil {
		return err
	}

	// 4. Nothing lost: every event was handled and acknowledged.
	info, _ = srv.EventQueue(q.Code)
	again := 0
	for _, n := range handled {
		again += n - 1
	}
	fmt.Printf("\n%d events handled, %d of them again after the crash; %d acknowledged, %d pending\n",
		len(handled), again, info.Acknowledged, info.Pending)
	if info.Pending != 0 || int64(len(handled)) != info.Acknowledged {
		return errors.New("an event was lost")
	}
	return nil
}

// makeChanges places orders and changes prices and stock on the fake; the
// fake publishes the events Tiki would.
func makeChanges(ctx context.Context, srv *tikitest.Server, client *tiki.Client) error {
	for i := range 3 {
		_, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: fmt.Sprintf("Sách y khoa tập %d", i+1), Description: "<p>Sách y khoa</p>",
			MarketPrice: 150000, Attributes: map[string]any{"brand": "NXB Y học"},
			Image: "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsL.jpg", Images: []string{},
			OptionAttributes: []string{}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{{SKU: fmt.Sprintf("BOOK-%d", i+1), Price: 100000, SellerWarehouse: "919",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 10}}}},
		})
		if err != nil {
			return err
		}
	}
	for i := range 3 {
		order, err := srv.CreateOrder(tikitest.OrderSpec{})
		if err != nil {
			return err
		}
		if i == 0 {
			if err := srv.SetOrderStatus(order.Code, "canceled"); err != nil {
				return err
			}
		}
	}
	for i := range 3 {
		_, _, err := client.Products.Update(ctx, tiki.ProductUpdate{
			OriginalSKU:         fmt.Sprintf("BOOK-%d", i+1),
			Price:               tiki.Money(90000 + i*1000),
			WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 919, QtyAvailable: 5 + i}},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// consume runs a Consumer until the queue is empty, or, with crashAfter >
// 0, until it has handled that many events: then it stops in the middle of
// its batch, as a crashed process would.
func consume(ctx context.Context, client *tiki.Client, queue string, cp eventqueue.Checkpoint, handled map[string]int, crashAfter int) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	c, err := eventqueue.NewConsumer(client, queue,
		eventqueue.WithCheckpoint(cp),
		eventqueue.WithIdleWait(10*time.Millisecond, 50*time.Millisecond),
		eventqueue.WithOnBatch(func(_ context.Context, b eventqueue.BatchReport) {
			if b.Events == 0 {
				stop() // the queue is empty: this example is done
			}
		}),
		eventqueue.WithOnError(func(_ context.Context, err error) { fmt.Println("  error (retried):", err) }),
	)
	if err != nil {
		return err
	}
	n := 0
	seen := func(e *tiki.Event, what string) error {
		handled[e.ID]++
		again := ""
		if handled[e.ID] > 1 {
			again = " (again: its batch was not acknowledged before the crash)"
		}
		fmt.Printf("  %-28s seller %s: %s%s\n", e.Type, e.SID, what, again)
		if n++; crashAfter > 0 && n == crashAfter {
			fmt.Println("  -- crash --")
			stop()
		}
		return nil
	}
	c.OnOrderCreated(func(_ context.Context, e *tiki.OrderCreatedEvent) error {
		return seen(&e.Event, "order "+e.OrderCode+" placed")
	})
	c.OnOrderStatus(func(_ context.Context, e *tiki.OrderStatusUpdatedEvent) error {
		return seen(&e.Event, "order "+e.OrderCode+" is now "+string(e.Status))
	})
	c.OnPrice(func(_ context.Context, e *tiki.PriceUpdatedEvent) error {
		return seen(&e.Event, fmt.Sprintf("product %d price %d -> %d VND", e.ProductID, e.PriceFrom, e.PriceTo))
	})
	c.OnMarketPrice(func(_ context.Context, e *tiki.MarketPriceUpdatedEvent) error {
		return seen(&e.Event, fmt.Sprintf("product %d market price %d -> %d VND", e.ProductID, e.MarketPriceFrom, e.MarketPriceTo))
	})
	c.OnInventory(func(_ context.Context, e *tiki.InventoryUpdatedEvent) error {
		return seen(&e.Event, fmt.Sprintf("product %d in warehouse %d: sellable %d -> %d",
			e.ProductID, e.WarehouseID, e.QuantitySellableFrom, e.QuantitySellableTo))
	})
	c.OnUnknown(func(_ context.Context, e *tiki.Event) error {
		return seen(e, "not decoded by this SDK version: "+string(e.Payload))
	})
	return c.Run(ctx)
}
