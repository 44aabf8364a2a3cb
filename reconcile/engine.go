package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/safe"
)

// Plan reads the books, then every product on Tiki with its stock (a page
// walk at the client's rate limit), and returns what Apply would change
// and what cannot be reconciled. It writes nothing to Tiki; it records in
// the State what it saw. Every problem of the books (a nil source, an
// invalid item, an item named twice) is one *tiki.ValidationError returned
// before anything is read from Tiki; an error of the books' source is
// returned as it is, wrapped.
func (e *Engine) Plan(ctx context.Context, books iter.Seq2[Item, error]) (*Plan, error) {
	plan, err := e.plan(ctx, books)
	if err != nil {
		return nil, err
	}
	e.report(plan.Report())
	return plan, nil
}

// Apply writes the plan's changes to Tiki with batch updates (up to
// tiki.MaxBatchUpdate items a call, Options.Concurrency calls in flight,
// each through the client's rate limiter and retries), item by item under
// the item's Guard: an item whose State holds a newer version than the
// plan's (a Set written since) is not written (superseded). The report
// says what became of every item: changed, refused by Tiki or failed (with
// whether Tiki may have applied it), superseded, not reconcilable.
//
// The error is nil when every write got Tiki's answer (refusals are in the
// report only); otherwise it says how many items were not applied and
// wraps the first failure (the context's error when it ended, a State or
// Guard error).
func (e *Engine) Apply(ctx context.Context, plan *Plan) (*Report, error) {
	var v problems
	e.check(&v, ctx)
	switch {
	case plan == nil:
		v.add("plan", "must not be nil")
	case plan.engine != e:
		v.add("plan", "was not made by this engine")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	rep := &Report{Run: "apply", Started: e.now(), InStep: plan.InStep}
	err := e.apply(ctx, plan, rep)
	rep.Finished = e.now()
	e.report(rep)
	return rep, err
}

// Sync is Plan, then Options.OnPlan, then Apply, in one run with one
// report (its Reads are the plan's).
func (e *Engine) Sync(ctx context.Context, books iter.Seq2[Item, error]) (*Report, error) {
	plan, err := e.plan(ctx, books)
	if err != nil {
		return nil, err
	}
	rep := &Report{Run: "sync", Started: plan.Started, InStep: plan.InStep, Reads: plan.Reads}
	if e.opts.OnPlan != nil {
		if err := safe.Do(func() error { return e.opts.OnPlan(plan) }); err != nil {
			rep = plan.Report()
			rep.Run, rep.Finished = "sync", e.now()
			e.report(rep)
			return rep, fmt.Errorf("reconcile: OnPlan stopped the run before any write: %w", err)
		}
	}
	err = e.apply(ctx, plan, rep)
	rep.Finished = e.now()
	e.report(rep)
	return rep, err
}

// report hands a finished report to Options.OnReport, logging a panic.
func (e *Engine) report(r *Report) {
	if e.opts.OnReport == nil {
		return
	}
	if err := safe.Do(func() error { e.opts.OnReport(r); return nil }); err != nil {
		e.log().LogAttrs(context.Background(), slog.LevelError, "reconcile: Options.OnReport panicked",
			slog.String("run", r.Run), slog.String("error", err.Error()))
	}
}

// log returns the engine's logger: Options.Logger, or slog.Default().
func (e *Engine) log() *slog.Logger {
	if e.opts.Logger != nil {
		return e.opts.Logger
	}
	return slog.Default()
}

// bookIndex is the books of one plan, checked.
type bookIndex struct {
	list  []*desired
	bySKU map[string]*desired
	byID  map[int64]*desired
	extra int // products found only on Tiki so far
}

// readBooks reads and checks the whole of books before anything is read
// from Tiki.
func (e *Engine) readBooks(books iter.Seq2[Item, error]) (*bookIndex, error) {
	if books == nil {
		return nil, invalid("books", "must not be nil")
	}
	bk := &bookIndex{bySKU: map[string]*desired{}, byID: map[int64]*desired{}}
	var p problems
	i := 0
	err := safe.Do(func() error {
		for it, err := range books {
			if err != nil {
				return fmt.Errorf("reconcile: reading the books (after %d items): %w", i, err)
			}
			prefix := "books[" + strconv.Itoa(i) + "]."
			if d := e.desire(it, prefix, &p); d != nil {
				if o := bk.bySKU[d.key]; o != nil {
					p.add(prefix+"SKU", "names %s again (books[%d])", d.key, o.index)
				} else if o := bk.byID[d.productID]; d.productID != 0 && o != nil {
					p.add(prefix+"ProductID", "names product %d again (books[%d])", d.productID, o.index)
				} else {
					d.index = i
					if d.version == 0 {
						d.version = e.stamp()
					}
					bk.list = append(bk.list, d)
					bk.bySKU[d.key] = d
					if d.productID != 0 {
						bk.byID[d.productID] = d
					}
				}
			}
			i++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return bk, nil
}

// match returns the books' item that names a's product: by product id, or
// by SKU for an item named only by its SKU.
func (bk *bookIndex) match(a *actual) *desired {
	if d := bk.byID[a.productID]; d != nil {
		return d
	}
	if a.sku == "" {
		return nil
	}
	if d := bk.bySKU[itemKey(a.sku, 0)]; d != nil && d.productID == 0 {
		return d
	}
	return nil
}

// plan makes a plan: the books read and checked first, then Tiki's
// products walked, a page at a time compared under the items' Guard.
func (e *Engine) plan(ctx context.Context, books iter.Seq2[Item, error]) (*Plan, error) {
	if err := e.ready(ctx); err != nil {
		return nil, err
	}
	started := e.now()
	bk, err := e.readBooks(books)
	if err != nil {
		return nil, err
	}
	plan := &Plan{engine: e, Started: started, Books: len(bk.list)}
	readAt := e.now()
	rows := make([]actual, 0, pageSize)
	for p, err := range e.walkProducts(ctx) {
		if err != nil {
			return nil, fmt.Errorf("reconcile: reading Tiki's products: %w", err)
		}
		plan.Products++
		rows = append(rows, actualOf(&p))
		if len(rows) == pageSize {
			if err := e.planPage(ctx, rows, bk, plan, readAt); err != nil {
				return nil, err
			}
			rows = rows[:0]
		}
	}
	if err := e.planPage(ctx, rows, bk, plan, readAt); err != nil {
		return nil, err
	}
	plan.Reads = pages(plan.Products)
	for _, d := range bk.list {
		if !d.matched() {
			plan.Items = append(plan.Items, ItemPlan{SKU: d.sku, ProductID: d.productID, Version: d.version, key: d.key, order: d.index,
				Problems: []Problem{{Reason: NotOnTiki, Detail: "no product in Tiki's product list has this " + naming(d)}}})
		}
	}
	slices.SortFunc(plan.Items, func(a, b ItemPlan) int { return a.order - b.order })
	plan.Finished = e.now()
	return plan, nil
}

// naming says how an item names its product.
func naming(d *desired) string {
	if d.productID != 0 {
		return "product id"
	}
	return "SKU"
}

// planPage compares a page of Tiki's products with the books, under the
// Guard of the items they match, and records what it saw in the State.
func (e *Engine) planPage(ctx context.Context, rows []actual, bk *bookIndex, plan *Plan, readAt time.Time) error {
	type pair struct {
		d *desired
		a *actual
	}
	var pairs []pair
	for i := range rows {
		a := &rows[i]
		d := bk.match(a)
		switch {
		case d == nil:
			bk.extra++
			plan.Items = append(plan.Items, ItemPlan{SKU: a.sku, ProductID: a.productID, key: itemKey(a.sku, a.productID), order: len(bk.list) + bk.extra,
				Problems: []Problem{{Reason: NotInBooks, Detail: "on Tiki, not in the books"}}})
			continue
		case d.matched():
			bk.extra++
			plan.Items = append(plan.Items, ItemPlan{SKU: a.sku, ProductID: a.productID, key: itemKey(a.sku, a.productID), order: len(bk.list) + bk.extra,
				Problems: []Problem{{Reason: Duplicate, Detail: "another product on Tiki has the same original SKU"}}})
			continue
		}
		d.found, d.productID = true, a.productID
		pairs = append(pairs, pair{d, a})
		if o := bk.bySKU[itemKey(a.sku, 0)]; a.sku != "" && o != nil && o != d && !o.matched() {
			o.found, o.productID = true, a.productID
			plan.Items = append(plan.Items, ItemPlan{SKU: o.sku, ProductID: a.productID, Version: o.version, key: o.key, order: o.index,
				Problems: []Problem{{Reason: Duplicate, Detail: fmt.Sprintf("product %d is also books[%d], by its product id", a.productID, d.index)}}})
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	keys := make([]string, len(pairs))
	for i, pr := range pairs {
		keys[i] = pr.d.key
	}
	return e.locked(ctx, keys, func(held context.Context, entries map[string]*Entry) error {
		saves := make([]Entry, 0, len(pairs))
		for _, pr := range pairs {
			en := entries[pr.d.key]
			if ip := e.compare(pr.d, pr.a, en, readAt); ip != nil {
				plan.Items = append(plan.Items, *ip)
			} else {
				plan.InStep++
			}
			en.ProductID = pr.a.productID
			if !en.SeenAt.After(readAt) {
				en.Seen, en.SeenAt = pr.a.values, readAt
			}
			saves = append(saves, *en)
		}
		return e.save(held, saves)
	})
}

// matched reports whether a product on Tiki was found for d.
func (d *desired) matched() bool { return d.found }

// locked runs fn holding the Guard of keys, with their entries from the
// State (a new entry for a key the State has none of).
func (e *Engine) locked(ctx context.Context, keys []string, fn func(held context.Context, entries map[string]*Entry) error) error {
	held, unlock, err := e.hold(ctx, keys)
	if err != nil {
		return err
	}
	defer unlock()
	loaded, err := e.load(held, keys)
	if err != nil {
		return err
	}
	entries := make(map[string]*Entry, len(keys))
	for i := range loaded {
		en := &loaded[i]
		entries[en.Key] = en
		e.sawVersion(en.Version)
	}
	for _, k := range keys {
		if entries[k] == nil {
			entries[k] = &Entry{Key: k}
		}
	}
	return fn(held, entries)
}

// hold takes the Guard of keys. The Guard and the State may be the
// caller's own: a panic in them is an error (a *tiki.PanicError), as is a
// Lock that returns no held context or no unlock function, and a panic of
// the unlock function is logged.
func (e *Engine) hold(ctx context.Context, keys []string) (context.Context, func(), error) {
	type hold struct {
		ctx    context.Context
		unlock func()
	}
	h, err := safe.Get(func() (hold, error) {
		held, unlock, err := e.guard.Lock(ctx, keys)
		return hold{held, unlock}, err
	})
	if err == nil && (h.ctx == nil || h.unlock == nil) {
		if h.unlock != nil {
			h.unlock()
		}
		err = errors.New("Lock returned no held context or no unlock function")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reconcile: guard: %w", err)
	}
	return h.ctx, func() {
		if err := safe.Do(func() error { h.unlock(); return nil }); err != nil {
			e.log().LogAttrs(ctx, slog.LevelError, "reconcile: the Guard's unlock panicked", slog.String("error", err.Error()))
		}
	}, nil
}

// load reads the entries of keys from the State.
func (e *Engine) load(ctx context.Context, keys []string) ([]Entry, error) {
	loaded, err := safe.Get(func() ([]Entry, error) { return e.state.Load(ctx, keys) })
	if err != nil {
		return nil, fmt.Errorf("reconcile: state: %w", err)
	}
	return loaded, nil
}

// save stores entries in the State.
func (e *Engine) save(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := safe.Do(func() error { return e.state.Save(ctx, entries) }); err != nil {
		return fmt.Errorf("reconcile: state: %w", err)
	}
	return nil
}

// outcomeOf is what became of one item of a run's writes.
type outcomeOf struct {
	status Status // "" when it had nothing to write
	note   string
	maybe  bool
	// retry reports a write that failed without Tiki's refusal: worth
	// sending again.
	retry bool
}

// run is the shared state of one run's writes.
type run struct {
	mu       sync.Mutex
	writes   int
	reads    int
	failed   int   // items not applied for another reason than a refusal
	firstErr error // the first such failure, or of a whole chunk
}

func (r *run) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if r.firstErr == nil {
		r.firstErr = err
	}
}

// apply writes the plan's items that have changes.
func (e *Engine) apply(ctx context.Context, plan *Plan, rep *Report) error {
	var todo []*ItemPlan
	for i := range plan.Items {
		if plan.Items[i].write != nil {
			todo = append(todo, &plan.Items[i])
		}
	}
	outs := make([]outcomeOf, len(todo))
	r := &run{}
	key := func(i int) string { return todo[i].key }
	e.chunks(ctx, len(todo), key, outs, r, func(held context.Context, lo, hi int, entries map[string]*Entry) error {
		var send []int
		for i := lo; i < hi; i++ {
			if entries[todo[i].key].Version > todo[i].Version {
				outs[i].status = StatusSuperseded
				continue
			}
			send = append(send, i)
		}
		if err := e.commit(held, todo, outs, send, entries, r); err != nil {
			return err
		}
		saves := make([]Entry, 0, len(send))
		for _, i := range send {
			saves = append(saves, *entries[todo[i].key])
		}
		return e.save(held, saves)
	})
	byItem := make(map[*ItemPlan]*outcomeOf, len(todo))
	for i, ip := range todo {
		byItem[ip] = &outs[i]
	}
	for i := range plan.Items {
		ip := &plan.Items[i]
		if o := byItem[ip]; o != nil {
			rep.add(ip, o.status, o.note, o.maybe)
		} else {
			rep.add(ip, StatusChanged, "", false)
		}
	}
	rep.Writes += r.writes
	return r.err(len(todo))
}

// failAll marks the items that got no outcome as failed with err, a
// failure of their whole chunk, which the run's error reports even when
// every item had its outcome.
func (r *run) failAll(outs []outcomeOf, err error) {
	r.mu.Lock()
	if r.firstErr == nil {
		r.firstErr = err
	}
	r.mu.Unlock()
	for i := range outs {
		if o := &outs[i]; o.status == "" {
			o.status, o.note, o.retry = StatusFailed, err.Error(), true
			r.fail(err)
		}
	}
}

// err is the run's error: nil when every item got Tiki's answer and the
// State and Guard did their part.
func (r *run) err(total int) error {
	switch {
	case r.firstErr == nil:
		return nil
	case r.failed == 0:
		return r.firstErr
	}
	return fmt.Errorf("reconcile: %d of %d items were not written: %w", r.failed, total, r.firstErr)
}

// chunks calls fn for each run [lo, hi) of up to tiki.MaxBatchUpdate of n
// items, Options.Concurrency at once, holding the Guard of the run's items
// (key(i) names item i) with their entries, and returns when all have
// returned. When the Guard, the State or fn fails, the run's items without
// an outcome in outs are failed with the error. Once ctx has ended, every
// later run fails at once with its error.
func (e *Engine) chunks(ctx context.Context, n int, key func(i int) string, outs []outcomeOf, r *run,
	fn func(held context.Context, lo, hi int, entries map[string]*Entry) error) {
	do := func(lo, hi int) {
		keys := make([]string, 0, hi-lo)
		for i := lo; i < hi; i++ {
			keys = append(keys, key(i))
		}
		err := e.locked(ctx, keys, func(held context.Context, entries map[string]*Entry) error {
			return fn(held, lo, hi, entries)
		})
		if err != nil {
			r.failAll(outs[lo:hi], err)
		}
	}
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += tiki.MaxBatchUpdate {
		hi := min(lo+tiki.MaxBatchUpdate, n)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			do(lo, hi)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			do(lo, hi)
		}()
	}
	wg.Wait()
}

// commit saves, for the items at send (indexes in items), their versions
// as written and their sight of Tiki as lost (so that a failed save after
// the call cannot let an older value through), sends their writes in one
// batch call, records each one's outcome in outs and, for those Tiki
// applied, the write in their entries. The caller holds their Guard and
// saves the entries.
func (e *Engine) commit(held context.Context, items []*ItemPlan, outs []outcomeOf, send []int, entries map[string]*Entry, r *run) error {
	if len(send) == 0 {
		return nil
	}
	writes := make([]*write, len(send))
	intents := make([]Entry, len(send))
	for j, i := range send {
		writes[j] = items[i].write
		// Recorded before the call: once it is sent, Tiki may hold the
		// value whatever becomes of the answer and of the State's save
		// after it, so no older value may be written after it, here or
		// in another replica, and the next write reads Tiki first.
		en := *entries[items[i].key]
		en.Version, en.SeenAt = max(en.Version, items[i].Version), time.Time{}
		intents[j] = en
	}
	if err := e.save(held, intents); err != nil {
		return err
	}
	results, err := e.send(held, writes)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.writes++
	r.mu.Unlock()
	now := e.now()
	for j, i := range send {
		ip, o, res := items[i], &outs[i], results[j]
		applied, why, unknown := outcome(res)
		switch {
		case applied:
			o.status = StatusChanged
			entries[ip.key].wrote(ip.write, ip.Version, now)
		case res.Err == nil:
			o.status, o.note = StatusFailed, why
		default:
			o.status, o.note, o.maybe, o.retry = StatusFailed, why, unknown, !refusedCall(res.Err)
			r.fail(res.Err)
			if unknown {
				// Tiki may hold this value now: read Tiki again before
				// the next write, and never write an older value after it.
				en := entries[ip.key]
				en.SeenAt = time.Time{}
				en.Version = max(en.Version, ip.Version)
			}
		}
	}
	return nil
}

// wrote records in en a write Tiki applied at time at.
func (en *Entry) wrote(w *write, version int64, at time.Time) {
	en.ProductID = w.productID
	if w.price != 0 {
		en.Pushed.Price, en.Seen.Price = w.price, w.price
	}
	if w.active != unmanaged {
		a, b := w.active == on, w.active == on
		en.Pushed.Active, en.Seen.Active = &a, &b
	}
	if w.stock != nil {
		en.Pushed.Stock = pushedStock(w.stock)
		seen := make([]Stock, len(w.stock))
		for i, s := range w.stock {
			old, ok := en.Seen.stock(s.Warehouse)
			if ok {
				s.Reserved = old.Reserved
			}
			seen[i] = s
		}
		en.Seen.Stock = seen
	}
	en.Version = max(en.Version, version)
	en.PushedAt, en.SeenAt = at, at
}
