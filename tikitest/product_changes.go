package tikitest

import (
	"fmt"
	"slices"
	"time"

	"github.com/tikisdk/tiki"
)

// ChangeSource says who changed a product, in a ProductChange.
type ChangeSource string

// Who changed a product.
const (
	// ByAPI is an update the seller's client sent (updateSku, updateSkus).
	ByAPI ChangeSource = "api"
	// BySellerCenter is a change made behind the client's back
	// (Server.SetStock, Server.SetPrice).
	BySellerCenter ChangeSource = "seller_center"
	// ByOrder is a change of the units orders hold (quantity_reserved), or
	// of the units that left the warehouse with a shipped order.
	ByOrder ChangeSource = "order"
)

// MaxProductChanges is how many of a product's latest changes the fake
// keeps for ProductChanges; older ones are forgotten.
const MaxProductChanges = 1000

// ProductChange is one change of a product's price, status or stock, as
// the fake applied it.
type ProductChange struct {
	// Seq orders the changes of every product of the fake: a change with a
	// larger Seq was applied after one with a smaller.
	Seq int64
	// At is when the change was applied, on the fake's clock.
	At time.Time
	// By says who made the change.
	By ChangeSource
	// Price is the product's selling price after the change.
	Price tiki.Money
	// Active is whether the product is on sale after the change.
	Active bool
	// Stock is the product's stock per seller warehouse after the change,
	// in the product's order of warehouses.
	Stock []StockLevel
}

// productChanges is the fake's log of product changes; its fields are
// guarded by Server.mu.
type productChanges struct {
	seq int64
	log map[int64][]ProductChange // product id -> its latest changes, oldest first
}

// ProductChanges returns the latest changes (at most MaxProductChanges) of
// the product whose original SKU is originalSKU, oldest first: each update
// Tiki applied, whoever sent it, with the product's price, status and
// stock after it. A test checks with it what Tiki applied and in which
// order, which the client's own log cannot tell (a write whose answer was
// lost, two clients writing at once). An unknown SKU is an error wrapping
// tiki.ErrNotFound.
func (s *Server) ProductChanges(originalSKU string) ([]ProductChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.stockProduct(originalSKU)
	if err != nil {
		return nil, fmt.Errorf("tikitest: %w", err)
	}
	return slices.Clone(s.state.changes.log[p.id]), nil
}

// recordChange logs p's state after a change made by by. s.mu must be
// held.
func (s *Server) recordChange(p *fakeProduct, by ChangeSource) {
	c := &s.state.changes
	if c.log == nil {
		c.log = map[int64][]ProductChange{}
	}
	c.seq++
	ch := ProductChange{Seq: c.seq, At: s.cfg.now(), By: by, Price: tiki.Money(p.price), Active: p.active}
	for _, wh := range p.warehouses {
		ch.Stock = append(ch.Stock, s.stockLevel(p, wh))
	}
	log := append(c.log[p.id], ch)
	if len(log) > MaxProductChanges {
		log = slices.Delete(log, 0, len(log)-MaxProductChanges)
	}
	c.log[p.id] = log
}
