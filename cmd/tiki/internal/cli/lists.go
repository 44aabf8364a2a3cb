package cli

import (
	"context"
	"fmt"
	"iter"

	"github.com/tikisdk/tiki"
)

// pageSource is a list of Tiki, read one page (page) or every page (all).
type pageSource[T any] struct {
	noun string // plural: "orders"
	page func() (*tiki.Page[T], error)
	all  func() iter.Seq2[T, error]
}

// print prints one page, saying on stderr when more follow, or streams
// every page with progress on a terminal. A page that fails ends the
// stream (still valid JSON or CSV) and its error is returned.
func (src pageSource[T]) print(a *app, cols []column[T], walk bool) error {
	if !walk {
		page, err := src.page()
		if err != nil {
			return err
		}
		if err := writeList(a, cols, src.noun, page.Data); err != nil {
			return err
		}
		if page.Paging.HasNext() {
			fmt.Fprintf(a.env.Stderr, "Page %d of %d (%d %s): --page %d for the next, --all for every page.\n",
				page.Paging.CurrentPage, page.Paging.LastPage, page.Paging.Total, src.noun, page.Paging.CurrentPage+1)
		}
		return nil
	}
	l := newList(a, cols, src.noun)
	p := a.newProgress(src.noun)
	defer p.done()
	var walkErr error
	for row, err := range src.all() {
		if err != nil {
			walkErr = err
			break
		}
		if err := l.add(&row); err != nil {
			return err
		}
		p.set(l.n, 0)
	}
	p.done()
	if err := l.close(); err != nil {
		return err
	}
	return walkErr
}

// listed is a list as a tool returns it: one page, or every page up to a
// bound, with what was left out.
type listed[T any] struct {
	rows                  []T
	page, lastPage, total int
	note                  string
}

// collect reads one page, or every page up to max rows (maxRows), for a
// tool.
func (src pageSource[T]) collect(walk bool, max int) (listed[T], error) {
	if !walk {
		page, err := src.page()
		if err != nil {
			return listed[T]{}, err
		}
		out := listed[T]{rows: page.Data, page: page.Paging.CurrentPage, lastPage: page.Paging.LastPage, total: page.Paging.Total}
		if out.rows == nil {
			out.rows = []T{}
		}
		if page.Paging.HasNext() {
			out.note = fmt.Sprintf("page %d of %d: call again with page %d, or with all", out.page, out.lastPage, out.page+1)
		}
		return out, nil
	}
	out := listed[T]{rows: []T{}, page: 1, lastPage: 1}
	for row, err := range src.all() {
		if err != nil {
			return listed[T]{}, err
		}
		if len(out.rows) == maxRows(max) {
			out.note = fmt.Sprintf("stopped at %d %s: narrow the filters, or raise max (at most 1000)", len(out.rows), src.noun)
			break
		}
		out.rows = append(out.rows, row)
	}
	out.total = len(out.rows)
	return out, nil
}

// maxRows bounds what a list tool returns.
func maxRows(n int) int {
	switch {
	case n <= 0:
		return 200
	case n > 1000:
		return 1000
	}
	return n
}

// orderSource is the order list of a client for opts.
func orderSource(ctx context.Context, client *tiki.Client, opts *tiki.OrderListOptions) pageSource[tiki.Order] {
	return pageSource[tiki.Order]{noun: "orders",
		page: func() (*tiki.Page[tiki.Order], error) { p, _, err := client.Orders.List(ctx, opts); return p, err },
		all:  func() iter.Seq2[tiki.Order, error] { return client.Orders.All(ctx, opts) },
	}
}

// productSource is the product list of a client for opts.
func productSource(ctx context.Context, client *tiki.Client, opts *tiki.ProductsOptions) pageSource[tiki.Product] {
	return pageSource[tiki.Product]{noun: "products",
		page: func() (*tiki.Page[tiki.Product], error) { p, _, err := client.Products.List(ctx, opts); return p, err },
		all:  func() iter.Seq2[tiki.Product, error] { return client.Products.All(ctx, opts) },
	}
}
