// Package tikiotel reports what the tiki SDK does as OpenTelemetry spans
// and metrics: a span per call to Tiki, and metrics of calls, requests,
// retries, 429 answers, rate-limiter waits, token renewals, event-queue
// batches and lag, and the orders a reconciliation pass found missing.
//
// It is a module of its own (github.com/tikisdk/tiki/tikiotel), so that
// the SDK does not depend on OpenTelemetry: an app that does not import it
// pulls in none of it. It is built on the SDK's hooks (tiki.Hooks), the
// consumer's batch reports (eventqueue.WithOnBatch) and the backfill's
// pass reports (reconcile.OrdersOptions.OnPass); other telemetry can use
// the same hooks.
//
//	tel, err := tikiotel.New() // the global providers, or WithTracerProvider, WithMeterProvider
//	client, err := tiki.NewClient(creds, tiki.WithHooks(tel.Hooks()), tiki.WithSellerID(sellerID))
//	consumer, err := eventqueue.NewConsumer(client, queueCode, eventqueue.WithOnBatch(tel.RecordBatch))
//	backfill, err := reconcile.NewOrdersBackfill(client, store, handle, reconcile.OrdersOptions{OnPass: tel.RecordOrdersPass})
//
// # Spans
//
// Each call is a client span named after its method and path template
// ("GET /v2/orders/{code}"), from the call's start to its return, retries
// and waits included. Its context is the call's context from its start: a
// transport wrapped with otelhttp (tiki.WithHTTPClient) makes the HTTP
// requests its children, and a token renewal the call waited for is a
// child span ("tiki token renewal"). Attributes:
//
//	http.request.method        GET, POST, PUT, PATCH, DELETE
//	url.template               /v2/orders/{code}: the endpoint, without the call's values
//	server.address             api.tiki.vn
//	tiki.seller.id             the client's tiki.WithSellerID, when given
//	http.response.status_code  the last answer's status, when one came
//	tiki.attempts              how many HTTP requests the call sent
//	tiki.request.id            Tiki's request id, when the answer carries one
//	error.type                 when the call failed: the status ("404"), context.DeadlineExceeded,
//	                           context.Canceled, or the error's Go type (*tiki.RequestError)
//
// A failed call's span has the status Error, described by its error.type.
// Each attempt that is retried adds an event "tiki.retry" (tiki.attempt,
// http.response.status_code or error.type, tiki.retry.wait in seconds).
//
// # Metrics
//
//	tiki.client.call.duration   histogram, s     per call: method, template, status code, error.type
//	tiki.client.requests        counter          per HTTP request: method, template, status code or error.type
//	tiki.client.retries         counter          per retried request: method, template, status code or error.type
//	tiki.client.rate_limited    counter          per 429 answer: method, template
//	tiki.client.limiter.wait    histogram, s     per wait for the rate limiter: method, template (error.type when it failed)
//	tiki.client.token.renewals  counter          per token renewal: tiki.token.reason (first, expiring, refused), error.type
//	tiki.eventqueue.batches     counter          per handled batch of events (empty answers aside): tiki.queue.code
//	tiki.eventqueue.events      counter          per batch: tiki.queue.code, tiki.event.outcome (handled, duplicate, ignored)
//	tiki.eventqueue.lag         gauge, s         per batch: how long ago its oldest event happened (0 when empty)
//	tiki.reconcile.drift        counter          per pass: tiki.reconcile.kind ("orders": orders only the backfill delivered)
//
// Metrics carry no seller id: an app with thousands of sellers would make
// as many series of each. Spans carry it.
//
// # Cost
//
// A client without hooks allocates per call exactly as often as before the
// hooks existed (BenchmarkCallWithoutHooks in the SDK: 66 allocations for
// an order read from memory, as on the commit before them); hooks that do
// nothing add 2 (BenchmarkCallWithHooks). This package adds 26 allocations
// a call with OpenTelemetry's no-op providers and 30 with its SDK recording
// a sampled span and the metrics (BenchmarkCall, against the fake in
// memory: 239, 265 and 269).
//
// # What is never recorded
//
// No attribute holds a credential, a URL, a query, a request or response
// body, or an error's text: the endpoint is named by its template, in
// which every value of the path (order code, product id, SKU, queue code
// of a subscription...) is replaced by its name, and errors by their kind.
// The queue code of a consumer's metrics names the app's own queue.
package tikiotel
