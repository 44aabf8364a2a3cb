package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
)

// Ignore is a handler that does nothing and returns nil. Register it for a
// kind of delivery to acknowledge that kind on purpose: a receiver answers
// 501 to a documented kind that has no handler, so that forgetting one
// cannot drop events silently. For example:
//
//	receiver.OnAftersale(webhook.Ignore)
func Ignore[E any](context.Context, E) error { return nil }

// Option configures the [Endpoint] behind a receiver. Every receiver of the
// SDK takes options of this type in its constructor:
// [github.com/tikisdk/tiki/tikinow.NewReceiver],
// [github.com/tikisdk/tiki/ikitech.NewReceiver] and
// [github.com/tikisdk/tiki/ginee.NewReceiver]. The options of this package
// apply to all of them; a receiver may define more of the same type (such as
// [github.com/tikisdk/tiki/ginee.WithPathSecret]).
//
// An Option returns an error, made with [Invalid], when its setting is
// invalid, and then changes nothing. The constructor applies every option
// and returns no receiver and one [*tiki.ValidationError] listing the
// problems of all the invalid options and arguments.
type Option func(*Endpoint) error

// Invalid returns the error of an [Option] whose setting is invalid: a
// [*tiki.ValidationError] with one problem, field naming the option and its
// parameter (for example "WithMaxBodyBytes(n)") and the problem formatted
// as [fmt.Sprintf] does.
func Invalid(field, format string, args ...any) error {
	return &tiki.ValidationError{Problems: []tiki.FieldProblem{{Field: field, Problem: fmt.Sprintf(format, args...)}}}
}

// Configure is what a receiver's constructor calls, once, on an Endpoint
// holding its defaults, before serving requests. It applies opts to e in
// order; every option is applied, so that the problems of all of them are
// found, and an invalid one changes nothing. It returns nil when problems
// is empty and every option is valid, and otherwise one
// [*tiki.ValidationError] listing problems, those the constructor found in
// its own arguments, then the problems of the invalid options. A nil
// option is a problem, as NewClient and eventqueue.NewConsumer have it; it
// and an option's error that is not a *tiki.ValidationError are listed
// under the field "opts[i]", i being the option's index in opts.
func (e *Endpoint) Configure(problems []tiki.FieldProblem, opts ...Option) error {
	problems = slices.Clone(problems)
	for i, opt := range opts {
		if opt == nil {
			problems = append(problems, tiki.FieldProblem{Field: fmt.Sprintf("opts[%d]", i), Problem: "must not be nil"})
			continue
		}
		err := opt(e)
		if err == nil {
			continue
		}
		if ve := (*tiki.ValidationError)(nil); errors.As(err, &ve) && len(ve.Problems) > 0 {
			problems = append(problems, ve.Problems...)
			continue
		}
		problems = append(problems, tiki.FieldProblem{Field: fmt.Sprintf("opts[%d]", i), Problem: err.Error()})
	}
	if len(problems) == 0 {
		return nil
	}
	return &tiki.ValidationError{Problems: problems}
}

// WithMaxBodyBytes sets the largest request body accepted, in bytes
// (default [DefaultMaxBodyBytes], 1 MiB). A larger body is refused with 413
// before any handler runs. n must be positive.
func WithMaxBodyBytes(n int64) Option {
	return func(e *Endpoint) error {
		if n <= 0 {
			return Invalid("WithMaxBodyBytes(n)", "must be positive (got %d)", n)
		}
		e.MaxBodyBytes = n
		return nil
	}
}

// WithBodyTimeout sets how long a request body may take to arrive, counted
// from the moment the request reaches the receiver (default
// [DefaultBodyTimeout], 10 s). A slower body is answered 408, wrapping
// [ErrBodyTimeout], and its connection is closed; no handler runs. d must be
// positive.
//
// Webhook senders authenticated by a signature over the body can only be
// checked once the whole body has arrived, so this bound, not
// authentication, is what stops a client that sends a byte now and then
// from holding a goroutine and a connection. It is set with
// [http.ResponseController.SetReadDeadline] and needs the ResponseWriter of
// net/http's server (or one that unwraps to it): also set the
// http.Server's ReadHeaderTimeout, ReadTimeout, WriteTimeout and
// IdleTimeout.
func WithBodyTimeout(d time.Duration) Option {
	return func(e *Endpoint) error {
		if d <= 0 {
			return Invalid("WithBodyTimeout(d)", "must be positive (got %v)", d)
		}
		e.BodyTimeout = d
		return nil
	}
}

// WithDedupe sets the store that remembers handled deliveries, so that a
// copy of one is acknowledged without running its handler again (see
// [dedupe.Store] for what a receiver keys deliveries by and when).
//
// Every receiver defaults to a [dedupe.MemoryStore] of its own, which is right for
// a service running as a single instance; several instances behind a load
// balancer need a store they share (Redis, a database). Nil disables
// deduplication: every copy of a delivery runs the handler.
func WithDedupe(store dedupe.Store) Option {
	return func(e *Endpoint) error {
		e.Dedupe.Store = store
		return nil
	}
}

// WithDedupeTTL sets how long a delivery's claim lasts without being renewed
// (default [dedupe.DefaultLease]: the claim is renewed every third of it
// while the handler runs, so it bounds how long a crashed process holds the
// delivery back) and how long a handled delivery is remembered
// (default [dedupe.DefaultRetention]). Both must be positive. It has no effect when
// deduplication is disabled.
func WithDedupeTTL(lease, retention time.Duration) Option {
	return func(e *Endpoint) error {
		var problems []tiki.FieldProblem
		if lease <= 0 {
			problems = append(problems, tiki.FieldProblem{Field: "WithDedupeTTL(lease)", Problem: fmt.Sprintf("must be positive (got %v)", lease)})
		}
		if retention <= 0 {
			problems = append(problems, tiki.FieldProblem{Field: "WithDedupeTTL(retention)", Problem: fmt.Sprintf("must be positive (got %v)", retention)})
		}
		if problems != nil {
			return &tiki.ValidationError{Problems: problems}
		}
		e.Dedupe.Lease, e.Dedupe.Retention = lease, retention
		return nil
	}
}

// WithOnError sets a function called with every error the receiver meets:
// rejected requests, undecodable or slow bodies, deliveries without a
// handler ([ErrNoHandler]), copies of a delivery still being handled
// ([dedupe.ErrInProgress]), handler errors and dedupe store failures, each
// wrapping one of this package's sentinel errors (test them with
// [errors.Is]). fn runs in the request's goroutine, before the reply is
// written, and must not write to the response. Use it for metrics and your
// own logs. Nil, the default, logs each error through slog.Default() (at
// Error level when the answer is 5xx, at Warn otherwise); to report nothing,
// give a function that does nothing.
func WithOnError(fn func(r *http.Request, err error)) Option {
	return func(e *Endpoint) error {
		e.OnError = fn
		return nil
	}
}
