package tiki

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki/internal/flight"
	"github.com/tikisdk/tiki/internal/safe"
)

// ProductStatus is the status a batch update sets on a product.
type ProductStatus int

// Product statuses documented by Tiki.
const (
	// ProductStatusEnabled: the product is on sale.
	ProductStatusEnabled ProductStatus = 1
	// ProductStatusDisabled: the product is switched off.
	ProductStatusDisabled ProductStatus = 2
	// ProductStatusHidden: the product is hidden.
	ProductStatusHidden ProductStatus = 3
)

// Valid reports whether s is 1, 2 or 3.
func (s ProductStatus) Valid() bool { return knownInt(productStatuses, int(s)) }

// MaxBatchUpdate is how many products Tiki updates in one batch call.
// UpdateBatch accepts any number and sends them in calls of this size.
const MaxBatchUpdate = 20

// DefaultBatchConcurrency is how many calls of one UpdateBatch are in
// flight at once unless WithBatchConcurrency says otherwise: enough to use
// Tiki's 200 requests per second at a round trip of 150 ms
// (200 × 0.15 s = 30 calls in flight).
const DefaultBatchConcurrency = 32

// MaxBatchConcurrency is the largest value WithBatchConcurrency accepts.
const MaxBatchConcurrency = 256

// Errors of batch results (BatchResult.Err).
var (
	// ErrBatchNotSent: the item was not sent, because the batch stopped
	// before its call (WithBatchStopOnError after a failed call, a panic in
	// the progress function) or the context ended (the error then also
	// wraps the context's error). It was not applied.
	ErrBatchNotSent = errors.New("tiki: batch update: not sent")
	// ErrBatchNoResult: the item was sent, but Tiki's answer held no result
	// for it. Whether it was applied is unknown.
	ErrBatchNoResult = errors.New("tiki: batch update: Tiki's answer has no result for this item")
)

// BatchOption changes how UpdateBatch (of client.Products and
// client.V2.Products) sends one batch.
// The options are checked with the items: a bad value is reported in the
// *ValidationError, before anything is sent.
type BatchOption func(*batchConfig)

// batchConfig is what the BatchOptions of one call set.
type batchConfig struct {
	concurrency int
	stopOnError bool
	progress    func(done, total int)
}

// WithBatchConcurrency sets how many calls of the batch may be in flight at
// once, from 1 (one call after the other) to MaxBatchConcurrency; the
// default is DefaultBatchConcurrency. Every call still waits for the
// client's rate limiter, so the concurrency bounds the requests in flight,
// not the request rate.
func WithBatchConcurrency(n int) BatchOption {
	return func(c *batchConfig) { c.concurrency = n }
}

// WithBatchStopOnError makes the batch stop at the first call that fails
// (after the client's retries): no call starts after it, the calls already
// in flight finish and keep their results, and the items of the calls
// never started carry ErrBatchNotSent. Without it, a failed call fails only
// its own items and the rest of the batch is still sent.
func WithBatchStopOnError() BatchOption {
	return func(c *batchConfig) { c.stopOnError = true }
}

// WithBatchProgress calls fn each time a call of the batch finishes
// (answered or failed), with the number of items whose call has finished so
// far and the number of items in the batch. Calls to fn come one at a time,
// from the goroutine of the call that finished, in the order the calls
// finished, so done only grows; keep fn quick, as the next report waits
// for it. done reaches total only when every item was sent. A panic in fn
// stops the batch as WithBatchStopOnError does, fn is not called again,
// and UpdateBatch returns the panic as a *PanicError (wrapped). A nil fn
// reports nothing.
func WithBatchProgress(fn func(done, total int)) BatchOption {
	return func(c *batchConfig) { c.progress = fn }
}

// BatchUpdateItem changes the price, status or stock of one product in a
// batch, named by ProductID or OriginalSKU (when both are given, Tiki uses
// ProductID). Zero fields are not changed.
type BatchUpdateItem struct {
	// ProductID is Tiki's id of the product to update.
	ProductID int64 `json:"product_id,omitempty"`
	// OriginalSKU is the seller's SKU of the product to update.
	OriginalSKU string `json:"original_sku,omitempty"`
	// Price is the new price in VND.
	Price Money `json:"price,omitempty"`
	// Status is the new status: enabled, disabled or hidden.
	Status ProductStatus `json:"status,omitempty"`
	// SellerWarehouse lists the ids of the warehouses that hold the
	// product, comma-separated ("1034,1015"); it adds and removes
	// warehouses.
	SellerWarehouse string `json:"seller_warehouse,omitempty"`
	// WarehouseQuantities sets the stock per warehouse. List every
	// warehouse of the product: Tiki sets those left out to 0.
	WarehouseQuantities []WarehouseQuantity `json:"warehouse_quantities,omitempty"`
}

func (it BatchUpdateItem) key() (int64, string) { return it.ProductID, it.OriginalSKU }

func (it BatchUpdateItem) validate(v *validator, prefix string) {
	productKey(v, prefix, it.ProductID, it.OriginalSKU)
	checkPrice(v, prefix+"price", it.Price)
	if it.Status != 0 {
		checkIntEnum(v, prefix+"status", "ProductStatus", int(it.Status), productStatuses)
	}
	checkSellerWarehouse(v, prefix+"seller_warehouse", it.SellerWarehouse)
	checkWarehouseQuantities(v, prefix+"warehouse_quantities", it.WarehouseQuantities)
	v.check(it.Price != 0 || it.Status != 0 || it.SellerWarehouse != "" || len(it.WarehouseQuantities) > 0,
		prefix+"price", "is not set, and neither are status, seller_warehouse and warehouse_quantities: nothing to update")
}

// BatchUpdateItemV2 is one item of the v2 UpdateBatch
// (client.V2.Products.UpdateBatch): one Quantity instead of stock per
// warehouse.
type BatchUpdateItemV2 struct {
	// ProductID is Tiki's id of the product to update.
	ProductID int64 `json:"product_id,omitempty"`
	// OriginalSKU is the seller's SKU of the product to update.
	OriginalSKU string `json:"original_sku,omitempty"`
	// Price is the new price in VND.
	Price Money `json:"price,omitempty"`
	// Status is the new status: enabled, disabled or hidden.
	Status ProductStatus `json:"status,omitempty"`
	// Quantity is the new stock; nil leaves it unchanged, 0 sets it to 0.
	Quantity *int `json:"quantity,omitempty"`
}

func (it BatchUpdateItemV2) key() (int64, string) { return it.ProductID, it.OriginalSKU }

func (it BatchUpdateItemV2) validate(v *validator, prefix string) {
	productKey(v, prefix, it.ProductID, it.OriginalSKU)
	checkPrice(v, prefix+"price", it.Price)
	if it.Status != 0 {
		checkIntEnum(v, prefix+"status", "ProductStatus", int(it.Status), productStatuses)
	}
	checkQuantity(v, prefix+"quantity", it.Quantity)
	v.check(it.Price != 0 || it.Status != 0 || it.Quantity != nil, prefix+"price", "is not set, and neither are status and quantity: nothing to update")
}

// BatchResult is the outcome of one item of a batch update.
type BatchResult struct {
	// Index is the item's position in the slice given to UpdateBatch.
	Index int
	// ProductID is Tiki's id of the product, as Tiki answered (or as
	// given, when Tiki did not answer for the item).
	ProductID int64
	// OriginalSKU is the seller's SKU of the product, as Tiki answered (or
	// as given, when Tiki did not answer for the item).
	OriginalSKU string
	// Success reports that Tiki applied the update.
	Success bool
	// Code is Tiki's code for the item: "success", or why it failed (for
	// example "resource_illegal").
	Code string
	// Messages are Tiki's reasons for a failure.
	Messages []string
	// MatchedByPosition reports that Tiki's answer row was paired with this
	// item only by its position among the rows left over, because no row
	// named the item's product_id (or original_sku). Success, Code and
	// Messages then come from that row: check ProductID and OriginalSKU,
	// which are the row's, before relying on them.
	MatchedByPosition bool
	// Err is set when Tiki gave no answer for the item: the error of the
	// call that carried it, after the client's retries (a *RequestError
	// with Sent set, or a 5xx *APIError, means the outcome is unknown; Sent
	// false means it was not applied); ErrBatchNotSent (not applied; when
	// the context ended before the item's call started, the error also
	// wraps the context's error); or ErrBatchNoResult.
	Err error
}

// BatchResults holds one BatchResult per item given to UpdateBatch, in the
// same order.
type BatchResults []BatchResult

// Failures returns the results of the items that were not applied (Success
// false), in order. Updates set absolute values, so these items can be
// sent again as they are.
func (r BatchResults) Failures() BatchResults {
	var out BatchResults
	for _, res := range r {
		if !res.Success {
			out = append(out, res)
		}
	}
	return out
}

// batchRow is one row of Tiki's batch answer.
type batchRow struct {
	IsSuccess   FlexBool    `json:"is_success"`
	ProductID   FlexInt     `json:"product_id"`
	OriginalSKU FlexString  `json:"original_sku"`
	Code        string      `json:"code"`
	Message     messageList `json:"message"`
}

// UpdateBatch changes the price, status and stock of any number of
// products. Items and options are checked first (every problem in one
// *ValidationError, with paths like "data[21].status" indexed in items,
// before anything is sent), then sent in calls of at most MaxBatchUpdate,
// up to DefaultBatchConcurrency calls in flight at once (see
// WithBatchConcurrency), each through the client's rate limiter and
// retries (a PUT sets absolute values; each call holds the write locks of
// the products it carries, as Update does, until it returns and for the
// settle period after a call that ended in doubt, so neither a retry nor an
// attempt Tiki applies within the settle period overwrites a later write
// made through the same client, or through a client sharing its
// WriteOrder).
//
// Write order: two calls of one batch never carry the same product (the
// same product_id, or the same original_sku). When items names a product
// more than once, each later item goes in a later call that is sent only
// after the call carrying the earlier item has finished, so Tiki applies a
// product's items in the order of items, and the last one wins. Items of
// distinct products have no order between them. As for every write, an
// item naming a product only by product_id and another naming it only by
// original_sku are not recognised as the same product.
//
// The results hold one entry per item, in the order of items, each exact:
//   - applied: Success true, with Tiki's row;
//   - refused by Tiki: Success false, Code and Messages from Tiki's row
//     (not an error of UpdateBatch);
//   - failed: Err holds the error of the call that carried the item (after
//     the client's retries); a *RequestError with Sent set, or a 5xx
//     *APIError, means Tiki may have applied it;
//   - not sent: Err matches ErrBatchNotSent (and the context's error when
//     the context ended); it was not applied;
//   - sent without an answer row: Err is ErrBatchNoResult.
//
// A failed call fails only its own items: the other calls are still sent,
// unless WithBatchStopOnError is given. A panic while a call is sent (in a
// custom transport or limiter, for example) fails that call's items with
// a *PanicError, like any failed call. When the context ends, no call
// starts any more, the calls in flight see the context end (their items
// carry their errors), and the items never sent carry ErrBatchNotSent.
// The returned error is nil when every call got an answer (refused items
// included); otherwise it says how many calls failed and how many items
// were not sent, and wraps the first failed call's error (in the order of
// the calls; errors.As finds *APIError), the context's error when items
// were left unsent because it ended, and the progress function's
// *PanicError. Results.Failures() lists every item to send again. The
// *Response is that of the last call to succeed (nil when none did).
// WithBatchProgress reports progress for long batches.
//
// Tiki's answer rows are matched to items by product_id (or by
// original_sku for items named only by it); rows left over are matched in
// order, and such results have MatchedByPosition set.
//
// PUT /v2.1/products/updateSkus
func (s *ProductsService) UpdateBatch(ctx context.Context, items []BatchUpdateItem, opts ...BatchOption) (BatchResults, *Response, error) {
	return updateBatch(ctx, s.client, apiV21, items, opts)
}

// UpdateBatch is client.Products.UpdateBatch through API v2: one quantity
// per product instead of stock per warehouse. It sends, orders and reports
// items as client.Products.UpdateBatch does and takes the same options.
// Tiki deprecated API v2 updates from 2022-01-05 in favour of v2.1.
//
// PUT /v2/products/updateSkus
func (s *ProductsV2Service) UpdateBatch(ctx context.Context, items []BatchUpdateItemV2, opts ...BatchOption) (BatchResults, *Response, error) {
	return updateBatch(ctx, s.client, apiV2, items, opts)
}

type batchItem interface {
	key() (productID int64, originalSKU string)
	validate(v *validator, prefix string)
}

// batchChunk is one call of a batch.
type batchChunk struct {
	// items are indices in the caller's slice, in increasing order.
	items []int
	// deps are the chunks that carry an earlier item of one of this
	// chunk's products: this chunk is sent only after they finished.
	deps []int
}

// planBatch splits the items, named by their write-lock keys, into calls
// of at most MaxBatchUpdate items such that no two calls carry the same
// key, unless one depends on the other. An item's round is 0 when no
// earlier item shares a key with it, else one more than the highest round
// among the earlier items that do: the items of one round are distinct
// products. Each round is cut in input order into calls of
// MaxBatchUpdate, rounds one after the other; a call depends on the calls
// of the latest earlier item of each of its keys (and so, transitively, on
// every earlier item of its products). Every dependency comes earlier in
// the returned order. Without repeated products there is one round, and
// the calls are consecutive runs of items.
func planBatch(keys [][]string) []batchChunk {
	round := make([]int, len(keys))
	latest := make(map[string]int) // key -> index of its latest item
	rounds := 0
	for i, ks := range keys {
		for _, k := range ks {
			if j, ok := latest[k]; ok {
				round[i] = max(round[i], round[j]+1)
			}
		}
		for _, k := range ks {
			latest[k] = i
		}
		rounds = max(rounds, round[i]+1)
	}
	byRound := make([][]int, rounds)
	for i, r := range round {
		byRound[r] = append(byRound[r], i)
	}
	var chunks []batchChunk
	chunkOf := make([]int, len(keys))
	for _, idx := range byRound {
		for lo := 0; lo < len(idx); lo += MaxBatchUpdate {
			part := idx[lo:min(lo+MaxBatchUpdate, len(idx))]
			for _, i := range part {
				chunkOf[i] = len(chunks)
			}
			chunks = append(chunks, batchChunk{items: part})
		}
	}
	clear(latest)
	for i, ks := range keys {
		n := chunkOf[i]
		for _, k := range ks {
			if j, ok := latest[k]; ok && chunkOf[j] != n && !slices.Contains(chunks[n].deps, chunkOf[j]) {
				chunks[n].deps = append(chunks[n].deps, chunkOf[j])
			}
			latest[k] = i
		}
	}
	return chunks
}

// batchRun is the state of one batch while its calls are in flight. Its
// fields are written only by finish, which the flight group calls one call
// at a time, and read once the group has finished.
type batchRun[T batchItem] struct {
	c       *Client
	version apiVersion
	cfg     batchConfig
	items   []T
	results BatchResults
	chunks  []batchChunk
	g       *flight.Group[batchAnswer]

	last        *Response
	failedCalls int
	firstErr    error // error of the failed call that comes first in order
	firstErrAt  int   // its chunk index
	panicErr    *PanicError
	done        int // items whose call has finished
}

// batchAnswer is what one call of a batch got back.
type batchAnswer struct {
	rows []batchRow
	resp *Response
}

func updateBatch[T batchItem](ctx context.Context, c *Client, version apiVersion, items []T, opts []BatchOption) (BatchResults, *Response, error) {
	if err := checkContext(ctx); err != nil {
		return nil, nil, err
	}
	cfg := batchConfig{concurrency: DefaultBatchConcurrency}
	var v validator
	for i, o := range opts {
		if o == nil {
			v.check(false, "opts["+strconv.Itoa(i)+"]", "must not be nil")
			continue
		}
		o(&cfg)
	}
	v.check(cfg.concurrency >= 1 && cfg.concurrency <= MaxBatchConcurrency, "concurrency", "must be between 1 and %d", MaxBatchConcurrency)
	for i, it := range items {
		it.validate(&v, "data["+strconv.Itoa(i)+"].")
	}
	if err := v.err(); err != nil {
		return nil, nil, err
	}
	run := &batchRun[T]{c: c, version: version, cfg: cfg, items: items, results: make(BatchResults, len(items))}
	keys := make([][]string, len(items))
	for i, it := range items {
		id, sku := it.key()
		run.results[i] = BatchResult{Index: i, ProductID: id, OriginalSKU: sku}
		keys[i] = productLockKeys(id, sku)
	}
	run.chunks = planBatch(keys)
	run.g = flight.New(ctx, cfg.concurrency, run.finish)
	// Calls start in plan order, each once the calls it depends on have
	// finished and a slot is free; a dependency always starts before its
	// dependents.
	ops := make([]*flight.Op[batchAnswer], len(run.chunks))
	started := 0
	for n, ch := range run.chunks {
		after := make([]*flight.Op[batchAnswer], len(ch.deps))
		for i, d := range ch.deps {
			after[i] = ops[d]
		}
		if ops[n] = run.g.Go(n, run.send(ch.items), after...); ops[n] == nil {
			break
		}
		started++
	}
	run.g.Wait()
	return run.report(ctx, started)
}

// send is the call that carries the items at idx. It holds the write locks
// of every product it carries.
func (r *batchRun[T]) send(idx []int) func(context.Context) (batchAnswer, error) {
	return func(ctx context.Context) (batchAnswer, error) {
		data := make([]T, len(idx))
		var lockKeys []string
		for j, i := range idx {
			data[j] = r.items[i]
			lockKeys = append(lockKeys, productLockKeys(r.items[i].key())...)
		}
		body := struct {
			Data []T `json:"data"`
		}{data}
		rows, resp, err := callList[batchRow](ctx, r.c, &request{method: http.MethodPut, version: r.version, path: "products/updateSkus", body: body, lockKeys: lockKeys})
		return batchAnswer{rows, resp}, err
	}
}

// finish records the outcome of chunk n's call (err is a *PanicError when
// the call panicked, in a custom transport or limiter for example) and
// reports progress.
func (r *batchRun[T]) finish(n int, a batchAnswer, err error) {
	idx := r.chunks[n].items
	if err != nil {
		for _, i := range idx {
			r.results[i].Err = err
		}
		r.failedCalls++
		if r.firstErr == nil || n < r.firstErrAt {
			r.firstErr, r.firstErrAt = err, n
		}
		if r.cfg.stopOnError {
			r.g.Halt()
		}
	} else {
		sub := make([]BatchResult, len(idx))
		keys := make([]batchKey, len(idx))
		for j, i := range idx {
			sub[j] = r.results[i]
			keys[j].id, keys[j].sku = r.items[i].key()
		}
		matchBatch(sub, keys, a.rows)
		for j, i := range idx {
			r.results[i] = sub[j]
		}
		r.last = a.resp
	}
	r.done += len(idx)
	if r.cfg.progress == nil || r.panicErr != nil {
		return // none, or it panicked before: not called again
	}
	perr := safe.Do(func() error { r.cfg.progress(r.done, len(r.items)); return nil })
	if pe := (*PanicError)(nil); errors.As(perr, &pe) {
		r.panicErr = pe
		r.g.Halt()
	}
}

// report marks the items of the calls never started as not sent and
// returns the batch's outcome.
func (r *batchRun[T]) report(ctx context.Context, started int) (BatchResults, *Response, error) {
	notSent := 0
	var notSentErr error = ErrBatchNotSent
	ctxErr := ctx.Err()
	if ctxErr != nil {
		notSentErr = fmt.Errorf("%w: %w", ErrBatchNotSent, ctxErr)
	}
	for _, ch := range r.chunks[started:] {
		for _, i := range ch.items {
			r.results[i].Err = notSentErr
		}
		notSent += len(ch.items)
	}
	if r.failedCalls == 0 && notSent == 0 && r.panicErr == nil {
		return r.results, r.last, nil
	}
	msg := fmt.Sprintf("tiki: batch update: %d of %d calls failed, %d of %d items not sent", r.failedCalls, len(r.chunks), notSent, len(r.items))
	var errs []error
	if r.firstErr != nil {
		errs = append(errs, r.firstErr)
	}
	if r.panicErr != nil {
		msg += " (the progress function panicked)"
		errs = append(errs, r.panicErr)
	}
	if notSent > 0 && ctxErr != nil {
		msg += " (the context ended)"
		if r.firstErr == nil || !errors.Is(r.firstErr, ctxErr) {
			errs = append(errs, ctxErr)
		}
	} else if notSent > 0 && r.cfg.stopOnError && r.firstErr != nil {
		msg += " (stopped at a failed call)"
	}
	args := []any{msg}
	for _, e := range errs {
		args = append(args, e)
	}
	return r.results, r.last, fmt.Errorf("%s"+strings.Repeat(": %w", len(errs)), args...)
}

type batchKey struct {
	id  int64
	sku string
}

// matchBatch fills results (one per key, the items of one call) from Tiki's
// rows: first by product id, or by original SKU for items named only by
// it; then the rows left over in order, when as many rows as items are
// left (those results are marked MatchedByPosition); items still without a
// row get ErrBatchNoResult.
func matchBatch(results []BatchResult, keys []batchKey, rows []batchRow) {
	used := make([]bool, len(rows))
	matched := make([]bool, len(results))
	for i, k := range keys {
		for j, row := range rows {
			if used[j] {
				continue
			}
			if (k.id != 0 && int64(row.ProductID) == k.id) || (k.id == 0 && k.sku != "" && string(row.OriginalSKU) == k.sku) {
				applyRow(&results[i], row)
				used[j], matched[i] = true, true
				break
			}
		}
	}
	var freeRows, freeItems []int
	for j := range rows {
		if !used[j] {
			freeRows = append(freeRows, j)
		}
	}
	for i := range results {
		if !matched[i] {
			freeItems = append(freeItems, i)
		}
	}
	if len(freeRows) == len(freeItems) {
		for n, i := range freeItems {
			applyRow(&results[i], rows[freeRows[n]])
			results[i].MatchedByPosition = true
		}
		return
	}
	for _, i := range freeItems {
		results[i].Err = ErrBatchNoResult
	}
}

func applyRow(r *BatchResult, row batchRow) {
	r.Success = bool(row.IsSuccess)
	r.Code = row.Code
	r.Messages = []string(row.Message)
	if row.ProductID != 0 {
		r.ProductID = int64(row.ProductID)
	}
	if row.OriginalSKU != "" {
		r.OriginalSKU = string(row.OriginalSKU)
	}
}
