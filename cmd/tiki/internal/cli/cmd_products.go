package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tikisdk/tiki"
)

// productQuery is the filters of a product list, as the flags of tiki
// products list and the arguments of the products_list tool give them.
type productQuery struct {
	Name        string   `json:"name,omitempty" jsonschema:"search product names (full text)"`
	Active      *bool    `json:"active,omitempty" jsonschema:"true keeps the products switched on for sale, false those switched off"`
	CategoryID  int64    `json:"category_id,omitempty" jsonschema:"keep the products of this primary category"`
	Include     []string `json:"include,omitempty" jsonschema:"what each product carries besides the basics: inventory (the default: stock per warehouse), seller, categories, attributes, images"`
	CreatedFrom string   `json:"created_from,omitempty" jsonschema:"products created at or after this time: 2025-06-02 or 2025-06-02 15:04:05, Vietnam time"`
	CreatedTo   string   `json:"created_to,omitempty" jsonschema:"products created at or before this time"`
	UpdatedFrom string   `json:"updated_from,omitempty" jsonschema:"products updated at or after this time"`
	UpdatedTo   string   `json:"updated_to,omitempty" jsonschema:"products updated at or before this time"`
	Page        int      `json:"page,omitempty" jsonschema:"the page to read, from 1"`
	Limit       int      `json:"limit,omitempty" jsonschema:"products per page, 1 to 100 (Tiki's default: 20)"`
}

// options turns the query into the SDK's options, checking every value
// first.
func (q productQuery) options(flags bool) (*tiki.ProductsOptions, error) {
	n := func(name string) string { return argName(name, flags) }
	opts := &tiki.ProductsOptions{Name: strings.TrimSpace(q.Name), CategoryID: q.CategoryID}
	if q.CategoryID < 0 {
		return nil, fmt.Errorf("%s %d is not a category id", n("category_id"), q.CategoryID)
	}
	if q.Active != nil {
		flag := tiki.ProductInactive
		if *q.Active {
			flag = tiki.ProductActive
		}
		opts.Active = &flag
	}
	include := q.Include
	if include == nil {
		include = []string{string(tiki.IncludeInventory)}
	}
	var err error
	if opts.Include, err = allOf(n("include"), include, "a product part", productIncludes); err != nil {
		return nil, err
	}
	if err := parseTimes(flags,
		timeArg{"created_from", q.CreatedFrom, &opts.CreatedFrom}, timeArg{"created_to", q.CreatedTo, &opts.CreatedTo},
		timeArg{"updated_from", q.UpdatedFrom, &opts.UpdatedFrom}, timeArg{"updated_to", q.UpdatedTo, &opts.UpdatedTo},
	); err != nil {
		return nil, err
	}
	if opts.ListOptions, err = listOptions(q.Page, q.Limit, flags); err != nil {
		return nil, err
	}
	return opts, nil
}

// stockText renders a product's stock per warehouse, WAREHOUSE=UNITS
// available, as products set --qty takes it.
func stockText(p *tiki.Product) string {
	if p.Inventory == nil {
		return ""
	}
	parts := make([]string, 0, len(p.Inventory.WarehouseStocks))
	for _, s := range p.Inventory.WarehouseStocks {
		parts = append(parts, fmt.Sprintf("%d=%d", s.WarehouseID, s.QuantityAvailable))
	}
	return strings.Join(parts, " ")
}

// activeText renders a product's active flag.
func activeText(p *tiki.Product) string {
	switch {
	case p.Active == nil:
		return ""
	case *p.Active == tiki.ProductActive:
		return "yes"
	}
	return "no"
}

// productColumns are the columns of a product list.
var productColumns = []column[tiki.Product]{
	{"product_id", "PRODUCT ID", func(p *tiki.Product) string { return itoa(p.ProductID) }},
	{"original_sku", "SELLER SKU", func(p *tiki.Product) string { return p.OriginalSKU }},
	{"sku", "TIKI SKU", func(p *tiki.Product) string { return p.SKU }},
	{"name", "NAME", func(p *tiki.Product) string { return p.Name }},
	{"price", "PRICE (VND)", func(p *tiki.Product) string { return p.Price.String() }},
	{"active", "ACTIVE", activeText},
	{"inventory.inventory_type", "INVENTORY", func(p *tiki.Product) string {
		if p.Inventory == nil {
			return ""
		}
		return string(p.Inventory.InventoryType)
	}},
	{"inventory.warehouse_stocks", "AVAILABLE (WAREHOUSE=UNITS)", stockText},
}

// productDetail are the fields of one product, in a table.
var productDetail = append(slices.Clone(productColumns[:5]),
	column[tiki.Product]{"market_price", "MARKET PRICE (VND)", func(p *tiki.Product) string { return p.MarketPrice.String() }},
	productColumns[5], productColumns[6], productColumns[7],
	column[tiki.Product]{"created_at", "CREATED", func(p *tiki.Product) string { return when(p.CreatedAt) }},
	column[tiki.Product]{"updated_at", "UPDATED", func(p *tiki.Product) string { return when(p.UpdatedAt) }},
)

// warehouseStockColumns are the columns of a product's stock.
var warehouseStockColumns = []column[tiki.InventoryStock]{
	{"warehouse_id", "WAREHOUSE", func(s *tiki.InventoryStock) string { return itoa(s.WarehouseID) }},
	{"quantity_available", "AVAILABLE", func(s *tiki.InventoryStock) string { return itoa(s.QuantityAvailable) }},
	{"quantity_reserved", "RESERVED", func(s *tiki.InventoryStock) string { return itoa(s.QuantityReserved) }},
	{"quantity_sellable", "SELLABLE", func(s *tiki.InventoryStock) string { return itoa(s.QuantitySellable) }},
}

func (a *app) productsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "products",
		Short: "List products and set their price, stock and status",
		Example: `  tiki products list
  tiki products get SO-TAY-A5
  tiki products set SO-TAY-A5 --price 125000 --qty 919=20,903=10
  tiki products stock audit stock.csv`,
	}
	cmd.AddCommand(a.productsListCommand(), a.productsGetCommand(), a.productsSetCommand())
	cmd.AddCommand(a.stockCommands()...)
	return cmd
}

func (a *app) productsListCommand() *cobra.Command {
	var (
		q      productQuery
		active bool
		all    bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the seller's products with their stock, one page or --all",
		Long: `List the seller's approved products, with their stock per warehouse. Without --all it reads one page
(--page, --limit) and says on stderr when more follow; with --all it walks every page, several in flight.
JSON output is an array of products in the SDK's shape (tiki.Product); CSV has one product per row.`,
		Example: `  tiki products list
  tiki products list --name "sổ tay" --active
  tiki products list --all -o csv > products.csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("active") {
				q.Active = &active
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
			return productSource(cmd.Context(), client, opts).print(a, productColumns, all)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Name, "name", "", "search product names (full text)")
	f.BoolVar(&active, "active", false, "--active keeps the products on sale, --active=false those switched off")
	f.Int64Var(&q.CategoryID, "category", 0, "keep the products of this primary category (tiki catalog categories)")
	f.StringSliceVar(&q.Include, "include", nil, "what each product carries (JSON output): "+strings.Join(strs(productIncludes), ", ")+" (default inventory)")
	f.StringVar(&q.CreatedFrom, "created-from", "", "products created at or after this time (2025-06-02, \"2025-06-02 15:04:05\"; Vietnam time)")
	f.StringVar(&q.CreatedTo, "created-to", "", "products created at or before this time")
	f.StringVar(&q.UpdatedFrom, "updated-from", "", "products updated at or after this time")
	f.StringVar(&q.UpdatedTo, "updated-to", "", "products updated at or before this time")
	f.IntVar(&q.Page, "page", 0, "the page to read, from 1 (default 1)")
	f.IntVar(&q.Limit, "limit", 0, "products per page, 1 to 100 (default: Tiki's, 20)")
	f.BoolVar(&all, "all", false, "walk every page")
	_ = cmd.RegisterFlagCompletionFunc("include", fixedCompletion(strs(productIncludes)...))
	return cmd
}

// findProduct reads one product, with its stock per warehouse, by the
// seller's SKU or, when id is set, by Tiki's product id.
func findProduct(ctx context.Context, client *tiki.Client, sku string, id int64) (*tiki.Product, error) {
	if id == 0 {
		page, _, err := client.Products.FindByOriginalSKU(ctx, sku)
		if err != nil {
			return nil, err
		}
		if len(page.Data) == 0 {
			return nil, &cliError{code: ExitRefused, msg: fmt.Sprintf("no product has the seller SKU %q on Tiki: tiki products list lists them", sku)}
		}
		id = page.Data[0].ProductID
	}
	p, _, err := client.Products.Get(ctx, id)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("product %d", id), "tiki products list")
	}
	return p, nil
}

// productRef reads the product named by a command's argument or --id.
func productRef(cmd *cobra.Command, args []string, id int64) (string, error) {
	switch {
	case len(args) == 1 && id != 0:
		return "", usagef(cmd, "name the product by its SKU or by --id, not both")
	case len(args) == 0 && id == 0:
		return "", usagef(cmd, "name the product by its seller SKU, or by Tiki's product id with --id")
	case len(args) > 1:
		return "", usagef(cmd, "%s takes one SKU, got %d", cmd.CommandPath(), len(args))
	case id < 0:
		return "", usagef(cmd, "--id %d is not a product id", id)
	case len(args) == 1:
		return args[0], nil
	}
	return "", nil
}

func (a *app) productsGetCommand() *cobra.Command {
	var id int64
	cmd := &cobra.Command{
		Use:   "get SKU",
		Short: "Show one product with its stock per warehouse, by seller SKU or --id",
		Example: `  tiki products get SO-TAY-A5
  tiki products get --id 100001 -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sku, err := productRef(cmd, args, id)
			if err != nil {
				return err
			}
			client, err := a.client(false)
			if err != nil {
				return err
			}
			p, err := findProduct(cmd.Context(), client, sku, id)
			if err != nil {
				return err
			}
			return writeOne(a, p, productDetail, func(w io.Writer) error {
				if p.Inventory == nil || len(p.Inventory.WarehouseStocks) == 0 {
					return nil
				}
				fmt.Fprintln(w)
				return writeListTo(a, w, warehouseStockColumns, "warehouses", p.Inventory.WarehouseStocks)
			})
		},
	}
	cmd.Flags().Int64Var(&id, "id", 0, "Tiki's product id, instead of the seller SKU")
	return cmd
}

// productChange is a change of one product's price, status or stock, as
// the flags of tiki products set and the arguments of the products_set
// tool give it.
type productChange struct {
	SKU        string   `json:"sku,omitempty" jsonschema:"the seller's SKU of the product (its original_sku); or give product_id"`
	ProductID  int64    `json:"product_id,omitempty" jsonschema:"Tiki's id of the product; or give sku"`
	Price      int64    `json:"price,omitempty" jsonschema:"the new selling price in VND, a whole number"`
	Active     *bool    `json:"active,omitempty" jsonschema:"true switches the product on for sale, false switches it off"`
	Quantities []string `json:"quantities,omitempty" jsonschema:"the units available per seller warehouse, each WAREHOUSE=UNITS (for example 919=12); list every warehouse the product is stocked in: Tiki sets a warehouse left out to 0"`
}

// update checks the change and returns the SDK's update.
func (c productChange) update(flags bool) (tiki.ProductUpdate, error) {
	n := func(name string) string { return argName(name, flags) }
	u := tiki.ProductUpdate{OriginalSKU: strings.TrimSpace(c.SKU), ProductID: c.ProductID, Price: tiki.Money(c.Price)}
	switch {
	case c.Price < 0:
		return u, fmt.Errorf("%s %d: a price is a positive number of VND", n("price"), c.Price)
	case c.ProductID < 0:
		return u, fmt.Errorf("%s %d is not a product id", n("product_id"), c.ProductID)
	}
	if c.Active != nil {
		flag := tiki.ProductInactive
		if *c.Active {
			flag = tiki.ProductActive
		}
		u.Active = &flag
	}
	qtyName := n("quantities")
	if flags {
		qtyName = "--qty"
	}
	var err error
	if u.WarehouseQuantities, err = parseQuantities(qtyName, c.Quantities); err != nil {
		return u, err
	}
	if u.Price == 0 && u.Active == nil && len(u.WarehouseQuantities) == 0 {
		if flags {
			return u, fmt.Errorf("nothing to set: give --price, --active (or --active=false) or --qty")
		}
		return u, fmt.Errorf("nothing to set: give price, active or quantities")
	}
	return u, nil
}

// checkWarehouses refuses quantities that leave out a warehouse where the
// product is stocked on Tiki, since Tiki sets such a warehouse to 0.
func checkWarehouses(p *tiki.Product, u tiki.ProductUpdate, qtyName string) error {
	if len(u.WarehouseQuantities) == 0 || p.Inventory == nil {
		return nil
	}
	var missing, keep []string
	for _, s := range p.Inventory.WarehouseStocks {
		if !slices.ContainsFunc(u.WarehouseQuantities, func(q tiki.WarehouseQuantity) bool { return q.WarehouseID == s.WarehouseID }) {
			missing = append(missing, fmt.Sprintf("%d (%d units)", s.WarehouseID, s.QuantityAvailable))
			keep = append(keep, fmt.Sprintf("%d=%d", s.WarehouseID, s.QuantityAvailable))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return invalidf("%s leaves out warehouse %s of product %s, and Tiki sets a warehouse left out to 0: add %s %s to keep its units (or WAREHOUSE=0 to empty it); nothing was sent",
		qtyName, strings.Join(missing, ", "), productName(p), qtyName, strings.Join(keep, ","))
}

// productName names a product in a message: its SKU, or its id.
func productName(p *tiki.Product) string {
	if p.OriginalSKU != "" {
		return p.OriginalSKU
	}
	return itoa(p.ProductID)
}

// setResult is what tiki products set sent, or would send.
type setResult struct {
	// Update is the update as the SDK sends it.
	Update tiki.ProductUpdate `json:"update"`
	// DryRun reports that nothing was sent: Request is what would be.
	DryRun bool `json:"dry_run,omitempty"`
	// Request is the request a dry run did not send.
	Request *wireRequest `json:"request,omitempty"`
	// State is Tiki's answer: approved when the update was applied.
	State tiki.RequestState `json:"state,omitempty"`
}

var setColumns = []column[setResult]{
	{"update.product_id", "PRODUCT ID", func(r *setResult) string { return zeroDash(r.Update.ProductID) }},
	{"update.original_sku", "SELLER SKU", func(r *setResult) string { return r.Update.OriginalSKU }},
	{"update.price", "PRICE (VND)", func(r *setResult) string { return zeroDash(int64(r.Update.Price)) }},
	{"update.active", "ACTIVE", func(r *setResult) string {
		if r.Update.Active == nil {
			return ""
		}
		return yesNo(*r.Update.Active == tiki.ProductActive)
	}},
	{"update.warehouse_quantities", "AVAILABLE (WAREHOUSE=UNITS)", func(r *setResult) string {
		parts := make([]string, len(r.Update.WarehouseQuantities))
		for i, q := range r.Update.WarehouseQuantities {
			parts[i] = fmt.Sprintf("%d=%d", q.WarehouseID, q.QtyAvailable)
		}
		return strings.Join(parts, " ")
	}},
	{"state", "RESULT", func(r *setResult) string {
		if r.DryRun && r.Request != nil {
			return "would send " + r.Request.Method + " " + r.Request.Path + " " + string(r.Request.Body)
		}
		return string(r.State)
	}},
}

// setProduct applies a change to one product (or records it in a dry run):
// the product is read first when the change sets stock, so that no
// warehouse is emptied by being left out.
func setProduct(ctx context.Context, client *tiki.Client, dry *dryRun, u tiki.ProductUpdate, qtyName string) (*setResult, error) {
	if len(u.WarehouseQuantities) > 0 {
		p, err := findProduct(ctx, client, u.OriginalSKU, u.ProductID)
		if err != nil {
			return nil, err
		}
		if err := checkWarehouses(p, u, qtyName); err != nil {
			return nil, err
		}
	}
	res, _, err := client.Products.Update(ctx, u)
	if err != nil {
		return nil, err
	}
	r := &setResult{Update: u, DryRun: dry != nil}
	if dry != nil {
		if sent := dry.take(); len(sent) > 0 {
			r.Request = &sent[len(sent)-1]
		}
	} else {
		r.State = res.State
	}
	return r, nil
}

func (a *app) productsSetCommand() *cobra.Command {
	var (
		c      productChange
		active bool
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "set SKU",
		Short: "Set a product's price, status or stock per warehouse",
		Long: `Set the price, the status (on sale or not) or the units available per seller warehouse of one product,
named by its seller SKU or by --id. Stock is set per warehouse, WAREHOUSE=UNITS: list every warehouse the product
is stocked in, since Tiki sets a warehouse left out to 0 (the command reads the product first and refuses a
--qty that leaves one out). An update sets absolute values: running it again is safe.`,
		Example: `  tiki products set SO-TAY-A5 --price 125000
  tiki products set SO-TAY-A5 --qty 919=20 --qty 903=10
  tiki products set --id 100003 --active=false
  tiki products set SO-TAY-A5 --price 125000 --dry-run -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sku, err := productRef(cmd, args, c.ProductID)
			if err != nil {
				return err
			}
			c.SKU = sku
			if cmd.Flags().Changed("active") {
				c.Active = &active
			}
			u, err := c.update(true)
			if err != nil {
				return usagef(cmd, "%s", err)
			}
			client, err := a.client(dryRun)
			if err != nil {
				return err
			}
			r, err := setProduct(cmd.Context(), client, a.sess.dry, u, "--qty")
			if err != nil {
				return err
			}
			return writeOne(a, r, setColumns, nil)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&c.ProductID, "id", 0, "Tiki's product id, instead of the seller SKU")
	f.Int64Var(&c.Price, "price", 0, "the new selling price in VND")
	f.BoolVar(&active, "active", false, "--active switches the product on for sale, --active=false switches it off")
	f.StringSliceVar(&c.Quantities, "qty", nil, "units available in a seller warehouse, WAREHOUSE=UNITS (repeat, or comma-separate, for each warehouse)")
	f.BoolVar(&dryRun, "dry-run", false, "show the request that would be sent, and send nothing")
	return cmd
}
