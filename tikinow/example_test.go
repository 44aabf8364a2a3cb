package tikinow_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tikisdk/tiki/tikinow"
)

// A TikiNOW receiver verifies each delivery's signature before anything
// else and runs the handler of its kind.
func ExampleNewReceiver() {
	secret := "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0" // from tikinow.NewSecret, given at registration
	receiver, err := tikinow.NewReceiver([]string{secret})
	if err != nil {
		log.Fatal(err)
	}
	receiver.OnStock(func(ctx context.Context, e *tikinow.StockEvent) error {
		fmt.Printf("%s in %s: %d\n", e.SKU, e.Warehouse, e.QtySalable)
		return nil
	})

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/tiki", receiver)

	// What TikiNOW sends, signed with the secret.
	body := []byte(`{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"4833677185901","warehouse":"sgn","qty_salable":25}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/tiki", bytes.NewReader(body))
	req.Header.Set(tikinow.SignatureHeader, tikinow.Sign(body, secret))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 4833677185901 in sgn: 25
	// 200 {"success":true}
}

// A receiver answers 2xx only after the handler succeeded: a handler error
// is answered 5xx, so TikiNOW delivers the order again, and a delivery
// whose signature does not match is refused before any handler runs.
func ExampleReceiver_OnOrderStatus() {
	secret := "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0" // given to TikiNOW at registration
	receiver, err := tikinow.NewReceiver([]string{secret})
	if err != nil {
		log.Fatal(err)
	}
	databaseUp := false
	receiver.OnOrderStatus(func(ctx context.Context, e *tikinow.OrderStatusEvent) error {
		if !databaseUp {
			return errors.New("database down")
		}
		fmt.Println("order", e.OrderCode, "is", e.MainState)
		return nil
	})

	body := []byte(`{"data":{"date":"2023-05-10T14:40:12+07:00","order_code":"929231617","main_state":"processing"}}`)
	deliver := func(signature string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/tiki", bytes.NewReader(body))
		req.Header.Set(tikinow.SignatureHeader, signature)
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		return rec.Code
	}

	fmt.Println("forged:", deliver(tikinow.Sign(body, "not-the-secret")))
	fmt.Println("handler failed:", deliver(tikinow.Sign(body, secret)))
	databaseUp = true
	fmt.Println("delivered again:", deliver(tikinow.Sign(body, secret)))
	fmt.Println("duplicate:", deliver(tikinow.Sign(body, secret)))
	// Output:
	// forged: 401
	// handler failed: 500
	// order 929231617 is processing
	// delivered again: 200
	// duplicate: 200
}

// With your own router: verify the signature over the raw body, then parse
// it.
func ExampleParse() {
	secret := "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0"
	body := []byte(`{"data":{"date":"2023-05-12T09:15:00+07:00","ref_code":"SO-1","order_code":929231617,"status":"processing","type":"fd"}}`)
	header := tikinow.Sign(body, secret) // what the X-Signature header holds

	if err := tikinow.Verify(body, header, secret); err != nil {
		log.Fatal(err) // wraps webhook.ErrUnauthorized: answer 401
	}
	ev, err := tikinow.Parse(body)
	if err != nil {
		log.Fatal(err) // wraps webhook.ErrMalformedPayload: answer 400
	}
	switch ev := ev.(type) {
	case *tikinow.AftersaleEvent:
		fmt.Println("aftersale", ev.Type, "of order", ev.OrderCode, "is", ev.Status, "since", ev.Date)
	case *tikinow.UnknownEvent:
		fmt.Printf("unknown: %s\n", ev.Body)
	}
	// Output: aftersale fd of order 929231617 is processing since 2023-05-12 09:15:00
}
