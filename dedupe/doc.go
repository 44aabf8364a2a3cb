// Package dedupe runs the handler of a message delivered at least once (a
// webhook delivery, an event-queue event) at most once while it succeeds,
// and reports the message as handled only after a run of its handler
// succeeded.
//
// A [Runner] claims a key naming the message in a [Store] before running
// the handler, then completes the key (the handler succeeded: later copies
// are [Duplicate]s and do not run it) or releases it (the handler failed:
// the next copy runs it again). A copy that arrives while the claim is held
// is [InProgress]: the run holding it may still fail, so the copy is
// neither run nor acknowledged. While the handler runs, the Runner renews
// its claim every third of the lease (a Claim with the run's own token), so
// the lease bounds how long a crashed process holds a message back, not how
// long a handler may run.
//
// [MemoryStore] is the store of a single process (its zero value is ready
// to use); it never forgets a running claim to make room, and reports
// [ErrFull] instead. Several replicas share one store (the redisstore
// module's DedupeStore keeps it in Redis). The webhook receivers (packages
// tikinow, ikitech and ginee, through package webhook), the event-queue
// consumer (package eventqueue) and package sellers' onboarding, which
// accepts each consent's state once, all use this package.
//
// Deduplication narrows duplicates down; it cannot remove them entirely (a
// process can die after the handler's side effects and before the key is
// completed; a store that loses its keys forgets which messages were
// handled). Handlers should still be idempotent where they can.
package dedupe
