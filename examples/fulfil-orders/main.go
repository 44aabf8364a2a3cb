// Command fulfil-orders walks today's Tiki order flow (Order API v2): it
// lists the orders waiting for the seller's confirmation, confirms each one
// through the endpoint of its operation model (on-demand fulfilment, seller
// delivery, cross border, dropship), prints its label, and reports the
// outcome of seller deliveries and the first step of cross-border
// shipments.
//
//	go run ./examples/fulfil-orders            # against the built-in fake Tiki
//	go run ./examples/fulfil-orders -confirm   # on Tiki: confirm for real
//
// With no credentials in the environment it runs against the built-in fake
// Tiki, where it first places one order of each operation model (and one
// that Tiki fulfils from its own stock, which needs no confirmation). Set
// TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and TIKI_CLIENT_SECRET (and
// TIKI_ENV=sandbox|production, default sandbox) to talk to Tiki itself: it
// then only lists the waiting orders unless -confirm is given, and reports
// deliveries only on the sandbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	confirm := flag.Bool("confirm", false, "on Tiki: confirm the waiting orders (the built-in fake always does)")
	max := flag.Int("max", 10, "handle at most this many orders")
	flag.Parse()
	if err := run(*confirm, *max); err != nil {
		fmt.Fprintln(os.Stderr, "fulfil-orders:", err)
		os.Exit(1)
	}
}

func run(confirm bool, max int) error {
	if max < 1 {
		return errors.New("-max must be at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	client, target, fake, closeFake, err := setup.ClientAndFake()
	if err != nil {
		return err
	}
	defer closeFake()
	fmt.Println("Talking to", target)
	if fake != nil {
		if err := placeOrders(fake); err != nil {
			return err
		}
	}
	confirm = confirm || fake != nil
	// A delivery is reported only where orders are not real.
	deliver := fake != nil || client.Environment() == tiki.Sandbox

	// (1) The orders waiting for the seller: accepted by Tiki (queueing) with
	// an item to confirm.
	waiting := &tiki.OrderListOptions{
		Status:                 tiki.In(tiki.OrderStatusQueueing),
		ItemConfirmationStatus: tiki.ConfirmationWaiting,
	}
	var orders []tiki.Order
	for order, err := range client.Orders.All(ctx, waiting) {
		if err != nil {
			return fmt.Errorf("listing waiting orders: %w", err)
		}
		orders = append(orders, order)
		if len(orders) == max {
			break
		}
	}
	fmt.Printf("\n%d order(s) wait for confirmation.\n", len(orders))
	for i, order := range orders {
		fmt.Printf("[%d/%d] %s\n", i+1, len(orders), summary(order))
		if !confirm {
			continue
		}
		if err := fulfil(ctx, client, order, deliver); err != nil {
			return fmt.Errorf("order %s: %w", order.Code, err)
		}
	}
	if !confirm && len(orders) > 0 {
		fmt.Println("\nNothing was changed. Run with -confirm to confirm these orders.")
	}
	return nil
}

// fulfil confirms one order, prints its label and, for the models where the
// seller reports what happens next, reports it.
func fulfil(ctx context.Context, client *tiki.Client, order tiki.Order, deliver bool) error {
	// (2) Confirm through the endpoint of the order's operation model: every
	// waiting item, from the first seller warehouse Tiki maps to the order's
	// Tiki warehouse, and for dropship the first pickup slot.
	done, _, err := client.Orders.Confirm(ctx, &order, nil)
	if err != nil {
		return fmt.Errorf("confirming: %w", err)
	}
	switch done.FulfillmentType {
	case tiki.FulfillmentDropship:
		fmt.Printf("      confirmed from seller warehouse %d, pickup at %s\n", done.SellerInventoryID, done.ExpectedPickupTime)
	default:
		fmt.Printf("      confirmed items %v from seller warehouse %d\n", done.AvailableItemIDs, done.SellerInventoryID)
	}

	// (3) The label of its model: shipping label (ODF), invoice label (seller
	// delivery), shipping stamp (dropship) or cross-border label.
	label, _, err := client.Orders.Label(ctx, &order, nil)
	if err != nil {
		return fmt.Errorf("label: %w", err)
	}
	fmt.Println("      label:", label.URL())

	if !deliver {
		return nil
	}
	// (4) What happens next is reported by the seller for seller delivery
	// (and for cross border when the seller ships); Tiki reports the rest.
	switch order.FulfillmentType {
	case tiki.FulfillmentSellerDelivery:
		if _, _, err := client.Orders.UpdateSellerDelivery(ctx, &order, tiki.SellerDeliveryUpdate{Status: tiki.SellerDeliverySuccessful}); err != nil {
			return fmt.Errorf("reporting the delivery: %w", err)
		}
		fmt.Println("      delivered: reported")
	case tiki.FulfillmentCrossBorder:
		if _, _, err := client.Orders.UpdateCrossBorderShipment(ctx, &order, tiki.ShipmentUpdate{
			Status: tiki.DeliveryStatusTransferringToForeignWarehouses, UpdateTime: tiki.NewTime(time.Now()),
		}); err != nil {
			return fmt.Errorf("reporting the shipment: %w", err)
		}
		fmt.Println("      shipment step reported:", tiki.DeliveryStatusTransferringToForeignWarehouses)
	}
	now, _, err := client.Orders.Get(ctx, order.Code, nil)
	if err != nil {
		return err
	}
	fmt.Println("      status now:", now.Status)
	return nil
}

// placeOrders places, on the fake, one order of each operation model and one
// fulfilled by Tiki from its own stock.
func placeOrders(fake *tikitest.Server) error {
	for _, model := range []tiki.FulfillmentType{tiki.FulfillmentTikiDelivery, tiki.FulfillmentSellerDelivery, tiki.FulfillmentCrossBorder, tiki.FulfillmentDropship} {
		if _, err := fake.CreateOrder(tikitest.OrderSpec{FulfillmentType: model, TikiWarehouse: "sgn"}); err != nil {
			return err
		}
	}
	_, err := fake.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{InventoryType: tiki.InventoryInstock}}})
	return err
}

func summary(o tiki.Order) string {
	units := 0
	for _, it := range o.Items {
		units += it.Invoice.Quantity
	}
	deadline := ""
	if len(o.Items) > 0 {
		deadline = ", confirm before " + o.Items[0].Confirmation.AvailableConfirmSLA.String()
	}
	return fmt.Sprintf("order %s: %s from Tiki warehouse %s, %d item(s) (%d unit(s)), %d VND to collect%s",
		o.Code, o.FulfillmentType, o.TikiWarehouse.Code, len(o.Items), units, o.Invoice.CollectibleAmount, deadline)
}
