package eventqueue

import (
	"errors"
	"fmt"
	"time"

	"github.com/tikisdk/tiki"
)

// ErrRunning is returned by Run when the Consumer is running already: one
// Consumer runs one loop.
var ErrRunning = errors.New("eventqueue: the consumer is running already")

// ErrNoHandler is matched by the *HandlerError of an event that nothing
// takes: its type has no handler, is not ignored (WithIgnore,
// WithIgnoreUnknown) and OnEvent is not set. The event is not acknowledged:
// its batch stops there and is pulled again after a backoff, until a
// handler is registered (a restart with one) or the type is ignored.
//
// The webhook receivers have their own, webhook.ErrNoHandler, for the same
// rule on their side (a delivery answered 501). They are two because each
// is matched in its own pipeline's error callback (this package's
// WithOnError, or webhook.WithOnError) and says what that pipeline does
// next, and because a consumer of the event queue has no use for the
// package of HTTP receivers, nor a receiver for this one.
var ErrNoHandler = errors.New("eventqueue: no handler for the event")

// HandlerError is the failure of one event, which stops its batch: the
// events after it are not handed out, the batch is not acknowledged, and
// after a backoff the Consumer pulls it again. Err is
//
//   - the handler's error, or a *tiki.PanicError when it panicked;
//   - a *tiki.EventDecodeError for a malformed event of a type with a typed
//     handler and no OnMalformed;
//   - an error matching ErrNoHandler for an event nothing takes;
//   - an error matching dedupe.ErrInProgress when another run holds the
//     event's claim (a replica that lost its lease whose handler still
//     runs), or dedupe.ErrStore when the dedupe store could not claim it
//     (the handler did not run).
type HandlerError struct {
	// Event is the event that stopped the batch.
	Event *tiki.Event
	// Err is why; see HandlerError.
	Err error
}

// Error names the event and the failure.
func (e *HandlerError) Error() string {
	if e.Event == nil {
		return fmt.Sprintf("eventqueue: handling an event: %v", e.Err)
	}
	return fmt.Sprintf("eventqueue: handling event %q (%s %s): %v", e.Event.ID, e.Event.Type, e.Event.Version, e.Err)
}

// Unwrap returns the cause.
func (e *HandlerError) Unwrap() error { return e.Err }

// HandlerTimeoutError reports a handler that is still running past the
// handler time limit (WithHandlerTimeout): its context ended, but it has
// not returned. The Consumer reports it through WithOnError and the log
// when the limit passes, and again each time the limit passes once more
// while the handler runs. Nothing after the event is handed out or
// acknowledged meanwhile, and the lease, if any, is kept.
type HandlerTimeoutError struct {
	// Event is the event whose handler is running.
	Event *tiki.Event
	// Limit is the handler time limit.
	Limit time.Duration
	// Running is how long the handler has run so far.
	Running time.Duration
}

// Error names the event and how long its handler has run.
func (e *HandlerTimeoutError) Error() string {
	id, typ := "", tiki.EventType("")
	if e.Event != nil {
		id, typ = e.Event.ID, e.Event.Type
	}
	return fmt.Sprintf("eventqueue: the handler of event %q (%s) has run for %v, past its time limit of %v, and ignores its context; nothing after it is acknowledged until it returns",
		id, typ, e.Running.Round(time.Millisecond), e.Limit)
}
