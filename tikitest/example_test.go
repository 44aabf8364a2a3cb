package tikitest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// A fake Tiki on a loopback port: the seller's products, then an order a
// customer places (its items are the seller's products), confirmed by the
// SDK through the endpoint of its operation model.
func Example() {
	ctx := context.Background()
	srv, err := tikitest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	// The seller's catalogue: one product, listed at once.
	_, err = srv.SeedProduct(tiki.NewProduct{
		CategoryID: 218, Name: "Sổ tay y khoa", Description: "<p>Sổ tay cho sinh viên y</p>", MarketPrice: 200000,
		Attributes: map[string]any{"brand": "Tiki", "bulky": 0}, Image: "https://img.example/main.jpg",
		MetaData: &tiki.ProductMetaData{IsAutoTurnOn: true},
		Variants: []tiki.Variant{{SKU: "BOOK-1", Price: 150000, InventoryType: tiki.InventoryDropShip,
			SellerWarehouse: "919", WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 5}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	client, err := srv.Client()
	if err != nil {
		fmt.Println(err)
		return
	}
	products, _, err := client.Products.List(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range products.Data {
		fmt.Printf("product %s: %s, %d VND\n", p.OriginalSKU, p.Name, p.Price)
	}

	// A customer buys two of it; the fake returns the order as
	// client.Orders.Get reads it.
	order, err := srv.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{Quantity: 2}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	it := order.Items[0]
	fmt.Printf("order %s (%s): %d x %s at %d VND, needs confirmation: %t\n",
		order.Code, order.FulfillmentType, it.Invoice.Quantity, it.Product.SellerProductCode, it.Invoice.Price, order.NeedsConfirmation())

	confirmed, _, err := client.Orders.Confirm(ctx, &order, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("confirmed items %v from seller inventory %d\n", confirmed.AvailableItemIDs, confirmed.SellerInventoryID)
	after, _ := srv.Order(order.Code)
	fmt.Println("item confirmation:", after.Items[0].Confirmation.Status)
	// Output:
	// product BOOK-1: Sổ tay y khoa, 150000 VND
	// order 300000001 (tiki_delivery): 2 x BOOK-1 at 150000 VND, needs confirmation: true
	// confirmed items [200000001] from seller inventory 919
	// item confirmation: seller_confirmed
}

// The request log: one line per request with its status, its duration on
// the fake's clock (a fixed clock here, hence 0s) and why the fake refused
// a request. Secrets never appear in it.
func ExampleWithRequestLog() {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, tiki.Vietnam())
	srv, err := tikitest.Start(
		tikitest.WithRequestLog(os.Stdout),
		tikitest.WithClock(func() time.Time { return at }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	client, err := srv.Client()
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := client.Orders.List(context.Background(), &tiki.OrderListOptions{Status: tiki.In(tiki.OrderStatusQueueing)}); err != nil {
		fmt.Println(err)
		return
	}

	// A misspelled filter, and a request without credentials.
	for _, target := range []string{srv.URL + "/v2/orders?stauts=queueing", srv.URL + "/v2/sellers/me"} {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		if target != srv.URL+"/v2/sellers/me" {
			req.Header.Set("Authorization", "Bearer "+srv.AccessToken())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
	}
	// Output:
	// GET /integration/v2/orders?status=queueing 200 0s
	// GET /integration/v2/orders?stauts=queueing 400 0s: unknown query parameter "stauts" for GET /integration/v2/orders
	// GET /integration/v2/sellers/me 401 0s: bad auth: no tiki-api header and no Bearer token
}
