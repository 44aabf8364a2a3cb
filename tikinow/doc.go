// Package tikinow receives TikiNOW's webhook deliveries: Tiki's own
// notifications of stock changes, order state changes and aftersale cases.
//
// A seller registers, with [github.com/tikisdk/tiki.WebhooksService.Register]
// (an API call of the client), the Tiki warehouses whose stock it follows and
// one URL and secret key per kind of change. TikiNOW then POSTs each change
// to that URL as {"data": {...}}, signed in the X-Signature header:
// "sha1=" and the hex HMAC-SHA1 of the raw body keyed with the URL's
// secret. A delivery is decoded into a [StockEvent], an [OrderStatusEvent]
// or an [AftersaleEvent]; anything else is an [UnknownEvent] holding the
// raw body.
//
// # Receiving
//
//	secret, err := tikinow.NewSecret() // register it, keep it with your config
//	if err != nil { ... }
//	rc, err := tikinow.NewReceiver([]string{secret})
//	if err != nil { ... }
//	rc.OnStock(func(ctx context.Context, e *tikinow.StockEvent) error {
//		return inventory.Set(ctx, e.SKU, e.Warehouse, e.QtySalable)
//	})
//	rc.OnOrderStatus(func(ctx context.Context, e *tikinow.OrderStatusEvent) error {
//		return orders.MarkState(ctx, e.OrderCode, e.MainState)
//	})
//	rc.OnAftersale(webhook.Ignore) // acknowledged on purpose
//	http.Handle("POST /webhooks/tiki", rc)
//
// A [Receiver] checks the signature before decoding anything (401 when it
// matches none of its secrets; give it the old and the new one while
// rotating a secret). A handler that returns an error makes it answer 500,
// so that TikiNOW delivers the change again; one that returns nil makes it
// answer 200 {"success":true}. Copies of a delivery that was handled are
// acknowledged without running the handler again, and copies of one being
// handled are answered 503 (that run may still fail); see
// [webhook.WithDedupe] for several replicas. A delivery no handler takes (a
// documented kind without its handler, or a shape this package does not
// recognise without OnUnknown) is answered 501, so that TikiNOW delivers it
// again: a delivery is dropped only by a handler registered to drop it,
// such as [webhook.Ignore].
//
// Users with their own router call [Verify] with the X-Signature header and
// then [Parse] on the raw body. Tests sign their own deliveries with [Sign].
//
// # TikiNOW deliveries and the event queue
//
// Tiki's event queue (the client's EventQueue service and package
// eventqueue) is Tiki's current notification system for orders, prices and
// stock: it needs no public endpoint and keeps unacknowledged events for
// days. TikiNOW deliveries carry what the queue does not (TikiNOW's own
// order states and aftersale cases) and are pushed as they happen. Both
// report stock changes ([StockEvent] here, by Tiki warehouse code and SKU;
// PRODUCT_INVENTORY_UPDATED in the queue, by warehouse id and product id)
// and order changes: an [OrderStatusEvent] and the queue's
// ORDER_STATUS_UPDATED event may report the same change of the same order;
// see [OrderStatusEvent] for how they differ.
package tikinow
