package webhook

import "errors"

// Sentinel errors reported by the receivers. The errors they return wrap one
// of these with details; compare with [errors.Is].
var (
	// ErrMethodNotAllowed reports a request whose method is not POST. The
	// receiver answers 405 with an Allow header.
	ErrMethodNotAllowed = errors.New("webhook: method not allowed")

	// ErrUnauthorized reports a request that failed authentication: a missing
	// or wrong token, shared secret or signature. The receiver answers 401 and
	// does not run any handler.
	ErrUnauthorized = errors.New("webhook: unauthorized")

	// ErrBodyTooLarge reports a request body larger than the receiver's limit
	// ([DefaultMaxBodyBytes] unless configured). The receiver answers 413.
	ErrBodyTooLarge = errors.New("webhook: request body too large")

	// ErrMalformedPayload reports a body that is not the JSON document the
	// sender documents (invalid JSON, or a field of the wrong type). The
	// receiver answers 400.
	ErrMalformedPayload = errors.New("webhook: malformed payload")

	// ErrBodyTimeout reports a request body that did not arrive within the
	// receiver's body timeout ([DefaultBodyTimeout] unless configured). The
	// receiver answers 408 and closes the connection.
	ErrBodyTimeout = errors.New("webhook: request body not received in time")

	// ErrNoHandler reports a delivery for which no handler is registered:
	// a kind the sender documents without its handler, or a kind (a shape,
	// a type, an entity) the receiver does not know without the
	// receiver's OnUnknown handler. The receiver answers 501, so that the
	// sender delivers it again once a handler is registered, instead of
	// acknowledging an event nobody handled: dropping a delivery is a
	// decision the caller writes down, by registering a handler that
	// returns nil (such as [Ignore], for OnUnknown too).
	//
	// The event-queue consumer has its own, eventqueue.ErrNoHandler, for
	// the same rule; see there why they are two.
	ErrNoHandler = errors.New("webhook: no handler registered for this kind of delivery")
)
