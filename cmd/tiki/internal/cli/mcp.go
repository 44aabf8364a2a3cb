package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

func (a *app) mcpCommand() *cobra.Command {
	var (
		allowWrites bool
		httpAddr    string
	)
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the shop's operations to AI assistants (Model Context Protocol, stdio or loopback HTTP)",
		Long: `Serve the operations of this command as MCP tools, with JSON schemas, structured results and annotations
(read-only, destructive, idempotent), to an AI assistant: over stdio (the default: the assistant starts
tiki mcp) or over streamable HTTP on a loopback address (--http 127.0.0.1:PORT).

Read tools only by default. Tools that change the shop on Tiki (confirm orders, print labels, report
deliveries, set prices and stock, push stock, create product requests) are served only with --allow-writes;
without it, a call to one is refused with a message saying so. A stock push always returns the plan first;
a second call with the plan's id applies it. Errors and Tiki's limits come back as tool errors the
assistant can read. Credentials are the command's (a profile, the environment, or --fake) and never appear
in a result.`,
		Example: `  tiki mcp --profile shop
  tiki mcp --profile shop --allow-writes
  tiki --fake mcp --allow-writes
  tiki mcp --http 127.0.0.1:8765`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server, err := a.newMCPServer(allowWrites)
			if err != nil {
				return err
			}
			if httpAddr == "" {
				err := server.Run(cmd.Context(), &mcp.StdioTransport{})
				if cmd.Context().Err() != nil {
					return nil // stopped by a signal
				}
				return err
			}
			return a.serveMCPHTTP(cmd, server, httpAddr)
		},
	}
	cmd.Flags().BoolVar(&allowWrites, "allow-writes", false, "also serve the tools that change the shop on Tiki")
	cmd.Flags().StringVar(&httpAddr, "http", "", "serve streamable HTTP on this loopback address (127.0.0.1:PORT) instead of stdio")
	return cmd
}

// serveMCPHTTP serves the MCP server over streamable HTTP on a loopback
// address until the command's context ends.
func (a *app) serveMCPHTTP(cmd *cobra.Command, server *mcp.Server, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef(cmd, "--http %q is not host:port: write 127.0.0.1:8765", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef(cmd, "--http %q is not a loopback address: the server has no authentication of its own, so it listens on 127.0.0.1 or ::1 only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &cliError{code: ExitUsage, msg: fmt.Sprintf("listening on %s: %v: pick another port", addr, err), cause: err}
	}
	// The MCP SDK refuses a loopback request naming another host (DNS
	// rebinding); a web page's cross-origin request is refused too, so that
	// no site the user visits can call the tools.
	handler := http.NewCrossOriginProtection().Handler(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil))
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.env.Stderr, "Serving MCP on http://%s (Ctrl-C stops).\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-cmd.Context().Done():
	}
	// The sessions' event streams stay open: end them, then the server.
	for ss := range server.Sessions() {
		_ = ss.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return nil
}

// mcpTool is one tool of the MCP server.
type mcpTool struct {
	name  string
	write bool // changes the shop on Tiki: served only with --allow-writes
	add   func(s *mcp.Server, t *mcp.Tool)
	tool  mcp.Tool
	err   error // its schemas could not be inferred: the server does not start
}

// schemaTypes are the schemas of the SDK's types whose JSON is not what
// their Go type says.
var schemaTypes = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[tiki.Time]():       {Types: []string{"null", "string"}, Description: "a time, 2006-01-02 15:04:05 in Vietnam time"},
	reflect.TypeFor[json.RawMessage](): {Description: "JSON as Tiki sent it"},
	reflect.TypeFor[map[int64]int](): {Type: "object", PropertyNames: &jsonschema.Schema{Pattern: "^[1-9][0-9]*$"},
		AdditionalProperties: &jsonschema.Schema{Type: "integer", Minimum: jsonschema.Ptr(0.0)},
		Description:          "units per seller warehouse id"},
}

// schemaFor infers the JSON schema of T, with the SDK's types described
// as their JSON is.
func schemaFor[T any]() (*jsonschema.Schema, error) {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: schemaTypes})
	if err != nil {
		return nil, fmt.Errorf("the schema of %v: %w", reflect.TypeFor[T](), err)
	}
	return s, nil
}

// tool returns an mcpTool whose handler is h, with schemas inferred from
// In and Out (a type whose schema cannot be inferred leaves the tool's err
// set). The handler's errors and panics come back as tool errors.
func tool[In, Out any](name, title, description string, write bool, ann mcp.ToolAnnotations, h func(context.Context, In) (Out, error)) mcpTool {
	ann.Title = title
	open := true
	ann.OpenWorldHint = &open
	in, errIn := schemaFor[In]()
	out, errOut := schemaFor[Out]()
	t := mcp.Tool{Name: name, Title: title, Description: description, Annotations: &ann, InputSchema: in, OutputSchema: out}
	return mcpTool{name: name, write: write, tool: t, err: errors.Join(errIn, errOut), add: func(s *mcp.Server, t *mcp.Tool) {
		mcp.AddTool(s, t, func(ctx context.Context, _ *mcp.CallToolRequest, in In) (_ *mcp.CallToolResult, out Out, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("tiki: %s failed: internal error: %v (a defect of tiki mcp; stack: %s)", name, r, firstLine(string(debug.Stack())))
				}
			}()
			out, err = h(ctx, in)
			if err != nil {
				err = errors.New(toolError(err))
			}
			return nil, out, err
		})
	}}
}

// toolError renders an error for an assistant: one line, what happened and
// what to do about it.
func toolError(err error) string {
	var bv *badValue
	if errors.As(err, &bv) {
		return "tiki: " + bv.Error()
	}
	return errorLine(err)
}

var (
	readOnly = mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	boolPtr  = func(b bool) *bool { return &b }
)

// writeAnnotations are the annotations of a tool that changes the shop.
func writeAnnotations(destructive, idempotent bool) mcp.ToolAnnotations {
	return mcp.ToolAnnotations{DestructiveHint: boolPtr(destructive), IdempotentHint: idempotent}
}

// newMCPServer returns the MCP server of the run's session: the read tools
// and, with allowWrites, the write tools; without it, a call to a write
// tool is refused with a tool error saying how to allow it.
func (a *app) newMCPServer(allowWrites bool) (*mcp.Server, error) {
	client, err := a.client(false)
	if err != nil {
		return nil, err
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "tiki", Title: "Tiki seller tools", Version: Version}, &mcp.ServerOptions{
		Instructions: "Tools for a seller's shop on Tiki, the Vietnamese marketplace: orders (list, read, confirm, labels, " +
			"deliveries), products (list, read, price, stock, status), stock audits and pushes from the seller's books, the " +
			"catalog (categories, attributes, required documents) and product requests. Amounts are whole VND; times are " +
			"Vietnam time. Read before writing: confirm_order and set_product take dry_run to show what they would send.",
	})
	tools := a.mcpTools(client)
	var writes []string
	for _, t := range tools {
		if t.err != nil {
			return nil, &cliError{code: ExitError, cause: t.err, msg: fmt.Sprintf("tiki mcp: tool %s: %v", t.name, t.err)}
		}
		if t.write && !allowWrites {
			writes = append(writes, t.name)
			continue
		}
		t.add(s, &t.tool)
	}
	if len(writes) > 0 {
		s.AddReceivingMiddleware(refuseWrites(writes))
	}
	return s, nil
}

// refuseWrites answers a call to one of the write tools, not served
// without --allow-writes, with a tool error saying so.
func refuseWrites(names []string) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if call, ok := req.(*mcp.CallToolRequest); ok && method == "tools/call" && slices.Contains(names, call.Params.Name) {
				res := &mcp.CallToolResult{}
				res.SetError(fmt.Errorf("tiki: %s changes the shop on Tiki, and this server only reads: nothing was sent. "+
					"Ask the user to restart it with tiki mcp --allow-writes to allow changes", call.Params.Name))
				return res, nil
			}
			return next(ctx, method, req)
		}
	}
}

// ordersOut is a list of orders, as list_orders returns it.
type ordersOut struct {
	Orders []tiki.Order `json:"orders"`
	pageInfo
}

// listOrdersIn is the arguments of list_orders.
type listOrdersIn struct {
	orderQuery
	All bool `json:"all,omitempty" jsonschema:"walk every page (up to max orders) instead of reading one page"`
	Max int  `json:"max,omitempty" jsonschema:"with all: return at most this many orders (default 200, at most 1000)"`
}

// productsOut is a list of products, as list_products returns it.
type productsOut struct {
	Products []tiki.Product `json:"products"`
	pageInfo
}

// listProductsIn is the arguments of list_products.
type listProductsIn struct {
	productQuery
	All bool `json:"all,omitempty" jsonschema:"walk every page (up to max products) instead of reading one page"`
	Max int  `json:"max,omitempty" jsonschema:"with all: return at most this many products (default 200, at most 1000)"`
}

// codeIn is the arguments of the tools about one order.
type codeIn struct {
	Code string `json:"code" jsonschema:"the order's code, for example 300000003"`
}

// productRefIn is the arguments of get_product.
type productRefIn struct {
	SKU       string `json:"sku,omitempty" jsonschema:"the seller's SKU of the product (its original_sku)"`
	ProductID int64  `json:"product_id,omitempty" jsonschema:"Tiki's id of the product"`
}

// confirmIn is the arguments of confirm_order.
type confirmIn struct {
	Code              string  `json:"code" jsonschema:"the order's code"`
	DryRun            bool    `json:"dry_run,omitempty" jsonschema:"show the request the confirmation would send, and send nothing"`
	SellerInventoryID int64   `json:"seller_inventory_id,omitempty" jsonschema:"the seller warehouse to confirm from (default: the first Tiki maps to the order)"`
	CancelItemIDs     []int64 `json:"cancel_item_ids,omitempty" jsonschema:"ids of the order's waiting items the seller cannot supply: Tiki cancels them; leave out to confirm every waiting item"`
	PickupTime        string  `json:"pickup_time,omitempty" jsonschema:"dropship orders: the pickup time, one of list_pickup_slots (default: the first offered)"`
}

// deliverIn is the arguments of update_seller_delivery.
type deliverIn struct {
	Code            string `json:"code" jsonschema:"the order's code (a confirmed seller-delivery order)"`
	Status          string `json:"status" jsonschema:"successful_delivery or failed_delivery"`
	FailureCause    string `json:"failure_cause,omitempty" jsonschema:"with failed_delivery: out_of_needs or out_of_stock (both cancel the order) or redelivery_appointment"`
	AppointmentDate string `json:"appointment_date,omitempty" jsonschema:"with redelivery_appointment: the next attempt, 2025-06-03 09:00:00 Vietnam time"`
	Note            string `json:"note,omitempty" jsonschema:"a comment"`
	DryRun          bool   `json:"dry_run,omitempty" jsonschema:"show the request that would be sent, and send nothing"`
}

// shipIn is the arguments of update_cross_border_shipment.
type shipIn struct {
	Code   string `json:"code" jsonschema:"the order's code (a confirmed cross-border order the seller ships)"`
	Step   string `json:"step" jsonschema:"the step reached, one of the nine in order: transferring_to_foreign_warehouses, has_come_to_foreign_warehouses, rotating_to_vietnam, customs_clearance, customs_clearance_complete, item_arrived_in_vietnam, ready_for_delivery, on_delivery, successful_delivery"`
	At     string `json:"at,omitempty" jsonschema:"when it was reached (default now), 2025-06-04 08:00:00 Vietnam time"`
	DryRun bool   `json:"dry_run,omitempty" jsonschema:"show the request that would be sent, and send nothing"`
}

// setProductIn is the arguments of set_product.
type setProductIn struct {
	productChange
	DryRun bool `json:"dry_run,omitempty" jsonschema:"show the request that would be sent, and send nothing"`
}

// categoriesIn is the arguments of search_categories.
type categoriesIn struct {
	Name     string `json:"name,omitempty" jsonschema:"keep categories whose name holds this text"`
	Parent   int64  `json:"parent,omitempty" jsonschema:"keep the children of this category"`
	Primary  *bool  `json:"primary,omitempty" jsonschema:"true keeps primary categories (where products are listed)"`
	MaxCount int    `json:"max,omitempty" jsonschema:"return at most this many categories (default 100)"`
}

// categoryOut is a category, without its ancestors.
type categoryOut struct {
	ID                      int64  `json:"id"`
	Name                    string `json:"name"`
	ParentID                int64  `json:"parent_id"`
	IsPrimary               bool   `json:"is_primary"`
	IsProductListingEnabled bool   `json:"is_product_listing_enabled" jsonschema:"products can be created in it (with is_primary)"`
	NoLicenseSellerEnabled  bool   `json:"no_license_seller_enabled" jsonschema:"sellers without a business license may list products in it"`
}

// categoriesOut is what search_categories returns.
type categoriesOut struct {
	Categories []categoryOut `json:"categories"`
	Note       string        `json:"note,omitempty"`
}

// attributesIn is the arguments of list_category_attributes.
type attributesIn struct {
	CategoryID   int64 `json:"category_id" jsonschema:"the category's id"`
	RequiredOnly bool  `json:"required_only,omitempty" jsonschema:"only the attributes a product request must give"`
}

// attributesOut is what list_category_attributes returns.
type attributesOut struct {
	Attributes []tiki.Attribute `json:"attributes"`
}

// valuesIn is the arguments of list_attribute_values.
type valuesIn struct {
	AttributeID int64  `json:"attribute_id" jsonschema:"the attribute's id (list_category_attributes), of a select attribute"`
	Query       string `json:"query,omitempty" jsonschema:"keep the values holding this text"`
	pageArgs
}

// valuesOut is what list_attribute_values returns.
type valuesOut struct {
	Values []tiki.AttributeValue `json:"values"`
	pageInfo
}

// brandsIn is the arguments of search_brands.
type brandsIn struct {
	Name string `json:"name" jsonschema:"the text to search brand names for"`
	pageArgs
}

// brandsOut is what search_brands returns.
type brandsOut struct {
	Brands []tiki.Brand `json:"brands"`
	pageInfo
}

// documentsIn is the arguments of get_required_documents.
type documentsIn struct {
	CategoryID      int64 `json:"category_id" jsonschema:"the product's category"`
	BrandListDataID int64 `json:"brand_list_data_id,omitempty" jsonschema:"the list data id of the product's brand"`
}

// trackIn is the arguments of track_product_request.
type trackIn struct {
	TrackID string `json:"track_id" jsonschema:"the track id create_product_request returned"`
}

// createRequestIn is the arguments of create_product_request.
type createRequestIn struct {
	Product tiki.NewProduct `json:"product" jsonschema:"the product: category_id, name, description (HTML), attributes by code (list_category_attributes), image URL, and one variant per sellable SKU with its price, inventory_type, seller_warehouse and warehouse_stocks"`
}

// slotsOut is what list_pickup_slots returns.
type slotsOut struct {
	Slots []tiki.PickupSlot `json:"slots"`
}

// queuesOut is what list_event_queues returns.
type queuesOut struct {
	Queues []tiki.EventQueue `json:"queues"`
}

// none is the arguments of a tool that takes none.
type none struct{}

// mcpTools returns every tool of the server.
func (a *app) mcpTools(client *tiki.Client) []mcpTool {
	tools := []mcpTool{
		tool("list_orders", "List orders",
			"Lists the seller's orders on Tiki (order API v2), newest first, with Tiki's filters: status, operation model (fulfillment_type), "+
				"confirmation state, dates. waiting: true lists the orders that wait for the seller's confirmation, which confirm_order confirms. "+
				"Reads one page of up to limit orders, or every page with all.",
			false, readOnly, func(ctx context.Context, in listOrdersIn) (ordersOut, error) {
				opts, err := in.options(false)
				if err != nil {
					return ordersOut{}, err
				}
				rows, info, err := orderSource(ctx, client, opts).collect(in.All, in.Max)
				return ordersOut{Orders: rows, pageInfo: info}, err
			}),
		tool("get_order", "Get an order",
			"Reads one order of Tiki's order API v2 by its code, with its items, totals in VND, customer, shipping and each item's confirmation state and deadline.",
			false, readOnly, func(ctx context.Context, in codeIn) (tiki.Order, error) {
				o, _, err := client.Orders.Get(ctx, in.Code, nil)
				if err != nil {
					return tiki.Order{}, notFound(err, "order "+in.Code, "list_orders")
				}
				return *o, nil
			}),
		tool("list_pickup_slots", "List pickup slots",
			"Lists the pickup times Tiki offers now for dropship orders; confirm_order takes one as pickup_time.",
			false, readOnly, func(ctx context.Context, _ none) (slotsOut, error) {
				slots, _, err := client.Orders.ExpectedPickupSlots(ctx)
				if err != nil {
					return slotsOut{}, err
				}
				return slotsOut{Slots: slots.Slots}, nil
			}),
		tool("list_products", "List products",
			"Lists the seller's approved products on Tiki with their price, status and stock per seller warehouse (available, reserved by orders, sellable). "+
				"Reads one page of up to limit products, or every page with all.",
			false, readOnly, func(ctx context.Context, in listProductsIn) (productsOut, error) {
				opts, err := in.options(false)
				if err != nil {
					return productsOut{}, err
				}
				rows, info, err := productSource(ctx, client, opts).collect(in.All, in.Max)
				return productsOut{Products: rows, pageInfo: info}, err
			}),
		tool("get_product", "Get a product",
			"Reads one of the seller's products by its seller SKU or Tiki product id: price, status, categories, attributes, images and stock per seller warehouse.",
			false, readOnly, func(ctx context.Context, in productRefIn) (tiki.Product, error) {
				if (in.SKU == "") == (in.ProductID == 0) {
					return tiki.Product{}, errors.New("tiki: give sku or product_id, one of them")
				}
				p, err := findProduct(ctx, client, in.SKU, in.ProductID)
				if err != nil {
					return tiki.Product{}, err
				}
				return *p, nil
			}),
		tool("search_categories", "Search categories",
			"Searches Tiki's category tree by name or parent. A product is listed in a primary category with product listing enabled; "+
				"list_category_attributes gives the attributes it must carry.",
			false, readOnly, func(ctx context.Context, in categoriesIn) (categoriesOut, error) {
				cats, _, err := client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{Name: in.Name, Parent: in.Parent, IsPrimary: in.Primary})
				if err != nil {
					return categoriesOut{}, err
				}
				out := categoriesOut{Categories: []categoryOut{}}
				limit := in.MaxCount
				if limit <= 0 {
					limit = 100
				}
				for _, c := range cats {
					if len(out.Categories) == limit {
						out.Note = fmt.Sprintf("stopped at %d of %d categories: narrow the search, or raise max", limit, len(cats))
						break
					}
					out.Categories = append(out.Categories, categoryOut{c.ID, c.Name, c.ParentID, c.IsPrimary, c.IsProductListingEnabled, c.NoLicenseSellerEnabled})
				}
				return out, nil
			}),
		tool("list_category_attributes", "List category attributes",
			"Lists the attributes a product of a category carries: their codes (the keys of a product request's attributes), input types and which are required.",
			false, readOnly, func(ctx context.Context, in attributesIn) (attributesOut, error) {
				attrs, _, err := client.Catalog.ListAttributes(ctx, in.CategoryID)
				if err != nil {
					return attributesOut{}, notFound(err, fmt.Sprintf("category %d", in.CategoryID), "search_categories")
				}
				out := attributesOut{Attributes: []tiki.Attribute{}}
				for _, at := range attrs {
					if !in.RequiredOnly || at.IsRequired {
						out.Attributes = append(out.Attributes, at)
					}
				}
				return out, nil
			}),
		tool("list_attribute_values", "List an attribute's values",
			"Lists the values Tiki allows for a select attribute of a category (its id from list_category_attributes), optionally those holding a text: "+
				"a product request gives one of them for the attribute.",
			false, readOnly, func(ctx context.Context, in valuesIn) (valuesOut, error) {
				lo, err := in.options()
				if err != nil {
					return valuesOut{}, err
				}
				rows, info, err := attributeValueSource(ctx, client, in.AttributeID, &tiki.AttributeValuesOptions{Query: in.Query, ListOptions: lo}).collect(false, 0)
				if err != nil {
					return valuesOut{}, notFound(err, fmt.Sprintf("attribute %d", in.AttributeID), "list_category_attributes")
				}
				return valuesOut{Values: rows, pageInfo: info}, nil
			}),
		tool("search_brands", "Search brands",
			"Searches Tiki's brands by name, saying of each whether it is active and whether its products need certificate documents "+
				"(get_required_documents lists them).",
			false, readOnly, func(ctx context.Context, in brandsIn) (brandsOut, error) {
				lo, err := in.options()
				if err != nil {
					return brandsOut{}, err
				}
				rows, info, err := brandSource(ctx, client, &tiki.BrandsOptions{Name: in.Name, ListOptions: lo}).collect(false, 0)
				return brandsOut{Brands: rows, pageInfo: info}, err
			}),
		tool("get_required_documents", "Get required documents",
			"Lists the certificate documents a product request in a category (and of a brand) must attach, and whether the brand's own documents are required.",
			false, readOnly, func(ctx context.Context, in documentsIn) (tiki.RequiredDocuments, error) {
				docs, _, err := client.Catalog.GetRequiredDocuments(ctx, tiki.RequiredDocumentsOptions{CategoryID: in.CategoryID, BrandListDataID: in.BrandListDataID})
				if err != nil {
					return tiki.RequiredDocuments{}, err
				}
				return *docs, nil
			}),
		tool("track_product_request", "Track a product request",
			"Reads where a product request is in Tiki's review (queuing, processing, awaiting_approve, approved, rejected with Tiki's reason, deleted).",
			false, readOnly, func(ctx context.Context, in trackIn) (tiki.TrackedRequest, error) {
				rec, _, err := client.Tracking.Get(ctx, in.TrackID)
				if err != nil {
					return tiki.TrackedRequest{}, notFound(err, "product request "+in.TrackID, "create_product_request")
				}
				return *rec, nil
			}),
		tool("list_event_queues", "List event queues",
			"Lists the app's event queues on Tiki (code, name, status): the queues that carry order, price and stock events.",
			false, readOnly, func(ctx context.Context, _ none) (queuesOut, error) {
				qs, _, err := client.EventQueue.ListQueues(ctx)
				if err != nil {
					return queuesOut{}, err
				}
				return queuesOut{Queues: append([]tiki.EventQueue{}, qs...)}, nil
			}),

		tool("confirm_order", "Confirm an order",
			"Confirms an order that waits for the seller, through the endpoint of its operation model: every waiting item, from the first seller warehouse "+
				"Tiki maps to the order (dropship: with the first pickup slot), unless the arguments say otherwise. Items in cancel_item_ids are canceled by Tiki. "+
				"Tiki then expects the seller to ship: confirm only what the seller can supply. A confirmation is sent once; dry_run shows it without sending.",
			true, writeAnnotations(true, false), func(ctx context.Context, in confirmIn) (confirmResult, error) {
				c, dry := client, (*dryRun)(nil)
				if in.DryRun {
					var err error
					if c, dry, err = a.dryClient(); err != nil {
						return confirmResult{}, err
					}
					defer c.CloseIdleConnections()
				}
				o, _, err := c.Orders.Get(ctx, in.Code, nil)
				if err != nil {
					return confirmResult{}, notFound(err, "order "+in.Code, "list_orders with waiting: true")
				}
				if !o.NeedsConfirmation() {
					return confirmResult{}, invalidf("order %s needs no confirmation (%s, status %s, no item waiting): nothing was sent", in.Code, o.FulfillmentType, o.Status)
				}
				results, err := a.confirmOrders(ctx, c, dry, []tiki.Order{*o}, &tiki.ConfirmOptions{
					SellerInventoryID: in.SellerInventoryID, CancelItemIDs: in.CancelItemIDs, ExpectedPickupTime: in.PickupTime})
				if err != nil {
					return confirmResult{}, err
				}
				return results[0], nil
			}),
		tool("get_order_label", "Get an order's label",
			"Gets the printable label of a confirmed order, chosen by its operation model (shipping label, invoice label, shipping stamp or cross-border label): "+
				"links to Tiki's label pages (HTML), which carry the customer's name and address.",
			true, writeAnnotations(false, true), func(ctx context.Context, in codeIn) (labelResult, error) {
				o, _, err := client.Orders.Get(ctx, in.Code, nil)
				if err != nil {
					return labelResult{}, notFound(err, "order "+in.Code, "list_orders")
				}
				label, _, err := client.Orders.Label(ctx, o, nil)
				if err != nil {
					return labelResult{}, err
				}
				return labelResult{Code: o.Code, FulfillmentType: o.FulfillmentType, URL: label.URL(), URLs: label.URLs}, nil
			}),
		tool("update_seller_delivery", "Report a seller delivery",
			"Reports the outcome of the seller's own delivery of a confirmed seller-delivery order: successful_delivery, or failed_delivery with its cause "+
				"(out_of_needs and out_of_stock cancel the order; redelivery_appointment needs appointment_date).",
			true, writeAnnotations(true, false), func(ctx context.Context, in deliverIn) (actionResult, error) {
				st, err := oneOf("status", in.Status, "a delivery outcome", sellerDeliveryStatuses)
				if err != nil {
					return actionResult{}, err
				}
				if st == "" {
					return actionResult{}, errors.New("tiki: status is required: successful_delivery or failed_delivery")
				}
				fc, err := oneOf("failure_cause", in.FailureCause, "a failure cause", failureCauses)
				if err != nil {
					return actionResult{}, err
				}
				u := tiki.SellerDeliveryUpdate{Status: st, FailureCause: fc, Note: in.Note}
				if in.AppointmentDate != "" {
					t, err := parseTime("appointment_date", in.AppointmentDate)
					if err != nil {
						return actionResult{}, err
					}
					u.AppointmentDate = &t
				}
				return a.toolAction(ctx, client, in.DryRun, in.Code, "deliver", string(st), u, func(ctx context.Context, c *tiki.Client, o *tiki.Order) (*tiki.ActionResult, error) {
					res, _, err := c.Orders.UpdateSellerDelivery(ctx, o, u)
					return res, err
				})
			}),
		tool("update_cross_border_shipment", "Report a cross-border shipment step",
			"Reports a step of the shipment of a confirmed cross-border order the seller ships, one of nine in order from transferring_to_foreign_warehouses to successful_delivery.",
			true, writeAnnotations(false, true), func(ctx context.Context, in shipIn) (actionResult, error) {
				st, err := oneOf("step", in.Step, "a shipment step", shipmentSteps)
				if err != nil {
					return actionResult{}, err
				}
				if st == "" {
					return actionResult{}, fmt.Errorf("tiki: step is required: one of %s", strings.Join(strs(shipmentSteps), ", "))
				}
				u := tiki.ShipmentUpdate{Status: st, UpdateTime: tiki.NewTime(a.now())}
				if in.At != "" {
					if u.UpdateTime, err = parseTime("at", in.At); err != nil {
						return actionResult{}, err
					}
				}
				return a.toolAction(ctx, client, in.DryRun, in.Code, "ship", string(st), u, func(ctx context.Context, c *tiki.Client, o *tiki.Order) (*tiki.ActionResult, error) {
					res, _, err := c.Orders.UpdateCrossBorderShipment(ctx, o, u)
					return res, err
				})
			}),
		tool("set_product", "Set a product's price, status or stock",
			"Sets the price (VND), the status (on sale or not) or the units available per seller warehouse of one product. Stock is absolute, per warehouse: "+
				"list every warehouse the product is stocked in, since Tiki sets one left out to 0 (such a call is refused). dry_run shows the request without sending it.",
			true, writeAnnotations(true, true), func(ctx context.Context, in setProductIn) (setResult, error) {
				if (in.SKU == "") == (in.ProductID == 0) {
					return setResult{}, errors.New("tiki: give sku or product_id, one of them")
				}
				u, err := in.update(false)
				if err != nil {
					return setResult{}, err
				}
				c, dry := client, (*dryRun)(nil)
				if in.DryRun {
					if c, dry, err = a.dryClient(); err != nil {
						return setResult{}, err
					}
					defer c.CloseIdleConnections()
				}
				r, err := setProduct(ctx, c, dry, u, "quantities")
				if err != nil {
					return setResult{}, err
				}
				return *r, nil
			}),
		tool("create_product_request", "Create a product request",
			"Sends a product request to Tiki: Tiki reviews it (a bot, the documents, a person) and, once approved, the product exists; track_product_request follows it. "+
				"The request is checked first and every problem reported at once. It is sent once: after a failure, track it before sending it again.",
			true, writeAnnotations(false, false), func(ctx context.Context, in createRequestIn) (tiki.TrackedRequest, error) {
				rec, _, err := client.ProductRequests.Create(ctx, in.Product)
				if err != nil {
					return tiki.TrackedRequest{}, err
				}
				return *rec, nil
			}),
	}
	for i := range tools {
		if in, ok := tools[i].tool.InputSchema.(*jsonschema.Schema); ok && in != nil && tools[i].name == "create_product_request" && in.Properties["product"] != nil {
			// Tiki takes a product without images or option attributes (the
			// SDK sends them as []): an assistant need not give them.
			p := in.Properties["product"]
			p.Required = slices.DeleteFunc(p.Required, func(f string) bool { return f == "images" || f == "option_attributes" })
		}
	}
	return append(tools, a.stockTools(client)...)
}

// toolAction sends an order action for a tool, or records it in a dry run.
func (a *app) toolAction(ctx context.Context, client *tiki.Client, isDry bool, code, action, status string, update any, send actionSender) (actionResult, error) {
	c, dry := client, (*dryRun)(nil)
	if isDry {
		var err error
		if c, dry, err = a.dryClient(); err != nil {
			return actionResult{}, err
		}
		defer c.CloseIdleConnections()
	}
	r, err := orderAction(ctx, c, dry, code, action, status, update, send)
	if err != nil {
		return actionResult{}, err
	}
	return *r, nil
}
