package ginee_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tikisdk/tiki/ginee"
)

func ExampleNewReceiver() {
	// Ginee does not sign notifications: give Ginee a URL ending with a
	// secret segment, here https://example.com/webhooks/ginee/Zt8w-Q3k_p.
	rc, err := ginee.NewReceiver(ginee.WithPathSecret("Zt8w-Q3k_p"))
	if err != nil {
		log.Fatal(err)
	}
	rc.OnOrder(func(ctx context.Context, ev *ginee.OrderEvent) error {
		fmt.Printf("%s %s order %s on %s: %s\n", ev.ID, ev.Action, ev.Order.OrderID, ev.Order.Channel, ev.Order.OrderStatus)
		return nil // an error would answer 500, so that Ginee retries
	})
	rc.OnDeliveryOrder(func(ctx context.Context, ev *ginee.DeliveryOrderEvent) error {
		fmt.Printf("delivery order %s: %s\n", ev.DeliveryOrder.DeliveryOrderID, ev.Action)
		return nil
	})

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/ginee/", rc)

	send := func(path, body string) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	order := `{"id": "GENIE5FF31A7C5F15030001D3ED5E", "entity": "order", "action": "CREATE",
		"payload": {"orderId": "order_1", "channel": "LAZADA_ID", "orderStatus": "PAID"}}`
	send("/webhooks/ginee/Zt8w-Q3k_p", order)
	send("/webhooks/ginee/Zt8w-Q3k_p", order) // a copy: acknowledged, not handled again
	send("/webhooks/ginee/guess", order)
	send("/webhooks/ginee/Zt8w-Q3k_p", `{"id": "GENIE606D4BF6DC0E8200015A823D", "entity": "delivery-order",
		"action": "DELETE", "payload": {"deliveryOrderId": "WDO606D24DD46E0FB0001D87335"}}`)
	// Output:
	// GENIE5FF31A7C5F15030001D3ED5E CREATE order order_1 on LAZADA_ID: PAID
	// 200 {"status":true}
	// 200 {"status":true}
	// 401 {"status":false,"message":"Unauthorized"}
	// delivery order WDO606D24DD46E0FB0001D87335: DELETE
	// 200 {"status":true}
}

func ExampleWithSecretHeader() {
	rc, err := ginee.NewReceiver(ginee.WithSecretHeader("X-Webhook-Secret", "agreed-with-ginee-staff"))
	if err != nil {
		log.Fatal(err)
	}
	rc.OnOrder(func(ctx context.Context, ev *ginee.OrderEvent) error { return nil })

	r := httptest.NewRequest(http.MethodPost, "/webhooks/ginee", strings.NewReader(`{"id": "GENIE1", "entity": "order", "payload": {}}`))
	r.Header.Set("X-Webhook-Secret", "agreed-with-ginee-staff")
	w := httptest.NewRecorder()
	rc.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output: 200
}

func ExampleParse() {
	body := []byte(`{"id": "GENIE5FF5D0245F150300015E5600", "entity": "delivery-order", "action": "UPDATE",
		"createAt": "2020-10-27T15:50:19Z",
		"payload": {"deliveryOrderId": "WDO600573D16B2F070001497EAF", "deliveryOrderStatus": "NEW",
			"trackingNumber": "10000972949095", "orderItems": [{"inventorySku": "800151", "quantity": 4}]}}`)

	ev, err := ginee.Parse(body)
	if err != nil {
		log.Fatal(err) // wraps webhook.ErrMalformedPayload: answer 400
	}
	switch ev := ev.(type) {
	case *ginee.DeliveryOrderEvent:
		d := ev.DeliveryOrder
		fmt.Println(ev.Action, d.DeliveryOrderID, d.DeliveryOrderStatus, d.TrackingNumber, ev.CreateAt.Format("2006-01-02"))
		for _, item := range d.OrderItems {
			fmt.Println(item.InventorySKU, item.Quantity)
		}
	case *ginee.OrderEvent:
		fmt.Println("order", ev.Order.OrderID)
	case *ginee.UnknownEvent:
		fmt.Printf("%s %s: %s\n", ev.Entity, ev.Action, ev.Payload)
	}
	// Output:
	// UPDATE WDO600573D16B2F070001497EAF NEW 10000972949095 2020-10-27
	// 800151 4
}
