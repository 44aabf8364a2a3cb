package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/safe"
)

// Defaults of the zero OrdersOptions.
const (
	// DefaultOrdersWindow is the longest span of update times one list
	// request covers. A window with more orders than one page holds is
	// split until each part fits on a page.
	DefaultOrdersWindow = time.Hour

	// DefaultOrdersLag is how far behind the present a pass stops: time
	// for the event queue and the webhooks to deliver an order change
	// before the backfill counts it as lost.
	DefaultOrdersLag = 5 * time.Minute

	// DefaultOrdersOverlap is how far before its checkpoint a pass starts
	// again, to find orders that Tiki's order list showed late.
	DefaultOrdersOverlap = time.Hour

	// DefaultOrdersInterval is how long Run waits between passes.
	DefaultOrdersInterval = 5 * time.Minute

	// DefaultOrdersStart is how far back the first pass goes when the
	// store holds no checkpoint and OrdersOptions.Start is zero.
	DefaultOrdersStart = 24 * time.Hour

	// DefaultOrdersWorkers is how many handler calls a pass runs at once.
	DefaultOrdersWorkers = 4

	// DefaultOrdersRequests is how many list requests a pass has in flight
	// at once: enough to use Tiki's 200 requests per second at a round
	// trip of 150 ms. Every request still waits for the client's limiter.
	DefaultOrdersRequests = 32

	// MaxOrdersConcurrency is the largest OrdersOptions.Workers and
	// OrdersOptions.Requests accepted.
	MaxOrdersConcurrency = 256
)

// OrdersOptions configures an OrdersBackfill, as Options configures an
// Engine: every field is optional, its zero value is its default (the
// Default constants above), and NewOrdersBackfill reports every problem of
// its arguments and options in one *tiki.ValidationError.
type OrdersOptions struct {
	// Window is the longest span of update times one list request covers
	// (whole seconds, at least one). A window whose orders do not fit on
	// one page (100 orders) is split until each part does, so that every
	// part is read with one request, which Tiki answers from one state of
	// the list. A seller with more order changes per Window than a page
	// holds saves the split requests with a smaller Window. 0 means
	// DefaultOrdersWindow.
	Window time.Duration

	// Lag is how far behind the present a pass stops. An order changed
	// less than Lag ago is left to the next pass, so that an event or a
	// webhook that is merely late is not counted as lost. 0 means
	// DefaultOrdersLag.
	Lag time.Duration

	// Overlap is how far before the checkpoint each pass starts, so that
	// an order Tiki's list showed only after the checkpoint had passed its
	// update time is still found. Orders already delivered cost a list
	// row, not a handler call. 0 means DefaultOrdersOverlap.
	Overlap time.Duration

	// Interval is how long Run waits between the end of a pass and the
	// start of the next. 0 means DefaultOrdersInterval.
	Interval time.Duration

	// Start is where a pass starts when the store holds no checkpoint yet;
	// zero means DefaultOrdersStart before NewOrdersBackfill was called. Every
	// order changed after Start and before the live path began to record
	// its deliveries is handed out (and counted as lost) once: set it to
	// when the live path started recording.
	Start time.Time

	// Workers is how many handler calls a pass runs at once
	// (DefaultOrdersWorkers when 0; at most MaxOrdersConcurrency). Deliver
	// is not bounded by it.
	Workers int

	// Requests is how many list requests a pass has in flight at once
	// (DefaultOrdersRequests when 0; at most MaxOrdersConcurrency). The
	// client's limiter paces them to Tiki's rate limit whatever the
	// number.
	Requests int

	// OnPass is called by Run after each pass with its report and error
	// (the report is nil when the pass could not start: the checkpoint
	// could not be read). A panic in it is logged and Run goes on.
	OnPass func(ctx context.Context, report *OrdersReport, err error)

	// Logger receives Run's warnings (a failed pass) and notices (orders
	// that arrived only through the backfill), and the deliveries that
	// were handled but could not be recorded. Nil means slog.Default().
	Logger *slog.Logger

	// Now is the backfill's clock (time.Now when nil). Tests set it to
	// the fake's clock.
	Now func() time.Time
}

// OrderKey names one delivery of an order: its code and a status. Order
// codes are unique across Tiki, so a key names the same delivery whichever
// path (event, webhook, backfill) brought it.
type OrderKey struct {
	// Code is the order's code.
	Code string
	// Status is the order's status, in its canonical form
	// (tiki.OrderStatus.Canonical).
	Status tiki.OrderStatus
}

// String returns "code status".
func (k OrderKey) String() string { return k.Code + " " + string(k.Status) }

// OrderDelivery is an order in a status, handed to the seller's order
// handler.
type OrderDelivery struct {
	// Code is the order's code.
	Code string
	// Status is the order's status in the order API's vocabulary (the
	// event queue's). Deliver reads the order (client.Orders.Get) when it
	// is empty: leave it empty for an ORDER_CREATED_SUCCESSFULLY event
	// that carries the code only, and for a TikiNOW webhook, whose
	// main_state is another vocabulary.
	Status tiki.OrderStatus
	// Order is the whole order when it was read: always for a delivery of
	// the backfill, and for Deliver without a Status. Nil otherwise: the
	// handler reads it with client.Orders.Get when it needs more than the
	// code and status.
	Order *tiki.Order
	// Backfilled is true when the backfill found the order: its event
	// and webhook were lost (or came later than OrdersOptions.Lag).
	Backfilled bool
}

// Key returns the delivery's key: its code and canonical status.
func (d OrderDelivery) Key() OrderKey {
	return OrderKey{Code: d.Code, Status: d.Status.Canonical()}
}

// OrderHandler handles an order delivery: the seller's order handler, the
// one the event-queue consumer and the webhook receivers call too. It
// returns nil once the order is safely in the seller's systems; an error
// (or a panic) leaves the delivery to be handed out again. It may be
// called from several goroutines at once (OrdersOptions.Workers), and
// more than once for the same order and status (see the package
// documentation): it must be idempotent by order code and status.
type OrderHandler func(ctx context.Context, d OrderDelivery) error

// ErrDeliveredStore wraps the errors of a DeliveredStore that the backfill
// and Deliver report.
var ErrDeliveredStore = errors.New("reconcile: delivered store failed")

// ErrOrdersRunning is returned by Run when the OrdersBackfill is running
// already: one OrdersBackfill runs one loop.
var ErrOrdersRunning = errors.New("reconcile: the orders backfill is running already")

// OrderDeliveryError is an order that was handed out and is not recorded
// as delivered: its handler returned an error or panicked (Err is the
// handler's error or a *tiki.PanicError), or its handler succeeded and
// the store could not record it (Err wraps ErrDeliveredStore). The
// backfill hands it out again on its next pass.
type OrderDeliveryError struct {
	// Key is the order and status handed out.
	Key OrderKey
	// Err is the handler's error, a *tiki.PanicError, or the store's
	// error.
	Err error
}

// Error describes the failed delivery.
func (e *OrderDeliveryError) Error() string {
	return fmt.Sprintf("reconcile: order %s in status %s not delivered: %v", e.Key.Code, e.Key.Status, e.Err)
}

// Unwrap returns Err.
func (e *OrderDeliveryError) Unwrap() error { return e.Err }

// OrdersBackfill hands every order Tiki has to the seller's order handler
// at least once, whether or not its event or webhook arrived. Make it with
// NewOrdersBackfill; it is safe for concurrent use. One pass (Once, Range
// or a pass of Run) runs at a time; Deliver runs beside them.
type OrdersBackfill struct {
	client  *tiki.Client
	store   DeliveredStore
	handler OrderHandler
	opts    OrdersOptions
	now     func() time.Time
	logger  *slog.Logger

	passes  chan struct{} // one token: the right to run a pass
	running atomic.Bool   // Run is looping

	mu      sync.Mutex
	flights map[OrderKey]*orderFlight // deliveries being handed out
}

// orderFlight is a delivery being handed out; others of the same key wait for
// it instead of calling the handler beside it.
type orderFlight struct {
	done chan struct{}
	err  error // set before done is closed
}

// NewOrdersBackfill returns a backfill that reads the orders with client,
// records deliveries and its checkpoint in store and hands orders to
// handler. A nil client, store or handler and every invalid option are
// reported together in one *tiki.ValidationError; nothing is sent.
func NewOrdersBackfill(client *tiki.Client, store DeliveredStore, handler OrderHandler, opts OrdersOptions) (*OrdersBackfill, error) {
	var v problems
	v.check(client != nil, "client", "must not be nil")
	v.check(store != nil, "store", "must not be nil")
	v.check(handler != nil, "handler", "must not be nil")
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	v.check(opts.Window >= 0 && opts.Window%time.Second == 0, "OrdersOptions.Window",
		"must be 0 (the default, %v) or a whole number of seconds, not %v", DefaultOrdersWindow, opts.Window)
	v.check(opts.Lag >= 0, "OrdersOptions.Lag", "must be 0 (the default, %v) or positive, not %v", DefaultOrdersLag, opts.Lag)
	v.check(opts.Overlap >= 0, "OrdersOptions.Overlap", "must be 0 (the default, %v) or positive, not %v", DefaultOrdersOverlap, opts.Overlap)
	v.check(opts.Interval >= 0, "OrdersOptions.Interval", "must be 0 (the default, %v) or positive, not %v", DefaultOrdersInterval, opts.Interval)
	v.check(opts.Start.IsZero() || !opts.Start.After(now()), "OrdersOptions.Start", "must not be in the future, not %s", opts.Start.Format(time.RFC3339))
	v.check(opts.Workers >= 0 && opts.Workers <= MaxOrdersConcurrency, "OrdersOptions.Workers",
		"must be from 0 (the default, %d) to %d, not %d", DefaultOrdersWorkers, MaxOrdersConcurrency, opts.Workers)
	v.check(opts.Requests >= 0 && opts.Requests <= MaxOrdersConcurrency, "OrdersOptions.Requests",
		"must be from 0 (the default, %d) to %d, not %d", DefaultOrdersRequests, MaxOrdersConcurrency, opts.Requests)
	if err := v.err(); err != nil {
		return nil, err
	}
	opts.Window = ordersDefault(opts.Window, DefaultOrdersWindow)
	opts.Lag = ordersDefault(opts.Lag, DefaultOrdersLag)
	opts.Overlap = ordersDefault(opts.Overlap, DefaultOrdersOverlap)
	opts.Interval = ordersDefault(opts.Interval, DefaultOrdersInterval)
	opts.Workers = ordersDefault(opts.Workers, DefaultOrdersWorkers)
	opts.Requests = ordersDefault(opts.Requests, DefaultOrdersRequests)
	if opts.Start.IsZero() {
		opts.Start = now().Add(-DefaultOrdersStart)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	b := &OrdersBackfill{
		client: client, store: store, handler: handler, opts: opts, now: now, logger: logger,
		passes: make(chan struct{}, 1), flights: map[OrderKey]*orderFlight{},
	}
	b.passes <- struct{}{}
	return b, nil
}

// ordersDefault returns def when v is the zero value, v otherwise.
func ordersDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Deliver hands an order that the live path received (an event-queue
// event, a webhook) to the handler, unless it was delivered already, and
// records it as delivered when the handler returns nil: the way a live
// path keeps the backfill from handing the same order out again, and
// keeps itself from handing out what the backfill already did. Call it
// from the event-queue consumer's and the webhook receivers' handlers, in
// place of the order handler.
//
// A delivery without a Status is completed by reading the order
// (client.Orders.Get): the way to deliver a TikiNOW order webhook, whose
// main_state is not the order API's status. Deliver returns nil when the handler succeeded or
// the order was delivered already in that status (the handler is not
// called); an *OrderDeliveryError when the handler failed or panicked,
// for the live path to retry (the consumer does not acknowledge the
// event, a receiver answers 5xx); an error wrapping ErrDeliveredStore,
// without calling the handler, when the store cannot be read; the
// client's error when the order cannot be read. A delivery the handler
// succeeded with but the store could not record is logged and Deliver
// returns nil: the backfill hands it out once more. While the same order
// and status is being handed out (by the backfill or another Deliver),
// Deliver waits for that and returns its outcome.
//
// A nil ctx and an empty Code are refused with a *tiki.ValidationError.
func (b *OrdersBackfill) Deliver(ctx context.Context, d OrderDelivery) error {
	var v problems
	b.check(&v, ctx)
	v.check(strings.TrimSpace(d.Code) != "", "OrderDelivery.Code", "is required")
	if err := v.err(); err != nil {
		return err
	}
	d.Backfilled = false
	if d.Status == "" {
		o, _, err := b.client.Orders.Get(ctx, d.Code, nil)
		if err != nil {
			return fmt.Errorf("reconcile: reading order %s for its status: %w", d.Code, err)
		}
		d.Status, d.Order = o.Status, o
	}
	handled, err := b.handOut(ctx, d)
	if handled && err != nil {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "reconcile: order handled but not recorded as delivered",
			slog.String("order", d.Code), slog.String("status", string(d.Status)), slog.Any("error", err))
		return nil
	}
	return err
}

// handOut calls the handler with d unless its key is recorded as
// delivered, and records it after the handler succeeded. handled reports
// that the handler ran here and returned nil; err is then nil or the
// store's failure to record it. A key being handed out already is waited
// for: handled is false and err is that run's outcome.
func (b *OrdersBackfill) handOut(ctx context.Context, d OrderDelivery) (handled bool, err error) {
	key := d.Key()
	b.mu.Lock()
	if f := b.flights[key]; f != nil {
		b.mu.Unlock()
		select {
		case <-f.done:
			return false, f.err
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	f := &orderFlight{done: make(chan struct{})}
	b.flights[key] = f
	b.mu.Unlock()
	defer func() {
		f.err = err
		b.mu.Lock()
		delete(b.flights, key)
		b.mu.Unlock()
		close(f.done)
	}()

	done, err := b.delivered(ctx, []OrderKey{key})
	if err != nil {
		return false, err
	}
	if done[0] {
		return false, nil
	}
	if err := safe.Do(func() error { return b.handler(ctx, d) }); err != nil {
		return false, &OrderDeliveryError{Key: key, Err: err}
	}
	// The handler succeeded: record it even if ctx ended meanwhile.
	if err := safe.Do(func() error { return b.store.MarkDelivered(context.WithoutCancel(ctx), key) }); err != nil {
		return true, &OrderDeliveryError{Key: key, Err: fmt.Errorf("%w: recording the delivery: %w", ErrDeliveredStore, err)}
	}
	return true, nil
}

// delivered asks the store which keys are delivered.
func (b *OrdersBackfill) delivered(ctx context.Context, keys []OrderKey) ([]bool, error) {
	done, err := safe.Get(func() ([]bool, error) { return b.store.Delivered(ctx, keys) })
	if err == nil && len(done) != len(keys) {
		err = fmt.Errorf("answered %d values for %d keys", len(done), len(keys))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading deliveries: %w", ErrDeliveredStore, err)
	}
	return done, nil
}

// OrdersReport is what a pass did.
type OrdersReport struct {
	// From and To are the update times the pass covered, both included,
	// in Vietnam time like every time of the report.
	From, To time.Time
	// Checkpoint is the store's checkpoint after the pass (Once and Run):
	// every order updated up to it was handed out successfully. Zero for
	// Range, which leaves the checkpoint alone, and before a first pass
	// completed any window.
	Checkpoint time.Time
	// Windows is how many windows the pass read (after splitting the
	// ones that did not fit on a page).
	Windows int
	// Requests is how many list requests the pass sent.
	Requests int
	// Listed is how many orders the list returned, each counted once per
	// status.
	Listed int
	// Lost are the orders (in the status the pass found them) that the
	// pass handed out and the handler accepted: none of the live paths
	// had delivered them. len(Lost) is the count of lost events. Sorted.
	Lost []OrderKey
	// Failed are the orders handed out that were not recorded as
	// delivered; the next pass hands them out again. Sorted by key.
	Failed []*OrderDeliveryError
}

// Once runs one pass: from the store's checkpoint less Overlap (or from
// Start, until the store holds a checkpoint) to Lag before now. It hands
// out every order updated in that range that is not recorded as delivered
// in its current status, and moves the checkpoint forward as windows
// complete: a window is complete once every order in it is delivered, and
// the checkpoint never passes a window that is not, so an order whose
// handler failed is handed out again by the next pass, and a pass that
// stopped (a crash, an error) resumes where its work ends. Call it from a
// scheduled job; Run calls it in a loop.
//
// The error is nil when every order of the range was delivered. Otherwise
// it is the error that stopped the pass (the client's error for the order
// list, an error wrapping ErrDeliveredStore, ctx's error), joined with the
// count of failed deliveries and the first of them, an
// *OrderDeliveryError (errors.As finds it); the report lists them all.
// The report is nil only when the pass could not start: a nil ctx (a
// *tiki.ValidationError, before anything is sent) or a checkpoint the
// store could not read.
func (b *OrdersBackfill) Once(ctx context.Context) (*OrdersReport, error) {
	var v problems
	b.check(&v, ctx)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := b.acquire(ctx); err != nil {
		return nil, err
	}
	defer b.release()
	cp, err := safe.Get(func() (time.Time, error) { return b.store.Checkpoint(ctx) })
	if err != nil {
		return nil, fmt.Errorf("%w: reading the checkpoint: %w", ErrDeliveredStore, err)
	}
	if !cp.IsZero() {
		cp = cp.In(tiki.Vietnam())
	}
	now := b.now().In(tiki.Vietnam())
	to := now.Add(-b.opts.Lag).Truncate(time.Second)
	from := b.opts.Start
	if !cp.IsZero() {
		from = cp.Add(-b.opts.Overlap)
	}
	from = from.In(tiki.Vietnam()).Truncate(time.Second)
	if !from.Before(to) {
		return &OrdersReport{From: from, To: to, Checkpoint: cp}, nil
	}
	p := b.newPass(ctx, from, to, cp)
	return p.run()
}

// Range runs one pass over the orders updated from from to to (both
// included), without reading or moving the checkpoint: to look at a
// period again after an incident, or to run a backfill whose schedule and
// ranges the caller keeps. The report and error are Once's. A nil ctx, a
// zero from or to, from not before to and to in the future are refused
// with a *tiki.ValidationError before anything is sent.
func (b *OrdersBackfill) Range(ctx context.Context, from, to time.Time) (*OrdersReport, error) {
	var v problems
	b.check(&v, ctx)
	v.check(!from.IsZero(), "from", "is required")
	v.check(!to.IsZero(), "to", "is required")
	v.check(from.IsZero() || to.IsZero() || from.Before(to), "from", "must be before to")
	if b != nil && b.now != nil {
		v.check(!to.After(b.now()), "to", "must not be in the future")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := b.acquire(ctx); err != nil {
		return nil, err
	}
	defer b.release()
	vn := tiki.Vietnam()
	p := b.newPass(ctx, from.In(vn).Truncate(time.Second), to.In(vn).Truncate(time.Second), time.Time{})
	p.keepCheckpoint = true
	return p.run()
}

// Run runs a pass (Once) at once and then Interval after the end of each
// pass, until ctx ends; then it returns nil. The pass under way when ctx
// ends stops: the handlers running get a context that ended, and the
// checkpoint stays where the completed work put it.
//
// A pass that fails (Tiki unavailable, a handler error, a store error) is
// logged, given to OnPass and retried by the next pass. Run returns an
// error only for failures that waiting cannot mend: the client's
// credentials refused (401, 403) and invalid arguments (a
// *tiki.ValidationError). A second Run of the same OrdersBackfill returns
// ErrOrdersRunning.
func (b *OrdersBackfill) Run(ctx context.Context) error {
	var v problems
	b.check(&v, ctx)
	if err := v.err(); err != nil {
		return err
	}
	if !b.running.CompareAndSwap(false, true) {
		return ErrOrdersRunning
	}
	defer b.running.Store(false)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		report, err := b.Once(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if b.opts.OnPass != nil {
			if perr := safe.Do(func() error { b.opts.OnPass(ctx, report, err); return nil }); perr != nil {
				b.logger.LogAttrs(ctx, slog.LevelError, "reconcile: OnPass panicked", slog.Any("error", perr))
			}
		}
		switch {
		case ordersFatal(err):
			return err
		case err != nil:
			b.logger.LogAttrs(ctx, slog.LevelWarn, "reconcile: orders backfill pass failed; the next pass retries",
				slog.Any("error", err), slog.Duration("next", b.opts.Interval))
		case report != nil && len(report.Lost) > 0:
			b.logger.LogAttrs(ctx, slog.LevelInfo, "reconcile: orders arrived only through the backfill",
				slog.Int("lost", len(report.Lost)), slog.Time("from", report.From), slog.Time("to", report.To))
		}
		timer.Reset(b.opts.Interval)
	}
}

// ordersFatal reports whether err is one that another pass cannot mend.
func ordersFatal(err error) bool {
	var ve *tiki.ValidationError
	return errors.As(err, &ve) || errors.Is(err, tiki.ErrUnauthorized) || errors.Is(err, tiki.ErrForbidden)
}

// check refuses a nil ctx and an OrdersBackfill not made by
// NewOrdersBackfill.
func (b *OrdersBackfill) check(v *problems, ctx context.Context) {
	v.check(ctx != nil, "ctx", "must not be nil")
	v.check(b != nil && b.passes != nil, "backfill", "must be made with NewOrdersBackfill")
}

// acquire waits for the right to run a pass.
func (b *OrdersBackfill) acquire(ctx context.Context) error {
	select {
	case <-b.passes:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *OrdersBackfill) release() { b.passes <- struct{}{} }
