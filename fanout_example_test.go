package tiki_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// Get many products at once: up to 32 calls in flight (the default), all
// through the client's rate limiter, results in the order of the ids, each
// with its own error.
func ExampleMap() {
	srv, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	var ids []int64
	for _, sku := range []string{"MUG-RED", "MUG-BLUE"} {
		listed, err := srv.SeedProduct(tiki.NewProduct{
			CategoryID: 6445, Name: "Mug " + sku, Description: "A mug", MarketPrice: 200000,
			Attributes: map[string]any{"brand": "Mugs"}, Image: "https://cdn.example.com/mug.jpg",
			Variants: []tiki.Variant{{SKU: sku, Price: 100000, InventoryType: tiki.InventorySellerBackorder,
				SellerWarehouse: "903", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 903, QtyAvailable: 10}}}},
		})
		if err != nil {
			log.Fatal(err)
		}
		ids = append(ids, listed[0].ProductID)
	}
	ids = append(ids, 999999999) // no such product
	client, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey(srv.SellerKey()))
	if err != nil {
		log.Fatal(err)
	}

	results, err := tiki.Map(context.Background(), ids, 0, func(ctx context.Context, id int64) (*tiki.Product, error) {
		p, _, err := client.Products.Get(ctx, id)
		return p, err
	})
	if err != nil {
		log.Fatal(err) // only for a bad argument: nothing was called
	}
	for i, r := range results {
		if r.Err != nil {
			fmt.Printf("%d: not found: %v\n", i, errors.Is(r.Err, tiki.ErrNotFound))
			continue
		}
		fmt.Printf("%d: %s\n", i, r.Value.OriginalSKU)
	}
	// Output:
	// 0: MUG-RED
	// 1: MUG-BLUE
	// 2: not found: true
}
