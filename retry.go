package tiki

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/tikisdk/tiki/internal/backoff"
)

// This file is the one place that decides what the client repeats. Client.do
// sends attempts and asks retryPolicy.decide what each outcome means.
//
// The rules:
//
//   - A request that never reached Tiki (no connection was obtained) is
//     repeated, whatever its method: Tiki cannot have applied it; except
//     when the host name does not exist (DNS "no such host"), which a
//     repeat cannot mend.
//   - 429 Too Many Requests is repeated, whatever the method: Tiki refused
//     the request without applying it. A Retry-After above the client's cap
//     fails the call at once with a *RateLimitError.
//   - A transport failure after the request may have reached Tiki, and
//     500, 502, 503 and 504, are repeated only for requests that are safe to
//     repeat (see request.idempotent). A POST is never resent once it may
//     have reached Tiki.
//   - 401 is repeated once, at once, after the credential is renewed (when
//     the authentication can renew it).
//   - Every other status is the call's answer.
//
// Repeating a PUT that may already have been applied is harmless only while
// no newer write to the same product can land in between. Within one
// client, its write locks provide that (see lockWrites): product writes
// name their product (request.lockKeys) and hold it for the whole call,
// retries included, and for the settle period beyond a call that ended in
// doubt (WithWriteSettle), so a later write to that product through the
// same client is sent only after this call's attempts were answered or had
// the settle period to land. Across clients or processes only a WriteOrder
// that they share (WithWriteOrder) orders the writes; without one, a
// retried PUT from one process may land after another process's newer
// write to the same product.

// retryPolicy decides, after each attempt of a call, whether the call is
// over or is repeated, and after which wait.
type retryPolicy struct {
	// maxAttempts is the most requests a call makes (1: no retries); the
	// repeat after a token renewal does not count against it.
	maxAttempts int
	// maxRetryAfter is the longest Retry-After the client waits for.
	maxRetryAfter time.Duration
	// backoff computes the wait before a retry when Tiki gives none.
	backoff backoff.Policy
}

// action is what the client does after an attempt.
type action int

const (
	// finishCall: the attempt is the call's result (success or error).
	finishCall action = iota
	// renewAndRepeat: renew the credential Tiki refused, then repeat at once.
	renewAndRepeat
	// waitAndRepeat: wait, then repeat.
	waitAndRepeat
	// callerGaveUp: the caller's context ended during the attempt.
	callerGaveUp
)

// verdict is the policy's decision about one attempt.
type verdict struct {
	act action
	// wait before the next attempt (waitAndRepeat only).
	wait time.Duration
}

// callState is what the policy needs to know about the call so far.
type callState struct {
	// retries is the number of retries already made (renewal repeats
	// excluded).
	retries int
	// renewed reports that the credential was already renewed once.
	renewed bool
	// ctxErr is the caller's context error, nil while it lives.
	ctxErr error
	// now is the time used to read an HTTP-date Retry-After.
	now time.Time
}

// decide judges the attempt res of request r. status is res.status, or the
// status TikiNOW reported inside a 2xx body.
func (p retryPolicy) decide(r *request, res attemptResult, st callState) verdict {
	status := res.effectiveStatus()
	retry := false
	var wait time.Duration
	switch {
	case res.err != nil:
		if st.ctxErr != nil {
			return verdict{act: callerGaveUp}
		}
		// A host name that does not exist does not start to exist in the
		// next second: repeating only delays the error.
		retry = (!res.sent || r.idempotent()) && !unknownHost(res.err)
	case status == http.StatusUnauthorized && !st.renewed:
		return verdict{act: renewAndRepeat}
	case status == http.StatusTooManyRequests:
		retry = true
		if ra, ok := backoff.RetryAfter(res.header.Get("Retry-After"), st.now); ok {
			// Above the cap, the call fails with Tiki's answer (a
			// *RateLimitError carrying the requested wait) rather than a
			// shortened, hammering retry.
			retry = ra <= p.maxRetryAfter
			wait = ra
		}
	case isRetryableStatus(status):
		retry = r.idempotent()
		if ra, ok := backoff.RetryAfter(res.header.Get("Retry-After"), st.now); ok {
			retry = retry && ra <= p.maxRetryAfter
			wait = ra
		}
	}
	if !retry || st.retries+1 >= p.maxAttempts {
		return verdict{act: finishCall}
	}
	if wait == 0 {
		wait = p.backoff.Wait(st.retries + 1)
	}
	return verdict{act: waitAndRepeat, wait: wait}
}

// unknownHost reports whether err is a DNS answer that the host does not
// exist (not a timeout or a temporary failure of the resolver).
func unknownHost(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// idempotent reports whether repeating the request cannot change what Tiki
// ends up with: reads, and writes that set absolute values (PUT, DELETE),
// unless the request is marked once (a write sent through Client.Call
// without WithRepeatable).
// Product writes among them also hold their product's write lock for the
// whole call (see lockWrites), so that a repeat cannot overwrite a newer
// write made through the same client. A POST is idempotent only when its
// endpoint marks it repeatable: an event queue pull, whose repeat with the
// same ack id acknowledges the same batch again and receives again the
// batch the lost answer carried.
func (r *request) idempotent() bool {
	if r.once {
		return false
	}
	if r.repeatable {
		return true
	}
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

func isRetryableStatus(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
