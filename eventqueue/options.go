package eventqueue

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/backoff"
)

// Defaults of a Consumer.
const (
	// DefaultMinBackoff is the shortest wait after a failure (a pull, a
	// handler, a checkpoint).
	DefaultMinBackoff = time.Second
	// DefaultMaxBackoff is the longest wait after a failure.
	DefaultMaxBackoff = time.Minute
	// DefaultIdleMinWait is the shortest wait between pulls while the
	// queue is empty.
	DefaultIdleMinWait = time.Second
	// DefaultIdleMaxWait is the longest wait between pulls while the
	// queue is empty.
	DefaultIdleMaxWait = 10 * time.Second
	// DefaultHandlerTimeout is how long a handler may run before its
	// context ends and, if it has not returned, it is reported. The
	// dedupe claims an event for twice as long, and renews the claim
	// while the handler runs.
	DefaultHandlerTimeout = time.Minute
	// DedupeRetention is how long the dedupe remembers a handled event:
	// Tiki keeps an event it delivered until it is acknowledged, for at
	// most seven days, so no copy of it comes later.
	DedupeRetention = 7 * 24 * time.Hour
)

// Option configures a Consumer. An Option returns a *tiki.ValidationError
// when its value is invalid; NewConsumer lists the problems of every
// option, and of its arguments, in one *tiki.ValidationError.
type Option func(*Consumer) error

// WithCheckpoint sets where the Consumer keeps the ack id of the last
// handled batch (a MemoryCheckpoint unless set: use NewFileCheckpoint, or
// the redisstore module, so that a restart does not handle the last batch
// again). cp must not be nil.
func WithCheckpoint(cp Checkpoint) Option {
	return func(c *Consumer) error {
		if cp == nil {
			return invalid("WithCheckpoint", "needs a Checkpoint, got nil")
		}
		c.checkpoint = cp
		return nil
	}
}

// WithDedupe sets the store through which the Consumer claims each event
// before handing it out (a dedupe.MemoryStore of its own unless set); see
// the package documentation. Replicas consuming one queue share a store
// (the redisstore module's DedupeStore). Nil turns deduplication off:
// every redelivered event is handed out again.
func WithDedupe(store dedupe.Store) Option {
	return func(c *Consumer) error {
		c.dedupe.Store = store
		return nil
	}
}

// WithLease makes the Consumer pull only while it holds the queue's lease,
// for several replicas consuming one queue. The checkpoint must then be a
// FencedCheckpoint (NewConsumer refuses anything else), through which a
// replica that lost its lease cannot save. l must not be nil.
func WithLease(l Lease) Option {
	return func(c *Consumer) error {
		if l == nil {
			return invalid("WithLease", "needs a Lease, got nil")
		}
		c.lease = l
		return nil
	}
}

// WithLogger sets the logger of the Consumer's progress (Debug), lease
// changes, duplicates and ignored events of unknown types (Info), failures
// it retries and lost leases (Warn), and what needs a person (Error): a
// handler past its time limit, a checkpoint that cannot be trusted, a
// callback that panicked; slog.Default() at the time of logging unless set. l must not be nil: to silence the
// Consumer, give it a logger whose handler drops every record.
func WithLogger(l *slog.Logger) Option {
	return func(c *Consumer) error {
		if l == nil {
			return invalid("WithLogger", "needs a *slog.Logger, got nil")
		}
		c.logger = l
		return nil
	}
}

// WithOnBatch sets a function called after each batch was handled and its
// ack id saved; never for a batch whose ack id could not be saved. Nil sets
// none.
func WithOnBatch(fn func(context.Context, BatchReport)) Option {
	return func(c *Consumer) error {
		c.onBatch = fn
		return nil
	}
}

// WithOnError sets a function called with every failure the Consumer
// recovers from by waiting and trying again (a failed pull, an event that
// stopped its batch as a *HandlerError, a checkpoint or dedupe failure),
// and with every *HandlerTimeoutError. The same failures are logged. Nil
// sets none.
//
// fn is called on Run's goroutine, except for a *HandlerTimeoutError: that
// one is reported from a timer's goroutine while the handler it is about
// still runs, so fn may run concurrently with a handler (never with
// itself). The Consumer goes past that handler only once such a call
// returned.
func WithOnError(fn func(context.Context, error)) Option {
	return func(c *Consumer) error {
		c.onError = fn
		return nil
	}
}

// WithOnDuplicate sets a function called with every redelivered event that
// the dedupe recognised as handled already, and which was not handed out
// again. Nil sets none.
func WithOnDuplicate(fn func(context.Context, *tiki.Event)) Option {
	return func(c *Consumer) error {
		c.onDuplicate = fn
		return nil
	}
}

// WithBackoff sets the bounds of the capped, jittered exponential wait
// after a failure (DefaultMinBackoff to DefaultMaxBackoff unless set). It
// needs 0 < minWait <= maxWait.
func WithBackoff(minWait, maxWait time.Duration) Option {
	return waits("WithBackoff", minWait, maxWait, func(c *Consumer) *backoff.Policy { return &c.failWait })
}

// WithIdleWait sets the bounds of the wait between pulls while the queue is
// empty, growing from minWait to maxWait as empty answers follow each other
// (DefaultIdleMinWait to DefaultIdleMaxWait unless set). It needs
// 0 < minWait <= maxWait.
func WithIdleWait(minWait, maxWait time.Duration) Option {
	return waits("WithIdleWait", minWait, maxWait, func(c *Consumer) *backoff.Policy { return &c.idleWait })
}

// waits is an option that sets the policy field returns to minWait and
// maxWait, which must satisfy 0 < minWait <= maxWait.
func waits(option string, minWait, maxWait time.Duration, field func(*Consumer) *backoff.Policy) Option {
	return func(c *Consumer) error {
		if minWait <= 0 || maxWait < minWait {
			return invalid(option, "needs 0 < min <= max, got %v and %v", minWait, maxWait)
		}
		*field(c) = backoff.Policy{Min: minWait, Max: maxWait}
		return nil
	}
}

// WithHandlerTimeout sets how long a handler may run (DefaultHandlerTimeout
// unless set; d must be positive). When d passes, the handler's context
// ends; a handler that still has not returned shortly after (a tenth of d,
// at most a second) is reported as a *HandlerTimeoutError (WithOnError and
// the log), again each time d passes while it runs, and the Consumer waits
// for it: nothing after its event is handed out or acknowledged, and the
// lease is kept, until it returns. Its result then decides, as for any
// handler.
//
// The dedupe claims each event for twice d and renews the claim every
// third of that while the handler runs (see dedupe.Runner), so that a copy
// pulled meanwhile by another replica sharing the store is not run while
// the handler is still running, however long it runs. The claim of a
// process that died in the middle of a handler is not renewed: it holds the
// queue back for up to twice d (the replica that takes over reports
// dedupe.ErrInProgress meanwhile), so keep d close to what handlers need.
//
// Durations too long to be doubled (above about 146 years) are taken as
// they are and the claim lasts math.MaxInt64 nanoseconds: in effect, no
// time limit.
func WithHandlerTimeout(d time.Duration) Option {
	return func(c *Consumer) error {
		if d <= 0 {
			return invalid("WithHandlerTimeout", "needs a positive duration, got %v", d)
		}
		c.handlerTimeout = d
		return nil
	}
}

// WithIgnore acknowledges the events of the given types without handing
// them to anyone, in every payload version and whether or not they decode,
// unless a handler is set for them: a handler of the type (OnOrderCreated,
// ..., OnUnknown for a version or a type this package does not decode,
// OnMalformed) takes precedence. Ignored events are counted in
// BatchReport.Ignored and logged at Debug (at Info for a type or version
// this package does not decode).
//
// A type may be any of tiki.EventTypes, or a type Tiki sends that this
// package does not know (one allowed with tiki.WithEnumValues, say): each
// must be non-empty and without surrounding white space, and nothing else
// is checked. Ignoring changes nothing on Tiki's side, and a misspelt type
// fails safe: its events are not ignored, and stop their batch
// (ErrNoHandler) until a handler takes them. WithIgnoreUnknown ignores
// every type this package does not know at once.
func WithIgnore(types ...tiki.EventType) Option {
	return func(c *Consumer) error {
		if len(types) == 0 {
			return invalid("WithIgnore", "needs at least one event type")
		}
		var problems []tiki.FieldProblem
		for _, t := range types {
			if strings.TrimSpace(string(t)) == "" || strings.TrimSpace(string(t)) != string(t) {
				problems = append(problems, invalid("WithIgnore", "%q is not an event type: it must be non-empty, without surrounding white space (the types this package knows are %s)",
					t, quoted(tiki.EventTypes())).Problems...)
				continue
			}
			if c.ignore == nil {
				c.ignore = make(map[tiki.EventType]bool)
			}
			c.ignore[t] = true
		}
		if problems != nil {
			return &tiki.ValidationError{Problems: problems}
		}
		return nil
	}
}

// WithIgnoreUnknown acknowledges, without handing them to anyone, the
// events this package does not decode (a type it does not know, or a
// payload version of a known type it does not know: Event.Known is false),
// unless OnUnknown is set, which takes them. Without it (and without
// OnUnknown or OnEvent) such an event stops its batch (ErrNoHandler), so
// that a type Tiki adds is never dropped unnoticed. Ignored events are
// counted in BatchReport.Ignored and logged at Info.
func WithIgnoreUnknown() Option {
	return func(c *Consumer) error {
		c.ignoreUnknown = true
		return nil
	}
}

// quoted lists event types for a validation message.
func quoted(types []tiki.EventType) string {
	q := make([]string, len(types))
	for i, t := range types {
		q[i] = `"` + string(t) + `"`
	}
	return strings.Join(q, ", ")
}
