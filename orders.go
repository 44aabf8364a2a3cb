package tiki

import (
	"context"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// OrdersService pulls the seller's orders from Tiki's current order API
// (v2) and walks them through confirmation, labels and delivery, with the
// endpoint each operation model requires. The older v1 order API is
// client.V1.Orders.
//
// The usual loop over orders that wait for the seller:
//
//	opts := &tiki.OrderListOptions{
//		Status:                 tiki.In(tiki.OrderStatusQueueing),
//		ItemConfirmationStatus: tiki.ConfirmationWaiting,
//	}
//	for order, err := range client.Orders.All(ctx, opts) {
//		if err != nil { ... }
//		_, _, err := client.Orders.Confirm(ctx, &order, nil) // the right endpoint for its model
//	}
type OrdersService service

// Filter is a list filter over a set of values, sent as Tiki's set
// expressions: In(a) sends "a", In(a, b) sends "in|a,b" and NotIn(a, b)
// sends "nin|a,b". The zero Filter sends nothing. Each value must be one
// Tiki documents (a typo such as In[OrderStatus]("queuing") is refused
// before anything is sent, instead of matching nothing), or one the client
// allows with WithEnumValues.
type Filter[T ~string] struct {
	exclude bool
	values  []T
}

// In keeps the rows whose field is one of values.
func In[T ~string](values ...T) Filter[T] { return Filter[T]{values: values} }

// NotIn keeps the rows whose field is none of values.
func NotIn[T ~string](values ...T) Filter[T] { return Filter[T]{exclude: true, values: values} }

// IsZero reports whether f filters nothing.
func (f Filter[T]) IsZero() bool { return len(f.values) == 0 && !f.exclude }

// Values returns the values f keeps (In) or leaves out (NotIn).
func (f Filter[T]) Values() []T { return slices.Clone(f.values) }

// Excludes reports whether f was made with NotIn.
func (f Filter[T]) Excludes() bool { return f.exclude }

// String returns the expression as it is sent: "a", "in|a,b" or "nin|a,b".
func (f Filter[T]) String() string {
	if f.IsZero() {
		return ""
	}
	vals := make([]string, len(f.values))
	for i, v := range f.values {
		vals[i] = string(v)
	}
	switch {
	case f.exclude:
		return "nin|" + strings.Join(vals, ",")
	case len(vals) == 1:
		return vals[0]
	}
	return "in|" + strings.Join(vals, ",")
}

// check refuses an empty set and values that are not known values of T
// (documented, or allowed with WithEnumValues).
func (f Filter[T]) check(v *validator, field string) {
	if f.IsZero() {
		return
	}
	if len(f.values) == 0 {
		v.add(field, "needs at least one value in NotIn")
		return
	}
	if len(f.values) == 1 && f.values[0] == "" {
		v.add(field, "must not be empty")
		return
	}
	// A value the SDK knows, or one allowed with WithEnumValues, cannot
	// break the expression (no commas, bars or spaces).
	for i, val := range f.values {
		name := field
		if len(f.values) > 1 {
			name += "[" + strconv.Itoa(i) + "]"
		}
		checkEnum(v, name, val)
	}
}

// OrderInclude names an optional part of an order that List and Get add
// when asked.
type OrderInclude string

// Optional parts of an order documented by Tiki.
const (
	// IncludeStatusHistories adds Order.StatusHistories.
	IncludeStatusHistories OrderInclude = "status_histories"
	// IncludeItemFees adds the fees of each item (OrderItemInvoice.Fees).
	IncludeItemFees OrderInclude = "item.fees"
	// IncludeItemConfirmationHistories adds the confirmation history of
	// each item.
	IncludeItemConfirmationHistories OrderInclude = "item.confirmation_histories"
)

// checkIncludes refuses includes that Tiki does not document (unless
// allowed with WithEnumValues) and an empty include.
func checkIncludes(v *validator, include []OrderInclude) {
	if len(include) == 1 && include[0] == "" {
		v.add("include", "must not be empty")
		return
	}
	for i, inc := range include {
		checkEnum(v, "include["+strconv.Itoa(i)+"]", inc)
	}
}

// OrderSort orders a list of orders: a column and a direction.
type OrderSort string

// Sort orders Tiki documents; Tiki's default is OrderByCreatedAtDesc.
const (
	// OrderByCreatedAtAsc: oldest first (the order for walking a list that
	// grows while it is walked).
	OrderByCreatedAtAsc OrderSort = "created_at|asc"
	// OrderByCreatedAtDesc: newest first, Tiki's default.
	OrderByCreatedAtDesc OrderSort = "created_at|desc"
	// OrderByUpdatedAtAsc: least recently changed first.
	OrderByUpdatedAtAsc OrderSort = "updated_at|asc"
	// OrderByUpdatedAtDesc: most recently changed first.
	OrderByUpdatedAtDesc OrderSort = "updated_at|desc"
)

// Inventory types of the v2 order API that the product API does not use.
const (
	// InventoryDropship is the dropship operation model as the v2 order
	// API names it (the product API writes InventoryDropShip, "drop_ship").
	InventoryDropship InventoryType = "dropship"
	// InventoryPreorder: a pre-order item (a value of the order list's
	// item_inventory_type filter).
	InventoryPreorder InventoryType = "preorder"
)

// OrderListOptions filters List and All. Every field is optional; zero
// values are not sent. Status, FulfillmentType and ItemInventoryType take
// Tiki's set expressions through In and NotIn:
//
//	&tiki.OrderListOptions{Status: tiki.NotIn(tiki.OrderStatusProcessing, tiki.OrderStatusWaitingPayment)}
type OrderListOptions struct {
	// Codes keeps the orders with these codes.
	Codes []string `url:"code,omitempty"`
	// SKUs keeps the orders with an item of these Tiki SKUs.
	SKUs []string `url:"sku,omitempty"`
	// Status keeps the orders in (or not in) these states. Tiki's guide
	// recommends leaving out processing and waiting_payment, which are not
	// meaningful to the seller yet.
	Status Filter[OrderStatus] `url:"status,omitempty"`
	// ItemConfirmationStatus keeps the orders with an item in this
	// confirmation state (ConfirmationWaiting: orders to confirm).
	ItemConfirmationStatus ConfirmationStatus `url:"item_confirmation_status,omitempty"`
	// ItemInventoryType keeps the orders with an item of these inventory
	// types (Tiki documents backorder, instock and preorder here).
	ItemInventoryType Filter[InventoryType] `url:"item_inventory_type,omitempty"`
	// FulfillmentType keeps the orders of these operation models.
	FulfillmentType Filter[FulfillmentType] `url:"fulfillment_type,omitempty"`
	// IsRMA keeps replacement (RMA) orders when true, the others when
	// false; nil keeps both.
	IsRMA *bool `url:"is_rma"`
	// FilterDateBy selects a predefined range of creation dates
	// (DateFilterToday, DateFilterLast7Days, DateFilterLast30Days).
	FilterDateBy OrderDateFilter `url:"filter_date_by,omitempty"`
	// CreatedFrom keeps orders created after it (created_from_date). Each
	// time bound is sent as "2006-01-02 15:04:05" in Vietnam time.
	CreatedFrom Time `url:"created_from_date,omitempty"`
	// CreatedTo keeps orders created before it (created_to_date).
	CreatedTo Time `url:"created_to_date,omitempty"`
	// UpdatedFrom keeps orders updated after it (updated_from_date).
	UpdatedFrom Time `url:"updated_from_date,omitempty"`
	// UpdatedTo keeps orders updated before it (updated_to_date).
	UpdatedTo Time `url:"updated_to_date,omitempty"`
	// OrderBy sorts the list; Tiki's default is OrderByCreatedAtDesc.
	OrderBy OrderSort `url:"order_by,omitempty"`
	// Include adds optional parts to every order of the page.
	Include []OrderInclude `url:"include,omitempty"`
	ListOptions
}

func (o *OrderListOptions) validate(v *validator) {
	o.ListOptions.validate(v)
	checkValueList(v, "code", o.Codes)
	checkValueList(v, "sku", o.SKUs)
	o.Status.check(v, "status")
	o.ItemInventoryType.check(v, "item_inventory_type")
	o.FulfillmentType.check(v, "fulfillment_type")
	checkOptionalEnum(v, "item_confirmation_status", o.ItemConfirmationStatus)
	checkOptionalEnum(v, "filter_date_by", o.FilterDateBy)
	checkOptionalEnum(v, "order_by", o.OrderBy)
	checkRangeOrder(v, "created_from_date", o.CreatedFrom, o.CreatedTo)
	checkRangeOrder(v, "updated_from_date", o.UpdatedFrom, o.UpdatedTo)
	checkIncludes(v, o.Include)
}

// List returns one page of the seller's orders, filtered by opts (which may
// be nil).
//
// GET /v2/orders
func (s *OrdersService) List(ctx context.Context, opts *OrderListOptions) (*Page[Order], *Response, error) {
	return getPage[Order](ctx, s.client, apiV2, "orders", opts)
}

// All iterates over every order matching opts, page after page from
// opts.Page (default 1) to the last one. New orders that arrive while the
// walk is under way can shift later pages: sort by an immutable field (the
// default order) and de-duplicate by Order.Code if that matters.
//
//	for order, err := range client.Orders.All(ctx, opts) {
//		if err != nil { ... } // one error, then the loop ends
//	}
func (s *OrdersService) All(ctx context.Context, opts *OrderListOptions, walkOpts ...WalkOption) iter.Seq2[Order, error] {
	return walk(ctx, s.client, "v2/orders", opts, s.List, walkOpts)
}

// OrderGetOptions selects the optional parts Get adds to the order.
type OrderGetOptions struct {
	// Include adds optional parts of the order.
	Include []OrderInclude `url:"include,omitempty"`
}

// Get returns one order, with the optional parts opts asks for (opts may be
// nil).
//
// GET /v2/orders/{code}
func (s *OrdersService) Get(ctx context.Context, code string, opts *OrderGetOptions) (*Order, *Response, error) {
	o := zeroIfNil(opts)
	v := s.client.newValidator()
	seg := segment(&v, "code", code)
	checkIncludes(&v, o.Include)
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	return call[Order](ctx, s.client, &request{method: http.MethodGet, version: apiV2, path: "orders/" + seg, route: "orders/{code}", query: encodeQuery(&o)})
}
