package tikiotel_test

import (
	"context"
	"fmt"
	"log"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikiotel"
	"github.com/tikisdk/tiki/tikitest"
)

// A client whose calls are spans and metrics, against the built-in fake
// Tiki. The spans and metrics go to the OpenTelemetry SDK's in-memory
// exporters here, to be printed; an app gives New the providers of its
// own exporters (OTLP, Prometheus), or sets the global ones.
func Example() {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	tel, err := tikiotel.New(tikiotel.WithTracerProvider(tp), tikiotel.WithMeterProvider(mp))
	if err != nil {
		log.Fatal(err)
	}
	fake, err := tikitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer fake.Close()
	client, err := fake.Client(tiki.WithHooks(tel.Hooks()), tiki.WithSellerID("seller-42"))
	if err != nil {
		log.Fatal(err)
	}

	order, err := fake.CreateOrder(tikitest.OrderSpec{}) // a customer's order
	if err != nil {
		log.Fatal(err)
	}
	if _, _, err := client.Orders.Get(ctx, order.Code, nil); err != nil {
		log.Fatal(err)
	}

	for _, s := range spans.Ended() {
		fmt.Println("span:", s.Name())
		for _, a := range s.Attributes() {
			fmt.Printf("  %s=%s\n", a.Key, a.Value.Emit())
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range sum.DataPoints {
					fmt.Printf("%s %d\n", m.Name, p.Value)
				}
			}
		}
	}
	// Output:
	// span: GET /v2/orders/{code}
	//   http.request.method=GET
	//   url.template=/v2/orders/{code}
	//   server.address=127.0.0.1
	//   tiki.seller.id=seller-42
	//   http.response.status_code=200
	//   tiki.attempts=1
	// tiki.client.requests 1
}
