package reconcile

import (
	"context"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/eventqueue"
)

// Follow makes consumer, an event-queue consumer of the seller's queue,
// hand its order events to Deliver: it sets the consumer's OnOrderCreated
// and OnOrderStatus handlers (replacing any set before) to deliver each
// event as DeliveryOf turns it, so that the backfill records what the
// live path delivered and hands out only what it lost. Call it before
// consumer.Run; set the consumer's other handlers (products) as usual.
//
// Each event is delivered with its CreatedAt as the delivery's At: an
// event older than what the handler already has (a late event, drained
// after the backfill or a newer event delivered the order's next status)
// is acknowledged without calling the handler. An ORDER_CREATED_SUCCESSFULLY
// event without a status is delivered by reading the order. A delivery
// whose handler fails, or that cannot be decided (the store or the order
// cannot be read), fails the event: the consumer does not acknowledge it
// and hands it out again (see eventqueue.Consumer.Run).
//
// To do more with an order event than deliver it, set the consumer's
// handlers yourself and call Deliver with DeliveryOf's delivery.
//
// A nil consumer is refused with a *tiki.ValidationError.
func (b *OrdersBackfill) Follow(consumer *eventqueue.Consumer) error {
	var v problems
	v.check(b != nil && b.passes != nil, "backfill", "must be made with NewOrdersBackfill")
	v.check(consumer != nil, "consumer", "must not be nil")
	if err := v.err(); err != nil {
		return err
	}
	consumer.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
		return b.deliverEvent(ctx, e)
	})
	consumer.OnOrderStatus(func(ctx context.Context, e *tiki.OrderStatusUpdatedEvent) error {
		return b.deliverEvent(ctx, e)
	})
	return nil
}

// deliverEvent delivers an order event through Deliver.
func (b *OrdersBackfill) deliverEvent(ctx context.Context, event any) error {
	d, _ := DeliveryOf(event)
	return b.Deliver(ctx, d)
}

// DeliveryOf turns an order event of Tiki's event queue into the delivery
// that Deliver takes: the order's code, the status the event carries, and
// the event's CreatedAt as At. ORDER_CREATED_SUCCESSFULLY often carries no
// status: Deliver then reads the order for it. It reports false for the
// other events (products) and an event without an order code, as
// ObservationOf does for orders.
func DeliveryOf(event any) (OrderDelivery, bool) {
	var d OrderDelivery
	switch e := event.(type) {
	case *tiki.OrderCreatedEvent:
		if e != nil {
			d = OrderDelivery{Code: e.OrderCode, Status: e.Status, At: e.CreatedAt.Time}
		}
	case *tiki.OrderStatusUpdatedEvent:
		if e != nil {
			d = OrderDelivery{Code: e.OrderCode, Status: e.Status, At: e.CreatedAt.Time}
		}
	}
	return d, d.Code != ""
}
