// Command fulfil-orders walks Tiki's order flow: it reads the seller's
// warehouses, pulls the queueing orders, confirms their items from a
// warehouse, reports the delivery of seller-delivery orders and prints their
// shipping labels.
//
//	go run ./examples/fulfil-orders                  # against the built-in fake Tiki
//	go run ./examples/fulfil-orders -confirm         # on Tiki: confirm for real
//	go run ./examples/fulfil-orders -mock 3 -confirm # on the sandbox: place 3 mock orders first
//
// With no credentials in the environment it runs against the built-in fake
// Tiki: it places a few mock orders (the fake starts empty) and fulfils
// them. Set TIKI_ACCESS_TOKEN, or TIKI_CLIENT_ID and TIKI_CLIENT_SECRET (and
// TIKI_ENV=sandbox|production, default sandbox) to talk to Tiki itself; it
// then only lists the queueing orders unless -confirm is given, places mock
// orders only when asked with -mock (never on production), and reports
// deliveries only on the sandbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/examples/internal/setup"
)

// options are the command line flags.
type options struct {
	confirm   bool
	mocks     int
	warehouse string
	max       int
}

func main() {
	var o options
	flag.BoolVar(&o.confirm, "confirm", false, "on Tiki: confirm the items of the queueing orders (the built-in fake always does)")
	flag.IntVar(&o.mocks, "mock", -1, "place this many mock orders first: sandbox or the built-in fake only (default: 4 on the fake, none on Tiki)")
	flag.StringVar(&o.warehouse, "warehouse", "", "code of the warehouse the items are confirmed from (default: the first of the seller's warehouses)")
	flag.IntVar(&o.max, "max", 10, "handle at most this many orders")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "fulfil-orders:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.max < 1 {
		return errors.New("-max must be at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	client, target, closeFake, err := setup.Client()
	if err != nil {
		return err
	}
	defer closeFake()
	fmt.Println("Talking to", target)

	// Without TIKI_BASE_URL, setup picks the sandbox or production when
	// credentials are set, and the built-in fake otherwise.
	env := client.Environment()
	fake := env == "" && os.Getenv(setup.EnvBaseURL) == ""
	if o.mocks < 0 {
		o.mocks = 0
		if fake {
			o.mocks = 4
		}
	}
	if o.mocks > 0 && env == tiki.Production {
		return errors.New("-mock: mock orders exist only on the sandbox (TIKI_ENV=sandbox), never on production")
	}
	confirm := fake || o.confirm
	// A delivery is reported only where orders are not real.
	deliver := fake || env == tiki.Sandbox

	if me, _, err := client.Sellers.Me(ctx); err != nil {
		fmt.Println("Seller: unknown:", err)
	} else {
		fmt.Printf("Seller: %s (id %d, registration %s)\n", me.Name, me.ID, me.RegistrationStatus)
	}

	// (1) The seller's warehouses: the confirmation names one.
	wh, err := pickWarehouse(ctx, client, o.warehouse)
	if err != nil {
		return err
	}

	if o.mocks > 0 {
		if err := placeMocks(ctx, client, o.mocks); err != nil {
			return err
		}
	}

	// (2) The orders waiting for the seller.
	var orders []tiki.OrderV1
	for order, err := range client.OrdersV1.All(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing}) {
		if err != nil {
			return fmt.Errorf("listing queueing orders: %w", err)
		}
		orders = append(orders, order)
		if len(orders) == o.max {
			break
		}
	}
	fmt.Printf("\n%d queueing order(s)", len(orders))
	if len(orders) == o.max {
		fmt.Printf(" (the first %d; -max changes it)", o.max)
	}
	fmt.Println(".")
	if len(orders) == 0 {
		return nil
	}
	if !confirm {
		for i, order := range orders {
			fmt.Printf("[%d/%d] order %s: %s\n", i+1, len(orders), order.OrderCode, summary(order))
			for _, it := range order.Items {
				fmt.Printf("      %d x %s (%s), confirm before %s\n", it.Qty, it.ProductName, it.OriginalSKU, it.MustConfirmBeforeAt)
			}
		}
		fmt.Println("\nNothing was changed. Run with -confirm to confirm the items of these orders from warehouse", wh.WarehouseCode+".")
		return nil
	}

	// (3) and (4): confirm, deliver, print.
	failed := 0
	for i, order := range orders {
		fmt.Printf("[%d/%d] order %s: %s\n", i+1, len(orders), order.OrderCode, summary(order))
		if err := fulfil(ctx, client, order, wh, deliver); err != nil {
			failed++
			fmt.Printf("      FAILED: %v\n", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d orders failed", failed, len(orders))
	}
	fmt.Printf("\nDone: %d order(s) handled.\n", len(orders))
	return nil
}

// pickWarehouse lists the seller's warehouses and returns the one items
// are confirmed from.
func pickWarehouse(ctx context.Context, client *tiki.Client, code string) (tiki.SellerWarehouse, error) {
	whs, _, err := client.Warehouses.Seller(ctx, nil)
	if err != nil {
		return tiki.SellerWarehouse{}, fmt.Errorf("listing the seller's warehouses: %w", err)
	}
	fmt.Printf("\nWarehouses (%d):\n", len(whs))
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  CODE\tINVENTORY ID\tNAME\tREGION")
	for _, w := range whs {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", w.WarehouseCode, w.SellerInventoryID, w.Name, w.Region.Name)
	}
	tw.Flush()
	for _, w := range whs {
		if code == "" || w.WarehouseCode == code {
			fmt.Printf("Confirming from %s / %d (%s).\n", w.WarehouseCode, w.SellerInventoryID, w.Name)
			return w, nil
		}
	}
	if code != "" {
		return tiki.SellerWarehouse{}, fmt.Errorf("no warehouse with code %q", code)
	}
	return tiki.SellerWarehouse{}, errors.New("the seller has no warehouse registered with Tiki")
}

// placeMocks places n mock orders of different kinds.
func placeMocks(ctx context.Context, client *tiki.Client, n int) error {
	kinds := []tiki.MockOrderRequest{
		{FulfillmentType: tiki.FulfillmentSellerDelivery, PaymentMethod: tiki.PaymentCOD, Items: []tiki.MockOrderItem{
			{ProductName: "Bình giữ nhiệt 500ml", OriginalSKU: "BGN-500", Price: 150000, Qty: 2, InventoryType: tiki.InventorySellerBackorder},
			{ProductName: "Túi vải canvas", OriginalSKU: "TVC-01", Price: 45000, Qty: 1, InventoryType: tiki.InventorySellerBackorder},
		}, Shipping: &tiki.ShippingV1{Name: "Trần Thị B", Street: "12 Lê Lợi", Ward: "Phường Bến Nghé", City: "Quận 1", Region: "Hồ Chí Minh",
			Country: "VN", Phone: "0901234567", ShippingFee: 15000}, CouponCode: "GIAM20K", DiscountCoupon: 20000},
		{FulfillmentType: tiki.FulfillmentTikiDelivery, PaymentMethod: tiki.PaymentVisa, Items: []tiki.MockOrderItem{
			{ProductName: "Gối massage cổ chữ U", OriginalSKU: "GMC-U", Price: 299000, Qty: 1, InventoryType: tiki.InventoryBackorder},
		}},
		{FulfillmentType: tiki.FulfillmentCrossBorder, PaymentMethod: tiki.PaymentCOD, Items: []tiki.MockOrderItem{
			{ProductName: "Tai nghe không dây", OriginalSKU: "TN-BT5", Price: 520000, Qty: 1, InventoryType: tiki.InventoryCrossBorder},
		}},
		{FulfillmentType: tiki.FulfillmentSellerDelivery, PaymentMethod: tiki.PaymentVisa, Items: []tiki.MockOrderItem{
			{ProductName: "Sổ tay A5", OriginalSKU: "ST-A5", Price: 35000, Qty: 4, InventoryType: tiki.InventorySellerBackorder},
		}},
	}
	fmt.Printf("\nPlacing %d mock order(s):\n", n)
	for i := range n {
		order, _, err := client.OrdersV1.CreateMock(ctx, kinds[i%len(kinds)])
		if err != nil {
			return fmt.Errorf("placing mock order %d: %w", i+1, err)
		}
		fmt.Printf("  [%d/%d] order %s: %s\n", i+1, n, order.OrderCode, summary(*order))
	}
	return nil
}

// fulfil confirms every item of an order from wh, reports the delivery of
// a seller-delivery order when deliver is set, and prints its shipping
// label.
func fulfil(ctx context.Context, client *tiki.Client, order tiki.OrderV1, wh tiki.SellerWarehouse, deliver bool) error {
	req := order.ConfirmItemsRequest()
	req.ItemIDs = order.ItemIDs()
	req.WarehouseCode, req.SellerInventoryID = wh.WarehouseCode, wh.SellerInventoryID
	switch order.FulfillmentType {
	case tiki.FulfillmentSellerDelivery:
		req.DeliveryCommitmentTime = tiki.NewTime(time.Now().Add(48 * time.Hour))
	case tiki.FulfillmentCrossBorder:
		req.TrackingNumber = order.OrderCode
	}
	if _, _, err := client.OrdersV1.ConfirmItems(ctx, req); err != nil {
		return fmt.Errorf("confirming items: %w", err)
	}
	fmt.Printf("      %d item(s) confirmed from %s / %d\n", len(req.ItemIDs), wh.WarehouseCode, wh.SellerInventoryID)

	label, _, err := client.OrdersV1.PrintLabel(ctx, order.OrderCode, nil)
	if err != nil {
		return fmt.Errorf("printing the shipping label: %w", err)
	}
	fmt.Println("      shipping label:", label.URL)

	switch {
	case order.FulfillmentType == tiki.FulfillmentCrossBorder:
		fmt.Println("      shipped from abroad under tracking number", req.TrackingNumber+"; report its steps with Orders.UpdateDeliveryStatus")
	case order.FulfillmentType != tiki.FulfillmentSellerDelivery:
		fmt.Println("      Tiki delivers this order and reports the delivery itself")
	case !deliver:
		fmt.Println("      deliver it, then report it with Orders.UpdateDeliveryStatus and Orders.ConfirmDelivery")
	default:
		for _, step := range []tiki.DeliveryStatus{tiki.DeliveryStatusReadyForDelivery, tiki.DeliveryStatusOnDelivery} {
			if _, _, err := client.OrdersV1.UpdateDeliveryStatus(ctx, tiki.UpdateDeliveryStatusRequest{
				OrderCode: order.OrderCode, Status: step, UpdateTime: tiki.NewTime(time.Now()),
			}); err != nil {
				return fmt.Errorf("reporting %s: %w", step, err)
			}
			fmt.Println("      delivery step reported:", step)
		}
		if _, _, err := client.OrdersV1.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{OrderCode: order.OrderCode, Status: tiki.ConfirmDeliverySuccessful}); err != nil {
			return fmt.Errorf("confirming the delivery: %w", err)
		}
		fmt.Println("      delivery confirmed")
	}

	now, _, err := client.OrdersV1.Get(ctx, order.OrderCode)
	if err != nil {
		return fmt.Errorf("reading the order back: %w", err)
	}
	fmt.Println("      status:", now.Status)
	return nil
}

// summary describes an order on one line.
func summary(o tiki.OrderV1) string {
	units := 0
	for _, it := range o.Items {
		units += it.Qty
	}
	return fmt.Sprintf("%s, %d item(s) (%d unit(s)), %s VND, %s", o.FulfillmentType, len(o.Items), units, vnd(o.TotalPriceAfterDiscount), o.Payment.Method)
}

// vnd formats an amount with dots between thousands, as in Vietnam.
func vnd(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
