package tikitest

import "strconv"

// Mock orders reference the seller's products: the helpers below pick, for
// an order item, the product the fake holds for it.

// orderProduct returns the product an order item refers to: the product
// whose original SKU is code, or, for an item without one, the i-th of the
// seller's products (cycling), or nil when there is none. s.mu must be
// held.
func (s *Server) orderProduct(i int, code string) *fakeProduct {
	st := &s.state.products
	if code != "" {
		return st.bySKU[code]
	}
	var held []*fakeProduct
	for _, p := range st.products {
		if st.byID[p.id] == p {
			held = append(held, p)
		}
	}
	if len(held) == 0 {
		return nil
	}
	return held[i%len(held)]
}

// productIDs returns the product id and Tiki SKU of the product whose
// original SKU is code, and whether the fake holds one. s.mu must be held.
func (s *Server) productIDs(code string) ([2]int64, bool) {
	p := s.state.products.bySKU[code]
	if p == nil {
		return [2]int64{}, false
	}
	sku, err := strconv.ParseInt(p.sku, 10, 64)
	if err != nil {
		return [2]int64{}, false
	}
	return [2]int64{p.id, sku}, true
}

// itemsFromProductsV2 fills the items of a v2 mock order from the seller's
// products (see OrderSpec.Items). s.mu must be held.
func (s *Server) itemsFromProductsV2(items []v2MockItem) {
	for i := range items {
		it := &items[i]
		p := s.orderProduct(i, it.SellerProductCode)
		if p == nil {
			continue
		}
		it.SellerProductCode = p.originalSKU
		if it.Name == "" {
			it.Name = p.name
		}
		if it.Price == 0 {
			it.Price = p.price
		}
	}
}
