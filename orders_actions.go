package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// ActionResult is Tiki's answer to an order action (a confirmation, a
// delivery or shipment update). Tiki does not document the body of these
// answers: the call succeeded when Tiki answered 2xx without reporting an
// error in the body, and Raw keeps what it sent (nil for an empty body).
type ActionResult struct {
	// Raw is the answer's body as Tiki sent it.
	Raw json.RawMessage
}

// decodeBody keeps the body; an empty body is a success without content,
// anything else must be a JSON object (null, a list or a string is not an
// answer to an action).
func (a *ActionResult) decodeBody(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		a.Raw = nil
		return nil
	}
	if b[0] != '{' || !json.Valid(b) {
		return newShapeError("an empty answer or a JSON object", b)
	}
	a.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// UnmarshalJSON keeps the raw body.
func (a *ActionResult) UnmarshalJSON(b []byte) error { return a.decodeBody(b) }

// reportsError reports whether a 2xx body still says the action failed:
// a non-empty "errors" list or "success": false.
func (a *ActionResult) reportsError() bool {
	if len(a.Raw) == 0 || a.Raw[0] != '{' {
		return false
	}
	var probe struct {
		Errors  json.RawMessage `json:"errors"`
		Success *bool           `json:"success"`
	}
	if json.Unmarshal(a.Raw, &probe) != nil {
		return false
	}
	errs := bytes.TrimSpace(probe.Errors)
	hasErrors := len(errs) > 0 && !bytes.Equal(errs, []byte("null")) && !bytes.Equal(errs, []byte("[]")) &&
		!bytes.Equal(errs, []byte(`""`)) && !bytes.Equal(errs, []byte("{}"))
	return hasErrors || (probe.Success != nil && !*probe.Success)
}

// readOrder is the next step a refusal names when an order passed to an
// action lacks what Tiki's answer always has: the order was built by hand.
const readOrder = "pass the order as Orders.Get or Orders.List return it, not one built by hand"

// checkOrder checks the order an action is for and returns its escaped
// code. models lists the operation models the action exists for.
func checkOrder(v *validator, order *Order, action string, models ...FulfillmentType) string {
	if order == nil {
		v.add("order", "is required: %s", readOrder)
		return ""
	}
	var code string
	if order.Code == "" {
		v.add("order.code", "is empty: %s", readOrder)
	} else {
		code = segment(v, "order.code", order.Code)
	}
	switch {
	case order.FulfillmentType == "":
		v.add("order.fulfillment_type", "is empty, and it chooses the endpoint of %s: %s", action, readOrder)
	case len(models) > 0 && !slices.Contains(models, order.FulfillmentType):
		v.add("order.fulfillment_type", "is %q: %s is only for %s orders%s", order.FulfillmentType, action,
			joinModels(models), hintFor(order.FulfillmentType))
	}
	return code
}

func joinModels(models []FulfillmentType) string {
	return strings.Join(names(models), ", ")
}

// hintFor names the call that fits an order of model m.
func hintFor(m FulfillmentType) string {
	switch m {
	case FulfillmentDropship:
		return " (use ConfirmDropship, or Confirm, for dropship orders)"
	case FulfillmentTikiDelivery, FulfillmentSellerDelivery, FulfillmentCrossBorder:
		return " (use ConfirmAvailable, or Confirm)"
	}
	return ""
}

// checkWaiting refuses an order none of whose items waits for the
// seller's confirmation: there is nothing to confirm or cancel. An order
// without items was built by hand.
func checkWaiting(v *validator, order *Order) {
	switch {
	case order == nil:
	case len(order.Items) == 0:
		v.add("order.items", "is empty, and the items say what waits for confirmation: %s", readOrder)
	case !order.NeedsConfirmation() && slices.Contains(confirmableModels, order.FulfillmentType):
		v.add("order", "needs no confirmation: no item of order %s waits for it (read it again with Orders.Get if it changed)", order.Code)
	}
}

// checkConfirmItems checks the items a confirmation of order names:
// available are confirmed and canceled canceled. Each must be an item of
// the order that waits for confirmation, named once, and every waiting item
// must be named in one of the two lists: Tiki cancels the waiting items a
// confirmation leaves out, and no item is canceled that the caller did not
// name.
func checkConfirmItems(v *validator, order *Order, available, canceled []int64) {
	items := make(map[int64]*OrderItem, len(order.Items))
	for i := range order.Items {
		items[order.Items[i].ID] = &order.Items[i]
	}
	named := map[int64]string{} // item id: the list that names it
	for _, list := range []struct {
		field string
		ids   []int64
	}{{"available_item_ids", available}, {"cancel_item_ids", canceled}} {
		for i, id := range list.ids {
			f := fmt.Sprintf("%s[%d]", list.field, i)
			it := items[id]
			switch {
			case id <= 0:
				v.add(f, "must be a positive id")
			case named[id] != "":
				v.add(f, "repeats item %d (already in %s)", id, named[id])
			case it == nil:
				v.add(f, "names item %d, which order %s does not have", id, order.Code)
			case it.Confirmation.Status != ConfirmationWaiting:
				v.add(f, "names item %d, which does not wait for confirmation (it is %q): only waiting items are confirmed or canceled",
					id, it.Confirmation.Status)
			}
			if id > 0 && named[id] == "" {
				named[id] = list.field
			}
		}
	}
	for _, id := range order.WaitingItemIDs() {
		if named[id] == "" {
			v.add("available_item_ids", "leaves out item %d, which waits for confirmation: Tiki would cancel it, so name it in CancelItemIDs to cancel it", id)
		}
	}
}

// ConfirmAvailableRequest confirms which items of an on-demand fulfilment
// (tiki_delivery), seller-delivery or cross-border order are in stock.
//
// Every item of the order that waits for confirmation is named in one of
// the two lists: Tiki cancels a waiting item that the confirmation leaves
// out, and the SDK sends no confirmation that would cancel an item the
// caller did not name. Items that do not wait (confirmed already, like the
// instock items Tiki fulfils from its own stock, or canceled) are in
// neither list: the confirmation does not concern them.
type ConfirmAvailableRequest struct {
	// AvailableItemIDs are the OrderItem.ID values of the waiting items
	// in stock (at least one; to cancel every item use RejectAll).
	AvailableItemIDs []int64
	// CancelItemIDs are the waiting items the seller cannot supply: Tiki
	// cancels them. Not sent: Tiki cancels what AvailableItemIDs leaves
	// out, and this list says that the caller means it.
	CancelItemIDs []int64
	// SellerInventoryID is the seller warehouse the items are picked up
	// from: one that Warehouses.ListSellerInventories maps to the order's
	// Tiki warehouse (required).
	SellerInventoryID int64
}

// confirmAvailableBody is the wire form of ConfirmAvailable and of
// RejectAll for the models confirmed per item.
type confirmAvailableBody struct {
	AvailableItemIDs  []int64 `json:"available_item_ids"`
	SellerInventoryID int64   `json:"seller_inventory_id"`
}

// ConfirmAvailable confirms that the seller has the listed items of the
// order in stock and cancels the items req names as canceled. It is for
// on-demand fulfilment (tiki_delivery), seller-delivery and cross-border
// orders; dropship orders use ConfirmDropship. Confirm picks the right one.
//
// Tiki cancels the waiting items a confirmation leaves out, so every item
// of the order that waits for confirmation must be in
// req.AvailableItemIDs or req.CancelItemIDs: a cancellation is always one
// the caller named. Only waiting items may be named; items already
// confirmed (an order's instock items come confirmed by Tiki) or canceled
// are left as they are. The check uses the order as the caller read it:
// pass one read recently with Orders.Get.
//
// Like every write that may have reached Tiki, it is never resent after a
// timeout or a 5xx: check the order with Get before trying again.
//
// POST /v2/orders/{code}/confirm-available
func (s *OrdersService) ConfirmAvailable(ctx context.Context, order *Order, req ConfirmAvailableRequest) (*ActionResult, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "ConfirmAvailable", FulfillmentTikiDelivery, FulfillmentSellerDelivery, FulfillmentCrossBorder)
	checkWaiting(&v, order)
	switch {
	case len(req.AvailableItemIDs) == 0:
		v.add("available_item_ids", "must list at least one item: to cancel every item use RejectAll")
	case order.NeedsConfirmation():
		checkConfirmItems(&v, order, req.AvailableItemIDs, req.CancelItemIDs)
	}
	v.check(req.SellerInventoryID > 0, "seller_inventory_id", "must be a positive id (see Warehouses.ListSellerInventories)")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := confirmAvailableBody{AvailableItemIDs: req.AvailableItemIDs, SellerInventoryID: req.SellerInventoryID}
	return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/confirm-available", route: "orders/{code}/confirm-available", body: body})
}

// DropshipConfirmation is the answer a seller gives to a dropship order.
type DropshipConfirmation string

// Dropship confirmations.
const (
	// DropshipConfirmed: the seller has every item and packs the order for
	// pickup at the expected time.
	DropshipConfirmed DropshipConfirmation = "seller_confirmed"
	// DropshipCanceled: the seller cannot fulfil the order; it is canceled.
	DropshipCanceled DropshipConfirmation = "seller_canceled"
)

// DropshipConfirmRequest confirms a dropship order and when it can be
// picked up. A dropship order is confirmed or canceled whole.
type DropshipConfirmRequest struct {
	// SellerInventoryID is the seller warehouse the order is picked up
	// from (required; see Warehouses.ListSellerInventories).
	SellerInventoryID int64
	// ExpectedPickupTime is one of the PickupSlot.ExpectedPickupTime values
	// that ExpectedPickupSlots offers, sent as given (required).
	ExpectedPickupTime string
}

// dropshipBody is the wire form of ConfirmDropship and RejectAll.
type dropshipBody struct {
	ConfirmationStatus DropshipConfirmation `json:"confirmation_status"`
	SellerInventoryID  int64                `json:"seller_inventory_id"`
	ExpectedPickupTime string               `json:"expected_pickup_time,omitempty"`
}

// ConfirmDropship confirms that the seller has every item of a dropship
// order and when Tiki's driver can pick the package up; the seller then
// packs it and prints its label (Label). It is never resent after a timeout
// or a 5xx.
//
// POST /v2/orders/{code}/dropship/confirm-available
func (s *OrdersService) ConfirmDropship(ctx context.Context, order *Order, req DropshipConfirmRequest) (*ActionResult, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "ConfirmDropship", FulfillmentDropship)
	checkWaiting(&v, order)
	v.check(req.SellerInventoryID > 0, "seller_inventory_id", "must be a positive id (see Warehouses.ListSellerInventories)")
	checkText(&v, "expected_pickup_time", req.ExpectedPickupTime)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	body := dropshipBody{ConfirmationStatus: DropshipConfirmed, SellerInventoryID: req.SellerInventoryID, ExpectedPickupTime: req.ExpectedPickupTime}
	return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/dropship/confirm-available", route: "orders/{code}/dropship/confirm-available", body: body})
}

// RejectAll tells Tiki that the seller cannot fulfil any item of the order
// that waits for confirmation: every such item is canceled. For a dropship
// order it sends the seller_canceled confirmation; for the other models a
// confirmation with no available item. Items that do not wait (an order's
// instock items, which Tiki confirms itself) are not the seller's to cancel
// and keep their state. sellerInventoryID is the seller warehouse Tiki asks
// for even here. It is never resent after a timeout or a 5xx.
//
// POST /v2/orders/{code}/confirm-available or
// POST /v2/orders/{code}/dropship/confirm-available
func (s *OrdersService) RejectAll(ctx context.Context, order *Order, sellerInventoryID int64) (*ActionResult, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "RejectAll", confirmableModels...)
	checkWaiting(&v, order)
	v.check(sellerInventoryID > 0, "seller_inventory_id", "must be a positive id (see Warehouses.ListSellerInventories)")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	if order.FulfillmentType == FulfillmentDropship {
		body := dropshipBody{ConfirmationStatus: DropshipCanceled, SellerInventoryID: sellerInventoryID}
		return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/dropship/confirm-available", route: "orders/{code}/dropship/confirm-available", body: body})
	}
	body := confirmAvailableBody{AvailableItemIDs: []int64{}, SellerInventoryID: sellerInventoryID}
	return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/confirm-available", route: "orders/{code}/confirm-available", body: body})
}

// PickupSlots are the pickup times a dropship order can be confirmed with
// at the moment.
type PickupSlots struct {
	// SellerID is the seller the slots are for.
	SellerID int64 `json:"seller_id"`
	// Slots are the offered slots, earliest first as Tiki sends them.
	Slots []PickupSlot `json:"pickup_slots"`
}

// PickupSlot is one pickup time offered for dropship orders.
type PickupSlot struct {
	// Slot describes the slot as Tiki names it.
	Slot string `json:"expected_pickup_slot"`
	// ExpectedPickupTime is the value DropshipConfirmRequest sends.
	ExpectedPickupTime string `json:"expected_pickup_time"`
}

// UnmarshalJSON refuses an answer without a pickup_slots list: it is not
// the documented shape.
func (p *PickupSlots) UnmarshalJSON(b []byte) error {
	type plain PickupSlots
	var w struct {
		plain
		Slots *[]PickupSlot `json:"pickup_slots"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Slots == nil {
		return newShapeError(`pickup slots ({"pickup_slots": [...]})`, b)
	}
	*p = PickupSlots(w.plain)
	p.Slots = *w.Slots
	return nil
}

// ExpectedPickupSlots returns the pickup times the seller can confirm a
// dropship order with at the moment.
//
// GET /v2/orders/dropship/expected-pickup-slots
func (s *OrdersService) ExpectedPickupSlots(ctx context.Context) (*PickupSlots, *Response, error) {
	return call[PickupSlots](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "orders/dropship/expected-pickup-slots"})
}

// OrderLabel is a printable label of a v2 order: links to Tiki's label
// files.
type OrderLabel struct {
	// ShippingLabelURL links to the shipping label (on-demand fulfilment,
	// dropship), when sent.
	ShippingLabelURL string
	// ShippingStampURL links to the shipping stamp (dropship), when sent.
	ShippingStampURL string
	// InvoiceLabelURL links to the invoice label (seller delivery), when
	// sent.
	InvoiceLabelURL string
	// URLs holds every link of the answer by its field name, those above
	// included.
	URLs map[string]string
	// Raw is the answer as Tiki sent it.
	Raw json.RawMessage
}

// URL returns the label's main link: the shipping stamp, shipping label or
// invoice label, in that order, or any other link the answer holds.
func (l *OrderLabel) URL() string {
	for _, u := range []string{l.ShippingStampURL, l.ShippingLabelURL, l.InvoiceLabelURL} {
		if u != "" {
			return u
		}
	}
	for _, u := range l.URLs {
		return u
	}
	return ""
}

// UnmarshalJSON collects the answer's links (string fields named *_url, at
// the top level or under "data"). An answer without one is not a label.
func (l *OrderLabel) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if inner, ok := fields["data"]; ok && len(bytes.TrimSpace(inner)) > 0 && bytes.TrimSpace(inner)[0] == '{' {
		var sub map[string]json.RawMessage
		if json.Unmarshal(inner, &sub) == nil {
			fields = sub
		}
	}
	urls := map[string]string{}
	for k, raw := range fields {
		var s string
		if strings.HasSuffix(k, "_url") && json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
			urls[k] = s
		}
	}
	if len(urls) == 0 {
		return newShapeError(`a label (a "..._url" link)`, b)
	}
	*l = OrderLabel{
		ShippingLabelURL: urls["shipping_label_url"],
		ShippingStampURL: urls["shipping_stamp_url"],
		InvoiceLabelURL:  urls["invoice_label_url"],
		URLs:             urls,
		Raw:              append(json.RawMessage(nil), b...),
	}
	return nil
}

// LabelOptions chooses the label's format.
type LabelOptions struct {
	// Format of the label file; Tiki's default is LabelHTML.
	Format LabelFormat `url:"format,omitempty"`
}

// labelPaths maps each operation model to its label endpoint.
var labelPaths = map[FulfillmentType]string{
	FulfillmentTikiDelivery:   "tiki-delivery/labels",
	FulfillmentSellerDelivery: "seller-delivery/labels",
	FulfillmentDropship:       "dropship/labels",
	FulfillmentCrossBorder:    "cross-border/labels",
}

// labelRoutes are the path templates of the label endpoints
// (request.route).
var labelRoutes = map[FulfillmentType]string{
	FulfillmentTikiDelivery:   "orders/{code}/tiki-delivery/labels",
	FulfillmentSellerDelivery: "orders/{code}/seller-delivery/labels",
	FulfillmentDropship:       "orders/{code}/dropship/labels",
	FulfillmentCrossBorder:    "orders/{code}/cross-border/labels",
}

// Label returns the label of a confirmed order from the endpoint of its
// operation model: the shipping label of an on-demand fulfilment order, the
// invoice label of a seller-delivery order, the shipping stamp of a dropship
// order or the cross-border label. Tiki answers only once the order is
// confirmed and while it is not canceled. opts may be nil.
//
// GET /v2/orders/{code}/tiki-delivery/labels,
// GET /v2/orders/{code}/seller-delivery/labels,
// GET /v2/orders/{code}/dropship/labels,
// GET /v2/orders/{code}/cross-border/labels
func (s *OrdersService) Label(ctx context.Context, order *Order, opts *LabelOptions) (*OrderLabel, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "Label", FulfillmentTikiDelivery, FulfillmentSellerDelivery, FulfillmentDropship, FulfillmentCrossBorder)
	o := zeroIfNil(opts)
	checkOptionalEnum(&v, "format", o.Format, LabelHTML) // the only format of the v2 label endpoints
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	path := "orders/" + code + "/" + labelPaths[order.FulfillmentType]
	return call[OrderLabel](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: path, route: labelRoutes[order.FulfillmentType], query: encodeQuery(&o)})
}

// SellerDeliveryStatus is the outcome of a seller delivery.
type SellerDeliveryStatus string

// Seller delivery outcomes.
const (
	// SellerDeliverySuccessful: the customer received the order.
	SellerDeliverySuccessful SellerDeliveryStatus = "successful_delivery"
	// SellerDeliveryFailed: the delivery failed; give a FailureCause.
	SellerDeliveryFailed SellerDeliveryStatus = "failed_delivery"
)

// DeliveryFailureCause is why a seller delivery failed.
type DeliveryFailureCause string

// Failure causes Tiki documents.
const (
	// FailureOutOfNeeds: the customer no longer needs the items. Tiki
	// cancels the order.
	FailureOutOfNeeds DeliveryFailureCause = "out_of_needs"
	// FailureRedeliveryAppointment: the customer or the seller wants
	// another attempt, on SellerDeliveryUpdate.AppointmentDate. The order
	// stays open.
	FailureRedeliveryAppointment DeliveryFailureCause = "redelivery_appointment"
	// FailureOutOfStock: the products are out of stock. Tiki cancels the
	// order.
	FailureOutOfStock DeliveryFailureCause = "out_of_stock"
)

// SellerDeliveryUpdate reports the outcome of a seller delivery.
type SellerDeliveryUpdate struct {
	// Status is SellerDeliverySuccessful or SellerDeliveryFailed
	// (required).
	Status SellerDeliveryStatus `json:"status"`
	// FailureCause explains a failed delivery (required with
	// SellerDeliveryFailed, refused otherwise).
	FailureCause DeliveryFailureCause `json:"failure_cause,omitempty"`
	// AppointmentDate is the next attempt (required with
	// FailureRedeliveryAppointment, refused otherwise).
	AppointmentDate *Time `json:"appointment_date,omitempty"`
	// Note is an optional comment.
	Note string `json:"note,omitempty"`
}

// UpdateSellerDelivery reports that a seller-delivery order was delivered,
// or why its delivery failed. Failures out_of_needs and out_of_stock cancel
// the order; redelivery_appointment keeps it open until the appointment. It
// is never resent after a timeout or a 5xx.
//
// POST /v2/orders/{code}/seller-delivery/update-delivery
func (s *OrdersService) UpdateSellerDelivery(ctx context.Context, order *Order, u SellerDeliveryUpdate) (*ActionResult, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "UpdateSellerDelivery", FulfillmentSellerDelivery)
	switch {
	case !checkEnum(&v, "status", u.Status):
	case u.Status == SellerDeliveryFailed && u.FailureCause == "":
		v.add("failure_cause", "is required with status %q", SellerDeliveryFailed)
	case u.Status == SellerDeliveryFailed:
		checkEnum(&v, "failure_cause", u.FailureCause)
	default:
		v.check(u.FailureCause == "", "failure_cause", "is only sent with status %q", SellerDeliveryFailed)
	}
	hasDate := u.AppointmentDate != nil && !u.AppointmentDate.IsZero()
	if u.FailureCause == FailureRedeliveryAppointment {
		v.check(hasDate, "appointment_date", "is required with failure_cause %q", FailureRedeliveryAppointment)
	} else {
		v.check(!hasDate, "appointment_date", "is only sent with failure_cause %q", FailureRedeliveryAppointment)
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	if !hasDate {
		u.AppointmentDate = nil
	}
	return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/seller-delivery/update-delivery", route: "orders/{code}/seller-delivery/update-delivery", body: u})
}

// ShipmentUpdate reports a step of a cross-border shipment.
type ShipmentUpdate struct {
	// Status reached: one of the nine DeliveryStatus values (required).
	Status DeliveryStatus `json:"status"`
	// UpdateTime is when it was reached (required).
	UpdateTime Time `json:"update_time"`
}

// crossBorderSteps lists the shipment statuses of a cross-border order, in
// order.
var crossBorderSteps = []DeliveryStatus{
	DeliveryStatusTransferringToForeignWarehouses, DeliveryStatusHasComeToForeignWarehouses,
	DeliveryStatusRotatingToVietnam, DeliveryStatusCustomsClearance, DeliveryStatusCustomsClearanceComplete,
	DeliveryStatusItemArrivedInVietnam, DeliveryStatusReadyForDelivery, DeliveryStatusOnDelivery,
	DeliveryStatusSuccessfulDelivery,
}

// UpdateCrossBorderShipment reports a step of a cross-border order's
// shipment, for sellers and logistics partners that handle the shipment
// themselves. It is never resent after a timeout or a 5xx.
//
// POST /v2/orders/{code}/cross-border/update-shipment
func (s *OrdersService) UpdateCrossBorderShipment(ctx context.Context, order *Order, u ShipmentUpdate) (*ActionResult, *Response, error) {
	v := s.client.newValidator()
	code := checkOrder(&v, order, "UpdateCrossBorderShipment", FulfillmentCrossBorder)
	checkEnum(&v, "status", u.Status)
	v.check(!u.UpdateTime.IsZero(), "update_time", "is required")
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return callAction(ctx, s.client, &request{method: http.MethodPost, version: apiV2, path: "orders/" + code + "/cross-border/update-shipment", route: "orders/{code}/cross-border/update-shipment", body: u})
}
