package cli

import (
	"context"
	"fmt"
	"iter"

	"github.com/spf13/cobra"

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

// walkArgs refuses --page with --all.
func walkArgs(cmd *cobra.Command, all bool, page int) error {
	if all && page > 0 {
		return usagef(cmd, "--all walks every page: leave out --page")
	}
	return nil
}

// pageArgs are the page arguments of a list tool.
type pageArgs struct {
	Page  int `json:"page,omitempty" jsonschema:"the page to read, from 1"`
	Limit int `json:"limit,omitempty" jsonschema:"rows per page, 1 to 100 (Tiki's default: 20)"`
}

// options checks the page arguments.
func (p pageArgs) options() (tiki.ListOptions, error) { return listOptions(p.Page, p.Limit, false) }

// pageInfo is where a list a tool returns stands in the whole list, and
// what it leaves out.
type pageInfo struct {
	Page     int    `json:"page" jsonschema:"the page read (1 when every page was walked)"`
	LastPage int    `json:"last_page" jsonschema:"the last page of the list"`
	Total    int    `json:"total" jsonschema:"rows in the whole list"`
	Note     string `json:"note,omitempty" jsonschema:"what the list leaves out, and how to get it"`
}

// collect reads one page, or every page up to max rows (maxRows), for a
// tool.
func (src pageSource[T]) collect(walk bool, max int) ([]T, pageInfo, error) {
	if !walk {
		page, err := src.page()
		if err != nil {
			return nil, pageInfo{}, err
		}
		rows := page.Data
		if rows == nil {
			rows = []T{}
		}
		info := pageInfo{Page: page.Paging.CurrentPage, LastPage: page.Paging.LastPage, Total: page.Paging.Total}
		if page.Paging.HasNext() {
			info.Note = fmt.Sprintf("page %d of %d: call again with page %d, or with all", info.Page, info.LastPage, info.Page+1)
		}
		return rows, info, nil
	}
	rows, info := []T{}, pageInfo{Page: 1, LastPage: 1}
	for row, err := range src.all() {
		if err != nil {
			return nil, pageInfo{}, err
		}
		if len(rows) == maxRows(max) {
			info.Note = fmt.Sprintf("stopped at %d %s: narrow the filters, or raise max (at most 1000)", len(rows), src.noun)
			break
		}
		rows = append(rows, row)
	}
	info.Total = len(rows)
	return rows, info, nil
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

// attributeValueSource is the value list of a select attribute.
func attributeValueSource(ctx context.Context, client *tiki.Client, id int64, opts *tiki.AttributeValuesOptions) pageSource[tiki.AttributeValue] {
	return pageSource[tiki.AttributeValue]{noun: "values",
		page: func() (*tiki.Page[tiki.AttributeValue], error) {
			p, _, err := client.Catalog.ListAttributeValues(ctx, id, opts)
			return p, err
		},
		all: func() iter.Seq2[tiki.AttributeValue, error] { return client.Catalog.AllAttributeValues(ctx, id, opts) },
	}
}

// brandSource is the brand list of a search.
func brandSource(ctx context.Context, client *tiki.Client, opts *tiki.BrandsOptions) pageSource[tiki.Brand] {
	return pageSource[tiki.Brand]{noun: "brands",
		page: func() (*tiki.Page[tiki.Brand], error) {
			p, _, err := client.Catalog.ListBrands(ctx, opts)
			return p, err
		},
		all: func() iter.Seq2[tiki.Brand, error] { return client.Catalog.AllBrands(ctx, opts) },
	}
}
