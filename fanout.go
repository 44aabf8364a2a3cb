package tiki

import (
	"context"
	"errors"
	"fmt"

	"github.com/tikisdk/tiki/internal/flight"
)

// DefaultConcurrency is how many calls Map runs at once when asked for 0:
// enough calls in flight to use Tiki's 200 requests per second at a round
// trip of 150 ms (200 × 0.15 s = 30).
const DefaultConcurrency = 32

// MaxConcurrency is the largest concurrency Map accepts.
const MaxConcurrency = 256

// ErrNotStarted matches the Err of a Result whose call Map never started
// because its context had ended; errors.Is also matches the context's
// error.
var ErrNotStarted = errors.New("tiki: call not started")

// Result is the outcome of one input given to Map.
type Result[T any] struct {
	// Value is what the call returned for the input.
	Value T
	// Err is the call's error; nil when it succeeded. It is a *PanicError
	// when the call panicked, and matches ErrNotStarted when Map never
	// started the call because ctx had ended.
	Err error
}

// Map calls fn once for each input, with at most concurrency calls running
// at once (0 means DefaultConcurrency), and returns one Result per input, in
// the order of inputs, once every call has returned. It is the way to make
// many independent calls, such as getting many products or orders by id,
// through one Client:
//
//	results, err := tiki.Map(ctx, ids, 0, func(ctx context.Context, id int64) (*tiki.Product, error) {
//		p, _, err := client.Products.Get(ctx, id)
//		return p, err
//	})
//
// Every call made through the client waits for its limiter, so Map keeps the
// seller under Tiki's rate limit whatever the concurrency; the concurrency
// bounds the requests in flight and the goroutines Map runs at once (one
// per call), and no goroutine of Map outlives it.
//
// A failed call fails only its own Result: the others still run. When ctx
// ends, the calls running see it, and the inputs not started yet get an
// error matching ErrNotStarted and ctx's error; to stop at the first
// failure, cancel ctx from fn. A panic in fn becomes that input's
// *PanicError. fn must be safe to call from several goroutines at once.
//
// Map refuses a nil ctx, a nil fn and a concurrency outside 0 to
// MaxConcurrency with a *ValidationError, before calling anything; the
// error is nil otherwise, whatever the calls returned.
func Map[In, Out any](ctx context.Context, inputs []In, concurrency int, fn func(context.Context, In) (Out, error)) ([]Result[Out], error) {
	if ctx == nil {
		return nil, nilContextError()
	}
	var v validator
	v.check(fn != nil, "fn", "is required")
	v.check(concurrency >= 0, "concurrency", "must not be negative")
	v.check(concurrency <= MaxConcurrency, "concurrency", "must be at most %d", MaxConcurrency)
	if err := v.err(); err != nil {
		return nil, err
	}
	if concurrency == 0 {
		concurrency = DefaultConcurrency
	}
	results := make([]Result[Out], len(inputs))
	g := flight.New(ctx, concurrency, func(i int, v Out, err error) { results[i] = Result[Out]{Value: v, Err: err} })
	started := 0
	for i, in := range inputs {
		if g.Go(i, func(ctx context.Context) (Out, error) { return fn(ctx, in) }) == nil {
			break
		}
		started++
	}
	g.Wait()
	for i := started; i < len(inputs); i++ {
		results[i].Err = fmt.Errorf("%w: %w", ErrNotStarted, ctx.Err())
	}
	return results, nil
}
