package tikitest

// state is the fake's model of a seller's data; every field is guarded by
// Server.mu.
type state struct {
	orders   orderState
	ordersV2 orderV2State
	products productState
	// lostOrders chooses the order notifications the fake loses.
	lostOrders lostOrderState
	// stock holds the stock the tests set behind the client's back and
	// the units orders reserve.
	stock stockState
	// lists caches the rendered product list between changes.
	lists listCache
}

func (s *Server) initState() {
	s.initOrders()
	s.initOrdersV2()
	s.initProducts()
	s.initStock()
}
