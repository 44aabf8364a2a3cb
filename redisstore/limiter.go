package redisstore

import (
	"context"
	"errors"
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
	// Every Wait asks Redis again; the first one that gets an answer is
	// paced by the shared budget as usual. Choose it when exceeding the
	// seller's limit is worse than failing calls.
	FailClosed FailureMode = iota + 1

	// FallbackLocal paces the process with a local token bucket
	// (golang.org/x/time/rate) while Redis cannot answer: at
	// [LimiterConfig.FallbackFraction] of the rate, with the burst scaled
	// by the same fraction (at least 1). The Wait that finds Redis
	// unreachable logs one warning for the outage and waits on the local
	// limiter, as do the Waits after it; once per
	// [LimiterConfig.RecheckInterval] one Wait tries Redis again, and the
	// first answer ends the outage (logged at info level) and returns every
	// later Wait to the shared budget. Choose it when calls must go on, at a
	// safe rate, while Redis is down.
	//
	// An outage is noticed when a request to Redis fails, which takes as
	// long as the Redis client needs to give up (dial and read timeouts,
	// retries). A Wait whose ctx ends first returns ctx's error and does not
	// count as an outage: keep the client's timeouts shorter than the
	// deadlines of the calls.
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
	// read timeouts, and retries): keep them short for a limiter.
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
// configured one, never higher: see BENCHMARKS.md in the repository for
// measured figures.
//
// When Redis cannot answer, Wait does what [LimiterConfig.OnRedisError]
// says (see [FailureMode]). Any error from Wait other than ctx's is such a
// failure and wraps the Redis client's error.
//
// Create a Limiter with [NewLimiter]; it is safe for concurrent use. Share
// one Limiter between the clients of a process that use the same seller.
type Limiter struct {
	gcra     *redis_rate.Limiter
	redisKey string // without redis_rate's "rate:" prefix
	limit    redis_rate.Limit
	mode     FailureMode
	recheck  time.Duration
	logger   *slog.Logger
	local    *rate.Limiter // FallbackLocal's limiter; nil with FailClosed
	key      string        // LimiterConfig.Key, for errors and logs

	// turn is held by the one Wait that is asking Redis or sleeping until
	// the time Redis reported.
	turn chan struct{}

	mu      sync.Mutex
	nextAt  time.Time // earliest time the budget may allow a request
	down    bool      // FallbackLocal: in an outage
	probeAt time.Time // FallbackLocal, down: when to try Redis again
}

var _ tiki.Limiter = (*Limiter)(nil)

// NewLimiter returns a Limiter drawing on the budget cfg.Key in rdb. It
// checks cfg and does not contact Redis.
func NewLimiter(rdb redis.UniversalClient, cfg LimiterConfig) (*Limiter, error) {
	var problems []error
	if rdb == nil {
		problems = append(problems, errors.New("nil Redis client"))
	}
	if cfg.Key == "" {
		problems = append(problems, errors.New("empty Key"))
	}
	// Redis's clock counts microseconds: a rate above a million per second
	// cannot be paced.
	if !(cfg.PerSecond > 0 && cfg.PerSecond <= 1e6) {
		problems = append(problems, fmt.Errorf("want PerSecond in (0, 1e6], got %v", cfg.PerSecond))
	}
	if cfg.Burst < 0 {
		problems = append(problems, fmt.Errorf("negative Burst %d", cfg.Burst))
	}
	if cfg.OnRedisError != FailClosed && cfg.OnRedisError != FallbackLocal {
		problems = append(problems, fmt.Errorf("want OnRedisError FailClosed or FallbackLocal, got %v", cfg.OnRedisError))
	}
	if !(cfg.FallbackFraction >= 0 && cfg.FallbackFraction <= 1) {
		problems = append(problems, fmt.Errorf("want FallbackFraction in (0, 1], got %v", cfg.FallbackFraction))
	}
	if cfg.RecheckInterval < 0 {
		problems = append(problems, fmt.Errorf("negative RecheckInterval %v", cfg.RecheckInterval))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("redisstore: NewLimiter: %w", errors.Join(problems...))
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
	if l.mode == FallbackLocal {
		fraction := cfg.FallbackFraction
		if fraction == 0 {
			fraction = 1
		}
		localBurst := max(1, int(math.Round(float64(burst)*fraction)))
		l.local = rate.NewLimiter(rate.Limit(cfg.PerSecond*fraction), localBurst)
	}
	return l, nil
}

// Wait blocks until the shared budget allows one more request, and returns
// nil then. It returns ctx's error if ctx ends first, an error wrapping
// [context.DeadlineExceeded] at once if ctx's deadline would pass before
// the budget allows the request, and, with FailClosed, an error wrapping
// Redis's when Redis cannot answer.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.fallingBack(time.Now(), false) {
		return l.waitLocal(ctx)
	}
	useLocal, err := l.waitShared(ctx)
	if useLocal {
		return l.waitLocal(ctx)
	}
	return err
}

// waitShared waits on the budget in Redis. It reports useLocal when Wait
// must wait on the local limiter instead (FallbackLocal, Redis down).
func (l *Limiter) waitShared(ctx context.Context) (useLocal bool, err error) {
	if deadline, ok := ctx.Deadline(); ok {
		l.mu.Lock()
		next := l.nextAt
		l.mu.Unlock()
		if deadline.Before(next) {
			return false, errWouldPassDeadline()
		}
	}
	select {
	case l.turn <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-l.turn }()

	repolled := false // the last request to Redis followed the one before at once
	for {
		sent := time.Now()
		if l.fallingBack(sent, true) {
			return true, nil
		}
		res, err := l.gcra.Allow(ctx, l.redisKey, l.limit)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return false, ctxErr
			}
			if l.mode == FailClosed {
				return false, fmt.Errorf("redisstore: rate limit %q: Redis: %w", l.key, err)
			}
			l.outage(err)
			return true, nil
		}
		rtt := time.Since(sent)
		l.answered()
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

// waitLocal waits on the local limiter of FallbackLocal.
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

// fallingBack reports whether Wait must use the local limiter now: in an
// outage, before the next time Redis is to be tried. With claimProbe, a
// caller that finds that time come takes it (and tries Redis); the others
// keep falling back until the next recheck.
func (l *Limiter) fallingBack(now time.Time, claimProbe bool) bool {
	if l.mode != FallbackLocal {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.down {
		return false
	}
	if now.Before(l.probeAt) {
		return true
	}
	if claimProbe {
		l.probeAt = now.Add(l.recheck)
	}
	return false
}

// outage records that Redis could not answer (FallbackLocal), logging the
// start of an outage once.
func (l *Limiter) outage(err error) {
	l.mu.Lock()
	started := !l.down
	l.down = true
	l.probeAt = time.Now().Add(l.recheck)
	l.mu.Unlock()
	if started {
		l.logger.Warn("redisstore: Redis cannot answer; pacing requests with a local limiter until it does",
			slog.String("key", l.key),
			slog.Float64("local_per_second", float64(l.local.Limit())),
			slog.Duration("recheck_every", l.recheck),
			slog.Any("error", err))
	}
}

// answered records that Redis answered, logging the end of an outage.
func (l *Limiter) answered() {
	if l.mode != FallbackLocal {
		return
	}
	l.mu.Lock()
	ended := l.down
	l.down = false
	l.mu.Unlock()
	if ended {
		l.logger.Info("redisstore: Redis answers again; back to the shared rate limit", slog.String("key", l.key))
	}
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
