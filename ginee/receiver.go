package ginee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki/webhook"
)

// Receiver is an [http.Handler] that receives Ginee webhook notifications
// and passes each to the handler registered for its entity.
//
// For every request it answers:
//
//   - 405, with "Allow: POST", to a method other than POST;
//   - 401 when a shared secret is configured ([WithSecretHeader],
//     [WithPathSecret]) and the request does not carry it;
//   - 413 when the body is larger than the limit (1 MiB by default);
//   - 400 when the body is not a notification Ginee documents;
//   - 200 {"status": true}, as Ginee requires, when the handler returned
//     nil, when no handler is registered for the entity, and when a
//     notification with the same id was handled recently (a duplicate);
//   - 500 {"status": false, ...} when the handler returned an error, so that
//     Ginee delivers it again. A failed notification is not remembered as
//     handled: the next copy runs the handler.
//
// Handlers run with the request's context and may run concurrently.
// Register handlers before serving requests; the registration methods are
// nevertheless safe to call at any time.
//
// Create a Receiver with [NewReceiver]; the zero value answers every
// request with 500.
type Receiver struct {
	headerName, headerSecret string
	pathSecret               string
	endpoint                 webhook.Endpoint

	mu            sync.RWMutex
	order         func(context.Context, *OrderEvent) error
	deliveryOrder func(context.Context, *DeliveryOrderEvent) error
	unknown       func(context.Context, *UnknownEvent) error
}

// Option configures a [Receiver].
type Option func(*Receiver) error

// WithSecretHeader makes the Receiver accept only requests whose header
// name carries value, compared in constant time; others get 401. Ginee does
// not sign notifications: ask Ginee staff, when they set up your endpoint,
// to send this header. Neither name nor value may be empty.
func WithSecretHeader(name, value string) Option {
	return func(rc *Receiver) error {
		if name == "" || value == "" {
			return errors.New("ginee: secret header name and value must not be empty")
		}
		rc.headerName, rc.headerSecret = http.CanonicalHeaderKey(name), value
		return nil
	}
}

// WithPathSecret makes the Receiver accept only requests whose URL path
// ends with the segment secret, compared in constant time; others get 401.
// Register the endpoint with Ginee as, for example,
// https://example.com/webhooks/ginee/<secret>, and route every path under
// /webhooks/ginee/ to the Receiver. The secret is compared with the decoded
// path: it must not be empty nor contain "/". Use a long random value made
// of URL-safe characters.
func WithPathSecret(secret string) Option {
	return func(rc *Receiver) error {
		if secret == "" || strings.Contains(secret, "/") {
			return errors.New(`ginee: path secret must be non-empty and must not contain "/"`)
		}
		rc.pathSecret = secret
		return nil
	}
}

// WithMaxBodyBytes sets the largest body accepted, in bytes (default
// [webhook.DefaultMaxBodyBytes], 1 MiB). n must be positive.
func WithMaxBodyBytes(n int64) Option {
	return func(rc *Receiver) error {
		if n <= 0 {
			return fmt.Errorf("ginee: max body bytes must be positive, got %d", n)
		}
		rc.endpoint.MaxBodyBytes = n
		return nil
	}
}

// WithDedupe sets the store that remembers handled notifications by id. The
// default is a [webhook.MemoryDedupe] owned by the Receiver, which is right
// for a service running as a single instance; several instances behind a
// load balancer need a shared store. Nil disables deduplication: every copy
// of a notification runs the handler.
func WithDedupe(store webhook.DedupeStore) Option {
	return func(rc *Receiver) error {
		rc.endpoint.Dedupe.Store = store
		return nil
	}
}

// WithDedupeTTL sets how long a notification is claimed while its handler
// runs (default [webhook.DefaultLease]) and how long a handled notification
// is remembered (default [webhook.DefaultRetention]). Both must be
// positive.
func WithDedupeTTL(lease, retention time.Duration) Option {
	return func(rc *Receiver) error {
		if lease <= 0 || retention <= 0 {
			return fmt.Errorf("ginee: dedupe lease and retention must be positive, got %v and %v", lease, retention)
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
// metrics: handler errors are otherwise only visible to Ginee, as a 500.
func WithOnError(fn func(r *http.Request, err error)) Option {
	return func(rc *Receiver) error {
		rc.endpoint.OnError = fn
		return nil
	}
}

// NewReceiver returns a Receiver configured by opts.
//
// Without [WithSecretHeader] or [WithPathSecret] it accepts every request:
// Ginee does not sign its notifications, so anyone who learns the URL can
// send forged ones. Configure at least one secret, or verify the data with
// Ginee's API before acting on it. When both are configured, both must
// match.
func NewReceiver(opts ...Option) (*Receiver, error) {
	rc := &Receiver{}
	rc.endpoint = webhook.Endpoint{
		Authorize: rc.authorize,
		Decode:    rc.decode,
		Dedupe:    webhook.Deduper{Store: webhook.NewMemoryDedupe()},
		Reply:     reply,
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

// OnOrder registers the handler of "order" notifications, replacing any
// previous one; nil removes it.
func (rc *Receiver) OnOrder(fn func(context.Context, *OrderEvent) error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.order = fn
}

// OnDeliveryOrder registers the handler of "delivery-order" notifications,
// whatever their action, replacing any previous one; nil removes it.
func (rc *Receiver) OnDeliveryOrder(fn func(context.Context, *DeliveryOrderEvent) error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.deliveryOrder = fn
}

// OnUnknown registers the handler of notifications about other entities,
// replacing any previous one; nil removes it. Without it such notifications
// are acknowledged and dropped.
func (rc *Receiver) OnUnknown(fn func(context.Context, *UnknownEvent) error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.unknown = fn
}

// handler returns the handler registered for entity, nil if none.
func (rc *Receiver) handler(entity Entity) func(context.Context, Event) error {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	switch entity {
	case EntityOrder:
		return adapt(rc.order)
	case EntityDeliveryOrder:
		return adapt(rc.deliveryOrder)
	default:
		return adapt(rc.unknown)
	}
}

// adapt turns a typed handler into one taking any Event; nil stays nil.
func adapt[E Event](fn func(context.Context, E) error) func(context.Context, Event) error {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, ev Event) error {
		e, ok := ev.(E)
		if !ok {
			return fmt.Errorf("ginee: %q notification decoded as %T", ev.EventEnvelope().Entity, ev)
		}
		return fn(ctx, e)
	}
}

func (rc *Receiver) authorize(r *http.Request) error {
	if rc.headerSecret != "" && !webhook.SecretEqual(r.Header.Get(rc.headerName), rc.headerSecret) {
		return fmt.Errorf("ginee: missing or wrong %s header", rc.headerName)
	}
	if rc.pathSecret != "" {
		p := r.URL.Path
		if !webhook.SecretEqual(p[strings.LastIndexByte(p, '/')+1:], rc.pathSecret) {
			return errors.New("ginee: missing or wrong path secret")
		}
	}
	return nil
}

func (rc *Receiver) decode(_ *http.Request, body []byte) (webhook.Delivery, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return webhook.Delivery{}, err
	}
	h := rc.handler(env.Entity)
	if h == nil {
		// Acknowledge without decoding the payload: a notification nobody
		// handles must not fail because of a field nobody reads.
		return webhook.Delivery{}, nil
	}
	ev, err := decodeEvent(env)
	if err != nil {
		return webhook.Delivery{}, err
	}
	key := "ginee:id:" + env.ID
	if env.ID == "" {
		key = "ginee:body:" + webhook.BodyKey(body)
	}
	return webhook.Delivery{
		Key:    key,
		Handle: func(ctx context.Context) error { return h(ctx, ev) },
	}, nil
}

// reply writes the answer Ginee expects: {"status": true} with 200.
func reply(w http.ResponseWriter, status int) {
	if status == http.StatusOK {
		_ = webhook.WriteJSON(w, status, statusReply{Status: true})
		return
	}
	_ = webhook.WriteJSON(w, status, statusReply{Message: http.StatusText(status)})
}

type statusReply struct {
	Status  bool   `json:"status"`
	Message string `json:"message,omitempty"`
}
