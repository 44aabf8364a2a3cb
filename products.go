package tiki

// ProductRequestsService creates product requests (the way a product is
// listed on Tiki) and reads, updates and deletes them.
type ProductRequestsService service

// ProductsService reads the seller's approved products and updates their
// price, stock and status.
type ProductsService service
