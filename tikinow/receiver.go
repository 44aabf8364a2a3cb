package tikinow

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/dispatch"
	"github.com/tikisdk/tiki/webhook"
)

// Receiver is an [http.Handler] for TikiNOW deliveries. For each request it
// answers:
//
//   - 405, with "Allow: POST", to a method other than POST;
//   - 413 when the body is larger than the limit (1 MiB by default,
//     [webhook.WithMaxBodyBytes]);
//   - 408 when the body takes longer than the body timeout to arrive (10 s
//     by default, [webhook.WithBodyTimeout]);
//   - 401 when the X-Signature header does not match the raw body for any
//     of the secrets, checked before anything is decoded;
//   - 400 when the body is not a JSON object, or is a documented kind with a
//     field of the wrong type (a stock delivery whose qty_salable is null,
//     say) and no OnUnknown handler is registered (with one, that delivery
//     runs OnUnknown with the raw body instead, so that it is not lost, and
//     the decoding error is reported);
//   - 501 to a delivery no registered handler takes: a documented kind
//     (stock, order status, aftersale) for which neither its handler nor
//     OnUnknown is registered, or a shape this package does not recognise
//     (TikiNOW renamed a field, say) without OnUnknown. TikiNOW then
//     delivers it again rather than an event being dropped because a
//     registration was forgotten or the payload changed; it is reported,
//     wrapping [webhook.ErrNoHandler]. Register [webhook.Ignore] for a kind
//     (OnUnknown included) to acknowledge it on purpose;
//   - 200 {"success":true} when the handler returned nil, and when the same
//     body was handled recently (a duplicate delivery);
//   - 503 when a copy of the same body is being handled and that run has
//     not finished (it may still fail, so the copy is not acknowledged and
//     TikiNOW delivers it again), and when the dedupe store has no room
//     besides the claims of runs still going ([dedupe.ErrFull]);
//   - 500 with TikiNOW's error body when the handler returned an error, so
//     that TikiNOW delivers it again. A failed delivery is not remembered as
//     handled: the next copy runs the handler.
//
// A delivery is answered 2xx only after a run of its handler for that body
// returned nil, in this process or in another sharing the dedupe store.
// Every error is reported to the function set with [webhook.WithOnError],
// or logged through slog.Default() without one.
//
// Every error reply is TikiNOW's error body, {"success":false,"error":
// {"status_code","message","message_code"}}. A delivery runs the handler of
// its kind (OnStock, OnOrderStatus, OnAftersale); a delivery of an
// undocumented shape, of a documented kind without a handler, or of a
// documented kind whose payload does not decode runs the OnUnknown handler
// with the raw body instead.
//
// Handlers run with the request's context and may run concurrently.
// TikiNOW deliveries carry no id, so duplicates are recognized by their body
// ([webhook.BodyKey]). Register handlers before serving requests; the
// registration methods are nevertheless safe to call at any time.
//
// Create a Receiver with [NewReceiver]; the zero value answers every
// request with 500.
type Receiver struct {
	secrets  []string
	endpoint webhook.Endpoint
	handlers dispatch.Table[kind, Event]
}

// kind tells which handler a delivery runs.
type kind int

const (
	kindUnknown kind = iota
	kindStock
	kindOrderStatus
	kindAftersale
)

// kindOf returns the kind of ev.
func kindOf(ev Event) kind {
	switch ev.(type) {
	case *StockEvent:
		return kindStock
	case *OrderStatusEvent:
		return kindOrderStatus
	case *AftersaleEvent:
		return kindAftersale
	default:
		return kindUnknown
	}
}

// String returns the kind's name, such as "stock".
func (k kind) String() string {
	switch k {
	case kindStock:
		return "stock"
	case kindOrderStatus:
		return "order status"
	case kindAftersale:
		return "aftersale"
	default:
		return "unknown"
	}
}

// register returns the name of the method registering k's handler.
func (k kind) register() string {
	switch k {
	case kindStock:
		return "OnStock"
	case kindOrderStatus:
		return "OnOrderStatus"
	case kindAftersale:
		return "OnAftersale"
	default:
		return "OnUnknown"
	}
}

// NewReceiver returns a Receiver for the deliveries TikiNOW signs with any
// of secrets, the secret keys registered with
// [tiki.WebhooksService.Register] ([NewSecret] makes one). At least one is
// required, each of exactly [tiki.WebhookSecretLen] characters, as TikiNOW
// requires; give the old and the new one while rotating a secret.
//
// opts are the options of package webhook: [webhook.WithMaxBodyBytes],
// [webhook.WithBodyTimeout], [webhook.WithDedupe] (by default an in-memory
// store for this process: use a shared store, for example Redis, when
// several replicas receive), [webhook.WithDedupeTTL] and
// [webhook.WithOnError]. Every problem with secrets and opts is reported
// in one *tiki.ValidationError.
func NewReceiver(secrets []string, opts ...webhook.Option) (*Receiver, error) {
	var problems []tiki.FieldProblem
	if len(secrets) == 0 {
		problems = append(problems, tiki.FieldProblem{Field: "secrets", Problem: "needs at least one secret key"})
	}
	for i, s := range secrets {
		if len(s) != tiki.WebhookSecretLen {
			problems = append(problems, tiki.FieldProblem{Field: fmt.Sprintf("secrets[%d]", i),
				Problem: fmt.Sprintf("must be exactly %d characters (has %d)", tiki.WebhookSecretLen, len(s))})
		}
	}
	r := &Receiver{secrets: slices.Clone(secrets)}
	r.endpoint = webhook.Endpoint{
		Verify: r.verify,
		Decode: r.decode,
		Dedupe: dedupe.Runner{Store: new(dedupe.MemoryStore)},
		Reply:  reply,
	}
	if err := r.endpoint.Configure(problems, opts...); err != nil {
		return nil, err
	}
	return r, nil
}

// ServeHTTP implements [http.Handler].
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.endpoint.ServeHTTP(w, req)
}

// OnStock registers the handler of stock changes, replacing any previous
// one; nil removes it.
func (r *Receiver) OnStock(fn func(ctx context.Context, e *StockEvent) error) {
	r.handlers.Set(kindStock, dispatch.Adapt[Event](fn))
}

// OnOrderStatus registers the handler of order status changes, replacing
// any previous one; nil removes it. See [OrderStatusEvent] for how these
// relate to the event queue's ORDER_STATUS_UPDATED events.
func (r *Receiver) OnOrderStatus(fn func(ctx context.Context, e *OrderStatusEvent) error) {
	r.handlers.Set(kindOrderStatus, dispatch.Adapt[Event](fn))
}

// OnAftersale registers the handler of aftersale changes, replacing any
// previous one; nil removes it.
func (r *Receiver) OnAftersale(fn func(ctx context.Context, e *AftersaleEvent) error) {
	r.handlers.Set(kindAftersale, dispatch.Adapt[Event](fn))
}

// OnUnknown registers the handler of deliveries of undocumented shapes, of
// documented kinds that have no handler, and of documented kinds whose
// payload does not decode (a field of an unexpected type), replacing any
// previous one; nil removes it. It receives the raw body. Without it, the
// first two are answered 501 (wrapping [webhook.ErrNoHandler]) so that
// TikiNOW delivers them again, and the last are answered 400.
// OnUnknown(webhook.Ignore) acknowledges them all unhandled, on purpose.
func (r *Receiver) OnUnknown(fn func(ctx context.Context, e *UnknownEvent) error) {
	r.handlers.Set(kindUnknown, dispatch.Adapt[Event](fn))
}

func (r *Receiver) verify(req *http.Request, body []byte) error {
	return Verify(body, req.Header.Get(SignatureHeader), r.secrets...)
}

func (r *Receiver) decode(req *http.Request, body []byte) (webhook.Delivery, error) {
	key := "tikinow:" + webhook.BodyKey(body)
	ev, documented, err := parse(body)
	if err != nil {
		// A documented kind that does not decode is kept for OnUnknown
		// rather than answered 400, which TikiNOW would not deliver again.
		h := r.handlers.Get(kindUnknown)
		if !documented || h == nil {
			return webhook.Delivery{}, err
		}
		r.endpoint.Report(req, fmt.Errorf("%w: handed to OnUnknown", err))
		return webhook.Delivery{Key: key, Handle: func(ctx context.Context) error { return h(ctx, &UnknownEvent{Body: body}) }}, nil
	}
	k := kindOf(ev)
	h, handled := r.handlers.Get(k), ev
	if h == nil && k != kindUnknown {
		h, handled = r.handlers.Get(kindUnknown), &UnknownEvent{Body: body}
	}
	if h == nil {
		if k != kindUnknown {
			return webhook.Delivery{}, fmt.Errorf("%w: tikinow: %s delivery: register %s (or OnUnknown), or webhook.Ignore to acknowledge it unhandled",
				webhook.ErrNoHandler, k, k.register())
		}
		return webhook.Delivery{}, fmt.Errorf("%w: tikinow: delivery of a shape this package does not recognise (%s): register OnUnknown to take it raw, or OnUnknown(webhook.Ignore) to acknowledge such deliveries unhandled",
			webhook.ErrNoHandler, shape(body))
	}
	return webhook.Delivery{Key: key, Handle: func(ctx context.Context) error { return h(ctx, handled) }}, nil
}

// replyCodes are the message codes of TikiNOW's error body by status.
var replyCodes = map[int]string{
	http.StatusUnauthorized:          "INVALID_SIGNATURE",
	http.StatusBadRequest:            "INVALID_PAYLOAD",
	http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
	http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
	http.StatusRequestTimeout:        "REQUEST_TIMEOUT",
	http.StatusNotImplemented:        "NO_HANDLER",
	http.StatusServiceUnavailable:    "RETRY_LATER",
}

// reply answers with TikiNOW's success and error bodies.
func reply(w http.ResponseWriter, status int) {
	if status < 300 {
		_ = webhook.WriteJSON(w, status, map[string]bool{"success": true})
		return
	}
	code, ok := replyCodes[status]
	if !ok {
		code = "INTERNAL_ERROR"
	}
	_ = webhook.WriteJSON(w, status, map[string]any{
		"success": false,
		"error": map[string]any{
			"status_code":  status,
			"message":      http.StatusText(status),
			"message_code": code,
		},
	})
}

// shape describes the body of a delivery of an unknown shape by its member
// names, without their values, for its report.
func shape(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "not a JSON object"
	}
	data, ok := top["data"]
	if !ok {
		return "no data member; members " + memberNames(top)
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(data, &inner) != nil {
		return "data is not an object"
	}
	return "data members " + memberNames(inner)
}

// memberNames lists the names of an object's members, sorted and quoted,
// at most ten of them.
func memberNames(members map[string]json.RawMessage) string {
	names := slices.Sorted(maps.Keys(members))
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(names)-10)
	}
	for i, n := range names {
		names[i] = strconv.Quote(n)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ") + more
}
