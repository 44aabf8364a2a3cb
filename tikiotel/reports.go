package tikiotel

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/tikisdk/tiki/eventqueue"
	"github.com/tikisdk/tiki/reconcile"
)

// RecordBatch records a consumer's batch: give it to
// eventqueue.WithOnBatch, or call it from the function given there. A batch
// of events is counted, with its events by outcome (handled, duplicate,
// ignored); every report, empty ones included, sets the queue's lag: how
// long ago the batch's oldest event happened (BatchReport.Oldest), 0 when
// the queue was empty.
func (t *Telemetry) RecordBatch(ctx context.Context, r eventqueue.BatchReport) {
	queue := AttrQueueCode.String(r.Queue)
	if r.Events > 0 {
		t.batches.Add(ctx, 1, metric.WithAttributes(queue))
		for _, o := range [...]struct {
			outcome string
			n       int
		}{{"handled", r.Handled}, {"duplicate", r.Duplicates}, {"ignored", r.Ignored}} {
			if o.n > 0 {
				t.events.Add(ctx, int64(o.n), metric.WithAttributes(queue, AttrEventOutcome.String(o.outcome)))
			}
		}
	}
	lag := 0.0
	if !r.Oldest.IsZero() {
		lag = max(0, time.Since(r.Oldest.Time).Seconds())
	}
	t.lag.Record(ctx, lag, metric.WithAttributes(queue))
}

// RecordOrdersPass records a pass of reconcile.OrdersBackfill: give it to
// reconcile.OrdersOptions.OnPass. The orders that reached the seller only
// through the backfill (OrdersReport.Lost: the events and webhooks that
// were lost) are counted as drift of kind "orders". A pass that could not
// start (no report) records nothing.
func (t *Telemetry) RecordOrdersPass(ctx context.Context, r *reconcile.OrdersReport, _ error) {
	if r == nil {
		return
	}
	t.RecordDrift(ctx, "orders", len(r.Lost))
}

// RecordDrift counts n things a reconciliation found out of step, of the
// given kind ("orders": orders that only a backfill delivered; a
// reconciliation of stock or prices names its own kind). A pass that found
// nothing records 0, so that the series exists. n must not be negative.
func (t *Telemetry) RecordDrift(ctx context.Context, kind string, n int) {
	if n < 0 {
		return
	}
	t.drift.Add(ctx, int64(n), metric.WithAttributes(AttrReconcileKind.String(kind)))
}
