package tiki

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tikisdk/tiki/internal/backoff"
	"github.com/tikisdk/tiki/internal/safe"
)

// Consumer pulls an event queue in a loop and hands each event, in order,
// to the handler registered for its type: the pull loop a seller backend
// runs for months. Create it with NewConsumer, register handlers, then call
// Run.
//
// # Delivery guarantee
//
// At least once, in order. For each batch the Consumer:
//
//  1. pulls with the ack id of the last batch it handled completely (the
//     Checkpoint's, when it starts), which acknowledges that batch;
//  2. hands the batch's events to their handlers one at a time, oldest
//     first;
//  3. saves the batch's ack id in the Checkpoint only once every event of
//     the batch was handled, and pulls with it next.
//
// A handler that returns an error (or panics) stops the batch: the rest of
// it is not handed out, the ack id is not saved, and after a backoff the
// Consumer pulls again with the previous ack id, so Tiki delivers the same
// events again, starting with the one that failed. A crash, or a stop
// through the context, at any moment leaves the last saved ack id, so no
// event is acknowledged before it was handled.
//
// Redelivered events are recognized by their id through a Dedupe (in
// memory by default): an event whose handler succeeded is not handed out
// again but reported as a duplicate (WithOnDuplicate, and the log). In the
// common case of a failing handler this makes delivery exactly once; after
// a crash, or with a dedupe that forgot the id, a handled event may come
// again, so handlers should still tolerate a repeat (an order code, a stock
// level set rather than added).
//
// # Scale-out
//
// Several replicas may run a Consumer for the same queue with a Lease
// (WithLease) and a FencedCheckpoint shared by them (the redisstore module
// provides both): one replica pulls at a time, and a replica that lost its
// lease never saves an ack id.
//
// # Several sellers
//
// A public app's queue holds the events of every seller subscribed to it;
// each event carries the seller's id (Event.SID, also on every typed
// event), so a handler can tell sellers apart.
type Consumer struct {
	client *Client
	queue  string

	checkpoint Checkpoint
	dedupe     Dedupe
	lease      Lease
	logger     *slog.Logger

	onBatch     func(context.Context, BatchReport)
	onError     func(context.Context, error)
	onDuplicate func(context.Context, *Event)

	failWait backoff.Policy
	idleWait backoff.Policy

	// sleep waits between pulls; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// pull is client.EventQueue.Pull; tests may replace it.
	pull func(ctx context.Context, queue, ackID string) (*EventBatch, error)

	mu       sync.RWMutex
	handlers consumerHandlers

	running atomic.Bool
}

// consumerHandlers holds the registered handlers.
type consumerHandlers struct {
	orderCreated func(context.Context, *OrderCreatedEvent) error
	orderStatus  func(context.Context, *OrderStatusUpdatedEvent) error
	price        func(context.Context, *PriceUpdatedEvent) error
	marketPrice  func(context.Context, *MarketPriceUpdatedEvent) error
	inventory    func(context.Context, *InventoryUpdatedEvent) error
	unknown      func(context.Context, *Event) error
	malformed    func(context.Context, *EventDecodeError) error
	any          func(context.Context, *Event) error
}

// typedFor reports whether a typed handler is registered for events of
// type t.
func (h consumerHandlers) typedFor(t EventType) bool {
	switch t {
	case EventOrderCreated:
		return h.orderCreated != nil
	case EventOrderStatusUpdated:
		return h.orderStatus != nil
	case EventProductPriceUpdated:
		return h.price != nil
	case EventProductMarketPriceUpdated:
		return h.marketPrice != nil
	case EventProductInventoryUpdated:
		return h.inventory != nil
	}
	return false
}

// Defaults of a Consumer.
const (
	// DefaultDedupeSize is how many handled event ids the default
	// in-memory Dedupe remembers.
	DefaultDedupeSize = 100_000
	// DefaultConsumerMinWait is the shortest backoff after a failure (a
	// pull, a handler, a checkpoint).
	DefaultConsumerMinWait = time.Second
	// DefaultConsumerMaxWait is the longest backoff after a failure.
	DefaultConsumerMaxWait = time.Minute
	// DefaultIdleMinWait is the shortest wait between pulls while the
	// queue is empty.
	DefaultIdleMinWait = time.Second
	// DefaultIdleMaxWait is the longest wait between pulls while the
	// queue is empty.
	DefaultIdleMaxWait = 10 * time.Second
)

// ConsumerOption configures a Consumer.
type ConsumerOption func(*Consumer) error

// WithCheckpoint sets where the Consumer keeps the ack id of the last
// handled batch (a MemoryCheckpoint unless set: use NewFileCheckpoint, or
// the redisstore module, so that a restart does not handle the last batch
// again).
func WithCheckpoint(cp Checkpoint) ConsumerOption {
	return func(c *Consumer) error {
		if cp == nil {
			return errors.New("tiki: WithCheckpoint: nil Checkpoint")
		}
		c.checkpoint = cp
		return nil
	}
}

// WithDedupe sets how handled event ids are remembered (an in-memory
// Dedupe of DefaultDedupeSize ids unless set); nil turns recognising
// duplicates off.
func WithDedupe(d Dedupe) ConsumerOption {
	return func(c *Consumer) error {
		c.dedupe = d
		return nil
	}
}

// WithLease makes the Consumer pull only while it holds the queue's lease,
// for several replicas consuming one queue. The checkpoint must then be a
// FencedCheckpoint (NewConsumer fails otherwise), through which a replica
// that lost its lease cannot save.
func WithLease(l Lease) ConsumerOption {
	return func(c *Consumer) error {
		if l == nil {
			return errors.New("tiki: WithLease: nil Lease")
		}
		c.lease = l
		return nil
	}
}

// WithConsumerLogger sets the logger of the Consumer's progress (Debug),
// duplicates (Info) and failures (Warn); the client's logger (WithLogger)
// unless set.
func WithConsumerLogger(l *slog.Logger) ConsumerOption {
	return func(c *Consumer) error {
		c.logger = l
		return nil
	}
}

// WithOnBatch sets a function called after each batch was handled and its
// ack id saved.
func WithOnBatch(fn func(context.Context, BatchReport)) ConsumerOption {
	return func(c *Consumer) error {
		c.onBatch = fn
		return nil
	}
}

// WithOnError sets a function called with every failure the Consumer
// recovers from by waiting and trying again: a failed pull, a handler's
// error (a *HandlerError), a checkpoint or dedupe failure.
func WithOnError(fn func(context.Context, error)) ConsumerOption {
	return func(c *Consumer) error {
		c.onError = fn
		return nil
	}
}

// WithOnDuplicate sets a function called with every redelivered event that
// the Dedupe recognised as handled already, and which was not handed out
// again.
func WithOnDuplicate(fn func(context.Context, *Event)) ConsumerOption {
	return func(c *Consumer) error {
		c.onDuplicate = fn
		return nil
	}
}

// WithConsumerBackoff sets the bounds of the capped, jittered exponential
// wait after a failure (DefaultConsumerMinWait to DefaultConsumerMaxWait
// unless set).
func WithConsumerBackoff(minWait, maxWait time.Duration) ConsumerOption {
	return func(c *Consumer) error {
		if minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("tiki: WithConsumerBackoff: need 0 < min <= max, got %v and %v", minWait, maxWait)
		}
		c.failWait = backoff.Policy{Min: minWait, Max: maxWait}
		return nil
	}
}

// WithIdleWait sets the bounds of the wait between pulls while the queue is
// empty, growing from minWait to maxWait as empty answers follow each other
// (DefaultIdleMinWait to DefaultIdleMaxWait unless set).
func WithIdleWait(minWait, maxWait time.Duration) ConsumerOption {
	return func(c *Consumer) error {
		if minWait <= 0 || maxWait < minWait {
			return fmt.Errorf("tiki: WithIdleWait: need 0 < min <= max, got %v and %v", minWait, maxWait)
		}
		c.idleWait = backoff.Policy{Min: minWait, Max: maxWait}
		return nil
	}
}

// NewConsumer returns a Consumer of the queue with code queueCode, pulling
// through client. The client must authenticate as the queue's owner (the
// app's own token).
func NewConsumer(client *Client, queueCode string, opts ...ConsumerOption) (*Consumer, error) {
	if client == nil {
		return nil, errors.New("tiki: NewConsumer: nil Client")
	}
	var v validator
	segment(&v, "queue_code", queueCode)
	if err := v.err(); err != nil {
		return nil, err
	}
	c := &Consumer{
		client:     client,
		queue:      queueCode,
		checkpoint: NewMemoryCheckpoint(),
		dedupe:     NewMemoryDedupe(DefaultDedupeSize),
		failWait:   backoff.Policy{Min: DefaultConsumerMinWait, Max: DefaultConsumerMaxWait},
		idleWait:   backoff.Policy{Min: DefaultIdleMinWait, Max: DefaultIdleMaxWait},
		sleep:      backoff.Sleep,
	}
	c.pull = func(ctx context.Context, queue, ackID string) (*EventBatch, error) {
		b, _, err := client.EventQueue.Pull(ctx, queue, ackID)
		return b, err
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("tiki: NewConsumer: nil ConsumerOption")
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if c.lease != nil {
		if _, ok := c.checkpoint.(FencedCheckpoint); !ok {
			return nil, errors.New("tiki: NewConsumer: WithLease needs a FencedCheckpoint (WithCheckpoint), so that a replica that lost its lease cannot save")
		}
	}
	if c.logger == nil {
		c.logger = client.logger
	}
	if c.logger == nil {
		c.logger = slog.New(discardHandler{})
	}
	return c, nil
}

// Queue returns the code of the consumed queue.
func (c *Consumer) Queue() string { return c.queue }

// OnOrderCreated sets the handler of ORDER_CREATED_SUCCESSFULLY events;
// nil removes it. Handlers may be set at any time; each runs on Run's
// goroutine, one event at a time.
func (c *Consumer) OnOrderCreated(fn func(context.Context, *OrderCreatedEvent) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.orderCreated = fn
}

// OnOrderStatus sets the handler of ORDER_STATUS_UPDATED events; nil
// removes it.
func (c *Consumer) OnOrderStatus(fn func(context.Context, *OrderStatusUpdatedEvent) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.orderStatus = fn
}

// OnPrice sets the handler of PRODUCT_PRICE_UPDATED events; nil removes it.
func (c *Consumer) OnPrice(fn func(context.Context, *PriceUpdatedEvent) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.price = fn
}

// OnMarketPrice sets the handler of PRODUCT_MARKET_PRICE_UPDATED events;
// nil removes it.
func (c *Consumer) OnMarketPrice(fn func(context.Context, *MarketPriceUpdatedEvent) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.marketPrice = fn
}

// OnInventory sets the handler of PRODUCT_INVENTORY_UPDATED events; nil
// removes it.
func (c *Consumer) OnInventory(fn func(context.Context, *InventoryUpdatedEvent) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.inventory = fn
}

// OnUnknown sets the handler of events of a type, or a payload version,
// that this package does not decode (Event.Known is false), given as Tiki
// sent them; nil removes it.
func (c *Consumer) OnUnknown(fn func(context.Context, *Event) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.unknown = fn
}

// OnMalformed sets the handler of events of a documented type that do not
// decode (a field of the wrong type), given with the raw event. Without
// one, a malformed event of a type that has a typed handler stops its
// batch like a failing handler, so that it is never acknowledged unseen:
// the Consumer retries it with backoff and reports it through WithOnError
// until a handler is set or Tiki stops sending it. A malformed event of a
// type without a typed handler goes to OnEvent, raw, when it is set, and is
// otherwise acknowledged and logged like any event nobody handles.
func (c *Consumer) OnMalformed(fn func(context.Context, *EventDecodeError) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.malformed = fn
}

// OnEvent sets the handler of every event that no handler above takes: a
// documented type without its typed handler, or an unknown type without
// OnUnknown. It gets the envelope; Event.Decode gives the typed event. nil
// removes it.
func (c *Consumer) OnEvent(fn func(context.Context, *Event) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers.any = fn
}

// BatchReport describes one handled batch, after its ack id was saved.
type BatchReport struct {
	// Queue is the queue's code.
	Queue string
	// AckID is the batch's ack id, now saved in the checkpoint.
	AckID string
	// Events is the number of events in the batch.
	Events int
	// Handled is how many events a handler took.
	Handled int
	// Duplicates is how many events were recognised as handled before and
	// not handed out again.
	Duplicates int
	// Unhandled is how many events no handler was set for (acknowledged,
	// and logged).
	Unhandled int
}

// HandlerError is a handler's failure (or panic) on one event. The batch
// stops there and is delivered again.
type HandlerError struct {
	// Event is the event whose handler failed.
	Event *Event
	// Err is the handler's error, a *PanicError when it panicked, or an
	// *EventDecodeError for a malformed event without OnMalformed.
	Err error
}

// Error names the event and the failure.
func (e *HandlerError) Error() string {
	return fmt.Sprintf("tiki: handling event %q (%s): %v", e.Event.ID, e.Event.Type, e.Err)
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

// ErrConsumerRunning is returned by Run when the Consumer is running
// already: one Consumer runs one loop.
var ErrConsumerRunning = errors.New("tiki: the consumer is running already")

// Run pulls and handles events until ctx ends, then returns nil: the event
// being handled finishes (its handler gets a context that ended), the rest
// of its batch is not handed out, and the batch's ack id is not saved.
//
// Failures that waiting can mend (Tiki unavailable, a handler error, a
// checkpoint that cannot be written) are reported through WithOnError and
// the log and retried after a capped, jittered backoff. Run returns an error
// only for failures that retrying cannot mend: the client's credentials
// refused (401, 403), the queue not found, an invalid argument.
func (c *Consumer) Run(ctx context.Context) error {
	if err := checkContext(ctx); err != nil {
		return err
	}
	if c == nil || c.client == nil || c.checkpoint == nil || c.logger == nil {
		return &ValidationError{Problems: []FieldProblem{{Field: "consumer", Problem: "must be made with NewConsumer"}}}
	}
	if !c.running.CompareAndSwap(false, true) {
		return ErrConsumerRunning
	}
	defer c.running.Store(false)
	if c.lease == nil {
		err := c.session(ctx, ctx, 0)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	failures := 0
	for ctx.Err() == nil {
		hold, err := c.acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			c.report(ctx, fmt.Errorf("tiki: acquiring the lease of queue %s: %w", c.queue, err))
			_ = c.sleep(ctx, c.failWait.Wait(failures))
			continue
		}
		failures = 0
		err = c.leased(ctx, hold)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, ErrLeaseLost) {
			return err
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "tiki: event queue lease lost", slog.String("queue", c.queue))
	}
	return nil
}

// acquire takes the lease, turning a panic in the Lease into an error.
func (c *Consumer) acquire(ctx context.Context) (hold LeaseHold, err error) {
	err = guard(func() error {
		var e error
		hold, e = c.lease.Acquire(ctx, c.queue)
		if e == nil && hold == nil {
			e = errors.New("the Lease returned no hold")
		}
		return e
	})
	return hold, err
}

// leased runs a session while hold is held, then releases it.
func (c *Consumer) leased(ctx context.Context, hold LeaseHold) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var lost <-chan struct{}
	var fence int64
	if err := guard(func() error { lost, fence = hold.Lost(), hold.Token(); return nil }); err != nil {
		return err
	}
	go func() {
		select {
		case <-lost:
			cancel()
		case <-sctx.Done():
		}
	}()
	c.logger.LogAttrs(ctx, slog.LevelInfo, "tiki: event queue lease acquired", slog.String("queue", c.queue), slog.Int64("fence", fence))
	err := c.session(ctx, sctx, fence)
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	if rerr := guard(func() error { return hold.Release(rctx) }); rerr != nil && ctx.Err() == nil {
		c.report(ctx, fmt.Errorf("tiki: releasing the lease of queue %s: %w", c.queue, rerr))
	}
	if err == nil && ctx.Err() == nil {
		err = ErrLeaseLost
	}
	return err
}

// session pulls and handles batches until sctx ends (ctx ending, or the
// lease lost) or a failure retrying cannot mend. fence is the lease's
// token, 0 without a lease.
func (c *Consumer) session(ctx, sctx context.Context, fence int64) error {
	ack, err := c.load(sctx)
	if err != nil {
		return err
	}
	failures, idle := 0, 0
	for sctx.Err() == nil {
		batch, err := c.pull(sctx, c.queue, ack)
		if err != nil {
			if sctx.Err() != nil {
				return nil
			}
			if fatalPullError(err, ack) {
				return err
			}
			if ack != "" && refusedAck(err) {
				// Tiki refuses the ack id (expired, or unknown after a
				// queue reset). Its batch was handled; a pull without an
				// ack id acknowledges nothing and receives the oldest
				// events not acknowledged, which the dedupe recognises.
				c.logger.LogAttrs(ctx, slog.LevelWarn, "tiki: Tiki refused the ack id; pulling without one",
					slog.String("queue", c.queue), slog.String("ack_id", ack), slog.String("error", err.Error()))
				ack = ""
			}
			failures++
			c.report(ctx, err)
			_ = c.sleep(sctx, c.failWait.Wait(failures))
			continue
		}
		rep, err := c.handle(sctx, batch)
		if err != nil {
			if sctx.Err() != nil {
				// Stopping: the batch is not acknowledged and comes
				// again; a handler that failed because of the stop is not
				// a failure to report.
				return nil
			}
			failures++
			c.report(ctx, err)
			_ = c.sleep(sctx, c.failWait.Wait(failures))
			continue
		}
		// Every event was handled: the ack id may be saved, even if ctx
		// ended meanwhile.
		if err := c.save(ctx, sctx, batch.AckID, fence); err != nil {
			return err
		}
		ack = batch.AckID
		failures = 0
		rep.AckID = ack
		c.logger.LogAttrs(ctx, slog.LevelDebug, "tiki: event batch handled", slog.String("queue", c.queue),
			slog.Int("events", rep.Events), slog.Int("handled", rep.Handled), slog.Int("duplicates", rep.Duplicates))
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
	return nil
}

// load reads the checkpoint, retrying until it answers or sctx ends.
func (c *Consumer) load(sctx context.Context) (string, error) {
	for failures := 1; ; failures++ {
		var ack string
		err := guard(func() error {
			var e error
			ack, e = c.checkpoint.Load(sctx, c.queue)
			return e
		})
		if err == nil {
			if ack != "" {
				var v validator
				if checkText(&v, "ack_id", ack); v.err() != nil {
					return "", fmt.Errorf("tiki: the checkpoint of queue %s holds an invalid ack id %q", c.queue, ack)
				}
			}
			return ack, nil
		}
		if sctx.Err() != nil {
			return "", nil
		}
		c.report(sctx, fmt.Errorf("tiki: loading the checkpoint of queue %s: %w", c.queue, err))
		if c.sleep(sctx, c.failWait.Wait(failures)) != nil {
			return "", nil
		}
	}
}

// save stores ackID, fenced when fence is not 0, retrying until it is
// stored. It returns ErrLeaseLost when the fence refuses it, and nil
// without saving when ctx ends.
func (c *Consumer) save(ctx, sctx context.Context, ackID string, fence int64) error {
	for failures := 1; ; failures++ {
		// The batch is handled: its ack id is saved even when the context
		// ended during the last handler, within a short bound.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(sctx), 10*time.Second)
		err := guard(func() error {
			if c.lease != nil {
				return c.checkpoint.(FencedCheckpoint).SaveFenced(wctx, c.queue, ackID, fence)
			}
			return c.checkpoint.Save(wctx, c.queue, ackID)
		})
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrLeaseLost) {
			return ErrLeaseLost
		}
		c.report(ctx, fmt.Errorf("tiki: saving the checkpoint of queue %s: %w", c.queue, err))
		if sctx.Err() != nil || c.sleep(sctx, c.failWait.Wait(failures)) != nil {
			return nil
		}
	}
}

// handle hands the batch's events out in order. It stops at the first
// failure (a *HandlerError) or when ctx ends (ctx's error).
func (c *Consumer) handle(ctx context.Context, batch *EventBatch) (BatchReport, error) {
	rep := BatchReport{Queue: c.queue, Events: len(batch.Events)}
	for i := range batch.Events {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		ev := &batch.Events[i]
		key := ""
		if c.dedupe != nil && ev.ID != "" {
			key = c.queue + "/" + ev.ID
			seen, err := c.seen(ctx, key)
			if err != nil {
				// Handing it out again is the safe side of a dedupe that
				// does not answer.
				c.report(ctx, fmt.Errorf("tiki: dedupe of event %q: %w", ev.ID, err))
			} else if seen {
				rep.Duplicates++
				c.logger.LogAttrs(ctx, slog.LevelInfo, "tiki: duplicate event skipped", slog.String("queue", c.queue),
					slog.String("event_id", ev.ID), slog.String("type", string(ev.Type)), slog.String("sid", ev.SID))
				if c.onDuplicate != nil {
					c.callback(ctx, func() { c.onDuplicate(ctx, ev) })
				}
				continue
			}
		}
		handled, err := c.dispatch(ctx, ev)
		if err != nil {
			return rep, &HandlerError{Event: ev, Err: err}
		}
		if !handled {
			// An event of a type nobody handles is acknowledged: logged at
			// Warn when this package does not know its type or version
			// (set OnUnknown or OnEvent to receive it), at Debug otherwise.
			rep.Unhandled++
			level := slog.LevelDebug
			if !ev.Known() {
				level = slog.LevelWarn
			}
			c.logger.LogAttrs(ctx, level, "tiki: no handler for event; acknowledged", slog.String("queue", c.queue),
				slog.String("event_id", ev.ID), slog.String("type", string(ev.Type)), slog.String("version", ev.Version))
		} else {
			rep.Handled++
		}
		if key != "" {
			if err := guard(func() error { return c.dedupe.Done(ctx, key) }); err != nil {
				c.report(ctx, fmt.Errorf("tiki: dedupe of event %q: %w", ev.ID, err))
			}
		}
	}
	return rep, nil
}

func (c *Consumer) seen(ctx context.Context, key string) (seen bool, err error) {
	err = guard(func() error {
		var e error
		seen, e = c.dedupe.Seen(ctx, key)
		return e
	})
	return seen, err
}

// dispatch runs the handler of ev, reporting whether there was one.
func (c *Consumer) dispatch(ctx context.Context, ev *Event) (bool, error) {
	c.mu.RLock()
	h := c.handlers
	c.mu.RUnlock()
	decoded, err := ev.Decode()
	if err != nil {
		var de *EventDecodeError
		switch {
		case errors.As(err, &de) && h.malformed != nil:
			return true, guard(func() error { return h.malformed(ctx, de) })
		case !h.typedFor(ev.Type) && h.any != nil:
			// The catch-all handler takes events raw: it receives this
			// one as it came.
			return true, guard(func() error { return h.any(ctx, ev) })
		case !h.typedFor(ev.Type):
			// Nobody handles this type: a malformed event of it is
			// acknowledged like a well-formed one would be (and logged),
			// rather than holding the queue back.
			return false, nil
		}
		// A handler waits for this type: the event is not acknowledged
		// unseen; the batch stops and the failure is reported.
		return false, err
	}
	var run func() error
	switch e := decoded.(type) {
	case *OrderCreatedEvent:
		if h.orderCreated != nil {
			run = func() error { return h.orderCreated(ctx, e) }
		}
	case *OrderStatusUpdatedEvent:
		if h.orderStatus != nil {
			run = func() error { return h.orderStatus(ctx, e) }
		}
	case *PriceUpdatedEvent:
		if h.price != nil {
			run = func() error { return h.price(ctx, e) }
		}
	case *MarketPriceUpdatedEvent:
		if h.marketPrice != nil {
			run = func() error { return h.marketPrice(ctx, e) }
		}
	case *InventoryUpdatedEvent:
		if h.inventory != nil {
			run = func() error { return h.inventory(ctx, e) }
		}
	case *Event:
		if h.unknown != nil {
			run = func() error { return h.unknown(ctx, e) }
		}
	}
	if run == nil && h.any != nil {
		run = func() error { return h.any(ctx, ev) }
	}
	if run == nil {
		return false, nil
	}
	return true, guard(run)
}

// report passes a recovered failure to the log and the OnError function.
func (c *Consumer) report(ctx context.Context, err error) {
	c.logger.LogAttrs(ctx, slog.LevelWarn, "tiki: event consumer", slog.String("queue", c.queue), slog.String("error", err.Error()))
	if c.onError != nil {
		c.callback(ctx, func() { c.onError(ctx, err) })
	}
}

// callback runs a user callback, logging a panic instead of crashing.
func (c *Consumer) callback(ctx context.Context, fn func()) {
	if err := guard(func() error { fn(); return nil }); err != nil {
		c.logger.LogAttrs(ctx, slog.LevelError, "tiki: event consumer callback panicked", slog.String("queue", c.queue), slog.String("error", err.Error()))
	}
}

// guard runs fn, turning a panic into a *PanicError.
func guard(fn func() error) error { return safe.Do(fn) }

// fatalPullError reports whether a pull failure cannot be mended by
// waiting: invalid arguments, credentials refused, the queue not found.
func fatalPullError(err error, ack string) bool {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return true
	}
	var ae *APIError
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
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusGone, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// Dedupe remembers the ids of handled events, so that a Consumer
// recognises redelivered events. Keys name the queue and the event id.
// Implementations must be safe for concurrent use; one shared by replicas
// (in Redis, for example) recognises events handled by another replica
// before it crashed.
type Dedupe interface {
	// Seen reports whether key was recorded by Done.
	Seen(ctx context.Context, key string) (bool, error)
	// Done records that the event named by key was handled.
	Done(ctx context.Context, key string) error
}

// MemoryDedupe is a Dedupe in memory that remembers the most recent ids up
// to a bound, forgetting the oldest first. Create it with NewMemoryDedupe;
// it is safe for concurrent use.
type MemoryDedupe struct {
	mu   sync.Mutex
	size int
	seen map[string]struct{}
	ring []string
	next int
}

// NewMemoryDedupe returns a MemoryDedupe remembering up to size ids
// (DefaultDedupeSize when size <= 0).
func NewMemoryDedupe(size int) *MemoryDedupe {
	if size <= 0 {
		size = DefaultDedupeSize
	}
	return &MemoryDedupe{size: size, seen: make(map[string]struct{})}
}

// Seen reports whether key is remembered.
func (m *MemoryDedupe) Seen(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.seen[key]
	return ok, nil
}

// Done remembers key, forgetting the oldest key when full.
func (m *MemoryDedupe) Done(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[key]; ok {
		return nil
	}
	if len(m.ring) < m.size {
		m.ring = append(m.ring, key)
	} else {
		delete(m.seen, m.ring[m.next])
		m.ring[m.next] = key
		m.next = (m.next + 1) % m.size
	}
	m.seen[key] = struct{}{}
	return nil
}

// Len returns how many keys are remembered.
func (m *MemoryDedupe) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// Lease lets one replica at a time consume a queue. The redisstore module
// implements it over Redis.
type Lease interface {
	// Acquire blocks until the caller holds the lease of queue, or ctx
	// ends (then it returns ctx's error).
	Acquire(ctx context.Context, queue string) (LeaseHold, error)
}

// LeaseHold is a held lease, kept alive by its Lease until released or
// lost.
type LeaseHold interface {
	// Token is the fencing token of this hold: larger than that of every
	// earlier hold of the same queue. A FencedCheckpoint saves only for
	// the current token.
	Token() int64
	// Lost is closed when the hold ends without Release: it could not be
	// renewed in time, or another replica took the lease over.
	Lost() <-chan struct{}
	// Release gives the lease up, so that another replica can take it at
	// once.
	Release(ctx context.Context) error
}

// discardHandler is a slog.Handler that drops every record.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
