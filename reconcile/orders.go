package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/keylock"
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

	// DefaultOrdersParkAfter is how many failed hand-outs of one order in a
	// row park it (see OrdersOptions.ParkAfter).
	DefaultOrdersParkAfter = 5
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

	// ParkAfter is how many failed hand-outs of one order in a row (its
	// handler returned an error or panicked, in as many passes) park it:
	// the store records it as parked (DeliveredStore.RecordFailure), the
	// checkpoint moves past it, and every later pass of Once and Run reads
	// the order again (client.Orders.Get) and hands it out on its own,
	// until the handler accepts it or the live path delivers it. Parked
	// orders are listed by OrdersBackfill.Parked and in each
	// OrdersReport. 0 means DefaultOrdersParkAfter.
	ParkAfter int

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

// OrderKey names one delivery of an order: its code, a status and when
// the order took that status. Order codes are unique across Tiki, so a key
// names the same delivery whichever path (event, webhook, backfill)
// brought it.
type OrderKey struct {
	// Code is the order's code.
	Code string
	// Status is the order's status, in its canonical form
	// (tiki.OrderStatus.Canonical).
	Status tiki.OrderStatus
	// At is the delivery's version: when the order took Status on Tiki, to
	// the second, in Vietnam time. Of two deliveries of one order, the one
	// with the later At is the newer; an order that returns to a status it
	// was in makes a new delivery, with a later At.
	At time.Time
}

// String returns "code status at".
func (k OrderKey) String() string {
	s := k.Code + " " + string(k.Status)
	if !k.At.IsZero() {
		s += " " + k.At.In(tiki.Vietnam()).Format(tiki.TimeLayout)
	}
	return s
}

// OrderDelivery is an order in a status, handed to the seller's order
// handler: the order is now in this status, as of At.
type OrderDelivery struct {
	// Code is the order's code.
	Code string
	// Status is the order's status in the order API's vocabulary (the
	// event queue's).
	Status tiki.OrderStatus
	// At is when the order took Status on Tiki: the event's CreatedAt for
	// an event-queue event, the order's UpdatedAt when the order was read.
	// It orders the deliveries of one order (to the second): one older
	// than the order's latest delivery is not handed out. Deliver reads the
	// order (client.Orders.Get) and delivers its current status when At
	// or Status is zero: leave them zero for a TikiNOW webhook, whose
	// main_state is another vocabulary than the order API's status.
	At time.Time
	// Order is the whole order when it was read: always for a delivery of
	// the backfill, and for Deliver without a Status or At. Nil otherwise:
	// the handler reads it with client.Orders.Get when it needs more than
	// the code and status.
	Order *tiki.Order
	// Backfilled is true when the backfill found the order: its event
	// and webhook were lost (or came later than OrdersOptions.Lag).
	Backfilled bool
}

// Key returns the delivery's key: its code, canonical status and At, to
// the second, in Vietnam time.
func (d OrderDelivery) Key() OrderKey {
	return OrderKey{Code: d.Code, Status: d.Status.Canonical(), At: deliveryTime(d.At)}
}

// deliveryTime is t as a delivery's version: whole seconds (Tiki's
// updated_at is to the second), in Vietnam time; zero stays zero.
func deliveryTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Second).In(tiki.Vietnam())
}

// deliveryOf is the delivery of an order as read from Tiki.
func deliveryOf(o *tiki.Order, backfilled bool) OrderDelivery {
	return OrderDelivery{Code: o.Code, Status: o.Status, At: o.UpdatedAt.Time, Order: o, Backfilled: backfilled}
}

// OrderFailure is an order whose hand-outs by the backfill failed since
// its last delivery: its handler returned an error or panicked. Once
// Failures reaches OrdersOptions.ParkAfter the order is parked.
type OrderFailure struct {
	// Key is the delivery whose hand-out failed last.
	Key OrderKey
	// Failures is how many hand-outs failed in a row.
	Failures int
	// First and Last are when the first and the last of them failed.
	First, Last time.Time
	// Err is the last failure's error, as text.
	Err string
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
// the store could not record it (Err wraps ErrDeliveredStore), or, for a
// parked order, the order could not be read again (Err is the client's
// error). The backfill hands it out again on its next pass.
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

	orders keylock.Locks // by order code: one hand-out of an order at a time
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
	v.check(opts.ParkAfter >= 0, "OrdersOptions.ParkAfter", "must be 0 (the default, %d) or positive, not %d", DefaultOrdersParkAfter, opts.ParkAfter)
	if err := v.err(); err != nil {
		return nil, err
	}
	opts.Window = ordersDefault(opts.Window, DefaultOrdersWindow)
	opts.Lag = ordersDefault(opts.Lag, DefaultOrdersLag)
	opts.Overlap = ordersDefault(opts.Overlap, DefaultOrdersOverlap)
	opts.Interval = ordersDefault(opts.Interval, DefaultOrdersInterval)
	opts.Workers = ordersDefault(opts.Workers, DefaultOrdersWorkers)
	opts.Requests = ordersDefault(opts.Requests, DefaultOrdersRequests)
	opts.ParkAfter = ordersDefault(opts.ParkAfter, DefaultOrdersParkAfter)
	if opts.Start.IsZero() {
		opts.Start = now().Add(-DefaultOrdersStart)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	b := &OrdersBackfill{
		client: client, store: store, handler: handler, opts: opts, now: now, logger: logger,
		passes: make(chan struct{}, 1),
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
// event, a webhook) to the handler, unless the handler has it already, and
// records it as delivered when the handler returns nil: the way a live
// path keeps the backfill from handing the same order out again, and
// keeps itself from handing out what the backfill already did. Call it
// from the event-queue consumer's and the webhook receivers' handlers, in
// place of the order handler (Follow does it for a consumer).
//
// The order's latest delivery (DeliveredStore.Latest) decides: a delivery
// older than it (a late event, after the backfill or a newer event
// delivered the order's next status) is not handed out, and neither is one
// in the status the handler has already (when it is newer, it is recorded
// as the order's latest, so that a late delivery of a status the order
// held in between is older); a delivery in another status, newer than it,
// is. Two deliveries of one order in the same second in two
// statuses cannot be ordered by their time: Deliver then reads the order
// and hands out its current status unless the handler has it. So the
// handler's last word on an order is its newest status, whatever order the
// paths bring them in.
//
// A delivery without a Status or an At is completed by reading the order
// (client.Orders.Get), and its current status is delivered: the way to
// deliver a TikiNOW order webhook, whose main_state is not the order API's
// status. Deliver returns nil when the handler succeeded or was not called
// (the handler has the order in that status, or a newer delivery); an
// *OrderDeliveryError when the handler failed or panicked, for the live
// path to retry (the consumer does not acknowledge the event, a receiver
// answers 5xx); an error wrapping ErrDeliveredStore, without calling the
// handler, when the store cannot be read (or record a newer delivery of
// the status the handler has); the client's error when the
// order cannot be read. A delivery the handler succeeded with but the
// store could not record is logged and Deliver returns nil: the backfill
// hands it out once more. One order is handed to one handler call at a
// time: while it is being handed out (by the backfill or another Deliver),
// Deliver waits, then decides anew.
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
	if d.Status == "" || d.At.IsZero() {
		o, err := b.read(ctx, d.Code)
		if err != nil {
			return err
		}
		d = deliveryOf(o, false)
	}
	_, handled, err := b.handOut(ctx, d)
	if handled && err != nil {
		b.logger.LogAttrs(ctx, slog.LevelWarn, "reconcile: order handled but not recorded as delivered",
			slog.String("order", d.Code), slog.String("status", string(d.Status)), slog.Any("error", err))
		return nil
	}
	return err
}

// read reads an order for its current status.
func (b *OrdersBackfill) read(ctx context.Context, code string) (*tiki.Order, error) {
	o, _, err := b.client.Orders.Get(ctx, code, nil)
	if err != nil {
		return nil, fmt.Errorf("reconcile: reading order %s for its status: %w", code, err)
	}
	return o, nil
}

// verdict is what a delivery is to the handler, given its order's latest
// delivery.
type verdict int

const (
	// newer: in another status than the latest delivery, and newer.
	newer verdict = iota
	// known: in the latest delivery's status, and not older.
	known
	// older: older than the latest delivery.
	older
	// tied: in another status than the latest delivery, of the same
	// second; only the order's current status can tell which is newer.
	tied
)

// judge compares k with its order's latest delivery (zero when none).
func judge(latest, k OrderKey) verdict {
	switch {
	case latest.Code == "":
		return newer
	case k.At.Before(latest.At):
		return older
	case k.Status == latest.Status:
		return known
	case k.At.Equal(latest.At):
		return tied
	}
	return newer
}

// handOut calls the handler with d unless the order's latest delivery makes
// it needless (see Deliver), and records it after the handler succeeded,
// holding the order's lock throughout. It returns the key handed out (d's,
// or the order's current one when a tie was settled by reading it);
// handled reports that the handler ran and returned nil (err is then nil
// or the store's failure to record it). handled false with a nil err: the
// handler was not called.
func (b *OrdersBackfill) handOut(ctx context.Context, d OrderDelivery) (key OrderKey, handled bool, err error) {
	key = d.Key()
	unlock, err := b.orders.Lock(ctx, []string{d.Code})
	if err != nil {
		return key, false, err
	}
	defer unlock()
	latest, err := b.latest(ctx, []string{d.Code})
	if err != nil {
		return key, false, err
	}
	switch judge(latest[0], key) {
	case known:
		if key.At.After(latest[0].At) {
			// The handler has this status; record that it has it as of
			// key.At, so that a late delivery of a status the order held
			// in between is older, and not handed out after it.
			if err := b.mark(ctx, key); err != nil {
				return key, false, err
			}
		}
		return key, false, nil
	case older:
		return key, false, nil
	case tied:
		o, err := b.read(ctx, d.Code)
		if err != nil {
			return key, false, err
		}
		backfilled := d.Backfilled
		d = deliveryOf(o, backfilled)
		if d.At.Before(latest[0].At) {
			d.At = latest[0].At // the latest's second, newest by then
		}
		if key = d.Key(); key.Status == latest[0].Status {
			return key, false, nil
		}
	}
	if err := safe.Do(func() error { return b.handler(ctx, d) }); err != nil {
		return key, false, &OrderDeliveryError{Key: key, Err: err}
	}
	// The handler succeeded: record it even if ctx ended meanwhile.
	if err := b.mark(context.WithoutCancel(ctx), key); err != nil {
		return key, true, &OrderDeliveryError{Key: key, Err: err}
	}
	return key, true, nil
}

// advance records, for each order of keys whose key is in the status of
// its latest delivery and newer (judged known), that the handler has that
// status as of the key's At: the order is no less in that status for having
// been updated since, and a late delivery of a status it held in between
// is then older than its latest, and not handed out. It holds the orders'
// locks, so that no hand-out of them runs meanwhile.
func (b *OrdersBackfill) advance(ctx context.Context, keys []OrderKey) error {
	newest := map[string]OrderKey{}
	for _, k := range keys {
		if cur, ok := newest[k.Code]; !ok || k.At.After(cur.At) {
			newest[k.Code] = k
		}
	}
	codes := make([]string, 0, len(newest))
	for c := range newest {
		codes = append(codes, c)
	}
	unlock, err := b.orders.Lock(ctx, codes)
	if err != nil {
		return err
	}
	defer unlock()
	latest, err := b.latest(ctx, codes)
	if err != nil {
		return err
	}
	var mark []OrderKey
	for i, c := range codes {
		if k := newest[c]; judge(latest[i], k) == known && k.At.After(latest[i].At) {
			mark = append(mark, k)
		}
	}
	if len(mark) == 0 {
		return nil
	}
	return b.mark(ctx, mark...)
}

// mark records keys as delivered (which also clears their orders' failures).
func (b *OrdersBackfill) mark(ctx context.Context, keys ...OrderKey) error {
	if err := safe.Do(func() error { return b.store.MarkDelivered(ctx, keys...) }); err != nil {
		return fmt.Errorf("%w: recording the delivery: %w", ErrDeliveredStore, err)
	}
	return nil
}

// latest asks the store for the latest delivery of each order.
func (b *OrdersBackfill) latest(ctx context.Context, codes []string) ([]OrderKey, error) {
	keys, err := safe.Get(func() ([]OrderKey, error) { return b.store.Latest(ctx, codes) })
	if err == nil && len(keys) != len(codes) {
		err = fmt.Errorf("answered %d values for %d orders", len(keys), len(codes))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading deliveries: %w", ErrDeliveredStore, err)
	}
	for i, k := range keys {
		if k.Code != "" && k.Code != codes[i] {
			return nil, fmt.Errorf("%w: reading deliveries: answered order %s for order %s", ErrDeliveredStore, k.Code, codes[i])
		}
	}
	return keys, nil
}

// recordFailure records a failed hand-out of key in the store and returns
// the order's failures.
func (b *OrdersBackfill) recordFailure(ctx context.Context, key OrderKey, cause error) (OrderFailure, error) {
	f, err := safe.Get(func() (OrderFailure, error) { return b.store.RecordFailure(ctx, key, cause.Error()) })
	if err != nil {
		return f, fmt.Errorf("%w: recording a failed delivery: %w", ErrDeliveredStore, err)
	}
	return f, nil
}

// Parked returns the orders the backfill parked: those whose handler
// failed OrdersOptions.ParkAfter times in a row and that no delivery has
// succeeded for since, sorted by order code. Every pass of Once and Run
// hands them out again. An error wraps ErrDeliveredStore.
func (b *OrdersBackfill) Parked(ctx context.Context) ([]OrderFailure, error) {
	var v problems
	b.check(&v, ctx)
	if err := v.err(); err != nil {
		return nil, err
	}
	return b.parked(ctx)
}

// parked reads the parked orders from the store.
func (b *OrdersBackfill) parked(ctx context.Context) ([]OrderFailure, error) {
	all, err := safe.Get(func() ([]OrderFailure, error) { return b.store.Failures(ctx) })
	if err != nil {
		return nil, fmt.Errorf("%w: reading failed deliveries: %w", ErrDeliveredStore, err)
	}
	var out []OrderFailure
	for _, f := range all {
		if f.Failures >= b.opts.ParkAfter {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b OrderFailure) int { return strings.Compare(a.Key.Code, b.Key.Code) })
	return out, nil
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
	// Parked are the orders parked after the pass (Once and Run): their
	// handler failed OrdersOptions.ParkAfter times in a row, the
	// checkpoint moved past them, and each pass hands them out again
	// (those it handed out are in Lost or Failed too). Sorted by code.
	Parked []OrderFailure
}

// Once runs one pass: from the store's checkpoint less Overlap (or from
// Start, until the store holds a checkpoint) to Lag before now. It hands
// out every order updated in that range whose current status the handler
// does not have (see Deliver), and moves the checkpoint forward as windows
// complete: a window is complete once every order in it is delivered or
// parked, and the checkpoint never passes a window that is not, so an
// order whose handler failed is handed out again by the next pass, and a
// pass that stopped (a crash, an error) resumes where its work ends. An
// order whose handler failed OrdersOptions.ParkAfter times in a row is
// parked, so that it no longer holds the checkpoint back: each pass first
// reads every parked order (client.Orders.Get) and hands it out again.
// Call Once from a scheduled job; Run calls it in a loop.
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
	p := b.newPass(ctx, from, to, cp)
	p.retryParked()
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
// *tiki.ValidationError), of the backfill's own calls. A handler's error
// fails its order only, whatever it wraps. A second Run of the same OrdersBackfill returns
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

// ordersFatal reports whether err is one that another pass cannot mend:
// the backfill's own calls refused for their credentials or arguments. The
// errors under an *OrderDeliveryError are not looked at: they are the
// seller's handler's (or the store's, or reading one parked order), and
// fail that order only, however they are made; a handler whose own call to
// Tiki is refused must not stop the backfill of every other order.
func ordersFatal(err error) bool {
	switch e := err.(type) {
	case nil, *OrderDeliveryError:
		return false
	case *tiki.ValidationError:
		return true
	case interface{ Is(error) bool }:
		if e.Is(tiki.ErrUnauthorized) || e.Is(tiki.ErrForbidden) {
			return true
		}
	}
	if err == tiki.ErrUnauthorized || err == tiki.ErrForbidden {
		return true
	}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		return ordersFatal(e.Unwrap())
	case interface{ Unwrap() []error }:
		return slices.ContainsFunc(e.Unwrap(), ordersFatal)
	}
	return false
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
