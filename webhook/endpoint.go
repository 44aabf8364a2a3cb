package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Delivery is an authenticated, decoded webhook request ready to be handled.
type Delivery struct {
	// Key identifies the delivery for deduplication: the sender's
	// notification id when it has one, [BodyKey] otherwise, prefixed with
	// the receiver's name. An empty Key disables deduplication for this
	// delivery.
	Key string

	// Handle runs the user's handler for the delivery. Nil acknowledges the
	// delivery without running anything (no handler is registered for it).
	Handle func(ctx context.Context) error
}

// Endpoint is the HTTP pipeline behind every receiver of the SDK. For each
// request it:
//
//  1. accepts POST only (405 with "Allow: POST" otherwise);
//  2. calls Authorize, before reading the body (401 on error);
//  3. reads the body through MaxBodyBytes (413 when larger);
//  4. calls Verify with the raw body, for signatures (401 on error);
//  5. calls Decode (400 on error);
//  6. runs the delivery's Handle through Dedupe with the request's context:
//     200 when handled or a duplicate, 500 when it failed.
//
// Reply writes the response body for each of those status codes. Every
// error is passed to OnError; each wraps one of the package's sentinel
// errors, except for a missing Decode. A handler never runs for a request
// that failed steps 1 to 5.
//
// Receivers build an Endpoint once; its fields must not change while it
// serves requests.
type Endpoint struct {
	// Authorize checks the request before its body is read, for a static
	// token header or a secret in the path. Nil accepts every request.
	Authorize func(r *http.Request) error

	// Verify checks the raw body, for a signature computed over it. Nil
	// accepts every body.
	Verify func(r *http.Request, body []byte) error

	// Decode turns the raw body into a Delivery. It is required; an Endpoint
	// without it answers 500.
	Decode func(r *http.Request, body []byte) (Delivery, error)

	// MaxBodyBytes limits the size of the body; zero or less means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Dedupe runs each delivery's Handle at most once per key while it
	// succeeds. Its zero value runs every delivery.
	Dedupe Deduper

	// Reply writes the response for status, which is 200 or an error status.
	// Nil writes {"success": true} for 200 and {"success": false, "error":
	// "<status text>"} otherwise.
	Reply func(w http.ResponseWriter, status int)

	// OnError, if set, is called with every error the Endpoint meets, in the
	// request's goroutine: rejected requests, undecodable bodies, handler
	// failures and store failures. It must not write to the response.
	OnError func(r *http.Request, err error)
}

// ServeHTTP implements [http.Handler].
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, err := e.serve(w, r)
	if err != nil && e.OnError != nil {
		e.OnError(r, err)
	}
	e.reply(w, status)
}

// serve runs the pipeline and returns the status to answer and the error to
// report, if any (an error does not imply a failure status: see Handled).
func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) (int, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method)
	}
	if e.Authorize != nil {
		if err := e.Authorize(r); err != nil {
			return http.StatusUnauthorized, wrapSentinel(ErrUnauthorized, err)
		}
	}
	body, err := ReadBody(w, r, e.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return http.StatusRequestEntityTooLarge, err
		}
		// The sender went away mid-body: what arrived is incomplete.
		return http.StatusBadRequest, wrapSentinel(ErrMalformedPayload, err)
	}
	if e.Verify != nil {
		if err := e.Verify(r, body); err != nil {
			return http.StatusUnauthorized, wrapSentinel(ErrUnauthorized, err)
		}
	}
	if e.Decode == nil {
		return http.StatusInternalServerError, errors.New("webhook: Endpoint.Decode is nil")
	}
	d, err := e.Decode(r, body)
	if err != nil {
		return http.StatusBadRequest, wrapSentinel(ErrMalformedPayload, err)
	}
	if d.Handle == nil {
		return http.StatusOK, nil
	}
	dedupe := e.Dedupe
	if d.Key == "" {
		dedupe.Store = nil
	}
	outcome, err := dedupe.Do(r.Context(), d.Key, d.Handle)
	if outcome == Failed {
		return http.StatusInternalServerError, err
	}
	return http.StatusOK, err
}

func (e *Endpoint) reply(w http.ResponseWriter, status int) {
	if e.Reply != nil {
		e.Reply(w, status)
		return
	}
	if status < 300 {
		_ = WriteJSON(w, status, successReply{Success: true})
		return
	}
	_ = WriteJSON(w, status, successReply{Error: http.StatusText(status)})
}

type successReply struct {
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
}

// wrapSentinel returns err, wrapped around sentinel unless it wraps it
// already.
func wrapSentinel(sentinel, err error) error {
	if errors.Is(err, sentinel) {
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
