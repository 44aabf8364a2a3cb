package tiki

import (
	"context"
	"slices"
	"strings"
)

// ConfirmOptions adjusts Confirm. Every field is optional.
type ConfirmOptions struct {
	// SellerInventoryID is the seller warehouse the order is picked up
	// from. Zero: the first one Tiki maps to the order's Tiki warehouse
	// (Warehouses.ListSellerInventories, one more request).
	SellerInventoryID int64
	// AvailableItemIDs are the items in stock, for models confirmed per
	// item (not dropship). Nil: every item that waits for confirmation,
	// except those in CancelItemIDs. When set, every waiting item must be
	// here or in CancelItemIDs (Tiki cancels the waiting items a
	// confirmation leaves out, so the SDK leaves out only the items the
	// caller names).
	AvailableItemIDs []int64
	// CancelItemIDs are the waiting items the seller cannot supply: Tiki
	// cancels them (not dropship, whose orders are confirmed or canceled
	// whole). To cancel every item use RejectAll.
	CancelItemIDs []int64
	// ExpectedPickupTime is the pickup time of a dropship order, one of
	// ExpectedPickupSlots. Empty: the first slot offered (one more
	// request).
	ExpectedPickupTime string
}

// Confirmation says what Confirm sent.
type Confirmation struct {
	// FulfillmentType is the order's operation model, which chose the
	// endpoint.
	FulfillmentType FulfillmentType
	// SellerInventoryID is the seller warehouse named.
	SellerInventoryID int64
	// AvailableItemIDs are the items confirmed as in stock (not dropship).
	AvailableItemIDs []int64
	// CanceledItemIDs are the items canceled, as ConfirmOptions named
	// them.
	CanceledItemIDs []int64
	// ExpectedPickupTime is the pickup time sent (dropship only).
	ExpectedPickupTime string
	// Result is Tiki's answer.
	Result *ActionResult
}

// NeedsConfirmation reports whether the order, as it was read, waits for
// the seller's confirmation: it is of an operation model the seller
// confirms (on-demand fulfilment, seller delivery, cross border, dropship)
// and an item's confirmation is ConfirmationWaiting. Orders fulfilled by
// Tiki from its own stock and instant deliveries never do.
func (o *Order) NeedsConfirmation() bool {
	if o == nil || !slices.Contains(confirmableModels, o.FulfillmentType) {
		return false
	}
	return slices.ContainsFunc(o.Items, func(it OrderItem) bool { return it.Confirmation.Status == ConfirmationWaiting })
}

// WaitingItemIDs returns the ids of the items whose confirmation is
// ConfirmationWaiting.
func (o *Order) WaitingItemIDs() []int64 {
	if o == nil {
		return nil
	}
	var ids []int64
	for _, it := range o.Items {
		if it.Confirmation.Status == ConfirmationWaiting {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// confirmableModels are the operation models whose orders the seller
// confirms.
var confirmableModels = []FulfillmentType{FulfillmentTikiDelivery, FulfillmentSellerDelivery, FulfillmentCrossBorder, FulfillmentDropship}

// Confirm confirms an order that waits for the seller, through the endpoint
// of its operation model: ConfirmDropship for dropship orders (with the
// first offered pickup slot unless opts names one), ConfirmAvailable for
// on-demand fulfilment, seller-delivery and cross-border orders (with every
// waiting item unless opts lists them). Without opts.SellerInventoryID it
// uses the first seller warehouse Tiki maps to the order's Tiki warehouse.
// opts may be nil.
//
// No item is ever canceled that the caller did not name. Tiki's order API
// confirms the items that wait for the seller's confirmation and cancels
// the waiting items a confirmation leaves out. So Confirm sends every
// waiting item as available except those in opts.CancelItemIDs, and when
// opts.AvailableItemIDs is given, every waiting item must be named in it or
// in opts.CancelItemIDs. Items that do not wait are not part of a
// confirmation and keep their state: items already confirmed (the instock
// items of an order, which Tiki fulfils from its own stock, come
// confirmed) and items already canceled. Naming one of them is refused
// before anything is sent. The checks use the order as the caller read it:
// confirm an order read recently with Orders.Get or Orders.List.
//
// It refuses, with a *ValidationError and before anything is sent, an
// order that needs no confirmation (see Order.NeedsConfirmation). To
// cancel every item, use RejectAll: rejecting is never implicit.
//
//	for order, err := range client.Orders.All(ctx, waiting) {
//		if err != nil { return err }
//		if _, _, err := client.Orders.Confirm(ctx, &order, nil); err != nil { return err }
//	}
func (s *OrdersService) Confirm(ctx context.Context, order *Order, opts *ConfirmOptions) (*Confirmation, *Response, error) {
	o := zeroIfNil(opts)
	v := s.client.newValidator()
	checkOrder(&v, order, "Confirm", confirmableModels...)
	checkWaiting(&v, order)
	v.check(o.SellerInventoryID >= 0, "seller_inventory_id", "must not be negative")
	if o.SellerInventoryID == 0 && order != nil && strings.TrimSpace(order.TikiWarehouse.Code) == "" {
		v.add("order.tiki_warehouse.code", "is empty, and Confirm looks the seller warehouse up by it: %s, or set ConfirmOptions.SellerInventoryID", readOrder)
	}
	var available []int64
	if order != nil && order.FulfillmentType == FulfillmentDropship {
		v.check(o.AvailableItemIDs == nil, "available_item_ids", "must be nil: a dropship order is confirmed whole")
		v.check(o.CancelItemIDs == nil, "cancel_item_ids", "must be nil: a dropship order is confirmed or canceled whole (use RejectAll)")
	} else if order.NeedsConfirmation() {
		available = o.AvailableItemIDs
		if available == nil {
			available = slices.DeleteFunc(order.WaitingItemIDs(), func(id int64) bool { return slices.Contains(o.CancelItemIDs, id) })
		}
		if len(available) == 0 {
			v.add("available_item_ids", "must list at least one item: to cancel every item use RejectAll")
		} else {
			checkConfirmItems(&v, order, available, o.CancelItemIDs)
		}
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}

	c := &Confirmation{FulfillmentType: order.FulfillmentType, SellerInventoryID: o.SellerInventoryID}
	if c.SellerInventoryID == 0 {
		id, resp, err := s.client.Warehouses.inventoryFor(ctx, order)
		if err != nil {
			return nil, resp, err
		}
		c.SellerInventoryID = id
	}

	var (
		res  *ActionResult
		resp *Response
		err  error
	)
	if order.FulfillmentType == FulfillmentDropship {
		c.ExpectedPickupTime = o.ExpectedPickupTime
		if c.ExpectedPickupTime == "" {
			slots, resp, err := s.ExpectedPickupSlots(ctx)
			if err != nil {
				return nil, resp, err
			}
			if len(slots.Slots) == 0 || slots.Slots[0].ExpectedPickupTime == "" {
				return nil, resp, &ValidationError{Problems: []FieldProblem{{Field: "expected_pickup_time",
					Problem: "is required, and Tiki offers no pickup slot at the moment: try again later or give one"}}}
			}
			c.ExpectedPickupTime = slots.Slots[0].ExpectedPickupTime
		}
		res, resp, err = s.ConfirmDropship(ctx, order, DropshipConfirmRequest{SellerInventoryID: c.SellerInventoryID, ExpectedPickupTime: c.ExpectedPickupTime})
	} else {
		c.AvailableItemIDs, c.CanceledItemIDs = available, o.CancelItemIDs
		res, resp, err = s.ConfirmAvailable(ctx, order, ConfirmAvailableRequest{
			AvailableItemIDs: available, CancelItemIDs: o.CancelItemIDs, SellerInventoryID: c.SellerInventoryID,
		})
	}
	if err != nil {
		return nil, resp, err
	}
	c.Result = res
	return c, resp, nil
}
