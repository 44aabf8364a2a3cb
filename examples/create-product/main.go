// Command create-product lists a product on Tiki: it finds a primary
// category and the attributes it requires, creates a product request with
// two variants (one per color), waits for Tiki to approve it and reads the
// products back.
//
//	go run ./examples/create-product
//	go run ./examples/create-product -category 218 -wait 10m
//
// With no credentials in the environment it runs against the built-in fake
// Tiki, which approves a request a few seconds after it is created, as
// Tiki's sandbox does. Set TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and
// TIKI_CLIENT_SECRET (and TIKI_ENV=sandbox|production, default sandbox) to
// talk to Tiki itself: the product is then really created, and on
// production a person at Tiki reviews it, which may take longer than -wait
// (the request keeps going; follow it with its track id).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
)

func main() {
	category := flag.Int64("category", 0, "primary category to list the product in (default: the first that accepts products)")
	wait := flag.Duration("wait", 2*time.Minute, "how long to wait for Tiki's approval")
	flag.Parse()
	if err := run(*category, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "create-product:", err)
		os.Exit(1)
	}
}

func run(categoryID int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait+time.Minute)
	defer cancel()

	client, target, closeFake, err := setup.Client()
	if err != nil {
		return err
	}
	defer closeFake()
	fmt.Println("Talking to", target)

	// 1. A primary category that accepts products, and what it requires.
	cat, err := pickCategory(ctx, client, categoryID)
	if err != nil {
		return err
	}
	fmt.Printf("\nCategory: %s (%d)\n", cat.Name, cat.ID)
	attributes, err := requiredAttributes(ctx, client, cat.ID)
	if err != nil {
		return err
	}

	// 2. An active pickup warehouse of the seller to hold the stock.
	warehouses, _, err := client.Sellers.ListWarehouses(ctx, &tiki.SellerWarehouseListOptions{
		Active: tiki.Ptr(true),
		Type:   tiki.Ptr(tiki.WarehouseTypePickup),
	})
	if err != nil {
		return fmt.Errorf("listing the seller's warehouses: %w", err)
	}
	if len(warehouses.Data) == 0 {
		return errors.New("the seller has no active pickup warehouse registered with Tiki")
	}
	wh := warehouses.Data[0]
	fmt.Printf("Warehouse: %s (seller warehouse %d)\n", wh.Name, wh.ID)

	// 3. The product request: one variant per color.
	stamp := time.Now().Format("20060102-150405")
	product := tiki.NewProduct{
		CategoryID:       cat.ID,
		Name:             "Sổ tay bìa da " + stamp,
		Description:      "<p>Sổ tay bìa da, 200 trang giấy kem, khổ A5.</p>",
		MarketPrice:      159000,
		Attributes:       attributes,
		Image:            "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsL.jpg",
		Images:           []string{"https://images-na.ssl-images-amazon.com/images/I/41FuQMh3FUL.jpg"},
		OptionAttributes: []string{"color"},
		MetaData:         &tiki.ProductMetaData{IsAutoTurnOn: true},
	}
	for i, color := range []string{"Red", "Blue"} {
		product.Variants = append(product.Variants, tiki.Variant{
			SKU:             "DEMO-" + stamp + "-" + color,
			Price:           129000,
			Option1:         color,
			SellerWarehouse: fmt.Sprint(wh.ID),
			WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: wh.ID, QtyAvailable: 10 + 5*i}},
		})
	}
	created, _, err := client.ProductRequests.Create(ctx, product)
	if err != nil {
		return fmt.Errorf("creating the product request: %w", err)
	}
	fmt.Printf("\nProduct request created: track id %s (%s)\n", created.TrackID, created.State)

	// 4. Wait for Tiki's verdict, showing each state it passes through.
	waitCtx, stop := context.WithTimeout(ctx, wait)
	defer stop()
	start, last := time.Now(), created.State
	rec, _, err := client.Tracking.Wait(waitCtx, created.TrackID, &tiki.WaitOptions{
		Interval: time.Second, MaxInterval: 15 * time.Second,
		OnPoll: func(r *tiki.TrackedRequest) {
			if r.State != last {
				fmt.Printf("  %5.1fs  %s\n", time.Since(start).Seconds(), r.State)
				last = r.State
			}
		},
	})
	if err != nil {
		return fmt.Errorf("%w\nthe request goes on: check it later with client.Tracking.Get(ctx, %q)", err, created.TrackID)
	}
	switch rec.State {
	case tiki.RequestApproved:
		fmt.Printf("Approved after %.1fs (request %s)\n", time.Since(start).Seconds(), rec.RequestID)
	case tiki.RequestRejected:
		return fmt.Errorf("the request was rejected: %s", rec.ReasonText())
	default:
		return fmt.Errorf("the request ended %s", rec.State)
	}

	// 5. The products the request created.
	rowsPage, _, err := client.ProductRequests.FindByTrackID(ctx, created.TrackID)
	if err != nil {
		return fmt.Errorf("reading the request's products: %w", err)
	}
	rows := rowsPage.Data
	fmt.Println("\nProducts:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PRODUCT ID\tTIKI SKU\tSELLER SKU\tNAME\tPRICE\tSTOCK\tACTIVE")
	for _, row := range rows {
		p, _, err := client.Products.Get(ctx, row.ProductID)
		if err != nil {
			return fmt.Errorf("reading product %d: %w", row.ProductID, err)
		}
		stock := 0
		if p.Inventory != nil {
			for _, ws := range p.Inventory.WarehouseStocks {
				stock += ws.QuantitySellable
			}
		}
		active := p.Active != nil && *p.Active == tiki.ProductActive
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%d\t%v\n", p.ProductID, p.SKU, row.OriginalSKU, p.Name, p.Price, stock, active)
	}
	return tw.Flush()
}

// pickCategory returns the given category, or the first primary category
// that accepts products.
func pickCategory(ctx context.Context, client *tiki.Client, id int64) (*tiki.Category, error) {
	if id != 0 {
		cat, _, err := client.Catalog.GetCategory(ctx, id, nil)
		if err != nil {
			return nil, fmt.Errorf("reading category %d: %w", id, err)
		}
		return cat, nil
	}
	cats, _, err := client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	if err != nil {
		return nil, fmt.Errorf("listing primary categories: %w", err)
	}
	for i := range cats {
		if cats[i].IsProductListingEnabled {
			return &cats[i], nil
		}
	}
	return nil, errors.New("no primary category accepts products")
}

// requiredAttributes fills every attribute the category requires with a
// sample value: the first allowed value of a select, 0 for a yes/no, a
// text otherwise. A real integration maps its own product data instead.
func requiredAttributes(ctx context.Context, client *tiki.Client, categoryID int64) (map[string]any, error) {
	attrs, _, err := client.Catalog.ListAttributes(ctx, categoryID)
	if err != nil {
		return nil, fmt.Errorf("listing the attributes of category %d: %w", categoryID, err)
	}
	values := map[string]any{"brand": "OEM", "origin": "Việt Nam"}
	var required []string
	for _, a := range attrs {
		if !a.IsRequired {
			continue
		}
		required = append(required, a.Code)
		switch a.InputType {
		case tiki.InputSelect, tiki.InputMultiselect:
			page, _, err := client.Catalog.ListAttributeValues(ctx, a.ID, &tiki.AttributeValuesOptions{ListOptions: tiki.ListOptions{Limit: 1}})
			if err != nil {
				return nil, fmt.Errorf("listing the values of attribute %s: %w", a.Code, err)
			}
			if len(page.Data) == 0 {
				return nil, fmt.Errorf("attribute %s is required but has no allowed value", a.Code)
			}
			values[a.Code] = page.Data[0].Value
		case tiki.InputBoolean:
			values[a.Code] = 0
		default:
			if a.DefaultValue != "" {
				values[a.Code] = a.DefaultValue
			} else if _, set := values[a.Code]; !set {
				values[a.Code] = "Sample " + a.Code
			}
		}
	}
	if len(required) == 0 {
		fmt.Printf("Required attributes: none (of %d)\n", len(attrs))
	} else {
		fmt.Printf("Required attributes: %v (of %d)\n", required, len(attrs))
	}
	return values, nil
}
