package reconcile

import (
	"context"
	"slices"
	"sync"
	"time"
)

// pendingSet is an item's latest Set not yet written.
type pendingSet struct {
	d     *desired
	first time.Time // when the first Set of the item since its last write came
}

// Set records a change of one item in the books, to be written a Window
// after the first Set of the item since its last write (by Run, or at once
// by Flush): the Sets of one item within that window become one write of
// the latest value. A value with a lower version than the one pending, or
// than one already written, is dropped (counted as superseded in the next
// report). An invalid item is a *tiki.ValidationError and is not recorded.
// Set neither reads nor writes Tiki.
func (e *Engine) Set(it Item) error {
	var p problems
	if e.made(&p); p.count() > 0 {
		return p.err()
	}
	d := e.desire(it, "Item.", &p)
	if err := p.err(); err != nil {
		return err
	}
	if d.version == 0 {
		d.version = e.stamp()
	}
	e.enqueue(d, false)
	return nil
}

// enqueue records d as its item's pending value, unless a newer one is
// pending. A retry keeps a pending value of any version.
func (e *Engine) enqueue(d *desired, retry bool) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps, ok := e.pending[d.key]; ok {
		switch {
		case retry:
		case d.version < ps.d.version:
			e.superseded++
		default:
			ps.d = d
		}
		return
	}
	e.pending[d.key] = &pendingSet{d: d, first: now}
	e.queue = append(e.queue, d.key)
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Pending returns how many items have a Set not yet written.
func (e *Engine) Pending() int {
	if e == nil {
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending)
}

// Flush writes every pending Set now and returns the report. An item whose
// write failed without Tiki refusing it stays pending.
func (e *Engine) Flush(ctx context.Context) (*Report, error) {
	if err := e.ready(ctx); err != nil {
		return nil, err
	}
	items, superseded := e.take(time.Time{}, true)
	return e.flush(ctx, items, superseded)
}

// Run writes each item's Sets a Window after the first of them, until ctx
// ends; it then returns nil, as OrdersBackfill.Run does, and leaves what is
// pending for a later Run or Flush: a program stopping calls Flush after
// Run returned (with a context of its own, as ctx has ended), so that the
// last Sets are not lost. A write that fails without Tiki refusing it (the
// item, or the whole call with a 4xx other than 408, 409 and 429) is tried
// again a Window later, unless a newer Set came. Each
// flush's report goes to Options.OnReport. One Run at a time: another
// returns ErrRunning. A nil ctx or an Engine not made by New is a
// *tiki.ValidationError.
//
// A Set reaches Tiki a Window after it came plus the time of one batch call
// (when the client's rate limiter has room), for an item the engine has
// seen on Tiki (in a plan, a write or through Observe); the first Set of an
// item it has not seen reads the product first (one or two calls more).
func (e *Engine) Run(ctx context.Context) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return ErrRunning
	}
	e.running = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		e.mu.Unlock()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var tick <-chan time.Time
		if due, ok := e.nextDue(); ok {
			wait := due.Sub(e.now())
			if wait <= 0 {
				if items, superseded := e.take(e.now(), false); len(items) > 0 {
					_, _ = e.flush(ctx, items, superseded)
				}
				if ctx.Err() != nil {
					return nil
				}
				continue
			}
			timer.Reset(wait)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-tick:
		}
		timer.Stop()
	}
}

// nextDue returns when the oldest pending item is due.
func (e *Engine) nextDue() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return time.Time{}, false
	}
	return e.pending[e.queue[0]].first.Add(e.opts.Window), true
}

// take removes from the pending items those due at now (all of them with
// all) and returns them, with the count of Sets superseded since the last
// take.
func (e *Engine) take(now time.Time, all bool) ([]*desired, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for n < len(e.queue) && (all || !e.pending[e.queue[n]].first.Add(e.opts.Window).After(now)) {
		n++
	}
	if n == 0 && !all {
		return nil, 0
	}
	items := make([]*desired, n)
	for i, k := range e.queue[:n] {
		items[i] = e.pending[k].d
		delete(e.pending, k)
	}
	e.queue = slices.Clone(e.queue[n:])
	superseded := e.superseded
	e.superseded = 0
	return items, superseded
}

// flush writes items, each compared with the engine's last sight of its
// product on Tiki (read first when it has none), and reports.
func (e *Engine) flush(ctx context.Context, items []*desired, superseded int) (*Report, error) {
	rep := &Report{Run: "flush", Started: e.now(), Superseded: superseded}
	plans := make([]*ItemPlan, len(items))
	outs := make([]outcomeOf, len(items))
	r := &run{}
	key := func(i int) string { return items[i].key }
	e.chunks(ctx, len(items), key, outs, r, func(held context.Context, lo, hi int, entries map[string]*Entry) error {
		seen := e.readCold(held, items, lo, hi, entries, plans, outs, r)
		now := e.now()
		var send []int
		saves := make([]Entry, 0, hi-lo)
		for i := lo; i < hi; i++ {
			d, en := items[i], entries[items[i].key]
			if outs[i].status != "" || plans[i] != nil {
				continue // superseded, failed, or not on Tiki
			}
			a := &actual{productID: en.ProductID, sku: d.sku, values: en.Seen}
			if ip := e.compare(d, a, en, now); ip != nil {
				plans[i] = ip
				if ip.write != nil {
					send = append(send, i)
				}
			}
			seen[i-lo] = true
		}
		err := e.commit(held, plans, outs, send, entries, r)
		for i := lo; i < hi; i++ {
			if seen[i-lo] {
				saves = append(saves, *entries[items[i].key])
			}
		}
		if serr := e.save(held, saves); err == nil {
			err = serr
		}
		return err
	})
	for i, d := range items {
		o := &outs[i]
		ip := plans[i]
		switch {
		case o.status == StatusSuperseded:
			rep.Superseded++
			rep.Lines = append(rep.Lines, Line{SKU: d.sku, ProductID: d.productID, Status: StatusSuperseded,
				Note: "a newer value of the item was already written"})
		case ip == nil && o.status == "":
			rep.InStep++
		case ip == nil:
			rep.Failed++
			rep.Lines = append(rep.Lines, Line{SKU: d.sku, ProductID: d.productID, Status: o.status, Note: o.note, MaybeApplied: o.maybe})
		case o.status == "":
			rep.add(ip, StatusChanged, "", false)
		default:
			rep.add(ip, o.status, o.note, o.maybe)
		}
		if o.retry {
			e.enqueue(d, true)
		}
	}
	rep.Reads, rep.Writes = r.reads, r.writes
	rep.Finished = e.now()
	e.report(rep)
	return rep, r.err(len(items))
}

// readCold handles, for items[lo:hi] under their Guard, the items whose
// entry holds a newer version (superseded) and reads from Tiki those the
// engine has not seen there (or has seen as another product than the
// item's ProductID), recording what it read in their entries (or
// a NotOnTiki plan, or a failure). It returns which items' entries to save.
func (e *Engine) readCold(ctx context.Context, items []*desired, lo, hi int, entries map[string]*Entry,
	plans []*ItemPlan, outs []outcomeOf, r *run) []bool {
	seen := make([]bool, hi-lo)
	var wg sync.WaitGroup
	for i := lo; i < hi; i++ {
		d, en := items[i], entries[items[i].key]
		switch {
		case en.Version > d.version:
			outs[i].status = StatusSuperseded
			continue
		case !en.SeenAt.IsZero() && en.ProductID != 0 && (d.productID == 0 || d.productID == en.ProductID) &&
			(d.stock == nil || en.Seen.Stock != nil):
			continue // seen (its stock too, when the item sets it), and the product the item names
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := d.productID
			if id == 0 {
				id = en.ProductID
			}
			a, calls, err := e.readProduct(ctx, d.sku, id)
			r.mu.Lock()
			r.reads += calls
			r.mu.Unlock()
			switch {
			case err != nil:
				outs[i].status, outs[i].note, outs[i].retry = StatusFailed, "reading the product from Tiki: "+err.Error(), true
				r.fail(err)
			case a == nil:
				plans[i] = &ItemPlan{SKU: d.sku, ProductID: d.productID, Version: d.version, key: d.key,
					Problems: []Problem{{Reason: NotOnTiki, Detail: "Tiki has no product with this " + naming(d)}}}
			default:
				if en.ProductID != 0 && en.ProductID != a.productID {
					// The item names another product than the entry knew:
					// what was pushed to that one says nothing of this one.
					en.Pushed, en.PushedAt = Values{}, time.Time{}
				}
				en.ProductID, en.Seen, en.SeenAt = a.productID, a.values, e.now()
				seen[i-lo] = true
			}
		}()
	}
	wg.Wait()
	return seen
}
