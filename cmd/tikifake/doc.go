// Command tikifake runs the fake Tiki seller API of package
// github.com/tikisdk/tiki/tikitest as a standalone server, for testing
// integrations written in any language (PHP, Python, Node, ...) without Tiki
// and without credentials.
//
//	go run ./cmd/tikifake -v -products 3
//
// It serves the integration API under /integration (the catalog, product
// requests and tracking, products, Tiki's current order API under
// /integration/v2 and the 2019 order API under /integration/v1 only, the
// seller's warehouses, and the event queue under /integration/v1/queues),
// the TikiNOW business API (webhook registration) under /business/v1 and the
// OAuth2 endpoints under /sc/oauth2, and prints the URLs it serves and the
// credentials it accepts. It stops on SIGINT or SIGTERM. With
// -addr 127.0.0.1:0 it picks a free port and prints it.
//
// It checks requests as Tiki does and answers in Tiki's shapes: an order is
// confirmed through the endpoint of its operation model, with items that
// belong to it, from a seller inventory mapped to its Tiki warehouse, before
// its confirmation deadline and once; a dropship confirmation takes a pickup
// time the fake offered; labels, delivery outcomes and shipment steps come
// after the confirmation; refusals come as {"errors": [...]}. POST
// /integration/v2/orders is the fake's own mock order, placed as a customer
// would. The event queue delivers at least once, in order: the ack_id of an
// answer, sent with the next pull, acknowledges that batch.
//
// # Flags
//
//	-addr 127.0.0.1:8080      address to listen on
//	-v                        log one line per request to stderr: method, path
//	                          and query, status, duration and, for a 4xx the
//	                          fake chose, why (secrets are masked)
//	-lenient-query            ignore query parameters a route does not document
//	                          (default: answer 400 naming them)
//	-client-auth basic|post   how the app sends its client id and secret to the
//	                          token endpoint: Authorization: Basic header
//	                          (client_secret_basic, the default; id and secret
//	                          form-URL-encoded first, RFC 6749 section 2.3.1)
//	                          or form body (client_secret_post); the other is
//	                          refused with 401 invalid_client
//	-products N               start with N demo products (SKU DEMO-1 ...
//	                          DEMO-N); mock orders are made of them
//	-seller-key, -token, -client-id, -client-secret, -token-ttl, -rate,
//	-approval-delay           credentials and behaviour (see -h)
//
// # Walk-throughs
//
// The repository's docs/fake.md holds curl walk-throughs (authentication,
// products and an order; orders of every operation model; the event queue;
// requests the fake refuses), each self-contained: it creates the orders it
// uses and takes order codes, item ids, pickup times and ack ids from the
// fake's answers. A test of this command runs every one of them against a
// freshly built fake. A first request, with the default access token:
//
//	curl -s -H "Authorization: Bearer tikitest-access-token" "http://127.0.0.1:8080/integration/v2.1/products?limit=10"
package main
