package tiki_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/tikisdk/tiki"
)

// A TikiNOW receiver answers 2xx only after the handler succeeded: a
// handler error is answered 5xx, so TikiNOW delivers the order again, and a
// delivery whose signature does not match is refused before any handler
// runs.
func ExampleWebhookReceiver_OnOrderStatus() {
	secret := "sjYKaAFXDaS4qxeykux4WL1qMI0gzAc0" // given to TikiNOW at registration
	receiver, err := tiki.NewWebhookReceiver([]string{secret})
	if err != nil {
		log.Fatal(err)
	}
	databaseUp := false
	receiver.OnOrderStatus(func(ctx context.Context, e *tiki.OrderStatusEvent) error {
		if !databaseUp {
			return errors.New("database down")
		}
		fmt.Println("order", e.OrderCode, "is", e.MainState)
		return nil
	})

	body := []byte(`{"data":{"date":"2023-05-10T14:40:12+07:00","order_code":"929231617","main_state":"processing"}}`)
	deliver := func(signature string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/tiki", bytes.NewReader(body))
		req.Header.Set(tiki.SignatureHeader, signature)
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		return rec.Code
	}

	fmt.Println("forged:", deliver(tiki.SignWebhook(body, "not-the-secret")))
	fmt.Println("handler failed:", deliver(tiki.SignWebhook(body, secret)))
	databaseUp = true
	fmt.Println("delivered again:", deliver(tiki.SignWebhook(body, secret)))
	fmt.Println("duplicate:", deliver(tiki.SignWebhook(body, secret)))
	// Output:
	// forged: 401
	// handler failed: 500
	// order 929231617 is processing
	// delivered again: 200
	// duplicate: 200
}
