// Package ikitech receives IKITECH webhook deliveries.
//
// IKITECH (a Vietnamese e-commerce platform) calls a URL you configure
// whenever a product, an order or a customer of your store is added,
// updated or deleted. Each delivery is a POST with the JSON body
//
//	{"type": "NEW_ORDER", "data": {...}}
//
// where type is one of the nine [EventType] constants and data is a
// [Product], an [Order], a [Customer], or for deletions the deleted
// object's name, order code or phone number.
//
// # Authentication
//
// IKITECH does not sign deliveries. It sends the token set for the webhook
// in the Token request header; a [Receiver] compares it in constant time
// with the token it was created with and answers 401, without running any
// handler, when it is missing or wrong. Serve the endpoint over HTTPS only:
// the token travels in clear otherwise.
//
// # Receiving
//
//	rc, err := ikitech.NewReceiver(os.Getenv("IKITECH_WEBHOOK_TOKEN"))
//	if err != nil { ... }
//	rc.OnNewOrder(func(ctx context.Context, ev *ikitech.OrderEvent) error {
//		return saveOrder(ctx, ev.Order)
//	})
//	http.Handle("POST /webhooks/ikitech", rc)
//
// A handler that returns an error makes the Receiver answer 500, so that
// IKITECH delivers the event again; one that returns nil makes it answer
// 200. Copies of a delivery that was handled are acknowledged without
// running the handler again, and copies of one being handled are answered
// 503 (that run may still fail); see [webhook.WithDedupe]. A delivery no
// handler takes (a documented type without its handler, or another type
// without OnUnknown) is answered 501, so that IKITECH delivers it again.
//
// Users with their own router can call [Parse] on the raw body instead.
//
// # Decoding
//
// Every documented field is decoded. IKITECH's documentation gives types
// but no examples, so numbers ([Float], [Int] and the enum types) are also
// accepted as numeric strings, flags ([Bool]) as 0/1, and null or "" leave
// a field zero. Times ([Time]) never fail a delivery: an unrecognized value
// leaves the time zero and is kept in Time.Raw.
package ikitech
