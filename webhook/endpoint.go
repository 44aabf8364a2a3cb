package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/tikisdk/tiki/dedupe"
)

// Delivery is an authenticated, decoded webhook request ready to be handled.
type Delivery struct {
	// Key identifies the delivery for deduplication: the sender's
	// notification id when it has one, [BodyKey] otherwise, prefixed with
	// the receiver's name. An empty Key disables deduplication for this
	// delivery.
	Key string

	// Handle runs the user's handler for the delivery. Nil acknowledges the
	// delivery without running anything, so a receiver returns it only for
	// a delivery its caller decided to drop; for a delivery that has no
	// handler, Decode returns an error wrapping [ErrNoHandler] instead (the
	// SDK's receivers always do, and drop a delivery only through a
	// registered handler such as [Ignore]).
	Handle func(ctx context.Context) error
}

// Endpoint is the HTTP pipeline behind every receiver of the SDK. For each
// request it:
//
//  1. accepts POST only (405 with "Allow: POST" otherwise);
//  2. calls Authorize, before reading the body (401 on error);
//  3. reads the body through MaxBodyBytes (413 when larger) within
//     BodyTimeout of the request's arrival at the handler (408 when slower,
//     and the connection is closed);
//  4. calls Verify with the raw body, for signatures (401 on error);
//  5. calls Decode (400 on error; 501 on an error wrapping [ErrNoHandler]);
//  6. runs the delivery's Handle through Dedupe with the request's context:
//     200 when handled or a duplicate, 503 when another run of the same
//     delivery has not finished ([dedupe.InProgress]) or when the store is
//     full of running claims ([dedupe.ErrFull]), 500 when it failed.
//
// A delivery is thus answered 2xx only after a run of its handler returned
// nil, in this process or in another sharing the dedupe store (or when
// Decode deliberately returns no handler).
//
// Reply writes the response body for each of those status codes. Every
// error is passed to OnError, or logged through slog.Default() when OnError
// is nil; each wraps one of the package's sentinel errors, except for a
// missing Decode. A handler never runs for a request that failed steps 1 to
// 5.
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

	// BodyTimeout limits how long the body may take to arrive, counted
	// from the moment the request reaches ServeHTTP; zero or less means
	// DefaultBodyTimeout. It is enforced with
	// [http.ResponseController.SetReadDeadline], so it needs a
	// ResponseWriter of net/http's server (or one that unwraps to it); with
	// another the body is read without a deadline, and only the server's
	// ReadTimeout bounds it.
	BodyTimeout time.Duration

	// Dedupe runs each delivery's Handle at most once per key while it
	// succeeds. Its zero value runs every delivery.
	Dedupe dedupe.Runner

	// Reply writes the response for status, which is 200 or an error status.
	// Nil writes {"success": true} for 200 and {"success": false, "error":
	// "<status text>"} otherwise.
	Reply func(w http.ResponseWriter, status int)

	// OnError is called with every error the Endpoint meets, in the
	// request's goroutine: rejected requests, undecodable bodies,
	// deliveries without a handler, handler failures and store failures,
	// and what a receiver passes to Report. It must not write to the
	// response. Nil logs each error through slog.Default() instead (at
	// Error level when the answer is 5xx, at Warn otherwise): nothing the
	// Endpoint meets goes unreported.
	OnError func(r *http.Request, err error)
}

// ServeHTTP implements [http.Handler].
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, err := e.serve(w, r)
	if err != nil {
		e.report(r, status, err)
	}
	e.reply(w, status)
}

// Report passes err, a problem met while handling r that does not change
// its answer (a receiver's Decode handing a delivery that does not decode
// to a catch-all handler, say), to OnError, or logs it through
// slog.Default() at Warn level when OnError is nil.
func (e *Endpoint) Report(r *http.Request, err error) {
	e.report(r, 0, err)
}

// report passes err, met while answering r with status (0: not decided
// by it), to OnError, or to slog.Default().
func (e *Endpoint) report(r *http.Request, status int, err error) {
	if e.OnError != nil {
		e.OnError(r, err)
		return
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("error", err.Error())}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	// The path is left out: a receiver may take a secret in it.
	slog.Default().LogAttrs(r.Context(), level, "webhook: receiver error", attrs...)
}

// serve runs the pipeline and returns the status to answer and the error to
// report, if any (an error does not imply a failure status: see Handled).
func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) (int, error) {
	arrived := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method)
	}
	if e.Authorize != nil {
		if err := e.Authorize(r); err != nil {
			return http.StatusUnauthorized, wrapSentinel(ErrUnauthorized, err)
		}
	}
	body, err := e.readBody(w, r, arrived)
	if err != nil {
		switch {
		case errors.Is(err, ErrBodyTooLarge):
			return http.StatusRequestEntityTooLarge, err
		case errors.Is(err, ErrBodyTimeout):
			return http.StatusRequestTimeout, err
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
		if errors.Is(err, ErrNoHandler) {
			return http.StatusNotImplemented, err
		}
		return http.StatusBadRequest, wrapSentinel(ErrMalformedPayload, err)
	}
	if d.Handle == nil {
		return http.StatusOK, nil
	}
	runner := e.Dedupe
	if d.Key == "" {
		runner.Store = nil
	}
	outcome, err := runner.Do(r.Context(), d.Key, d.Handle)
	switch outcome {
	case dedupe.Handled, dedupe.Duplicate:
		return http.StatusOK, err
	case dedupe.InProgress:
		return http.StatusServiceUnavailable, err
	default:
		if errors.Is(err, dedupe.ErrFull) {
			// Nothing ran: the sender delivers again once a run finished.
			return http.StatusServiceUnavailable, err
		}
		return http.StatusInternalServerError, err
	}
}

// readBody reads the body as [ReadBody] does, within the body timeout
// counted from arrived. The read deadline it sets on the connection is
// lifted once the body is read, so that it does not end the request while
// the handler runs.
func (e *Endpoint) readBody(w http.ResponseWriter, r *http.Request, arrived time.Time) ([]byte, error) {
	timeout := e.BodyTimeout
	if timeout <= 0 {
		timeout = DefaultBodyTimeout
	}
	deadline := arrived.Add(timeout)
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(deadline); err != nil {
		// Not net/http's server: read without a deadline.
		return ReadBody(w, r, e.MaxBodyBytes)
	}
	body, err := ReadBody(w, r, e.MaxBodyBytes)
	if err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(deadline)) {
		// The connection is unusable with a body half read: close it.
		w.Header().Set("Connection", "close")
		return nil, fmt.Errorf("%w: limit is %v", ErrBodyTimeout, timeout)
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, err
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
