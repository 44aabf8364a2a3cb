package tiki

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"
)

// DefaultRateLimit is Tiki's documented limit: 200 requests per second per
// seller. Above it the API answers 429 Too Many Requests.
const DefaultRateLimit = 200

// Limiter paces requests. Wait blocks until one more request may be sent, or
// returns an error when ctx ends first; it must never reject a request that
// could be sent later. Every attempt the client makes, retries and token
// renewal repeats included, passes through Wait.
//
// *rate.Limiter from golang.org/x/time/rate satisfies Limiter. Implement it
// to share one budget between several processes (Tiki's limit is per seller,
// not per process).
type Limiter interface {
	Wait(ctx context.Context) error
}

// newLimiter returns the client's limiter for a rate in requests per second
// and a burst; a rate of zero means no limit.
func newLimiter(perSecond float64, burst int) Limiter {
	if perSecond == 0 {
		return unlimited{}
	}
	if burst == 0 {
		burst = max(1, int(perSecond/10))
	}
	return tokenBucket{rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// tokenBucket is the built-in limiter. rate.Limiter refuses at once a wait
// that would outlast the context's deadline; tokenBucket reports that as
// context.DeadlineExceeded, so callers see one error for one cause.
type tokenBucket struct{ l *rate.Limiter }

func (b tokenBucket) Wait(ctx context.Context) error {
	err := b.l.Wait(ctx)
	if err != nil && ctx.Err() == nil {
		if _, ok := ctx.Deadline(); ok {
			return fmt.Errorf("%w (waiting for the rate limit would pass it)", context.DeadlineExceeded)
		}
	}
	return err
}

// unlimited is the limiter of a client whose rate limit is switched off.
type unlimited struct{}

func (unlimited) Wait(ctx context.Context) error { return ctx.Err() }
