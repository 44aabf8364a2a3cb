package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// EventQueueService manages Tiki's event queues, the pull-based alternative
// to webhooks: queues, subscriptions of event types to a queue, and pulling
// events. Package eventqueue runs the pull loop on top of it.
//
// Who owns what: a queue belongs to the app whose token created it (an
// in-house app's token, or a public app's own client-credentials token);
// subscriptions are made with each seller's token (a public app subscribes
// on behalf of every seller that authorized it, with that seller's token),
// and events carry the seller's id (Event.SID). Pull with the token that
// owns the queue.
type EventQueueService service

// EventQueue is one of the app's event queues.
type EventQueue struct {
	// Code is the queue's code (a UUID), used in every other call.
	Code string `json:"code"`
	// Name is the name given when the queue was created.
	Name string `json:"name"`
	// Status is the queue's status, "ACTIVE" for a usable queue.
	Status string `json:"status"`
}

// UnmarshalJSON decodes the code from a string or a number.
func (q *EventQueue) UnmarshalJSON(b []byte) error {
	var w struct {
		Code   FlexString `json:"code"`
		Name   FlexString `json:"name"`
		Status FlexString `json:"status"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*q = EventQueue{Code: string(w.Code), Name: string(w.Name), Status: string(w.Status)}
	return nil
}

// Subscription routes one event type of one seller to a queue.
type Subscription struct {
	// Code is the subscription's code (a UUID).
	Code string `json:"code"`
	// Active reports whether events are routed to the queue.
	Active bool `json:"active"`
	// EventType is the subscribed event type.
	EventType EventType `json:"event_type"`
	// SID is the id of the seller whose events the subscription routes:
	// the seller whose token made it.
	SID string `json:"sid"`
}

// UnmarshalJSON decodes active from a boolean, 0/1 or their string forms,
// and the codes from strings or numbers.
func (s *Subscription) UnmarshalJSON(b []byte) error {
	var w struct {
		Code      FlexString `json:"code"`
		Active    FlexBool   `json:"active"`
		EventType FlexString `json:"event_type"`
		SID       FlexString `json:"sid"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Subscription{Code: string(w.Code), Active: bool(w.Active), EventType: EventType(w.EventType), SID: string(w.SID)}
	return nil
}

// EventBatch is one answer of Pull: the oldest events not yet
// acknowledged, and the ack id that acknowledges them.
type EventBatch struct {
	// Events are the batch's events, oldest first; empty when the queue
	// has nothing to deliver.
	Events []Event `json:"events"`
	// AckID acknowledges this batch when sent with the next Pull. Store
	// it only after every event of the batch was handled.
	AckID string `json:"ack_id"`
}

// decodeBody decodes a pull answer, refusing one that is not
// {"events": [...], "ack_id": "..."}: a batch of events without an ack id
// could never be acknowledged.
func (b *EventBatch) decodeBody(body []byte) error {
	var w struct {
		Events *[]Event    `json:"events"`
		AckID  *FlexString `json:"ack_id"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return errors.New("a pull answer must be a JSON object")
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return err
	}
	if w.Events == nil {
		return errors.New(`the answer has no "events" list`)
	}
	*b = EventBatch{Events: *w.Events}
	if w.AckID != nil {
		b.AckID = string(*w.AckID)
	}
	if len(b.Events) > 0 && b.AckID == "" {
		return errors.New("the answer holds events but no ack_id")
	}
	return nil
}

// UnmarshalJSON decodes a pull answer (see decodeBody).
func (b *EventBatch) UnmarshalJSON(body []byte) error { return b.decodeBody(body) }

// ListQueues returns the app's event queues.
//
// GET /integration/v1/queues
func (s *EventQueueService) ListQueues(ctx context.Context) ([]EventQueue, *Response, error) {
	return callList[EventQueue](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "queues"})
}

// CreateQueue creates an event queue named name (required, without
// leading or trailing white space) and returns it. Tiki limits how many
// queues an app may have. The queue belongs to the app whose token makes
// the call: a public app must call it with its own client-credentials
// token, not a seller's.
//
// Like every POST that creates something, it is not retried once it may
// have reached Tiki: after a timeout, ListQueues tells whether the queue
// exists. A 2xx answer without the queue's code is an *UnconfirmedError
// that names the missing code.
//
// POST /integration/v1/queues {"name"}
func (s *EventQueueService) CreateQueue(ctx context.Context, name string) (*EventQueue, *Response, error) {
	var v validator
	checkText(&v, "name", name)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[EventQueue](ctx, s.client, &request{
		method: http.MethodPost, version: apiV1, path: "queues", body: map[string]string{"name": name},
	})
}

// Subscribe subscribes the queue to an event type: from then on (Tiki
// starts routing about five seconds later) events of that type of the
// seller whose token makes the call are delivered to the queue. A public
// app subscribes each seller with that seller's token (for example a
// Client per seller made with WithOAuthApp or WithTokenSource) to the queue
// its own token created.
//
// eventType is one of EventTypes, or a type Tiki added later that the
// client allows with WithEnumValues; any other value is refused before
// anything is sent (a typo would subscribe to nothing).
//
// POST /integration/v1/queues/{queueCode}/subscriptions {"event_type"}
func (s *EventQueueService) Subscribe(ctx context.Context, queueCode string, eventType EventType) (*Subscription, *Response, error) {
	v := s.client.newValidator()
	q := segment(&v, "queue_code", queueCode)
	checkEnum(&v, "event_type", eventType)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Subscription](ctx, s.client, &request{
		method: http.MethodPost, version: apiV1, path: "queues/" + q + "/subscriptions", route: "queues/{queueCode}/subscriptions",
		body: map[string]string{"event_type": string(eventType)},
	})
}

// ListSubscriptions returns the subscriptions of a queue: with the app's
// token every subscription, with a seller's token that seller's.
//
// Tiki's reference lists this operation without a readable path; the SDK
// uses the subscriptions path of Subscribe (as the test fake does).
//
// GET /integration/v1/queues/{queueCode}/subscriptions
func (s *EventQueueService) ListSubscriptions(ctx context.Context, queueCode string) ([]Subscription, *Response, error) {
	var v validator
	q := segment(&v, "queue_code", queueCode)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callList[Subscription](ctx, s.client, &request{method: http.MethodGet, version: apiV1, path: "queues/" + q + "/subscriptions", route: "queues/{queueCode}/subscriptions"})
}

// ActivateSubscription resumes routing events of a subscription to its
// queue (after Tiki's routing delay). Activating an active subscription
// changes nothing, so the call is retried like any PUT.
//
// Tiki's reference lists "Update subscription active status" without a
// readable path; the SDK sends this one (as the test fake serves it).
//
// PUT /integration/v1/queues/{queueCode}/subscriptions/{subscriptionCode} {"active": true}
func (s *EventQueueService) ActivateSubscription(ctx context.Context, queueCode, subscriptionCode string) (*Subscription, *Response, error) {
	return s.setActive(ctx, queueCode, subscriptionCode, true)
}

// DeactivateSubscription stops routing events of a subscription to its
// queue; events already in the queue stay, and events of the meantime are
// not kept for later. Deactivating an inactive subscription changes
// nothing. The path is the SDK's, as for ActivateSubscription.
//
// PUT /integration/v1/queues/{queueCode}/subscriptions/{subscriptionCode} {"active": false}
func (s *EventQueueService) DeactivateSubscription(ctx context.Context, queueCode, subscriptionCode string) (*Subscription, *Response, error) {
	return s.setActive(ctx, queueCode, subscriptionCode, false)
}

func (s *EventQueueService) setActive(ctx context.Context, queueCode, subscriptionCode string, active bool) (*Subscription, *Response, error) {
	var v validator
	q := segment(&v, "queue_code", queueCode)
	sub := segment(&v, "subscription_code", subscriptionCode)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Subscription](ctx, s.client, &request{
		method: http.MethodPut, version: apiV1, path: "queues/" + q + "/subscriptions/" + sub,
		route: "queues/{queueCode}/subscriptions/{subscriptionCode}", body: map[string]bool{"active": active},
	})
}

// Pull returns the oldest events of the queue not yet acknowledged, and
// acknowledges the previous batch: ackID is the AckID of the previous
// answer, or "" for the first pull (sent as null), which acknowledges
// nothing. Send an ack id only once every event of its batch was handled:
// an acknowledged batch is gone for good, and a batch that is not
// acknowledged is delivered again by the next pull. Events come oldest
// first; delivery is at least once.
//
// Pull is retried like an idempotent request (after a lost connection, and
// on 500, 502, 503 and 504), although it is a POST: repeating a pull with
// the same ack id acknowledges the same batch again, which changes nothing,
// and the batch Tiki answered with to the lost attempt is not acknowledged
// by anyone, so the repeat receives it again. Nothing is lost and nothing
// is acknowledged that was not handled. A 429 is retried as for every call.
//
// POST /integration/v1/queues/{queueCode}/events/pull {"ack_id"}
func (s *EventQueueService) Pull(ctx context.Context, queueCode, ackID string) (*EventBatch, *Response, error) {
	var v validator
	q := segment(&v, "queue_code", queueCode)
	if ackID != "" {
		checkText(&v, "ack_id", ackID)
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := struct {
		AckID *string `json:"ack_id"`
	}{}
	if ackID != "" {
		body.AckID = &ackID
	}
	r := &request{method: http.MethodPost, version: apiV1, path: "queues/" + q + "/events/pull", route: "queues/{queueCode}/events/pull", body: body, repeatable: true}
	return call[EventBatch](ctx, s.client, r)
}

// String describes the batch for logs.
func (b *EventBatch) String() string {
	return fmt.Sprintf("%d events, ack id %q", len(b.Events), b.AckID)
}
