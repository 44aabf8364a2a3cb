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
//   - [WriteOrder] is a [github.com/tikisdk/tiki.WriteOrder]: writes to one
//     product from every replica are sent one call at a time, in the order
//     they were made, retries and the settle period of a write in doubt
//     included. Pass it to [github.com/tikisdk/tiki.WithWriteOrder].
//   - [TokenStore] is a [github.com/tikisdk/tiki.TokenStore]: a public
//     app's replicas share every seller's token and renew it once between
//     them. Pass it to github.com/tikisdk/tiki/sellers' NewPool (or to
//     [github.com/tikisdk/tiki.WithOAuthApp]); it needs a Redis with
//     persistence (see [TokenStore]).
//
// It is a module of its own, so that the SDK does not bring a Redis client
// to programs that do not use one. It works with any
// [github.com/redis/go-redis/v9.UniversalClient]: a single server, Sentinel
// or Cluster (the keys a script uses together share a hash tag).
//
// # Redis keys
//
// The limiter keeps one key per budget, "rate:" + prefix + key, holding the
// GCRA "theoretical arrival time" and expiring once the budget is full again
// ("rate:" is added by github.com/go-redis/redis_rate, which runs the
// algorithm as a Lua script inside Redis). The dedupe store keeps one key per
// delivery, prefix + delivery key, expiring as the dedupe contract says. The
// lease of a queue is prefix+"{"+queue+"}:lease", with the last holder's
// record in prefix+"{"+queue+"}:holder" and the checkpoint in
// prefix+"{"+queue+"}:ack"; a product's write lock is
// prefix+"{"+key+"}:lock", with its record in prefix+"{"+key+"}:holder"
// (expiring a day after the product's last write); a seller's token is
// prefix+"{"+sellerID+"}:token", with its renewal lock in
// prefix+"{"+sellerID+"}:lock" and the lock's record in
// prefix+"{"+sellerID+"}:holder". The default prefixes are
// [DefaultLimiterPrefix], [DefaultDedupePrefix], [DefaultQueuePrefix],
// [DefaultWritePrefix] and [DefaultTokenPrefix].
//
// # When Redis cannot answer
//
// A [Limiter] does what its [LimiterConfig.OnRedisError] says, which must be
// chosen explicitly: [FailClosed] (Wait returns the error and no request is
// sent) or [FallbackLocal] (a local limiter paces the process, a warning is
// logged, Redis is tried again periodically). There is no unlimited mode.
// A [DedupeStore] returns the error; the receiver then answers 5xx without
// running the handler, and the sender delivers again later. A [Lease]
// holder gives the lease up two thirds of a TTL after its last successful
// renewal, a [WriteOrder] refuses to let a write be sent: the write fails
// at once (it does not wait for Redis), and a [TokenStore]'s renewals wait
// for Redis.
//
// # Constructors
//
// [NewLimiter], [NewDedupeStore], [NewCheckpoint], [NewLease],
// [NewWriteOrder] and [NewTokenStore] check their arguments without
// contacting Redis and report every problem in one
// [github.com/tikisdk/tiki.ValidationError], each named after its argument
// or option: a nil client, a nil option, a value out of range, and an
// option that does not apply to what is built ([WithLeaseTTL] given to
// NewCheckpoint).
//
// # Redis restarts and failovers
//
// [Lease] and [WriteOrder] (and a [TokenStore]'s renewal locks, taken the
// same way) stay exclusive when Redis forgets them: at most
// one holder acts at any moment across a restart without persistence, a
// restart with persistence, a failover to a replica that missed the last
// writes, and a partition or pause of one replica. Their tokens come from
// Redis's clock and the largest token Redis still knows of (the lease's
// also from the stored ack id's), so a forgotten token is never handed out
// again; a holder renews its lock only while the key holds its own token
// and random id, and gives the lock up two thirds of a TTL after its last
// successful renewal; and a new holder acts only once every earlier one has
// given up. Redis tells it when that is: at once after a release, at the
// expiry of the last holder's key, both as recorded in the current life of
// the server (its run_id and replication id, read with INFO inside the
// script); after a restart or a failover, or without a record, once a full
// TTL has passed since the server started (since the lock was taken, on a
// server promoted from replica). So after Redis loses its data the first
// holder of each lease or product waits up to one TTL. A [WriteOrder] adds
// its settle period ([WithWriteSettle]) to every wait for a holder that
// did not release its lock, for a write that holder may have had in
// flight.
//
// What a Redis without persistence cannot keep is state: after a restart
// the [Checkpoint] has no ack id (the consumer pulls without one, Tiki
// delivers the oldest unacknowledged batch again, and handlers run again
// for events handled before), a [DedupeStore] has forgotten every delivery
// (a redelivered webhook runs again), and a [Limiter]'s budget starts
// full. Nothing is lost and nothing runs twice at the same time; handlers
// must tolerate running again.
//
// What to configure:
//
//   - Persistence: appendonly yes with appendfsync always keeps every
//     acknowledged write; everysec may lose about a second of them on a
//     crash (a batch handled again, the lease and locks still exclusive).
//   - Replication: min-replicas-to-write 1 and a min-replicas-max-lag below
//     Sentinel's down-after-milliseconds, so that a master cut off from its
//     replicas stops accepting renewals before a replica is promoted; two
//     masters accepting writes at once would let two holders renew. The
//     package does not send WAIT: with these settings a lost write only
//     makes the next holder wait.
//   - Memory: maxmemory-policy noeviction, or memory enough that nothing is
//     evicted (the lease and lock keys carry TTLs, which volatile-* policies
//     evict first). Do not delete the keys, or FLUSHALL, while replicas run.
//   - The TTL, the same on every replica: a holder that cannot reach Redis
//     gives up after two thirds of it, a crashed holder is replaced within
//     it (plus the acquire interval), and after Redis lost its data the
//     next holder waits one more. Choose it longer than the Redis hiccups
//     that should not move the lease (a failover takes Sentinel's
//     down-after-milliseconds and an election) and longer than the pauses
//     a replica's process may take (a process paused beyond two thirds of
//     it resumes believing it holds the lock until it notices: the lease's
//     checkpoint saves are fenced, other side effects are not).
//   - INFO must be allowed in scripts (it is unless renamed): without it
//     every takeover waits a full TTL.
//
// # Clocks
//
// The lease, the write order and a token store's renewal locks rest on
// two clocks. Each replica measures
// its TTL with its own monotonic clock: it gives a lock up two thirds of a
// TTL after Redis last confirmed it, whatever the wall clock does. Redis
// expires the keys, and computes the tokens and the waits, with the wall
// clock of the host it runs on. Hence:
//
//   - The Redis host's clock must slew, never step: synchronise it with NTP
//     or chrony in slewing mode (chrony's makestep only at boot, ntpd with
//     -x). A forward step expires every lock and lease early, while their
//     holders still believe they hold them (their monotonic clocks did not
//     move): another replica can take them over and act beside them. A
//     backward step makes locks outlive their holders' give-up and keeps
//     tokens from growing with time (they still grow past the last token
//     Redis remembers).
//   - The clocks of the Redis servers (a master and the replicas that may
//     be promoted) must agree to within the time a failover takes: a
//     promoted replica whose clock is behind by more than that can hand out
//     a token smaller than one its former master handed out in the last
//     writes the replica never received, and a checkpoint save fenced by
//     the old token would then not be refused.
//   - The replicas' clocks only need to run at about the same rate as
//     Redis's: the third of a TTL between a holder giving up and its key
//     expiring absorbs drift and scheduling delays.
package redisstore
