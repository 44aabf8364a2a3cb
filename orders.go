package tiki

// OrdersService pulls the seller's orders and walks them through Tiki's
// fulfilment: confirm items, confirm delivery, update delivery status, print
// labels.
type OrdersService service

// SellersService reads the authenticated seller's account.
type SellersService service
