// Package redisstore shares the state that must be shared when a seller's
// backend runs as several replicas, through Redis:
//
//   - [Limiter] is a [github.com/tikisdk/tiki.Limiter] whose budget lives in
//     Redis, so that every replica's client draws on one budget per seller
//     (Tiki's limit of 200 requests per second is per seller, not per
//     process). Pass it to [github.com/tikisdk/tiki.WithLimiter].
//   - [DedupeStore] is a [github.com/tikisdk/tiki/dedupe.Store], so
//     that a webhook delivery that reaches two replicas is handled once, and
//     an event-queue event once across the replicas consuming its queue.
//     Pass it to every receiver ([github.com/tikisdk/tiki/tikinow.NewReceiver],
//     [github.com/tikisdk/tiki/ikitech.NewReceiver],
//     [github.com/tikisdk/tiki/ginee.NewReceiver]) with
//     [github.com/tikisdk/tiki/webhook.WithDedupe], and to
//     [github.com/tikisdk/tiki/eventqueue.WithDedupe].
//   - [Lease] and [Checkpoint] are the [github.com/tikisdk/tiki/eventqueue.Lease]
//     and [github.com/tikisdk/tiki/eventqueue.FencedCheckpoint] of replicas
//     consuming one event queue: one replica pulls at a time, and a replica
//     that lost the lease cannot save an ack id.
//
// It is a module of its own, so that the SDK does not bring a Redis client
// to programs that do not use one. It works with any
// [github.com/redis/go-redis/v9.UniversalClient]: a single server, Sentinel
// or Cluster (each key is used on its own, so Cluster needs no hash tags).
//
// # Redis keys
//
// The limiter keeps one key per budget, "rate:" + prefix + key, holding the
// GCRA "theoretical arrival time" and expiring once the budget is full again
// ("rate:" is added by github.com/go-redis/redis_rate, which runs the
// algorithm as a Lua script inside Redis). The dedupe store keeps one key per
// delivery, prefix + delivery key, expiring as the dedupe contract says. The
// default prefixes are [DefaultLimiterPrefix] and [DefaultDedupePrefix].
//
// # When Redis cannot answer
//
// A [Limiter] does what its [LimiterConfig.OnRedisError] says, which must be
// chosen explicitly: [FailClosed] (Wait returns the error and no request is
// sent) or [FallbackLocal] (a local limiter paces the process, a warning is
// logged, Redis is tried again periodically). There is no unlimited mode.
// A [DedupeStore] returns the error; the receiver then answers 5xx without
// running the handler, and the sender delivers again later.
package redisstore
