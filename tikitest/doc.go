// Package tikitest runs a fake Tiki seller API in-process, for tests and
// examples that must work without network access or credentials.
//
// In a test, [NewServer] starts a fake on a loopback port and stops it when
// the test ends; [Server.Client] returns a client authenticated for it:
//
//	srv := tikitest.NewServer(t)
//	client, err := srv.Client()
//	cats, _, err := client.Catalog.ListCategories(ctx, nil)
//
// In a program (an example, a demo), [Start] or [Listen] starts one and
// [Server.Close] stops it; [NewHandler] returns the fake as an http.Handler
// to mount in a server of the caller's own. The command
// github.com/tikisdk/tiki/cmd/tikifake runs the same fake as a standalone
// server.
//
// # What it serves
//
// The fake checks credentials like Tiki does (seller key in the tiki-api
// header, Bearer tokens, and an OAuth2 token endpoint that accepts only the
// client authentication method the app is set up for, see
// [WithClientAuthStyle]), answers unknown routes, query parameters a route
// does not document (see [WithLenientQuery]) and bad parameters with Tiki's
// error shape {"errors": [...]}, and serves the catalog and Tiki's
// warehouses from the examples in Tiki's API documentation. Beyond them:
//
//   - products: product requests checked like Tiki checks them, moving to
//     approval on the fake's clock ([WithApprovalDelay], [Server.AdvanceRequests],
//     [Server.ApproveRequest], [Server.RejectRequest]); products listed at once
//     with [Server.SeedProduct]; price, status and stock updates; stock and
//     prices changed behind the client's back, as an edit in Seller Center
//     ([Server.SetStock], [Server.SetPrice]), read back per warehouse
//     ([Server.Stock]), and updates Tiki refuses ([Server.RefuseUpdates]);
//     the units that open orders hold (quantity_reserved) kept as Tiki keeps
//     them;
//   - orders: [Server.CreateOrder] places an order of today's order API (v2),
//     of any operation model, made of the seller's products; confirmations,
//     pickup slots, labels, delivery outcomes and shipment steps follow Tiki's
//     rules, with deadlines on the fake's clock ([WithClock]);
//     [Server.CreateOrderV1] does the same for the 2019 order API;
//     [Server.LoseOrderNotifications] loses the event-queue events and
//     TikiNOW webhooks of the order changes a test chooses, while the
//     orders change as usual;
//   - the event queue: queues, subscriptions and pull with at-least-once
//     redelivery; product and order changes publish events, and
//     [Server.EmitEvent] publishes any event; [Server.AddSeller] adds a seller
//     of a public app;
//   - TikiNOW webhooks: after registration, order and stock changes are
//     delivered, signed ([Server.WebhookDeliveries]);
//   - OAuth2 as Ory Hydra runs it: single-use refresh tokens, a grant
//     revoked when a used one is sent again ([WithRefreshGracePeriod]
//     allows reuse for a while), access tokens that belong to their seller;
//     [Server.GrantToken], [Server.ApproveConsent] and [Server.DenyConsent]
//     play a seller's consent to a public app, [Server.Grants] and
//     [Server.DropTokenAnswers] observe and disturb the renewals;
//   - faults and limits: [Server.Inject] fails the next requests of a route
//     ([Fault]), [Server.DropPullAnswers] loses pull answers, [WithRateLimit]
//     answers 429 above a rate; [WithRequestLog] logs one line per request,
//     without secrets.
//
// The Go API of a Server mirrors the client. Today's APIs have the plain
// names and the client's types: CreateOrder places an order of Tiki's
// current order API (v2) and returns it as a tiki.Order, SetOrderStatus
// takes a tiki.OrderStatus, EmitEvent a tiki.EventType. An older API Tiki
// still documents has the same names with a V1 suffix: CreateOrderV1,
// OrderV1 and SetOrderStatusV1 are the 2019 order API's, with its
// tiki.OrderV1. Every method that can fail says so with an error, of one of
// three kinds: an argument that breaks a rule (an unknown status, a fault
// without a path, a mock order item with a negative price) is a
// *tiki.ValidationError listing every problem, returned before anything
// changes; an order or product request the fake does not hold is an error
// wrapping tiki.ErrNotFound; anything else (a product request no longer in
// progress, a product Tiki's checks refuse) is a plain error.
package tikitest
