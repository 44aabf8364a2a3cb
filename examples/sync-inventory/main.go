// Command sync-inventory pushes prices and stock for many SKUs with
// client.Products.UpdateBatch, which sends them 20 per call with many calls
// in flight at once (within the client's rate limit), shows a progress line
// as calls finish, and reports the items Tiki refused one by one.
//
//	go run ./examples/sync-inventory             # 1,000 SKUs on the built-in fake
//	go run ./examples/sync-inventory -n 5000
//	go run ./examples/sync-inventory -write      # against Tiki: really send
//
// With no credentials in the environment it runs against the built-in fake
// Tiki: it first lists n products there (through the fake's Go API), then
// syncs a feed of new prices and stock for them, plus a few items that are
// wrong on purpose (an unknown SKU, a price above the listing price, a
// warehouse the seller does not have) to show how refusals are reported.
//
// With credentials (TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and
// TIKI_CLIENT_SECRET; TIKI_ENV=sandbox|production, default sandbox) it reads
// the seller's products from Tiki and builds the feed from what it read:
// each product's current price and stock, so that sending it changes
// nothing. It sends only with -write. A real sync takes prices and stock
// from the seller's own system instead.
//
// It exits with status 1 when an item is refused (apart from the fake's
// deliberate ones) or a call fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	n := flag.Int("n", 1000, "how many products to list and sync on the fake")
	write := flag.Bool("write", false, "against Tiki: send the updates (default: read only)")
	flag.Parse()
	if err := run(*n, *write); err != nil {
		fmt.Fprintln(os.Stderr, "sync-inventory:", err)
		os.Exit(1)
	}
}

// feedItem is one line of the feed: a product's new price and stock.
type feedItem struct {
	item tiki.BatchUpdateItem
	// deliberate marks an item made wrong on purpose.
	deliberate bool
}

func run(n int, write bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if n < 1 {
		return errors.New("-n must be at least 1")
	}

	var (
		client *tiki.Client
		feed   []feedItem
		srv    *tikitest.Server
	)
	if onFake() {
		var err error
		if srv, err = tikitest.Start(); err != nil {
			return err
		}
		defer srv.Close()
		if client, err = srv.Client(); err != nil {
			return err
		}
		fmt.Println("Talking to the built-in fake Tiki at", srv.URL, "(set", setup.EnvAccessToken, "or", setup.EnvClientID+"/"+setup.EnvClientSecret, "to use Tiki)")
		if feed, err = seedFake(srv, n); err != nil {
			return err
		}
		write = true
	} else {
		c, target, closeFn, err := setup.Client()
		if err != nil {
			return err
		}
		defer closeFn()
		client = c
		fmt.Println("Talking to", target)
		if feed, err = feedFromTiki(ctx, client); err != nil {
			return err
		}
	}

	if len(feed) == 0 {
		fmt.Println("\nNothing to sync.")
		return nil
	}
	calls := (len(feed) + tiki.MaxBatchUpdate - 1) / tiki.MaxBatchUpdate
	if !write {
		fmt.Printf("\nRead only: %d items would be sent in %d calls. Pass -write to send them. First items:\n", len(feed), calls)
		for _, f := range feed[:min(5, len(feed))] {
			fmt.Printf("  %s\n", describe(f.item))
		}
		return nil
	}

	results, err := syncFeed(ctx, client, feed)
	if err != nil {
		return err
	}
	if srv != nil {
		showSample(srv, feed)
	}
	return report(feed, results)
}

// onFake reports whether setup.Client would start the built-in fake: no
// credentials and no base URL in the environment.
func onFake() bool {
	for _, k := range []string{setup.EnvAccessToken, setup.EnvClientID, setup.EnvClientSecret, setup.EnvSellerKey, setup.EnvBaseURL} {
		if os.Getenv(k) != "" {
			return false
		}
	}
	return true
}

// seedFake lists n products on the fake (price 100,000 VND, listing price
// 150,000 VND, 10 in each of two warehouses) and returns a feed for them
// with new prices and stock, and three deliberately wrong items at the end.
func seedFake(srv *tikitest.Server, n int) ([]feedItem, error) {
	start := time.Now()
	fmt.Printf("\nListing %d products on the fake...", n)
	for i := range n {
		_, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: fmt.Sprintf("Sách y khoa tập %d", i+1), Description: "<p>Sách y khoa</p>",
			MarketPrice: 150000, Attributes: map[string]any{"brand": "NXB Y học"},
			Image: "https://images-na.ssl-images-amazon.com/images/I/715uwlmCWsL.jpg", Images: []string{},
			OptionAttributes: []string{}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{{SKU: sku(i), Price: 100000, SellerWarehouse: "919,903",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 10}, {WarehouseID: 903, QtyAvailable: 10}}}},
		})
		if err != nil {
			return nil, err
		}
	}
	fmt.Printf(" done in %v\n", time.Since(start).Round(time.Millisecond))

	feed := make([]feedItem, 0, n+3)
	for i := range n {
		feed = append(feed, feedItem{item: tiki.BatchUpdateItem{
			OriginalSKU: sku(i),
			Price:       tiki.Money(100000 + (i%50)*500),
			WarehouseQuantities: []tiki.WarehouseQuantity{
				{WarehouseID: 919, QtyAvailable: i % 40},
				{WarehouseID: 903, QtyAvailable: (i * 7) % 25},
			},
		}})
	}
	feed = append(feed,
		feedItem{item: tiki.BatchUpdateItem{OriginalSKU: "SYNC-UNKNOWN", Price: 120000}, deliberate: true},
		feedItem{item: tiki.BatchUpdateItem{OriginalSKU: sku(0), Price: 990000}, deliberate: true},
		feedItem{item: tiki.BatchUpdateItem{OriginalSKU: sku(min(1, n-1)), WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 1054, QtyAvailable: 3}}}, deliberate: true},
	)
	fmt.Printf("Feed: %d items, the last 3 wrong on purpose\n", len(feed))
	return feed, nil
}

func sku(i int) string { return fmt.Sprintf("SYNC-%05d", i) }

// feedFromTiki reads every product of the seller and returns a feed that
// sets each one's current price and stock (stock of products kept in
// Tiki's warehouses cannot be set by the seller, so only their price).
func feedFromTiki(ctx context.Context, client *tiki.Client) ([]feedItem, error) {
	fmt.Print("\nReading the seller's products...")
	var feed []feedItem
	opts := &tiki.ProductsOptions{Include: []tiki.ProductInclude{tiki.IncludeInventory}, ListOptions: tiki.ListOptions{Limit: 100}}
	for p, err := range client.Products.All(ctx, opts) {
		if err != nil {
			fmt.Println()
			return nil, fmt.Errorf("reading products: %w", err)
		}
		it := tiki.BatchUpdateItem{ProductID: p.ProductID, Price: p.Price}
		if inv := p.Inventory; inv != nil && inv.InventoryType != tiki.InventoryInstock {
			for _, ws := range inv.WarehouseStocks {
				it.WarehouseQuantities = append(it.WarehouseQuantities, tiki.WarehouseQuantity{WarehouseID: ws.WarehouseID, QtyAvailable: ws.QuantityAvailable})
			}
		}
		if it.Price <= 0 && len(it.WarehouseQuantities) == 0 {
			continue
		}
		feed = append(feed, feedItem{item: it})
		if len(feed)%500 == 0 {
			fmt.Printf(" %d...", len(feed))
		}
	}
	fmt.Printf(" %d products\n", len(feed))
	return feed, nil
}

// syncFeed sends the feed in one UpdateBatch, showing progress as its
// calls finish, and returns one result per item. A failed call fails only
// its own items: the rest of the feed is still sent, and every item's
// outcome is reported.
func syncFeed(ctx context.Context, client *tiki.Client, feed []feedItem) (tiki.BatchResults, error) {
	items := make([]tiki.BatchUpdateItem, len(feed))
	for i, f := range feed {
		items[i] = f.item
	}
	calls := (len(items) + tiki.MaxBatchUpdate - 1) / tiki.MaxBatchUpdate
	fmt.Printf("\nSending %d items in %d calls of up to %d, up to %d at once:\n",
		len(items), calls, tiki.MaxBatchUpdate, tiki.DefaultBatchConcurrency)
	progress := newProgress(len(items))
	start := time.Now()
	// The progress function is called one call at a time, so it needs no
	// lock of its own.
	results, _, err := client.Products.UpdateBatch(ctx, items, tiki.WithBatchProgress(progress.update))
	progress.done()
	if err != nil {
		if results != nil { // nil when the feed was refused before sending
			_ = report(feed, results)
		}
		return nil, fmt.Errorf("the sync did not complete: %w", err)
	}
	fmt.Printf("Sent in %v\n", time.Since(start).Round(time.Millisecond))
	return results, nil
}

// report prints the outcome and the refused items; it returns an error
// when an item that was not wrong on purpose was not applied.
func report(feed []feedItem, results tiki.BatchResults) error {
	failures := results.Failures()
	fmt.Printf("\n%d of %d items applied, %d refused or not sent.\n", len(results)-len(failures), len(feed), len(failures))
	if len(failures) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ITEM\tPRODUCT\tCODE\tREASON")
	unexpected := 0
	for _, f := range failures {
		product := f.OriginalSKU
		if product == "" {
			product = fmt.Sprint(f.ProductID)
		}
		reason, code := strings.Join(f.Messages, "; "), f.Code
		if f.Err != nil {
			reason, code = f.Err.Error(), "(no answer)"
		}
		note := ""
		if feed[f.Index].deliberate {
			note = " (on purpose)"
		} else {
			unexpected++
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s%s\n", f.Index, product, code, reason, note)
	}
	tw.Flush()
	if unexpected > 0 {
		return fmt.Errorf("%d items were not applied: fix them and send them again (updates set absolute values)", unexpected)
	}
	return nil
}

// showSample prints a few products as the fake now has them.
func showSample(srv *tikitest.Server, feed []feedItem) {
	fmt.Println("\nA few products after the sync:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  SELLER SKU\tPRICE\tSTOCK PER WAREHOUSE\tVERSION")
	for _, i := range []int{0, 1, len(feed) / 2, len(feed) - 4} {
		if i < 0 || feed[i].deliberate {
			continue
		}
		p, ok := srv.Product(feed[i].item.OriginalSKU)
		if !ok {
			continue
		}
		var stock []string
		for _, ws := range p.Inventory.WarehouseStocks {
			stock = append(stock, fmt.Sprintf("%d: %d", ws.WarehouseID, ws.QuantityAvailable))
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%d\n", p.OriginalSKU, p.Price, strings.Join(stock, ", "), p.Version)
	}
	tw.Flush()
}

func describe(it tiki.BatchUpdateItem) string {
	var stock []string
	for _, wq := range it.WarehouseQuantities {
		stock = append(stock, fmt.Sprintf("%d: %d", wq.WarehouseID, wq.QtyAvailable))
	}
	return fmt.Sprintf("product %d: price %d, stock [%s]", it.ProductID, it.Price, strings.Join(stock, ", "))
}

// progress shows how many items were sent: one line rewritten in place on
// a terminal, a line per tenth otherwise.
type progress struct {
	total, shown int
	tty          bool
}

func newProgress(total int) *progress {
	fi, err := os.Stdout.Stat()
	return &progress{total: total, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

// update shows that sent of total items have their outcome; it is the
// batch's progress function.
func (p *progress) update(sent, total int) {
	p.total = total
	const width = 30
	bar := strings.Repeat("#", width*sent/p.total) + strings.Repeat(".", width-width*sent/p.total)
	line := fmt.Sprintf("  [%s] %d/%d items", bar, sent, p.total)
	switch {
	case p.tty:
		fmt.Print("\r" + line)
	case sent == p.total || sent-p.shown >= max(1, p.total/10):
		fmt.Println(line)
		p.shown = sent
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Println()
	}
}
