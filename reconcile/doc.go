// Package reconcile keeps a seller's stock, prices and status on Tiki equal
// to the seller's own books (an ERP, a warehouse system, a spreadsheet),
// and reports what it found and did.
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
// Tiki. Tiki's product events keep it fresh between audits: hand each
// PRODUCT_PRICE_UPDATED and PRODUCT_INVENTORY_UPDATED event of the event
// queue to [ObservationOf] and [Engine.Observe] (an event-queue handler
// does it in two lines). An order's event names no product: read the order
// and Observe its products as Stale, or leave their reservations to the
// inventory events Tiki sends with them.
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
// ([ManagedByTiki]), a price change beyond the guard ([PriceGuard]). Those
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
// ([Entry.MarshalBinary]), so that a shared store implements it in a few
// lines (the redisstore module keeps entries in Redis, one key per item).
//
// Several replicas that write the same items share such a State and a
// [Guard] (a lease per item key with fencing, as redisstore's leases give
// it): the engine holds an item's guard from loading its entry to saving
// the outcome of its write, so versions are compared under the lock and
// there is one writer per item across replicas. A guard whose hold lapses
// ends the context it returned, which stops the engine's write in flight;
// route the writes through the client's cross-process write order too, so
// that a retry of a lapsed holder cannot land after the next holder's
// write.
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
package reconcile
