package dedupe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tikisdk/tiki/internal/safe"
)

// Errors of a [Runner]. The errors it returns wrap one of these with
// details; compare with [errors.Is].
var (
	// ErrHandlerFailed wraps the error the function run by [Runner.Do]
	// returned. A webhook receiver answers 500 so that the sender delivers
	// the notification again; an event-queue consumer does not acknowledge
	// the event.
	ErrHandlerFailed = errors.New("dedupe: handler failed")

	// ErrInProgress reports a key claimed by another run that has not
	// finished, here or on another replica. The function did not run; a
	// webhook receiver answers 503 so that the sender delivers again, and
	// an event-queue consumer pulls the event again later.
	ErrInProgress = errors.New("dedupe: being handled by another run")

	// ErrStore wraps an error of a [Store]. When claiming fails the
	// function does not run; when completing a key fails after the
	// function succeeded the outcome is still [Handled].
	ErrStore = errors.New("dedupe: store failed")
)

// Store remembers which deliveries are being, or have been, handled,
// so that a notification delivered more than once is handled once. It is
// used through a [Runner]; implement it to share deduplication between
// several instances of a service.
//
// # Contract
//
// A key is free, claimed (by the token of the run handling its delivery) or
// completed (its delivery was handled). A claim lasts until its lease
// elapses, Complete or Release is called; completion lasts until its
// retention elapses. For each delivery a receiver draws a new random token
// and:
//
//  1. calls Claim(key, token, lease). [Claimed] means the caller holds the
//     key now, for lease from now, and runs the handler: the key was free,
//     or was already claimed with this very token (the same Claim sent
//     twice, as a client does after a lost reply, or a renewal: see below).
//     [ClaimedByOther] means another run holds the
//     key: the delivery is being handled right now, and may still fail; the
//     receiver answers a retryable error, not 2xx. [Completed] means the
//     delivery was handled: the receiver acknowledges it without running
//     the handler.
//  2. after the handler returned nil, calls Complete(key, retention): the
//     key is completed for retention from now, whatever its state.
//  3. after the handler failed, calls Release(key, token): the key becomes
//     free at once if it is still claimed with token (and is left alone
//     otherwise), so that the sender's next attempt runs the handler again.
//
// While the handler runs, the runner renews its claim: every third of the
// lease it calls Claim(key, token, lease) again, which sets the claim's
// lease to lease from now when the key is still claimed with token. A claim
// therefore lasts as long as its handler runs, however long that is, and a
// copy of the delivery never runs beside it; only when the process dies
// between 1 and 2 or 3 do the renewals stop, and the claim expires after
// its lease, so that a later attempt is handled. A Claim whose answer is
// lost (the call failed) is released with its token, as far as the store
// can still be reached.
//
// # Requirements
//
//   - Claim must be atomic: of any number of concurrent Claim calls with
//     different tokens on a free key, exactly one reports [Claimed].
//   - Claim of a key claimed with the same token renews the claim: its
//     lease becomes ttl from now.
//   - Each call must be idempotent: the same call repeated (a retry after a
//     lost reply) has the effect, and the answer, of a single call.
//   - ttl is always positive; an implementation may reject anything else
//     with an error. Tokens are non-empty.
//   - Keys are non-empty strings chosen by the receivers, already prefixed
//     with the receiver's name ("ikitech:", "ginee:"); a store shared with
//     other data may add its own namespace. Their length is not bounded:
//     hash them if the backend needs short keys.
//   - Release of a key that is not claimed with token, and Complete of a
//     free key, are not errors.
//   - Implementations must be safe for concurrent use.
//   - Return an error only when the store could not answer, or answered
//     something unexpected. A receiver whose Claim fails answers 5xx
//     without running the handler; errors from Complete and Release are
//     reported but do not change the answer.
//   - Never forget a running claim to make room for another key: a copy of
//     its delivery would then run beside it. A store that has no room
//     otherwise refuses the new key with an error wrapping [ErrFull]; a
//     receiver answers it 503, so that the sender delivers again later.
//
// Complete and Release are called with a context that is not canceled when
// the request is (see [context.WithoutCancel]).
//
// # Redis
//
// A Redis implementation stores "claim:"+token or "done" under the key;
// Claim is a script (GET, then SET key claim:token PX lease if the key is
// free; an existing value claim:token is the caller's own claim, whose
// lease PEXPIRE renews), Complete is SET key done PX retention, and Release
// deletes the key if it still holds claim:token. Package
// github.com/tikisdk/tiki/redisstore implements it.
//
// The lease bounds how long a process that died in the middle of a handler
// holds its delivery back; a live handler keeps its claim through the
// renewals. A renewal that does not reach the store in time (a store that
// does not answer for a whole lease) lets the claim expire while its
// handler runs, and a copy of the delivery may then run beside it.
type Store interface {
	// Claim holds key for ttl from now under token if it is free or
	// already held under token (then the claim is renewed), and reports
	// the key's state.
	Claim(ctx context.Context, key, token string, ttl time.Duration) (ClaimState, error)

	// Complete marks key completed for ttl from now, whatever its state:
	// the delivery it names was handled.
	Complete(ctx context.Context, key string, ttl time.Duration) error

	// Release frees key if it is claimed under token, so that the next
	// Claim of it succeeds.
	Release(ctx context.Context, key, token string) error
}

// ClaimState is what [Store.Claim] found.
type ClaimState int

// States reported by [Store.Claim].
const (
	// Claimed means the caller holds the key now: it was free, or already
	// held under the caller's token.
	Claimed ClaimState = iota + 1

	// ClaimedByOther means another run holds the key under another token:
	// the delivery is being handled, here or on another replica, and that
	// run may still fail.
	ClaimedByOther

	// Completed means the key's delivery was handled.
	Completed
)

// String returns the state's name, such as "claimed".
func (s ClaimState) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case ClaimedByOther:
		return "claimed by other"
	case Completed:
		return "completed"
	default:
		return fmt.Sprintf("ClaimState(%d)", int(s))
	}
}

// Default durations used by a [Runner] whose fields are zero.
const (
	// DefaultLease is how long a claim holds a key without being renewed;
	// a Runner renews it while the handler runs.
	DefaultLease = 5 * time.Minute

	// DefaultRetention is how long a handled delivery's key is remembered.
	// Senders retry for minutes to hours; a day covers their retry windows.
	DefaultRetention = 24 * time.Hour
)

// Outcome tells what [Runner.Do] did with a delivery.
type Outcome int

// Outcomes of [Runner.Do].
const (
	// Handled means the handler ran and returned nil. The receiver answers
	// 2xx.
	Handled Outcome = iota + 1

	// Duplicate means the delivery was handled already (its key is
	// completed); the handler did not run. The receiver answers 2xx so that
	// the sender stops delivering it.
	Duplicate

	// Failed means the delivery was not handled: the key could not be
	// claimed, or the handler returned an error or panicked. The key is not
	// left held, as far as the store can be reached, so that a redelivery
	// is handled. The receiver answers 5xx.
	Failed

	// InProgress means another run holds the key: the delivery is being
	// handled, here or on another replica, and that run has not succeeded
	// yet. The handler did not run. The receiver answers 503 so that the
	// sender delivers it again: by then the first run has succeeded (the
	// copy is a Duplicate) or failed (the copy runs the handler).
	InProgress
)

// String returns the outcome's name, such as "handled".
func (o Outcome) String() string {
	switch o {
	case Handled:
		return "handled"
	case Duplicate:
		return "duplicate"
	case Failed:
		return "failed"
	case InProgress:
		return "in progress"
	default:
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
}

// Runner runs each delivery's handler at most once per key while it
// succeeds, following the [Store] contract, and reports a delivery as
// [Handled] or [Duplicate] only once a run of its handler succeeded. The
// zero value runs every handler without deduplication. A Runner is a small
// value; copy it freely.
type Runner struct {
	// Store holds the keys. Nil disables deduplication: every delivery runs.
	Store Store

	// Lease is how long a claim holds a key without being renewed; zero
	// means DefaultLease. Do renews the claim every third of it while the
	// handler runs, so it bounds how long a crashed process delays the
	// redelivery of a notification it had claimed, not how long a handler
	// may run.
	Lease time.Duration

	// Retention is how long the key of a handled delivery is remembered;
	// zero means DefaultRetention.
	Retention time.Duration
}

// Do claims key with a new random token, runs fn with ctx if the claim
// succeeded, then completes the key if fn returned nil or releases it if fn
// failed. While fn runs, Do renews the claim every third of the lease (or
// every millisecond, for a lease shorter than 3 ms), from another
// goroutine; the renewals stop before the key is completed or released, and
// Do waits for a renewal under way (bounded by the lease) to end first. A failed renewal is tried again
// at the next one; one that finds the key no longer claimed by this run
// stops them. A panic in fn (or runtime.Goexit) releases the key and is
// then propagated unchanged.
//
// The error is nil for [Duplicate] and, usually, for [Handled]:
//
//   - Handled with an error wrapping [ErrStore]: fn succeeded but the
//     key could not be completed; the delivery should still be acknowledged.
//   - InProgress: the error wraps [ErrInProgress].
//   - Failed: the error wraps [ErrStore] if the claim failed (fn did
//     not run; the claim, which may have been made without its answer
//     arriving, is released), and also [ErrFull] when the store had no
//     room for the key, or [ErrHandlerFailed] and fn's error if fn
//     failed, joined with an [ErrStore] error if releasing the key
//     failed too.
func (d Runner) Do(ctx context.Context, key string, fn func(context.Context) error) (Outcome, error) {
	if ctx == nil {
		return Failed, errors.New("dedupe: Runner.Do: nil context")
	}
	if d.Store == nil {
		if err := fn(ctx); err != nil {
			return Failed, fmt.Errorf("%w: %w", ErrHandlerFailed, err)
		}
		return Handled, nil
	}
	lease, retention := d.Lease, d.Retention
	if lease <= 0 {
		lease = DefaultLease
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	token, err := newToken()
	if err != nil {
		return Failed, fmt.Errorf("%w: claim %q: %w", ErrStore, key, err)
	}

	// The store must be updated even if the request was canceled meanwhile.
	storeCtx := context.WithoutCancel(ctx)
	release := func() error {
		if err := d.Store.Release(storeCtx, key, token); err != nil {
			return fmt.Errorf("%w: release %q: %w", ErrStore, key, err)
		}
		return nil
	}

	state, err := d.Store.Claim(ctx, key, token, lease)
	if err != nil {
		// The claim may have been made and its answer lost: free it, so
		// that the sender's next attempt is not turned away for a lease.
		return Failed, errors.Join(fmt.Errorf("%w: claim %q: %w", ErrStore, key, err), release())
	}
	switch state {
	case Claimed:
	case Completed:
		return Duplicate, nil
	case ClaimedByOther:
		return InProgress, fmt.Errorf("%w: %q", ErrInProgress, key)
	default:
		return Failed, errors.Join(fmt.Errorf("%w: claim %q: unexpected state %v", ErrStore, key, state), release())
	}

	stopRenewals := d.renew(storeCtx, key, token, lease)
	finished := false
	defer func() {
		if !finished {
			// fn panicked (or called runtime.Goexit): free the key so that a
			// redelivery is handled, and let the panic go on.
			stopRenewals()
			_ = release()
		}
	}()
	err = fn(ctx)
	finished = true
	stopRenewals()

	if err != nil {
		return Failed, errors.Join(fmt.Errorf("%w: %w", ErrHandlerFailed, err), release())
	}
	if err := d.Store.Complete(storeCtx, key, retention); err != nil {
		return Handled, fmt.Errorf("%w: complete %q: %w", ErrStore, key, err)
	}
	return Handled, nil
}

// renew keeps the claim of key by token alive while its handler runs: it
// claims the key again, with the same token, every third of lease. The
// function it returns stops the renewals and returns once none is under
// way, so that no renewal reaches the store after the key was completed or
// released (a renewal after a release would claim the key anew).
func (d Runner) renew(ctx context.Context, key, token string, lease time.Duration) (stop func()) {
	every := max(lease/3, time.Millisecond)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			// A renewal that takes longer than the lease is too late
			// anyway; bounding it keeps stop from waiting on a store that
			// does not answer.
			rctx, cancel := context.WithTimeout(ctx, lease)
			// The goroutine is the SDK's: a store that panics here fails
			// this renewal instead of the process.
			state, err := safe.Get(func() (ClaimState, error) { return d.Store.Claim(rctx, key, token, lease) })
			cancel()
			if err == nil && state != Claimed {
				return // no longer this run's claim: nothing to keep
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-stopped
	}
}

// newToken returns a random token identifying one run of a handler: 128
// bits from the system's secure random source, in hex.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("dedupe: claim token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
