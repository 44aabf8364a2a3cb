// Package reconcile keeps Tiki and the seller's own systems in step, as
// library calls built on the client's page walks, batch writes and the
// event queue.
//
// # Order completeness
//
// Tiki tells a seller about new orders and status changes through the
// event queue (ORDER_CREATED_SUCCESSFULLY, ORDER_STATUS_UPDATED) and the
// TikiNOW order webhook, and either can lose a message. An [OrdersBackfill]
// makes sure that every order Tiki has reaches the seller's order handler
// anyway: it walks the order list (client.Orders, Order API v2) by update
// time, compares each order in its current status with what was already
// delivered, and hands the missed ones to the same [OrderHandler] the live
// path calls. The report of each pass lists the orders that arrived only
// through the backfill: the events and webhooks that were lost.
//
//	store, err := reconcile.NewFileDeliveredStore("/var/lib/shop/tiki-orders.log", 0)
//	backfill, err := reconcile.NewOrdersBackfill(client, store, handleOrder, reconcile.OrdersOptions{})
//
//	// The live path hands its orders over through the backfill, which
//	// records them, so that the backfill does not hand them out again.
//	consumer.OnOrderStatus(func(ctx context.Context, ev *tiki.OrderStatusUpdatedEvent) error {
//		return backfill.Deliver(ctx, reconcile.OrderDelivery{Code: ev.OrderCode, Status: ev.Status})
//	})
//	go backfill.Run(ctx) // a pass every OrdersOptions.Interval
//
// What it promises, and what it asks of the caller:
//
//   - Delivered: an order code in a status ([OrderKey]) is delivered once
//     the handler was called with it and returned nil, and the
//     [DeliveredStore] recorded it. A handler that fails or panics leaves
//     the order undelivered: it is reported ([OrderDeliveryError]) and
//     handed out again by the next pass (see [OrdersBackfill.Once]).
//   - The backfill sees each order in its current status only: a status an
//     order left before a pass read it is not handed out (a handler takes a
//     delivery as "the order is now in this status", not as a transition).
//   - Live deliveries go through [OrdersBackfill.Deliver], or are recorded
//     with [DeliveredStore.MarkDelivered] after the caller's own handler
//     succeeded. A TikiNOW webhook is delivered by its order code alone
//     (its main_state is not the order API's status): Deliver reads the
//     order's status.
//   - The checkpoint lives in the [DeliveredStore], beside the deliveries:
//     the update time up to which every order was handed out successfully.
//     It moves only once every window before it is complete, so a restart
//     resumes without skipping anything.
//   - Periodic runs: [OrdersBackfill.Run] for a long-running service,
//     [OrdersBackfill.Once] for a job the caller schedules (cron), and
//     [OrdersBackfill.Range] for an explicit period.
//   - One backfill runs per seller at a time, over one store per seller.
//     Two processes running it at once hand the same missed order out
//     twice (each counting it as lost), and nothing worse.
//   - Delivery is at least once: a handler can see an order in a status
//     twice (the live path and the backfill in two processes at once, a
//     record lost with its store) and must be idempotent by order code and
//     status, as it must be for the event queue and webhooks anyway.
//     Within one process, the same order and status is never handed to
//     two handler calls at once, and not again while the store remembers
//     it delivered.
package reconcile
