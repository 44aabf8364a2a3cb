package reconcile

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tikisdk/tiki"
)

// Plan is what a run would change on Tiki and why, and what it cannot
// reconcile: a dry run's answer (Engine.Plan), sent by Engine.Apply.
type Plan struct {
	// Items are the items with a change or a problem: the books' items in
	// the books' order, then the products found only on Tiki in the order
	// Tiki listed them. An item in step is counted in InStep, not listed.
	Items []ItemPlan
	// InStep counts the books' items whose product on Tiki already
	// matches them.
	InStep int
	// Books counts the books' items.
	Books int
	// Products counts the products read from Tiki.
	Products int
	// Reads counts the calls that read them.
	Reads int
	// Started is when the plan was started; Finished when it was made.
	Started, Finished time.Time

	engine *Engine
}

// ItemPlan is one item of a plan: its changes and its problems.
type ItemPlan struct {
	// SKU is the seller's SKU of the item (empty when the books and Tiki
	// name it only by id).
	SKU string
	// ProductID is Tiki's id of the product (0 when Tiki has none).
	ProductID int64
	// Version is the version of the books' value (Item.Version, or the
	// engine's stamp).
	Version int64
	// Changes are the fields Apply sets, each with its value before and
	// after.
	Changes []Change
	// Problems are the fields, or the whole item, that cannot be
	// reconciled: they are reported and left alone.
	Problems []Problem

	key   string
	order int    // books order, then Tiki's
	write *write // what Apply sends; nil for none
}

// write is what one item's update sets on Tiki.
type write struct {
	productID int64
	price     tiki.Money // 0: not set
	active    int8       // unmanaged: not set
	stock     []Stock    // every warehouse of the product; nil: not set
}

// Field names a field of a product that the engine reconciles.
type Field string

// Fields the engine reconciles.
const (
	// FieldQuantity is the quantity available in one seller warehouse.
	FieldQuantity Field = "quantity"
	// FieldPrice is the selling price, in VND.
	FieldPrice Field = "price"
	// FieldActive is whether the product is on sale (1) or not (0).
	FieldActive Field = "active"
)

// Change is one field that a plan sets on Tiki.
type Change struct {
	// Field is the field set.
	Field Field
	// Warehouse is the seller warehouse, for FieldQuantity.
	Warehouse int64
	// Before is Tiki's value when it was read (-1 when Tiki did not say);
	// After is the value set. Quantities are units, prices VND, the active
	// flag 1 or 0.
	Before, After int64
	// Drift reports that Before is not what the engine last pushed: the
	// field was changed on Tiki behind the engine's back (in Seller
	// Center, by another tool), not by the books.
	Drift bool
	// Why says how After follows from the books and the policies, for
	// example "books 12 − buffer 2 = 10".
	Why string
}

// Reason says why an item, or a field of it, cannot be reconciled.
type Reason string

// Reasons a plan reports.
const (
	// NotOnTiki: the books name a product that Tiki's product list does not
	// hold (Tiki does not list hidden products).
	NotOnTiki Reason = "not_on_tiki"
	// NotInBooks: a product on Tiki that the books do not name.
	NotInBooks Reason = "not_in_books"
	// UnknownWarehouse: Tiki stocks the product in a warehouse that is not
	// one of Options.Warehouses; its stock is left alone (an update lists
	// every warehouse of the product, and would empty that one).
	UnknownWarehouse Reason = "unknown_warehouse"
	// SellsWhenOutOfStock: Tiki shows a quantity of Options.UnboundedStock
	// or more, the mark of a product that Tiki lets sell when out of stock;
	// the books' quantity would not bound its sales, so its stock is
	// reported, never set or copied.
	SellsWhenOutOfStock Reason = "sells_when_out_of_stock"
	// PriceGuard: the price change is larger than Options.MaxPriceChange
	// and the item does not allow it; the price is left alone.
	PriceGuard Reason = "price_guard"
	// ManagedByTiki: the product is stocked in Tiki's own warehouses
	// (inventory type instock); the seller cannot set its stock.
	ManagedByTiki Reason = "managed_by_tiki"
	// Duplicate: the books name the product twice (one item by its SKU,
	// another by its product id).
	Duplicate Reason = "duplicate"
	// StockNotReported: Tiki's answer did not include the product's stock
	// (its inventory); the stock is left alone, since an update lists every
	// warehouse of the product and would empty those Tiki did not report.
	StockNotReported Reason = "stock_not_reported"
)

// Problem is a field, or a whole item, that cannot be reconciled.
type Problem struct {
	// Reason says why.
	Reason Reason
	// Field is the field concerned; empty for the whole item.
	Field Field
	// Warehouse is the warehouse concerned, for stock; 0 otherwise.
	Warehouse int64
	// Before is Tiki's value; After the books' (when they apply).
	Before, After int64
	// Detail says more, in words.
	Detail string
}

// actual is a product as read from Tiki.
type actual struct {
	productID int64
	sku       string
	values    Values
}

// compare works out the item plan of d against Tiki's product a, given
// the item's entry. It records in en's Pushed the fields it finds in step
// (and, when the whole item is, d's version), and returns the plan, or nil
// when the item is in step.
func (e *Engine) compare(d *desired, a *actual, en *Entry, at time.Time) *ItemPlan {
	touched := false
	ip := &ItemPlan{SKU: a.sku, ProductID: a.productID, Version: d.version, key: d.key, order: d.index}
	if ip.SKU == "" {
		ip.SKU = d.sku
	}
	w := write{productID: a.productID, active: unmanaged}
	inStep := true
	if d.price != 0 {
		before := a.values.Price
		switch {
		case before == d.price:
			touched = touched || en.Pushed.Price != d.price
			en.Pushed.Price = d.price
		case e.priceGuarded(before, d.price) && !d.allowPrice:
			ip.Problems = append(ip.Problems, Problem{Reason: PriceGuard, Field: FieldPrice, Before: int64(before), After: int64(d.price),
				Detail: fmt.Sprintf("a change of %s, beyond MaxPriceChange %v%%", percentChange(before, d.price), e.opts.MaxPriceChange)})
			inStep = false
		default:
			ip.Changes = append(ip.Changes, Change{Field: FieldPrice, Before: int64(before), After: int64(d.price), Why: "books",
				Drift: en.Pushed.Price != 0 && before != en.Pushed.Price})
			w.price = d.price
		}
	}
	if d.active != unmanaged {
		want := d.active == on
		switch {
		case a.values.Active != nil && *a.values.Active == want:
			touched = touched || en.Pushed.Active == nil || *en.Pushed.Active != want
			en.Pushed.Active = &want
		default:
			before := int64(-1)
			if a.values.Active != nil {
				before = flag(*a.values.Active)
			}
			ip.Changes = append(ip.Changes, Change{Field: FieldActive, Before: before, After: flag(want), Why: "books",
				Drift: en.Pushed.Active != nil && a.values.Active != nil && *en.Pushed.Active != *a.values.Active})
			w.active = d.active
		}
	}
	if d.stock != nil {
		if a.values.Stock == nil {
			ip.Problems = append(ip.Problems, Problem{Reason: StockNotReported, Field: FieldQuantity, Before: -1,
				Detail: "Tiki's answer did not include the product's stock; it is left alone"})
			inStep = false
		} else if probs := e.stockProblems(&a.values); len(probs) > 0 {
			ip.Problems = append(ip.Problems, probs...)
			inStep = false
		} else {
			targets := e.targets(d, &a.values)
			for _, t := range targets {
				before, _ := a.values.stock(t.Warehouse)
				if before.Available == t.Available {
					continue
				}
				pushed, _ := en.Pushed.stock(t.Warehouse)
				ip.Changes = append(ip.Changes, Change{Field: FieldQuantity, Warehouse: t.Warehouse,
					Before: int64(before.Available), After: int64(t.Available), Why: e.explain(d.want(t.Warehouse), t.Available),
					Drift: en.Pushed.Stock != nil && pushed.Available != before.Available})
			}
			if slices.ContainsFunc(ip.Changes, func(c Change) bool { return c.Field == FieldQuantity }) {
				w.stock = targets
			} else if p := pushedStock(targets); !slices.Equal(en.Pushed.Stock, p) {
				en.Pushed.Stock, touched = p, true
			}
		}
	}
	if len(ip.Changes) > 0 {
		ip.write = &w
		inStep = false
	}
	if inStep && en.Version < d.version {
		en.Version, touched = d.version, true
	}
	if touched {
		en.PushedAt = at
	}
	if inStep {
		return nil
	}
	return ip
}

// pushedStock is the stock pushed as targets: quantities available, no
// reservations (Tiki keeps those).
func pushedStock(targets []Stock) []Stock {
	out := make([]Stock, len(targets))
	for i, t := range targets {
		out[i] = Stock{Warehouse: t.Warehouse, Available: t.Available}
	}
	return out
}

// flag is the active flag as a number.
func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// priceGuarded reports whether a change from before to after is larger
// than MaxPriceChange allows.
func (e *Engine) priceGuarded(before, after tiki.Money) bool {
	if e.opts.MaxPriceChange == 0 || before <= 0 {
		return false
	}
	return math.Abs(float64(after-before))*100 > float64(e.opts.MaxPriceChange)*float64(before)
}

// percentChange describes the change from before to after in percent.
func percentChange(before, after tiki.Money) string {
	return strconv.FormatFloat(float64(after-before)*100/float64(before), 'f', 1, 64) + "%"
}

// stockProblems returns why the stock of a product cannot be set: Tiki
// stocks it itself, in a warehouse not the seller's, or sells it when out
// of stock.
func (e *Engine) stockProblems(v *Values) []Problem {
	if v.InventoryType == tiki.InventoryInstock {
		return []Problem{{Reason: ManagedByTiki, Field: FieldQuantity, Detail: "stocked in Tiki's warehouses (inventory type instock)"}}
	}
	var out []Problem
	for _, s := range v.Stock {
		if !e.warehouses[s.Warehouse] {
			out = append(out, Problem{Reason: UnknownWarehouse, Field: FieldQuantity, Warehouse: s.Warehouse, Before: int64(s.Available),
				Detail: fmt.Sprintf("warehouse %d is not one of Options.Warehouses", s.Warehouse)})
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, s := range v.Stock {
		if s.Available >= e.opts.UnboundedStock {
			out = append(out, Problem{Reason: SellsWhenOutOfStock, Field: FieldQuantity, Warehouse: s.Warehouse, Before: int64(s.Available),
				Detail: fmt.Sprintf("Tiki shows %d, at least Options.UnboundedStock (%d): the product sells when out of stock", s.Available, e.opts.UnboundedStock)})
		}
	}
	return out
}

// targets returns the quantity available to set in every warehouse of the
// product on Tiki or in the books (a warehouse Tiki does not list is left
// out when it would get 0), by warehouse id, with Tiki's reserved units.
func (e *Engine) targets(d *desired, seen *Values) []Stock {
	out := make([]Stock, 0, max(len(d.stock), len(seen.Stock)))
	i, j := 0, 0
	for i < len(d.stock) || j < len(seen.Stock) {
		var wh int64
		onTiki := false
		switch {
		case j == len(seen.Stock) || i < len(d.stock) && d.stock[i].wh < seen.Stock[j].Warehouse:
			wh = d.stock[i].wh
			i++
		case i == len(d.stock) || seen.Stock[j].Warehouse < d.stock[i].wh:
			wh, onTiki = seen.Stock[j].Warehouse, true
			j++
		default:
			wh, onTiki = d.stock[i].wh, true
			i++
			j++
		}
		q := e.target(d.want(wh))
		if q == 0 && !onTiki {
			continue
		}
		s, _ := seen.stock(wh)
		out = append(out, Stock{Warehouse: wh, Available: q, Reserved: s.Reserved})
	}
	return out
}

// target is the quantity available to set on Tiki for the books' stock w:
// the quantity less the buffer, 0 under the floor, plus the units the
// books took off for orders Tiki holds (ReservedTakenOff).
func (e *Engine) target(w want) int {
	q := w.qty - e.held(w.qty)
	if q < 0 || q < e.opts.Floor {
		q = 0
	}
	if e.opts.Reserved == ReservedTakenOff {
		q += w.held
	}
	return min(q, MaxQuantity)
}

// held is the buffer held back from a quantity q (none from nothing).
func (e *Engine) held(q int) int {
	if q <= 0 {
		return 0
	}
	h := e.opts.Buffer.Units
	if e.opts.Buffer.Percent > 0 {
		// Rounded up, with room for the float's error on exact products.
		h = max(h, int(math.Ceil(float64(q)*float64(e.opts.Buffer.Percent)/100-1e-9)))
	}
	return h
}

// explain says how target follows from the books' stock w.
func (e *Engine) explain(w want, target int) string {
	s := "books " + strconv.Itoa(w.qty)
	if h := e.held(w.qty); h > 0 {
		s += " − buffer " + strconv.Itoa(h)
	}
	q := w.qty - e.held(w.qty)
	floored := q > 0 && q < e.opts.Floor
	if floored {
		s += " < floor " + strconv.Itoa(e.opts.Floor) + " → 0"
	}
	reserved := e.opts.Reserved == ReservedTakenOff && w.held > 0
	if reserved {
		s += " + reserved " + strconv.Itoa(w.held)
	}
	switch {
	case s == "books "+strconv.Itoa(target):
		return "books"
	case floored && !reserved:
		return s
	}
	return s + " = " + strconv.Itoa(target)
}
