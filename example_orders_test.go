package tiki_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// fakeTikiWithOrders starts the fake Tiki with these v2 orders placed, and
// returns their codes in the same order.
func fakeTikiWithOrders(specs ...tikitest.OrderSpec) (*tikitest.Server, *tiki.Client, []string, func()) {
	srv, stop := fakeTiki()
	var codes []string
	for _, spec := range specs {
		o, err := srv.CreateOrder(spec)
		if err != nil {
			log.Fatal(err)
		}
		codes = append(codes, o.Code)
	}
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	return srv, client, codes, stop
}

// All walks every page of the orders that match the filter: here the
// orders placed since 1 January 2026 (Vietnam time) that are not canceled,
// oldest first.
func ExampleOrdersService_All() {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 9, 30, 0, 0, tiki.Vietnam()) }
	srv, client, codes, stop := fakeTikiWithOrders(
		tikitest.OrderSpec{FulfillmentType: tiki.FulfillmentDropship, CreatedAt: day(-10)}, // 21 December 2025
		tikitest.OrderSpec{FulfillmentType: tiki.FulfillmentTikiDelivery, CreatedAt: day(3)},
		tikitest.OrderSpec{FulfillmentType: tiki.FulfillmentSellerDelivery, CreatedAt: day(4)},
		tikitest.OrderSpec{FulfillmentType: tiki.FulfillmentDropship, CreatedAt: day(5)},
	)
	defer stop()
	if err := srv.SetOrderStatus(codes[2], tiki.OrderStatusCanceled); err != nil {
		log.Fatal(err)
	}

	opts := &tiki.OrderListOptions{
		Status:      tiki.NotIn(tiki.OrderStatusCanceled, tiki.OrderStatusSellerCanceled),
		CreatedFrom: tiki.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, tiki.Vietnam())),
		OrderBy:     tiki.OrderByCreatedAtAsc,
	}
	for order, err := range client.Orders.All(context.Background(), opts) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(order.CreatedAt, order.FulfillmentType, order.Status)
	}
	// Output:
	// 2026-01-03 09:30:00 tiki_delivery queueing
	// 2026-01-05 09:30:00 dropship queueing
}

// Get reads one order by its code, here with its status history.
func ExampleOrdersService_Get() {
	_, client, codes, stop := fakeTikiWithOrders(tikitest.OrderSpec{
		FulfillmentType: tiki.FulfillmentTikiDelivery,
		Items: []tikitest.OrderItemSpec{
			{SellerProductCode: "MUG-RED", Name: "Mug", Price: 100000, Quantity: 2},
		},
	})
	defer stop()

	order, _, err := client.Orders.Get(context.Background(), codes[0], &tiki.OrderGetOptions{
		Include: []tiki.OrderInclude{tiki.IncludeStatusHistories},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order.Status, "needs confirmation:", order.NeedsConfirmation())
	for _, h := range order.StatusHistories {
		fmt.Println("history:", h.Status)
	}
	for _, it := range order.Items {
		fmt.Println(it.Product.SellerProductCode, it.Invoice.Quantity, it.Invoice.Price)
	}
	fmt.Println("subtotal", order.Invoice.Subtotal)
	// Output:
	// queueing needs confirmation: true
	// history: queueing
	// MUG-RED 2 100000
	// subtotal 200000
}

// Label fetches the printable label of a confirmed order from the endpoint
// of its operation model (here the shipping stamp of a dropship order).
func ExampleOrdersService_Label() {
	_, client, codes, stop := fakeTikiWithOrders(tikitest.OrderSpec{FulfillmentType: tiki.FulfillmentDropship, TikiWarehouse: "sgn"})
	defer stop()
	ctx := context.Background()

	order, _, err := client.Orders.Get(ctx, codes[0], nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := client.Orders.Confirm(ctx, order, nil); err != nil {
		log.Fatal(err)
	}
	label, _, err := client.Orders.Label(ctx, order, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stamp:", label.ShippingStampURL != "", "url:", label.URL() != "")
	// Output: stamp: true url: true
}
