// Command first-program starts a fake Tiki, lists today's orders, confirms
// the ones waiting for the seller and prints their labels: the first
// program of the README, needing no network and no credentials.
//
//	go run ./examples/first-program
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// A fake Tiki on a free loopback port, where customers just placed two
	// orders: one the seller delivers, one Tiki fulfils from its own stock.
	// Against Tiki, build the client with tiki.NewClient and your
	// credentials instead (see "Authentication" in the README).
	fake, err := tikitest.Start()
	if err != nil {
		return err
	}
	defer fake.Close()
	for _, spec := range []tikitest.OrderSpec{
		{FulfillmentType: tiki.FulfillmentSellerDelivery},
		{Items: []tikitest.OrderItemSpec{{InventoryType: tiki.InventoryInstock}}},
	} {
		if _, err := fake.CreateOrder(spec); err != nil {
			return err
		}
	}
	client, err := fake.Client()
	if err != nil {
		return err
	}

	// Today's orders, every page of them.
	today := &tiki.OrderListOptions{FilterDateBy: tiki.DateFilterToday}
	for order, err := range client.Orders.All(ctx, today) {
		if err != nil {
			return err
		}
		fmt.Println("order", order.Code, order.FulfillmentType, order.Status, order.Invoice.GrandTotal, "VND")
		if !order.NeedsConfirmation() {
			continue
		}
		// Confirm calls the endpoint of the order's operation model: every
		// waiting item, from the seller warehouse Tiki maps to the order.
		if _, _, err := client.Orders.Confirm(ctx, &order, nil); err != nil {
			return err
		}
		label, _, err := client.Orders.Label(ctx, &order, nil)
		if err != nil {
			return err
		}
		fmt.Println("  confirmed; label:", label.URL())
	}
	return nil
}
