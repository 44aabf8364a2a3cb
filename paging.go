package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
)

// Paging is the paging block of Tiki's list responses. A page may hold fewer
// rows than requested before the last one: LastPage, not the row count,
// tells where the list ends.
type Paging struct {
	Total       int `json:"total"`
	PerPage     int `json:"per_page"`
	CurrentPage int `json:"current_page"`
	LastPage    int `json:"last_page"`
	From        int `json:"from"`
	To          int `json:"to"`
}

// HasNext reports whether pages follow this one.
func (p Paging) HasNext() bool { return p.CurrentPage < p.LastPage }

// Page is one page of a list: its rows and the paging block.
type Page[T any] struct {
	// Data holds the page's rows, sent as "data" or (as the order list's
	// field table names it) "results".
	Data   []T    `json:"data"`
	Paging Paging `json:"paging"`
}

// UnmarshalJSON decodes the rows from "data" or, when the page has no
// "data" (or null), from "results".
func (p *Page[T]) UnmarshalJSON(b []byte) error { return p.decodeBody(b) }

// decodeBody is UnmarshalJSON for the client, which calls it directly so
// that a page is parsed once (see bodyDecoder).
func (p *Page[T]) decodeBody(b []byte) error {
	var w struct {
		Data    []T    `json:"data"`
		Results []T    `json:"results"`
		Paging  Paging `json:"paging"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = Page[T]{Data: w.Data, Paging: w.Paging}
	if p.Data == nil {
		p.Data = w.Results
	}
	return nil
}

// maxLimit is the largest page size ListOptions accepts: Tiki refuses
// larger ones on some endpoints.
const maxLimit = 100

// ListOptions selects a page. Zero values are left to Tiki's defaults
// (page 1, 20 rows); Tiki refuses limits above 100 on some endpoints.
type ListOptions struct {
	Page  int
	Limit int
}

func (o ListOptions) validate(v *validator) {
	v.check(o.Page >= 0, "page", "must not be negative")
	v.check(o.Limit >= 0, "limit", "must not be negative")
	v.check(o.Limit <= maxLimit, "limit", "must be at most %d", maxLimit)
}

func (o ListOptions) encode(q url.Values) {
	setInt(q, "page", o.Page)
	setInt(q, "limit", o.Limit)
}

// list decodes a list answered either as a bare JSON array or as
// {"data": [...]}, as Tiki's API versions differ.
type list[T any] []T

// UnmarshalJSON decodes either shape.
func (l *list[T]) UnmarshalJSON(b []byte) error { return l.decodeBody(b) }

// decodeBody decodes either shape with one pass over the body; the client
// calls it directly (see bodyDecoder), so a list is parsed once, not twice.
func (l *list[T]) decodeBody(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, (*[]T)(l))
	}
	var wrapped struct {
		Data []T `json:"data"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return err
	}
	*l = wrapped.Data
	return nil
}

// pageOptions gives the paging helpers access to the ListOptions embedded
// in a list's options struct.
func (o *ListOptions) pageOptions() *ListOptions { return o }

// callList sends r and decodes a list answered either as a bare JSON array
// or as {"data": [...]}: the shared body of endpoints that answer a list.
func callList[T any](ctx context.Context, c *Client, r *request) ([]T, *Response, error) {
	l, resp, err := call[list[T]](ctx, c, r)
	if err != nil {
		return nil, resp, err
	}
	return *l, resp, nil
}

// walk is the iterator of a paginated list endpoint: it calls list with a
// copy of opts (the zero options when opts is nil) whose page is set to
// each page in turn, from opts.Page (default 1) to the last one. The
// caller's options are never changed, and each page gets its own copy, so
// the iterator may be ranged over more than once.
func walk[T, O any, P interface {
	*O
	pageOptions() *ListOptions
}](ctx context.Context, opts P, list func(context.Context, P) (*Page[T], *Response, error)) iter.Seq2[T, error] {
	var base O
	if opts != nil {
		base = *opts
	}
	return all(ctx, P(&base).pageOptions().Page, func(ctx context.Context, page int) (*Page[T], error) {
		o := base
		P(&o).pageOptions().Page = page
		p, _, err := list(ctx, &o)
		return p, err
	})
}

// maxPages stops an iterator whose server keeps moving last_page ahead.
const maxPages = 100000

// all walks a paginated list from page first (1 when zero) to its last page,
// yielding each row. It stops when the caller stops ranging, and yields one
// error and stops when a page fails. fetch must not keep or change caller
// state: it gets the page number and returns that page.
func all[T any](ctx context.Context, first int, fetch func(ctx context.Context, page int) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		page := max(first, 1)
		for range maxPages {
			p, err := fetch(ctx, page)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, row := range p.Data {
				if !yield(row, nil) {
					return
				}
			}
			// Walk to last_page; a short page is not the end. The page
			// number only moves forward, whatever current_page says.
			current := max(p.Paging.CurrentPage, page)
			if current >= p.Paging.LastPage {
				return
			}
			page = current + 1
		}
	}
}

// Query helpers: each sets a parameter only when it has a value.

func setString(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

func setInt(q url.Values, key string, v int) {
	if v != 0 {
		q.Set(key, strconv.Itoa(v))
	}
}

func setInt64(q url.Values, key string, v int64) {
	if v != 0 {
		q.Set(key, strconv.FormatInt(v, 10))
	}
}

func setBool(q url.Values, key string, v *bool) {
	if v != nil {
		q.Set(key, strconv.FormatBool(*v))
	}
}

func setTime(q url.Values, key string, t Time) {
	if !t.IsZero() {
		q.Set(key, t.String())
	}
}
