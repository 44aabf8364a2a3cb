package ginee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/dispatch"
	"github.com/tikisdk/tiki/webhook"
)

// Receiver is an [http.Handler] that receives Ginee webhook notifications
// and passes each to the handler registered for its entity.
//
// For every request it answers:
//
//   - 405, with "Allow: POST", to a method other than POST;
//   - 401 when the request does not carry the shared secrets configured
//     ([WithSecretHeader], [WithPathSecret]);
//   - 413 when the body is larger than the limit (1 MiB by default);
//   - 408 when the body takes longer than the body timeout to arrive (10 s
//     by default, [webhook.WithBodyTimeout]);
//   - 400 when the body is not a notification Ginee documents;
//   - 501 to a notification no registered handler takes: a documented
//     entity ("order", "delivery-order") without its handler, or an entity
//     Ginee does not document without OnUnknown. Ginee then delivers it
//     again rather than an event being dropped because a registration was
//     forgotten; it is reported, wrapping [webhook.ErrNoHandler]. Register
//     [webhook.Ignore] for an entity (OnUnknown included) to acknowledge it
//     on purpose;
//   - 200 {"status": true}, as Ginee requires, when the handler returned
//     nil, and when a notification with the same id was handled recently (a
//     duplicate);
//   - 503 {"status": false, ...} when a copy of the same notification is
//     being handled and that run has not finished (it may still fail, so
//     the copy is not acknowledged and Ginee delivers it again), and when
//     the dedupe store has no room besides the claims of runs still going
//     ([dedupe.ErrFull]);
//   - 500 {"status": false, ...} when the handler returned an error, so that
//     Ginee delivers it again. A failed notification is not remembered as
//     handled: the next copy runs the handler.
//
// Every error is reported to the function set with [webhook.WithOnError],
// or logged through slog.Default() without one.
//
// Handlers run with the request's context and may run concurrently.
// Register handlers before serving requests; the registration methods are
// nevertheless safe to call at any time.
//
// Create a Receiver with [NewReceiver]; the zero value answers every
// request with 500.
type Receiver struct {
	endpoint webhook.Endpoint
	handlers dispatch.Table[Entity, Event]
}

// otherEntities is the key under which the handler of undocumented entities
// is registered; no documented entity is empty.
const otherEntities Entity = ""

// WithSecretHeader makes the Receiver accept only requests whose header
// name carries value, compared in constant time; others get 401. Ginee does
// not sign notifications: ask Ginee staff, when they set up your endpoint,
// to send this header. Neither name nor value may be empty.
//
// Secrets add up: with [WithPathSecret] too, or with several headers, a
// request must carry every one of them.
func WithSecretHeader(name, value string) webhook.Option {
	return func(e *webhook.Endpoint) error {
		var problems []tiki.FieldProblem
		if name == "" {
			problems = append(problems, tiki.FieldProblem{Field: "WithSecretHeader(name)", Problem: "is empty"})
		}
		if value == "" {
			problems = append(problems, tiki.FieldProblem{Field: "WithSecretHeader(value)", Problem: "is empty"})
		}
		if problems != nil {
			return &tiki.ValidationError{Problems: problems}
		}
		name := http.CanonicalHeaderKey(name)
		requireAlso(e, func(r *http.Request) error {
			if !webhook.SecretEqual(r.Header.Get(name), value) {
				return fmt.Errorf("ginee: missing or wrong %s header", name)
			}
			return nil
		})
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
//
// Secrets add up: with [WithSecretHeader] too, a request must carry both.
func WithPathSecret(secret string) webhook.Option {
	return func(e *webhook.Endpoint) error {
		switch {
		case secret == "":
			return webhook.Invalid("WithPathSecret(secret)", "is empty")
		case strings.Contains(secret, "/"):
			return webhook.Invalid("WithPathSecret(secret)", `must not contain "/"`)
		}
		requireAlso(e, func(r *http.Request) error {
			p := r.URL.Path
			if !webhook.SecretEqual(p[strings.LastIndexByte(p, '/')+1:], secret) {
				return errors.New("ginee: missing or wrong path secret")
			}
			return nil
		})
		return nil
	}
}

// WithoutAuthentication makes the Receiver accept every request that is a
// well-formed notification, from anyone: Ginee does not sign its
// notifications, so without a shared secret anyone who learns the URL can
// send forged ones. NewReceiver refuses to build a Receiver without
// [WithSecretHeader] or [WithPathSecret] unless this option says the caller
// wants that: behind a gateway that authenticates Ginee itself, say, or
// when every notification is confirmed through Ginee's API before anything
// is done with it. Secrets given beside it still apply.
func WithoutAuthentication() webhook.Option {
	return func(e *webhook.Endpoint) error {
		if e.Authorize == nil {
			e.Authorize = func(*http.Request) error { return nil }
		}
		return nil
	}
}

// requireAlso makes e authorize a request only if check accepts it too, on
// top of the checks e makes already.
func requireAlso(e *webhook.Endpoint, check func(*http.Request) error) {
	prev := e.Authorize
	if prev == nil {
		e.Authorize = check
		return
	}
	e.Authorize = func(r *http.Request) error {
		if err := prev(r); err != nil {
			return err
		}
		return check(r)
	}
}

// NewReceiver returns a Receiver configured by opts: [WithSecretHeader],
// [WithPathSecret] and the options of package webhook
// ([webhook.WithMaxBodyBytes], [webhook.WithBodyTimeout],
// [webhook.WithDedupe], [webhook.WithDedupeTTL], [webhook.WithOnError]).
//
// Ginee does not sign its notifications, so anyone who learns the URL can
// send forged ones: opts must configure a shared secret ([WithSecretHeader]
// or [WithPathSecret]; with both, both must match), or say with
// [WithoutAuthentication] that every request is to be accepted. Every
// problem with opts, a missing authentication included, is reported in one
// *tiki.ValidationError.
func NewReceiver(opts ...webhook.Option) (*Receiver, error) {
	rc := &Receiver{}
	rc.endpoint = webhook.Endpoint{
		Decode: rc.decode,
		Dedupe: dedupe.Runner{Store: new(dedupe.MemoryStore)},
		Reply:  reply,
	}
	err := rc.endpoint.Configure(nil, opts...)
	if rc.endpoint.Authorize != nil {
		if err != nil {
			return nil, err
		}
		return rc, nil
	}
	var problems []tiki.FieldProblem
	if ve := (*tiki.ValidationError)(nil); errors.As(err, &ve) {
		problems = ve.Problems
	}
	problems = append(problems, tiki.FieldProblem{Field: "authentication",
		Problem: "is not configured: Ginee does not sign its notifications, so anyone who learns the URL could send forged ones; " +
			"give WithSecretHeader or WithPathSecret (a secret only you and Ginee know), or WithoutAuthentication() to accept every request on purpose"})
	return nil, &tiki.ValidationError{Problems: problems}
}

// ServeHTTP implements [http.Handler].
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.endpoint.ServeHTTP(w, r)
}

// OnOrder registers the handler of "order" notifications, replacing any
// previous one; nil removes it.
func (rc *Receiver) OnOrder(fn func(context.Context, *OrderEvent) error) {
	rc.handlers.Set(EntityOrder, dispatch.Adapt[Event](fn))
}

// OnDeliveryOrder registers the handler of "delivery-order" notifications,
// whatever their action, replacing any previous one; nil removes it.
func (rc *Receiver) OnDeliveryOrder(fn func(context.Context, *DeliveryOrderEvent) error) {
	rc.handlers.Set(EntityDeliveryOrder, dispatch.Adapt[Event](fn))
}

// OnUnknown registers the handler of notifications about other entities,
// replacing any previous one; nil removes it. Without it such notifications
// are answered 501 (wrapping [webhook.ErrNoHandler]), so that Ginee
// delivers them again; OnUnknown(webhook.Ignore) acknowledges them
// unhandled, on purpose.
func (rc *Receiver) OnUnknown(fn func(context.Context, *UnknownEvent) error) {
	rc.handlers.Set(otherEntities, dispatch.Adapt[Event](fn))
}

// handler returns the handler registered for entity, nil if none.
func (rc *Receiver) handler(entity Entity) func(context.Context, Event) error {
	switch entity {
	case EntityOrder, EntityDeliveryOrder:
		return rc.handlers.Get(entity)
	default:
		return rc.handlers.Get(otherEntities)
	}
}

func (rc *Receiver) decode(r *http.Request, body []byte) (webhook.Delivery, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return webhook.Delivery{}, err
	}
	h := rc.handler(env.Entity)
	if h == nil {
		// Decide without decoding the payload: a notification nobody
		// handles must not fail because of a field nobody reads.
		switch env.Entity {
		case EntityOrder, EntityDeliveryOrder:
			return webhook.Delivery{}, fmt.Errorf("%w: ginee: %q notification: register its handler, or webhook.Ignore to acknowledge it unhandled",
				webhook.ErrNoHandler, env.Entity)
		}
		return webhook.Delivery{}, fmt.Errorf("%w: ginee: notification about entity %q, which Ginee does not document: register OnUnknown to take it, or OnUnknown(webhook.Ignore) to acknowledge such notifications unhandled",
			webhook.ErrNoHandler, env.Entity)
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
