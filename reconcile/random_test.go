package reconcile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/reconcile"
	"github.com/tikisdk/tiki/tikitest"
)

// The randomized fault test: a seeded schedule of Sets (several at once),
// Flushes, Syncs (alone and beside a Flush), stock and prices changed
// behind the engine's back, orders reserving stock, and process restarts
// in the middle of an Apply, against tikitest's fake answering 5 % of the
// product requests with 503 and losing the answer of 3 % of the product
// writes after applying them. It ends with Tiki exactly equal to the
// books after the policies for every item, and no value applied after a
// newer one (the fake's log of applied changes).
//
// The schedule, the faults and the restarts are drawn from the seed; the
// only freedom left is the order in which the concurrent operations of a
// step reach the fake, and the checks hold for every order.

// chaosSKUs are the products of the randomized test.
var chaosSKUs = []string{"C-01", "C-02", "C-03", "C-04", "C-05", "C-06", "C-07", "C-08", "C-09", "C-10", "C-11", "C-12"}

// chaosOptions are the engine's policies in the randomized test.
var chaosOptions = reconcile.Options{Warehouses: []int64{whHN, whSGN}, Buffer: reconcile.Buffer{Units: 1, Percent: 10}, Floor: 3, Concurrency: 4}

// chaosItem is the books' value of sku at version v: 100 + v units in hn,
// v mod 7 in sgn, the price 100,000 + 10·v, so that what Tiki holds tells
// which version it came from.
func chaosItem(sku string, v int64) reconcile.Item {
	return reconcile.Item{SKU: sku, Quantities: map[int64]int{whHN: 100 + int(v), whSGN: int(v % 7)},
		Price: tiki.Money(100000 + 10*v), Version: v}
}

// chaosTarget is what the policies make of q units in the books (Buffer
// 1 unit or 10 %, Floor 3), computed here independently of the engine.
func chaosTarget(q int) int {
	held := max(1, (q*10+99)/100)
	if t := q - held; t >= 3 {
		return t
	}
	return 0
}

// chaosWorld is the fake, the books and the running "process" of the
// randomized test.
type chaosWorld struct {
	t    *testing.T
	rng  *rand.Rand // the schedule's; used by the test's goroutine only
	srv  *tikitest.Server
	ts   *httptest.Server
	file string // the FileState's path; "" for a MemoryState

	booksMu sync.Mutex
	clock   int64
	latest  map[string]int64

	// serve is held while the fake handles a request, so that a fault
	// armed for a request is that request's, and a restart waits for the
	// dead process's requests to finish.
	serve    sync.Mutex
	faultRng *rand.Rand // under serve
	faults   bool       // under serve
	gen      int        // under serve: the running process
	writes   int        // under serve: product writes seen
	crashAt  int        // under serve: the write during which the process dies (0: none)
	crashes  int        // under serve
	injected map[string]int
	requests int // under serve: product requests

	// The running process: its engine and the context it dies with.
	state  reconcile.State
	engine *reconcile.Engine
	ctx    context.Context
	cancel context.CancelFunc
}

const chaosGenHeader = "X-Chaos-Generation"

// ServeHTTP passes a request to the fake, injecting the faults the seed
// draws, and kills the process during the write chosen to crash. A
// request of a process that died and was replaced is refused unapplied:
// the new process starts only once every request of the old one reached
// Tiki or never will (what the client's settle period, and a
// redisstore.WriteOrder across processes, stand for).
func (w *chaosWorld) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.serve.Lock()
	defer w.serve.Unlock()
	if r.Header.Get(chaosGenHeader) != strconv.Itoa(w.gen) {
		http.Error(rw, `{"errors":["the process is gone"]}`, http.StatusServiceUnavailable)
		return
	}
	product := strings.Contains(r.URL.Path, "/products")
	if product {
		w.requests++
	}
	write := r.Method == http.MethodPut && product
	crash := false
	if write {
		w.writes++
		crash = w.writes == w.crashAt
	}
	if w.faults && product && !crash {
		f := tikitest.Fault{Method: r.Method, Path: r.URL.Path}
		switch p := w.faultRng.Float64(); {
		case p < 0.05:
			f.Status = http.StatusServiceUnavailable
		case write && p < 0.08:
			f.Status, f.LoseAnswer = http.StatusBadGateway, true
		}
		if f.Status != 0 {
			assert.NoError(w.t, w.srv.Inject(f))
			w.injected[fmt.Sprintf("%s %d lost=%v", r.Method, f.Status, f.LoseAnswer)]++
		}
	}
	if crash {
		w.crashes++
		w.crashAt = 0
		if w.faultRng.IntN(2) == 0 {
			w.cancel() // dies before Tiki applies the write
		} else {
			defer w.cancel() // dies once Tiki applied it, before the answer
		}
	}
	w.srv.Handler().ServeHTTP(rw, r)
}

// generation is a transport that names the process a request comes from.
type generation struct {
	gen  int
	next http.RoundTripper
}

func (g generation) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(chaosGenHeader, strconv.Itoa(g.gen))
	return g.next.RoundTrip(r)
}

// next makes a new value of sku, newer than every value before it.
func (w *chaosWorld) next(sku string) reconcile.Item {
	w.booksMu.Lock()
	defer w.booksMu.Unlock()
	w.clock++
	w.latest[sku] = w.clock
	return chaosItem(sku, w.clock)
}

// books is a snapshot of the books as they are now.
func (w *chaosWorld) books() []reconcile.Item {
	w.booksMu.Lock()
	defer w.booksMu.Unlock()
	out := make([]reconcile.Item, len(chaosSKUs))
	for i, sku := range chaosSKUs {
		out[i] = chaosItem(sku, w.latest[sku])
	}
	return out
}

// start starts a process: a new client and Engine on the State the last
// one left (the same MemoryState, or the FileState opened again), which
// reads the books whole once.
func (w *chaosWorld) start() {
	w.serve.Lock()
	w.gen++
	gen := w.gen
	w.serve.Unlock()
	if w.file != "" {
		if fs, ok := w.state.(*reconcile.FileState); ok {
			require.NoError(w.t, fs.Close()) // the dead process's file is closed with it
		}
		fs, err := reconcile.OpenFileState(w.file)
		require.NoError(w.t, err)
		w.state = fs
	}
	client, err := tiki.NewClient(tiki.WithBaseURL(w.ts.URL+"/integration"), tiki.WithAccessToken(w.srv.AccessToken()),
		tiki.WithHTTPClient(&http.Client{Transport: generation{gen, http.DefaultTransport}}),
		tiki.WithRateLimit(0, 0), tiki.WithRetry(3, time.Millisecond, 5*time.Millisecond), tiki.WithWriteSettle(20*time.Millisecond))
	require.NoError(w.t, err)
	opts := chaosOptions
	opts.State = w.state
	w.engine, err = reconcile.New(client, opts)
	require.NoError(w.t, err)
	w.ctx, w.cancel = context.WithCancel(context.Background())
	_, _ = w.engine.Sync(w.ctx, books(w.books()...)) // may fail: the next audit mends it
}

// dead reports whether the running process died.
func (w *chaosWorld) dead() bool { return w.ctx.Err() != nil }

// step runs one step of the schedule.
func (w *chaosWorld) step() {
	e, ctx := w.engine, w.ctx
	var wg sync.WaitGroup
	async := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	switch p := w.rng.IntN(100); {
	case p < 35: // concurrent Sets
		for range 1 + w.rng.IntN(3) {
			items := make([]reconcile.Item, 1+w.rng.IntN(3))
			for i := range items {
				items[i] = w.next(chaosSKUs[w.rng.IntN(len(chaosSKUs))])
			}
			async(func() {
				for _, it := range items {
					assert.NoError(w.t, e.Set(it))
				}
			})
		}
	case p < 55:
		_, _ = e.Flush(ctx)
	case p < 63:
		_, _ = e.Sync(ctx, books(w.books()...))
	case p < 71: // an audit while the books change and are flushed
		snapshot := w.books()
		newer := make([]reconcile.Item, 1+w.rng.IntN(4))
		for i := range newer {
			newer[i] = w.next(chaosSKUs[w.rng.IntN(len(chaosSKUs))])
		}
		async(func() { _, _ = e.Sync(ctx, books(snapshot...)) })
		async(func() {
			for _, it := range newer {
				assert.NoError(w.t, e.Set(it))
			}
			_, _ = e.Flush(ctx)
		})
	case p < 79: // Seller Center
		wh := []int64{whHN, whSGN}[w.rng.IntN(2)]
		require.NoError(w.t, w.srv.SetStock(chaosSKUs[w.rng.IntN(len(chaosSKUs))], wh, w.rng.IntN(20)))
	case p < 85:
		require.NoError(w.t, w.srv.SetPrice(chaosSKUs[w.rng.IntN(len(chaosSKUs))], tiki.Money(30000+10*w.rng.IntN(6000))))
	case p < 92: // a customer's order holds a unit
		_, _ = w.srv.CreateOrder(tikitest.OrderSpec{TikiWarehouse: "hn",
			Items: []tikitest.OrderItemSpec{{SellerProductCode: chaosSKUs[w.rng.IntN(len(chaosSKUs))], Quantity: 1}}})
	default: // the process dies during one of the next writes of an audit
		w.serve.Lock()
		w.crashAt = w.writes + 1 + w.rng.IntN(2)
		w.serve.Unlock()
		for _, sku := range chaosSKUs[:1+w.rng.IntN(len(chaosSKUs))] {
			w.next(sku)
		}
		_, _ = e.Sync(ctx, books(w.books()...))
	}
	wg.Wait()
	if w.dead() {
		w.start()
	}
}

func TestRandomizedFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			w := chaosRun(t, seed+1, 400)
			t.Logf("seed %d: %d product requests, %d writes, %d restarts, faults %v", seed, w.requests, w.writes, w.crashes, w.injected)
		})
	}
}

// chaosRun runs steps steps of the schedule of seed and checks the
// outcome.
func chaosRun(t *testing.T, seed uint64, steps int) *chaosWorld {
	w := &chaosWorld{t: t, rng: rand.New(rand.NewPCG(seed, 22)), faultRng: rand.New(rand.NewPCG(seed, 19)),
		srv: tikitest.NewServer(t, tikitest.WithApprovalDelay(0)), latest: map[string]int64{}, injected: map[string]int{}}
	w.ts = httptest.NewServer(w)
	t.Cleanup(w.ts.Close)
	f := &fake{srv: w.srv}
	for _, sku := range chaosSKUs {
		f.seed(t, product{sku: sku, price: 100000, stock: map[int64]int{whHN: 100, whSGN: 0}})
		w.next(sku)
	}
	if seed%2 == 0 {
		w.file = filepath.Join(t.TempDir(), "state.log")
	} else {
		w.state = reconcile.NewMemoryState()
	}
	w.serve.Lock()
	w.faults = true
	w.serve.Unlock()
	w.start()
	for range steps {
		w.step()
	}

	// The faults stop; the running process writes what it has pending and
	// audits once, as it does periodically.
	w.serve.Lock()
	w.faults, w.crashAt = false, 0
	w.serve.Unlock()
	_, err := w.engine.Flush(w.ctx)
	require.NoError(t, err)
	rep, err := w.engine.Sync(w.ctx, books(w.books()...))
	require.NoError(t, err)
	assert.Zero(t, rep.Failed+rep.NotReconcilable, "%v", lines(rep))
	if fs, ok := w.state.(*reconcile.FileState); ok {
		require.NoError(t, fs.Close())
	}

	for _, it := range w.books() {
		checkChanges(t, w.srv, it.SKU)
		p, ok := w.srv.Product(it.SKU)
		require.True(t, ok)
		assert.Equal(t, it.Price, p.Price, "%s: Tiki's price is the books'", it.SKU)
		want := map[int64]int{whHN: chaosTarget(it.Quantities[whHN]), whSGN: chaosTarget(it.Quantities[whSGN])}
		assert.Equal(t, want, f.stock(t, it.SKU), "%s: Tiki's stock is the books' after the policies", it.SKU)
	}
	return w
}

// checkChanges checks, in the fake's log of what it applied to sku, that
// every write of the engine carried one version of the books and that no
// version was applied after a newer one.
func checkChanges(t *testing.T, srv *tikitest.Server, sku string) {
	t.Helper()
	changes, err := srv.ProductChanges(sku)
	require.NoError(t, err)
	require.Less(t, len(changes), tikitest.MaxProductChanges, "the log holds every change")
	price, hn := tiki.Money(100000), 100 // as seeded
	lastVersion, lastHN := int64(0), 0
	for i, c := range changes {
		newPrice, newHN := c.Price, -1
		for _, l := range c.Stock {
			if l.Warehouse == whHN {
				newHN = l.Available
			}
		}
		require.NotEqual(t, -1, newHN, "%s change %d: no stock in hn", sku, i)
		if c.By == tikitest.ByAPI {
			if newPrice != price {
				require.True(t, newPrice >= 100000 && newPrice%10 == 0, "%s change %d: price %d is no version's", sku, i, newPrice)
				v := int64(newPrice-100000) / 10
				require.GreaterOrEqual(t, v, lastVersion, "%s change %d: version %d applied after version %d", sku, i, v, lastVersion)
				lastVersion = v
				if newHN != hn {
					require.Equal(t, chaosTarget(100+int(v)), newHN, "%s change %d: the stock of version %d", sku, i, v)
				}
			}
			if newHN != hn {
				require.GreaterOrEqual(t, newHN, lastHN, "%s change %d: stock %d applied after %d", sku, i, newHN, lastHN)
				lastHN = newHN
			}
		}
		price, hn = newPrice, newHN
	}
}
