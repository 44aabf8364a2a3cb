package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tikisdk/tiki/internal/backoff"
)

// TrackingService follows product requests through Tiki's approval
// (queuing, processing, awaiting approval, approved or rejected).
type TrackingService service

// RequestState is where a product request stands in Tiki's approval.
type RequestState string

// Request states documented by Tiki, in the order a request usually passes
// through them.
const (
	// RequestQueuing: the request is in the queue, waiting for processing.
	RequestQueuing RequestState = "queuing"
	// RequestProcessing: the request is being transformed to Tiki's format.
	RequestProcessing RequestState = "processing"
	// RequestDrafted: Tiki's product request is created, ready to review.
	RequestDrafted RequestState = "drafted"
	// RequestBotAwaitingApprove: a bot is reviewing the request.
	RequestBotAwaitingApprove RequestState = "bot_awaiting_approve"
	// RequestMDAwaitingApprove: Tiki is reviewing the documents the category
	// requires.
	RequestMDAwaitingApprove RequestState = "md_awaiting_approve"
	// RequestAwaitingApprove: the request waits for a person at Tiki to
	// approve it. On the sandbox, requests in this state are approved
	// automatically.
	RequestAwaitingApprove RequestState = "awaiting_approve"
	// RequestApproved: the request is approved and the product created (or
	// updated). Terminal.
	RequestApproved RequestState = "approved"
	// RequestRejected: the request is rejected; the tracking record's reason
	// says why. Terminal.
	RequestRejected RequestState = "rejected"
	// RequestDeleted: the request was deleted and no longer exists. Terminal.
	RequestDeleted RequestState = "deleted"
)

// IsTerminal reports whether a request in this state will not change any
// more: approved, rejected or deleted. Unknown states are not terminal.
func (s RequestState) IsTerminal() bool {
	switch s {
	case RequestApproved, RequestRejected, RequestDeleted:
		return true
	}
	return false
}

// requestStates are the states Tiki documents, in their usual order.
func requestStates() []RequestState {
	return []RequestState{RequestQueuing, RequestProcessing, RequestDrafted, RequestBotAwaitingApprove, RequestMDAwaitingApprove,
		RequestAwaitingApprove, RequestApproved, RequestRejected, RequestDeleted}
}

// Valid reports whether s is one of the states Tiki documents.
func (s RequestState) Valid() bool { return slices.Contains(requestStates(), s) }

// TrackedRequest is the tracking record of a product request: what Tiki
// answers when a request is created, replayed or tracked.
//
// It decodes the API v2 shape (track_id, request_id) and the v1 shape
// (trace_id, tiki_sku).
type TrackedRequest struct {
	// TrackID identifies the request until Tiki has created it (v1 calls it
	// trace_id).
	TrackID string `json:"track_id"`
	// RequestID is Tiki's id of the product request, once it is created.
	RequestID string `json:"request_id,omitempty"`
	// State is the request's current state.
	State RequestState `json:"state"`
	// Reason says why a rejected request was rejected, exactly as Tiki sent
	// it: plain text, or a JSON document inside the string (then also parsed
	// into Rejection).
	Reason string `json:"reason,omitempty"`
	// Rejection is Reason parsed, when Reason is a JSON document
	// ({"errors": [...], "message": ...}); nil for plain-text reasons.
	Rejection *Rejection `json:"-"`
	// TikiSKU is the Tiki SKU of the product an approved v1 request created.
	TikiSKU string `json:"tiki_sku,omitempty"`
}

// UnmarshalJSON decodes both API versions, null reasons, and ids sent as
// numbers; it parses a JSON reason into Rejection.
func (t *TrackedRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		TrackID   *FlexString     `json:"track_id"`
		TraceID   *FlexString     `json:"trace_id"`
		RequestID FlexString      `json:"request_id"`
		State     RequestState    `json:"state"`
		Reason    json.RawMessage `json:"reason"`
		TikiSKU   FlexString      `json:"tiki_sku"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*t = TrackedRequest{RequestID: string(w.RequestID), State: w.State, TikiSKU: string(w.TikiSKU)}
	if id := firstNonNil(w.TrackID, w.TraceID); id != nil {
		t.TrackID = string(*id)
	}
	t.Reason, t.Rejection = decodeReason(w.Reason)
	return nil
}

// decodeReason returns the text of a reason (a string, or the JSON text of
// any other value; "" for null) and its parsed form when it is a JSON
// document.
func decodeReason(raw json.RawMessage) (string, *Rejection) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var text string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			return "", nil
		}
	} else {
		text = string(raw)
	}
	return text, ParseRejection(text)
}

// Rejection is the structured reason Tiki gives for some rejected requests,
// sent as a JSON document inside the reason string:
//
//	{"errors":[{"code":420,"description":"Product code B0055QD0EC2 is not unique",
//	  "msg":"Mã seller product không duy nhất","msg_eng":"Seller product code is not unique"}],
//	 "message":"Mã seller product không duy nhất"}
type Rejection struct {
	// Errors lists each problem Tiki found.
	Errors []RejectionError `json:"errors"`
	// Message is Tiki's summary, in Vietnamese.
	Message string `json:"message"`
	// TraceID is Tiki's trace id, when it sends one.
	TraceID string `json:"trace_id,omitempty"`
}

// RejectionError is one problem of a rejected request. It is an error, so
// that a caller can return or wrap one problem of a rejection and match it
// with errors.As. It holds raw JSON, so it is not comparable: compare its
// Code, never the errors themselves with ==.
type RejectionError struct {
	// Code is Tiki's error code (420: the seller product code is not unique).
	Code int `json:"code"`
	// Description is the technical description, in English.
	Description string `json:"description"`
	// Message is the message for the seller, in Vietnamese (msg).
	Message string `json:"msg"`
	// MessageEN is the message for the seller, in English (msg_eng).
	MessageEN string `json:"msg_eng"`
	// Data is any further data Tiki attached, as raw JSON (often null).
	Data json.RawMessage `json:"data,omitempty"`
}

// Error returns Tiki's code and the English message of the problem (its
// description, or its Vietnamese message, when Tiki gave no English one):
// "tiki: rejected (code 420): Seller product code is not unique".
func (e RejectionError) Error() string {
	return fmt.Sprintf("tiki: rejected (code %d): %s", e.Code, e.text())
}

// text is the problem's English message, else its description, else its
// Vietnamese message.
func (e RejectionError) text() string {
	return firstNonEmpty(e.MessageEN, e.Description, e.Message)
}

// ParseRejection parses a rejection reason that is a JSON document. It
// returns nil for plain-text reasons and for JSON that has neither errors
// nor a message.
func ParseRejection(reason string) *Rejection {
	s := strings.TrimSpace(reason)
	if !strings.HasPrefix(s, "{") {
		return nil
	}
	var w struct {
		Errors []struct {
			Code        FlexInt         `json:"code"`
			Description FlexString      `json:"description"`
			Msg         FlexString      `json:"msg"`
			MsgEng      FlexString      `json:"msg_eng"`
			Data        json.RawMessage `json:"data"`
		} `json:"errors"`
		Message FlexString `json:"message"`
		TraceID FlexString `json:"trace_id"`
	}
	if json.Unmarshal([]byte(s), &w) != nil || (len(w.Errors) == 0 && w.Message == "") {
		return nil
	}
	r := &Rejection{Message: string(w.Message), TraceID: string(w.TraceID)}
	for _, e := range w.Errors {
		re := RejectionError{
			Code:        int(e.Code),
			Description: string(e.Description),
			Message:     string(e.Msg),
			MessageEN:   string(e.MsgEng),
		}
		if d := bytes.TrimSpace(e.Data); len(d) > 0 && string(d) != "null" {
			re.Data = d
		}
		r.Errors = append(r.Errors, re)
	}
	return r
}

// Codes returns the error codes of the rejection, in order.
func (r *Rejection) Codes() []int {
	if r == nil {
		return nil
	}
	codes := make([]int, len(r.Errors))
	for i, e := range r.Errors {
		codes[i] = e.Code
	}
	return codes
}

// English returns the English message of each error (its description when
// Tiki gave no English message), joined with "; ".
func (r *Rejection) English() string {
	if r == nil {
		return ""
	}
	parts := make([]string, 0, len(r.Errors))
	for _, e := range r.Errors {
		if s := e.text(); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return r.Message
	}
	return strings.Join(parts, "; ")
}

// Vietnamese returns the Vietnamese message of each error (msg), joined with
// "; ", or Tiki's summary message when no error has one.
func (r *Rejection) Vietnamese() string {
	if r == nil {
		return ""
	}
	parts := make([]string, 0, len(r.Errors))
	for _, e := range r.Errors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	if len(parts) == 0 {
		return r.Message
	}
	return strings.Join(parts, "; ")
}

// ReasonText returns a readable reason: the English messages of a parsed
// rejection, otherwise the reason as Tiki sent it.
func (t *TrackedRequest) ReasonText() string {
	if t.Rejection != nil {
		if s := t.Rejection.English(); s != "" {
			return s
		}
	}
	return t.Reason
}

// TrackingOptions filters Latest. Every field is optional; times are sent
// as "2006-01-02 15:04:05" in Vietnam time.
type TrackingOptions struct {
	// Limit returns up to this many requests.
	Limit int `url:"limit,omitempty"`
	// CreatedMin keeps requests created after it (created_at_min).
	CreatedMin Time `url:"created_at_min,omitempty"`
	// CreatedMax keeps requests created before it (created_at_max).
	CreatedMax Time `url:"created_at_max,omitempty"`
	// UpdatedMin keeps requests updated after it (updated_at_min).
	UpdatedMin Time `url:"updated_at_min,omitempty"`
	// UpdatedMax keeps requests updated before it (updated_at_max).
	UpdatedMax Time `url:"updated_at_max,omitempty"`
}

func (o *TrackingOptions) validate(v *validator) {
	v.check(o.Limit >= 0, "limit", "must not be negative")
	checkRange(v, "created_at_min", o.CreatedMin, "created_at_max", o.CreatedMax)
	checkRange(v, "updated_at_min", o.UpdatedMin, "updated_at_max", o.UpdatedMax)
}

// Latest lists the seller's latest product requests with their states,
// filtered by opts (which may be nil).
//
// GET /v2/tracking
func (s *TrackingService) Latest(ctx context.Context, opts *TrackingOptions) ([]TrackedRequest, *Response, error) {
	return latestTracked(ctx, s.client, apiV2, opts)
}

// Latest lists the seller's latest product requests through API v1 (Tiki's
// 2019 API, replaced by v2: client.Tracking.Latest). Its records carry
// trace_id and tiki_sku, decoded into TrackID and TikiSKU.
//
// GET /v1/tracking
func (s *TrackingV1Service) Latest(ctx context.Context, opts *TrackingOptions) ([]TrackedRequest, *Response, error) {
	return latestTracked(ctx, s.client, apiV1, opts)
}

// latestTracked lists the latest product requests through
// GET /{version}/tracking.
func latestTracked(ctx context.Context, c *Client, version apiVersion, opts *TrackingOptions) ([]TrackedRequest, *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	o.validate(&v)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callList[TrackedRequest](ctx, c, &request{method: http.MethodGet, version: version, path: "tracking", query: encodeQuery(&o)})
}

// Get returns the tracking record of one product request: its state, its
// request id once created, and the reason when it was rejected.
//
// GET /v2/tracking/{track_id}
func (s *TrackingService) Get(ctx context.Context, trackID string) (*TrackedRequest, *Response, error) {
	return getTracked(ctx, s.client, apiV2, "track_id", trackID)
}

// Get returns the tracking record of one product request created through
// API v1 (Tiki's 2019 API, replaced by v2: client.Tracking.Get), named by
// its trace_id; the record carries trace_id and tiki_sku, decoded into
// TrackID and TikiSKU.
//
// GET /v1/tracking/{trace_id}
func (s *TrackingV1Service) Get(ctx context.Context, traceID string) (*TrackedRequest, *Response, error) {
	return getTracked(ctx, s.client, apiV1, "trace_id", traceID)
}

// getTracked fetches one tracking record through
// GET /{version}/tracking/{id}; field names the id in a refusal.
func getTracked(ctx context.Context, c *Client, version apiVersion, field, id string) (*TrackedRequest, *Response, error) {
	var v validator
	seg := segment(&v, field, id)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callShaped(ctx, c, &request{method: http.MethodGet, version: version, path: "tracking/" + seg, route: "tracking/{id}"},
		func(r *TrackedRequest) bool { return r.State != "" }, `a tracking record (an object with "state")`)
}

// Replay makes Tiki process a product request again from the beginning; it
// returns the request back in the queue.
//
// Replay is a POST: if it times out or fails with a 5xx after being sent, it
// is not sent again (Tiki may have replayed it); track the request instead.
// A 2xx answer without a track id is an *UnconfirmedError.
//
// POST /v2/tracking/{track_id}/replay
func (s *TrackingService) Replay(ctx context.Context, trackID string) (*TrackedRequest, *Response, error) {
	var v validator
	seg := segment(&v, "track_id", trackID)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[TrackedRequest](ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "tracking/" + seg + "/replay", route: "tracking/{track_id}/replay"})
}

// Defaults of WaitOptions.
const (
	// DefaultWaitInterval is the first wait between polls when
	// WaitOptions.Interval is zero.
	DefaultWaitInterval = 2 * time.Second
	// DefaultWaitMaxInterval caps the wait between polls when
	// WaitOptions.MaxInterval is zero.
	DefaultWaitMaxInterval = time.Minute
)

// WaitOptions tunes Wait. The zero value polls after about 2 s, then
// doubles the wait up to about one minute.
type WaitOptions struct {
	// Interval is the wait after the first poll (default
	// DefaultWaitInterval). It doubles after each poll that finds the
	// request still in progress, up to MaxInterval. Each wait is drawn at
	// random from its upper half, so many waiting callers spread apart.
	Interval time.Duration
	// MaxInterval caps the wait between polls (default
	// DefaultWaitMaxInterval).
	MaxInterval time.Duration
	// OnPoll, when set, is called with every record polled, terminal or
	// not (to report progress).
	OnPoll func(*TrackedRequest)
}

// WaitError is returned by Wait when the context ended (or a poll failed)
// before the request reached a terminal state. Last is the last record
// polled (nil when no poll succeeded); Err is the cause, so
// errors.Is(err, context.DeadlineExceeded) works.
type WaitError struct {
	// TrackID is the track id Wait was given.
	TrackID string
	// Last is the last record polled; nil when no poll succeeded.
	Last *TrackedRequest
	// Err is the cause: the context's error or the failed poll's error.
	Err error
}

// Error names the request, its last known state and the cause.
func (e *WaitError) Error() string {
	state := "unknown"
	if e.Last != nil && e.Last.State != "" {
		state = string(e.Last.State)
	}
	return fmt.Sprintf("tiki: waiting for request %s (last state %s): %v", e.TrackID, state, e.Err)
}

// Unwrap returns the cause.
func (e *WaitError) Unwrap() error { return e.Err }

// Wait polls the tracking record of a product request until it reaches a
// terminal state (approved, rejected or deleted) and returns that record.
// A rejected request is not an error: check the record's State, and its
// Rejection (the parsed reason) or ReasonText. The *Response is the last
// poll's.
//
// Polls start at once and back off exponentially (see WaitOptions); every
// poll passes through the client's rate limiter and retries. When ctx ends,
// or a poll fails after the client's retries, Wait returns the last record
// polled and a *WaitError wrapping the cause; Wait can be called again to
// resume. On production a person at Tiki approves requests in
// awaiting_approve, which can take long: give ctx a deadline that fits. On
// the sandbox, such requests are approved automatically.
//
//	rec, _, err := client.Tracking.Wait(ctx, created.TrackID, nil)
//
// It polls GET /v2/tracking/{track_id}.
func (s *TrackingService) Wait(ctx context.Context, trackID string, opts *WaitOptions) (*TrackedRequest, *Response, error) {
	o := zeroIfNil(opts)
	var v validator
	segment(&v, "track_id", trackID)
	v.check(o.Interval >= 0, "interval", "must not be negative")
	v.check(o.MaxInterval >= 0, "max_interval", "must not be negative")
	if o.Interval > 0 && o.MaxInterval > 0 {
		v.check(o.MaxInterval >= o.Interval, "max_interval", "must not be less than interval")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	if o.Interval == 0 {
		o.Interval = DefaultWaitInterval
		if o.MaxInterval > 0 && o.MaxInterval < o.Interval {
			o.Interval = o.MaxInterval
		}
	}
	if o.MaxInterval == 0 {
		o.MaxInterval = max(DefaultWaitMaxInterval, o.Interval)
	}
	policy := backoff.Policy{Min: o.Interval, Max: o.MaxInterval}
	var last *TrackedRequest
	var lastResp *Response
	for n := 1; ; n++ {
		rec, resp, err := s.Get(ctx, trackID)
		if resp != nil {
			lastResp = resp
		}
		if err != nil {
			return last, lastResp, &WaitError{TrackID: trackID, Last: last, Err: err}
		}
		last = rec
		if o.OnPoll != nil {
			o.OnPoll(rec)
		}
		if rec.State.IsTerminal() {
			return rec, lastResp, nil
		}
		if err := s.client.sleep(ctx, policy.Wait(n)); err != nil {
			return last, lastResp, &WaitError{TrackID: trackID, Last: last, Err: contextErr(ctx, err)}
		}
	}
}
