package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

func (a *app) ordersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "orders",
		Short: "List, confirm and fulfil orders (Tiki's order API v2)",
		Long: `Orders of Tiki's current order API (v2). Each order has an operation model (fulfillment_type) that decides
how the seller confirms it and which label it gets: confirm and label pick the endpoint for you.`,
		Example: `  tiki orders list --waiting
  tiki orders get 300000003
  tiki orders confirm --all-waiting --dry-run
  tiki orders label 300000003 --out label.html`,
	}
	cmd.AddCommand(a.ordersListCommand(), a.ordersGetCommand(), a.ordersConfirmCommand(), a.ordersLabelCommand(),
		a.ordersDeliverCommand(), a.ordersShipCommand(), a.ordersPickupSlotsCommand())
	return cmd
}

// addOrderQueryFlags adds the flags of an order list to cmd.
func addOrderQueryFlags(cmd *cobra.Command, q *orderQuery, rma *bool) {
	f := cmd.Flags()
	f.StringSliceVar(&q.Status, "status", nil, "keep orders in these statuses (comma-separated), for example queueing")
	f.StringSliceVar(&q.NotStatus, "not-status", nil, "leave out orders in these statuses, for example processing,waiting_payment")
	f.StringSliceVar(&q.FulfillmentType, "fulfillment-type", nil, "keep orders of these operation models: "+strings.Join(strs(fulfillmentTypes), ", "))
	f.StringVar(&q.Confirmation, "confirmation", "", "keep orders with an item in this confirmation state: "+strings.Join(strs(confirmationStatuses), ", "))
	f.StringSliceVar(&q.InventoryType, "inventory-type", nil, "keep orders with an item of these inventory types")
	f.BoolVar(&q.Waiting, "waiting", false, "keep the orders that wait for the seller's confirmation (--status queueing --confirmation waiting)")
	f.StringSliceVar(&q.Code, "code", nil, "keep the orders with these codes")
	f.StringSliceVar(&q.SKU, "sku", nil, "keep the orders with an item of these Tiki SKUs")
	f.BoolVar(rma, "rma", false, "--rma keeps only replacement (RMA) orders, --rma=false leaves them out")
	f.StringVar(&q.Date, "date", "", "orders created today, last7days or last30days")
	f.StringVar(&q.CreatedFrom, "created-from", "", "orders created at or after this time (2025-06-02, \"2025-06-02 15:04:05\"; Vietnam time)")
	f.StringVar(&q.CreatedTo, "created-to", "", "orders created at or before this time")
	f.StringVar(&q.UpdatedFrom, "updated-from", "", "orders updated at or after this time")
	f.StringVar(&q.UpdatedTo, "updated-to", "", "orders updated at or before this time")
	f.StringVar(&q.Sort, "sort", "", "order of the list: created_at:desc (Tiki's default), created_at:asc, updated_at:desc, updated_at:asc")
	f.StringSliceVar(&q.Include, "include", nil, "optional parts of each order (JSON output): "+strings.Join(strs(orderIncludes), ", "))
	f.IntVar(&q.Page, "page", 0, "the page to read, from 1 (default 1)")
	f.IntVar(&q.Limit, "limit", 0, "orders per page, 1 to 100 (default: Tiki's, 20)")
	for name, values := range map[string][]string{
		"status": strs(orderStatuses), "not-status": strs(orderStatuses), "fulfillment-type": strs(fulfillmentTypes),
		"confirmation": strs(confirmationStatuses), "inventory-type": strs(orderInventoryTypes), "date": strs(dateFilters),
		"sort": {"created_at:desc", "created_at:asc", "updated_at:desc", "updated_at:asc"}, "include": strs(orderIncludes),
	} {
		_ = cmd.RegisterFlagCompletionFunc(name, fixedCompletion(values...))
	}
}

func (a *app) ordersListCommand() *cobra.Command {
	var (
		q   orderQuery
		rma bool
		all bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List orders, one page or --all of them, with the v2 filters",
		Long: `List the seller's orders with the filters of Tiki's order API v2. Without --all it reads one page (--page,
--limit) and says on stderr when more follow; with --all it walks every page, several in flight.
JSON output is an array of orders in the SDK's shape (tiki.Order); CSV has one order per row.`,
		Example: `  tiki orders list --waiting
  tiki orders list --date today --fulfillment-type dropship,seller_delivery
  tiki orders list --not-status processing,waiting_payment --all -o csv > orders.csv
  tiki orders list --created-from 2025-06-01 --sort created_at:asc --all -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("rma") {
				q.RMA = &rma
			}
			opts, err := q.options(true)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			if err := walkArgs(cmd, all, q.Page); err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			return orderSource(cmd.Context(), client, opts).print(a, orderColumns, all)
		},
	}
	addOrderQueryFlags(cmd, &q, &rma)
	cmd.Flags().BoolVar(&all, "all", false, "walk every page")
	return cmd
}

func (a *app) ordersGetCommand() *cobra.Command {
	var include []string
	cmd := &cobra.Command{
		Use:   "get CODE",
		Short: "Show one order with its items",
		Example: `  tiki orders get 300000003
  tiki orders get 300000003 -o json --include status_histories`,
		Args: exactArgs(1, "CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			inc, err := allOf("--include", include, "an order part", orderIncludes)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			order, _, err := client.Orders.Get(cmd.Context(), args[0], &tiki.OrderGetOptions{Include: inc})
			if err != nil {
				return notFound(err, "order "+args[0], "tiki orders list")
			}
			return writeOne(a, order, orderDetail, func(w io.Writer) error {
				fmt.Fprintln(w)
				return writeListTo(a, w, orderItemColumns, "items", order.Items)
			})
		},
	}
	cmd.Flags().StringSliceVar(&include, "include", nil, "optional parts (JSON output): "+strings.Join(strs(orderIncludes), ", "))
	_ = cmd.RegisterFlagCompletionFunc("include", fixedCompletion(strs(orderIncludes)...))
	return cmd
}

// writeListTo writes a table of rows to w (the table section of a detail
// view).
func writeListTo[T any](a *app, w io.Writer, cols []column[T], noun string, rows []T) error {
	return writeRows(newListTo(w, a.env.Stderr, formatTable, cols, noun), rows)
}

// confirmResult is what tiki orders confirm did, or would do, for one
// order, with Tiki's field names.
type confirmResult struct {
	// Code is the order's code.
	Code string `json:"code"`
	// FulfillmentType is the order's operation model, which chose the
	// endpoint.
	FulfillmentType tiki.FulfillmentType `json:"fulfillment_type"`
	// DryRun reports that nothing was sent: Request is what would be.
	DryRun bool `json:"dry_run,omitempty"`
	// SellerInventoryID is the seller warehouse named.
	SellerInventoryID int64 `json:"seller_inventory_id,omitempty"`
	// AvailableItemIDs are the items confirmed as in stock.
	AvailableItemIDs []int64 `json:"available_item_ids,omitempty"`
	// CanceledItemIDs are the items canceled.
	CanceledItemIDs []int64 `json:"canceled_item_ids,omitempty"`
	// ExpectedPickupTime is the pickup time of a dropship order.
	ExpectedPickupTime string `json:"expected_pickup_time,omitempty"`
	// Request is the request a dry run did not send.
	Request *wireRequest `json:"request,omitempty"`
	// Answer is Tiki's answer.
	Answer json.RawMessage `json:"answer,omitempty"`
	// Error says why the order was not confirmed.
	Error string `json:"error,omitempty"`
}

var confirmColumns = []column[confirmResult]{
	{"code", "CODE", func(r *confirmResult) string { return r.Code }},
	{"fulfillment_type", "MODEL", func(r *confirmResult) string { return string(r.FulfillmentType) }},
	{"seller_inventory_id", "FROM WAREHOUSE", func(r *confirmResult) string { return zeroDash(r.SellerInventoryID) }},
	{"available_item_ids", "ITEMS", func(r *confirmResult) string { return ids(r.AvailableItemIDs) }},
	{"canceled_item_ids", "CANCELED", func(r *confirmResult) string { return ids(r.CanceledItemIDs) }},
	{"expected_pickup_time", "PICKUP", func(r *confirmResult) string { return r.ExpectedPickupTime }},
	{"result", "RESULT", func(r *confirmResult) string {
		switch {
		case r.Error != "":
			return "failed: " + r.Error
		case r.DryRun && r.Request != nil:
			return "would send " + r.Request.Method + " " + r.Request.Path + " " + string(r.Request.Body)
		case r.DryRun:
			return "would send nothing"
		}
		return "confirmed"
	}},
}

// zeroDash renders an id, or "" for zero.
func zeroDash(id int64) string {
	if id == 0 {
		return ""
	}
	return itoa(id)
}

func (a *app) ordersConfirmCommand() *cobra.Command {
	var (
		allWaiting, dryRun, yes bool
		warehouse               int64
		cancel                  []string
		pickup                  string
	)
	cmd := &cobra.Command{
		Use:   "confirm [CODE...]",
		Short: "Confirm orders that wait for the seller, through the endpoint of each order's operation model",
		Long: `Confirm orders that wait for the seller's confirmation. Each order is confirmed through the endpoint of its
operation model, with every waiting item, from the first seller warehouse Tiki maps to the order's Tiki
warehouse and, for dropship, the first pickup slot offered, unless the flags say otherwise. No item is
canceled unless --cancel-item names it. A confirmation is never sent twice.

--dry-run reads the orders and the warehouses and shows the request each confirmation would send, and sends
none. --all-waiting confirms every waiting order: on a terminal it asks first; elsewhere it needs --yes.`,
		Example: `  tiki orders confirm 300000003
  tiki orders confirm --all-waiting --dry-run
  tiki orders confirm --all-waiting --yes -o json
  tiki orders confirm 300000003 --cancel-item 7 --seller-inventory 903`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case allWaiting && len(args) > 0:
				return usagef(cmd, "give order codes or --all-waiting, not both")
			case !allWaiting && len(args) == 0:
				return usagef(cmd, "name the orders to confirm (CODE...), or give --all-waiting")
			case len(cancel) > 0 && len(args) != 1:
				return usagef(cmd, "--cancel-item names items of one order: give exactly one CODE with it")
			}
			cancelIDs, err := parseIDs("--cancel-item", cancel)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			if warehouse < 0 {
				return usagef(cmd, "--seller-inventory %d is not a warehouse id", warehouse)
			}
			client, err := a.client(dryRun)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			orders, err := a.ordersToConfirm(ctx, client, args, allWaiting)
			if err != nil {
				return err
			}
			if len(orders) == 0 {
				fmt.Fprintln(a.env.Stderr, "No orders wait for confirmation.")
				return writeList(a, confirmColumns, "orders to confirm", nil)
			}
			if !dryRun && (allWaiting || len(orders) > 1) {
				codes := make([]string, len(orders))
				for i, o := range orders {
					codes[i] = o.Code
				}
				if err := a.confirm(cmd, yes, fmt.Sprintf("Confirm %d orders on Tiki (%s)?", len(orders), strings.Join(codes, ", "))); err != nil {
					return err
				}
			}
			opts := &tiki.ConfirmOptions{SellerInventoryID: warehouse, CancelItemIDs: cancelIDs, ExpectedPickupTime: pickup}
			results, firstErr := a.confirmOrders(ctx, client, a.sess.dry, orders, opts)
			if err := writeList(a, confirmColumns, "orders to confirm", results); err != nil {
				return err
			}
			return firstErr
		},
	}
	f := cmd.Flags()
	f.BoolVar(&allWaiting, "all-waiting", false, "confirm every order that waits for confirmation")
	f.BoolVar(&dryRun, "dry-run", false, "show the request each confirmation would send, and send none")
	f.BoolVarP(&yes, "yes", "y", false, "confirm several orders without asking")
	f.Int64Var(&warehouse, "seller-inventory", 0, "the seller warehouse to confirm from (default: the first Tiki maps to the order)")
	f.StringSliceVar(&cancel, "cancel-item", nil, "items (ids from tiki orders get) the seller cannot supply: Tiki cancels them")
	f.StringVar(&pickup, "pickup-time", "", "dropship: the pickup time, one of tiki orders pickup-slots (default: the first offered)")
	return cmd
}

// ordersToConfirm reads the orders named, refusing one that needs no
// confirmation, or walks the orders that wait for it.
func (a *app) ordersToConfirm(ctx context.Context, client *tiki.Client, codes []string, allWaiting bool) ([]tiki.Order, error) {
	var orders []tiki.Order
	if allWaiting {
		waiting, _ := orderQuery{Waiting: true, Limit: 100}.options(true)
		for o, err := range client.Orders.All(ctx, waiting) {
			if err != nil {
				return nil, err
			}
			if o.NeedsConfirmation() {
				orders = append(orders, o)
			}
		}
		return orders, nil
	}
	for _, code := range codes {
		o, _, err := client.Orders.Get(ctx, code, nil)
		if err != nil {
			return nil, notFound(err, "order "+code, "tiki orders list --waiting")
		}
		if !o.NeedsConfirmation() {
			return nil, invalidf("order %s needs no confirmation (%s, status %s, no item waiting): nothing was sent; tiki orders list --waiting lists the orders to confirm",
				code, o.FulfillmentType, o.Status)
		}
		orders = append(orders, *o)
	}
	return orders, nil
}

// confirmOrders confirms each order, or records what would be sent in a
// dry run, and returns a result per order and the first error.
func (a *app) confirmOrders(ctx context.Context, client *tiki.Client, dry *dryRun, orders []tiki.Order, opts *tiki.ConfirmOptions) ([]confirmResult, error) {
	var (
		results  []confirmResult
		firstErr error
		failed   int
	)
	p := a.newProgress("orders confirmed")
	defer p.done()
	for i := range orders {
		o := &orders[i]
		r := confirmResult{Code: o.Code, FulfillmentType: o.FulfillmentType, DryRun: dry != nil}
		conf, _, err := client.Orders.Confirm(ctx, o, opts)
		if err != nil {
			r.Error = strings.TrimPrefix(errorLine(err), "tiki: ")
			failed++
			if firstErr == nil {
				firstErr = err
			}
		} else {
			r.SellerInventoryID, r.AvailableItemIDs, r.CanceledItemIDs = conf.SellerInventoryID, conf.AvailableItemIDs, conf.CanceledItemIDs
			r.ExpectedPickupTime = conf.ExpectedPickupTime
			if dry == nil && conf.Result != nil {
				r.Answer = conf.Result.Raw
			}
		}
		if dry != nil {
			if sent := dry.take(); len(sent) > 0 {
				r.Request = &sent[len(sent)-1]
			}
		}
		results = append(results, r)
		p.set(i+1, len(orders))
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr != nil && len(orders) > 1 {
		firstErr = &cliError{code: exitCode(firstErr), cause: firstErr,
			msg: fmt.Sprintf("%d of %d orders were not confirmed (see the RESULT column); the first: %s", failed, len(orders), strings.TrimPrefix(errorLine(firstErr), "tiki: "))}
	}
	return results, firstErr
}

// notFound adds to a 404 what was not found and how to find it.
func notFound(err error, what, find string) error {
	if errors.Is(err, tiki.ErrNotFound) {
		return &cliError{code: ExitRefused, cause: err, msg: fmt.Sprintf("%s not found on Tiki (%s): %s lists them", what, strings.TrimPrefix(errorLine(err), "tiki: "), find)}
	}
	return err
}

// labelResult is a label of an order: the links Tiki answered, and the file
// saved, if any.
type labelResult struct {
	// Code is the order's code.
	Code string `json:"code"`
	// FulfillmentType is the order's operation model, which chose the label.
	FulfillmentType tiki.FulfillmentType `json:"fulfillment_type"`
	// URL is the label's link.
	URL string `json:"url"`
	// URLs holds every link of Tiki's answer by its field name.
	URLs map[string]string `json:"urls"`
	// File is where the label was saved.
	File string `json:"file,omitempty"`
	// Bytes is the size of the saved file.
	Bytes int `json:"bytes,omitempty"`
}

var labelColumns = []column[labelResult]{
	{"code", "CODE", func(r *labelResult) string { return r.Code }},
	{"fulfillment_type", "MODEL", func(r *labelResult) string { return string(r.FulfillmentType) }},
	{"url", "URL", func(r *labelResult) string { return r.URL }},
	{"file", "FILE", func(r *labelResult) string { return r.File }},
}

func (a *app) ordersLabelCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "label CODE...",
		Short: "Get the label of confirmed orders: its link, or the file itself",
		Long: `Get the printable label of confirmed orders: the shipping label (on-demand fulfilment), the invoice label
(seller delivery), the shipping stamp (dropship) or the cross-border label, as the order's operation model
requires, as an HTML page. Without --out it prints the links; --out FILE saves the label of one order to FILE,
--out - writes it to stdout.`,
		Example: `  tiki orders label 300000001
  tiki orders label 300000001 --out label.html
  tiki orders label 300000001 --out - | lp`,
		Args: minArgs(1, "CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out != "" && len(args) > 1 {
				return usagef(cmd, "--out saves the label of one order: give one CODE")
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var results []labelResult
			for _, code := range args {
				order, _, err := client.Orders.Get(ctx, code, nil)
				if err != nil {
					return notFound(err, "order "+code, "tiki orders list")
				}
				label, _, err := client.Orders.Label(ctx, order, nil)
				if err != nil {
					return err
				}
				r := labelResult{Code: code, FulfillmentType: order.FulfillmentType, URL: label.URL(), URLs: label.URLs}
				if out != "" {
					body, err := download(ctx, r.URL)
					if err != nil {
						return err
					}
					if out == "-" {
						_, err := a.env.Stdout.Write(body)
						return err
					}
					if err := os.WriteFile(out, body, 0o644); err != nil {
						return &cliError{code: ExitError, msg: "saving the label: " + err.Error(), cause: err}
					}
					r.File, r.Bytes = out, len(body)
				}
				results = append(results, r)
			}
			return writeList(a, labelColumns, "labels", results)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "save the label to this file (- for stdout) instead of printing its link")
	return cmd
}

// maxLabelBytes bounds a label file.
const maxLabelBytes = 20 << 20

// download fetches a label file. Label links are public: no credential is
// sent with them.
func download(ctx context.Context, url string) ([]byte, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, &cliError{code: ExitRefused, msg: fmt.Sprintf("Tiki's label link %q is not a web address", url)}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, &cliError{code: ExitNetwork, msg: "downloading the label: " + err.Error(), cause: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLabelBytes+1))
	switch {
	case err != nil:
		return nil, &cliError{code: ExitNetwork, msg: "downloading the label: " + err.Error(), cause: err}
	case resp.StatusCode != http.StatusOK:
		return nil, &cliError{code: ExitRefused, msg: fmt.Sprintf("downloading the label: %s answered %s", url, resp.Status)}
	case len(body) > maxLabelBytes:
		return nil, &cliError{code: ExitRefused, msg: fmt.Sprintf("downloading the label: the file is larger than %d MiB", maxLabelBytes>>20)}
	}
	return body, nil
}

// actionResult is what tiki orders deliver or ship sent, or would send.
type actionResult struct {
	// Code is the order's code.
	Code string `json:"code"`
	// Action is "deliver" or "ship".
	Action string `json:"action"`
	// Status is the delivery outcome or the shipment step reported.
	Status string `json:"status"`
	// Update is the update as the SDK sends it.
	Update any `json:"update"`
	// DryRun reports that nothing was sent: Request is what would be.
	DryRun bool `json:"dry_run,omitempty"`
	// Request is the request a dry run did not send.
	Request *wireRequest `json:"request,omitempty"`
	// Answer is Tiki's answer.
	Answer json.RawMessage `json:"answer,omitempty"`
}

var actionColumns = []column[actionResult]{
	{"code", "CODE", func(r *actionResult) string { return r.Code }},
	{"action", "ACTION", func(r *actionResult) string { return r.Action }},
	{"status", "STATUS", func(r *actionResult) string { return r.Status }},
	{"result", "RESULT", func(r *actionResult) string {
		if r.DryRun && r.Request != nil {
			return "would send " + r.Request.Method + " " + r.Request.Path + " " + string(r.Request.Body)
		}
		return "sent"
	}},
}

// actionSender sends an order action through the SDK.
type actionSender func(context.Context, *tiki.Client, *tiki.Order) (*tiki.ActionResult, error)

// orderAction reads an order and sends an action about it (or records it,
// in a dry run).
func orderAction(ctx context.Context, client *tiki.Client, dry *dryRun, code, action, status string, update any, send actionSender) (*actionResult, error) {
	order, _, err := client.Orders.Get(ctx, code, nil)
	if err != nil {
		return nil, notFound(err, "order "+code, "tiki orders list")
	}
	res, err := send(ctx, client, order)
	if err != nil {
		return nil, err
	}
	r := &actionResult{Code: code, Action: action, Status: status, Update: update, DryRun: dry != nil}
	if dry != nil {
		if sent := dry.take(); len(sent) > 0 {
			r.Request = &sent[len(sent)-1]
		}
	} else if res != nil {
		r.Answer = res.Raw
	}
	return r, nil
}

// runAction sends an order action (or records it in a dry run) and prints
// its result.
func (a *app) runAction(cmd *cobra.Command, code, action, status string, update any, send actionSender, dryRun bool) error {
	client, err := a.client(dryRun)
	if err != nil {
		return err
	}
	r, err := orderAction(cmd.Context(), client, a.sess.dry, code, action, status, update, send)
	if err != nil {
		return err
	}
	return writeOne(a, r, actionColumns, nil)
}

func (a *app) ordersDeliverCommand() *cobra.Command {
	var (
		status, cause, appointment, note string
		dryRun                           bool
	)
	cmd := &cobra.Command{
		Use:   "deliver CODE",
		Short: "Report the outcome of a seller delivery (successful, or failed and why)",
		Long: `Report the outcome of the seller's own delivery of a confirmed seller-delivery order. A failed delivery
needs its cause: out_of_needs and out_of_stock cancel the order; redelivery_appointment needs the date of
the next attempt (--appointment).`,
		Example: `  tiki orders deliver 300000001
  tiki orders deliver 300000001 --status failed_delivery --failure-cause redelivery_appointment --appointment "2025-06-03 09:00:00"
  tiki orders deliver 300000001 --dry-run -o json`,
		Args: exactArgs(1, "CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := oneOf("--status", status, "a delivery outcome", sellerDeliveryStatuses)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			fc, err := oneOf("--failure-cause", cause, "a failure cause", failureCauses)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			u := tiki.SellerDeliveryUpdate{Status: st, FailureCause: fc, Note: note}
			if appointment != "" {
				t, err := parseTime("--appointment", appointment)
				if err != nil {
					return usagef(cmd, "%s", err)
				}
				u.AppointmentDate = &t
			}
			return a.runAction(cmd, args[0], "deliver", string(st), u, func(ctx context.Context, c *tiki.Client, o *tiki.Order) (*tiki.ActionResult, error) {
				res, _, err := c.Orders.UpdateSellerDelivery(ctx, o, u)
				return res, err
			}, dryRun)
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", string(tiki.SellerDeliverySuccessful), "the outcome: successful_delivery or failed_delivery")
	f.StringVar(&cause, "failure-cause", "", "why a delivery failed: "+strings.Join(strs(failureCauses), ", "))
	f.StringVar(&appointment, "appointment", "", "the next attempt, with redelivery_appointment (\"2025-06-03 09:00:00\", Vietnam time)")
	f.StringVar(&note, "note", "", "a comment")
	f.BoolVar(&dryRun, "dry-run", false, "show the request that would be sent, and send nothing")
	_ = cmd.RegisterFlagCompletionFunc("status", fixedCompletion(strs(sellerDeliveryStatuses)...))
	_ = cmd.RegisterFlagCompletionFunc("failure-cause", fixedCompletion(strs(failureCauses)...))
	return cmd
}

func (a *app) ordersShipCommand() *cobra.Command {
	var (
		step, at string
		dryRun   bool
	)
	cmd := &cobra.Command{
		Use:   "ship CODE",
		Short: "Report a step of a cross-border shipment the seller ships",
		Long: `Report a step of the shipment of a confirmed cross-border order, when the seller ships it: one of the nine
steps, in order, from transferring_to_foreign_warehouses to successful_delivery.`,
		Example: `  tiki orders ship 300000002 --step transferring_to_foreign_warehouses
  tiki orders ship 300000002 --step customs_clearance --at "2025-06-04 08:00:00"`,
		Args: exactArgs(1, "CODE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if step == "" {
				return usagef(cmd, "--step is required: one of %s", strings.Join(strs(shipmentSteps), ", "))
			}
			st, err := oneOf("--step", step, "a shipment step", shipmentSteps)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			u := tiki.ShipmentUpdate{Status: st, UpdateTime: tiki.NewTime(a.now())}
			if at != "" {
				if u.UpdateTime, err = parseTime("--at", at); err != nil {
					return usagef(cmd, "%s", err)
				}
			}
			return a.runAction(cmd, args[0], "ship", string(st), u, func(ctx context.Context, c *tiki.Client, o *tiki.Order) (*tiki.ActionResult, error) {
				res, _, err := c.Orders.UpdateCrossBorderShipment(ctx, o, u)
				return res, err
			}, dryRun)
		},
	}
	f := cmd.Flags()
	f.StringVar(&step, "step", "", "the step reached: "+strings.Join(strs(shipmentSteps), ", "))
	f.StringVar(&at, "at", "", "when it was reached (default: now; \"2025-06-04 08:00:00\", Vietnam time)")
	f.BoolVar(&dryRun, "dry-run", false, "show the request that would be sent, and send nothing")
	_ = cmd.RegisterFlagCompletionFunc("step", fixedCompletion(strs(shipmentSteps)...))
	return cmd
}

var pickupColumns = []column[tiki.PickupSlot]{
	{"expected_pickup_slot", "SLOT", func(s *tiki.PickupSlot) string { return s.Slot }},
	{"expected_pickup_time", "PICKUP TIME", func(s *tiki.PickupSlot) string { return s.ExpectedPickupTime }},
}

func (a *app) ordersPickupSlotsCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "pickup-slots",
		Short:   "List the pickup times dropship orders can be confirmed with now",
		Example: `  tiki orders pickup-slots`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := a.client(false)
			if err != nil {
				return err
			}
			slots, _, err := client.Orders.ExpectedPickupSlots(cmd.Context())
			if err != nil {
				return err
			}
			return writeList(a, pickupColumns, "pickup slots", slots.Slots)
		},
	}
}

// noArgs refuses arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef(cmd, "%s takes no argument, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// exactArgs wants n arguments, named by what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef(cmd, "%s takes %s, got %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// minArgs wants at least n arguments, named by what.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef(cmd, "%s takes %s", cmd.CommandPath(), what)
		}
		return nil
	}
}
