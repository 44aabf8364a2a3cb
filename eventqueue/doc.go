// Package eventqueue runs the consumer of a Tiki event queue: the loop that
// pulls a queue through [tiki.EventQueueService.Pull] for months and hands
// each event, in order, to the handler registered for its type.
//
//	consumer, err := eventqueue.NewConsumer(client, queueCode,
//		eventqueue.WithCheckpoint(cp), // eventqueue.NewFileCheckpoint, or redisstore
//	)
//	if err != nil {
//		return err
//	}
//	consumer.OnOrderCreated(func(ctx context.Context, e *tiki.OrderCreatedEvent) error {
//		return orders.Import(ctx, e.SID, e.OrderCode) // an error: the event comes again
//	})
//	return consumer.Run(ctx) // nil once ctx ends
//
// # Delivery guarantee
//
// At least once, in order. For each batch the [Consumer]:
//
//  1. pulls with the ack id of the last batch it handled completely (the
//     [Checkpoint]'s, when it starts), which acknowledges that batch;
//  2. hands the batch's events to their handlers one at a time, oldest
//     first;
//  3. saves the batch's ack id in the Checkpoint only once every event of
//     the batch was handled, and pulls with it next. [WithOnBatch] hears of
//     a batch only after its ack id was saved.
//
// An event that fails stops the batch (a [*HandlerError] through
// [WithOnError] and the log): the rest of it is not handed out, the ack id
// is not saved, and after a capped, jittered backoff ([WithBackoff]) the
// Consumer pulls again with the previous ack id, so Tiki delivers the same
// events again, starting with the one that failed. A save of the ack id
// that fails takes the same path. A crash, or a stop through the context,
// at any moment leaves the last saved ack id, so no event is acknowledged
// before it was handled.
//
// # No event is dropped by default
//
// Every event is either handed to a handler or acknowledged because the
// caller said so:
//
//   - A typed handler (OnOrderCreated, OnOrderStatus, OnPrice,
//     OnMarketPrice, OnInventory) takes the events of its type; OnUnknown
//     takes events of a type or payload version this package does not
//     decode; OnMalformed takes events of a documented type that do not
//     decode.
//   - Otherwise an event whose type is ignored ([WithIgnore], which takes
//     any type Tiki sends, one this package does not know included), or
//     that this package does not decode while [WithIgnoreUnknown] is set,
//     is acknowledged without a handler (counted in [BatchReport].Ignored).
//   - Otherwise the catch-all OnEvent, when set, takes it raw.
//   - Otherwise the event is not acknowledged: its batch stops with a
//     *HandlerError wrapping [ErrNoHandler], reported and retried with
//     backoff until a handler is registered or the type is ignored.
//
// A malformed event of a type that has a typed handler, without
// OnMalformed, stops its batch too (the *HandlerError wraps the
// *tiki.EventDecodeError): it is never acknowledged unseen. Run refuses to
// start (a *tiki.ValidationError) when no handler is registered at all.
//
// # Duplicates
//
// Before handing an event out, the Consumer claims its id in a
// [dedupe.Store] (a [dedupe.MemoryStore] of its own unless [WithDedupe]
// gives one, such as the redisstore module's DedupeStore shared by
// replicas), following the store's claim, complete and release contract:
//
//   - a claim that finds the event completed means it was handled already:
//     it is not handed out again but reported as a duplicate
//     ([WithOnDuplicate], and the log), and acknowledged with its batch;
//   - a claim that finds the event claimed by another run (another
//     replica, or one that lost its lease while its handler still runs)
//     stops the batch without acknowledging it (a *HandlerError wrapping
//     [dedupe.ErrInProgress]); the Consumer pulls again after a backoff,
//     by when that run has completed the event (a duplicate) or released
//     it (it is handed out);
//   - a handler that fails releases its claim, so that the redelivery runs
//     it again; one that succeeds completes it.
//
// A claim lasts twice the handler time limit ([WithHandlerTimeout]) and is
// renewed every third of that while its handler runs, however long it
// runs; the claim of a process that died in the middle of a handler is not
// renewed, and holds the queue back for at most twice the limit. A
// completed event is remembered for [DedupeRetention], Tiki's seven-day
// redelivery window. In the common case of a failing handler this makes
// delivery exactly once; after a crash between a handler's success and the
// completion of its claim, or with a store that forgot (the default
// in-memory store after a restart), a handled event may come again, so
// handlers should still tolerate a repeat (an order imported by its code, a
// stock level set rather than added).
//
// # Checkpoints
//
// [NewFileCheckpoint] keeps one small JSON file per queue, written
// atomically; [NewMemoryCheckpoint] is for tests; the redisstore module
// shares one between replicas. A checkpoint that cannot be trusted (a file
// holding nothing, "{" or garbage, or another queue's ack id) makes Run
// return at once with an error matching [ErrCorruptCheckpoint] that names
// the file: the Consumer never guesses. Deleting the file (or the Redis
// key) is then safe: the Consumer pulls without an ack id, which
// acknowledges nothing, and Tiki delivers its oldest unacknowledged batch
// again. A dedupe store that outlived the checkpoint (the redisstore
// module's, shared by replicas) recognises the events of that batch that
// were handled already; with the default in-memory store of a restarted
// process, they are handed out again.
//
// # Failures are visible
//
// Failures that waiting can mend (Tiki unavailable, a handler error, an
// event without a handler, a checkpoint or dedupe store that does not
// answer) are retried for as long as they last, and each one is logged at
// Warn with the count of consecutive failures, through slog.Default()
// unless [WithLogger] gives a logger, and passed to [WithOnError]. Run does
// not give up after a number of failures: Tiki keeps unacknowledged events
// for seven days, and a restarted process would meet the same failure;
// alert on the log or on WithOnError instead. Run returns only what
// waiting cannot mend: credentials refused (401, 403), the queue not found,
// an invalid argument, a corrupt checkpoint.
//
// # Handler time limit
//
// A handler's context ends after the handler time limit
// ([DefaultHandlerTimeout] unless [WithHandlerTimeout] sets it). A handler
// that still has not returned is reported as a [*HandlerTimeoutError], at
// Error level, again each time the limit passes while it runs; the
// Consumer waits for it and acknowledges nothing past it.
//
// # Scale-out and fencing
//
// Several replicas may run a Consumer for the same queue with a [Lease]
// ([WithLease]) and a [FencedCheckpoint] shared by them (the redisstore
// module provides both, and a shared dedupe store): one replica pulls at a
// time, and a replica that lost its lease never saves an ack id. The
// Consumer checks its hold before each pull and each event it hands out; a
// hold lost before it saved a batch counts as one more failure in a row,
// so the Consumer waits the failure backoff ([WithBackoff]) before it tries
// to take the lease again.
//
// A Consumer keeps its lease while a handler of its batch runs: it releases
// the lease only once no handler runs, and its hold is renewed meanwhile.
// When the hold is lost (it could not be renewed in time, or another
// replica took the lease over), the handler's context ends, nothing more of
// the batch is handed out and its ack id is not saved: the replica that
// takes over receives the batch again. A handler that ignores its context
// and goes on after its lease was lost may run at the same time as the new
// holder's: what it may rely on then is only the fencing token. [Fence]
// returns it from the handler's context (and [BatchReport].Fence carries
// it); every later holder's token is larger, as long as the Lease keeps
// that promise of [LeaseHold].Token (the redisstore module's does), so a
// handler that stores the token beside its own writes, and refuses a write
// whose token is smaller than the stored one, cannot overwrite the work of
// the replica that took over. With a dedupe store shared by the replicas,
// the event's claim, renewed while the handler runs, also keeps the new
// holder from running the same event while such a handler runs.
//
// # Several sellers
//
// A public app's queue holds the events of every seller subscribed to it;
// each event carries the seller's id (tiki.Event.SID, also on every typed
// event), so a handler can tell sellers apart.
package eventqueue
