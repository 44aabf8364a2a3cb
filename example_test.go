package tiki_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// fakeTiki starts the in-process fake Tiki the examples run against; real
// code uses tiki.WithEnvironment or leaves the default (production).
func fakeTiki() (*tikitest.Server, func()) {
	srv, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	return srv, srv.Close
}

func ExampleNewClient() {
	client, err := tiki.NewClient(
		tiki.WithEnvironment(tiki.Sandbox),
		tiki.WithClientCredentials(tiki.ClientCredentials{
			ClientID:     "your-client-id",
			ClientSecret: "your-client-secret",
			Scopes:       []string{tiki.ScopeProduct, tiki.ScopeOrder},
			AuthStyle:    tiki.AuthStyleBasic,
		}),
		tiki.WithRetry(4, 500*time.Millisecond, 30*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL())
	// Output: https://api-sandbox.tiki.vn/integration
}

// NewClient applies every option and reports every problem together, each
// named after its option.
func ExampleNewClient_problems() {
	_, err := tiki.NewClient(
		tiki.WithSellerKey("your-seller-key"),
		tiki.WithRetry(0, time.Second, time.Second),
		tiki.WithEnvironment("staging"),
	)
	var ve *tiki.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Field, p.Problem)
		}
	}
	// Output:
	// WithRetry.maxAttempts must be at least 1 (1 disables retries), not 0
	// WithEnvironment must be "production" or "sandbox", not "staging"
}

func ExampleCatalogService_ListCategories() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := tiki.NewClient(tiki.WithBaseURL(srv.URL), tiki.WithSellerKey(srv.SellerKey()))
	if err != nil {
		log.Fatal(err)
	}

	cats, _, err := client.Catalog.ListCategories(context.Background(), &tiki.CategoriesOptions{IsPrimary: tiki.Ptr(true)})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cats {
		fmt.Println(c.ID, c.Name)
	}
	// Output:
	// 6445 Magazines
	// 218 Medical Books
}

func ExampleCatalogService_AllAttributeValues() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}

	n := 0
	opts := &tiki.AttributeValuesOptions{Query: "phong", ListOptions: tiki.ListOptions{Limit: 5}}
	for value, err := range client.Catalog.AllAttributeValues(context.Background(), 540, opts) {
		if err != nil {
			log.Fatal(err)
		}
		if n < 2 {
			fmt.Println(value.ID, value.Value)
		}
		n++
	}
	fmt.Println(n, "values")
	// Output:
	// 4509607 Báo Thiếu Niên Tiền Phong
	// 704931 BÁO TIỀN PHONG
	// 11 values
}

// Errors from Tiki are *tiki.APIError (status, Tiki's messages, request id,
// attempts); errors.Is matches them against the sentinels.
func ExampleAPIError() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}

	_, _, err = client.Catalog.GetCategory(context.Background(), 424242, nil)

	var apiErr *tiki.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("status:", apiErr.StatusCode)
		fmt.Println("messages:", apiErr.Messages)
		fmt.Println("attempts:", apiErr.Attempts)
	}
	fmt.Println("not found:", errors.Is(err, tiki.ErrNotFound))

	var rateErr *tiki.RateLimitError
	if errors.As(err, &rateErr) {
		fmt.Println("retry after", rateErr.RetryAfter)
	}

	// Arguments that break a documented rule never reach Tiki.
	_, _, err = client.Catalog.ListAttributeValues(context.Background(), 0, &tiki.AttributeValuesOptions{
		ListOptions: tiki.ListOptions{Limit: 1000},
	})
	var invalid *tiki.ValidationError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			fmt.Println("invalid:", p.Field, p.Problem)
		}
	}
	// Output:
	// status: 404
	// messages: [Category not found id: 424242]
	// attempts: 1
	// not found: true
	// invalid: attribute_id must be a positive id
	// invalid: limit must be at most 100
}

// A seller-delivery order: confirm the items from a warehouse, then confirm
// the delivery. The fake Tiki starts empty, so the example places a mock
// order first, as on the sandbox.
func ExampleOrdersV1Service_ConfirmItems() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	if _, _, err := client.V1.Orders.CreateMock(ctx, tiki.MockOrderRequest{
		FulfillmentType: tiki.FulfillmentSellerDelivery,
		PaymentMethod:   tiki.PaymentCOD,
		Items: []tiki.MockOrderItem{{ProductName: "Sổ tay A5", OriginalSKU: "NOTE-A5", Price: 45000, Qty: 2,
			InventoryType: tiki.InventorySellerBackorder}},
	}); err != nil {
		log.Fatal(err)
	}

	warehouses, _, err := client.V1.Warehouses.ListSeller(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	wh := warehouses[0]
	for order, err := range client.V1.Orders.All(ctx, &tiki.OrderListOptionsV1{Status: tiki.OrderStatusQueueing}) {
		if err != nil {
			log.Fatal(err)
		}
		req := order.ConfirmItemsRequest()
		req.ItemIDs = order.ItemIDs()
		req.WarehouseCode, req.SellerInventoryID = wh.WarehouseCode, wh.SellerInventoryID
		req.DeliveryCommitmentTime = tiki.NewTime(time.Now().Add(48 * time.Hour))
		if _, _, err := client.V1.Orders.ConfirmItems(ctx, req); err != nil {
			log.Fatal(err)
		}
		if _, _, err := client.V1.Orders.ConfirmDelivery(ctx, tiki.ConfirmDeliveryRequest{
			OrderCode: order.OrderCode, Status: tiki.ConfirmDeliverySuccessful,
		}); err != nil {
			log.Fatal(err)
		}
		done, _, err := client.V1.Orders.Get(ctx, order.OrderCode)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(order.Items), "item(s):", done.Status)
	}
	// Output: 1 item(s): complete
}

// The loop that confirms the orders waiting for the seller: Orders.Confirm
// calls the endpoint of each order's operation model.
func ExampleOrdersService_Confirm() {
	srv, stop := fakeTiki()
	defer stop()
	for _, model := range []tiki.FulfillmentType{tiki.FulfillmentTikiDelivery, tiki.FulfillmentDropship} {
		if _, err := srv.CreateOrder(tikitest.OrderSpec{FulfillmentType: model, TikiWarehouse: "sgn"}); err != nil {
			log.Fatal(err)
		}
	}
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	waiting := &tiki.OrderListOptions{
		Status:                 tiki.In(tiki.OrderStatusQueueing),
		ItemConfirmationStatus: tiki.ConfirmationWaiting,
		OrderBy:                tiki.OrderByCreatedAtAsc,
	}
	for order, err := range client.Orders.All(ctx, waiting) {
		if err != nil {
			log.Fatal(err)
		}
		done, _, err := client.Orders.Confirm(ctx, &order, nil)
		if err != nil {
			log.Fatal(err)
		}
		label, _, err := client.Orders.Label(ctx, &order, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(order.FulfillmentType, "confirmed from seller warehouse", done.SellerInventoryID,
			"label:", label.URL() != "")
	}
	// Output:
	// tiki_delivery confirmed from seller warehouse 903 label: true
	// dropship confirmed from seller warehouse 903 label: true
}

// Client.Call reaches an endpoint the SDK has no method for, through the
// client's authentication, limiter, retries and typed errors.
func ExampleClient_Call() {
	srv, stop := fakeTiki()
	defer stop()
	client, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}
	var me struct {
		Name string `json:"name"`
	}
	if _, err := client.Call(context.Background(), http.MethodGet, "v2/sellers/me", nil, nil, &me); err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Name != "")
	// Output: true
}
