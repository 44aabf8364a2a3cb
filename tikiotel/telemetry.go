package tikiotel

import (
	"errors"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tikisdk/tiki"
)

// ScopeName is the instrumentation scope of the spans and metrics.
const ScopeName = "github.com/tikisdk/tiki/tikiotel"

// The attributes this package adds to OpenTelemetry's semantic
// conventions.
const (
	// AttrSellerID is the seller a client acts for (tiki.WithSellerID).
	AttrSellerID = attribute.Key("tiki.seller.id")
	// AttrRequestID is Tiki's id of a request.
	AttrRequestID = attribute.Key("tiki.request.id")
	// AttrAttempts is how many HTTP requests a call sent.
	AttrAttempts = attribute.Key("tiki.attempts")
	// AttrAttempt is the number of an attempt in its call, from 1.
	AttrAttempt = attribute.Key("tiki.attempt")
	// AttrRetryWait is how long a client waits before retrying, in seconds.
	AttrRetryWait = attribute.Key("tiki.retry.wait")
	// AttrTokenReason is why a token was renewed (tiki.TokenRenewalReason).
	AttrTokenReason = attribute.Key("tiki.token.reason")
	// AttrQueueCode is the code of an event queue.
	AttrQueueCode = attribute.Key("tiki.queue.code")
	// AttrEventOutcome is what a consumer did with events: handled,
	// duplicate or ignored.
	AttrEventOutcome = attribute.Key("tiki.event.outcome")
	// AttrReconcileKind is what a reconciliation compared: "orders" for
	// reconcile.OrdersBackfill.
	AttrReconcileKind = attribute.Key("tiki.reconcile.kind")
)

// durationBuckets are the bounds, in seconds, of the duration histograms.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Telemetry turns what the SDK reports into spans and metrics. Make it
// with New; one serves every client, consumer and backfill of a process,
// from any goroutine.
type Telemetry struct {
	tracer trace.Tracer

	callDuration metric.Float64Histogram
	requests     metric.Int64Counter
	retries      metric.Int64Counter
	rateLimited  metric.Int64Counter
	limiterWait  metric.Float64Histogram
	renewals     metric.Int64Counter
	batches      metric.Int64Counter
	events       metric.Int64Counter
	lag          metric.Float64Gauge
	drift        metric.Int64Counter
}

// Option configures New.
type Option func(*config)

// config is what the options set.
type config struct {
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	problems []tiki.FieldProblem
}

// WithTracerProvider sets where spans go (otel.GetTracerProvider() at New
// unless set). tp must not be nil.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp == nil {
			c.problems = append(c.problems, tiki.FieldProblem{Field: "WithTracerProvider", Problem: "must not be a nil trace.TracerProvider"})
			return
		}
		c.tp = tp
	}
}

// WithMeterProvider sets where metrics go (otel.GetMeterProvider() at New
// unless set). mp must not be nil.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp == nil {
			c.problems = append(c.problems, tiki.FieldProblem{Field: "WithMeterProvider", Problem: "must not be a nil metric.MeterProvider"})
			return
		}
		c.mp = mp
	}
}

// New returns a Telemetry that reports to the providers the options name,
// or to the global ones. Every problem of the options is listed in one
// *tiki.ValidationError.
func New(opts ...Option) (*Telemetry, error) {
	cfg := &config{}
	for i, opt := range opts {
		if opt == nil {
			cfg.problems = append(cfg.problems, tiki.FieldProblem{Field: "opts[" + strconv.Itoa(i) + "]", Problem: "is a nil Option"})
			continue
		}
		opt(cfg)
	}
	if cfg.problems != nil {
		return nil, &tiki.ValidationError{Problems: cfg.problems}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	t := &Telemetry{tracer: cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(tiki.Version), trace.WithSchemaURL(semconv.SchemaURL))}
	m := cfg.mp.Meter(ScopeName, metric.WithInstrumentationVersion(tiki.Version), metric.WithSchemaURL(semconv.SchemaURL))
	var errs []error
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(durationBuckets...))
		errs = append(errs, err)
		return h
	}
	count := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	t.callDuration = hist("tiki.client.call.duration", "How long calls to Tiki took, retries and waits included.")
	t.requests = count("tiki.client.requests", "{request}", "HTTP requests sent to Tiki, retries included.")
	t.retries = count("tiki.client.retries", "{retry}", "Requests retried, by the outcome that made the client retry.")
	t.rateLimited = count("tiki.client.rate_limited", "{response}", "429 Too Many Requests answers.")
	t.limiterWait = hist("tiki.client.limiter.wait", "How long requests waited for the client's rate limiter.")
	t.renewals = count("tiki.client.token.renewals", "{renewal}", "OAuth2 token renewals.")
	t.batches = count("tiki.eventqueue.batches", "{batch}", "Event-queue batches handled and acknowledged.")
	t.events = count("tiki.eventqueue.events", "{event}", "Events of handled batches, by what the consumer did with them.")
	var err error
	t.lag, err = m.Float64Gauge("tiki.eventqueue.lag", metric.WithUnit("s"),
		metric.WithDescription("How long ago the oldest event of the last handled batch happened; 0 when the queue was empty."))
	errs = append(errs, err)
	t.drift = count("tiki.reconcile.drift", "{item}", "What a reconciliation found out of step: orders that only the backfill delivered.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}
