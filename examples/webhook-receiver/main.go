// Command webhook-receiver serves a TikiNOW webhook receiver and shows signed
// deliveries arriving: a stock change, an order cancellation, a duplicate
// (acknowledged, not handled twice) and a forged delivery (refused).
//
//	go run ./examples/webhook-receiver            # demonstrate, then exit
//	go run ./examples/webhook-receiver -serve :8080 -secret <32 chars>
//
// With -serve it keeps serving on that address, until SIGINT or SIGTERM
// (the deliveries under way finish first): register its URL with
// client.Webhooks.Register (https, reachable by Tiki) and watch deliveries.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/webhook"
)

func main() {
	serve := flag.String("serve", "", "keep serving on this address (for example :8080)")
	secret := flag.String("secret", "", "the 32-character secret key registered with TikiNOW (default: a new random one)")
	flag.Parse()
	if err := run(*serve, *secret); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-receiver:", err)
		os.Exit(1)
	}
}

// newServer returns a server for handler with every timeout set, so that no
// client can hold a connection, and its goroutine, indefinitely: headers
// within 5 s, the whole request within 15 s (the receiver's own body
// timeout is shorter), the reply within 30 s of the request (handlers must
// finish before that: TikiNOW gives up waiting after a few seconds and
// delivers again), and idle keep-alive connections closed after a minute.
func newServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
}

// serve serves handler on addr until SIGINT or SIGTERM, then lets the
// deliveries under way finish (for up to 10 s). The signal handler is in
// place and the address is bound before the address is announced: a
// delivery sent as soon as it appears is answered, and a signal sent at any
// moment stops the receiver cleanly.
func serve(handler http.Handler, addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := newServer(handler)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	log.Printf("serving TikiNOW webhooks on http://%s/webhooks/tiki", l.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal takes the default action
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func run(serveAddr, secret string) error {
	if secret == "" {
		var err error
		if secret, err = tikinow.NewSecret(); err != nil {
			return err
		}
	}
	receiver, err := tikinow.NewReceiver([]string{secret},
		// A body must arrive within 10 s of the request (the default, shown
		// here): the signature covers the whole body, so this, not the
		// signature, is what stops clients that send a byte now and then.
		webhook.WithBodyTimeout(10*time.Second),
		webhook.WithOnError(func(r *http.Request, err error) { fmt.Printf("  refused: %v\n", err) }))
	if err != nil {
		return err
	}
	receiver.OnStock(func(ctx context.Context, e *tikinow.StockEvent) error {
		fmt.Printf("  handled: stock of %s in %s is now %d\n", e.SKU, e.Warehouse, e.QtySalable)
		return nil
	})
	receiver.OnOrderStatus(func(ctx context.Context, e *tikinow.OrderStatusEvent) error {
		fmt.Printf("  handled: order %s is %s/%s (%s)\n", e.OrderCode, e.MainState, e.MainSubstate, e.ReasonCode)
		return nil
	})
	receiver.OnAftersale(func(ctx context.Context, e *tikinow.AftersaleEvent) error {
		fmt.Printf("  handled: aftersale %s of order %s is %s\n", e.Type, e.OrderCode, e.Status)
		return nil
	})
	receiver.OnUnknown(func(ctx context.Context, e *tikinow.UnknownEvent) error {
		fmt.Printf("  handled: unknown delivery %s\n", e.Body)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("/webhooks/tiki", receiver)

	if serveAddr != "" {
		return serve(mux, serveAddr)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := newServer(mux)
	go srv.Serve(l) //nolint:errcheck // ends with Close
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/webhooks/tiki"
	fmt.Println("Receiver listening on", url)

	stock := []byte(`{"data":{"date":"2023-05-10T14:32:05+07:00","sku":"4833677185901","warehouse":"sgn","qty_salable":25,"seller_product_code":"YOUR_ORIGINAL_SKU_123","partner_id":"41235121321"}}`)
	order := []byte(`{"data":{"date":"2023-05-10T15:01:44+07:00","ref_code":"SO-1","order_code":"929231617","main_state":"canceled","main_substate":"seller_canceled","reason_code":"seller-out-of-stock-cancel-order"}}`)
	steps := []struct {
		what       string
		body       []byte
		signature  string
		wantStatus int
	}{
		{"a signed stock change", stock, tikinow.Sign(stock, secret), 200},
		{"a signed order cancellation", order, tikinow.Sign(order, secret), 200},
		{"the same order delivery again (a duplicate: acknowledged, not handled twice)", order, tikinow.Sign(order, secret), 200},
		{"a delivery signed with the wrong secret", stock, tikinow.Sign(stock, "not-the-secret-not-the-secret-xx"), 401},
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for i, s := range steps {
		fmt.Printf("[%d/%d] TikiNOW sends %s\n", i+1, len(steps), s.what)
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(s.body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(tikinow.SignatureHeader, s.signature)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("  reply: %d %s", resp.StatusCode, reply)
		if resp.StatusCode != s.wantStatus {
			return errors.New("unexpected reply")
		}
	}
	return nil
}
