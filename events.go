package tiki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// EventType names a kind of event of Tiki's event queue.
type EventType string

// Event types Tiki documents. Tiki may add more: events of other types are
// delivered too, undecoded (see Event.Decode).
const (
	// EventOrderCreated: an order was placed (payload: the order code).
	EventOrderCreated EventType = "ORDER_CREATED_SUCCESSFULLY"
	// EventOrderStatusUpdated: an order changed status.
	EventOrderStatusUpdated EventType = "ORDER_STATUS_UPDATED"
	// EventProductPriceUpdated: a product's selling price changed.
	EventProductPriceUpdated EventType = "PRODUCT_PRICE_UPDATED"
	// EventProductMarketPriceUpdated: a product's market (list) price
	// changed.
	EventProductMarketPriceUpdated EventType = "PRODUCT_MARKET_PRICE_UPDATED"
	// EventProductInventoryUpdated: a product's stock changed.
	EventProductInventoryUpdated EventType = "PRODUCT_INVENTORY_UPDATED"
)

// EventTypes returns the event types Tiki documents, in a fixed order.
func EventTypes() []EventType {
	return []EventType{
		EventOrderCreated, EventOrderStatusUpdated, EventProductPriceUpdated,
		EventProductMarketPriceUpdated, EventProductInventoryUpdated,
	}
}

// knownVersion reports whether this package decodes the payload version
// of a documented event type: v1 of the order and price events, v2 of
// PRODUCT_INVENTORY_UPDATED (the version Tiki sends; no v1 payload of it is
// documented, so a v1 one is delivered undecoded rather than guessed at).
func knownVersion(t EventType, version string) bool {
	switch t {
	case EventOrderCreated, EventOrderStatusUpdated, EventProductPriceUpdated, EventProductMarketPriceUpdated:
		return version == "v1"
	case EventProductInventoryUpdated:
		return version == "v2"
	}
	return false
}

// Event is one event as Tiki's event queue delivers it: the envelope every
// event type shares, with the payload kept raw. Decode turns it into its
// typed form.
//
// Decoding an Event from JSON fails only when the value is not a JSON
// object: a field of the wrong type (an id that is an object, a created_at
// that is not a number) is kept for Decode to report, so that one malformed
// event never hides the others of its batch.
type Event struct {
	// ID is the event's id (a UUID), unique per event; a redelivered event
	// keeps its id.
	ID string
	// SID is the id of the seller the event belongs to (40 hexadecimal
	// digits). A public app's queue holds the events of every seller that
	// subscribed through it: SID tells them apart.
	SID string
	// CreatedAt is when the event happened (sent as Unix milliseconds), in
	// Vietnam time; zero when not sent.
	CreatedAt Time
	// Type is the kind of event, for example EventOrderCreated.
	Type EventType
	// Version is the payload's version, "v1" or "v2".
	Version string
	// Payload is the event's payload as Tiki sent it.
	Payload json.RawMessage
	// Raw is the whole event as Tiki sent it.
	Raw json.RawMessage

	// err is the first envelope field that did not decode.
	err error
}

// UnmarshalJSON decodes the envelope. It fails only when b is not a JSON
// object; see Event.
func (e *Event) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return newValueError("tiki: an event must be a JSON object, got %s", b)
	}
	var w struct {
		ID        json.RawMessage `json:"id"`
		SID       json.RawMessage `json:"sid"`
		Type      json.RawMessage `json:"type"`
		Version   json.RawMessage `json:"version"`
		CreatedAt json.RawMessage `json:"created_at"`
		Payload   json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = Event{Raw: bytes.Clone(b)}
	text := func(name string, raw json.RawMessage) string {
		if len(raw) == 0 {
			return ""
		}
		// Most values are plain strings (no escapes, valid UTF-8): take
		// them as they are. The decoder takes the rest, and replaces
		// invalid UTF-8 as encoding/json does.
		if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 && bytes.IndexByte(raw[1:n-1], '"') < 0 && utf8.Valid(raw[1:n-1]) {
			return string(raw[1 : n-1])
		}
		var s FlexString
		if err := json.Unmarshal(raw, &s); err != nil && e.err == nil {
			e.err = fmt.Errorf("field %s: %w", name, err)
		}
		return string(s)
	}
	e.ID, e.SID = text("id", w.ID), text("sid", w.SID)
	e.Type, e.Version = EventType(text("type", w.Type)), text("version", w.Version)
	if len(w.CreatedAt) > 0 {
		var created FlexInt
		switch err := json.Unmarshal(w.CreatedAt, &created); {
		case err != nil:
			if e.err == nil {
				e.err = fmt.Errorf("field created_at: %w", err)
			}
		case created < 0 || created > maxUnixMilli:
			if e.err == nil {
				e.err = fmt.Errorf("field created_at: %d is not a time in Unix milliseconds", created)
			}
		case created > 0:
			e.CreatedAt = NewTime(time.UnixMilli(int64(created)).In(vietnam))
		}
	}
	if len(w.Payload) > 0 {
		e.Payload = bytes.Clone(w.Payload)
	}
	return nil
}

// MarshalJSON encodes the event as Tiki sent it (Raw), or, for an event
// built in code, from its fields.
func (e Event) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	w := struct {
		ID        string          `json:"id"`
		SID       string          `json:"sid"`
		CreatedAt int64           `json:"created_at"`
		Type      EventType       `json:"type"`
		Version   string          `json:"version"`
		Payload   json.RawMessage `json:"payload,omitempty"`
	}{e.ID, e.SID, 0, e.Type, e.Version, e.Payload}
	if !e.CreatedAt.IsZero() {
		w.CreatedAt = e.CreatedAt.UnixMilli()
	}
	return json.Marshal(w)
}

// Known reports whether Decode decodes the event into a typed event: its
// type is one Tiki documents, in a payload version this package knows.
func (e *Event) Known() bool { return knownVersion(e.Type, e.Version) }

// Decode returns the typed form of the event:
//
//   - *OrderCreatedEvent, *OrderStatusUpdatedEvent, *PriceUpdatedEvent,
//     *MarketPriceUpdatedEvent or *InventoryUpdatedEvent for the documented
//     types and versions;
//   - the event itself (*Event), unchanged, for a type or payload version
//     this package does not know, so that nothing is dropped;
//   - an *EventDecodeError, carrying the raw event, when a documented event
//     does not decode (an envelope or payload field of the wrong type, no
//     id, no payload, or a price that is not a whole number of dong: the
//     error then wraps an *AmountError whose Field is the price's path,
//     "payload.price_to"). Nothing of such an event is used; the other
//     events of its batch are not affected.
func (e *Event) Decode() (any, error) {
	if e == nil {
		return nil, errors.New("tiki: Decode of a nil *Event")
	}
	if !e.Known() {
		return e, nil
	}
	fail := func(err error) (any, error) { return nil, &EventDecodeError{Event: e, Err: err} }
	if e.err != nil {
		return fail(e.err)
	}
	if e.ID == "" {
		return fail(errors.New("the event has no id"))
	}
	p := bytes.TrimSpace(e.Payload)
	if len(p) == 0 || p[0] != '{' {
		return fail(errors.New("the payload is not a JSON object"))
	}
	out := e.typed()
	if err := out.decodePayload(p); err != nil {
		// An amount names its field from the event's top, so that the
		// error leads to it in Raw.
		err = withAmountPath(err, p, "payload.", func(b []byte) error { return e.typed().decodePayload(b) })
		return fail(fmt.Errorf("payload: %w", err))
	}
	return out, nil
}

// typed returns the typed event of e's type, with e as its envelope and no
// payload decoded; e's type must be a known one.
func (e *Event) typed() payloadDecoder {
	switch e.Type {
	case EventOrderCreated:
		return &OrderCreatedEvent{Event: *e}
	case EventOrderStatusUpdated:
		return &OrderStatusUpdatedEvent{Event: *e}
	case EventProductPriceUpdated:
		return &PriceUpdatedEvent{Event: *e}
	case EventProductMarketPriceUpdated:
		return &MarketPriceUpdatedEvent{Event: *e}
	}
	return &InventoryUpdatedEvent{Event: *e}
}

// payloadDecoder is implemented by every typed event.
type payloadDecoder interface {
	decodePayload([]byte) error
}

// EventDecodeError reports an event of a documented type and version that
// does not decode. Event is the event as Tiki sent it (Event.Raw), so that
// it can be logged, stored or handled by hand.
type EventDecodeError struct {
	// Event is the event that did not decode, with its raw JSON.
	Event *Event
	// Err says what did not decode.
	Err error
}

// Error names the event and what did not decode.
func (e *EventDecodeError) Error() string {
	if e.Event == nil {
		return fmt.Sprintf("tiki: event does not decode: %v", e.Err)
	}
	return fmt.Sprintf("tiki: event %q (%s %s) does not decode: %v", e.Event.ID, e.Event.Type, e.Event.Version, e.Err)
}

// Unwrap returns the decoding error.
func (e *EventDecodeError) Unwrap() error { return e.Err }

// OrderCreatedEvent is ORDER_CREATED_SUCCESSFULLY: an order was placed.
// Fetch the order with OrdersService.Get to see it.
type OrderCreatedEvent struct {
	// Event is the envelope: id, seller, time, type, version, raw JSON.
	Event
	// OrderCode is Tiki's code of the new order.
	OrderCode string
	// Status is the order's status, when Tiki sends it (its documentation
	// lists the field; observed events carry the order code only).
	Status OrderStatus
}

func (o *OrderCreatedEvent) decodePayload(b []byte) error {
	var w struct {
		OrderCode FlexString `json:"order_code"`
		Status    FlexString `json:"status"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.OrderCode == "" {
		return errors.New("no order_code")
	}
	o.OrderCode, o.Status = string(w.OrderCode), OrderStatus(w.Status)
	return nil
}

// OrderStatusUpdatedEvent is ORDER_STATUS_UPDATED: an order changed status.
type OrderStatusUpdatedEvent struct {
	// Event is the envelope: id, seller, time, type, version, raw JSON.
	Event
	// OrderCode is Tiki's code of the order (sent as order_code, and by
	// some senders also as orderCode).
	OrderCode string
	// Status is the order's new status, for example OrderStatusPicking or
	// OrderStatusCanceled; a status this SDK does not list is kept as
	// sent.
	Status OrderStatus
}

func (o *OrderStatusUpdatedEvent) decodePayload(b []byte) error {
	var w struct {
		OrderCode  FlexString `json:"order_code"`
		OrderCode2 FlexString `json:"orderCode"`
		Status     FlexString `json:"status"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.OrderCode == "" {
		w.OrderCode = w.OrderCode2
	}
	if w.OrderCode == "" {
		return errors.New("no order_code")
	}
	o.OrderCode, o.Status = string(w.OrderCode), OrderStatus(w.Status)
	return nil
}

// PriceUpdatedEvent is PRODUCT_PRICE_UPDATED: a product's selling price
// changed. Prices are Money, sent as strings or numbers.
type PriceUpdatedEvent struct {
	// Event is the envelope: id, seller, time, type, version, raw JSON.
	Event
	// ProductID is Tiki's id of the product.
	ProductID int64
	// OriginalSKU is the seller's own SKU of the product; may be empty.
	OriginalSKU string
	// PriceFrom is the selling price before the change, in VND
	// (price_from).
	PriceFrom Money
	// PriceTo is the selling price after the change, in VND (price_to).
	PriceTo Money
}

// eventProduct is what the payload of every product event carries: the
// product's id and the seller's SKU.
type eventProduct struct {
	ProductID   FlexInt    `json:"product_id"`
	OriginalSKU FlexString `json:"original_sku"`
}

// decodeProductPayload decodes a product event's payload into w, a struct
// that embeds key with the event's own fields (an event reads only the
// fields it carries), and sets the product id and original SKU. A payload
// without a product id is refused; on error it sets nothing.
func decodeProductPayload(b []byte, w any, key *eventProduct, productID *int64, originalSKU *string) error {
	if err := json.Unmarshal(b, w); err != nil {
		return err
	}
	if key.ProductID <= 0 {
		return errors.New("no product_id")
	}
	*productID, *originalSKU = int64(key.ProductID), string(key.OriginalSKU)
	return nil
}

func (p *PriceUpdatedEvent) decodePayload(b []byte) error {
	var w struct {
		eventProduct
		PriceFrom Money `json:"price_from"`
		PriceTo   Money `json:"price_to"`
	}
	if err := decodeProductPayload(b, &w, &w.eventProduct, &p.ProductID, &p.OriginalSKU); err != nil {
		return err
	}
	p.PriceFrom, p.PriceTo = w.PriceFrom, w.PriceTo
	return nil
}

// MarketPriceUpdatedEvent is PRODUCT_MARKET_PRICE_UPDATED: a product's
// market (list) price changed. Prices are Money, sent as strings or
// numbers.
type MarketPriceUpdatedEvent struct {
	// Event is the envelope: id, seller, time, type, version, raw JSON.
	Event
	// ProductID is Tiki's id of the product.
	ProductID int64
	// OriginalSKU is the seller's own SKU of the product; may be empty.
	OriginalSKU string
	// MarketPriceFrom is the market price before the change, in VND
	// (market_price_from).
	MarketPriceFrom Money
	// MarketPriceTo is the market price after the change, in VND
	// (market_price_to).
	MarketPriceTo Money
}

func (p *MarketPriceUpdatedEvent) decodePayload(b []byte) error {
	var w struct {
		eventProduct
		MarketPriceFrom Money `json:"market_price_from"`
		MarketPriceTo   Money `json:"market_price_to"`
	}
	if err := decodeProductPayload(b, &w, &w.eventProduct, &p.ProductID, &p.OriginalSKU); err != nil {
		return err
	}
	p.MarketPriceFrom, p.MarketPriceTo = w.MarketPriceFrom, w.MarketPriceTo
	return nil
}

// InventoryUpdatedEvent is PRODUCT_INVENTORY_UPDATED, payload version
// "v2": a product's stock changed in one warehouse, with every kind of
// quantity before and after. Quantities decode from numbers or strings.
type InventoryUpdatedEvent struct {
	// Event is the envelope: id, seller, time, type, version, raw JSON.
	Event
	// ProductID is Tiki's id of the product.
	ProductID int64
	// OriginalSKU is the seller's own SKU of the product; may be empty.
	OriginalSKU string
	// WarehouseID is Tiki's id of the warehouse whose stock changed.
	WarehouseID int64
	// QuantityFrom is the quantity before the change (quantity_from).
	QuantityFrom int
	// QuantityTo is the quantity after the change (quantity_to).
	QuantityTo int
	// QuantityAvailableFrom is the available quantity before the change
	// (quantity_available_from).
	QuantityAvailableFrom int
	// QuantityAvailableTo is the available quantity after the change
	// (quantity_available_to).
	QuantityAvailableTo int
	// QuantityReservedFrom is the quantity reserved by orders before the
	// change (quantity_reserved_from).
	QuantityReservedFrom int
	// QuantityReservedTo is the quantity reserved by orders after the
	// change (quantity_reserved_to).
	QuantityReservedTo int
	// QuantitySellableFrom is the quantity that can be sold before the
	// change (quantity_sellable_from).
	QuantitySellableFrom int
	// QuantitySellableTo is the quantity that can be sold after the change
	// (quantity_sellable_to).
	QuantitySellableTo int
}

func (p *InventoryUpdatedEvent) decodePayload(b []byte) error {
	var w struct {
		eventProduct
		WarehouseID   FlexInt `json:"warehouse_id"`
		QtyFrom       FlexInt `json:"quantity_from"`
		QtyTo         FlexInt `json:"quantity_to"`
		AvailableFrom FlexInt `json:"quantity_available_from"`
		AvailableTo   FlexInt `json:"quantity_available_to"`
		ReservedFrom  FlexInt `json:"quantity_reserved_from"`
		ReservedTo    FlexInt `json:"quantity_reserved_to"`
		SellableFrom  FlexInt `json:"quantity_sellable_from"`
		SellableTo    FlexInt `json:"quantity_sellable_to"`
	}
	if err := decodeProductPayload(b, &w, &w.eventProduct, &p.ProductID, &p.OriginalSKU); err != nil {
		return err
	}
	p.WarehouseID = int64(w.WarehouseID)
	p.QuantityFrom, p.QuantityTo = int(w.QtyFrom), int(w.QtyTo)
	p.QuantityAvailableFrom, p.QuantityAvailableTo = int(w.AvailableFrom), int(w.AvailableTo)
	p.QuantityReservedFrom, p.QuantityReservedTo = int(w.ReservedFrom), int(w.ReservedTo)
	p.QuantitySellableFrom, p.QuantitySellableTo = int(w.SellableFrom), int(w.SellableTo)
	return nil
}
