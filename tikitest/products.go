package tikitest

// productState is the fake's model of the seller's product requests and
// products.
type productState struct{}

func (s *Server) initProducts() {}

// productRoutes registers the product request, tracking and product
// endpoints.
func (s *Server) productRoutes(api apiFunc) {}
