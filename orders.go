package tiki

// OrdersService pulls the seller's orders from Tiki's current order API
// (v2) and walks them through confirmation, labels and delivery, with the
// endpoint each operation model requires.
type OrdersService service
