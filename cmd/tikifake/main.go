// Command tikifake runs the fake Tiki seller API as a standalone server, for
// testing integrations written in any language.
//
//	go run ./cmd/tikifake -addr 127.0.0.1:8080
//
// It serves the integration API under /integration, the TikiNOW business
// API under /business/v1 and the OAuth2 endpoints under /sc/oauth2, and
// prints the credentials it accepts. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	flag.Parse()

	srv, err := tikitest.Listen(*addr,
		tikitest.WithRateLimit(*rate),
		tikitest.WithSellerKey(*key),
		tikitest.WithAccessToken(*token),
		tikitest.WithClientCredentials(*id, *secret),
		tikitest.WithTokenTTL(*ttl),
		tikitest.WithApprovalDelay(*approval),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tikifake:", err)
		os.Exit(1)
	}
	fmt.Printf("fake Tiki listening\n  integration API: %s\n  TikiNOW API:     %s\n  OAuth2:          %s/sc/oauth2/{auth,token}\n", srv.URL, srv.TikiNowURL, srv.Host)
	fmt.Printf("  seller key (tiki-api header): %s\n  access token (Bearer):        %s\n  client id / secret:           %s / %s\n", *key, *token, *id, *secret)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	srv.Close()
}
