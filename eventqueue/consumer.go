package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/safe"
)

// Consumer pulls an event queue in a loop and hands each event, in order,
// to the handler registered for its type: the pull loop a seller backend
// runs for months. Create it with NewConsumer, register handlers, then call
// Run. The package documentation describes its guarantees.
type Consumer struct {
	client *tiki.Client
	queue  string

	checkpoint     Checkpoint
	dedupe         dedupe.Runner
	lease          Lease
	logger         *slog.Logger // nil: slog.Default()
	handlerTimeout time.Duration
	ignore         map[tiki.EventType]bool
	ignoreUnknown  bool

	onBatch     func(context.Context, BatchReport)
	onError     func(context.Context, error)
	onDuplicate func(context.Context, *tiki.Event)

	failWait backoff.Policy
	idleWait backoff.Policy

	// sleep waits between pulls; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	mu       sync.RWMutex
	handlers handlers

	running atomic.Bool
}

// handlers holds the registered handlers.
type handlers struct {
	orderCreated func(context.Context, *tiki.OrderCreatedEvent) error
	orderStatus  func(context.Context, *tiki.OrderStatusUpdatedEvent) error
	price        func(context.Context, *tiki.PriceUpdatedEvent) error
	marketPrice  func(context.Context, *tiki.MarketPriceUpdatedEvent) error
	inventory    func(context.Context, *tiki.InventoryUpdatedEvent) error
	unknown      func(context.Context, *tiki.Event) error
	malformed    func(context.Context, *tiki.EventDecodeError) error
	any          func(context.Context, *tiki.Event) error
}

// typedFor reports whether a typed handler is registered for events of
// type t.
func (h handlers) typedFor(t tiki.EventType) bool {
	switch t {
	case tiki.EventOrderCreated:
		return h.orderCreated != nil
	case tiki.EventOrderStatusUpdated:
		return h.orderStatus != nil
	case tiki.EventProductPriceUpdated:
		return h.price != nil
	case tiki.EventProductMarketPriceUpdated:
		return h.marketPrice != nil
	case tiki.EventProductInventoryUpdated:
		return h.inventory != nil
	}
	return false
}

// none reports whether no handler is registered.
func (h handlers) none() bool {
	return h.orderCreated == nil && h.orderStatus == nil && h.price == nil && h.marketPrice == nil &&
		h.inventory == nil && h.unknown == nil && h.malformed == nil && h.any == nil
}

// NewConsumer returns a Consumer of the queue with code queueCode, pulling
// through client.EventQueue.Pull. The client must authenticate as the
// queue's owner (the app's own token). Every problem of the arguments and
// options is listed in one *tiki.ValidationError.
func NewConsumer(client *tiki.Client, queueCode string, opts ...Option) (*Consumer, error) {
	var problems []tiki.FieldProblem
	add := func(err error) {
		var ve *tiki.ValidationError
		if errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
		} else if err != nil {
			problems = append(problems, tiki.FieldProblem{Field: "opts", Problem: err.Error()})
		}
	}
	if client == nil {
		add(invalid("client", "must not be nil"))
	}
	add(checkQueueCode(queueCode))
	c := &Consumer{
		client:         client,
		queue:          queueCode,
		checkpoint:     NewMemoryCheckpoint(),
		dedupe:         dedupe.Runner{Store: new(dedupe.MemoryStore)},
		handlerTimeout: DefaultHandlerTimeout,
		failWait:       backoff.Policy{Min: DefaultMinBackoff, Max: DefaultMaxBackoff},
		idleWait:       backoff.Policy{Min: DefaultIdleMinWait, Max: DefaultIdleMaxWait},
		sleep:          backoff.Sleep,
	}
	for i, opt := range opts {
		if opt == nil {
			add(invalid(fmt.Sprintf("opts[%d]", i), "must not be nil"))
			continue
		}
		add(opt(c))
	}
	if c.lease != nil {
		if _, ok := c.checkpoint.(FencedCheckpoint); !ok {
			add(invalid("WithLease", "needs a FencedCheckpoint (WithCheckpoint), through which a replica that lost its lease cannot save; the checkpoint is a %T", c.checkpoint))
		}
	}
	if problems != nil {
		return nil, &tiki.ValidationError{Problems: problems}
	}
	c.dedupe.Lease = addSaturated(c.handlerTimeout, c.handlerTimeout)
	c.dedupe.Retention = DedupeRetention
	return c, nil
}

// checkQueueCode refuses a queue code that cannot be a segment of the pull
// path.
func checkQueueCode(code string) error {
	switch {
	case strings.TrimSpace(code) == "":
		return invalid("queue_code", "is required")
	case strings.TrimSpace(code) != code:
		return invalid("queue_code", "must not start or end with white space")
	case code == "." || code == "..":
		return invalid("queue_code", "must not be %q", code)
	}
	return nil
}

// Queue returns the code of the consumed queue.
func (c *Consumer) Queue() string { return c.queue }

// setHandler registers a handler under the lock.
func (c *Consumer) setHandler(set func(*handlers)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set(&c.handlers)
}

// OnOrderCreated sets the handler of ORDER_CREATED_SUCCESSFULLY events;
// nil removes it. Handlers may be set at any time; each runs on Run's
// goroutine, one event at a time.
func (c *Consumer) OnOrderCreated(fn func(context.Context, *tiki.OrderCreatedEvent) error) {
	c.setHandler(func(h *handlers) { h.orderCreated = fn })
}

// OnOrderStatus sets the handler of ORDER_STATUS_UPDATED events; nil
// removes it.
func (c *Consumer) OnOrderStatus(fn func(context.Context, *tiki.OrderStatusUpdatedEvent) error) {
	c.setHandler(func(h *handlers) { h.orderStatus = fn })
}

// OnPrice sets the handler of PRODUCT_PRICE_UPDATED events; nil removes it.
func (c *Consumer) OnPrice(fn func(context.Context, *tiki.PriceUpdatedEvent) error) {
	c.setHandler(func(h *handlers) { h.price = fn })
}

// OnMarketPrice sets the handler of PRODUCT_MARKET_PRICE_UPDATED events;
// nil removes it.
func (c *Consumer) OnMarketPrice(fn func(context.Context, *tiki.MarketPriceUpdatedEvent) error) {
	c.setHandler(func(h *handlers) { h.marketPrice = fn })
}

// OnInventory sets the handler of PRODUCT_INVENTORY_UPDATED events; nil
// removes it.
func (c *Consumer) OnInventory(fn func(context.Context, *tiki.InventoryUpdatedEvent) error) {
	c.setHandler(func(h *handlers) { h.inventory = fn })
}

// OnUnknown sets the handler of events of a type, or a payload version,
// that this package does not decode (Event.Known is false), given as Tiki
// sent them; nil removes it. It takes precedence over WithIgnore and
// WithIgnoreUnknown.
func (c *Consumer) OnUnknown(fn func(context.Context, *tiki.Event) error) {
	c.setHandler(func(h *handlers) { h.unknown = fn })
}

// OnMalformed sets the handler of events of a documented type and version
// that do not decode (a field of the wrong type), given with the raw
// event; nil removes it. Without it, a malformed event of a type that has a
// typed handler stops its batch (a *HandlerError wrapping the
// *tiki.EventDecodeError), so that it is never acknowledged unseen; one of
// a type without a typed handler follows the no-handler rule: acknowledged
// when its type is ignored (WithIgnore), handed raw to OnEvent when that is
// set, and otherwise stopping its batch (ErrNoHandler).
func (c *Consumer) OnMalformed(fn func(context.Context, *tiki.EventDecodeError) error) {
	c.setHandler(func(h *handlers) { h.malformed = fn })
}

// OnEvent sets the handler of every event that no handler above takes and
// that is not ignored: a documented type without its typed handler, or an
// unknown type without OnUnknown. It gets the envelope; Event.Decode gives
// the typed event. nil removes it. Setting it is the explicit choice to
// take every event: with it, no event stops its batch for lack of a
// handler.
func (c *Consumer) OnEvent(fn func(context.Context, *tiki.Event) error) {
	c.setHandler(func(h *handlers) { h.any = fn })
}

// BatchReport describes one handled batch, after its ack id was saved.
type BatchReport struct {
	// Queue is the queue's code.
	Queue string
	// AckID is the batch's ack id, now saved in the checkpoint.
	AckID string
	// Fence is the fencing token of the lease the batch was handled
	// under; 0 without a lease.
	Fence int64
	// Events is the number of events in the batch.
	Events int
	// Handled is how many events a handler took.
	Handled int
	// Duplicates is how many events were recognised as handled before and
	// not handed out again.
	Duplicates int
	// Ignored is how many events were acknowledged without a handler
	// because their type is ignored (WithIgnore, WithIgnoreUnknown).
	Ignored int
	// Oldest is when the batch's oldest event happened (its CreatedAt);
	// zero for an empty batch, and when no event carries its time. How
	// long ago Oldest is when the report is made is how far the Consumer
	// runs behind Tiki: the time the oldest event waited to be handled and
	// acknowledged. An empty batch means the Consumer has caught up.
	Oldest tiki.Time
}

// oldest is the creation time of the oldest of events that carry one.
func oldest(events []tiki.Event) tiki.Time {
	var t tiki.Time
	for i := range events {
		if at := events[i].CreatedAt; !at.IsZero() && (t.IsZero() || at.Before(t.Time)) {
			t = at
		}
	}
	return t
}

// Run pulls and handles events until ctx ends, then returns nil: the event
// being handled finishes (its handler gets a context that ended; Run waits
// for it to return) and the rest of its batch is not handed out. The
// batch's ack id is saved only when that event was the batch's last and its
// handler succeeded, since every event of the batch was then handled;
// otherwise it is not saved, and the batch comes again.
//
// Run refuses to start (a *tiki.ValidationError) when no handler is
// registered. Failures that waiting can mend (Tiki unavailable, a handler
// error, an event without a handler, a checkpoint that cannot be written,
// a dedupe store that does not answer) are reported through WithOnError
// and the log and retried after a capped, jittered backoff, for as long as
// they last. Run returns an error only for failures that retrying cannot
// mend: the client's credentials refused (401, 403), the queue not found,
// an invalid argument, a checkpoint that cannot be trusted
// (ErrCorruptCheckpoint).
func (c *Consumer) Run(ctx context.Context) error {
	if ctx == nil {
		return nilContext()
	}
	if c == nil || c.client == nil || c.checkpoint == nil || c.sleep == nil {
		return invalid("consumer", "must be made with NewConsumer")
	}
	c.mu.RLock()
	none := c.handlers.none()
	c.mu.RUnlock()
	if none {
		return invalid("handlers", "none is registered: register one (OnOrderCreated, OnOrderStatus, OnPrice, OnMarketPrice, OnInventory, OnUnknown, OnMalformed or OnEvent) before Run: an event that no handler takes is not acknowledged unless its type is ignored")
	}
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	if c.lease == nil {
		_, err := c.session(ctx, ctx, 0, nil)
		if ctx.Err() != nil && !errors.Is(err, ErrCorruptCheckpoint) {
			return nil
		}
		return err
	}
	// failures counts the lease's failures in a row: Acquire failing, and
	// holds lost before they saved a batch. Each is followed by the failure
	// backoff, so that a lease that cannot be kept is not taken again and
	// again at once.
	failures := 0
	for ctx.Err() == nil {
		hold, err := c.acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			c.report(ctx, fmt.Errorf("eventqueue: acquiring the lease of queue %s: %w", c.queue, err), failures)
			_ = c.sleep(ctx, c.failWait.Wait(failures))
			continue
		}
		progressed, err := c.leased(ctx, hold)
		if errors.Is(err, ErrCorruptCheckpoint) {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, ErrLeaseLost) {
			return err
		}
		if progressed {
			failures = 0
		}
		failures++
		c.log().LogAttrs(ctx, slog.LevelWarn, "eventqueue: lease lost", slog.String("queue", c.queue),
			slog.Int("consecutive_failures", failures))
		_ = c.sleep(ctx, c.failWait.Wait(failures))
	}
	return nil
}

// log returns the Consumer's logger: the one given, or slog.Default().
func (c *Consumer) log() *slog.Logger {
	if c.logger != nil {
		return c.logger
	}
	return slog.Default()
}

// acquire takes the lease, turning a panic in the Lease into an error.
func (c *Consumer) acquire(ctx context.Context) (LeaseHold, error) {
	return safe.Get(func() (LeaseHold, error) {
		hold, err := c.lease.Acquire(ctx, c.queue)
		if err == nil && hold == nil {
			err = errors.New("the Lease returned no hold")
		}
		return hold, err
	})
}

// leased runs a session while hold is held, then releases it, and reports
// whether the session saved a batch. The session returns only once no
// handler of it runs, so the hold, renewed by its Lease meanwhile, is
// released only then; the release is deferred, so that it happens even
// when a handler ends Run's goroutine (runtime.Goexit, as t.FailNow does).
func (c *Consumer) leased(ctx context.Context, hold LeaseHold) (progressed bool, err error) {
	defer func() {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		if rerr := safe.Do(func() error { return hold.Release(rctx) }); rerr != nil && ctx.Err() == nil {
			c.report(ctx, fmt.Errorf("eventqueue: releasing the lease of queue %s: %w", c.queue, rerr), 0)
		}
	}()
	var lost <-chan struct{}
	var fence int64
	if err := safe.Do(func() error { lost, fence = hold.Lost(), hold.Token(); return nil }); err != nil {
		return false, err
	}
	sctx, cancel := context.WithCancel(withFence(ctx, fence))
	defer cancel()
	go func() {
		select {
		case <-lost:
			cancel()
		case <-sctx.Done():
		}
	}()
	c.log().LogAttrs(ctx, slog.LevelInfo, "eventqueue: lease acquired", slog.String("queue", c.queue), slog.Int64("fence", fence))
	progressed, err = c.session(ctx, sctx, fence, lost)
	if err == nil && ctx.Err() == nil {
		err = ErrLeaseLost
	}
	return progressed, err
}

// isLost reports whether lost is closed: the lease was lost. The goroutine
// that ends the session's context when it is may not have run yet, so the
// session asks before each pull and each event.
func isLost(lost <-chan struct{}) bool {
	select {
	case <-lost:
		return true
	default:
		return false
	}
}

// session pulls and handles batches until sctx ends (ctx ending, or the
// lease lost) or a failure retrying cannot mend, and reports whether it
// saved a batch. fence is the lease's token and lost is closed when the
// lease is lost; without a lease, fence is 0 and lost is nil.
func (c *Consumer) session(ctx, sctx context.Context, fence int64, lost <-chan struct{}) (progressed bool, err error) {
	ack, err := c.load(ctx, sctx)
	if err != nil {
		return false, err
	}
	failures, idle := 0, 0
	fail := func(err error) {
		failures++
		c.report(ctx, err, failures)
		_ = c.sleep(sctx, c.failWait.Wait(failures))
	}
	for sctx.Err() == nil {
		if isLost(lost) {
			return progressed, ErrLeaseLost
		}
		batch, _, err := c.client.EventQueue.Pull(sctx, c.queue, ack)
		if err != nil {
			if sctx.Err() != nil {
				return progressed, nil
			}
			if fatalPullError(err, ack) {
				return progressed, err
			}
			if ack != "" && refusedAck(err) {
				// Tiki refuses the ack id (expired, or unknown after a
				// queue reset). Its batch was handled; a pull without an
				// ack id acknowledges nothing and receives the oldest
				// events not acknowledged, which the dedupe recognises.
				c.log().LogAttrs(ctx, slog.LevelWarn, "eventqueue: Tiki refused the ack id; pulling without one",
					slog.String("queue", c.queue), slog.String("ack_id", ack), slog.String("error", err.Error()))
				ack = ""
			}
			fail(err)
			continue
		}
		rep, err := c.handle(sctx, batch, fence, lost)
		if err != nil {
			if errors.Is(err, ErrLeaseLost) {
				return progressed, ErrLeaseLost
			}
			if sctx.Err() != nil {
				// Stopping: the batch is not acknowledged and comes
				// again; a handler that failed because of the stop is not
				// a failure to report.
				return progressed, nil
			}
			fail(err)
			continue
		}
		// Every event was handled: the ack id may be saved, even if ctx
		// ended meanwhile.
		if err := c.save(sctx, batch.AckID, fence); err != nil {
			if errors.Is(err, ErrLeaseLost) {
				return progressed, ErrLeaseLost
			}
			if sctx.Err() != nil {
				return progressed, nil
			}
			// Not saved: the next pull sends the previous ack id again,
			// so the batch comes again and the dedupe recognises it.
			fail(fmt.Errorf("eventqueue: saving the checkpoint of queue %s: %w", c.queue, err))
			continue
		}
		ack = batch.AckID
		failures = 0
		progressed = true
		rep.AckID = ack
		c.log().LogAttrs(ctx, slog.LevelDebug, "eventqueue: batch handled", slog.String("queue", c.queue),
			slog.Int("events", rep.Events), slog.Int("handled", rep.Handled), slog.Int("duplicates", rep.Duplicates),
			slog.Int("ignored", rep.Ignored))
		if c.onBatch != nil {
			c.callback(ctx, func() { c.onBatch(ctx, rep) })
		}
		if len(batch.Events) == 0 {
			idle++
			_ = c.sleep(sctx, c.idleWait.Wait(idle))
		} else {
			idle = 0
		}
	}
	return progressed, nil
}

// load reads the checkpoint, retrying until it answers or sctx ends. A
// checkpoint that cannot be trusted (ErrCorruptCheckpoint) is returned at
// once: waiting does not mend it.
func (c *Consumer) load(ctx, sctx context.Context) (string, error) {
	for failures := 1; ; failures++ {
		ack, err := safe.Get(func() (string, error) { return c.checkpoint.Load(sctx, c.queue) })
		if err == nil {
			if ack != "" && strings.TrimSpace(ack) != ack {
				return "", fmt.Errorf("%w: the checkpoint of queue %s holds the ack id %q, which no pull can send; remove it to start again from Tiki's oldest unacknowledged batch",
					ErrCorruptCheckpoint, c.queue, ack)
			}
			return ack, nil
		}
		if errors.Is(err, ErrCorruptCheckpoint) {
			c.log().LogAttrs(ctx, slog.LevelError, "eventqueue: checkpoint cannot be trusted", slog.String("queue", c.queue), slog.String("error", err.Error()))
			return "", err
		}
		if sctx.Err() != nil {
			return "", nil
		}
		c.report(ctx, fmt.Errorf("eventqueue: loading the checkpoint of queue %s: %w", c.queue, err), failures)
		if c.sleep(sctx, c.failWait.Wait(failures)) != nil {
			return "", nil
		}
	}
}

// save stores ackID, fenced when fence is not 0. The batch is handled: its
// ack id is saved even when sctx ended during the last handler, within a
// short bound.
func (c *Consumer) save(sctx context.Context, ackID string, fence int64) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(sctx), 10*time.Second)
	defer cancel()
	return safe.Do(func() error {
		if c.lease != nil {
			return c.checkpoint.(FencedCheckpoint).SaveFenced(wctx, c.queue, ackID, fence)
		}
		return c.checkpoint.Save(wctx, c.queue, ackID)
	})
}

// handle hands the batch's events out in order. It stops at the first
// event that fails (a *HandlerError), when ctx ends (ctx's error) or when
// lost is closed (ErrLeaseLost).
func (c *Consumer) handle(ctx context.Context, batch *tiki.EventBatch, fence int64, lost <-chan struct{}) (BatchReport, error) {
	rep := BatchReport{Queue: c.queue, Fence: fence, Events: len(batch.Events), Oldest: oldest(batch.Events)}
	for i := range batch.Events {
		if isLost(lost) {
			return rep, ErrLeaseLost
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		ev := &batch.Events[i]
		run, ignored, err := c.route(ev)
		switch {
		case err != nil:
			return rep, &HandlerError{Event: ev, Err: err}
		case ignored:
			rep.Ignored++
			level := slog.LevelDebug
			if !ev.Known() {
				level = slog.LevelInfo
			}
			c.log().LogAttrs(ctx, level, "eventqueue: event ignored; acknowledged", slog.String("queue", c.queue),
				slog.String("event_id", ev.ID), slog.String("type", string(ev.Type)), slog.String("version", ev.Version))
			continue
		}
		duplicate, err := c.deduped(ctx, ev, run)
		if err != nil {
			return rep, err
		}
		if duplicate {
			rep.Duplicates++
			c.log().LogAttrs(ctx, slog.LevelInfo, "eventqueue: duplicate event skipped", slog.String("queue", c.queue),
				slog.String("event_id", ev.ID), slog.String("type", string(ev.Type)), slog.String("sid", ev.SID))
			if c.onDuplicate != nil {
				c.callback(ctx, func() { c.onDuplicate(ctx, ev) })
			}
			continue
		}
		rep.Handled++
	}
	return rep, nil
}

// deduped runs the handler of ev through the dedupe and reports whether
// the event was a duplicate. Its error is a *HandlerError.
func (c *Consumer) deduped(ctx context.Context, ev *tiki.Event, run func(context.Context) error) (duplicate bool, err error) {
	var handlerErr error
	handler := func(ctx context.Context) error {
		handlerErr = c.call(ctx, ev, run)
		return handlerErr
	}
	if c.dedupe.Store == nil || ev.ID == "" {
		if err := handler(ctx); err != nil {
			return false, &HandlerError{Event: ev, Err: err}
		}
		return false, nil
	}
	key := "eventqueue:" + c.queue + ":" + ev.ID
	outcome, err := safe.Get(func() (dedupe.Outcome, error) { return c.dedupe.Do(ctx, key, handler) })
	switch outcome {
	case dedupe.Handled:
		if err != nil {
			// Handled, but the store could not mark it so: a copy may be
			// handed out again.
			c.report(ctx, fmt.Errorf("eventqueue: event %q: %w", ev.ID, err), 0)
		}
		return false, nil
	case dedupe.Duplicate:
		return true, nil
	}
	if handlerErr != nil {
		if errors.Is(err, dedupe.ErrStore) {
			// The handler failed and its claim could not be released: a
			// redelivery waits for the claim's lease.
			c.report(ctx, fmt.Errorf("eventqueue: event %q: %w", ev.ID, err), 0)
		}
		return false, &HandlerError{Event: ev, Err: handlerErr}
	}
	if err == nil {
		err = fmt.Errorf("%w: unexpected outcome %v", dedupe.ErrStore, outcome)
	}
	return false, &HandlerError{Event: ev, Err: err}
}

// call runs a handler with a context that ends after the handler time
// limit. While the handler runs past it, it is reported, from a timer's
// goroutine, then again every time the limit passes; call returns only once
// the handler did and no report is under way, and a panic is a
// *tiki.PanicError. The timer is stopped even when the handler ends the
// goroutine (runtime.Goexit).
func (c *Consumer) call(ctx context.Context, ev *tiki.Event, run func(context.Context) error) error {
	hctx, cancel := context.WithTimeout(ctx, c.handlerTimeout)
	defer cancel()
	start := time.Now()
	var (
		mu      sync.Mutex
		done    bool
		timer   *time.Timer
		reports sync.WaitGroup
	)
	// A handler that returns as its context ends is not reported: the
	// first report waits a tenth of the limit more, at most a second.
	grace := min(c.handlerTimeout/10, time.Second)
	mu.Lock()
	timer = time.AfterFunc(addSaturated(c.handlerTimeout, grace), func() {
		mu.Lock()
		if done {
			mu.Unlock()
			return
		}
		reports.Add(1)
		mu.Unlock()
		defer reports.Done()
		// Reported outside the lock: OnError may take its time.
		c.report(ctx, &HandlerTimeoutError{Event: ev, Limit: c.handlerTimeout, Running: time.Since(start)}, 0)
		mu.Lock()
		if !done {
			timer.Reset(c.handlerTimeout)
		}
		mu.Unlock()
	})
	mu.Unlock()
	defer func() {
		mu.Lock()
		done = true
		timer.Stop()
		mu.Unlock()
		reports.Wait()
	}()
	return safe.Do(func() error { return run(hctx) })
}

// addSaturated returns a+b for non-negative durations, or the longest
// Duration when the sum does not fit in one.
func addSaturated(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// route returns the handler of ev, or reports it ignored, or returns why
// it cannot be acknowledged (a decode error, or ErrNoHandler).
func (c *Consumer) route(ev *tiki.Event) (run func(context.Context) error, ignored bool, err error) {
	c.mu.RLock()
	h := c.handlers
	c.mu.RUnlock()
	decoded, err := ev.Decode()
	if err != nil {
		var de *tiki.EventDecodeError
		if !errors.As(err, &de) {
			de = &tiki.EventDecodeError{Event: ev, Err: err}
		}
		switch {
		case h.malformed != nil:
			return func(ctx context.Context) error { return h.malformed(ctx, de) }, false, nil
		case h.typedFor(ev.Type):
			// A handler waits for this type: the event is not
			// acknowledged unseen.
			return nil, false, de
		case c.ignore[ev.Type]:
			return nil, true, nil
		case h.any != nil:
			// The catch-all handler takes events raw: it receives this
			// one as it came.
			return func(ctx context.Context) error { return h.any(ctx, ev) }, false, nil
		}
		return nil, false, fmt.Errorf("%w: %s %s events have no handler, are not ignored (WithIgnore) and OnEvent is not set; this one does not decode either: %w",
			ErrNoHandler, ev.Type, ev.Version, de)
	}
	switch e := decoded.(type) {
	case *tiki.OrderCreatedEvent:
		if h.orderCreated != nil {
			run = func(ctx context.Context) error { return h.orderCreated(ctx, e) }
		}
	case *tiki.OrderStatusUpdatedEvent:
		if h.orderStatus != nil {
			run = func(ctx context.Context) error { return h.orderStatus(ctx, e) }
		}
	case *tiki.PriceUpdatedEvent:
		if h.price != nil {
			run = func(ctx context.Context) error { return h.price(ctx, e) }
		}
	case *tiki.MarketPriceUpdatedEvent:
		if h.marketPrice != nil {
			run = func(ctx context.Context) error { return h.marketPrice(ctx, e) }
		}
	case *tiki.InventoryUpdatedEvent:
		if h.inventory != nil {
			run = func(ctx context.Context) error { return h.inventory(ctx, e) }
		}
	case *tiki.Event:
		if h.unknown != nil {
			run = func(ctx context.Context) error { return h.unknown(ctx, e) }
		}
	}
	switch {
	case run != nil:
		return run, false, nil
	case c.ignore[ev.Type] || c.ignoreUnknown && !ev.Known():
		return nil, true, nil
	case h.any != nil:
		return func(ctx context.Context) error { return h.any(ctx, ev) }, false, nil
	}
	if !ev.Known() {
		return nil, false, fmt.Errorf("%w: this package does not decode %s %s events, and OnUnknown, WithIgnoreUnknown and OnEvent are not set",
			ErrNoHandler, ev.Type, ev.Version)
	}
	return nil, false, fmt.Errorf("%w: %s events have no handler, are not ignored (WithIgnore) and OnEvent is not set", ErrNoHandler, ev.Type)
}

// report passes a recovered failure to the log and the OnError function;
// failures, when not 0, is how many failures followed each other.
func (c *Consumer) report(ctx context.Context, err error, failures int) {
	attrs := []slog.Attr{slog.String("queue", c.queue), slog.String("error", err.Error())}
	if failures > 0 {
		attrs = append(attrs, slog.Int("consecutive_failures", failures))
	}
	level, msg := slog.LevelWarn, "eventqueue: consumer failure; retrying"
	var te *HandlerTimeoutError
	if errors.As(err, &te) {
		level, msg = slog.LevelError, "eventqueue: handler past its time limit"
	}
	c.log().LogAttrs(ctx, level, msg, attrs...)
	if c.onError != nil {
		c.callback(ctx, func() { c.onError(ctx, err) })
	}
}

// callback runs a user callback, logging a panic instead of crashing.
func (c *Consumer) callback(ctx context.Context, fn func()) {
	if err := safe.Do(func() error { fn(); return nil }); err != nil {
		c.log().LogAttrs(ctx, slog.LevelError, "eventqueue: consumer callback panicked", slog.String("queue", c.queue), slog.String("error", err.Error()))
	}
}

// fatalPullError reports whether a pull failure cannot be mended by
// waiting: invalid arguments, credentials refused, the queue not found.
func fatalPullError(err error, ack string) bool {
	var ve *tiki.ValidationError
	if errors.As(err, &ve) {
		return true
	}
	var ae *tiki.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusNotFound:
		return ack == "" // with an ack id, the ack id may be what is unknown
	}
	return false
}

// refusedAck reports whether a pull failure may be Tiki refusing the ack
// id sent.
func refusedAck(err error) bool {
	var ae *tiki.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusGone, http.StatusUnprocessableEntity:
		return true
	}
	return false
}
