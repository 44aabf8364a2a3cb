package tiki

// ProductRequestsService creates product requests (the way a product is
// listed on Tiki) and reads, updates and deletes them.
type ProductRequestsService service

// ProductsService reads the seller's approved products and updates their
// price, stock and status.
type ProductsService service

// InventoryType is how a product is stocked, packed and delivered.
type InventoryType string

// Inventory types documented by Tiki.
const (
	// InventoryCrossBorder: global sellers; products shipped from abroad.
	InventoryCrossBorder InventoryType = "cross_border"
	// InventoryInstock: in Tiki's warehouse, packed and delivered by Tiki.
	InventoryInstock InventoryType = "instock"
	// InventoryBackorder: in the seller's storage, packed and delivered by Tiki.
	InventoryBackorder InventoryType = "backorder"
	// InventorySellerBackorder: in the seller's storage, packed and
	// delivered by the seller.
	InventorySellerBackorder InventoryType = "seller_backorder"
	// InventoryDropShip: in the seller's storage, packed by the seller,
	// delivered by Tiki.
	InventoryDropShip InventoryType = "drop_ship"
)
