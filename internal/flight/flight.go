package flight

import (
	"context"
	"sync"

	"github.com/tikisdk/tiki/internal/safe"
)

// Group runs operations, at most n holding a slot at once. R is what an
// operation returns besides its error.
type Group[R any] struct {
	ctx     context.Context // given to every operation; ended by Stop
	cancel  context.CancelFunc
	slots   chan struct{} // one value per slot taken
	ordered bool

	halted   chan struct{} // closed by Halt
	haltOnce sync.Once

	finish   func(key int, v R, err error)
	finishMu sync.Mutex // calls to finish come one at a time

	wg    sync.WaitGroup
	queue []*Op[R] // ordered: started and not yet taken, oldest first
}

// Op is one operation of a group.
type Op[R any] struct {
	key  int
	done chan struct{} // closed once the operation has returned
	val  R
	err  error
}

// Key is the key the operation was started with.
func (o *Op[R]) Key() int { return o.key }

// Result is what the operation returned, or its panic as a
// *safe.PanicError. It is valid once the operation has finished: after
// Next returned it, after Wait or Stop, or once another operation that
// named it in after has started.
func (o *Op[R]) Result() (R, error) { return o.val, o.err }

// New returns a group that runs at most n operations at once: an
// operation gives its slot back when it returns. finish, when not nil, is
// called with each operation's key and result as it returns, on the
// operation's goroutine, one call at a time, in the order the operations
// return; an operation counts as finished (for after, Wait and Stop) only
// once finish has returned.
func New[R any](ctx context.Context, n int, finish func(key int, v R, err error)) *Group[R] {
	g := newGroup[R](ctx, n)
	g.finish = finish
	return g
}

// Ordered returns a group whose operations are taken with Next in the
// order they started: an operation gives its slot back when it is taken,
// so at most n are running or finished and waiting to be taken. Go on an
// ordered group waits for Next to free a slot: feed it with TryGo.
func Ordered[R any](ctx context.Context, n int) *Group[R] {
	g := newGroup[R](ctx, n)
	g.ordered = true
	return g
}

func newGroup[R any](ctx context.Context, n int) *Group[R] {
	g := &Group[R]{slots: make(chan struct{}, max(n, 1)), halted: make(chan struct{})}
	g.ctx, g.cancel = context.WithCancel(ctx)
	return g
}

// Go starts fn as the operation key, once every operation in after has
// finished and a slot is free. It returns nil, starting nothing, when ctx
// has ended or the group was halted, before or while it waited, whichever
// it saw first.
func (g *Group[R]) Go(key int, fn func(context.Context) (R, error), after ...*Op[R]) *Op[R] {
	for _, a := range after {
		select {
		case <-a.done:
		case <-g.ctx.Done():
			return nil
		case <-g.halted:
			return nil
		}
	}
	select {
	case g.slots <- struct{}{}:
	case <-g.ctx.Done():
		return nil
	case <-g.halted:
		return nil
	}
	// Whichever case won, a group told to stop starts nothing more.
	if g.ctx.Err() != nil || g.isHalted() {
		<-g.slots
		return nil
	}
	return g.start(key, fn)
}

// TryGo starts fn as the operation key when a slot is free now and the
// group is not halted, and returns nil otherwise. It does not look at ctx:
// an operation started after ctx ended sees it, and its result says so.
func (g *Group[R]) TryGo(key int, fn func(context.Context) (R, error)) *Op[R] {
	if g.isHalted() {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
		return g.start(key, fn)
	default:
		return nil
	}
}

// start runs fn on its own goroutine; the slot is taken.
func (g *Group[R]) start(key int, fn func(context.Context) (R, error)) *Op[R] {
	op := &Op[R]{key: key, done: make(chan struct{})}
	if g.ordered {
		g.queue = append(g.queue, op)
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		op.val, op.err = safe.Get(func() (R, error) { return fn(g.ctx) })
		if g.finish != nil {
			g.finishMu.Lock()
			g.finish(key, op.val, op.err)
			g.finishMu.Unlock()
		}
		if !g.ordered {
			<-g.slots
		}
		close(op.done)
	}()
	return op
}

// Pending is the number of operations of an ordered group started and not
// yet taken.
func (g *Group[R]) Pending() int { return len(g.queue) }

// Next takes the oldest operation of an ordered group not yet taken, waits
// for it to finish and frees its slot. It returns nil when none is
// pending.
func (g *Group[R]) Next() *Op[R] {
	if len(g.queue) == 0 {
		return nil
	}
	op := g.queue[0]
	g.queue[0] = nil
	g.queue = g.queue[1:]
	<-op.done
	<-g.slots
	return op
}

// Halt makes the group start nothing more; operations already started
// run on.
func (g *Group[R]) Halt() { g.haltOnce.Do(func() { close(g.halted) }) }

func (g *Group[R]) isHalted() bool {
	select {
	case <-g.halted:
		return true
	default:
		return false
	}
}

// Wait waits for every operation started to finish, then releases the
// group's context.
func (g *Group[R]) Wait() {
	g.wg.Wait()
	g.cancel()
}

// Stop ends the context of the operations in flight and waits for them to
// return: when it returns, no goroutine of the group is left.
func (g *Group[R]) Stop() {
	g.cancel()
	g.wg.Wait()
}
