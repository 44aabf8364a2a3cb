package ikitech

import (
	"encoding/json"
	"fmt"

	"github.com/tikisdk/tiki/webhook"
)

// EventType is the "type" of an IKITECH delivery.
type EventType string

// The delivery types IKITECH documents.
const (
	// EventNewProduct: a product was added (Sản phẩm mới). Data: [Product].
	EventNewProduct EventType = "NEW_PRODUCT"
	// EventUpdateProduct: a product was updated (Cập nhật sản phẩm). Data:
	// [Product].
	EventUpdateProduct EventType = "UPDATE_PRODUCT"
	// EventDeleteProduct: a product was deleted (Xóa sản phẩm). Data: the
	// product's name.
	EventDeleteProduct EventType = "DELETE_PRODUCT"
	// EventNewOrder: an order was placed (Đơn hàng mới). Data: [Order].
	EventNewOrder EventType = "NEW_ORDER"
	// EventUpdateOrder: an order changed (Cập nhật đơn hàng). Data: [Order].
	EventUpdateOrder EventType = "UPDATE_ORDER"
	// EventDeleteOrder: an order was deleted (Xóa đơn hàng). Data: the
	// order's code.
	EventDeleteOrder EventType = "DELETE_ORDER"
	// EventNewCustomer: a customer was added (Khách hàng mới). Data:
	// [Customer].
	EventNewCustomer EventType = "NEW_CUSTOMER"
	// EventUpdateCustomer: a customer's details changed (Cập nhật khách
	// hàng). Data: [Customer].
	EventUpdateCustomer EventType = "UPDATE_CUSTOMER"
	// EventDeleteCustomer: a customer was deleted (Xóa khách hàng). Data:
	// the customer's phone number.
	EventDeleteCustomer EventType = "DELETE_CUSTOMER"
)

// Known reports whether t is one of the nine documented types.
func (t EventType) Known() bool {
	switch t {
	case EventNewProduct, EventUpdateProduct, EventDeleteProduct,
		EventNewOrder, EventUpdateOrder, EventDeleteOrder,
		EventNewCustomer, EventUpdateCustomer, EventDeleteCustomer:
		return true
	}
	return false
}

// Envelope is the JSON document of every IKITECH delivery. It is embedded
// in every event type.
type Envelope struct {
	// Type tells what happened and the shape of Data.
	Type EventType `json:"type"`
	// Data is the "data" value exactly as IKITECH sent it; nil when absent.
	Data json.RawMessage `json:"data"`
}

// EventType returns e.Type.
func (e *Envelope) EventType() EventType { return e.Type }

// Event is a decoded IKITECH delivery: a *[ProductEvent],
// *[ProductDeleteEvent], *[OrderEvent], *[OrderDeleteEvent],
// *[CustomerEvent], *[CustomerDeleteEvent] or *[UnknownEvent]. Use a type
// switch to get at the data.
type Event interface {
	// EventType returns the delivery's type.
	EventType() EventType
	isEvent()
}

// ProductEvent is a NEW_PRODUCT or UPDATE_PRODUCT delivery.
type ProductEvent struct {
	Envelope
	// Product is the product added or updated.
	Product Product
}

// ProductDeleteEvent is a DELETE_PRODUCT delivery.
type ProductDeleteEvent struct {
	Envelope
	// Name is the name of the deleted product (data field "name"); IKITECH
	// sends no id.
	Name string
}

// OrderEvent is a NEW_ORDER or UPDATE_ORDER delivery.
type OrderEvent struct {
	Envelope
	// Order is the order placed or updated.
	Order Order
}

// OrderDeleteEvent is a DELETE_ORDER delivery.
type OrderDeleteEvent struct {
	Envelope
	// OrderCode is the code of the deleted order (data field "order_code").
	OrderCode string
}

// CustomerEvent is a NEW_CUSTOMER or UPDATE_CUSTOMER delivery.
type CustomerEvent struct {
	Envelope
	// Customer is the customer added or updated.
	Customer Customer
}

// CustomerDeleteEvent is a DELETE_CUSTOMER delivery.
type CustomerDeleteEvent struct {
	Envelope
	// PhoneNumber is the phone number of the deleted customer (data field
	// "phone_number").
	PhoneNumber string
}

// UnknownEvent is a delivery whose type is not one of the nine documented
// ones (or is missing). Its data is not decoded: read Envelope.Data.
type UnknownEvent struct {
	Envelope
}

func (*ProductEvent) isEvent()        {}
func (*ProductDeleteEvent) isEvent()  {}
func (*OrderEvent) isEvent()          {}
func (*OrderDeleteEvent) isEvent()    {}
func (*CustomerEvent) isEvent()       {}
func (*CustomerDeleteEvent) isEvent() {}
func (*UnknownEvent) isEvent()        {}

// Parse decodes the raw body of an IKITECH delivery, for users who route
// requests themselves. It does not authenticate the request: compare its
// Token header first (see [webhook.SecretEqual]).
//
// The body must be a JSON object {"type": ..., "data": ...}. The data of the
// nine documented types is decoded into the matching event; any other type
// gives an *[UnknownEvent] with the data kept raw. An error wraps
// [webhook.ErrMalformedPayload].
func Parse(body []byte) (Event, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return nil, err
	}
	return decodeEvent(env)
}

// parseEnvelope decodes the envelope of a delivery, leaving its data raw.
func parseEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := webhook.DecodeObject(body, &env); err != nil {
		return env, fmt.Errorf("ikitech: %w", err)
	}
	return env, nil
}

// decodeEvent decodes the data of env into the event of its type.
func decodeEvent(env Envelope) (Event, error) {
	var (
		ev  Event
		err error
	)
	switch env.Type {
	case EventNewProduct, EventUpdateProduct:
		e := &ProductEvent{Envelope: env}
		ev, err = e, decodeData(env, &e.Product)
	case EventNewOrder, EventUpdateOrder:
		e := &OrderEvent{Envelope: env}
		ev, err = e, decodeData(env, &e.Order)
	case EventNewCustomer, EventUpdateCustomer:
		e := &CustomerEvent{Envelope: env}
		ev, err = e, decodeData(env, &e.Customer)
	case EventDeleteProduct:
		var data struct {
			Name string `json:"name"`
		}
		err = decodeData(env, &data)
		ev = &ProductDeleteEvent{Envelope: env, Name: data.Name}
	case EventDeleteOrder:
		var data struct {
			OrderCode string `json:"order_code"`
		}
		err = decodeData(env, &data)
		ev = &OrderDeleteEvent{Envelope: env, OrderCode: data.OrderCode}
	case EventDeleteCustomer:
		var data struct {
			PhoneNumber string `json:"phone_number"`
		}
		err = decodeData(env, &data)
		ev = &CustomerDeleteEvent{Envelope: env, PhoneNumber: data.PhoneNumber}
	default:
		ev = &UnknownEvent{Envelope: env}
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// decodeData decodes env.Data, when present, into dst.
func decodeData(env Envelope, dst any) error {
	if len(env.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Data, dst); err != nil {
		return fmt.Errorf("%w: ikitech: decode %s data: %w", webhook.ErrMalformedPayload, env.Type, err)
	}
	return nil
}
