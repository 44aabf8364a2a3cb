package ikitech_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tikisdk/tiki/ikitech"
)

func ExampleNewReceiver() {
	rc, err := ikitech.NewReceiver("token-set-in-ikitech")
	if err != nil {
		log.Fatal(err)
	}
	rc.OnNewOrder(func(ctx context.Context, ev *ikitech.OrderEvent) error {
		o := ev.Order
		fmt.Printf("new order %s: %.0f VND by %s, %s\n", o.OrderCode, o.TotalFinal, o.PaymentMethodID, o.PartnerShipperID)
		return nil // an error would answer 500, so that IKITECH retries
	})
	rc.OnDeleteCustomer(func(ctx context.Context, ev *ikitech.CustomerDeleteEvent) error {
		fmt.Println("customer deleted:", ev.PhoneNumber)
		return nil
	})

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/ikitech", rc)

	// What IKITECH sends:
	for _, body := range []string{
		`{"type": "NEW_ORDER", "data": {"order_code": "DH01", "total_final": "335000", "payment_method_id": 2, "partner_shipper_id": 1}}`,
		`{"type": "NEW_ORDER", "data": {"order_code": "DH01", "total_final": "335000", "payment_method_id": 2, "partner_shipper_id": 1}}`,
		`{"type": "DELETE_CUSTOMER", "data": {"phone_number": "0901234567"}}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/ikitech", strings.NewReader(body))
		r.Header.Set("Token", "token-set-in-ikitech")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// new order DH01: 335000 VND by cod, GHN
	// 200 {"success":true}
	// 200 {"success":true}
	// customer deleted: 0901234567
	// 200 {"success":true}
}

func ExampleParse() {
	body := []byte(`{"type": "UPDATE_PRODUCT", "data": {"id": 1021, "name": "Áo thun", "price": 150000, "status": 1, "updated_at": "2023-05-01 10:30:00"}}`)

	ev, err := ikitech.Parse(body)
	if err != nil {
		log.Fatal(err) // wraps webhook.ErrMalformedPayload: answer 400
	}
	switch ev := ev.(type) {
	case *ikitech.ProductEvent:
		p := ev.Product
		fmt.Println(ev.EventType(), p.ID, p.Name, p.Price, p.Status, p.UpdatedAt.UTC())
	case *ikitech.UnknownEvent:
		fmt.Printf("unknown %s: %s\n", ev.Type, ev.Data)
	}
	// Output: UPDATE_PRODUCT 1021 Áo thun 150000 hidden 2023-05-01 03:30:00 +0000 UTC
}
