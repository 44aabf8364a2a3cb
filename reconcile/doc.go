// Package reconcile keeps Tiki and the seller's own systems in step: the
// seller's stock, prices and status on Tiki equal to the seller's own books
// (an ERP, a warehouse system, a spreadsheet), with a report of what it
// found and did, and every order Tiki has handed to the seller's order
// handler, even when its event or webhook was lost (see Order completeness
// below).
//
// An [Engine] compares the books (the desired state) with Tiki (the actual
// state) and writes the difference with the client's batch updates, at
// Tiki's rate limit, with every item's outcome exact:
//
//	eng, err := reconcile.New(client, reconcile.Options{Warehouses: []int64{919, 903}})
//	plan, err := eng.Plan(ctx, books)  // a dry run: reads Tiki, writes nothing
//	report, err := eng.Apply(ctx, plan) // writes the plan
//	report, err := eng.Sync(ctx, books) // both, in one run
//	err = eng.Set(item)                 // one change of the books, at any time
//	go eng.Run(ctx)                     // writes the Sets, a Window after each
//	report, err = eng.Flush(stopCtx)    // on the way out, once Run returned: the last Sets
//
// # Desired state: the books
//
// The books are [Item]s: a product named by the seller's SKU (Tiki's
// original_sku) or Tiki's product id, with its quantity per seller
// warehouse, its price and whether it is on sale; a field left unset is
// not managed. They come as a full snapshot (an iter.Seq2 of items, read
// whole and checked before Tiki is read: a bad item is a
// *tiki.ValidationError and nothing is sent) or as changes ([Engine.Set]).
//
// # Actual state: Tiki
//
// A plan walks the seller's products with their stock per warehouse
// (client.Products.All, 100 a page, 64 pages requested ahead, at the
// client's rate limit). What the engine sees there, and what it writes, is kept per
// item in its [State], so that a Set is compared with it without reading
// Tiki. Tiki's product events keep it fresh between audits: an
// event-queue consumer hands them to the engine in two lines,
//
//	consumer.OnPrice(eng.ObservePrice)         // PRODUCT_PRICE_UPDATED
//	consumer.OnInventory(eng.ObserveInventory) // PRODUCT_INVENTORY_UPDATED
//
// ([ObservationOf] and [Engine.Observe] do the same for events from
// elsewhere, a webhook). A Seller Center edit seen that way is compared
// with the books at the item's next Set, reported as drift and corrected,
// without reading Tiki. An observation never writes by itself: a drop of
// quantity_available is as often an order shipping (which the books follow)
// as an edit; the books' next value, or the next audit, decides. An order's
// event names no product: read the order and Observe its products as
// Stale, or leave their reservations to the inventory events Tiki sends
// with them.
//
// # Plan, apply, report
//
// A [Plan] says, per item, what would change and why ([Change]: the field,
// the warehouse, Tiki's value before, the value after, the policy that
// shaped it, and whether Tiki's value is drift: not what the engine last
// pushed), and what cannot be reconciled ([Problem]): a SKU the books have
// and Tiki does not ([NotOnTiki]), a product on Tiki the books do not know
// ([NotInBooks]), a warehouse that is not one of the seller's
// ([UnknownWarehouse]), a product Tiki lets sell when out of stock
// ([SellsWhenOutOfStock]), a product in Tiki's own warehouses
// ([ManagedByTiki]), a product whose stock Tiki's answer left out
// ([StockNotReported]), a price change beyond the guard ([PriceGuard]). Those
// are reported, never written, and never copied into the books.
//
// [Engine.Apply] sends the changes in batch calls (up to 20 items a call,
// many calls in flight) and returns a [Report]: counts of the items in
// step, changed, drifted, not reconcilable, failed and superseded, and a
// line per field, as a table ([Report.WriteTable]), CSV ([Report.WriteCSV])
// or JSON. Options.OnReport receives the report of every run. Stock edited
// behind the engine's back (in Seller Center) is found by the next audit,
// reported as drift in the plan that Options.OnPlan receives before
// anything is written, and then corrected.
//
// # Policies
//
// Each is optional, and checked by [New]. For a warehouse where the books
// hold q units:
//
//   - Buffer holds back the larger of Buffer.Units and Buffer.Percent of q
//     (rounded up). Units 2, Percent 10: 50 gives 45, 12 gives 10, 1
//     gives 0.
//   - Floor sends 0 when what is left is below it. Floor 3: 2 gives 0, 3
//     gives 3. With Buffer.Units 2 and Floor 3, 4 gives 0.
//   - Tiki never gets more than the books hold: the policies only take
//     units away (the units that ReservedTakenOff adds back are units Tiki
//     itself holds for orders).
//   - MaxPriceChange refuses a price change of more than that percent of
//     Tiki's price, unless Item.AllowPriceChange. 50: Tiki at 200,000
//     accepts 100,000 to 300,000; 20,000 (a zero dropped) is refused and
//     reported.
//   - Reserved says how the books count units that Tiki holds for open
//     orders, so that they are neither sold twice nor held twice. Tiki
//     sells quantity_available − quantity_reserved, and the engine sets
//     quantity_available. With [ReservedInQuantity] (the default) the books
//     still count the units of orders not yet shipped: 10 in the books, a
//     Tiki order of 2, Tiki keeps 10 available and sells 8; when the order
//     ships both sides say 8. With [ReservedTakenOff] the books take an
//     order off when they import it and say, in Item.Reserved, how many of
//     the units they took off Tiki still holds: 10 in the warehouse, an
//     imported order of 2 and one of 1 not imported yet (Tiki reserves 3);
//     the books say 8, reserved 2; the engine sets 8 + 2 = 10 and Tiki
//     sells 10 − 3 = 7, what is really free.
//
// # Coalescing and order
//
// The Sets of one item within Options.Window become one write of the
// latest value: 1,000 Sets of one SKU within a window are one item of one
// batch call. A Set reaches Tiki a window plus one call after it came.
// Every value carries a version (Item.Version, or the engine's clock when
// it has none); a value older than one the engine holds or has written is
// dropped, never written after the newer one: a Set that came after a
// snapshot was read wins over the snapshot, and a stale Set loses to it.
// The engine compares versions and writes while it holds the item's
// [Guard], and records the write in the State before it lets go.
//
// # State, restarts and replicas
//
// The [State] keeps per item what the engine last pushed and last saw
// (an [Entry]). [MemoryState] keeps it in the process; [FileState] in a
// file, so that a restarted engine resumes without writing everything again
// and still tells drift from the books' changes. The interface is two
// calls, Load and Save of entries by key, with a compact encoding
// ([Entry.MarshalBinary]), so that a shared store (Redis, a database)
// implements it in a few lines, one key per item.
//
// Several replicas that write the same items share such a State and a
// [Guard] (a fenced lease per item key): the redisstore module's
// ReconcileState and ReconcileGuard. The engine holds an item's guard from
// loading its entry to saving the outcome of its write, so versions are
// compared under the lock and there is one writer per item across
// replicas. A guard whose hold lapses ends the context it returned, which
// stops the engine's write in flight; route the writes through the
// client's cross-process write order too (redisstore.WriteOrder), so that a
// retry of a lapsed holder cannot land after the next holder's write.
//
// A write whose outcome is unknown (its answer was lost: Tiki may have
// applied it) counts as written for the versions: no older value of the
// item is written after it, and the engine reads the product again before
// its next write of it.
//
// # Options and bad input
//
// [New] and [NewOrdersBackfill] take their settings in a struct
// ([Options], [OrdersOptions]) whose zero value is the default of every
// field; each field says its default and its bounds (DefaultWindow,
// DefaultOrdersLag, MaxOrdersConcurrency, ...). Every problem of a call's
// arguments, options or books is reported in one *tiki.ValidationError
// before anything is sent, each named as the caller wrote it
// ("Options.Window", "OrdersOptions.Lag", "books[3].Quantities[919]",
// "Item.SKU") and saying what is accepted and the value given; a nil
// context matches tiki.ErrNilContext. An Engine or OrdersBackfill not made
// by its constructor is refused the same way.
//
// # When to use it
//
// Plain batch writes (client.Products.UpdateBatch) are enough when Tiki is
// the only place the numbers change and the seller pushes them one way:
// the write sets absolute values and reports every item. Use the engine
// when the books and Tiki can disagree: orders arrive on Tiki between
// pushes, someone edits Seller Center, products come and go on either side,
// changes arrive faster than they should be written, a push must never
// carry a stale value, or the job must say what it found before it fixes
// it.
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
//	err = backfill.Follow(consumer) // the event-queue consumer's order events
//	go backfill.Run(ctx)            // a pass every OrdersOptions.Interval
//
// What it promises, and what it asks of the caller:
//
//   - Delivered: an order code in a status as of a time ([OrderKey]) is
//     delivered once the handler was called with it and returned nil, and
//     the [DeliveredStore] recorded it as the order's latest delivery. A
//     handler that fails or panics leaves the order undelivered: it is
//     reported ([OrderDeliveryError]) and handed out again by the next
//     pass (see [OrdersBackfill.Once]); after OrdersOptions.ParkAfter
//     failed passes the order is parked, so that the checkpoint moves on,
//     and retried by every pass ([OrdersBackfill.Parked]).
//   - Newest last: a delivery older than the order's latest one (a late
//     event) is not handed out, so the handler's last word on an order is
//     its newest status whatever order the paths bring them in.
//   - The backfill sees each order in its current status only: a status an
//     order left before a pass read it is not handed out (a handler takes a
//     delivery as "the order is now in this status", not as a transition).
//   - Live deliveries go through [OrdersBackfill.Deliver] (which
//     [OrdersBackfill.Follow] wires to an event-queue consumer), or are recorded
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
