package reconcile

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tikisdk/tiki"
)

// Item is one product as the seller's books have it: what its stock, price
// and status on Tiki should be. A field left at its zero value is not
// managed: the engine neither reads it as a wish nor changes it on Tiki.
type Item struct {
	// SKU is the seller's own code of the product (Tiki's original_sku).
	// SKU or ProductID names the product; when both are given, ProductID
	// decides which product it is. Name each product one way throughout
	// (by SKU when it has one): the engine keeps an item's versions and
	// its one-writer guard under its Key, which is the SKU when given, so
	// a product named by SKU in one place and by id alone in another is
	// two items whose values are not ordered against each other.
	SKU string
	// ProductID is Tiki's id of the product.
	ProductID int64
	// Quantities are the units the books hold, per seller warehouse
	// (seller_inventory_id), each one of Options.Warehouses. A seller
	// warehouse left out holds none of the item. Nil leaves the stock
	// alone. What the engine sets on Tiki from them depends on
	// Options.Buffer, Options.Floor and Options.Reserved.
	Quantities map[int64]int
	// Reserved are, with Options.Reserved set to ReservedTakenOff, the
	// units the books have already taken off Quantities for Tiki orders
	// that Tiki still holds (its quantity_reserved), per seller warehouse.
	// With ReservedInQuantity (the default) it must be nil.
	Reserved map[int64]int
	// Price is the selling price; 0 leaves the price alone.
	Price tiki.Money
	// AllowPriceChange lets this item's price move further from Tiki's
	// than Options.MaxPriceChange allows.
	AllowPriceChange bool
	// Active switches the product on (true) or off (false) for sale; nil
	// leaves it alone.
	Active *bool
	// Version orders the values of one item, for example the books' own
	// sequence number or the Unix time of the change: a value with a lower
	// version than one the engine already wrote or holds for the item is
	// stale and never written. 0 lets the engine stamp the value with the
	// time it received it (nanoseconds of its clock). Give versions to
	// every value of an item or to none, and give them when several
	// replicas write the same items.
	Version int64
}

// Key returns the item's key in the engine's State: its SKU, or "#" and
// its product id when it has no SKU. A SKU that starts with "#" is
// prefixed with one more, so that no SKU takes a product id's key.
func (it Item) Key() string { return itemKey(it.SKU, it.ProductID) }

func itemKey(sku string, productID int64) string {
	switch {
	case strings.HasPrefix(sku, "#"):
		return "#" + sku
	case sku != "":
		return sku
	}
	return "#" + strconv.FormatInt(productID, 10)
}

// MaxQuantity is the largest quantity an Item may hold in one warehouse.
const MaxQuantity = 1<<31 - 1

// maxSKULength bounds a SKU, in bytes.
const maxSKULength = 255

// Whether a field is managed and, for the active flag, its value.
const (
	unmanaged int8 = -1
	off       int8 = 0
	on        int8 = 1
)

// desired is an Item checked and in the engine's form.
type desired struct {
	index      int // position in the books, or -1
	key, sku   string
	productID  int64
	price      tiki.Money // 0: not managed
	allowPrice bool
	active     int8
	stock      []want // nil: not managed; by warehouse id
	version    int64
	found      bool // a plan found its product on Tiki
}

// want is the books' stock of an item in one warehouse.
type want struct {
	wh   int64
	qty  int
	held int // units the books took off for orders Tiki holds
}

// qty returns the books' stock in warehouse wh (0 when the books list
// none there).
func (d *desired) want(wh int64) want {
	i, ok := slices.BinarySearchFunc(d.stock, wh, func(w want, id int64) int { return cmpInt64(w.wh, id) })
	if !ok {
		return want{wh: wh}
	}
	return d.stock[i]
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// desire checks it against the engine's options, recording every problem in
// p with field paths under prefix, and returns it in the engine's form (nil
// when it has a problem).
func (e *Engine) desire(it Item, prefix string, p *problems) *desired {
	n := p.count()
	e.checkSKU(p, prefix+"SKU", it.SKU)
	switch {
	case it.ProductID < 0:
		p.add(prefix+"ProductID", "must be a positive id, not %d", it.ProductID)
	case it.ProductID == 0 && it.SKU == "":
		p.add(prefix+"SKU", "SKU or ProductID is required")
	}
	if it.Price < 0 {
		p.add(prefix+"Price", "must not be negative, not %d", it.Price)
	}
	if it.Version < 0 {
		p.add(prefix+"Version", "must not be negative, not %d", it.Version)
	}
	stock := e.checkQuantities(p, prefix+"Quantities", it.Quantities)
	if it.Reserved != nil {
		if e.opts.Reserved != ReservedTakenOff {
			p.add(prefix+"Reserved", "is only read with Options.Reserved set to ReservedTakenOff")
		} else if it.Quantities == nil {
			p.add(prefix+"Reserved", "needs Quantities")
		}
		for _, h := range e.checkQuantities(p, prefix+"Reserved", it.Reserved) {
			if stock != nil {
				stock = withHeld(stock, h)
			}
		}
	}
	if p.count() > n {
		return nil
	}
	d := &desired{
		index: -1, key: it.Key(), sku: it.SKU, productID: it.ProductID,
		price: it.Price, allowPrice: it.AllowPriceChange, active: unmanaged,
		stock: stock, version: it.Version,
	}
	if it.Active != nil {
		d.active = off
		if *it.Active {
			d.active = on
		}
	}
	return d
}

// withHeld records h's units as held in stock's entry for its warehouse,
// adding one with no quantity when the books list none there.
func withHeld(stock []want, h want) []want {
	i, ok := slices.BinarySearchFunc(stock, h.wh, func(w want, id int64) int { return cmpInt64(w.wh, id) })
	if !ok {
		return slices.Insert(stock, i, want{wh: h.wh, held: h.qty})
	}
	stock[i].held = h.qty
	return stock
}

// checkQuantities checks units per warehouse: each warehouse one of the
// seller's, each quantity from 0 to MaxQuantity. It returns them sorted by
// warehouse (nil for nil).
func (e *Engine) checkQuantities(p *problems, field string, m map[int64]int) []want {
	if m == nil {
		return nil
	}
	out := make([]want, 0, len(m))
	for wh, q := range m {
		f := field + "[" + strconv.FormatInt(wh, 10) + "]"
		if !e.warehouses[wh] {
			p.add(f, "is not one of the seller's warehouses (Options.Warehouses: %s)", e.warehouseList())
		}
		if q < 0 || q > MaxQuantity {
			p.add(f, "must be from 0 to %d, not %d", MaxQuantity, q)
		}
		out = append(out, want{wh: wh, qty: q})
	}
	slices.SortFunc(out, func(a, b want) int { return cmpInt64(a.wh, b.wh) })
	return out
}

// warehouseList names the seller's warehouses for messages.
func (e *Engine) warehouseList() string {
	if len(e.opts.Warehouses) == 0 {
		return "none given"
	}
	ids := make([]string, len(e.opts.Warehouses))
	for i, id := range e.opts.Warehouses {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(ids, ", ")
}

// checkSKU checks a SKU: empty (the item is named by its product id), or
// text Tiki can hold as an original_sku in the seller's format.
func (e *Engine) checkSKU(p *problems, field, sku string) {
	switch {
	case sku == "":
	case !utf8.ValidString(sku):
		p.add(field, "must be valid UTF-8")
	case strings.TrimSpace(sku) != sku:
		p.add(field, "must not start or end with white space: %q", sku)
	case strings.ContainsFunc(sku, unicode.IsControl):
		p.add(field, "must not hold control characters: %q", sku)
	case len(sku) > maxSKULength:
		p.add(field, "must be at most %d bytes, not %d", maxSKULength, len(sku))
	case e.opts.SKUFormat != nil && !e.opts.SKUFormat.MatchString(sku):
		p.add(field, "%q does not match the seller's SKU format %s (Options.SKUFormat)", sku, e.opts.SKUFormat)
	}
}
