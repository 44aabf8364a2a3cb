package reconcile

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
)

// ReservedPolicy says how the books count the units that Tiki holds for
// open orders (Tiki's quantity_reserved), so that those units are neither
// sold twice nor held twice. Tiki's quantity_available is what is in the
// warehouse; Tiki sells quantity_available − quantity_reserved; the engine
// sets quantity_available and Tiki keeps quantity_reserved itself.
type ReservedPolicy int

const (
	// ReservedInQuantity: an Item's quantities still count the units of
	// open Tiki orders (the books take them off when the order ships, as
	// a warehouse count does). The engine sets quantity_available to the
	// books' quantity, and Tiki's own reservations keep those units from
	// being sold again.
	//
	// Worked example: the books hold 10; a Tiki order takes 2 (Tiki:
	// available 10, reserved 2, sellable 8). The books still say 10, the
	// engine keeps available at 10, and Tiki sells 8. When the order ships
	// the books say 8 and Tiki's available drops to 8 with the shipment:
	// in step, nothing written.
	ReservedInQuantity ReservedPolicy = iota
	// ReservedTakenOff: an Item's quantities have the units of the orders
	// the books know of taken off already (an order import subtracts
	// them), and Item.Reserved says how many of those units belong to Tiki
	// orders that Tiki still holds. The engine sets quantity_available to
	// quantities + reserved, so that Tiki's own subtraction does not take
	// them off a second time, while orders the books do not show yet are
	// still subtracted by Tiki.
	//
	// Worked example: 10 in the warehouse; a Tiki order of 2 is imported
	// (books: quantity 8, reserved 2) and a second Tiki order of 1 is not
	// yet (Tiki: reserved 3). The engine sets available to 8 + 2 = 10;
	// Tiki sells 10 − 3 = 7, which is what is really free. Setting 8 would
	// hold the imported order twice (Tiki would sell 5); setting 8 + 3
	// would sell the unimported unit twice (Tiki would sell 8).
	ReservedTakenOff
)

// Buffer is the stock held back from Tiki in each warehouse, so that an
// order placed between two updates cannot take the last units another
// channel sold: the larger of Units and Percent of the books' quantity
// (rounded up). Worked example with Units 2 and Percent 10: 50 in the
// books gives 45 on Tiki (10 % of 50 is 5, more than 2); 12 gives 10 (10 %
// is 1.2, rounded up to 2, as many as Units); 1 gives 0.
type Buffer struct {
	// Units are held back in each warehouse, from 0.
	Units int
	// Percent of the books' quantity is held back in each warehouse
	// (rounded up), from 0 to 100 (5 is five percent).
	Percent tiki.Percent
}

// DefaultConcurrency is how many batch calls of one run are in flight at
// once unless Options.Concurrency says otherwise: enough for Tiki's 200
// requests a second up to a round trip of 320 ms.
const DefaultConcurrency = 64

// DefaultWindow is how long the engine gathers Sets of one item before it
// writes the latest, unless Options.Window says otherwise.
const DefaultWindow = time.Second

// MaxWindow is the longest Options.Window accepted.
const MaxWindow = time.Hour

// DefaultUnboundedStock is the quantity on Tiki from which the engine
// takes a product to sell when out of stock, unless
// Options.UnboundedStock says otherwise: no warehouse holds a million units
// of one seller product, while a product that Tiki lets sell without stock
// shows a quantity such as 10,000,000.
const DefaultUnboundedStock = 1_000_000

// MaxPriceChange is the largest Options.MaxPriceChange accepted, in
// percent.
const MaxPriceChange = 1000

// Options configures an Engine, as OrdersOptions configures an
// OrdersBackfill: every field is optional (Warehouses is needed when the
// books manage stock), its zero value is its default (named on the field),
// and New reports every problem of its arguments and options in one
// *tiki.ValidationError.
type Options struct {
	// Warehouses are the ids of the seller's warehouses
	// (seller_inventory_id, as in Tiki's warehouse_quantities) that the
	// books' quantities may name; SellerWarehouses reads them from Tiki. A
	// product stocked on Tiki in a warehouse not listed here is reported
	// (UnknownWarehouse) and its stock left alone.
	Warehouses []int64
	// Buffer is the stock held back in each warehouse (none by default).
	Buffer Buffer
	// Floor is the quantity below which Tiki gets 0, after the buffer:
	// with Floor 3, 2 units left in the books show as 0 on Tiki, 3 as 3.
	// 0 (the default) sets no floor.
	Floor int
	// MaxPriceChange, in percent of Tiki's current price, refuses a price
	// change larger than it (a typo of a zero is a ten-fold change) unless
	// the item allows it (Item.AllowPriceChange): the change is reported
	// (PriceGuard) and the price left alone. 0 (the default) sets no guard.
	// Worked example with 50: Tiki at 200,000 accepts 100,000 to 300,000
	// from the books; 20,000 (a zero dropped) is refused.
	MaxPriceChange tiki.Percent
	// Reserved says how the books count units held by open Tiki orders
	// (ReservedInQuantity by default).
	Reserved ReservedPolicy
	// UnboundedStock is the quantity on Tiki, in any one warehouse, from
	// which a product is taken to sell when out of stock: its stock is
	// reported (SellsWhenOutOfStock), never set or copied. 0 means
	// DefaultUnboundedStock.
	UnboundedStock int
	// SKUFormat, when set, is the format of the seller's SKUs: an Item
	// whose SKU does not match it is refused as invalid.
	SKUFormat *regexp.Regexp
	// Window is how long Sets of one item are gathered before the engine
	// writes the latest (DefaultWindow when 0; at most MaxWindow).
	Window time.Duration
	// Concurrency is how many batch calls of one run may be in flight at
	// once (DefaultConcurrency when 0; at most tiki.MaxBatchConcurrency).
	// Every call still waits for the client's rate limiter.
	Concurrency int
	// State keeps what the engine pushed and saw per item between runs and
	// restarts (a MemoryState when nil).
	State State
	// Guard gives one writer per item (an in-process Guard when nil; give
	// one shared by every replica that writes the same items).
	Guard Guard
	// OnPlan, when set, is called by Sync with the plan, before anything
	// is written: drift found on Tiki is reported there before it is
	// corrected. An error stops Sync before any write; Sync returns it.
	OnPlan func(*Plan) error
	// OnReport, when set, is called once at the end of every run (Plan,
	// Apply, Sync, Flush, and each flush of Run) with its report.
	OnReport func(*Report)
	// Now is the engine's clock (time.Now when nil).
	Now func() time.Time
}

// ErrRunning is returned by Run while another Run of the engine is running.
var ErrRunning = errors.New("reconcile: the engine is already running")

// Engine keeps the seller's products on Tiki equal to the seller's books.
// Its methods are safe for concurrent use.
type Engine struct {
	client     *tiki.Client
	opts       Options
	warehouses map[int64]bool
	state      State
	guard      Guard
	now        func() time.Time

	mu         sync.Mutex // guards the fields below
	clock      int64      // the latest version stamp
	pending    map[string]*pendingSet
	queue      []string // keys of pending, in the order of their first Set
	superseded int      // Sets dropped as stale since the last flush
	running    bool
	wake       chan struct{} // a Set for a new key, for Run
}

// New returns an engine that writes through client. Every problem of
// client and opts is reported in one *tiki.ValidationError.
func New(client *tiki.Client, opts Options) (*Engine, error) {
	var p problems
	p.check(client != nil, "client", "must not be nil")
	seen := make(map[int64]bool, len(opts.Warehouses))
	for i, id := range opts.Warehouses {
		f := "Options.Warehouses[" + strconv.Itoa(i) + "]"
		p.check(id > 0, f, "must be a positive warehouse id, not %d", id)
		p.check(!seen[id] || id <= 0, f, "repeats warehouse %d", id)
		seen[id] = true
	}
	p.check(opts.Buffer.Units >= 0 && opts.Buffer.Units <= MaxQuantity, "Options.Buffer.Units", "must be from 0 to %d, not %d", MaxQuantity, opts.Buffer.Units)
	p.check(opts.Buffer.Percent >= 0 && opts.Buffer.Percent <= 100, "Options.Buffer.Percent", "must be from 0 to 100, not %v", opts.Buffer.Percent)
	p.check(opts.Floor >= 0 && opts.Floor <= MaxQuantity, "Options.Floor", "must be from 0 to %d, not %d", MaxQuantity, opts.Floor)
	p.check(opts.MaxPriceChange >= 0 && opts.MaxPriceChange <= MaxPriceChange, "Options.MaxPriceChange",
		"must be from 0 (no guard) to %d percent, not %v", MaxPriceChange, opts.MaxPriceChange)
	p.check(opts.Reserved == ReservedInQuantity || opts.Reserved == ReservedTakenOff, "Options.Reserved",
		"must be ReservedInQuantity (0) or ReservedTakenOff (1), not %d", opts.Reserved)
	p.check(opts.UnboundedStock >= 0, "Options.UnboundedStock", "must be 0 (the default, %d) or positive, not %d", DefaultUnboundedStock, opts.UnboundedStock)
	p.check(opts.Window >= 0 && opts.Window <= MaxWindow, "Options.Window", "must be from 0 (the default, %v) to %v, not %v", DefaultWindow, MaxWindow, opts.Window)
	p.check(opts.Concurrency >= 0 && opts.Concurrency <= tiki.MaxBatchConcurrency, "Options.Concurrency",
		"must be from 0 (the default, %d) to %d, not %d", DefaultConcurrency, tiki.MaxBatchConcurrency, opts.Concurrency)
	if err := p.err(); err != nil {
		return nil, err
	}
	opts.Warehouses = slices.Clone(opts.Warehouses)
	if opts.UnboundedStock == 0 {
		opts.UnboundedStock = DefaultUnboundedStock
	}
	if opts.Window == 0 {
		opts.Window = DefaultWindow
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	e := &Engine{
		client: client, opts: opts, warehouses: seen, state: opts.State, guard: opts.Guard, now: opts.Now,
		pending: map[string]*pendingSet{}, wake: make(chan struct{}, 1),
	}
	if e.state == nil {
		e.state = NewMemoryState()
	}
	if e.guard == nil {
		e.guard = NewLocalGuard()
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// check refuses a nil ctx and an Engine not made by New, as
// OrdersBackfill.check does.
func (e *Engine) check(v *problems, ctx context.Context) {
	v.check(ctx != nil, "ctx", "must not be nil")
	e.made(v)
}

// made refuses an Engine not made by New.
func (e *Engine) made(v *problems) {
	v.check(e != nil && e.state != nil, "engine", "must be made with New")
}

// ready is check's error.
func (e *Engine) ready(ctx context.Context) error {
	var v problems
	e.check(&v, ctx)
	return v.err()
}

// stamp returns the version of a value received now without one: the
// engine's clock in nanoseconds, strictly above every stamp before it and
// every version the engine has loaded.
func (e *Engine) stamp() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = max(e.clock+1, e.now().UnixNano())
	return e.clock
}

// sawVersion keeps later stamps above v, a version read from the State
// (written by a process whose clock ran ahead of this one's).
func (e *Engine) sawVersion(v int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = max(e.clock, v)
}
