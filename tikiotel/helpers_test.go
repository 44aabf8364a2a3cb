package tikiotel_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikiotel"
	"github.com/tikisdk/tiki/tikitest"
)

// The shared helpers of the package's tests. A test makes a rig: a
// Telemetry reporting to the OpenTelemetry SDK's in-memory span recorder
// and a manual metric reader, and clients of a tikitest fake whose answers
// carry a request id. Spans and metrics are read back as plain values
// (attribute sets as "k=v" lists) so that tests assert them exactly.

// rig is a Telemetry with in-memory exporters, and a fake Tiki.
type rig struct {
	t      *testing.T
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	tel    *tikiotel.Telemetry
	fake   *tikitest.Server
}

// newRig starts a fake with opts and a Telemetry reporting in memory.
func newRig(t *testing.T, opts ...tikitest.Option) *rig {
	t.Helper()
	r := &rig{t: t, spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	var err error
	r.tel, err = tikiotel.New(tikiotel.WithTracerProvider(tp), tikiotel.WithMeterProvider(mp))
	require.NoError(t, err)
	r.fake = tikitest.NewServer(t, opts...)
	return r
}

// client returns a client of the fake with the Telemetry's hooks, the
// seller id seller-7, the fake's access token, short retry waits and a
// transport that stamps each answer with a request id (req-1, req-2, ...);
// opts come last.
func (r *rig) client(opts ...tiki.Option) *tiki.Client {
	r.t.Helper()
	return r.clientAuth(tiki.WithAccessToken(r.fake.AccessToken()), opts...)
}

// clientAuth is client authenticated with auth instead of the fake's
// access token.
func (r *rig) clientAuth(auth tiki.Option, opts ...tiki.Option) *tiki.Client {
	r.t.Helper()
	base := []tiki.Option{
		tiki.WithBaseURL(r.fake.URL), auth,
		tiki.WithHTTPClient(&http.Client{Transport: &requestIDs{}}),
		tiki.WithRetry(4, time.Millisecond, 2*time.Millisecond),
		tiki.WithHooks(r.tel.Hooks()), tiki.WithSellerID("seller-7"),
	}
	c, err := tiki.NewClient(append(base, opts...)...)
	require.NoError(r.t, err)
	r.t.Cleanup(c.CloseIdleConnections)
	return c
}

// requestIDs sends requests through http.DefaultTransport and stamps each
// answer with X-Request-Id: req-N, as Tiki's gateway does.
type requestIDs struct{ n atomic.Int32 }

func (ids *requestIDs) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Header.Set("X-Request-Id", fmt.Sprintf("req-%d", ids.n.Add(1)))
	}
	return resp, err
}

// span is an ended span as the tests compare it.
type span struct {
	Name   string
	Kind   string
	Attrs  []string // "key=value", sorted
	Status string   // "Unset", "Error: description"
	Events []event
	Parent string // the parent span's name, "" for a root
}

// event is a span event with its attributes as "key=value", sorted.
type event struct {
	Name  string
	Attrs []string
}

// ended returns the spans ended so far, in the order they ended.
func (r *rig) ended() []span {
	names := map[string]string{}
	for _, s := range r.spans.Ended() {
		names[s.SpanContext().SpanID().String()] = s.Name()
	}
	var out []span
	for _, s := range r.spans.Ended() {
		sp := span{Name: s.Name(), Kind: s.SpanKind().String(), Attrs: kvs(s.Attributes()), Status: s.Status().Code.String()}
		if d := s.Status().Description; d != "" {
			sp.Status += ": " + d
		}
		for _, e := range s.Events() {
			sp.Events = append(sp.Events, event{Name: e.Name, Attrs: kvs(e.Attributes)})
		}
		if s.Parent().IsValid() {
			sp.Parent = names[s.Parent().SpanID().String()]
			if sp.Parent == "" {
				sp.Parent = "(not ended)"
			}
		}
		out = append(out, sp)
	}
	return out
}

// kvs renders attributes as sorted "key=value" strings.
func kvs(attrs []attribute.KeyValue) []string {
	out := make([]string, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, string(a.Key)+"="+a.Value.Emit())
	}
	sort.Strings(out)
	return out
}

// collect reads every metric: for each metric name, each data point's
// attribute set ("k=v,k=v", sorted) and its value: the sum of a counter,
// the count of a histogram, the value of a gauge.
func (r *rig) collect() map[string]map[string]float64 {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(r.t, r.reader.Collect(context.Background(), &rm))
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(r.t, tikiotel.ScopeName, sm.Scope.Name)
		require.Equal(r.t, tiki.Version, sm.Scope.Version)
		for _, m := range sm.Metrics {
			points := map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					points[set(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					points[set(p.Attributes)] = float64(p.Count)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					points[set(p.Attributes)] = p.Value
				}
			default:
				r.t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = points
		}
	}
	return out
}

// set renders an attribute set as "k=v,k=v", sorted by key.
func set(s attribute.Set) string {
	return strings.Join(kvs(s.ToSlice()), ",")
}
