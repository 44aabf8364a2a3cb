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
