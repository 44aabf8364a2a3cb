package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/internal/safe"
)

// How a pass reads the order list.
//
// Tiki pages a list by position over the live list, without a snapshot: an
// order that leaves a list being walked (updated, so that its update time
// moves out of the range) pulls the orders after it back by one, and the
// one that crosses into a page already read is never seen. One request is
// answered from one state of the list, so a pass reads each window with one
// request: a window whose orders do not fit on a page is split by time
// until every part does. Only a window of one second (two whole seconds,
// both bounds included) cannot be split; it is walked page by page, and
// walked again when the list's total changed during the walk.
//
// Windows share their bounds ([a, b] then [b, c]), and Tiki's update times
// are whole seconds, so an order updated exactly on a bound is listed by
// both windows, whether Tiki includes the bounds or leaves one out; the
// second sighting finds it delivered (or being delivered) and costs
// nothing. The list is sorted by creation time, which does not change when
// orders do.
const (
	// ordersPageLimit is the page size of the pass's list requests: the
	// largest Tiki accepts.
	ordersPageLimit = 100
	// ordersSplitTarget is how many orders each part of a split window is
	// meant to hold: half a page, so that a part whose orders are not spread
	// evenly still fits.
	ordersSplitTarget = ordersPageLimit / 2
	// ordersDenseAttempts is how many times a one-second window with more
	// orders than a page is walked before its changing list is reported.
	ordersDenseAttempts = 3
)

// orderSpan is a window of update times, both bounds included.
type orderSpan struct{ from, to time.Time }

// split cuts s into parts of about ordersSplitTarget of its total orders,
// at whole seconds, each at least one second long; consecutive parts share
// their bound.
func (s orderSpan) split(total int) []orderSpan {
	secs := int64(s.to.Sub(s.from) / time.Second)
	n := min(max(int64((total+ordersSplitTarget-1)/ordersSplitTarget), 2), secs)
	parts := make([]orderSpan, 0, n)
	from := s.from
	for i := int64(1); i <= n; i++ {
		to := s.from.Add(time.Duration(secs*i/n) * time.Second)
		if i == n {
			to = s.to
		}
		if to.After(from) {
			parts = append(parts, orderSpan{from, to})
			from = to
		}
	}
	return parts
}

// ordersPass is one walk of the order list over [from, to].
type ordersPass struct {
	b              *OrdersBackfill
	ctx            context.Context
	from, to       time.Time
	keepCheckpoint bool // Range: neither read nor move the checkpoint

	lists   chan struct{} // list request slots
	workers chan struct{} // handler call slots
	wg      sync.WaitGroup
	stopped atomic.Bool

	mu       sync.Mutex
	stopErr  error                 // what stopped the pass
	frontier time.Time             // every order updated in [from, frontier] is delivered
	complete map[int64]time.Time   // completed windows past the frontier: from (Unix) -> to
	listed   map[OrderKey]struct{} // every key the list returned
	results  map[OrderKey]*handout // keys handed out by this pass, by the key listed
	lost     []OrderKey            // keys this pass delivered
	failed   map[OrderKey]*OrderDeliveryError
	windows  int
	requests int

	cpMu  sync.Mutex // serialises checkpoint saves
	saved time.Time  // the checkpoint in the store
}

// handout is a hand-out of one key by a pass: done is closed once it
// ended, settled then says whether the order is delivered (or needed no
// delivery) or parked.
type handout struct {
	done    chan struct{}
	settled bool
}

// claim returns the hand-out of k in this pass, and whether k was claimed
// already (by another window sharing a bound, or the retry of the parked
// orders). The claimer ends it with record or abandon.
func (p *ordersPass) claim(k OrderKey) (h *handout, claimed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.results[k]; ok {
		return h, true
	}
	h = &handout{done: make(chan struct{})}
	p.results[k] = h
	return h, false
}

// abandon ends the claimed hand-out of k, which did not take place.
func (p *ordersPass) abandon(k OrderKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end(k, false)
}

// end ends the hand-out of k. p.mu must be held.
func (p *ordersPass) end(k OrderKey, settled bool) {
	h, ok := p.results[k]
	if !ok {
		h = &handout{done: make(chan struct{})}
		p.results[k] = h
	}
	select {
	case <-h.done:
	default:
		h.settled = settled
		close(h.done)
	}
}

// newPass prepares a pass over [from, to]; cp is the store's checkpoint.
func (b *OrdersBackfill) newPass(ctx context.Context, from, to, cp time.Time) *ordersPass {
	return &ordersPass{
		b: b, ctx: ctx, from: from, to: to,
		lists: make(chan struct{}, b.opts.Requests), workers: make(chan struct{}, b.opts.Workers),
		frontier: from, complete: map[int64]time.Time{}, listed: map[OrderKey]struct{}{},
		results: map[OrderKey]*handout{}, failed: map[OrderKey]*OrderDeliveryError{}, saved: cp,
	}
}

// run walks the windows of the pass, earliest first, and reports.
func (p *ordersPass) run() (*OrdersReport, error) {
	step := p.b.opts.Window
	for from := p.from; from.Before(p.to); {
		to := from.Add(step)
		if to.After(p.to) {
			to = p.to
		}
		if !p.acquire(p.lists) {
			break
		}
		p.wg.Add(1)
		go p.window(orderSpan{from, to})
		from = to
	}
	p.wg.Wait()
	return p.report()
}

// window reads one window, holding a list slot that it releases, and
// hands out its orders, or splits it.
func (p *ordersPass) window(w orderSpan) {
	defer p.wg.Done()
	page, err := p.list(w, 1, ordersPageLimit)
	if err == nil && page.Paging.LastPage > 1 {
		if w.to.Sub(w.from) > time.Second {
			<-p.lists
			for _, part := range w.split(page.Paging.Total) {
				if !p.acquire(p.lists) {
					return
				}
				p.wg.Add(1)
				go p.window(part)
			}
			return
		}
		page.Data, err = p.dense(w, page)
	}
	<-p.lists
	if err != nil {
		p.stop(err)
		return
	}
	p.mu.Lock()
	p.windows++
	p.mu.Unlock()
	if p.deliver(page.Data) {
		p.completed(w)
	}
}

// orderListOptions are the list filters of a window's page.
func orderListOptions(w orderSpan, page, limit int) *tiki.OrderListOptions {
	return &tiki.OrderListOptions{
		UpdatedFrom: tiki.NewTime(w.from),
		UpdatedTo:   tiki.NewTime(w.to),
		OrderBy:     tiki.OrderByCreatedAtAsc,
		ListOptions: tiki.ListOptions{Page: page, Limit: limit},
	}
}

// list reads one page of a window.
func (p *ordersPass) list(w orderSpan, page, limit int) (*tiki.Page[tiki.Order], error) {
	p.sent(1)
	pg, _, err := p.b.client.Orders.List(p.ctx, orderListOptions(w, page, limit))
	if err != nil {
		return nil, fmt.Errorf("reconcile: listing the orders updated from %s to %s: %w", tiki.NewTime(w.from), tiki.NewTime(w.to), err)
	}
	return pg, nil
}

// dense reads a one-second window whose orders take more than one page:
// the first page, then the others with a page walk (one page at a time,
// in the window's list slot), then the total again.
// When the total changed, an order left the window during the walk and
// another may have been skipped: the window is read again.
func (p *ordersPass) dense(w orderSpan, first *tiki.Page[tiki.Order]) ([]tiki.Order, error) {
	for attempt := 1; ; attempt++ {
		rows := slices.Clone(first.Data)
		p.sent(first.Paging.LastPage - 1)
		opts := orderListOptions(w, 2, ordersPageLimit)
		// One request in flight: the window's own.
		for o, err := range p.b.client.Orders.All(p.ctx, opts, tiki.WithPagesAhead(1)) {
			if err != nil {
				return nil, fmt.Errorf("reconcile: listing the orders updated from %s to %s: %w", tiki.NewTime(w.from), tiki.NewTime(w.to), err)
			}
			rows = append(rows, o)
		}
		after, err := p.list(w, 1, 1)
		if err != nil {
			return nil, err
		}
		codes := map[string]struct{}{}
		for _, o := range rows {
			codes[o.Code] = struct{}{}
		}
		if after.Paging.Total == first.Paging.Total && len(codes) >= first.Paging.Total {
			return rows, nil
		}
		if attempt == ordersDenseAttempts {
			return nil, fmt.Errorf("reconcile: the orders updated from %s to %s changed during each of %d walks of them",
				tiki.NewTime(w.from), tiki.NewTime(w.to), attempt)
		}
		if first, err = p.list(w, 1, ordersPageLimit); err != nil {
			return nil, err
		}
		if first.Paging.LastPage <= 1 {
			return first.Data, nil
		}
	}
}

// deliver hands out the orders of a window that the handler does not have
// in their current status, and reports whether every order of the window
// is delivered or parked.
func (p *ordersPass) deliver(orders []tiki.Order) bool {
	var keys []OrderKey
	var codes []string
	byKey := map[OrderKey]*tiki.Order{}
	for i := range orders {
		d := deliveryOf(&orders[i], true)
		k := d.Key()
		if _, dup := byKey[k]; !dup {
			byKey[k] = &orders[i]
			keys = append(keys, k)
			codes = append(codes, k.Code)
		}
	}
	p.mu.Lock()
	for _, k := range keys {
		p.listed[k] = struct{}{}
	}
	p.mu.Unlock()
	if len(keys) == 0 {
		return true
	}
	latest, err := p.b.latest(p.ctx, codes)
	if err != nil {
		p.stop(err)
		return false
	}
	var advance []OrderKey
	for i, k := range keys {
		if judge(latest[i], k) == known && k.At.After(latest[i].At) {
			advance = append(advance, k)
		}
	}
	if len(advance) > 0 {
		if err := p.b.advance(p.ctx, advance); err != nil {
			p.stop(err)
			return false
		}
	}
	var ok atomic.Bool
	ok.Store(true)
	var wg sync.WaitGroup
	for i, k := range keys {
		if v := judge(latest[i], k); v == known || v == older {
			continue
		}
		h, claimed := p.claim(k)
		if claimed {
			// Another window of this pass hands it out (a shared bound):
			// the window is complete once that hand-out settled it.
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-h.done:
					if !h.settled {
						ok.Store(false)
					}
				case <-p.ctx.Done():
					ok.Store(false)
				}
			}()
			continue
		}
		if !p.acquire(p.workers) {
			p.abandon(k)
			ok.Store(false)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-p.workers }()
			if _, _, settled, _ := p.handOut(k, deliveryOf(byKey[k], true)); !settled {
				ok.Store(false)
			}
		}()
	}
	wg.Wait()
	return ok.Load()
}

// handOut hands d (listed under k) to the handler, records the outcome
// and reports it (see OrdersBackfill.handOut) and whether the order is
// settled: delivered, not needed, or parked.
func (p *ordersPass) handOut(k OrderKey, d OrderDelivery) (key OrderKey, handled, settled bool, err error) {
	key, handled, err = p.b.handOut(p.ctx, d)
	var de *OrderDeliveryError
	parked := false
	if !handled && errors.As(err, &de) && !p.keepCheckpoint {
		// The handler failed: count it, and park the order when it has
		// failed often enough.
		f, ferr := p.b.recordFailure(context.WithoutCancel(p.ctx), key, de.Err)
		if ferr != nil {
			p.stop(ferr)
		} else {
			parked = f.Failures >= p.b.opts.ParkAfter
		}
	}
	return key, handled, p.record(k, key, handled, err, parked), err
}

// retryParked hands out again, before the pass walks its windows, every
// parked order in its current status (read from Tiki).
func (p *ordersPass) retryParked() {
	parked, err := p.b.parked(p.ctx)
	if err != nil {
		p.stop(err)
		return
	}
	var wg sync.WaitGroup
	for _, f := range parked {
		if !p.acquire(p.workers) {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-p.workers }()
			o, err := p.b.read(p.ctx, f.Key.Code)
			if err != nil {
				p.unreadable(f.Key, err)
				return
			}
			d := deliveryOf(o, true)
			key, handled, _, err := p.handOut(d.Key(), d)
			if !handled && err == nil {
				// No longer needed (the handler has its current status, from
				// another path): mark it, which clears its failures.
				if err := p.b.mark(context.WithoutCancel(p.ctx), key); err != nil {
					p.stop(err)
				}
			}
		}()
	}
	wg.Wait()
}

// unreadable notes that the parked order of key could not be read: a
// failed hand-out of the order, reported and counted like a failed handler,
// unless nothing can be read (the pass stops).
func (p *ordersPass) unreadable(key OrderKey, err error) {
	if p.ctx.Err() != nil || ordersFatal(err) {
		p.stop(err)
		return
	}
	de := &OrderDeliveryError{Key: key, Err: err}
	if _, ferr := p.b.recordFailure(context.WithoutCancel(p.ctx), key, err); ferr != nil {
		p.stop(ferr)
	}
	p.record(key, key, false, de, true)
}

// record notes the outcome of handing out k (listed under listed) and
// reports whether it is settled.
func (p *ordersPass) record(listed, k OrderKey, handled bool, err error, parked bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	settled := err == nil || parked
	p.end(listed, settled)
	var de *OrderDeliveryError
	switch {
	case errors.As(err, &de):
		p.failed[k] = de
	case err != nil:
		if p.stopErr == nil && p.ctx.Err() == nil {
			p.stopErr = err
		}
		p.stopped.Store(true)
	case handled:
		p.lost = append(p.lost, k)
	}
	return settled
}

// completed notes that every order of w is delivered, moves the frontier
// over the completed windows that follow it, and saves it as the
// checkpoint.
func (p *ordersPass) completed(w orderSpan) {
	p.mu.Lock()
	p.complete[w.from.Unix()] = w.to
	for {
		next, ok := p.complete[p.frontier.Unix()]
		if !ok {
			break
		}
		delete(p.complete, p.frontier.Unix())
		p.frontier = next
	}
	frontier := p.frontier
	p.mu.Unlock()
	if !p.keepCheckpoint {
		p.checkpoint(frontier)
	}
}

// checkpoint saves t as the checkpoint if it is past the saved one.
func (p *ordersPass) checkpoint(t time.Time) {
	p.cpMu.Lock()
	defer p.cpMu.Unlock()
	if !t.After(p.saved) || !t.After(p.from) {
		return // nothing new is covered
	}
	// The work it covers is done: save it even if ctx ended meanwhile.
	ctx := context.WithoutCancel(p.ctx)
	if err := safe.Do(func() error { return p.b.store.SaveCheckpoint(ctx, t) }); err != nil {
		p.stop(fmt.Errorf("%w: saving the checkpoint: %w", ErrDeliveredStore, err))
		return
	}
	p.saved = t
}

// acquire takes a slot of sem, unless ctx ended or the pass stopped.
func (p *ordersPass) acquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		if p.stopped.Load() || p.ctx.Err() != nil {
			<-sem
			return false
		}
		return true
	case <-p.ctx.Done():
		return false
	}
}

// stop records the error that stops the pass: no window starts after it.
func (p *ordersPass) stop(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopErr == nil {
		p.stopErr = err
	}
	p.stopped.Store(true)
}

// sent counts list requests.
func (p *ordersPass) sent(n int) {
	p.mu.Lock()
	p.requests += max(n, 0)
	p.mu.Unlock()
}

// report returns the pass's report and error once every window ended.
func (p *ordersPass) report() (*OrdersReport, error) {
	r := &OrdersReport{From: p.from, To: p.to, Windows: p.windows, Requests: p.requests, Listed: len(p.listed)}
	var errs []error
	if !p.keepCheckpoint {
		r.Checkpoint = p.saved
		parked, err := p.b.parked(context.WithoutCancel(p.ctx))
		if err != nil {
			p.stop(err)
		}
		r.Parked = parked
	}
	compare := func(a, b OrderKey) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), a.At.Compare(b.At), cmp.Compare(a.Status, b.Status))
	}
	r.Lost = slices.SortedFunc(slices.Values(p.lost), compare)
	for _, de := range p.failed {
		r.Failed = append(r.Failed, de)
	}
	slices.SortFunc(r.Failed, func(a, b *OrderDeliveryError) int { return compare(a.Key, b.Key) })
	if p.stopErr != nil {
		errs = append(errs, p.stopErr)
	}
	if n := len(r.Failed); n > 0 {
		errs = append(errs, fmt.Errorf("reconcile: %d orders handed out were not delivered (%d orders parked); the first: %w", n, len(r.Parked), r.Failed[0]))
	}
	if len(errs) == 0 && p.frontier.Before(p.to) {
		// Stopped by ctx before every window was read.
		err := p.ctx.Err()
		if err == nil {
			err = errors.New("not every window was read")
		}
		errs = append(errs, fmt.Errorf("reconcile: the pass stopped at the orders updated at %s: %w", tiki.NewTime(p.frontier), err))
	}
	return r, errors.Join(errs...)
}
