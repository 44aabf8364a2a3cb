// Command stock-sync keeps the seller's stock and prices on Tiki equal to
// the seller's books, a CSV file, with the reconcile engine. It prints the
// plan (a dry run), applies it and prints the drift report; then, after
// orders arrive and someone edits Seller Center, it audits again and
// reports the drift before it corrects it; then it writes the books'
// changes as they come, many of them to one SKU within a window written
// once.
//
//	go run ./examples/stock-sync                  # on the built-in fake, with books.csv
//	go run ./examples/stock-sync -books my.csv
//	go run ./examples/stock-sync -write           # against Tiki: really write
//
// The books are a CSV file with a header row and one row per SKU and
// warehouse: sku,warehouse,quantity,price (the seller warehouse's id; the
// price may be empty). The engine holds back 10 % of each quantity (at
// least 1 unit), shows 0 below 2 units, and refuses a price change of more
// than 50 % (the books' 24000 for 240000 is a dropped zero).
//
// With no credentials in the environment it runs against the built-in fake
// Tiki, which it first stocks with the books' products, a little off. With
// credentials (TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and TIKI_CLIENT_SECRET;
// TIKI_ENV=sandbox|production, default sandbox) it plans against the
// seller's products and writes only with -write.
//
// It exits with status 1 when a write fails.
package main

import (
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

//go:embed books.csv
var defaultBooks string

func main() {
	booksPath := flag.String("books", "", "the books, as CSV (default: the example's books.csv)")
	write := flag.Bool("write", false, "against Tiki: write the plan (default: plan only)")
	flag.Parse()
	if err := run(*booksPath, *write); err != nil {
		fmt.Fprintln(os.Stderr, "stock-sync:", err)
		os.Exit(1)
	}
}

func run(booksPath string, write bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	src := io.Reader(strings.NewReader(defaultBooks))
	if booksPath != "" {
		f, err := os.Open(booksPath)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	}
	items, err := readBooks(src)
	if err != nil {
		return err
	}

	client, target, fake, closeFake, err := setup.ClientAndFake()
	if err != nil {
		return err
	}
	defer closeFake()
	fmt.Println("Talking to", target)
	if fake != nil {
		if err := stockFake(fake); err != nil {
			return err
		}
		write = true
	}
	warehouses, err := reconcile.SellerWarehouses(ctx, client)
	if err != nil {
		return fmt.Errorf("reading the seller's warehouses: %w", err)
	}
	fmt.Println("The seller's warehouses:", warehouses)

	// What the engine pushed and saw, shared by the two engines below.
	state := reconcile.NewMemoryState()
	eng, err := reconcile.New(client, reconcile.Options{
		Warehouses:     warehouses,
		State:          state,
		Buffer:         reconcile.Buffer{Units: 1, Percent: 10},
		Floor:          2,
		MaxPriceChange: 50,
		Window:         200 * time.Millisecond,
		OnPlan: func(p *reconcile.Plan) error {
			for _, it := range p.Items {
				for _, c := range it.Changes {
					if c.Drift {
						fmt.Printf("  drift: %s %s in %d is %d on Tiki, changed behind the engine's back; back to %d\n",
							it.SKU, c.Field, c.Warehouse, c.Before, c.After)
					}
				}
			}
			return nil
		},
	})
	if err != nil {
		return err
	}

	// (1) The plan: a dry run.
	fmt.Println("\n(1) The plan (a dry run: nothing written yet)")
	plan, err := eng.Plan(ctx, books(items))
	if err != nil {
		return err
	}
	if err := plan.Report().WriteTable(os.Stdout); err != nil {
		return err
	}
	if !write {
		fmt.Println("\nPlan only: pass -write to apply it.")
		return nil
	}

	// (2) Apply it.
	fmt.Println("\n(2) Applied")
	report, err := eng.Apply(ctx, plan)
	if werr := show(report); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if fake == nil {
		return nil
	}

	// (3) Orders arrive on Tiki and someone edits Seller Center; the next
	// audit reports the drift before it corrects it.
	fmt.Println("\n(3) Orders arrive (BOOK-001 x3, BOOK-004 x2) and BOOK-005 is set to 40 in Seller Center; the next audit:")
	for _, o := range []struct {
		sku string
		qty int
	}{{"BOOK-001", 3}, {"BOOK-004", 2}} {
		if _, err := fake.CreateOrder(tikitest.OrderSpec{TikiWarehouse: "hn",
			Items: []tikitest.OrderItemSpec{{SellerProductCode: o.sku, Quantity: o.qty}}}); err != nil {
			return err
		}
	}
	if err := fake.SetStock("BOOK-005", 919, 40); err != nil {
		return err
	}
	report, err = eng.Sync(ctx, books(items))
	if werr := show(report); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	levels, err := fake.Stock("BOOK-001")
	if err != nil {
		return err
	}
	fmt.Printf("  BOOK-001 on Tiki: %+v (the orders' units are held by Tiki, not taken off the books)\n", levels)

	// (4) Changes as they come: a count of BOOK-001 in warehouse 919
	// arrives 50 times within the window, and is written once.
	fmt.Println("\n(4) 50 changes of BOOK-001 within the window:")
	reports := make(chan *reconcile.Report, 1)
	live, err := reconcile.New(client, reconcile.Options{
		Warehouses: warehouses, State: state, Buffer: reconcile.Buffer{Units: 1, Percent: 10}, Floor: 2, Window: 200 * time.Millisecond,
		OnReport: func(r *reconcile.Report) { reports <- r },
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- live.Run(runCtx) }()
	defer func() { stop(); <-done }()
	for qty := 60; qty > 10; qty-- {
		if err := live.Set(reconcile.Item{SKU: "BOOK-001", Quantities: map[int64]int{919: qty, 903: 4}}); err != nil {
			return err
		}
	}
	return show(<-reports)
}

// show prints a report; it returns an error when a write failed.
func show(r *reconcile.Report) error {
	if r == nil {
		return nil
	}
	if err := r.WriteTable(os.Stdout); err != nil {
		return err
	}
	if r.Failed > 0 {
		return fmt.Errorf("%d items were not written", r.Failed)
	}
	return nil
}

// readBooks reads the books' CSV: one row per SKU and warehouse.
func readBooks(r io.Reader) ([]reconcile.Item, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading the books: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "sku,warehouse,quantity,price" {
		return nil, errors.New("the books must start with the header sku,warehouse,quantity,price")
	}
	var items []reconcile.Item
	index := map[string]int{}
	for n, row := range rows[1:] {
		wh, err1 := strconv.ParseInt(row[1], 10, 64)
		qty, err2 := strconv.Atoi(row[2])
		var price int64
		var err3 error
		if row[3] != "" {
			price, err3 = strconv.ParseInt(row[3], 10, 64)
		}
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("the books, line %d: %w", n+2, err)
		}
		i, ok := index[row[0]]
		if !ok {
			i = len(items)
			index[row[0]] = i
			items = append(items, reconcile.Item{SKU: row[0], Quantities: map[int64]int{}})
		}
		items[i].Quantities[wh] = qty
		if price != 0 {
			items[i].Price = tiki.Money(price)
		}
	}
	return items, nil
}

// books iterates over the items, as the engine reads a snapshot.
func books(items []reconcile.Item) iter.Seq2[reconcile.Item, error] {
	return func(yield func(reconcile.Item, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

// stockFake lists the books' products on the fake, a little off the books:
// stock to correct, a price to change, a price the books got wrong, a
// product Tiki lets sell when out of stock, and one the books do not know.
func stockFake(srv *tikitest.Server) error {
	for _, p := range []struct {
		sku   string
		price tiki.Money
		stock map[int64]int
	}{
		{"BOOK-001", 125000, map[int64]int{919: 9, 903: 4}},
		{"BOOK-002", 89000, map[int64]int{919: 6}},
		{"BOOK-003", 240000, map[int64]int{919: 30}},
		{"BOOK-004", 50000, map[int64]int{903: 7}},
		{"BOOK-005", 99000, map[int64]int{919: 3}},
		{"BOOK-006", 150000, map[int64]int{919: 10}},
		{"BOOK-999", 70000, map[int64]int{919: 1}},
	} {
		v := tiki.Variant{SKU: p.sku, Price: p.price}
		var whs []string
		for _, wh := range slices.Sorted(maps.Keys(p.stock)) {
			whs = append(whs, strconv.FormatInt(wh, 10))
			v.WarehouseStocks = append(v.WarehouseStocks, tiki.WarehouseStock{WarehouseID: wh, QtyAvailable: p.stock[wh]})
		}
		v.SellerWarehouse = strings.Join(whs, ",")
		_, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: "Sách " + p.sku, Description: "<p>Sách</p>", MarketPrice: 2 * p.price,
			Attributes: map[string]any{"brand": "NXB Trẻ"}, Image: "https://example.com/" + p.sku + ".jpg",
			Images: []string{}, OptionAttributes: []string{}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{v},
		})
		if err != nil {
			return err
		}
	}
	// A product Tiki lets sell without stock shows a huge quantity.
	return srv.SetStock("BOOK-006", 919, 10_000_000)
}
