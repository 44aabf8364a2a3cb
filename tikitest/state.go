package tikitest

// state is the fake's model of a seller's data; every field is guarded by
// Server.mu.
type state struct {
	orders   orderState
	ordersV2 orderV2State
	products productState
	stock    stockState
	lists    listCache
}

func (s *Server) initState() {
	s.initOrders()
	s.initOrdersV2()
	s.initProducts()
	s.initStock()
}
