// Package webhook holds the plumbing shared by the SDK's webhook receivers
// (IKITECH, Ginee and Tiki's own TikiNOW deliveries): reading a request body
// through a size limit, authenticating it, deduplicating at-least-once
// deliveries and writing a JSON reply.
//
// Most users meet this package through the options every receiver takes
// ([github.com/tikisdk/tiki/ikitech.NewReceiver],
// [github.com/tikisdk/tiki/ginee.NewReceiver],
// [github.com/tikisdk/tiki.NewWebhookReceiver]): [WithMaxBodyBytes],
// [WithOnError], [WithDedupeTTL] and [WithDedupe], which can give a receiver
// a [DedupeStore] shared by several instances of their service (for example
// one backed by Redis) in place of the default [MemoryDedupe].
//
// # Delivery semantics
//
// Webhook senders deliver at least once: they retry until they get a 2xx
// answer, so the same notification can arrive twice, or twice at the same
// time. A receiver therefore runs every delivery through a [Deduper], which
// claims a key identifying the delivery in a [DedupeStore] before calling the
// user's handler, then either completes the key (the handler succeeded: later
// copies are acknowledged without running it) or releases it (the handler
// failed: the receiver answers 5xx and the sender's next attempt runs the
// handler again).
//
// Deduplication narrows duplicates down; it cannot remove them entirely (a
// process can die after the handler's side effects and before the key is
// completed). Handlers should still be idempotent where they can.
//
// # Errors
//
// The receivers report every problem they meet wrapped around one of the
// sentinel errors of this package ([ErrUnauthorized], [ErrMethodNotAllowed],
// [ErrBodyTooLarge], [ErrMalformedPayload], [ErrHandlerFailed],
// [ErrDedupeStore]); test them with [errors.Is].
package webhook
