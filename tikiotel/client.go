package tikiotel

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tikisdk/tiki"
)

// spanKey keys, in the context of a call, the span callStart began: the
// call's other hooks end and annotate that span only, never one of the
// caller's.
type spanKey struct{}

// Hooks returns the hooks that make a client's spans and metrics; give
// them to tiki.WithHooks.
func (t *Telemetry) Hooks() tiki.Hooks {
	return tiki.Hooks{
		CallStart:    t.callStart,
		LimiterWait:  t.limiterWaited,
		Attempt:      t.attempted,
		CallDone:     t.callDone,
		TokenRenewal: t.tokenRenewed,
	}
}

// callStart begins the call's span.
func (t *Telemetry) callStart(ctx context.Context, call tiki.CallInfo) context.Context {
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(call.Method),
		semconv.URLTemplate(call.Template),
		semconv.ServerAddress(call.Host))
	if call.SellerID != "" {
		attrs = append(attrs, AttrSellerID.String(call.SellerID))
	}
	ctx, span := t.tracer.Start(ctx, call.Method+" "+call.Template, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, spanKey{}, span)
}

// callDone records the call's duration and ends its span with the
// outcome.
func (t *Telemetry) callDone(ctx context.Context, call tiki.CallInfo, done tiki.CallDoneInfo) {
	errType := errorType(done.Status, done.Err)
	t.callDuration.Record(ctx, done.Duration.Seconds(), metric.WithAttributes(endpoint(call, done.Status, errType)...))
	span, ok := ctx.Value(spanKey{}).(trace.Span)
	if !ok {
		return
	}
	if done.Status > 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(done.Status))
	}
	span.SetAttributes(AttrAttempts.Int(done.Attempts))
	if done.RequestID != "" {
		span.SetAttributes(AttrRequestID.String(done.RequestID))
	}
	if errType != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		span.SetStatus(codes.Error, errType)
	}
	span.End()
}

// attempted counts a request, and a retry or a 429 when it is one; a
// retry is an event of the call's span.
func (t *Telemetry) attempted(ctx context.Context, call tiki.CallInfo, a tiki.AttemptInfo) {
	errType := errorType(0, a.Err)
	attrs := metric.WithAttributes(endpoint(call, a.Status, errType)...)
	t.requests.Add(ctx, 1, attrs)
	if a.Status == http.StatusTooManyRequests {
		t.rateLimited.Add(ctx, 1, metric.WithAttributes(endpoint(call, 0, "")...))
	}
	if !a.Retry {
		return
	}
	t.retries.Add(ctx, 1, attrs)
	if span, ok := ctx.Value(spanKey{}).(trace.Span); ok {
		event := []attribute.KeyValue{AttrAttempt.Int(a.Attempt), AttrRetryWait.Float64(a.Wait.Seconds())}
		if a.Status > 0 {
			event = append(event, semconv.HTTPResponseStatusCode(a.Status))
		}
		if errType != "" {
			event = append(event, semconv.ErrorTypeKey.String(errType))
		}
		span.AddEvent("tiki.retry", trace.WithAttributes(event...))
	}
}

// limiterWaited records a wait for the rate limiter.
func (t *Telemetry) limiterWaited(ctx context.Context, call tiki.CallInfo, w tiki.LimiterWaitInfo) {
	t.limiterWait.Record(ctx, w.Wait.Seconds(), metric.WithAttributes(endpoint(call, 0, errorType(0, w.Err))...))
}

// tokenRenewed counts a token renewal and records it as a span, a child
// of the call that needed the token.
func (t *Telemetry) tokenRenewed(ctx context.Context, r tiki.TokenRenewalInfo) {
	errType := errorType(0, r.Err)
	attrs := []attribute.KeyValue{AttrTokenReason.String(string(r.Reason))}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	t.renewals.Add(ctx, 1, metric.WithAttributes(attrs...))
	if r.SellerID != "" {
		attrs = append(attrs, AttrSellerID.String(r.SellerID))
	}
	end := time.Now()
	_, span := t.tracer.Start(ctx, "tiki token renewal", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(end.Add(-r.Duration)), trace.WithAttributes(attrs...))
	if errType != "" {
		span.SetStatus(codes.Error, errType)
	}
	span.End(trace.WithTimestamp(end))
}

// endpoint is the attributes of a metric about one endpoint: its method
// and template, the status when there is one, the error type when there
// is one.
func endpoint(call tiki.CallInfo, status int, errType string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 4)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(call.Method), semconv.URLTemplate(call.Template))
	if status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(status))
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	return attrs
}

// errorType names the kind of err, never its text: the HTTP status of an
// answer that is a failure, the context's end, or the error's Go type. ""
// for no error.
func errorType(status int, err error) string {
	switch {
	case err == nil:
		return ""
	case status >= 400:
		return strconv.Itoa(status)
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	}
	return semconv.ErrorType(err).Value.AsString()
}
