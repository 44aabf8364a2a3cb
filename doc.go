// Package tiki is a client for the seller APIs of Tiki, the Vietnamese
// marketplace: the catalog, product requests and their tracking, products
// (price, stock, status), orders, warehouses, the seller's account, Tiki's
// event queue and TikiNOW webhook registration.
//
// Create one [Client] per seller with [NewClient] and share it; it is safe
// for concurrent use. Every call goes through one stack: authentication
// (seller key, access token, or OAuth2 with automatic renewal), a limiter
// that keeps the seller under Tiki's 200 requests per second and waits
// rather than rejects, and retries of what is safe to retry (a POST that
// may have reached Tiki is never sent again). Writes to one product land in
// the order they were made, retries included: within a client always, and
// across the replicas of a service with [WithWriteOrder].
//
//	client, err := tiki.NewClient(
//		tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: id, ClientSecret: secret}),
//	)
//	cats, _, err := client.Catalog.ListCategories(ctx, &tiki.CategoriesOptions{Name: "book"})
//
// # Services
//
// The client groups Tiki's endpoints by area: client.Catalog,
// client.ProductRequests, client.Tracking, client.Products,
// client.Warehouses, client.Orders (today's order API, v2), client.Sellers,
// client.EventQueue and client.Webhooks. Methods take a context first and
// return the decoded result, a *[Response] describing the HTTP exchange, and
// an error. A method named All walks every page of a list as an iterator,
// with several pages in flight; [Map] makes many independent calls at once
// and ProductsService.UpdateBatch writes any number of products, each with
// its own result.
//
// Older API versions: the client's services call each endpoint in the newest
// version Tiki documents. An older version that Tiki still documents is
// reached through client.V1 (the 2019 API: catalog categories, product
// creation, tracking and updates, the v1 order API and its seller
// warehouses) and client.V2 (the product endpoints that v2.1 replaced), with
// the same service and method names as today's: client.V2.Products.List is
// GET /v2/products where client.Products.List is GET /v2.1/products, and
// client.V1.Orders.List is the v1 order list. No method name carries a
// version, and there is no per-client version switch. Any other endpoint is
// reached through [Client.Call].
//
// # Errors
//
// Errors from Tiki are *[APIError] (or *[RateLimitError]); a connection that
// failed is a *[RequestError], which says whether the request may have
// reached Tiki; an answer of another shape than documented is a
// *[DecodeError] (wrapping an *[AmountError] when an amount is not a whole
// number of dong: one such amount fails the whole call); a 2xx answer to a
// write without what confirms it is an *[UnconfirmedError]. Arguments that
// break a documented rule are refused with a *[ValidationError] listing
// every problem, before anything is sent, and NewClient reports every wrong
// option in one *ValidationError too. The sentinels [ErrNotFound],
// [ErrUnauthorized], [ErrForbidden], [ErrRateLimited] and [ErrNilContext]
// work with errors.Is. No error or log line holds a credential.
//
// # Wire types and enumerations
//
// One Go type per meaning: amounts in dong are [Money], percentages
// [Percent], times [Time]; SKUs and other codes are plain strings and ids
// int64, decoded from whatever form Tiki sends them in. Every enumeration
// value the client sends (order statuses, event types, fulfillment types,
// ...) is checked against the values Tiki documents before anything is
// sent; a value Tiki added later is sent once the client allows it with
// [WithEnumValues].
//
// # Options
//
// Every list and filter options type (ListOptions and the types that embed
// it, CategoriesOptions, TrackingOptions, OrderGetOptions, LabelOptions...)
// follows one rule. nil options are the zero options: a method given nil
// sends the same request as one given a pointer to the zero value of its
// options type. A field left at its zero value is not sent, so Tiki applies
// its own default; a pointer field is sent whenever it is not nil, even when
// it points to a zero value. The options a caller passes are never changed.
//
// # The event queue, webhooks and the fake
//
// Tiki's event queue (pull-based notifications of orders, prices and stock)
// has its API here, client.EventQueue with [EventQueueService.Pull] and the
// typed events ([OrderCreatedEvent], [InventoryUpdatedEvent], ...), and its
// consumer in package github.com/tikisdk/tiki/eventqueue: the loop that
// pulls for months, hands each event to the handler of its type and
// acknowledges nothing that was not handled.
//
// TikiNOW's webhook deliveries are received by package
// github.com/tikisdk/tiki/tikinow (registration is client.Webhooks.Register
// here); packages github.com/tikisdk/tiki/ikitech and
// github.com/tikisdk/tiki/ginee receive IKITECH's and Ginee's. They share
// package github.com/tikisdk/tiki/webhook (body limits, options, replies) and,
// with the event-queue consumer, package github.com/tikisdk/tiki/dedupe, which
// keeps a message delivered twice from running its handler twice. Package
// github.com/tikisdk/tiki/reconcile's OrdersBackfill hands every order to
// the seller's order handler at least once, even when its event or webhook
// was lost.
//
// Package github.com/tikisdk/tiki/tikitest is a fake Tiki for tests and
// examples, in the same process (tikitest.NewServer in a test,
// tikitest.Start in a program); the command
// github.com/tikisdk/tiki/cmd/tikifake runs it as a standalone server for
// integrations in any language.
//
// # Public apps, replicas and telemetry
//
// A public app keeps each seller's token in a [TokenStore]
// ([NewMemoryTokenStore], [NewFileTokenStore]) and makes each seller's
// client with [WithOAuthApp], which renews the token once across every
// client sharing the store; package github.com/tikisdk/tiki/sellers
// onboards sellers through Tiki's consent page and keeps a pool of their
// clients. The separate module github.com/tikisdk/tiki/redisstore shares
// between replicas through Redis the rate limit, the dedupe store, the
// event-queue consumer's lease and checkpoint, the write order and the
// token store. [WithHooks] reports every call, limiter wait, attempt and
// token renewal; the separate module github.com/tikisdk/tiki/tikiotel
// turns them into OpenTelemetry spans and metrics.
//
// The repository's README is the guide (setting up, a first program, the
// common task of each area) and its docs/ folder the reference.
package tiki
