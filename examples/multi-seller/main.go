// Command multi-seller runs a public Tiki app with several sellers:
// package sellers' Onboarding connects each seller through Tiki's consent
// page, a token store keeps every seller's token, and a Pool hands out the
// client of the seller each event of the app's queue names. When every
// token expires at once, each seller's token is renewed once; when a
// renewal's answer is lost and Tiki revokes the grant, only that seller
// must reconnect.
//
//	go run ./examples/multi-seller
//
// It runs against the built-in fake Tiki (package tikitest), whose
// authorization server follows Tiki's (Ory Hydra's) rules: single-use
// refresh tokens, and a grant revoked when a used one is sent again. The
// consent page's approval, which a seller gives in their browser, is
// played by the fake (ApproveConsent). With several replicas, give each
// the redisstore module's TokenStore (and its DedupeStore for the
// onboarding states) instead of the file store.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "multi-seller:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	srv, err := tikitest.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("Talking to the built-in fake Tiki at", srv.URL)

	// The app, its token store (one machine: files; replicas: Redis), the
	// pool of its sellers' clients and its onboarding.
	dir, err := os.MkdirTemp("", "multi-seller-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := tiki.NewFileTokenStore(dir)
	if err != nil {
		return err
	}
	cc := srv.ClientCredentials()
	app := tiki.OAuthApp{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Host: srv.Host,
		RedirectURL: "https://app.example/tiki/callback",
		Scopes:      []string{tiki.ScopeProduct, tiki.ScopeOrder, tiki.ScopeOffline}}
	pool, err := sellers.NewPool(app, store, sellers.WithClientOptions(tiki.WithBaseURL(srv.URL)))
	if err != nil {
		return err
	}
	defer pool.CloseIdleConnections()
	onboarding, err := sellers.NewOnboarding(pool)
	if err != nil {
		return err
	}

	// 1. Three sellers connect; a fourth refuses on the consent page.
	for _, seller := range []int64{1001, 1002, 1003} {
		if _, err := connect(ctx, srv, onboarding, seller); err != nil {
			return err
		}
	}
	session := "browser-session-of-seller-1004"
	consent, err := onboarding.ConsentURL(session)
	if err != nil {
		return err
	}
	back, err := srv.DenyConsent(consent)
	if err != nil {
		return err
	}
	_, err = onboarding.Complete(ctx, session, back.Query())
	var refused *tiki.AuthorizationError
	if !errors.As(err, &refused) {
		return fmt.Errorf("want a refusal, got %v", err)
	}
	fmt.Printf("Seller 1004 refused: %v\n", err)

	// 2. The app's queue (its own token), each seller subscribed with the
	//    seller's token, an order per seller.
	appClient, err := srv.Client()
	if err != nil {
		return err
	}
	q, _, err := appClient.EventQueue.CreateQueue(ctx, "orders of every seller")
	if err != nil {
		return err
	}
	for _, seller := range []string{"1001", "1002", "1003"} {
		c, err := pool.Client(seller)
		if err != nil {
			return err
		}
		if _, _, err := c.EventQueue.Subscribe(ctx, q.Code, tiki.EventOrderCreated); err != nil {
			return err
		}
	}
	for i, seller := range []int64{1001, 1002, 1003, 1002} {
		payload := map[string]any{"order_code": fmt.Sprintf("80000%d", i), "status": "queueing"}
		if _, err := srv.EmitEvent(seller, tiki.EventOrderCreated, "v1", payload); err != nil {
			return err
		}
	}

	// 3. Every seller's access token expires at once; each event's
	//    handler gets its seller's client from the pool in one call.
	srv.ExpireTokens()
	batch, _, err := appClient.EventQueue.Pull(ctx, q.Code, "")
	if err != nil {
		return err
	}
	for _, ev := range batch.Events {
		client, err := pool.Client(ev.SID)
		if err != nil {
			return err
		}
		me, _, err := client.Sellers.Get(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("Event %s of seller %s handled with the client of %s (id %d)\n", ev.Type, ev.SID, me.Name, me.ID)
	}
	if _, _, err := appClient.EventQueue.Pull(ctx, q.Code, batch.AckID); err != nil {
		return err
	}
	renewals := map[int64]int{}
	for _, g := range srv.Grants() {
		renewals[g.SellerID] += g.Renewals
	}
	fmt.Printf("Renewals per seller after the tokens expired: %v\n", sorted(renewals))
	for _, s := range []int64{1001, 1002, 1003} {
		if renewals[s] != 1 {
			return fmt.Errorf("seller %d renewed %d times", s, renewals[s])
		}
	}

	// 4. A renewal's answer is lost after Tiki issued new tokens: the
	//    refresh token in the store is spent, Tiki revokes the grant when
	//    it comes back, and only that seller must reconnect.
	srv.ExpireTokens()
	srv.DropTokenAnswers(1)
	c1, err := pool.Client("1001")
	if err != nil {
		return err
	}
	_, _, err = c1.Sellers.Get(ctx)
	var revoked *tiki.GrantRevokedError
	if !errors.As(err, &revoked) {
		return fmt.Errorf("want a revoked grant, got %v", err)
	}
	fmt.Printf("Seller %s: %v\n", revoked.SellerID, err)
	c2, err := pool.Client("1002")
	if err != nil {
		return err
	}
	if _, _, err := c2.Sellers.Get(ctx); err != nil {
		return err
	}
	fmt.Println("Seller 1002 goes on")
	reconnected, err := connect(ctx, srv, onboarding, 1001)
	if err != nil {
		return err
	}
	if _, _, err := reconnected.Client.Sellers.Get(ctx); err != nil {
		return err
	}
	fmt.Println("Seller 1001 reconnected")
	return nil
}

// connect plays seller's visit to Tiki's consent page: the app sends the
// browser there, the seller approves, and Tiki sends it back to the app's
// callback, which completes the onboarding.
func connect(ctx context.Context, srv *tikitest.Server, onboarding *sellers.Onboarding, seller int64) (*sellers.Connected, error) {
	session := fmt.Sprintf("browser-session-of-seller-%d", seller)
	consent, err := onboarding.ConsentURL(session)
	if err != nil {
		return nil, err
	}
	back, err := srv.ApproveConsent(consent, seller) // the seller's browser on Tiki
	if err != nil {
		return nil, err
	}
	connected, err := onboarding.Complete(ctx, session, back.Query()) // the app's callback handler
	if err != nil {
		return nil, err
	}
	fmt.Printf("Seller %s (%s) connected with scopes %q\n", connected.SellerID, connected.Seller.Name, connected.Scope)
	return connected, nil
}

// sorted formats m in the order of its keys.
func sorted(m map[int64]int) string {
	keys := make([]int64, 0, len(m))
	for k := range m {
		if k != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf("%d:%d ", k, m[k])
	}
	return s
}
