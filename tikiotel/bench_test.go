package tikiotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikiotel"
	"github.com/tikisdk/tiki/tikitest"
)

// inMemory serves requests with the fake's handler, without a network.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// BenchmarkCall is client.Orders.Get of an order of the fake, served in
// memory: without hooks, then through this package to OpenTelemetry's
// no-op providers (what the package itself costs) and to its SDK (a
// sampled span and the metrics, read by a manual reader). The differences
// between the rows are what the telemetry costs a call.
func BenchmarkCall(b *testing.B) {
	fake := tikitest.NewServer(b)
	order, err := fake.CreateOrder(tikitest.OrderSpec{})
	if err != nil {
		b.Fatal(err)
	}
	noop, err := tikiotel.New(tikiotel.WithTracerProvider(tracenoop.NewTracerProvider()), tikiotel.WithMeterProvider(metricnoop.NewMeterProvider()))
	if err != nil {
		b.Fatal(err)
	}
	sdk, err := tikiotel.New(
		tikiotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))),
		tikiotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts []tiki.Option
	}{
		{"no hooks", nil},
		{"tikiotel to no-op providers", []tiki.Option{tiki.WithHooks(noop.Hooks()), tiki.WithSellerID("seller-7")}},
		{"tikiotel to the SDK", []tiki.Option{tiki.WithHooks(sdk.Hooks()), tiki.WithSellerID("seller-7")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := fake.Client(append([]tiki.Option{tiki.WithRateLimit(0, 0), tiki.WithHTTPClient(&http.Client{Transport: inMemory{fake.Handler()}})}, bc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := c.Orders.Get(ctx, order.Code, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
