package ginee

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tikisdk/tiki/webhook"
)

// Entity is the kind of object a notification is about.
type Entity string

// The entities Ginee documents.
const (
	// EntityOrder: an order; Ginee sends CREATE notifications. Payload:
	// [Order].
	EntityOrder Entity = "order"
	// EntityDeliveryOrder: a delivery order; Ginee sends CREATE, UPDATE and
	// DELETE notifications. Payload: [DeliveryOrder].
	EntityDeliveryOrder Entity = "delivery-order"
)

// Action is what happened to the entity.
type Action string

// The actions Ginee documents.
const (
	// ActionCreate: the entity was created.
	ActionCreate Action = "CREATE"
	// ActionUpdate: the entity was updated.
	ActionUpdate Action = "UPDATE"
	// ActionDelete: the entity was deleted.
	ActionDelete Action = "DELETE"
)

// Envelope holds the fields every Ginee notification carries. It is
// embedded in every event type.
type Envelope struct {
	// ID is the notification's unique id ("GENIE5FF31A7C5F15030001D3ED5E");
	// copies of a notification share it.
	ID string `json:"id"`
	// UserID is the id of the Ginee user (merchant) the notification
	// belongs to.
	UserID string `json:"userId"`
	// Entity is the kind of object the notification is about.
	Entity Entity `json:"entity"`
	// Action is what happened to it.
	Action Action `json:"action"`
	// CreateAt is when the notification was created (optional).
	CreateAt Time `json:"createAt"`
	// User is the Ginee user the notification belongs to.
	User User `json:"user"`
	// Payload is the "payload" value exactly as Ginee sent it; nil when
	// absent.
	Payload json.RawMessage `json:"payload"`
}

// EventEnvelope returns e, giving access to the common fields of any
// [Event].
func (e *Envelope) EventEnvelope() *Envelope { return e }

// User is the Ginee user (merchant account) a notification belongs to.
type User struct {
	// ID is the user id. Ginee sends it as "id", or as "_id" in some
	// notifications; both are read.
	ID string `json:"id"`
	// Email is the user's email address; often empty.
	Email string `json:"email"`
}

// UnmarshalJSON implements [json.Unmarshaler], reading the id from "id" or
// "_id".
func (u *User) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var v struct {
		ID    string `json:"id"`
		AltID string `json:"_id"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	u.ID, u.Email = v.ID, v.Email
	if u.ID == "" {
		u.ID = v.AltID
	}
	return nil
}

// Event is a decoded Ginee notification: an *[OrderEvent], a
// *[DeliveryOrderEvent] or an *[UnknownEvent]. Use a type switch to get at
// the payload.
type Event interface {
	// EventEnvelope returns the fields common to every notification.
	EventEnvelope() *Envelope
	isEvent()
}

// OrderEvent is an "order" notification.
type OrderEvent struct {
	Envelope
	// Order is the decoded payload.
	Order Order
}

// DeliveryOrderEvent is a "delivery-order" notification.
type DeliveryOrderEvent struct {
	Envelope
	// DeliveryOrder is the decoded payload. For ActionDelete, Ginee sends
	// only part of the fields.
	DeliveryOrder DeliveryOrder
}

// UnknownEvent is a notification about an entity other than the two Ginee
// documents (or with no entity). Its payload is not decoded: read
// Envelope.Payload.
type UnknownEvent struct {
	Envelope
}

func (*OrderEvent) isEvent()         {}
func (*DeliveryOrderEvent) isEvent() {}
func (*UnknownEvent) isEvent()       {}

// Parse decodes the raw body of a Ginee notification, for users who route
// requests themselves. Ginee does not sign notifications, so Parse cannot
// authenticate them; see the package documentation.
//
// The body must be a JSON object. The payloads of "order" and
// "delivery-order" notifications are decoded whatever their action; other
// entities give an *[UnknownEvent] with the payload kept raw. An error
// wraps [webhook.ErrMalformedPayload].
func Parse(body []byte) (Event, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return nil, err
	}
	return decodeEvent(env)
}

// parseEnvelope decodes the envelope of a notification, leaving its
// payload raw.
func parseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := webhook.DecodeObject(body, &env); err != nil {
		return env, fmt.Errorf("ginee: %w", err)
	}
	return env, nil
}

// decodeEvent decodes the payload of env into the event of its entity.
func decodeEvent(env Envelope) (Event, error) {
	var (
		ev  Event
		err error
	)
	switch env.Entity {
	case EntityOrder:
		e := &OrderEvent{Envelope: env}
		ev, err = e, decodePayload(env, &e.Order)
	case EntityDeliveryOrder:
		e := &DeliveryOrderEvent{Envelope: env}
		ev, err = e, decodePayload(env, &e.DeliveryOrder)
	default:
		ev = &UnknownEvent{Envelope: env}
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// decodePayload decodes env.Payload, when present, into dst.
func decodePayload(env Envelope, dst any) error {
	if len(env.Payload) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Payload, dst); err != nil {
		return fmt.Errorf("%w: ginee: decode %s payload: %w", webhook.ErrMalformedPayload, env.Entity, err)
	}
	return nil
}
