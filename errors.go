package tiki

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki/internal/redact"
	"github.com/tikisdk/tiki/internal/safe"
)

// Sentinel errors, for use with errors.Is. Every *APIError matches the
// sentinel that fits its HTTP status, so callers can branch without
// inspecting status codes:
//
//	if errors.Is(err, tiki.ErrNotFound) { ... }
var (
	// ErrNotFound matches API errors with HTTP status 404.
	ErrNotFound = errors.New("tiki: not found")
	// ErrUnauthorized matches API errors with HTTP status 401 (token missing,
	// expired or not linked to a seller) and failures of the OAuth2 token
	// endpoint.
	ErrUnauthorized = errors.New("tiki: unauthorized")
	// ErrForbidden matches API errors with HTTP status 403 (scope insufficient
	// or seller inactive).
	ErrForbidden = errors.New("tiki: forbidden")
	// ErrRateLimited matches API errors with HTTP status 429 and every
	// *RateLimitError.
	ErrRateLimited = errors.New("tiki: rate limited")
	// ErrNilContext matches the error of every call given a nil context:
	// a *ValidationError whose one problem is the field "ctx". Nothing is
	// sent, nothing panics; iterators yield it.
	ErrNilContext = errors.New("tiki: nil context")
)

// nilContextError is the error of a call given a nil context.
func nilContextError() error {
	return &ValidationError{Problems: []FieldProblem{{Field: "ctx", Problem: "must not be nil"}}}
}

// checkContext returns the nil-context error when ctx is nil. Methods that
// use their context before sending (between calls, in iterators) call it
// first; every request goes through it in Client.do.
func checkContext(ctx context.Context) error {
	if ctx == nil {
		return nilContextError()
	}
	return nil
}

// maxErrorBody bounds how much of an error response body is read and kept.
const maxErrorBody = 1 << 20

// APIError is returned when Tiki answers with a status outside 2xx (after any
// retries), or with a body that says the call failed. It carries everything
// needed to understand and report the failure; secrets never appear in it.
type APIError struct {
	// StatusCode is the HTTP status of the last response.
	StatusCode int
	// Messages are Tiki's messages: the integration API's
	// {"errors": [...]} list, or the TikiNOW error.message.
	Messages []string
	// Code is TikiNOW's machine-readable error.message_code
	// (for example "INVALID_TOKEN"); empty for the integration API.
	Code string
	// RequestID identifies the request to Tiki's support: the body's
	// meta_data.request_id or a request-id response header.
	RequestID string
	// Method is the request's HTTP method, for example "GET".
	Method string
	// URL is the request's full URL, query included. Credentials are never
	// part of it: sensitive query parameters are masked.
	URL string
	// Header holds the response headers.
	Header http.Header
	// Body is the raw response body, read through a 1 MiB bound.
	Body []byte
	// Attempts is how many requests were sent for this call, retries and the
	// repeat after a token renewal included.
	Attempts int
	// Hint suggests a likely cause the answer alone does not tell, for
	// example a custom base URL without Tiki's /integration path; empty
	// otherwise.
	Hint string
}

// Error reports the status, Tiki's messages (or a snippet of a non-JSON
// body), the request and the number of attempts.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tiki: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case len(e.Messages) > 0:
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	case len(e.Body) > 0:
		b.WriteString(": body ")
		b.WriteString(strconv.Quote(snippet(e.Body)))
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// Is reports whether the error matches one of the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// RateLimitError is returned when Tiki keeps answering 429 Too Many Requests
// after the retry budget is spent, or asks (Retry-After) for a wait longer
// than the client's configured cap. RetryAfter is the wait Tiki asked for,
// zero when it did not say.
type RateLimitError struct {
	*APIError
	// RetryAfter is the wait Tiki asked for in its Retry-After header, zero
	// when it did not say.
	RetryAfter time.Duration
}

// Error describes the rate limit and the requested wait.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (retry after %s)", e.APIError.Error(), e.RetryAfter)
	}
	return e.APIError.Error()
}

// Unwrap returns the underlying *APIError, so errors.As finds it too.
func (e *RateLimitError) Unwrap() error { return e.APIError }

// Is reports true for ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// DecodeError is returned when a successful (2xx) response has a body that is
// not the JSON the endpoint documents: empty, truncated, HTML from a proxy,
// or an answer holding an amount that is not a whole number of dong (Err
// is then an *AmountError naming the field; see AmountError).
type DecodeError struct {
	// StatusCode is the response's HTTP status (2xx).
	StatusCode int
	// ContentType is the response's Content-Type header, as received.
	ContentType string
	// Method is the request's HTTP method, for example "GET".
	Method string
	// URL is the request's full URL, query included, with sensitive query
	// parameters masked.
	URL string
	// Snippet is the start of the body, for diagnosis.
	Snippet string
	// Body is the whole body, as received (with known secrets masked), so
	// that an answer the SDK refused can be inspected or kept.
	Body []byte
	// Err is the JSON decoder's error.
	Err error
}

// Error describes what could not be decoded.
func (e *DecodeError) Error() string {
	what := "is not valid JSON"
	var se *ShapeError
	var ae *AmountError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(e.Err, &ae):
		what = "holds an invalid amount"
	case errors.As(e.Err, &se) || errors.As(e.Err, &te):
		what = "is JSON of another shape than documented"
	}
	return fmt.Sprintf("tiki: %s %s: %d response %s (%s, content-type %q): %v",
		e.Method, e.URL, e.StatusCode, what, describeSnippet(e.Snippet), e.ContentType, e.Err)
}

// Unwrap returns the JSON decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// decodeError is the *DecodeError of the 2xx answer body to r (sent to u)
// that did not decode (err). Secrets are masked in the whole body first,
// then the snippet and every quote of the body in err are cut from the
// masked text, so that no part of a secret survives a cut.
func (c *Client) decodeError(r *request, u *url.URL, status int, header http.Header, body []byte, err error) *DecodeError {
	masked := c.redactor.Bytes(body)
	return &DecodeError{
		StatusCode:  status,
		ContentType: c.redactor.String(header.Get("Content-Type")),
		Method:      r.method,
		URL:         c.redactor.URL(u),
		Snippet:     snippet(masked),
		Body:        masked,
		Err:         maskQuotes(c.redactor, err),
	}
}

// quote is the JSON text that a decoding error quotes the start of
// (ShapeError.Got, AmountError.Value, valueError), kept until the client
// masks its secrets in it (see maskQuotes).
type quote struct{ text []byte }

// mask sets *cut to the start of the quoted text with red's secrets
// masked, and forgets the text.
func (q *quote) mask(red *redact.Redactor, cut *string) {
	if q.text == nil {
		return
	}
	*cut = truncate(red.Bytes(q.text))
	q.text = nil
}

// quoter is a decoding error that quotes the start of a JSON text.
type quoter interface {
	// maskQuote takes the quote anew from the text with red's secrets
	// masked before it is cut.
	maskQuote(red *redact.Redactor)
}

// maskQuotes masks red's secrets in every quote of err's chain, and
// returns err. When an error of the chain that is not the SDK's still holds
// a secret in its text, the result is an error with the masked text whose
// chain keeps only the SDK's decoding error (the *AmountError or
// *ShapeError, already masked), as scrubWith does.
func maskQuotes(red *redact.Redactor, err error) error {
	eachError(err, func(e error) {
		if q, ok := e.(quoter); ok {
			q.maskQuote(red)
		}
	})
	msg := err.Error()
	clean := red.String(msg)
	if clean == msg {
		return err
	}
	var ae *AmountError
	if errors.As(err, &ae) {
		return &scrubbedError{msg: clean, err: ae}
	}
	var se *ShapeError
	if errors.As(err, &se) {
		return &scrubbedError{msg: clean, err: se}
	}
	return &scrubbedError{msg: clean}
}

// eachError calls f with err and every error its chain wraps.
func eachError(err error, f func(error)) {
	for err != nil {
		f(err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				eachError(e, f)
			}
			return
		default:
			return
		}
	}
}

// valueError is a JSON value that a tolerant decoder (FlexInt, Time, ...)
// refused; format quotes the start of the value with one %s.
type valueError struct {
	format string
	got    string
	raw    quote
}

// newValueError is the error of the JSON value b.
func newValueError(format string, b []byte) *valueError {
	return &valueError{format: format, got: truncate(b), raw: quote{b}}
}

func (e *valueError) Error() string { return fmt.Sprintf(e.format, e.got) }

func (e *valueError) maskQuote(red *redact.Redactor) { e.raw.mask(red, &e.got) }

// UnconfirmedError is returned when Tiki answers a write with a 2xx status
// but without what the endpoint's answer holds when Tiki accepted the write:
// the track id of a product request (ProductRequests.Create and its older
// versions, ProductRequests.UpdateInfo, Tracking.Replay), the code of a
// queue or subscription (EventQueue.CreateQueue, Subscribe, Activate- and
// DeactivateSubscription). Such answers are seen: {"success": false, ...},
// {}, or a message instead of the answer, such as the one older endpoints
// send when the seller paused the connection.
//
// Sent means what RequestError.Sent means: true when Tiki may have
// processed the write, false only when the answer proves it did not. It is
// false for an explicit refusal only: "success": false, a non-empty
// "errors" list, or the message older endpoints send when the seller
// paused the connection ("Kết nối đang tạm ngưng bởi seller", as the body
// or in its msg, message or error). It is true for every other answer: {},
// a body that is not JSON, and a message that refuses nothing ("Replay
// request accepted"). With Sent true, look the write up (Tracking.Latest,
// ProductRequests.List, EventQueue.ListQueues) before sending it again: a
// resent ProductRequests.Create may create the product twice.
type UnconfirmedError struct {
	// APIError holds the answer: its 2xx status, Tiki's messages, the
	// body (secrets masked), the request and the attempts.
	*APIError
	// Missing names what the answer lacks, for example "track_id".
	Missing string
	// Sent reports whether Tiki may have processed the write: false only
	// for an explicit refusal (see UnconfirmedError).
	Sent bool
}

// Error names the request, what the answer lacks, Tiki's message or the
// body, and whether the write may have been processed.
func (e *UnconfirmedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tiki: %s %s: %d %s answer without a %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode), e.Missing)
	switch {
	case len(e.Messages) > 0:
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	default:
		fmt.Fprintf(&b, " (%s)", describeSnippet(snippet(e.Body)))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	if e.Sent {
		b.WriteString("; Tiki may have processed the request: look it up before sending it again")
	} else {
		b.WriteString("; Tiki did not process the request")
	}
	return b.String()
}

// Unwrap returns the *APIError of the answer, so errors.As finds it too.
func (e *UnconfirmedError) Unwrap() error { return e.APIError }

// RequestError is returned when no HTTP response was received: the
// connection failed, timed out or was reset. Attempts says how many requests
// were tried; Sent reports whether one of them may have reached Tiki.
type RequestError struct {
	// Method is the request's HTTP method, for example "GET".
	Method string
	// URL is the request's full URL, query included, with sensitive query
	// parameters masked.
	URL string
	// Attempts is how many requests were tried; zero when the call ended
	// (for example by its context) before the first was sent.
	Attempts int
	// Sent reports whether an attempt got a connection (the last one, or
	// an earlier one that was answered or cut off before a retry), so Tiki
	// may have received it: a write with Sent true may have been applied.
	Sent bool
	// Err is the transport error, with secrets masked; context.Canceled
	// and context.DeadlineExceeded match it with errors.Is.
	Err error
}

// Error describes the transport failure.
func (e *RequestError) Error() string {
	// net/http's *url.Error repeats the method and URL: say them once.
	var cause any = e.Err
	if ue, ok := e.Err.(*url.Error); ok && ue.Err != nil {
		cause = ue.Err
	}
	s := fmt.Sprintf("tiki: %s %s: %v", e.Method, e.URL, cause)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

// Unwrap returns the transport error (context.Canceled and
// context.DeadlineExceeded among them).
func (e *RequestError) Unwrap() error { return e.Err }

// ValidationError is returned before anything is sent when a request's
// arguments break a rule from Tiki's documentation, and by NewClient when
// its options are wrong. It lists every problem, not only the first.
type ValidationError struct {
	// Problems, each naming the field by its JSON path
	// (for example "variants[1].option2").
	Problems []FieldProblem
}

// Is reports true for ErrNilContext when the call was given a nil context.
func (e *ValidationError) Is(target error) bool {
	if target != ErrNilContext {
		return false
	}
	for _, p := range e.Problems {
		if p.Field == "ctx" {
			return true
		}
	}
	return false
}

// FieldProblem is one invalid field of a request.
type FieldProblem struct {
	// Field is the JSON path of the field, for example "variants[1].price";
	// for NewClient, the option and, for an option with several
	// arguments, the argument ("WithRetry.maxAttempts").
	Field string
	// Problem says what is wrong with the field, written to follow its
	// name: "must be greater than 0", "is required", "is "queuing", not
	// one of the known OrderStatus values ...". A problem may end with
	// what to do about it, after a colon.
	Problem string
}

// String returns the problem as a sentence: the field, then the problem
// ("price must be greater than 0").
func (p FieldProblem) String() string {
	if p.Field == "" {
		return p.Problem
	}
	return p.Field + " " + p.Problem
}

// Error lists every problem, each a sentence naming its field:
// "tiki: invalid request: price must be greater than 0; variants[1].sku is
// required".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "tiki: invalid request: " + strings.Join(parts, "; ")
}

// validator collects field problems; err returns nil when there are none.
// enums are the enumeration values the client allowed with WithEnumValues
// (see Client.newValidator); the zero validator knows only the documented
// ones.
type validator struct {
	problems []FieldProblem
	enums    enumValues
}

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, FieldProblem{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) check(ok bool, field, format string, args ...any) {
	if !ok {
		v.add(field, format, args...)
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// errorBody covers both error shapes Tiki uses: the integration API's
// {"errors": [...]} and TikiNOW's {"success": false, "error": {...},
// "meta_data": {...}}.
type errorBody struct {
	Errors  json.RawMessage `json:"errors"`
	Message string          `json:"message"`
	Success *bool           `json:"success"`
	Error   *struct {
		StatusCode  int    `json:"status_code"`
		Message     string `json:"message"`
		MessageCode string `json:"message_code"`
	} `json:"error"`
	MetaData *struct {
		RequestID string `json:"request_id"`
	} `json:"meta_data"`
}

// parseErrorBody fills the messages, code and request id of e from its body
// when the body is one of Tiki's JSON error shapes. Anything else is left to
// the raw Body.
func (e *APIError) parseErrorBody() {
	var eb errorBody
	if json.Unmarshal(e.Body, &eb) != nil {
		return
	}
	e.Messages = append(e.Messages, flattenMessages(eb.Errors)...)
	if eb.Error != nil {
		if eb.Error.Message != "" {
			e.Messages = append(e.Messages, eb.Error.Message)
		}
		e.Code = eb.Error.MessageCode
	}
	if eb.Message != "" && len(e.Messages) == 0 {
		e.Messages = append(e.Messages, eb.Message)
	}
	if eb.MetaData != nil && eb.MetaData.RequestID != "" {
		e.RequestID = eb.MetaData.RequestID
	}
}

// flattenMessages turns an "errors" value into strings. Tiki sends a list of
// strings; objects and other shapes are kept as their JSON text.
func flattenMessages(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var s string
		if json.Unmarshal(item, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, string(item))
	}
	return out
}

// snippet returns the start of a body as valid UTF-8, at most 200 bytes.
func snippet(body []byte) string {
	const max = 200
	if len(body) > max {
		body = body[:max]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(body), ""))
}

func describeSnippet(s string) string {
	if s == "" {
		return "empty body"
	}
	return "body " + strconv.Quote(s)
}

// PanicError is a panic in user code (a handler, a callback, a function
// given to Map, a batch's progress function, a token source) that the SDK
// recovered from on one of its goroutines and returns as an error. Its
// Value has the client's secrets masked when a client recovered it.
type PanicError = safe.PanicError
