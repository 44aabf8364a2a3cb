// Package ginee receives Ginee Open API webhook notifications.
//
// Ginee (an omnichannel commerce platform for Southeast Asian marketplaces)
// POSTs a notification to an endpoint URL that Ginee staff set up for you
// whenever an order is created or a delivery order is created, updated or
// deleted. Every notification has the same envelope:
//
//	{"id": "GENIE5FF31A7C5F15030001D3ED5E", "userId": "1", "entity": "order",
//	 "action": "CREATE", "createAt": "2020-12-24T06:45:29.174Z",
//	 "user": {"id": "1", "email": "..."}, "payload": {...}}
//
// where the payload is an [Order] or a [DeliveryOrder] depending on the
// [Entity]. Ginee expects the answer 200 {"status": true}.
//
// # Security: Ginee does not sign notifications
//
// Ginee neither signs its notifications nor sends a token: a [Receiver]
// cannot tell a notification from Ginee from a forged one by itself.
// [NewReceiver] therefore needs a shared secret that only you and Ginee
// know, chosen with [WithSecretHeader] (Ginee staff must agree to send the
// header) or [WithPathSecret] (a secret last path segment in the URL you
// give Ginee, which needs nothing from Ginee); serve the endpoint over
// HTTPS only. [WithoutAuthentication] accepts every request instead, when
// the caller says so. Where it matters, confirm what a notification
// says through Ginee's API before acting on it: a notification is a hint
// that something changed, not proof.
//
// # Receiving
//
//	rc, err := ginee.NewReceiver(ginee.WithPathSecret(os.Getenv("GINEE_WEBHOOK_SECRET")))
//	if err != nil { ... }
//	rc.OnDeliveryOrder(func(ctx context.Context, ev *ginee.DeliveryOrderEvent) error {
//		return updateShipment(ctx, ev.Action, ev.DeliveryOrder)
//	})
//	http.Handle("POST /webhooks/ginee/", rc)
//
// A handler that returns an error makes the Receiver answer 500, so that
// Ginee delivers the notification again; one that returns nil makes it
// answer 200. Notifications carry a unique id: copies of one that was
// handled are acknowledged without running the handler again, and copies of
// one being handled are answered 503 (that run may still fail); see
// [webhook.WithDedupe]. A notification without a handler (of a documented
// entity, or of another entity without OnUnknown) is answered 501, so that
// Ginee delivers it again.
//
// Users with their own router can call [Parse] on the raw body instead.
package ginee
