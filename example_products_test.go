package tiki_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// fakeTikiWithMugs starts the fake Tiki with one approved product per
// seller SKU, as a seller's catalog would hold them, stocked in the
// seller's warehouse 903.
func fakeTikiWithMugs(skus ...string) (*tikitest.Server, *tiki.Client, func()) {
	srv, stop := fakeTiki()
	for i, sku := range skus {
		if _, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 6445, Name: "Mug " + sku, Description: "A mug", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "Mugs"}, Image: "https://cdn.example.com/mug.jpg",
			Variants: []tiki.Variant{{SKU: sku, Price: tiki.Money(100000 + i*10000), InventoryType: tiki.InventorySellerBackorder,
				SellerWarehouse: "903", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 903, QtyAvailable: 10}}}},
		}); err != nil {
			log.Fatal(err)
		}
	}
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	return srv, client, stop
}

// All walks every page of the seller's products that match the filter,
// latest first (here two products a page); break ends the walk.
func ExampleProductsService_All() {
	_, client, stop := fakeTikiWithMugs("MUG-RED", "MUG-BLUE", "MUG-GREEN")
	defer stop()

	opts := &tiki.ProductsOptions{Name: "mug", ListOptions: tiki.ListOptions{Limit: 2}}
	for p, err := range client.Products.All(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.OriginalSKU, p.Price)
	}
	// Output:
	// MUG-GREEN 120000
	// MUG-BLUE 110000
	// MUG-RED 100000
}

// Get reads one product by Tiki's id; a product that does not exist is
// ErrNotFound.
func ExampleProductsService_Get() {
	srv, client, stop := fakeTikiWithMugs("MUG-RED")
	defer stop()
	ctx := context.Background()
	listed, _ := srv.Product("MUG-RED")

	p, _, err := client.Products.Get(ctx, listed.ProductID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.OriginalSKU, p.Name, p.Price)

	_, _, err = client.Products.Get(ctx, 999999999)
	fmt.Println("not found:", errors.Is(err, tiki.ErrNotFound))
	// Output:
	// MUG-RED Mug MUG-RED 100000
	// not found: true
}

// Update changes one product, named by Tiki's id or the seller's SKU: here
// its price and its stock in warehouse 903. Tiki applies all of it or
// nothing.
func ExampleProductsService_Update() {
	srv, client, stop := fakeTikiWithMugs("MUG-RED")
	defer stop()

	res, _, err := client.Products.Update(context.Background(), tiki.ProductUpdate{
		OriginalSKU:         "MUG-RED",
		Price:               95000,
		WarehouseQuantities: []tiki.WarehouseQuantity{{WarehouseID: 903, QtyAvailable: 4}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.State)
	p, _ := srv.Product("MUG-RED")
	fmt.Println(p.OriginalSKU, p.Price)
	// Output:
	// approved
	// MUG-RED 95000
}

// UpdateBatch sends many updates in calls of at most tiki.MaxBatchUpdate
// items and answers one result per item, in the order given: Tiki applies
// or refuses each on its own.
func ExampleProductsService_UpdateBatch() {
	_, client, stop := fakeTikiWithMugs("MUG-RED", "MUG-BLUE")
	defer stop()

	results, _, err := client.Products.UpdateBatch(context.Background(), []tiki.BatchUpdateItem{
		{OriginalSKU: "MUG-RED", Price: 99000},
		{OriginalSKU: "MUG-BLUE", Status: tiki.ProductStatusDisabled},
		{OriginalSKU: "MUG-GONE", Price: 99000}, // no such product
	})
	if err != nil {
		log.Fatal(err) // a bad item: nothing was sent
	}
	for _, r := range results {
		fmt.Println(r.Index, r.OriginalSKU, r.Success, r.Code)
	}
	fmt.Println(len(results.Failures()), "failed")
	// Output:
	// 0 MUG-RED true success
	// 1 MUG-BLUE true success
	// 2 MUG-GONE false resource_not_found
	// 1 failed
}
