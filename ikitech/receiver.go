package ikitech

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/dispatch"
	"github.com/tikisdk/tiki/webhook"
)

// TokenHeader is the request header in which IKITECH sends the token
// configured for the webhook.
const TokenHeader = "Token"

// Receiver is an [http.Handler] that receives IKITECH webhook deliveries
// and passes each to the handler registered for its type.
//
// For every request it answers:
//
//   - 405, with "Allow: POST", to a method other than POST;
//   - 401 when the Token header is missing or differs from the configured
//     token (compared in constant time);
//   - 413 when the body is larger than the limit (1 MiB by default);
//   - 408 when the body takes longer than the body timeout to arrive (10 s
//     by default, [webhook.WithBodyTimeout]);
//   - 400 when the body is not a delivery IKITECH documents;
//   - 501 to a delivery no registered handler takes: one of the nine
//     documented types without its handler, or a type IKITECH does not
//     document without OnUnknown. IKITECH then delivers it again rather
//     than an event being dropped because a registration was forgotten; it
//     is reported, wrapping [webhook.ErrNoHandler]. Register
//     [webhook.Ignore] for a type (OnUnknown included) to acknowledge it on
//     purpose;
//   - 200 {"success": true} when the handler returned nil, and when the
//     same body was handled recently (a duplicate delivery);
//   - 503 {"success": false, ...} when a copy of the same body is being
//     handled and that run has not finished (it may still fail, so the copy
//     is not acknowledged and IKITECH delivers it again), and when the
//     dedupe store has no room besides the claims of runs still going
//     ([dedupe.ErrFull]);
//   - 500 {"success": false, ...} when the handler returned an error, so
//     that IKITECH delivers it again. A failed delivery is not remembered as
//     handled: the next copy runs the handler.
//
// IKITECH documents no response body; the JSON above is informative only.
// Every error is reported to the function set with [webhook.WithOnError],
// or logged through slog.Default() without one.
//
// Handlers run with the request's context and may run concurrently. IKITECH
// deliveries carry no id, so duplicates are recognized by their body
// ([webhook.BodyKey]). Register handlers before serving requests; the
// registration methods are nevertheless safe to call at any time.
//
// Create a Receiver with [NewReceiver]; the zero value answers every
// request with 500.
type Receiver struct {
	token    string
	endpoint webhook.Endpoint
	handlers dispatch.Table[EventType, Event]
}

// unknownType is the key under which the handler of undocumented types is
// registered; no documented type is empty.
const unknownType EventType = ""

// NewReceiver returns a Receiver that accepts deliveries whose Token header
// equals token, the value set for the webhook in IKITECH. The token must
// not be empty.
//
// opts are the options of package webhook: [webhook.WithMaxBodyBytes],
// [webhook.WithBodyTimeout], [webhook.WithDedupe], [webhook.WithDedupeTTL]
// and [webhook.WithOnError]. Every problem with token and opts is reported
// in one *tiki.ValidationError.
func NewReceiver(token string, opts ...webhook.Option) (*Receiver, error) {
	var problems []tiki.FieldProblem
	if token == "" {
		problems = append(problems, tiki.FieldProblem{Field: "token", Problem: "is empty"})
	}
	rc := &Receiver{token: token}
	rc.endpoint = webhook.Endpoint{
		Authorize: rc.authorize,
		Decode:    rc.decode,
		Dedupe:    dedupe.Runner{Store: new(dedupe.MemoryStore)},
	}
	if err := rc.endpoint.Configure(problems, opts...); err != nil {
		return nil, err
	}
	return rc, nil
}

// ServeHTTP implements [http.Handler].
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.endpoint.ServeHTTP(w, r)
}

// OnNewProduct registers the handler of NEW_PRODUCT deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnNewProduct(fn func(context.Context, *ProductEvent) error) {
	rc.handlers.Set(EventNewProduct, dispatch.Adapt[Event](fn))
}

// OnUpdateProduct registers the handler of UPDATE_PRODUCT deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnUpdateProduct(fn func(context.Context, *ProductEvent) error) {
	rc.handlers.Set(EventUpdateProduct, dispatch.Adapt[Event](fn))
}

// OnDeleteProduct registers the handler of DELETE_PRODUCT deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnDeleteProduct(fn func(context.Context, *ProductDeleteEvent) error) {
	rc.handlers.Set(EventDeleteProduct, dispatch.Adapt[Event](fn))
}

// OnNewOrder registers the handler of NEW_ORDER deliveries, replacing any
// previous one; nil removes it.
func (rc *Receiver) OnNewOrder(fn func(context.Context, *OrderEvent) error) {
	rc.handlers.Set(EventNewOrder, dispatch.Adapt[Event](fn))
}

// OnUpdateOrder registers the handler of UPDATE_ORDER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnUpdateOrder(fn func(context.Context, *OrderEvent) error) {
	rc.handlers.Set(EventUpdateOrder, dispatch.Adapt[Event](fn))
}

// OnDeleteOrder registers the handler of DELETE_ORDER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnDeleteOrder(fn func(context.Context, *OrderDeleteEvent) error) {
	rc.handlers.Set(EventDeleteOrder, dispatch.Adapt[Event](fn))
}

// OnNewCustomer registers the handler of NEW_CUSTOMER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnNewCustomer(fn func(context.Context, *CustomerEvent) error) {
	rc.handlers.Set(EventNewCustomer, dispatch.Adapt[Event](fn))
}

// OnUpdateCustomer registers the handler of UPDATE_CUSTOMER deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnUpdateCustomer(fn func(context.Context, *CustomerEvent) error) {
	rc.handlers.Set(EventUpdateCustomer, dispatch.Adapt[Event](fn))
}

// OnDeleteCustomer registers the handler of DELETE_CUSTOMER deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnDeleteCustomer(fn func(context.Context, *CustomerDeleteEvent) error) {
	rc.handlers.Set(EventDeleteCustomer, dispatch.Adapt[Event](fn))
}

// OnUnknown registers the handler of deliveries whose type is not one of
// the nine documented ones, replacing any previous one; nil removes it.
// Without it such deliveries are answered 501 (wrapping
// [webhook.ErrNoHandler]), so that IKITECH delivers them again;
// OnUnknown(webhook.Ignore) acknowledges them unhandled, on purpose.
func (rc *Receiver) OnUnknown(fn func(context.Context, *UnknownEvent) error) {
	rc.handlers.Set(unknownType, dispatch.Adapt[Event](fn))
}

// handler returns the handler registered for t, nil if none.
func (rc *Receiver) handler(t EventType) func(context.Context, Event) error {
	if !t.Known() {
		t = unknownType
	}
	return rc.handlers.Get(t)
}

func (rc *Receiver) authorize(r *http.Request) error {
	got := r.Header.Get(TokenHeader)
	if got == "" {
		return errors.New("ikitech: no Token header")
	}
	if !webhook.SecretEqual(got, rc.token) {
		return errors.New("ikitech: wrong Token header")
	}
	return nil
}

func (rc *Receiver) decode(r *http.Request, body []byte) (webhook.Delivery, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return webhook.Delivery{}, err
	}
	h := rc.handler(env.Type)
	if h == nil {
		// Decide without decoding the data: a delivery nobody handles must
		// not fail because of a field nobody reads.
		if env.Type.Known() {
			return webhook.Delivery{}, fmt.Errorf("%w: ikitech: %s delivery: register its handler, or webhook.Ignore to acknowledge it unhandled",
				webhook.ErrNoHandler, env.Type)
		}
		return webhook.Delivery{}, fmt.Errorf("%w: ikitech: delivery of type %q, which IKITECH does not document: register OnUnknown to take it, or OnUnknown(webhook.Ignore) to acknowledge such deliveries unhandled",
			webhook.ErrNoHandler, env.Type)
	}
	ev, err := decodeEvent(env)
	if err != nil {
		return webhook.Delivery{}, err
	}
	return webhook.Delivery{
		Key:    "ikitech:" + webhook.BodyKey(body),
		Handle: func(ctx context.Context) error { return h(ctx, ev) },
	}, nil
}
