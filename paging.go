package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki/internal/flight"
	"github.com/tikisdk/tiki/internal/safe"
)

// Paging is the paging block of Tiki's list responses. A page may hold fewer
// rows than requested before the last one: LastPage, not the row count,
// tells where the list ends.
type Paging struct {
	// Total is the number of rows in the whole list.
	Total int `json:"total"`
	// PerPage is the page size Tiki applied: the request's limit, or
	// Tiki's default (20 on most lists).
	PerPage int `json:"per_page"`
	// CurrentPage is this page's number, from 1.
	CurrentPage int `json:"current_page"`
	// LastPage is the number of the last page.
	LastPage int `json:"last_page"`
	// From is the position in the list of this page's first row, as Tiki
	// reports it.
	From int `json:"from"`
	// To is the position in the list of this page's last row, as Tiki
	// reports it.
	To int `json:"to"`
}

// HasNext reports whether pages follow this one.
func (p Paging) HasNext() bool { return p.CurrentPage < p.LastPage }

// Page is one page of a list: its rows and the paging block.
type Page[T any] struct {
	// Data holds the page's rows, sent as "data" or (as the order list's
	// field table names it) "results".
	Data []T `json:"data"`
	// Paging is the list's paging block; Paging.HasNext tells whether
	// pages follow.
	Paging Paging `json:"paging"`
}

// UnmarshalJSON decodes the rows from "data" or, when the page has no
// "data" (or null), from "results".
func (p *Page[T]) UnmarshalJSON(b []byte) error { return p.decodeBody(b) }

// decodeBody is UnmarshalJSON for the client, which calls it directly so
// that a page is parsed once (see bodyDecoder).
func (p *Page[T]) decodeBody(b []byte) error {
	rows, paging, err := decodePage[T](b)
	if err != nil {
		return err
	}
	*p = Page[T]{Data: rows, Paging: paging}
	return nil
}

// decodePage decodes a page's rows, as R, from "data" or, when the page has
// no "data" (or null), from "results", and its paging block. A refusal
// (see listRefused) fails with errListRefused.
func decodePage[R any](b []byte) ([]R, Paging, error) {
	var w struct {
		answerKeys
		Data    []R    `json:"data"`
		Results []R    `json:"results"`
		Paging  Paging `json:"paging"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, Paging{}, err
	}
	empty := w.Data == nil && w.Results == nil
	if listRefused(&w.answerKeys, empty) {
		return nil, Paging{}, errListRefused
	}
	if empty && !hasRowsKey(b, "data", "results") {
		// {} or null: not a list. An empty list is {"data": []}.
		return nil, Paging{}, newShapeError(`a page ({"data": [...], "paging": {...}})`, b)
	}
	if w.Data == nil {
		return w.Results, w.Paging, nil
	}
	return w.Data, w.Paging, nil
}

// errListRefused is the decoding error of a 2xx answer to a list that
// refuses the request (see listRefused); the client returns an *APIError
// with Tiki's messages in its place.
var errListRefused = errors.New("tiki: the answer refuses the request instead of listing rows")

// listRefused reports whether a 2xx answer to a list, whose keys are k, is
// a refusal rather than rows: an explicit refusal (success false, a
// non-empty errors list, the paused-connection message), whatever rows it
// holds, or a message beside rows that are null or missing (empty). Read
// as a list, it would look like an empty one.
func listRefused(k *answerKeys, empty bool) bool {
	return k.refused() || (empty && k.says())
}

// convertRows converts each row as sent into the SDK's type; nil stays
// nil.
func convertRows[R, T any](rows []R, convert func(*R) T) []T {
	if rows == nil {
		return nil
	}
	out := make([]T, len(rows))
	for i := range rows {
		out[i] = convert(&rows[i])
	}
	return out
}

// maxLimit is the largest page size ListOptions accepts: Tiki refuses
// larger ones on some endpoints.
const maxLimit = 100

// DefaultPagesAhead is how many pages an All iterator keeps requested ahead
// of the page it is yielding unless WithPagesAhead says otherwise: enough
// requests in flight to use Tiki's 200 requests per second at a round trip
// of 150 ms (200 × 0.15 s = 30).
const DefaultPagesAhead = 32

// MaxPagesAhead is the largest value WithPagesAhead accepts.
const MaxPagesAhead = 64

// WalkOption changes how an All iterator walks a list; it is not sent to
// Tiki. The options are checked when the iterator is ranged over, before
// anything is sent: a bad value is the *ValidationError the iterator
// yields, and the walk stops.
type WalkOption func(*walkConfig)

// walkConfig is what the WalkOptions of one walk set.
type walkConfig struct {
	pagesAhead    int
	expectedPages int // 0: as many as the last walk of the list found
	expectedSet   bool
}

// WithPagesAhead sets how many pages an All iterator may have requested
// ahead of the page it is yielding, once the first page has told it the
// last one: at most n requests in flight and n pages held besides the one
// being yielded. n is from 1 (one request overlapping the loop's work) to
// MaxPagesAhead; the default is DefaultPagesAhead. Each request still
// waits for the client's limiter.
func WithPagesAhead(n int) WalkOption {
	return func(c *walkConfig) { c.pagesAhead = n }
}

// WithExpectedPages sets how many pages an All iterator requests at once
// when it starts, before Tiki's first answer tells it where the list ends:
// from 1 (the first page alone) to the walk's pages ahead (WithPagesAhead,
// or DefaultPagesAhead), so that a walk never has more requests in flight
// than that. Without it, a walk requests as many pages as the client's
// last walk of the same list found (the same endpoint, filters and page
// size; date filters whatever their values), and the first page alone for
// a list this client has not walked: a walk repeated on a long-lived
// client (a sync job) saves the round trip of waiting for the first page.
// Set it when you know a list's length on a new client. A page requested
// past the end (the list shrank; Tiki answers it empty) is dropped,
// whatever its answer.
func WithExpectedPages(n int) WalkOption {
	return func(c *walkConfig) { c.expectedPages, c.expectedSet = n, true }
}

// newWalkConfig applies opts and checks the result.
func newWalkConfig(opts []WalkOption) (walkConfig, error) {
	cfg := walkConfig{pagesAhead: DefaultPagesAhead}
	var v validator
	for i, o := range opts {
		if o == nil {
			v.add("walk_opts["+strconv.Itoa(i)+"]", "must not be nil")
			continue
		}
		o(&cfg)
	}
	v.check(cfg.pagesAhead >= 1 && cfg.pagesAhead <= MaxPagesAhead, "pages_ahead", "must be between 1 and %d", MaxPagesAhead)
	if cfg.expectedSet {
		ahead := min(max(cfg.pagesAhead, 1), MaxPagesAhead)
		v.check(cfg.expectedPages >= 1 && cfg.expectedPages <= ahead, "expected_pages", "must be between 1 and the pages ahead (%d)", ahead)
	}
	return cfg, v.err()
}

// ListOptions selects a page. Zero values are left to Tiki's defaults
// (page 1, 20 rows); Tiki refuses limits above 100 on some endpoints.
//
// Lists that change while they are walked: Tiki pages a list by position
// (page × limit) over the live list and documents no snapshot or cursor.
// A row that enters the list before the position a walk has reached (a new
// order, with Tiki's default newest-first order) pushes a row onto the next
// page, which All then yields twice; a row that leaves it (a product
// deleted, an order whose status no longer matches a status filter) pulls
// a row back onto a page already read, which All never yields. All yields
// what Tiki answers, page by page: it does not remove duplicates, and it
// cannot see a skipped row. Fetching pages ahead shortens the time a walk
// spans, not the risk. To walk a list that changes, keep its order and
// range fixed: for orders, sort oldest first (OrderByCreatedAtAsc) and end
// the range in the past (OrderListOptions.CreatedTo), so that new orders fall
// outside it; filter on a field that does not change during the walk; and
// key what you keep by id when a repeated row must not count twice.
type ListOptions struct {
	// Page is the page List fetches, or the page All starts from
	// (0 means page 1).
	Page int `url:"page,omitempty"`
	// Limit is the number of rows per page, at most 100 (0 means Tiki's
	// default, 20).
	Limit int `url:"limit,omitempty"`
}

func (o ListOptions) validate(v *validator) {
	v.check(o.Page >= 0, "page", "must not be negative")
	v.check(o.Limit >= 0, "limit", "must not be negative")
	v.check(o.Limit <= maxLimit, "limit", "must be at most %d", maxLimit)
}

// list decodes a list answered either as a bare JSON array or as
// {"data": [...]}, as Tiki's API versions differ.
type list[T any] []T

// UnmarshalJSON decodes either shape.
func (l *list[T]) UnmarshalJSON(b []byte) error { return l.decodeBody(b) }

// decodeBody decodes either shape with one pass over the body; the client
// calls it directly (see bodyDecoder), so a list is parsed once, not twice.
func (l *list[T]) decodeBody(b []byte) error {
	rows, err := decodeList[T](b)
	if err != nil {
		return err
	}
	*l = rows
	return nil
}

// decodeList decodes the rows, as R, of a list sent as a bare JSON array
// or as {"data": [...]}.
func decodeList[R any](b []byte) ([]R, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var rows []R
		if err := json.Unmarshal(b, &rows); err != nil {
			return nil, err
		}
		return rows, nil
	}
	var wrapped struct {
		answerKeys
		Data []R `json:"data"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return nil, err
	}
	if listRefused(&wrapped.answerKeys, wrapped.Data == nil) {
		return nil, errListRefused
	}
	if wrapped.Data == nil && !hasRowsKey(b, "data") {
		// null or {}: not a list. An empty list is [] or {"data": []}.
		return nil, newShapeError(`a list ([...] or {"data": [...]})`, b)
	}
	return wrapped.Data, nil
}

// hasRowsKey reports whether b is an object with one of keys (null
// included), so that {"data": null} (an empty list, as some endpoints
// write it) is told from {} and null, which are not lists. It decodes b's
// keys; callers ask only when no rows were decoded.
func hasRowsKey(b []byte, keys ...string) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return false
	}
	for _, k := range keys {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// pageOptions gives the paging helpers access to the ListOptions embedded
// in a list's options struct.
func (o *ListOptions) pageOptions() *ListOptions { return o }

// walk is the iterator of a paginated list endpoint: it calls list with a
// copy of opts (the zero options when opts is nil) whose page is set to
// each page in turn, from opts.Page (default 1) to the last one, keeping
// pages requested ahead as walkOpts say (see all). Bad walkOpts are the
// one error it yields, before anything is sent. The caller's options are
// never changed, and each page gets its own copy, so the iterator may be
// ranged over more than once. name identifies the list (its path, with
// any id in it) for the lengths c remembers between walks.
func walk[T, O any, P interface {
	*O
	pageOptions() *ListOptions
}](ctx context.Context, c *Client, name string, opts P, list func(context.Context, P) (*Page[T], *Response, error), walkOpts []WalkOption) iter.Seq2[T, error] {
	cfg, err := newWalkConfig(walkOpts)
	if err != nil {
		return func(yield func(T, error) bool) {
			var zero T
			yield(zero, err)
		}
	}
	var base O
	if opts != nil {
		base = *opts
	}
	lo := P(&base).pageOptions()
	plan := walkPlan{first: max(lo.Page, 1), ahead: cfg.pagesAhead, expect: cfg.expectedPages}
	if c != nil {
		key := listKey(name, &base)
		if last, ok := c.walks.lastPage(key); ok && plan.expect == 0 {
			plan.expect = last - plan.first + 1
		}
		plan.learn = func(last int) { c.walks.remember(key, last) }
	}
	return all(ctx, plan, func(ctx context.Context, page int) (*Page[T], error) {
		o := base
		P(&o).pageOptions().Page = page
		p, _, err := list(ctx, &o)
		return p, err
	})
}

// walkPlan is how all walks a list.
type walkPlan struct {
	// first is the page to start from (1 when zero).
	first int
	// ahead is the window: how many pages may be requested ahead of the
	// one being yielded (at least 1).
	ahead int
	// expect is how many pages to request at once before the first answer
	// (1 when zero; at most ahead).
	expect int
	// learn, when set, is told the last page of the first answer.
	learn func(last int)
}

// maxRememberedLists bounds the list lengths a client remembers.
const maxRememberedLists = 256

// walkLengths remembers the last page of each list a client walked, so that
// its next walk of the same list requests that many pages at once instead
// of waiting a round trip for the first. The zero value is ready to use.
type walkLengths struct {
	mu    sync.Mutex
	pages map[string]int
}

// lastPage returns the last page remembered for key.
func (l *walkLengths) lastPage(key string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, ok := l.pages[key]
	return n, ok
}

// remember records last as key's last page, forgetting every list when the
// table is full (it only saves round trips; losing it costs one).
func (l *walkLengths) remember(key string, last int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pages == nil || len(l.pages) >= maxRememberedLists {
		l.pages = make(map[string]int)
	}
	l.pages[key] = max(last, 1)
}

// listKey names a list for walkLengths: name, then each filter set in opts
// (a struct, or a pointer to one) with its value, and the page size, so
// that a walk with other filters or another page size is remembered apart.
// Date filters count by name only, so that a list polled with a moving date
// range keeps one entry; the page is left out.
func listKey(name string, opts any) string {
	var b strings.Builder
	b.WriteString(name)
	var fields func(v reflect.Value)
	fields = func(v reflect.Value) {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			f, fv := t.Field(i), v.Field(i)
			switch {
			case !f.IsExported():
			case f.Anonymous:
				fields(fv)
			case f.Name == "Page" || fv.IsZero():
			case f.Type == reflect.TypeFor[Time]() || f.Type == reflect.TypeFor[time.Time]():
				b.WriteString(" " + f.Name)
			default:
				for fv.Kind() == reflect.Pointer {
					fv = fv.Elem()
				}
				fmt.Fprintf(&b, " %s=%v", f.Name, fv.Interface())
			}
		}
	}
	fields(reflect.ValueOf(opts))
	return b.String()
}

// maxPages stops an iterator whose server keeps moving last_page ahead.
const maxPages = 100000

// all walks a paginated list from page plan.first (1 when zero) to its
// last page, yielding each row, rows strictly in page order.
//
// It starts by requesting plan.expect pages at once, each on its own
// goroutine; once the first gives last_page, up to plan.ahead following
// pages are kept requested while the caller's loop works through the rows:
// at most plan.ahead requests are in flight and at most plan.ahead pages
// wait besides the one being yielded (an ordered flight.Group of
// plan.ahead). Pages requested past the last one are never yielded, nor
// their errors. The walk follows each page's own paging block, in page
// order, exactly as a one-page-at-a-time walk would: it ends at the
// last_page of the page just yielded (a short page is not the end), and
// the page number only moves forward, whatever current_page says.
//
// When the caller stops ranging, or ctx ends, the requests in flight are
// cancelled and waited for: no goroutine outlives the loop. When a page
// fails, the rows of the pages before it are yielded, then its error, once,
// and the walk stops. A panic in fetch becomes a *PanicError, yielded like
// any failure. fetch must not keep or change caller state: it gets the
// page number and returns that page.
func all[T any](ctx context.Context, plan walkPlan, fetch func(ctx context.Context, page int) (*Page[T], error)) iter.Seq2[T, error] {
	ahead := max(plan.ahead, 1)
	expect := min(max(plan.expect, 1), ahead)
	return func(yield func(T, error) bool) {
		var zero T
		page := max(plan.first, 1)
		if ctx == nil {
			// The list call refuses it with its typed error.
			_, err := safe.Get(func() (*Page[T], error) { return fetch(ctx, page) })
			if err == nil {
				err = nilContextError()
			}
			yield(zero, err)
			return
		}
		w := &pageWalk[T]{g: flight.Ordered[*Page[T]](ctx, ahead), fetch: fetch}
		defer w.g.Stop()

		for i := range expect {
			w.g.TryGo(page+i, w.get(page+i))
		}
		p, err := w.take(page)
		if err != nil {
			yield(zero, err)
			return
		}
		if plan.learn != nil {
			plan.learn(p.Paging.LastPage)
		}
		next := page + expect
		for n := 1; ; n++ {
			// Keep the window full up to the last page this page knows
			// of, then let the loop work through this page while they
			// are fetched.
			last := p.Paging.LastPage
			for next <= last && w.g.TryGo(next, w.get(next)) != nil {
				next++
			}
			for _, row := range p.Data {
				if !yield(row, nil) {
					return
				}
			}
			current := max(p.Paging.CurrentPage, page)
			if current >= last || n >= maxPages {
				return
			}
			page = current + 1
			if p, err = w.take(page); err != nil {
				yield(zero, err)
				return
			}
			next = max(next, page+1)
		}
	}
}

// pageWalk is one ranging over all: the pages requested, in page order,
// consecutive page numbers.
type pageWalk[T any] struct {
	g     *flight.Group[*Page[T]]
	fetch func(context.Context, int) (*Page[T], error)
}

// get is the operation that fetches page, whose key is page.
func (w *pageWalk[T]) get(page int) func(context.Context) (*Page[T], error) {
	return func(ctx context.Context) (*Page[T], error) {
		p, err := w.fetch(ctx, page)
		if err == nil && p == nil {
			err = fmt.Errorf("tiki: page %d: no page decoded", page)
		}
		return p, err
	}
}

// take waits for page and returns it, requesting it when it is not in
// flight. Requests of earlier pages (skipped when a server's current_page
// jumps ahead) are waited for and dropped.
func (w *pageWalk[T]) take(page int) (*Page[T], error) {
	for {
		op := w.g.Next()
		if op == nil {
			// Nothing requested at or after page (they are consecutive):
			// every slot is free.
			w.g.TryGo(page, w.get(page))
			continue
		}
		if op.Key() >= page {
			return op.Result()
		}
	}
}
