package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DedupeStore remembers which deliveries are being, or have been, handled,
// so that a notification delivered more than once is handled once. It is
// used through a [Deduper]; implement it to share deduplication between
// several instances of a service.
//
// # Contract
//
// A key is held from a successful Claim, or from Complete, until its ttl
// elapses or Release is called; it is free otherwise. For each delivery a
// receiver:
//
//  1. calls Claim(key, lease). claimed=true means the caller now holds the
//     key and runs the handler. claimed=false means the key is held already
//     (the delivery is being handled by another request, or was handled
//     recently): the receiver acknowledges it without running the handler.
//  2. after the handler returned nil, calls Complete(key, retention): the
//     key is held for retention from now, whatever its state, so copies that
//     arrive in that window are dropped;
//  3. after the handler failed, calls Release(key): the key becomes free at
//     once, so the sender's next attempt runs the handler again.
//
// If the process dies between 1 and 2 or 3, the claim expires after lease and
// a later attempt is handled.
//
// # Requirements
//
//   - Claim must be atomic: of any number of concurrent Claim calls on a free
//     key, exactly one reports true.
//   - ttl is always positive; an implementation may reject anything else
//     with an error.
//   - Keys are non-empty strings chosen by the receivers, already prefixed
//     with the receiver's name ("ikitech:", "ginee:"); a store shared with
//     other data may add its own namespace. Their length is not bounded:
//     hash them if the backend needs short keys.
//   - Release of a free key, and Complete of a free key, are not errors.
//   - Implementations must be safe for concurrent use.
//   - Return an error only when the store could not answer. A receiver whose
//     Claim fails answers 5xx without running the handler; errors from
//     Complete and Release are reported but do not change the answer.
//
// Complete and Release are called with a context that is not canceled when
// the request is (see [context.WithoutCancel]).
//
// # Redis
//
// A Redis implementation maps directly onto single commands:
//
//	Claim:    SET key 1 NX PX ttl  (OK: claimed; nil reply: not claimed)
//	Complete: SET key 1 PX ttl
//	Release:  DEL key
//
// A lease that expires while its handler is still running lets a copy of the
// delivery be handled concurrently, and the first handler's Complete or
// Release then acts on the second's claim; choose a lease comfortably longer
// than the longest handler run.
type DedupeStore interface {
	// Claim holds key for ttl if it is free and reports whether it did.
	Claim(ctx context.Context, key string, ttl time.Duration) (claimed bool, err error)

	// Complete holds key for ttl from now, whether or not it is held: the
	// delivery it names was handled.
	Complete(ctx context.Context, key string, ttl time.Duration) error

	// Release frees key, so that the next Claim of it succeeds.
	Release(ctx context.Context, key string) error
}

// Default durations used by a [Deduper] whose fields are zero.
const (
	// DefaultLease is how long a claim holds a key while its handler runs.
	DefaultLease = 5 * time.Minute

	// DefaultRetention is how long a handled delivery's key is remembered.
	// Senders retry for minutes to hours; a day covers their retry windows.
	DefaultRetention = 24 * time.Hour
)

// Outcome tells what [Deduper.Do] did with a delivery.
type Outcome int

// Outcomes of [Deduper.Do].
const (
	// Handled means the handler ran and returned nil. The receiver answers
	// 2xx.
	Handled Outcome = iota + 1

	// Duplicate means the key was held already (the delivery is being
	// handled, or was handled recently); the handler did not run. The
	// receiver answers 2xx so that the sender stops delivering it.
	Duplicate

	// Failed means the delivery was not handled: the key could not be
	// claimed, or the handler returned an error or panicked. The key is not
	// left held, so that a redelivery is handled. The receiver answers 5xx.
	Failed
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
	default:
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
}

// Deduper runs each delivery's handler at most once per key while it
// succeeds, following the [DedupeStore] contract. The zero value runs every
// handler without deduplication. A Deduper is a small value; copy it freely.
type Deduper struct {
	// Store holds the keys. Nil disables deduplication: every delivery runs.
	Store DedupeStore

	// Lease is how long a claim holds a key while the handler runs; zero
	// means DefaultLease. It bounds how long a crashed process delays the
	// redelivery of a notification it had claimed.
	Lease time.Duration

	// Retention is how long the key of a handled delivery is remembered;
	// zero means DefaultRetention.
	Retention time.Duration
}

// Do claims key, runs fn with ctx if the claim succeeded, then completes
// the key if fn returned nil or releases it if fn failed. A panic in fn
// releases the key and is then propagated unchanged.
//
// The error is nil for [Duplicate] and, usually, for [Handled]:
//
//   - Handled with an error wrapping [ErrDedupeStore]: fn succeeded but the
//     key could not be completed; the delivery should still be acknowledged.
//   - Failed: the error wraps [ErrDedupeStore] if the claim failed (fn did
//     not run), or [ErrHandlerFailed] and fn's error if fn failed, joined
//     with an [ErrDedupeStore] error if releasing the key failed too.
func (d Deduper) Do(ctx context.Context, key string, fn func(context.Context) error) (Outcome, error) {
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

	claimed, err := d.Store.Claim(ctx, key, lease)
	if err != nil {
		return Failed, fmt.Errorf("%w: claim %q: %w", ErrDedupeStore, key, err)
	}
	if !claimed {
		return Duplicate, nil
	}

	// The store must be updated even if the request was canceled meanwhile.
	storeCtx := context.WithoutCancel(ctx)
	release := func() error {
		if err := d.Store.Release(storeCtx, key); err != nil {
			return fmt.Errorf("%w: release %q: %w", ErrDedupeStore, key, err)
		}
		return nil
	}

	finished := false
	defer func() {
		if !finished {
			// fn panicked (or called runtime.Goexit): free the key so that a
			// redelivery is handled, and let the panic go on.
			_ = release()
		}
	}()
	err = fn(ctx)
	finished = true

	if err != nil {
		return Failed, errors.Join(fmt.Errorf("%w: %w", ErrHandlerFailed, err), release())
	}
	if err := d.Store.Complete(storeCtx, key, retention); err != nil {
		return Handled, fmt.Errorf("%w: complete %q: %w", ErrDedupeStore, key, err)
	}
	return Handled, nil
}
