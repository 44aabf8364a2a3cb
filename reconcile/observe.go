package reconcile

import (
	"context"
	"time"

	"github.com/tikisdk/tiki"
)

// Observation is a change of a product on Tiki that Tiki reported (an
// event from the event queue, a webhook): Observe records it in the
// engine's picture of Tiki, so that the next Set of the item compares with
// it without reading Tiki.
type Observation struct {
	// SKU is the product's original SKU, when known.
	SKU string
	// ProductID is Tiki's id of the product, when known. SKU or ProductID
	// is required.
	ProductID int64
	// At is when the product was so on Tiki (the event's time); an
	// observation older than what the engine saw (by its millisecond) is
	// ignored. Zero means now.
	At time.Time
	// Price is the new selling price; 0 when the observation does not say.
	Price tiki.Money
	// Warehouse is the seller warehouse whose stock Available and Reserved
	// give; 0 when the observation does not say.
	Warehouse int64
	// Available is the new quantity_available of Warehouse.
	Available int
	// Reserved is the new quantity_reserved of Warehouse.
	Reserved int
	// Stale reports a change the observation does not give (an order was
	// placed, an event was lost): the engine forgets what it saw of the
	// product and reads it again before the next write.
	Stale bool
}

// Observe records o in the State's entries of its item (under its SKU
// and under its product id, as the books name it), when the engine has
// one: the engine records only products it has already seen. A product
// with neither SKU nor id is a *tiki.ValidationError.
func (e *Engine) Observe(ctx context.Context, o Observation) error {
	var p problems
	e.check(&p, ctx)
	p.check(o.SKU != "" || o.ProductID > 0, "Observation.ProductID", "SKU or a positive ProductID is required")
	p.check(o.ProductID >= 0, "Observation.ProductID", "must not be negative, not %d", o.ProductID)
	p.check(o.Warehouse >= 0, "Observation.Warehouse", "must not be negative, not %d", o.Warehouse)
	if err := p.err(); err != nil {
		return err
	}
	if o.At.IsZero() {
		o.At = e.now()
	}
	var keys []string
	if o.SKU != "" {
		keys = append(keys, itemKey(o.SKU, 0))
	}
	if o.ProductID > 0 {
		keys = append(keys, itemKey("", o.ProductID))
	}
	held, unlock, err := e.hold(ctx, keys)
	if err != nil {
		return err
	}
	defer unlock()
	entries, err := e.load(held, keys)
	if err != nil {
		return err
	}
	var saves []Entry
	for _, en := range entries {
		if o.ProductID != 0 && en.ProductID != 0 && en.ProductID != o.ProductID {
			continue // another product once had this SKU
		}
		// Tiki's event times have millisecond resolution: an observation
		// of the engine's millisecond is not older than its sight.
		if en.SeenAt.IsZero() || o.At.Before(en.SeenAt.Truncate(time.Millisecond)) {
			continue // nothing seen to update, or older than what was
		}
		switch {
		case o.Stale:
			en.SeenAt = time.Time{}
		default:
			if o.Price != 0 {
				en.Seen.Price = o.Price
			}
			if o.Warehouse != 0 && en.Seen.Stock != nil {
				en.Seen.setStock(Stock{Warehouse: o.Warehouse, Available: o.Available, Reserved: o.Reserved})
			}
			en.SeenAt = o.At
		}
		saves = append(saves, en)
	}
	return e.save(held, saves)
}

// ObservationOf turns an event of Tiki's event queue into an Observation:
// PRODUCT_PRICE_UPDATED gives the price, PRODUCT_INVENTORY_UPDATED the
// stock of one warehouse. It reports false for the other events (an
// order's event names no product: read the order, and Observe its products
// as Stale), a nil event and an event that names no product.
func ObservationOf(event any) (Observation, bool) {
	switch ev := event.(type) {
	case *tiki.PriceUpdatedEvent:
		if ev == nil {
			break
		}
		return Observation{SKU: ev.OriginalSKU, ProductID: ev.ProductID, At: ev.CreatedAt.Time, Price: ev.PriceTo}, ev.ProductID > 0
	case *tiki.InventoryUpdatedEvent:
		if ev == nil {
			break
		}
		return Observation{SKU: ev.OriginalSKU, ProductID: ev.ProductID, At: ev.CreatedAt.Time, Warehouse: ev.WarehouseID,
			Available: ev.QuantityAvailableTo, Reserved: ev.QuantityReservedTo}, ev.ProductID > 0 && ev.WarehouseID > 0
	}
	return Observation{}, false
}

// ObservePrice records a PRODUCT_PRICE_UPDATED event of the event queue
// (see Observe). Its signature is an event-queue handler's, so that a
// consumer keeps the engine's picture of Tiki fresh in one line:
//
//	consumer.OnPrice(eng.ObservePrice)
//	consumer.OnInventory(eng.ObserveInventory)
//
// An event that names no product is skipped (nil). An error (of the State
// or the Guard) fails the handler, and the consumer hands the event over
// again.
func (e *Engine) ObservePrice(ctx context.Context, ev *tiki.PriceUpdatedEvent) error {
	return e.observeEvent(ctx, ev)
}

// ObserveInventory records a PRODUCT_INVENTORY_UPDATED event of the event
// queue (see Observe and ObservePrice): consumer.OnInventory(eng.ObserveInventory).
// Tiki sends it for every change of a product's stock, an order's
// reservation included, so that the engine compares the next Set of the
// product with Tiki's stock without reading it. An event that names no
// product or warehouse is skipped (nil).
func (e *Engine) ObserveInventory(ctx context.Context, ev *tiki.InventoryUpdatedEvent) error {
	return e.observeEvent(ctx, ev)
}

// observeEvent observes a typed event of the event queue, when it names a
// product.
func (e *Engine) observeEvent(ctx context.Context, ev any) error {
	o, ok := ObservationOf(ev)
	if !ok {
		if err := e.ready(ctx); err != nil {
			return err
		}
		return nil
	}
	return e.Observe(ctx, o)
}
