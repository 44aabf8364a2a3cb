package cli

import (
	"fmt"
	"strings"

	"github.com/tikisdk/tiki"
)

// orderQuery is the filters of an order list, as the flags of tiki orders
// list and the arguments of the orders_list tool give them (a flag is the
// argument's name with dashes: not_status is --not-status).
type orderQuery struct {
	Status          []string `json:"status,omitempty" jsonschema:"keep orders in these statuses, for example queueing (waiting for the seller) or successful_delivery"`
	NotStatus       []string `json:"not_status,omitempty" jsonschema:"leave out orders in these statuses, for example processing and waiting_payment (not yet accepted by Tiki)"`
	FulfillmentType []string `json:"fulfillment_type,omitempty" jsonschema:"keep orders of these operation models: tiki_delivery, seller_delivery, cross_border, dropship, instant_delivery"`
	Confirmation    string   `json:"confirmation,omitempty" jsonschema:"keep orders with an item in this confirmation state: waiting (to confirm), seller_confirmed, confirmed, seller_canceled, ready_to_pick"`
	InventoryType   []string `json:"inventory_type,omitempty" jsonschema:"keep orders with an item of these inventory types, for example backorder or instock"`
	Waiting         bool     `json:"waiting,omitempty" jsonschema:"keep only the orders that wait for the seller's confirmation (status queueing, an item waiting)"`
	Code            []string `json:"code,omitempty" jsonschema:"keep the orders with these codes"`
	SKU             []string `json:"sku,omitempty" jsonschema:"keep the orders with an item of these Tiki SKUs"`
	RMA             *bool    `json:"rma,omitempty" jsonschema:"true keeps only replacement (RMA) orders, false leaves them out"`
	Date            string   `json:"date,omitempty" jsonschema:"orders created today, last7days or last30days"`
	CreatedFrom     string   `json:"created_from,omitempty" jsonschema:"orders created at or after this time: 2025-06-02 or 2025-06-02 15:04:05, Vietnam time"`
	CreatedTo       string   `json:"created_to,omitempty" jsonschema:"orders created at or before this time"`
	UpdatedFrom     string   `json:"updated_from,omitempty" jsonschema:"orders updated at or after this time"`
	UpdatedTo       string   `json:"updated_to,omitempty" jsonschema:"orders updated at or before this time"`
	Sort            string   `json:"sort,omitempty" jsonschema:"order of the list: created_at|desc (Tiki's default), created_at|asc, updated_at|desc or updated_at|asc"`
	Include         []string `json:"include,omitempty" jsonschema:"optional parts of each order: status_histories, item.fees, item.confirmation_histories"`
	Page            int      `json:"page,omitempty" jsonschema:"the page to read, from 1"`
	Limit           int      `json:"limit,omitempty" jsonschema:"orders per page, 1 to 100 (Tiki's default: 20)"`
}

// argName returns the name of an argument as the caller wrote it: the
// flag (--not-status) for the command line, the argument (not_status) for
// a tool.
func argName(name string, flags bool) string {
	if flags {
		return "--" + strings.ReplaceAll(name, "_", "-")
	}
	return name
}

// options turns the query into the SDK's options, checking every value
// first; flags says whether errors name flags or tool arguments.
func (q orderQuery) options(flags bool) (*tiki.OrderListOptions, error) {
	n := func(name string) string { return argName(name, flags) }
	opts := &tiki.OrderListOptions{Codes: splitList(q.Code), SKUs: splitList(q.SKU), IsRMA: q.RMA}
	status, err := allOf(n("status"), q.Status, "an order status", orderStatuses)
	if err != nil {
		return nil, err
	}
	notStatus, err := allOf(n("not_status"), q.NotStatus, "an order status", orderStatuses)
	if err != nil {
		return nil, err
	}
	switch {
	case len(status) > 0 && len(notStatus) > 0:
		return nil, fmt.Errorf("%s and %s do not go together: Tiki takes one status filter", n("status"), n("not_status"))
	case q.Waiting && len(notStatus) > 0, q.Waiting && len(status) > 0 && (len(status) != 1 || status[0] != tiki.OrderStatusQueueing):
		return nil, fmt.Errorf("%s keeps queueing orders: leave out %s and %s", n("waiting"), n("status"), n("not_status"))
	case q.Waiting:
		opts.Status = tiki.In(tiki.OrderStatusQueueing)
	case len(status) > 0:
		opts.Status = tiki.In(status...)
	case len(notStatus) > 0:
		opts.Status = tiki.NotIn(notStatus...)
	}
	models, err := allOf(n("fulfillment_type"), q.FulfillmentType, "an operation model", fulfillmentTypes)
	if err != nil {
		return nil, err
	}
	if len(models) > 0 {
		opts.FulfillmentType = tiki.In(models...)
	}
	types, err := allOf(n("inventory_type"), q.InventoryType, "an inventory type", orderInventoryTypes)
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		opts.ItemInventoryType = tiki.In(types...)
	}
	if opts.ItemConfirmationStatus, err = oneOf(n("confirmation"), q.Confirmation, "a confirmation status", confirmationStatuses); err != nil {
		return nil, err
	}
	if q.Waiting {
		if opts.ItemConfirmationStatus != "" && opts.ItemConfirmationStatus != tiki.ConfirmationWaiting {
			return nil, fmt.Errorf("%s keeps orders with an item waiting: leave out %s", n("waiting"), n("confirmation"))
		}
		opts.ItemConfirmationStatus = tiki.ConfirmationWaiting
	}
	if opts.FilterDateBy, err = oneOf(n("date"), q.Date, "a date range", dateFilters); err != nil {
		return nil, err
	}
	if err := parseTimes(flags,
		timeArg{"created_from", q.CreatedFrom, &opts.CreatedFrom}, timeArg{"created_to", q.CreatedTo, &opts.CreatedTo},
		timeArg{"updated_from", q.UpdatedFrom, &opts.UpdatedFrom}, timeArg{"updated_to", q.UpdatedTo, &opts.UpdatedTo},
	); err != nil {
		return nil, err
	}
	if opts.OrderBy, err = oneOf(n("sort"), strings.Replace(q.Sort, ":", "|", 1), "a sort order", orderSorts); err != nil {
		return nil, err
	}
	if opts.Include, err = allOf(n("include"), q.Include, "an order part", orderIncludes); err != nil {
		return nil, err
	}
	if opts.ListOptions, err = listOptions(q.Page, q.Limit, flags); err != nil {
		return nil, err
	}
	return opts, nil
}

// listOptions checks a page and a page size.
func listOptions(page, limit int, flags bool) (tiki.ListOptions, error) {
	switch {
	case page < 0:
		return tiki.ListOptions{}, fmt.Errorf("%s %d: pages count from 1", argName("page", flags), page)
	case limit < 0 || limit > 100:
		return tiki.ListOptions{}, fmt.Errorf("%s %d: a page holds 1 to 100 rows (Tiki's default is 20)", argName("limit", flags), limit)
	}
	return tiki.ListOptions{Page: page, Limit: limit}, nil
}

// orderColumns are the columns of an order list.
var orderColumns = []column[tiki.Order]{
	{"code", "CODE", func(o *tiki.Order) string { return o.Code }},
	{"fulfillment_type", "MODEL", func(o *tiki.Order) string { return string(o.FulfillmentType) }},
	{"status", "STATUS", func(o *tiki.Order) string { return string(o.Status) }},
	{"created_at", "CREATED", func(o *tiki.Order) string { return when(o.CreatedAt) }},
	{"invoice.items_quantity", "UNITS", func(o *tiki.Order) string { return itoa(o.Invoice.ItemsQuantity) }},
	{"invoice.grand_total", "TOTAL (VND)", func(o *tiki.Order) string { return o.Invoice.GrandTotal.String() }},
	{"tiki_warehouse.code", "WAREHOUSE", func(o *tiki.Order) string { return o.TikiWarehouse.Code }},
	{"waiting_item_ids", "WAITING ITEMS", func(o *tiki.Order) string { return ids(o.WaitingItemIDs()) }},
}

// orderDetail are the fields of one order, in a table.
var orderDetail = []column[tiki.Order]{
	orderColumns[0], orderColumns[1], orderColumns[2], orderColumns[3],
	{"updated_at", "UPDATED", func(o *tiki.Order) string { return when(o.UpdatedAt) }},
	{"tiki_warehouse", "WAREHOUSE", func(o *tiki.Order) string {
		return strings.TrimSpace(o.TikiWarehouse.Code + " " + o.TikiWarehouse.Name)
	}},
	{"customer.full_name", "CUSTOMER", func(o *tiki.Order) string { return o.Customer.FullName }},
	{"payment.method", "PAYMENT", func(o *tiki.Order) string { return string(o.Payment.Method) }},
	{"invoice.subtotal", "SUBTOTAL (VND)", func(o *tiki.Order) string { return o.Invoice.Subtotal.String() }},
	orderColumns[5],
	{"invoice.collectible_amount", "TO COLLECT (VND)", func(o *tiki.Order) string { return o.Invoice.CollectibleAmount.String() }},
	{"shipping.partner_name", "SHIPPING", func(o *tiki.Order) string {
		return strings.TrimSpace(o.Shipping.PartnerName + " " + o.Shipping.TrackingCode)
	}},
	orderColumns[7],
}

// orderItemColumns are the columns of an order's items.
var orderItemColumns = []column[tiki.OrderItem]{
	{"id", "ITEM", func(it *tiki.OrderItem) string { return itoa(it.ID) }},
	{"product.seller_product_code", "SELLER SKU", func(it *tiki.OrderItem) string { return it.Product.SellerProductCode }},
	{"product.name", "PRODUCT", func(it *tiki.OrderItem) string { return it.Product.Name }},
	{"invoice.quantity", "QTY", func(it *tiki.OrderItem) string { return itoa(it.Invoice.Quantity) }},
	{"invoice.price", "PRICE (VND)", func(it *tiki.OrderItem) string { return it.Invoice.Price.String() }},
	{"product.inventory_type", "INVENTORY", func(it *tiki.OrderItem) string { return string(it.Product.InventoryType) }},
	{"confirmation.status", "CONFIRMATION", func(it *tiki.OrderItem) string { return string(it.Confirmation.Status) }},
	{"confirmation.available_confirm_sla", "CONFIRM BY", func(it *tiki.OrderItem) string { return when(it.Confirmation.AvailableConfirmSLA) }},
}
