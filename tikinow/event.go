package tikinow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/webhook"
)

// Event is a decoded TikiNOW delivery: a *[StockEvent], an
// *[OrderStatusEvent], an *[AftersaleEvent] or an *[UnknownEvent]. Use a
// type switch to get at its fields.
type Event interface {
	isEvent()
}

// StockEvent reports a change of the salable quantity of a SKU in a Tiki
// warehouse, one of the registration's InventoryLocations. Its text fields
// decode from a JSON string or a number, and QtySalable from a number or a
// numeric string.
type StockEvent struct {
	// Date is when the quantity changed (TikiNOW sends RFC 3339 in Vietnam
	// time).
	Date tiki.Time `json:"date"`
	// SKU is Tiki's SKU of the product.
	SKU string `json:"sku"`
	// Warehouse is the code of the Tiki warehouse whose stock changed, one
	// of the registration's InventoryLocations (for example "sgn"; see
	// tiki.WarehousesService).
	Warehouse string `json:"warehouse"`
	// QtySalable is the SKU's salable quantity in that warehouse after the
	// change. A delivery whose qty_salable is null, "" or not a whole
	// number is malformed (a handler setting stock from it would zero it):
	// it is refused, never read as 0. TikiNOW documents no lower bound, so
	// a negative quantity is passed on as sent; none of the SKU can be sold
	// then, and a handler whose store cannot hold a negative stock clamps
	// it to 0.
	QtySalable int64 `json:"qty_salable"`
	// SellerProductCode is the seller's own code of the product (its
	// original SKU).
	SellerProductCode string `json:"seller_product_code"`
	// PartnerID is the registration's ExternalPartnerID, the seller's shop
	// id or code, sent back as given.
	PartnerID string `json:"partner_id"`
}

// UnmarshalJSON decodes the text fields from a string or a number, and
// QtySalable from a number or a numeric string; a QtySalable that is null
// or "" is an error.
func (e *StockEvent) UnmarshalJSON(b []byte) error {
	type plain StockEvent
	var w struct {
		plain
		SKU               text     `json:"sku"`
		Warehouse         text     `json:"warehouse"`
		QtySalable        quantity `json:"qty_salable"`
		SellerProductCode text     `json:"seller_product_code"`
		PartnerID         text     `json:"partner_id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = StockEvent(w.plain)
	e.SKU, e.Warehouse, e.QtySalable = string(w.SKU), string(w.Warehouse), int64(w.QtySalable)
	e.SellerProductCode, e.PartnerID = string(w.SellerProductCode), string(w.PartnerID)
	return nil
}

// OrderStatusEvent reports a change of an order's state in TikiNOW's order
// flow (registered as sync_webhook.order). Its codes decode from a JSON
// string or a number.
//
// It is TikiNOW's own notification, pushed to the URL registered with
// [tiki.WebhooksService.Register], and not the event queue's
// ORDER_STATUS_UPDATED event ([tiki.OrderStatusUpdatedEvent], pulled with
// the client's EventQueue service): both may report the same change of the
// same order, through two channels that share no id. OrderCode is the same
// order code in both (the one [tiki.OrdersService] knows), but the states
// are not the same vocabulary: MainState and MainSubstate are TikiNOW's,
// while the queue's Status is the order API's status. A seller listening to
// both sees each change twice and cannot deduplicate one against the other;
// key the handling on OrderCode and read the order with
// [tiki.OrdersService.Get] when in doubt.
type OrderStatusEvent struct {
	// Date is when the state changed.
	Date tiki.Time `json:"date"`
	// RefCode is the reference code TikiNOW sends with the order
	// (ref_code); Tiki's documentation names the field without describing
	// it further. OrderCode is the one the order API knows.
	RefCode string `json:"ref_code"`
	// OrderCode is Tiki's order code, as in tiki.OrdersService.Get.
	OrderCode string `json:"order_code"`
	// MainState is the order's new main state in TikiNOW's order flow,
	// the change this delivery reports. TikiNOW does not document the list
	// of values: compare them as text.
	MainState string `json:"main_state"`
	// MainSubstate refines MainState; optional, "" when not sent.
	MainSubstate string `json:"main_substate"`
	// Reason is the text explaining a cancellation, when there is one.
	Reason string `json:"reason"`
	// ReasonCode is the code of that cancellation, when there is one, for
	// example "seller-out-of-stock-cancel-order".
	ReasonCode string `json:"reason_code"`
	// ExtraInfo holds the cancellation details; nil when not sent.
	ExtraInfo *OrderExtraInfo `json:"extra_info"`
}

// UnmarshalJSON decodes the codes from a string or a number.
func (e *OrderStatusEvent) UnmarshalJSON(b []byte) error {
	type plain OrderStatusEvent
	var w struct {
		plain
		RefCode    text `json:"ref_code"`
		OrderCode  text `json:"order_code"`
		ReasonCode text `json:"reason_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = OrderStatusEvent(w.plain)
	e.RefCode, e.OrderCode, e.ReasonCode = string(w.RefCode), string(w.OrderCode), string(w.ReasonCode)
	return nil
}

// OrderExtraInfo holds the cancellation details of an [OrderStatusEvent].
// CancelReasonCode decodes from a JSON string or a number.
type OrderExtraInfo struct {
	// CancelReasonCode is the code of the cancellation reason.
	CancelReasonCode string `json:"cancel_reason_code"`
	// CancelReason is the cancellation reason as text.
	CancelReason string `json:"cancel_reason"`
}

// UnmarshalJSON decodes CancelReasonCode from a string or a number.
func (x *OrderExtraInfo) UnmarshalJSON(b []byte) error {
	type plain OrderExtraInfo
	var w struct {
		plain
		CancelReasonCode text `json:"cancel_reason_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*x = OrderExtraInfo(w.plain)
	x.CancelReasonCode = string(w.CancelReasonCode)
	return nil
}

// AftersaleType is the kind of an aftersale case.
type AftersaleType string

// Aftersale types TikiNOW reports. Tiki's documentation names them only
// by their codes, "fd" and "cr", without saying what they stand for.
const (
	// AftersaleFD is the aftersale case type "fd", as Tiki names it.
	AftersaleFD AftersaleType = "fd"
	// AftersaleCR is the aftersale case type "cr", as Tiki names it.
	AftersaleCR AftersaleType = "cr"
)

// AftersaleEvent reports a change of an aftersale case of an order
// (registered as sync_webhook.aftersale). Its codes decode from a JSON
// string or a number.
type AftersaleEvent struct {
	// Date is when the case changed.
	Date tiki.Time `json:"date"`
	// RefCode is the reference code TikiNOW sends with the order, as in
	// OrderStatusEvent.
	RefCode string `json:"ref_code"`
	// OrderCode is Tiki's code of the order the case concerns.
	OrderCode string `json:"order_code"`
	// Status is the case's new status; TikiNOW does not document the list
	// of values.
	Status string `json:"status"`
	// Type is the kind of case: AftersaleFD or AftersaleCR.
	Type AftersaleType `json:"type"`
}

// UnmarshalJSON decodes the codes from a string or a number.
func (e *AftersaleEvent) UnmarshalJSON(b []byte) error {
	type plain AftersaleEvent
	var w struct {
		plain
		RefCode   text `json:"ref_code"`
		OrderCode text `json:"order_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = AftersaleEvent(w.plain)
	e.RefCode, e.OrderCode = string(w.RefCode), string(w.OrderCode)
	return nil
}

// UnknownEvent is a delivery whose payload is none of the documented
// kinds. Body is the raw request body, so nothing is lost.
type UnknownEvent struct {
	// Body is the delivery's raw request body, as received.
	Body json.RawMessage
}

func (*StockEvent) isEvent()       {}
func (*OrderStatusEvent) isEvent() {}
func (*AftersaleEvent) isEvent()   {}
func (*UnknownEvent) isEvent()     {}

// Parse decodes the raw body of a TikiNOW delivery, {"data": {...}}, into
// its event, telling the kinds apart by their fields (main_state: order
// status; qty_salable: stock; type, status and order_code: aftersale), for
// users who route requests themselves. It does not authenticate the
// delivery: call [Verify] with its X-Signature header first.
//
// The body must be a JSON object. One whose data is of no documented kind
// is returned as an *[UnknownEvent]; a documented kind with a field of the
// wrong type is an error. An error wraps [webhook.ErrMalformedPayload].
func Parse(body []byte) (Event, error) {
	ev, _, err := parse(body)
	return ev, err
}

// parse is Parse; on error, documented reports that the body is of a
// documented kind whose payload did not decode.
func parse(body []byte) (ev Event, documented bool, err error) {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := webhook.DecodeObject(body, &env); err != nil {
		return nil, false, fmt.Errorf("tikinow: %w", err)
	}
	raw := bytes.TrimSpace(env.Data)
	if len(raw) == 0 || raw[0] != '{' {
		return &UnknownEvent{Body: body}, false, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, false, fmt.Errorf("%w: tikinow: data: %w", webhook.ErrMalformedPayload, err)
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("main_state"):
		ev = &OrderStatusEvent{}
	case has("qty_salable"):
		ev = &StockEvent{}
	case has("type") && has("status") && has("order_code"):
		ev = &AftersaleEvent{}
	default:
		return &UnknownEvent{Body: body}, false, nil
	}
	if err := json.Unmarshal(raw, ev); err != nil {
		return nil, true, fmt.Errorf("%w: tikinow: %s delivery: %w", webhook.ErrMalformedPayload, kindOf(ev), err)
	}
	return ev, false, nil
}

// text is a string that TikiNOW may also send as a JSON number (codes and
// SKUs): a number keeps its text as written; null decodes as "". Booleans,
// objects and arrays are refused.
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '"' && string(b) != "null" {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("tikinow: want a string or a number, got %.40s", b)
		}
		*s = text(n)
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = text(v)
	return nil
}

// quantity is a whole number that TikiNOW may send as a JSON number or as a
// string holding one ("25", "25.0"). null and "" are refused: a quantity
// that is not there is not 0.
type quantity int64

func (q *quantity) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	if strings.TrimSpace(string(t)) == "" {
		return fmt.Errorf("tikinow: qty_salable is %s: a stock delivery without a quantity is not read as 0", bytes.TrimSpace(b))
	}
	var n json.Number
	if t[0] != '"' && json.Unmarshal([]byte(t), &n) == nil {
		if v, err := n.Int64(); err == nil {
			*q = quantity(v)
			return nil
		}
		if f, err := n.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
			*q = quantity(f)
			return nil
		}
	}
	return fmt.Errorf("tikinow: %.40s is not a whole number", b)
}
