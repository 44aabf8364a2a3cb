package reconcile_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// exampleFake starts a fake Tiki holding the seller's products A, B and C
// (price 100,000; A and B with 5 units in warehouse 919, C with 2) and
// returns a client of it.
func exampleFake() (*tikitest.Server, *tiki.Client) {
	srv, err := tikitest.Start()
	if err != nil {
		panic(err)
	}
	for _, sku := range []string{"A", "B", "C"} {
		qty := 5
		if sku == "C" {
			qty = 2
		}
		_, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 218, Name: "Sách " + sku, Description: "<p>Sách</p>", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "NXB Trẻ"}, Image: "https://example.com/" + sku + ".jpg",
			Images: []string{}, OptionAttributes: []string{}, MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
			Variants: []tiki.Variant{{SKU: sku, Price: 100000, SellerWarehouse: "919",
				WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: qty}}}},
		})
		if err != nil {
			panic(err)
		}
	}
	client, err := srv.Client()
	if err != nil {
		panic(err)
	}
	return srv, client
}

// Sync reads the books and Tiki, writes the difference and reports it, item
// by item.
func ExampleEngine_Sync() {
	srv, client := exampleFake()
	defer srv.Close()
	eng, err := reconcile.New(client, reconcile.Options{Warehouses: []int64{919, 903}})
	if err != nil {
		panic(err)
	}
	books := func(yield func(reconcile.Item, error) bool) {
		_ = yield(reconcile.Item{SKU: "A", Quantities: map[int64]int{919: 8}}, nil) &&
			yield(reconcile.Item{SKU: "B", Quantities: map[int64]int{919: 5}, Price: 120000}, nil) &&
			yield(reconcile.Item{SKU: "D", Quantities: map[int64]int{903: 1}}, nil)
	}
	report, err := eng.Sync(context.Background(), books)
	if err != nil {
		panic(err)
	}
	fmt.Printf("in step %d, changed %d, not reconcilable %d, failed %d\n", report.InStep, report.Changed, report.NotReconcilable, report.Failed)
	_ = report.WriteCSV(os.Stdout)
	// Output:
	// in step 0, changed 2, not reconcilable 2, failed 0
	// sku,product_id,status,field,warehouse,before,after,drift,reason,note
	// A,2090002,changed,quantity,919,5,8,,,books
	// B,2090004,changed,price,,100000,120000,,,books
	// D,,not_reconcilable,,,,,,not_on_tiki,no product in Tiki's product list has this SKU
	// C,2090006,not_reconcilable,,,,,,not_in_books,"on Tiki, not in the books"
}

// Plan is a dry run: it says what Apply would change, with the policy that
// shaped each value, and writes nothing.
func ExampleEngine_Plan() {
	srv, client := exampleFake()
	defer srv.Close()
	eng, err := reconcile.New(client, reconcile.Options{
		Warehouses: []int64{919},
		Buffer:     reconcile.Buffer{Units: 1},
		Floor:      3,
	})
	if err != nil {
		panic(err)
	}
	books := func(yield func(reconcile.Item, error) bool) {
		_ = yield(reconcile.Item{SKU: "A", Quantities: map[int64]int{919: 12}}, nil) &&
			yield(reconcile.Item{SKU: "B", Quantities: map[int64]int{919: 3}}, nil) &&
			yield(reconcile.Item{SKU: "C", Quantities: map[int64]int{919: 3}}, nil)
	}
	plan, err := eng.Plan(context.Background(), books)
	if err != nil {
		panic(err)
	}
	for _, it := range plan.Items {
		for _, c := range it.Changes {
			fmt.Printf("%s: %s in %d from %d to %d (%s)\n", it.SKU, c.Field, c.Warehouse, c.Before, c.After, c.Why)
		}
	}
	fmt.Println("A on Tiki:", stockOf(srv, "A"))
	// Output:
	// A: quantity in 919 from 5 to 11 (books 12 − buffer 1 = 11)
	// B: quantity in 919 from 5 to 0 (books 3 − buffer 1 < floor 3 → 0)
	// C: quantity in 919 from 2 to 0 (books 3 − buffer 1 < floor 3 → 0)
	// A on Tiki: 5
}

// Stock edited in Seller Center is drift: the next audit reports it, before
// it writes the books' value back.
func ExampleOptions_onPlan() {
	srv, client := exampleFake()
	defer srv.Close()
	eng, err := reconcile.New(client, reconcile.Options{
		Warehouses: []int64{919},
		OnPlan: func(p *reconcile.Plan) error {
			for _, it := range p.Items {
				for _, c := range it.Changes {
					if c.Drift {
						fmt.Printf("drift: %s has %d on Tiki, the books %d\n", it.SKU, c.Before, c.After)
					}
				}
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	books := func(yield func(reconcile.Item, error) bool) {
		_ = yield(reconcile.Item{SKU: "A", Quantities: map[int64]int{919: 5}}, nil)
	}
	ctx := context.Background()
	if _, err := eng.Sync(ctx, books); err != nil {
		panic(err)
	}
	_ = srv.SetStock("A", 919, 50) // behind the engine's back
	report, err := eng.Sync(ctx, books)
	if err != nil {
		panic(err)
	}
	fmt.Println("drifted:", report.Drifted, "- A on Tiki:", stockOf(srv, "A"))
	// Output:
	// drift: A has 50 on Tiki, the books 5
	// drifted: 1 - A on Tiki: 5
}

// Sets of one item within the window are one write of the latest value.
func ExampleEngine_Set() {
	srv, client := exampleFake()
	defer srv.Close()
	eng, err := reconcile.New(client, reconcile.Options{Warehouses: []int64{919}})
	if err != nil {
		panic(err)
	}
	for qty := range 100 {
		if err := eng.Set(reconcile.Item{SKU: "A", Quantities: map[int64]int{919: qty}}); err != nil {
			panic(err)
		}
	}
	// Run writes them a Window after the first; Flush writes them now.
	report, err := eng.Flush(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println("writes:", report.Writes, "- A on Tiki:", stockOf(srv, "A"))
	// Output:
	// writes: 1 - A on Tiki: 99
}

// stockOf returns a product's quantity available in warehouse 919 on the
// fake.
func stockOf(srv *tikitest.Server, sku string) int {
	levels, err := srv.Stock(sku)
	if err != nil {
		panic(err)
	}
	for _, l := range levels {
		if l.Warehouse == 919 {
			return l.Available
		}
	}
	return 0
}
