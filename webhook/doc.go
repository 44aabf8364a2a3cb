// Package webhook holds the plumbing shared by the SDK's webhook receivers
// (IKITECH, Ginee and Tiki's own TikiNOW deliveries): reading a request body
// through a size limit, authenticating it, deduplicating at-least-once
// deliveries and writing a JSON reply.
//
// Most users meet this package through the options every receiver takes
// ([github.com/tikisdk/tiki/tikinow.NewReceiver],
// [github.com/tikisdk/tiki/ikitech.NewReceiver],
// [github.com/tikisdk/tiki/ginee.NewReceiver]): [WithMaxBodyBytes],
// [WithBodyTimeout], [WithOnError], [WithDedupeTTL] and [WithDedupe], which
// can give a receiver a [dedupe.Store] shared by several instances of their
// service (for example one backed by Redis) in place of the default
// [dedupe.MemoryStore]. A constructor applies every option and reports the
// problems of all the invalid ones, and of its own arguments, in one
// [*tiki.ValidationError].
//
// # Delivery semantics
//
// Webhook senders deliver at least once: they retry until they get a 2xx
// answer, so the same notification can arrive twice, or twice at the same
// time. A receiver therefore runs every delivery through a [dedupe.Runner], which
// claims a key identifying the delivery in a [dedupe.Store] before calling the
// user's handler, then either completes the key (the handler succeeded: later
// copies are acknowledged without running it) or releases it (the handler
// failed: the receiver answers 5xx and the sender's next attempt runs the
// handler again). A copy that arrives while the claim is held is answered
// 503: the run holding it may still fail. A delivery that finds the store
// full of running claims ([dedupe.ErrFull]) is answered 503 too: a running
// claim is never forgotten to make room, so nothing runs twice at once.
//
// The guarantee: a delivery is answered 2xx only after a run of its handler
// for that delivery returned nil, in this process or in another sharing the
// store. A lost store reply, a store that cannot be reached, a crash or a
// timeout make the receiver answer 5xx (or not answer), never 2xx. A
// delivery without a handler, of a documented kind or of a kind the
// receiver does not know (without its OnUnknown handler), is answered 501
// ([ErrNoHandler]): a delivery is dropped only when the caller registered
// a handler that drops it, such as [Ignore].
//
// Every error is reported to the function set with [WithOnError], or
// logged through slog.Default() without one.
//
// Deduplication narrows duplicates down; it cannot remove them entirely (a
// process can die after the handler's side effects and before the key is
// completed; a store that loses its keys, such as a Redis restarted without
// persistence, forgets which deliveries were handled). Handlers should still
// be idempotent where they can.
//
// # Errors
//
// The receivers report every problem they meet wrapped around one of the
// sentinel errors of this package ([ErrUnauthorized], [ErrMethodNotAllowed],
// [ErrBodyTooLarge], [ErrBodyTimeout], [ErrMalformedPayload], [ErrNoHandler],
// [dedupe.ErrInProgress], [dedupe.ErrHandlerFailed], [dedupe.ErrStore]); test
// them with [errors.Is].
package webhook
