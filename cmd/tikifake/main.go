// Command tikifake runs the fake Tiki seller API as a standalone server, for
// testing integrations written in any language.
//
//	go run ./cmd/tikifake -addr 127.0.0.1:8080
//
// It serves the integration API under /integration, the TikiNOW business
// API under /business/v1 and the OAuth2 endpoints under /sc/oauth2, and
// prints the credentials it accepts. It stops on SIGINT or SIGTERM. With
// -addr 127.0.0.1:0 it picks a free port and prints the URLs it serves.
//
// # Flags
//
//	-addr 127.0.0.1:8080      address to listen on
//	-v                        log one line per request to stderr: method, path
//	                          and query, status, duration and, for a 4xx the
//	                          fake chose, why (secrets are masked)
//	-lenient-query            ignore query parameters a route does not document
//	                          (default: answer 400 naming them)
//	-client-auth basic|post   how the app sends its client id and secret to the
//	                          token endpoint: Authorization: Basic header
//	                          (client_secret_basic, the default; id and secret
//	                          form-URL-encoded first, RFC 6749 section 2.3.1)
//	                          or form body (client_secret_post); the other is
//	                          refused with 401 invalid_client
//	-products N               start with N demo products (SKU DEMO-1 ...
//	                          DEMO-N); mock orders are made of them
//	-seller-key, -token, -client-id, -client-secret, -token-ttl, -rate,
//	-approval-delay           credentials and behaviour (see -h)
//
// # Orders
//
// Tiki's current order API (v2) is served under /integration/v2, the 2019
// order API (v1) under /integration/v1 only. A session with the v2 order
// API, with the default access token:
//
//	TOKEN=tikitest-access-token
//	API=http://127.0.0.1:8080/integration/v2
//	# The fake numbers v2 orders 300000001, 300000002, ... and their items
//	# 200000001, 200000002, ...
//
//	# A customer places an order (the fake's mock order; fulfillment_type is
//	# tiki_delivery, seller_delivery, cross_border or dropship).
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"fulfillment_type":"seller_delivery","items":[{"seller_product_code":"SKU-1","price":150000,"quantity":2}]}' \
//	  $API/orders
//
//	# Orders waiting for confirmation, then one order with its histories.
//	curl -s -H "Authorization: Bearer $TOKEN" \
//	  "$API/orders?status=queueing&item_inventory_type=backorder&item_confirmation_status=waiting&filter_date_by=today"
//	curl -s -H "Authorization: Bearer $TOKEN" "$API/orders/300000001?include=status_histories,item.fees"
//
//	# The seller inventories that may confirm for the order's Tiki warehouse,
//	# then the confirmation (items left out are canceled).
//	curl -s -H "Authorization: Bearer $TOKEN" "$API/seller-inventories?tiki_warehouse_codes=hn"
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"available_item_ids":[200000001],"seller_inventory_id":919}' $API/orders/300000001/confirm-available
//
//	# Dropship orders: pick a pickup slot and confirm with it.
//	curl -s -H "Authorization: Bearer $TOKEN" $API/orders/dropship/expected-pickup-slots
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"confirmation_status":"seller_confirmed","seller_inventory_id":919,"expected_pickup_time":"2026-12-02 14:00:00"}' \
//	  $API/orders/300000002/dropship/confirm-available
//
//	# Labels (tiki-delivery, seller-delivery, dropship, cross-border), as JSON
//	# with URLs or, with format=html, the page itself.
//	curl -s -H "Authorization: Bearer $TOKEN" $API/orders/300000001/seller-delivery/labels
//	curl -s -H "Authorization: Bearer $TOKEN" "$API/orders/300000001/seller-delivery/labels?format=html"
//
//	# The outcome of a seller delivery; the steps of a cross-border shipment.
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"status":"failed_delivery","failure_cause":"redelivery_appointment","appointment_date":"2026-12-05 09:00:00"}' \
//	  $API/orders/300000001/seller-delivery/update-delivery
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"status":"transferring_to_foreign_warehouses","update_time":"2026-12-02 12:00:00"}' \
//	  $API/orders/300000003/cross-border/update-shipment
//
//	# The seller's warehouses (status 0|1, type 0 return | 1 pickup).
//	curl -s -H "Authorization: Bearer $TOKEN" "$API/sellers/me/warehouses?status=1&type=1"
//
// Confirmations are checked as Tiki checks them: the endpoint must match the
// order's operation model, the items must belong to the order and wait for
// confirmation, the seller inventory must be mapped to the order's Tiki
// warehouse, the item's available_confirm_sla must not have passed, and an
// order is confirmed once. Refusals come in Tiki's {"errors": [...]} shape.
//
// # Event queue
//
// Tiki's event queue (pull API) is served under /integration/v1/queues:
// create a queue, subscribe it to event types, then pull. Each answer's
// ack_id, sent with the next pull, acknowledges that batch; a pull without
// it gets the unacknowledged events again. Price and stock changes made
// through the product endpoints publish PRODUCT_PRICE_UPDATED,
// PRODUCT_MARKET_PRICE_UPDATED and PRODUCT_INVENTORY_UPDATED events.
//
//	API=http://127.0.0.1:8080/integration/v1
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"orders"}' $API/queues
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"event_type":"PRODUCT_INVENTORY_UPDATED"}' $API/queues/$QUEUE/subscriptions
//	curl -s -H "Authorization: Bearer $TOKEN" $API/queues/$QUEUE/subscriptions
//	curl -s -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d '{"active":false}' $API/queues/$QUEUE/subscriptions/$SUBSCRIPTION
//	curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"ack_id":null}' \
//	  $API/queues/$QUEUE/events/pull
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	rate := flag.Int("rate", 0, "answer 429 above this many requests per second (0: no limit)")
	key := flag.String("seller-key", tikitest.DefaultSellerKey, "seller key accepted in the tiki-api header")
	token := flag.String("token", tikitest.DefaultAccessToken, "Bearer access token accepted")
	id := flag.String("client-id", tikitest.DefaultClientID, "OAuth2 client id")
	secret := flag.String("client-secret", tikitest.DefaultClientSecret, "OAuth2 client secret")
	ttl := flag.Duration("token-ttl", time.Hour, "lifetime of issued access tokens")
	approval := flag.Duration("approval-delay", tikitest.DefaultApprovalDelay, "time each step of a product request takes (0: never moves)")
	verbose := flag.Bool("v", false, "log one line per request to stderr (secrets masked)")
	lenient := flag.Bool("lenient-query", false, "ignore query parameters a route does not document instead of answering 400")
	clientAuth := flag.String("client-auth", "basic", `how the app authenticates at the token endpoint: "basic" (Authorization: Basic header) or "post" (client_id and client_secret in the form body)`)
	products := flag.Int("products", 0, "number of demo products (SKU DEMO-1, DEMO-2, ...) to start with")
	flag.Parse()

	opts := []tikitest.Option{
		tikitest.WithRateLimit(*rate),
		tikitest.WithSellerKey(*key),
		tikitest.WithAccessToken(*token),
		tikitest.WithClientCredentials(*id, *secret),
		tikitest.WithTokenTTL(*ttl),
		tikitest.WithApprovalDelay(*approval),
	}
	switch *clientAuth {
	case "basic":
		opts = append(opts, tikitest.WithClientAuthStyle(tiki.AuthStyleBasic))
	case "post":
		opts = append(opts, tikitest.WithClientAuthStyle(tiki.AuthStylePost))
	default:
		fmt.Fprintf(os.Stderr, "tikifake: client-auth must be basic or post, not %q\n", *clientAuth)
		os.Exit(2)
	}
	if *products < 0 || *products > 100 {
		fmt.Fprintln(os.Stderr, "tikifake: products must be between 0 and 100")
		os.Exit(2)
	}
	if *verbose {
		opts = append(opts, tikitest.WithRequestLog(os.Stderr))
	}
	if *lenient {
		opts = append(opts, tikitest.WithLenientQuery())
	}
	// The handler goes in before the address is announced: a SIGINT or
	// SIGTERM sent as soon as the address appears (by a test, a script or
	// a quick Ctrl-C) stops the fake cleanly instead of killing it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := tikitest.Listen(*addr, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tikifake:", err)
		os.Exit(1)
	}
	for i := 1; i <= *products; i++ {
		if _, err := srv.SeedProduct(demoProduct(i)); err != nil {
			srv.Close()
			fmt.Fprintln(os.Stderr, "tikifake:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("fake Tiki listening\n  integration API: %s\n  TikiNOW API:     %s\n  OAuth2:          %s/sc/oauth2/{auth,token}\n", srv.URL, srv.TikiNowURL, srv.Host)
	fmt.Printf("  seller key (tiki-api header): %s\n  access token (Bearer):        %s\n  client id / secret:           %s / %s (client_secret_%s)\n", *key, *token, *id, *secret, *clientAuth)

	<-ctx.Done()
	stop() // a second signal during Close takes the default action
	srv.Close()
}

// demoProduct is the n-th demo product: a simple product in category 218
// (Medical Books), stocked in the seller's warehouses 919 (hn) and 903
// (sgn) and on sale once created.
func demoProduct(n int) tiki.NewProduct {
	return tiki.NewProduct{
		CategoryID:  218,
		Name:        "Sổ tay y khoa " + strconv.Itoa(n),
		Description: "<p>Sổ tay cho sinh viên y</p>",
		MarketPrice: 200000,
		Attributes:  map[string]any{"brand": "Tiki", "bulky": 0},
		Image:       "https://img.example/demo-" + strconv.Itoa(n) + ".jpg",
		MetaData:    &tiki.ProductMetaData{IsAutoTurnOn: true},
		Variants: []tiki.Variant{{
			SKU: "DEMO-" + strconv.Itoa(n), Price: tiki.Money(100000 + 10000*n), InventoryType: tiki.InventoryDropShip,
			SellerWarehouse: "919,903",
			WarehouseStocks: []tiki.WarehouseStock{{WarehouseID: 919, QtyAvailable: 10}, {WarehouseID: 903, QtyAvailable: 5}},
		}},
	}
}
