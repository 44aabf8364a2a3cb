package tikitest

// orderState is the fake's model of the seller's orders.
type orderState struct{}

func (s *Server) initOrders() {}

// orderRoutes registers the order endpoints.
func (s *Server) orderRoutes(api apiFunc) {}
