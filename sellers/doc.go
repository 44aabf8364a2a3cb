// Package sellers runs a public Tiki app's sellers: Onboarding connects a
// seller through Tiki's consent page (the authorization code flow) and
// stores the seller's token under their id, and Pool hands out each
// seller's client, made on first use from the token store.
//
// Every seller's token lives in one tiki.TokenStore: a
// tiki.MemoryTokenStore for one process, a tiki.FileTokenStore for the
// processes of one machine, the redisstore module's TokenStore for the
// replicas of a service. The clients read and renew tokens through it, so
// that each seller's token is renewed once across every replica (see
// tiki.WithOAuthApp): Tiki's refresh tokens are single use, and two
// replicas renewing one seller at once could disconnect the seller.
//
//	store, _ := redisstore.NewTokenStore(rdb)
//	states, _ := redisstore.NewDedupeStore(rdb) // each consent's state accepted once, across replicas
//	pool, _ := sellers.NewPool(app, store)
//	onboarding, _ := sellers.NewOnboarding(pool, sellers.WithStateStore(states))
//
//	// GET /connect: send the seller to Tiki.
//	consent, _ := onboarding.ConsentURL(sessionID)
//	// GET /tiki/callback: Tiki sends the seller back.
//	seller, err := onboarding.Complete(ctx, sessionID, r.URL.Query()) // seller.SellerID, seller.Client
//
//	// An event of the app's queue names its seller.
//	client, err := pool.Client(ev.SID)
//
// Seller ids: Onboarding stores a seller's token under the id GET
// /v2/sellers/me answers, in decimal, and events name their seller with
// Event.SID. Tiki's documentation shows sid as a 40-digit hexadecimal
// string and the seller's id as a number, without saying how they relate;
// the fake (package tikitest) uses the number for both. An app that finds
// them different on Tiki keeps its own map from sid to seller id.
package sellers
