package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/tikisdk/tiki"
)

// The engine's calls to Tiki, through the client, all in this file.

// pageSize is the page size of the engine's product walks (Tiki's
// largest).
const pageSize = 100

// walkProducts iterates over the seller's products with their stock per
// warehouse, at the client's rate limit: as many pages requested ahead as
// the SDK allows, so that the rate limit, not the round trip or the time
// the engine takes over a page, bounds the walk (64 pages in flight carry
// 200 requests a second up to a round trip of 320 ms).
func (e *Engine) walkProducts(ctx context.Context) iter.Seq2[tiki.Product, error] {
	return e.client.Products.All(ctx, &tiki.ProductsOptions{
		Include:     []tiki.ProductInclude{tiki.IncludeInventory},
		ListOptions: tiki.ListOptions{Limit: pageSize},
	}, tiki.WithPagesAhead(tiki.MaxPagesAhead))
}

// pages is how many pages a walk of n products read.
func pages(n int) int { return max(1, (n+pageSize-1)/pageSize) }

// actualOf converts a product as Tiki lists it.
func actualOf(p *tiki.Product) actual {
	a := actual{productID: p.ProductID, sku: p.OriginalSKU}
	a.values.Price = p.Price
	if p.Active != nil {
		on := *p.Active == tiki.ProductActive
		a.values.Active = &on
	}
	if inv := p.Inventory; inv != nil {
		a.values.InventoryType = inv.InventoryType
		a.values.Stock = make([]Stock, 0, len(inv.WarehouseStocks))
		for _, ws := range inv.WarehouseStocks {
			a.values.setStock(Stock{Warehouse: ws.WarehouseID, Available: ws.QuantityAvailable, Reserved: ws.QuantityReserved})
		}
	}
	return a
}

// readProduct reads one product with its stock per warehouse: by id, or
// found by its SKU first. It returns nil when Tiki has no such product, and
// the number of calls made.
func (e *Engine) readProduct(ctx context.Context, sku string, id int64) (*actual, int, error) {
	calls := 0
	if id == 0 {
		calls++
		page, _, err := e.client.Products.FindByOriginalSKU(ctx, sku)
		if err != nil {
			return nil, calls, err
		}
		i := slices.IndexFunc(page.Data, func(p tiki.Product) bool { return p.OriginalSKU == sku })
		if i < 0 {
			return nil, calls, nil
		}
		id = page.Data[i].ProductID
	}
	calls++
	p, _, err := e.client.Products.Get(ctx, id)
	if errors.Is(err, tiki.ErrNotFound) {
		return nil, calls, nil
	}
	if err != nil {
		return nil, calls, err
	}
	a := actualOf(p)
	return &a, calls, nil
}

// send makes one batch call carrying the writes, in order, and returns
// each one's result. err is set only when the call could not be made (a
// problem of the items the engine made); the results say the rest.
func (e *Engine) send(ctx context.Context, writes []*write) (tiki.BatchResults, error) {
	items := make([]tiki.BatchUpdateItem, len(writes))
	for i, w := range writes {
		it := tiki.BatchUpdateItem{ProductID: w.productID, Price: w.price}
		switch w.active {
		case on:
			it.Status = tiki.ProductStatusEnabled
		case off:
			it.Status = tiki.ProductStatusDisabled
		}
		for _, s := range w.stock {
			it.WarehouseQuantities = append(it.WarehouseQuantities, tiki.WarehouseQuantity{WarehouseID: s.Warehouse, QtyAvailable: s.Available})
		}
		items[i] = it
	}
	results, _, err := e.client.Products.UpdateBatch(ctx, items, tiki.WithBatchConcurrency(1))
	if results == nil && err != nil {
		return nil, fmt.Errorf("reconcile: the engine made an update Tiki's rules refuse: %w", err)
	}
	return results, nil
}

// outcome describes the result of one item's write: whether Tiki applied
// it, and otherwise why not and whether it may have been applied all the
// same.
func outcome(r tiki.BatchResult) (applied bool, why string, unknown bool) {
	switch {
	case r.Success:
		return true, "", false
	case r.Err == nil:
		why = "refused by Tiki"
		if r.Code != "" {
			why += " (" + r.Code + ")"
		}
		for _, m := range r.Messages {
			why += ": " + m
		}
		return false, why, false
	case errors.Is(r.Err, tiki.ErrBatchNotSent):
		return false, r.Err.Error(), false
	}
	var re *tiki.RequestError
	if errors.As(r.Err, &re) && !re.Sent {
		return false, r.Err.Error(), false
	}
	var ae *tiki.APIError
	if errors.As(r.Err, &ae) && ae.StatusCode < 500 {
		return false, r.Err.Error(), false
	}
	return false, r.Err.Error() + " (Tiki may have applied it)", true
}

// refusedCall reports whether err is Tiki's refusal of the whole call
// (a 4xx other than 408, 409 and 429): sending the same values again would
// be refused again, so a Set that failed so is not kept for a retry.
func refusedCall(err error) bool {
	var ae *tiki.APIError
	if !errors.As(err, &ae) || ae.StatusCode < 400 || ae.StatusCode >= 500 {
		return false
	}
	switch ae.StatusCode {
	case 408, 409, 429:
		return false
	}
	return true
}

// SellerWarehouses returns the ids of the seller's active pickup
// warehouses, read from Tiki: the Options.Warehouses of a seller whose
// books name every warehouse it stocks Tiki from.
//
// GET /v2/sellers/me/warehouses?status=1&type=1
func SellerWarehouses(ctx context.Context, client *tiki.Client) ([]int64, error) {
	if ctx == nil {
		return nil, nilContext()
	}
	if client == nil {
		return nil, invalid("client", "must not be nil")
	}
	active, pickup := true, tiki.WarehouseTypePickup
	var ids []int64
	for w, err := range client.Sellers.AllWarehouses(ctx, &tiki.SellerWarehouseListOptions{Active: &active, Type: &pickup}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, w.ID)
	}
	return ids, nil
}
