package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/tikisdk/tiki"
)

// DefaultLimiterPrefix is the namespace of a [Limiter]'s Redis key unless
// [LimiterConfig.KeyPrefix] is set.
const DefaultLimiterPrefix = "tiki:ratelimit:"

// DefaultRecheckInterval is how often a [Limiter] in [FallbackLocal] mode
// tries Redis again during an outage unless [LimiterConfig.RecheckInterval]
// is set.
const DefaultRecheckInterval = time.Second

// FailureMode tells a [Limiter] what to do when Redis cannot answer
// (unreachable, timed out, or answering an error). There is deliberately no
// mode that lets requests through unlimited, and no default: the zero value
// is refused by [NewLimiter].
type FailureMode int

const (
	// FailClosed makes Wait return an error wrapping Redis's error while
	// Redis cannot answer, so the call fails and nothing is sent to Tiki.
	// Within a process one Wait at a time asks Redis; when that request
	// fails, every Wait queued behind it fails at once with the same error,
	// so that each caller pays at most one Redis timeout (the time the Redis
	// client takes to give up) from the moment the outage reaches it, even
	// when Redis hangs instead of refusing connections. The next Wait asks
	// Redis again; the first one that gets an answer is paced by the shared
	// budget as usual. Choose it when exceeding the seller's limit is worse
	// than failing calls.
	FailClosed FailureMode = iota + 1

	// FallbackLocal paces the process with a local token bucket
	// (golang.org/x/time/rate) while Redis cannot answer: at
	// [LimiterConfig.FallbackFraction] of the rate, with the burst scaled
	// by the same fraction (at least 1). The Wait that finds Redis
	// unreachable logs one warning for the outage and waits on the local
	// limiter, as do the Waits after it; the local bucket starts empty, as
	// the shared budget may just have been spent. Once per
	// [LimiterConfig.RecheckInterval] one Wait tries Redis again (a PING,
	// while the others go on locally); when Redis answers, the requests the
	// local limiter let through in the last moments (the tokens missing
	// from its bucket) are charged to the shared budget, the outage ends
	// (logged at info level) and every later Wait returns to the shared
	// budget. Local waits are taken one at a time, so none is left queued
	// on the local limiter to be released beside the shared budget: a
	// process never goes faster than the configured rate and burst across
	// an outage and its end. Choose it when calls must go on, at a safe
	// rate, while Redis is down.
	//
	// An outage is noticed when a request to Redis fails, which takes as
	// long as the Redis client needs to give up (dial and read timeouts,
	// retries); the Waits queued meanwhile then go on locally. A Wait whose
	// ctx ends first returns ctx's error and does not count as an outage:
	// keep the client's timeouts shorter than the deadlines of the calls.
	FallbackLocal
)

// String returns the mode's name, such as "FailClosed".
func (m FailureMode) String() string {
	switch m {
	case FailClosed:
		return "FailClosed"
	case FallbackLocal:
		return "FallbackLocal"
	default:
		return fmt.Sprintf("FailureMode(%d)", int(m))
	}
}

// LimiterConfig configures a [Limiter]. Key, PerSecond and OnRedisError are
// required.
//
// Every Limiter that shares a budget (same Redis, KeyPrefix and Key) must be
// given the same PerSecond and Burst: Redis keeps only the budget's state,
// each Limiter brings the rule.
type LimiterConfig struct {
	// Key names the budget, typically the seller's id. Limiters with the
	// same Key share one budget; use one Key per seller.
	Key string

	// PerSecond is the shared rate, in requests per second across every
	// process, for example tiki.DefaultRateLimit. It must be positive and
	// at most one million.
	PerSecond float64

	// Burst is how many requests may be sent at once after the budget was
	// idle, across every process. Zero means max(1, PerSecond/10), the
	// SDK's own default; 1 spaces every request by 1/PerSecond.
	Burst int

	// OnRedisError is what Wait does when Redis cannot answer: FailClosed
	// or FallbackLocal. It must be set.
	OnRedisError FailureMode

	// FallbackFraction is the share of PerSecond (and Burst) the local
	// limiter of FallbackLocal allows, in (0, 1]; zero means 1. With N
	// replicas that may all lose Redis at once, 1/N keeps the seller under
	// the limit. Ignored with FailClosed.
	FallbackFraction float64

	// RecheckInterval is how often, during an outage, one Wait tries Redis
	// again (FallbackLocal only); zero means DefaultRecheckInterval. That
	// Wait may take as long as the Redis client needs to fail (its dial and
	// read timeouts, and retries): keep them short for a limiter. The
	// other Waits do not wait for it.
	RecheckInterval time.Duration

	// Logger receives a warning when an outage starts and an info record
	// when it ends (FallbackLocal only). Nil means slog.Default().
	Logger *slog.Logger

	// KeyPrefix namespaces the Redis key, which is "rate:" + KeyPrefix +
	// Key. Empty means DefaultLimiterPrefix.
	KeyPrefix string
}

// Limiter is a [tiki.Limiter] whose budget is kept in Redis and shared by
// every Limiter with the same key, in any number of processes. It runs the
// generic cell rate algorithm (GCRA) atomically in Redis, with Redis's
// clock, through github.com/go-redis/redis_rate.
//
// Wait waits, it never rejects: when the budget is spent, Redis reports how
// long until the next request may go, and Wait sleeps that long (ending
// early when ctx ends) before asking again. Redis alone decides, on its
// own clock, so a request is never let through early whatever the clocks
// of the replicas say. Within one process a single Wait at a time asks
// Redis; the others queue behind it, so a process makes two or three Redis
// round trips per request however many goroutines wait, not one per
// waiting goroutine. A ctx deadline that the known wait would pass returns
// an error wrapping [context.DeadlineExceeded] at once.
//
// GCRA counts a request from the moment it reaches Redis: time between the
// moment the budget allowed it and that moment is lost from the budget.
// With a burst above 1 the budget runs ahead and nothing is lost while
// requests keep coming; with a burst of 1 every request can lose that
// lateness. Wait therefore sets its timer one round trip early and lets
// the round trip itself wait out the rest. What is left (timer and
// scheduling delays) makes the achieved rate slightly lower than the
// configured one, never higher: see docs/performance.md in the repository for
// measured figures.
//
// When Redis cannot answer, Wait does what [LimiterConfig.OnRedisError]
// says (see [FailureMode]). Any error from Wait other than ctx's is such a
// failure and wraps the Redis client's error.
//
// Create a Limiter with [NewLimiter]; it is safe for concurrent use. Share
// one Limiter between the clients of a process that use the same seller.
type Limiter struct {
	rdb      redis.UniversalClient
	gcra     *redis_rate.Limiter
	redisKey string // without redis_rate's "rate:" prefix
	limit    redis_rate.Limit
	mode     FailureMode
	recheck  time.Duration
	logger   *slog.Logger
	key      string // LimiterConfig.Key, for errors and logs

	// FallbackLocal's local token bucket: its rate, burst, and share of
	// the shared rate.
	localRate  rate.Limit
	localBurst int
	fraction   float64

	// turn is held by the one Wait that is asking Redis, sleeping until the
	// time Redis reported, or waiting on the local limiter.
	turn chan struct{}
	// local is FallbackLocal's limiter, made anew, empty, when an outage
	// starts. It is used only by the holder of turn.
	local *rate.Limiter

	mu        sync.Mutex
	nextAt    time.Time     // earliest time the budget may allow a request
	failed    chan struct{} // FailClosed: closed when a request to Redis fails, then replaced
	failErr   error         // FailClosed: the error of the last failed request
	down      bool          // FallbackLocal: in an outage
	probeAt   time.Time     // FallbackLocal, down: when to try Redis again
	probing   bool          // FallbackLocal, down: a Wait is trying Redis
	recovered bool          // FallbackLocal, down: Redis answered a probe
}

var _ tiki.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter drawing on the budget cfg.Key in rdb. It
// checks rdb and cfg, reporting every problem in one
// *tiki.ValidationError, and does not contact Redis.
func NewLimiter(rdb redis.UniversalClient, cfg LimiterConfig) (*Limiter, error) {
	var p problems
	p.checkClient(isNilClient(rdb))
	if cfg.Key == "" {
		p.add("LimiterConfig.Key", "is required: the seller whose budget it is")
	}
	// Redis's clock counts microseconds: a rate above a million per second
	// cannot be paced.
	if !(cfg.PerSecond > 0 && cfg.PerSecond <= 1e6) {
		p.add("LimiterConfig.PerSecond", "must be in (0, 1e6], not %v", cfg.PerSecond)
	}
	if cfg.Burst < 0 {
		p.add("LimiterConfig.Burst", "must not be negative, not %d", cfg.Burst)
	}
	if cfg.OnRedisError != FailClosed && cfg.OnRedisError != FallbackLocal {
		p.add("LimiterConfig.OnRedisError", "must be FailClosed or FallbackLocal, not %v", cfg.OnRedisError)
	}
	if !(cfg.FallbackFraction >= 0 && cfg.FallbackFraction <= 1) {
		p.add("LimiterConfig.FallbackFraction", "must be in (0, 1] (0 means 1), not %v", cfg.FallbackFraction)
	}
	if cfg.RecheckInterval < 0 {
		p.add("LimiterConfig.RecheckInterval", "must not be negative, not %v", cfg.RecheckInterval)
	}
	if err := p.err(); err != nil {
		return nil, err
	}

	burst := cfg.Burst
	if burst == 0 {
		burst = max(1, int(cfg.PerSecond/10))
	}
	prefix := cfg.KeyPrefix
	if prefix == "" {
		prefix = DefaultLimiterPrefix
	}
	l := &Limiter{
		rdb:      rdb,
		gcra:     redis_rate.NewLimiter(rdb),
		redisKey: prefix + cfg.Key,
		// One request per emission interval: redis_rate divides Period by
		// Rate, so Rate 1 lets PerSecond be any positive number.
		limit: redis_rate.Limit{
			Rate:   1,
			Period: time.Duration(float64(time.Second) / cfg.PerSecond),
			Burst:  burst,
		},
		mode:    cfg.OnRedisError,
		recheck: cfg.RecheckInterval,
		logger:  cfg.Logger,
		key:     cfg.Key,
		turn:    make(chan struct{}, 1),
	}
	if l.recheck == 0 {
		l.recheck = DefaultRecheckInterval
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	switch l.mode {
	case FallbackLocal:
		l.fraction = cfg.FallbackFraction
		if l.fraction == 0 {
			l.fraction = 1
		}
		l.localRate = rate.Limit(cfg.PerSecond * l.fraction)
		l.localBurst = max(1, int(math.Round(float64(burst)*l.fraction)))
		l.local = l.emptyLocal(time.Now())
	case FailClosed:
		l.failed = make(chan struct{})
	}
	return l, nil
}

// Wait blocks until the shared budget allows one more request, and returns
// nil then. It returns ctx's error if ctx ends first, an error wrapping
// [context.DeadlineExceeded] at once if ctx's deadline would pass before
// the budget allows the request, and, with FailClosed, an error wrapping
// Redis's when Redis cannot answer: every Wait queued in the process when a
// request to Redis fails returns that error at once, so that a hung Redis
// costs each caller one Redis timeout at most, not one per caller ahead of
// it.
func (l *Limiter) Wait(ctx context.Context) error {
	if ctx == nil {
		return fmt.Errorf("redisstore: Limiter.Wait: %w", tiki.ErrNilContext)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.mode == FallbackLocal {
		if err := l.probe(ctx); err != nil {
			return err
		}
	}
	l.mu.Lock()
	next, down, failed := l.nextAt, l.down, l.failed
	l.mu.Unlock()
	if deadline, ok := ctx.Deadline(); ok && !down && deadline.Before(next) {
		return errWouldPassDeadline()
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-failed: // nil, so never ready, with FallbackLocal
		// A request to Redis made while this Wait was queued failed.
		l.mu.Lock()
		err := l.failErr
		l.mu.Unlock()
		return err
	}
	defer func() { <-l.turn }()

	if l.mode == FallbackLocal {
		down, err := l.handOver(ctx)
		if err != nil {
			return err
		}
		if down {
			return l.waitLocal(ctx)
		}
	}
	useLocal, err := l.waitShared(ctx)
	if useLocal {
		return l.waitLocal(ctx)
	}
	return err
}

// waitShared waits on the budget in Redis; the caller holds turn. It
// reports useLocal when Wait must wait on the local limiter instead
// (FallbackLocal, Redis down).
func (l *Limiter) waitShared(ctx context.Context) (useLocal bool, err error) {
	repolled := false // the last request to Redis followed the one before at once
	for {
		sent := time.Now()
		res, err := l.gcra.Allow(ctx, l.redisKey, l.limit)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return false, ctxErr
			}
			if l.mode == FailClosed {
				return false, l.fail(err)
			}
			l.outage(err)
			return true, nil
		}
		rtt := time.Since(sent)
		if res.Allowed > 0 {
			return false, nil
		}

		// Redis computed RetryAfter between sent and now, so the budget
		// allows the next request at about sent+RetryAfter.
		next := sent.Add(max(res.RetryAfter, 0))
		l.mu.Lock()
		l.nextAt = next
		l.mu.Unlock()
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(next) {
			return false, errWouldPassDeadline()
		}

		// With GCRA, every moment a request reaches Redis after the time
		// it was allowed is lost from the budget for good (with a burst of
		// 1, at every request). Timers fire late, by up to a millisecond,
		// and the request then takes half a round trip to reach Redis. So
		// the timer is set one round trip early, and a remaining wait no
		// longer than a round trip is waited by the round trip itself:
		// Wait asks again at once, once; Redis then answers after the
		// allowed time, as its clock has moved on by about a round trip.
		// Nothing is allowed early: Redis decides, on its own clock.
		wait := time.Until(next) - rtt
		if wait <= 0 && !repolled {
			repolled = true
			continue
		}
		repolled = false
		timer := time.NewTimer(max(wait, minSleep))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		}
	}
}

// waitLocal waits on the local limiter of FallbackLocal; the caller holds
// turn, so that one Wait at a time holds a reservation on it and none is
// left to be released by the local limiter once Redis is back.
func (l *Limiter) waitLocal(ctx context.Context) error {
	err := l.local.Wait(ctx)
	if err != nil && ctx.Err() == nil {
		if _, ok := ctx.Deadline(); ok {
			// rate.Limiter refuses a wait that would outlast the deadline
			// with an error of its own.
			return errWouldPassDeadline()
		}
	}
	return err
}

// probe tries Redis (FallbackLocal, in an outage) if it is time to, without
// holding turn, so that Waits go on pacing locally while a hung Redis makes
// the probe wait for the Redis client's timeout. When Redis answers, the
// next holder of turn hands over to it. It returns an error only when ctx
// ended.
func (l *Limiter) probe(ctx context.Context) error {
	l.mu.Lock()
	due := l.down && !l.probing && !l.recovered && !time.Now().Before(l.probeAt)
	if due {
		l.probing = true
	}
	l.mu.Unlock()
	if !due {
		return nil
	}
	err := l.rdb.Ping(ctx).Err()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.probing = false
	switch {
	case err == nil:
		l.recovered = true
	case ctx.Err() != nil:
		// Not Redis's failure: the next Wait tries again.
		return ctx.Err()
	default:
		l.probeAt = time.Now().Add(l.recheck)
	}
	return nil
}

// handOver ends an outage whose probe Redis answered (FallbackLocal); the
// caller holds turn. The requests the local limiter let through recently
// are charged to the shared budget first, so that the budget does not
// grant them again: the process never goes faster than the configured rate
// across an outage's end. It reports whether the outage goes on.
func (l *Limiter) handOver(ctx context.Context) (down bool, err error) {
	l.mu.Lock()
	down, recovered := l.down, l.recovered
	l.mu.Unlock()
	if !down || !recovered {
		return down, nil
	}
	if debt := l.localDebt(time.Now()); debt > 0 {
		if _, err := l.gcra.AllowAtMost(ctx, l.redisKey, l.limit, debt); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return true, ctxErr
			}
			l.mu.Lock()
			l.recovered = false
			l.probeAt = time.Now().Add(l.recheck)
			l.mu.Unlock()
			return true, nil
		}
	}
	l.mu.Lock()
	l.down, l.recovered = false, false
	l.mu.Unlock()
	l.logger.Info("redisstore: Redis answers again; back to the shared rate limit", slog.String("key", l.key))
	return false, nil
}

// localDebt returns how many requests of the shared budget the local
// limiter's recent requests amount to: the tokens missing from its bucket
// at now, scaled from the local rate to the shared one, rounded up and at
// most the shared burst.
func (l *Limiter) localDebt(now time.Time) int {
	missing := float64(l.localBurst) - l.local.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return min(int(math.Ceil(missing/l.fraction-1e-9)), l.limit.Burst)
}

// emptyLocal returns a local limiter with no token left: an outage starts
// as if the shared budget had just been spent, as it may have been.
func (l *Limiter) emptyLocal(now time.Time) *rate.Limiter {
	lim := rate.NewLimiter(l.localRate, l.localBurst)
	lim.ReserveN(now, l.localBurst)
	return lim
}

// fail records that Redis could not answer (FailClosed): every Wait queued
// meanwhile returns the error at once. It returns the error for this Wait.
func (l *Limiter) fail(err error) error {
	wrapped := fmt.Errorf("redisstore: rate limit %q: Redis: %w", l.key, err)
	l.mu.Lock()
	l.failErr = wrapped
	close(l.failed)
	l.failed = make(chan struct{})
	l.mu.Unlock()
	return wrapped
}

// outage records that Redis could not answer (FallbackLocal), logging the
// start of an outage once; the caller holds turn.
func (l *Limiter) outage(err error) {
	now := time.Now()
	l.mu.Lock()
	started := !l.down
	l.down, l.recovered = true, false
	l.probeAt = now.Add(l.recheck)
	l.mu.Unlock()
	if !started {
		return
	}
	l.local = l.emptyLocal(now)
	l.logger.Warn("redisstore: Redis cannot answer; pacing requests with a local limiter until it does",
		slog.String("key", l.key),
		slog.Float64("local_per_second", float64(l.localRate)),
		slog.Duration("recheck_every", l.recheck),
		slog.Any("error", err))
}

// minSleep is the shortest sleep between two requests to Redis by one
// Wait, past the single immediate repeat: a floor that keeps a Wait from
// ever asking Redis in a loop.
const minSleep = 50 * time.Microsecond

// errWouldPassDeadline is Wait's error when waiting would pass ctx's
// deadline, worded like the SDK's built-in limiter.
func errWouldPassDeadline() error {
	return fmt.Errorf("%w (waiting for the rate limit would pass it)", context.DeadlineExceeded)
}
