package ikitech

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

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
//   - 400 when the body is not a delivery IKITECH documents;
//   - 200 {"success": true} when the handler returned nil, when no handler
//     is registered for the type, and when the same body was handled
//     recently (a duplicate delivery);
//   - 500 {"success": false, ...} when the handler returned an error, so
//     that IKITECH delivers it again. A failed delivery is not remembered as
//     handled: the next copy runs the handler.
//
// IKITECH documents no response body; the JSON above is informative only.
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

	mu       sync.RWMutex
	handlers map[EventType]func(context.Context, Event) error
	unknown  func(context.Context, *UnknownEvent) error
}

// Option configures a [Receiver].
type Option func(*Receiver) error

// WithMaxBodyBytes sets the largest body accepted, in bytes (default
// [webhook.DefaultMaxBodyBytes], 1 MiB). n must be positive.
func WithMaxBodyBytes(n int64) Option {
	return func(rc *Receiver) error {
		if n <= 0 {
			return fmt.Errorf("ikitech: max body bytes must be positive, got %d", n)
		}
		rc.endpoint.MaxBodyBytes = n
		return nil
	}
}

// WithDedupe sets the store that remembers handled deliveries. The default
// is a [webhook.MemoryDedupe] owned by the Receiver, which is right for a
// service running as a single instance; several instances behind a load
// balancer need a shared store. Nil disables deduplication: every copy of
// a delivery runs the handler.
func WithDedupe(store webhook.DedupeStore) Option {
	return func(rc *Receiver) error {
		rc.endpoint.Dedupe.Store = store
		return nil
	}
}

// WithDedupeTTL sets how long a delivery is claimed while its handler runs
// (default [webhook.DefaultLease]) and how long a handled delivery is
// remembered (default [webhook.DefaultRetention]). Both must be positive.
func WithDedupeTTL(lease, retention time.Duration) Option {
	return func(rc *Receiver) error {
		if lease <= 0 || retention <= 0 {
			return fmt.Errorf("ikitech: dedupe lease and retention must be positive, got %v and %v", lease, retention)
		}
		rc.endpoint.Dedupe.Lease, rc.endpoint.Dedupe.Retention = lease, retention
		return nil
	}
}

// WithOnError sets a function called with every error the Receiver meets:
// rejected requests, undecodable bodies, handler errors and dedupe store
// failures, each wrapping a sentinel error of package webhook (test them
// with [errors.Is]). It runs in the request's goroutine, before the reply
// is written, and must not write to the response. Use it for logs and
// metrics: handler errors are otherwise only visible to IKITECH, as a 500.
func WithOnError(fn func(r *http.Request, err error)) Option {
	return func(rc *Receiver) error {
		rc.endpoint.OnError = fn
		return nil
	}
}

// NewReceiver returns a Receiver that accepts deliveries whose Token header
// equals token, the value set for the webhook in IKITECH. The token must
// not be empty.
func NewReceiver(token string, opts ...Option) (*Receiver, error) {
	if token == "" {
		return nil, errors.New("ikitech: token must not be empty")
	}
	rc := &Receiver{token: token}
	rc.endpoint = webhook.Endpoint{
		Authorize: rc.authorize,
		Decode:    rc.decode,
		Dedupe:    webhook.Deduper{Store: webhook.NewMemoryDedupe()},
	}
	for _, opt := range opts {
		if err := opt(rc); err != nil {
			return nil, err
		}
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
	rc.on(EventNewProduct, adapt(fn))
}

// OnUpdateProduct registers the handler of UPDATE_PRODUCT deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnUpdateProduct(fn func(context.Context, *ProductEvent) error) {
	rc.on(EventUpdateProduct, adapt(fn))
}

// OnDeleteProduct registers the handler of DELETE_PRODUCT deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnDeleteProduct(fn func(context.Context, *ProductDeleteEvent) error) {
	rc.on(EventDeleteProduct, adapt(fn))
}

// OnNewOrder registers the handler of NEW_ORDER deliveries, replacing any
// previous one; nil removes it.
func (rc *Receiver) OnNewOrder(fn func(context.Context, *OrderEvent) error) {
	rc.on(EventNewOrder, adapt(fn))
}

// OnUpdateOrder registers the handler of UPDATE_ORDER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnUpdateOrder(fn func(context.Context, *OrderEvent) error) {
	rc.on(EventUpdateOrder, adapt(fn))
}

// OnDeleteOrder registers the handler of DELETE_ORDER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnDeleteOrder(fn func(context.Context, *OrderDeleteEvent) error) {
	rc.on(EventDeleteOrder, adapt(fn))
}

// OnNewCustomer registers the handler of NEW_CUSTOMER deliveries, replacing
// any previous one; nil removes it.
func (rc *Receiver) OnNewCustomer(fn func(context.Context, *CustomerEvent) error) {
	rc.on(EventNewCustomer, adapt(fn))
}

// OnUpdateCustomer registers the handler of UPDATE_CUSTOMER deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnUpdateCustomer(fn func(context.Context, *CustomerEvent) error) {
	rc.on(EventUpdateCustomer, adapt(fn))
}

// OnDeleteCustomer registers the handler of DELETE_CUSTOMER deliveries,
// replacing any previous one; nil removes it.
func (rc *Receiver) OnDeleteCustomer(fn func(context.Context, *CustomerDeleteEvent) error) {
	rc.on(EventDeleteCustomer, adapt(fn))
}

// OnUnknown registers the handler of deliveries whose type is not one of
// the nine documented ones, replacing any previous one; nil removes it.
// Without it such deliveries are acknowledged and dropped.
func (rc *Receiver) OnUnknown(fn func(context.Context, *UnknownEvent) error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.unknown = fn
}

func (rc *Receiver) on(t EventType, h func(context.Context, Event) error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if h == nil {
		delete(rc.handlers, t)
		return
	}
	if rc.handlers == nil {
		rc.handlers = make(map[EventType]func(context.Context, Event) error)
	}
	rc.handlers[t] = h
}

// adapt turns a typed handler into one taking any Event; nil stays nil.
func adapt[E Event](fn func(context.Context, E) error) func(context.Context, Event) error {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, ev Event) error {
		e, ok := ev.(E)
		if !ok {
			return fmt.Errorf("ikitech: %s delivery decoded as %T", ev.EventType(), ev)
		}
		return fn(ctx, e)
	}
}

// handler returns the handler registered for t, nil if none.
func (rc *Receiver) handler(t EventType) func(context.Context, Event) error {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if t.Known() {
		return rc.handlers[t]
	}
	if rc.unknown == nil {
		return nil
	}
	return adapt(rc.unknown)
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

func (rc *Receiver) decode(_ *http.Request, body []byte) (webhook.Delivery, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return webhook.Delivery{}, err
	}
	h := rc.handler(env.Type)
	if h == nil {
		// Acknowledge without decoding the data: a delivery nobody handles
		// must not fail because of a field nobody reads.
		return webhook.Delivery{}, nil
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
