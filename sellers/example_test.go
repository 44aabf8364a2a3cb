package sellers_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

// A public app connects a seller through Tiki's consent page, then reaches
// the seller's client by id: later, from an event's SID. Here the fake
// plays the seller's approval on the consent page.
func ExampleOnboarding() {
	ctx := context.Background()
	srv, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	cc := srv.ClientCredentials()
	app := tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Host: srv.Host,
		RedirectURL: "https://app.example/tiki/callback", Scopes: []string{tiki.ScopeOrder, tiki.ScopeOffline}}
	store := tiki.NewMemoryTokenStore() // tiki.NewFileTokenStore or redisstore.NewTokenStore in production
	pool, err := sellers.NewPool(app, store, sellers.WithClientOptions(tiki.WithBaseURL(srv.URL)))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.CloseIdleConnections()
	onboarding, err := sellers.NewOnboarding(pool)
	if err != nil {
		log.Fatal(err)
	}

	session := "the seller's browser session"
	consent, err := onboarding.ConsentURL(session)
	if err != nil {
		log.Fatal(err)
	}
	back, err := srv.ApproveConsent(consent, 4242) // the seller approves in their browser
	if err != nil {
		log.Fatal(err)
	}
	seller, err := onboarding.Complete(ctx, session, back.Query())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("connected seller", seller.SellerID)

	client, err := pool.Client("4242")
	if err != nil {
		log.Fatal(err)
	}
	me, _, err := client.Sellers.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the seller's client reads seller", me.ID)

	_, err = onboarding.Complete(ctx, session, back.Query())
	fmt.Println("the same callback again:", err)
	// Output:
	// connected seller 4242
	// the seller's client reads seller 4242
	// the same callback again: sellers: the OAuth2 state was already used
}
