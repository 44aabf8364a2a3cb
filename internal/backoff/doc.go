// Package backoff computes and waits the pauses between attempts, for the
// client's retries and the event-queue consumer's.
//
// A [Policy] gives capped exponential backoff with "equal jitter": the wait
// doubles from its minimum up to its maximum, each drawn at random from the
// upper half of its range. [RetryAfter] reads a server's Retry-After header in
// either of its forms (seconds or an HTTP date), and [Sleep] waits a
// duration unless the context ends first, so that no wait outlives its
// caller.
package backoff
