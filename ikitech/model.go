package ikitech

import "encoding/json"

// Product is the data of NEW_PRODUCT and UPDATE_PRODUCT deliveries: a
// product of the IKITECH store, with its variants (distributes), attributes
// and images.
type Product struct {
	// ID is the product id.
	ID Int `json:"id"`
	// Name is the product name.
	Name string `json:"name"`
	// NameStrFilter is the product name as a slug, used for searching.
	NameStrFilter string `json:"name_str_filter"`
	// SKU is the product's SKU code.
	SKU string `json:"sku"`
	// Description is the product description.
	Description string `json:"description"`
	// VideoURL is the URL of the product video.
	VideoURL string `json:"video_url"`
	// Stars is the average review rating.
	Stars Float `json:"stars"`
	// CountStars is how many people rated the product.
	CountStars Int `json:"count_stars"`
	// View is the number of views.
	View Int `json:"view"`
	// Sold is the quantity sold.
	Sold Int `json:"sold"`
	// Likes is the number of likes.
	Likes Int `json:"likes"`
	// ContentForCollaborator is content meant for collaborators (affiliate
	// sellers).
	ContentForCollaborator string `json:"content_for_collaborator"`
	// Price is the retail price.
	Price Float `json:"price"`
	// MinPrice is the lowest price (among the variants).
	MinPrice Float `json:"min_price"`
	// MaxPrice is the highest price (among the variants).
	MaxPrice Float `json:"max_price"`
	// ImportPrice is the purchase (import) price.
	ImportPrice Float `json:"import_price"`
	// DefaultPrice is the default price.
	DefaultPrice Float `json:"default_price"`
	// Weight is the product weight.
	Weight Float `json:"weight"`
	// QuantityInStock is the quantity in stock.
	QuantityInStock Int `json:"quantity_in_stock"`
	// PercentCollaborator is the commission paid to collaborators.
	PercentCollaborator Float `json:"percent_collaborator"`
	// Barcode is the product barcode.
	Barcode string `json:"barcode"`
	// Status tells whether the product is shown or hidden.
	Status ProductStatus `json:"status"`
	// CheckInventory reports whether the product's stock is tracked.
	CheckInventory Bool `json:"check_inventory"`
	// SEOTitle is the SEO title.
	SEOTitle string `json:"seo_title"`
	// SEODescription is the SEO description.
	SEODescription string `json:"seo_description"`
	// PointForAgency is the points awarded to agencies (resellers).
	PointForAgency Int `json:"point_for_agency"`
	// IsMedicine reports whether the product is a medicine.
	IsMedicine Bool `json:"is_medicine"`
	// CreatedAt is when the product was added.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the product was last updated.
	UpdatedAt Time `json:"updated_at"`
	// Distributes are the product's classifications (variant dimensions,
	// such as colour), each with its values.
	Distributes []Distribute `json:"distributes"`
	// Attributes are the product's attributes.
	Attributes []Attribute `json:"attributes"`
	// Images are the product's images.
	Images []Image `json:"images"`
}

// Distribute is a main classification of a product (a variant dimension,
// such as colour) with its values.
type Distribute struct {
	// ID is the id of the main classification.
	ID Int `json:"id"`
	// ProductID is the id of the product.
	ProductID Int `json:"product_id"`
	// Name is the classification name.
	Name string `json:"name"`
	// SubElementDistributeName is the name of the secondary classification
	// (such as size); empty when there is none.
	SubElementDistributeName string `json:"sub_element_distribute_name"`
	// CreatedAt is when the classification was created.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the classification was last updated.
	UpdatedAt Time `json:"updated_at"`
	// ElementDistributes are the values of the classification (such as
	// red, blue), each a variant with its own price and stock.
	ElementDistributes []ElementDistribute `json:"element_distributes"`
}

// ElementDistribute is a value of a main classification: a product variant
// with its own price and stock. IKITECH documents its fields without
// comments; the descriptions follow the product's fields of the same names.
type ElementDistribute struct {
	// ID is the id of the value.
	ID Int `json:"id"`
	// ProductID is the id of the product.
	ProductID Int `json:"product_id"`
	// Name is the value's name (such as "Red").
	Name string `json:"name"`
	// ImageURL is the URL of the variant's image; empty when there is none.
	ImageURL string `json:"image_url"`
	// Price is the variant's retail price.
	Price Float `json:"price"`
	// Position is the value's position in the classification.
	Position Int `json:"position"`
	// DefaultPrice is the variant's default price.
	DefaultPrice Float `json:"default_price"`
	// ImportPrice is the variant's purchase (import) price.
	ImportPrice Float `json:"import_price"`
	// Barcode is the variant's barcode; empty when there is none.
	Barcode string `json:"barcode"`
	// SKU is the variant's SKU code; empty when there is none.
	SKU string `json:"sku"`
	// QuantityInStock is the variant's quantity in stock.
	QuantityInStock Int `json:"quantity_in_stock"`
	// CreatedAt is when the value was created.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the value was last updated.
	UpdatedAt Time `json:"updated_at"`
	// SubElementDistributes are the values of the secondary classification
	// for this value. IKITECH documents them only as an array, so each is
	// kept as the JSON object it sent.
	SubElementDistributes []json.RawMessage `json:"sub_element_distributes"`
}

// Attribute is a product attribute.
type Attribute struct {
	// Name is the attribute kind (such as "Material").
	Name string `json:"name"`
	// Value is the attribute's value (such as "Cotton").
	Value string `json:"value"`
	// ID is the attribute id.
	ID Int `json:"id"`
}

// Image is a product image.
type Image struct {
	// ImageURL is the URL of the image.
	ImageURL string `json:"image_url"`
}

// Customer is the data of NEW_CUSTOMER and UPDATE_CUSTOMER deliveries, and
// the customer embedded in an [Order].
type Customer struct {
	// ID is the customer id.
	ID Int `json:"id"`
	// AreaCode is the calling code of the phone number (such as "+84").
	AreaCode string `json:"area_code"`
	// PhoneNumber is the customer's phone number.
	PhoneNumber string `json:"phone_number"`
	// Email is the customer's email address.
	Email string `json:"email"`
	// ReferralPhoneNumber is the phone number of the person who referred
	// the customer; empty when none.
	ReferralPhoneNumber string `json:"referral_phone_number"`
	// Name is the customer's name.
	Name string `json:"name"`
	// NameStrFilter is the name as a slug, used for searching.
	NameStrFilter string `json:"name_str_filter"`
	// DateOfBirth is the customer's date of birth.
	DateOfBirth Time `json:"date_of_birth"`
	// AvatarImage is the URL of the customer's avatar; empty when none.
	AvatarImage string `json:"avatar_image"`
	// Points is the customer's points balance.
	Points Int `json:"points"`
	// Sex is the customer's sex.
	Sex Sex `json:"sex"`
	// Debt is the amount the customer owes.
	Debt Float `json:"debt"`
	// IsCollaborator reports whether the customer is a collaborator
	// (affiliate seller).
	IsCollaborator Bool `json:"is_collaborator"`
	// IsAgency reports whether the customer is an agency (reseller).
	IsAgency Bool `json:"is_agency"`
	// IsSale reports whether the customer is a salesperson.
	IsSale Bool `json:"is_sale"`
	// Province is the province id; zero when not set.
	Province Int `json:"province"`
	// District is the district id; zero when not set.
	District Int `json:"district"`
	// Wards is the ward (commune) id; zero when not set.
	Wards Int `json:"wards"`
	// ProvinceName is the province or city name.
	ProvinceName string `json:"province_name"`
	// DistrictName is the district name.
	DistrictName string `json:"district_name"`
	// WardsName is the ward (commune) name.
	WardsName string `json:"wards_name"`
	// AddressDetail is the detailed address (street, house number).
	AddressDetail string `json:"address_detail"`
	// CreatedAt is when the customer was created.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the customer was last updated.
	UpdatedAt Time `json:"updated_at"`
	// TotalReferrals is how many people the customer referred.
	TotalReferrals Int `json:"total_referrals"`
	// TotalFinalWithoutRefund is the customer's order revenue, refunds
	// excluded.
	TotalFinalWithoutRefund Float `json:"total_final_without_refund"`
	// TotalFinalAllStatus is the customer's order revenue over orders of
	// every status.
	TotalFinalAllStatus Float `json:"total_final_all_status"`
	// TotalAfterDiscountNoBonus is the customer's order revenue; IKITECH
	// describes it as "not counting discounts" (Doanh số chưa tính giảm
	// giá), although the field name suggests an after-discount total
	// without bonus items.
	TotalAfterDiscountNoBonus Float `json:"total_after_discount_no_bonus"`
}

// Order is the data of NEW_ORDER and UPDATE_ORDER deliveries.
type Order struct {
	// ID is the order id.
	ID Int `json:"id"`
	// CustomerID is the id of the ordering customer; zero when none (a
	// guest order).
	CustomerID Int `json:"customer_id"`
	// Logged is sent without description; it presumably reports whether the
	// buyer was logged in when ordering.
	Logged Bool `json:"logged"`
	// PhoneNumber is the phone number of the person who placed the order.
	PhoneNumber string `json:"phone_number"`
	// PointsAwardedToCustomer is the reward coins (xu) awarded to the
	// customer for the order.
	PointsAwardedToCustomer Int `json:"points_awarded_to_customer"`
	// OrderCode is the order code.
	OrderCode string `json:"order_code"`
	// OrderStatus is the order status.
	OrderStatus OrderStatus `json:"order_status"`
	// PaymentStatus is the payment status.
	PaymentStatus PaymentStatus `json:"payment_status"`
	// PaymentMethodID is the payment method.
	PaymentMethodID PaymentMethod `json:"payment_method_id"`
	// PartnerShipperID is the carrier.
	PartnerShipperID ShipperPartner `json:"partner_shipper_id"`
	// ShipperType is the delivery speed.
	ShipperType ShipperType `json:"shipper_type"`
	// ShipDiscountAmount is the shipping discount given by a shipping
	// voucher.
	ShipDiscountAmount Float `json:"ship_discount_amount"`
	// TotalShippingFee is the total shipping fee.
	TotalShippingFee Float `json:"total_shipping_fee"`
	// VAT is the VAT amount.
	VAT Float `json:"vat"`
	// COD is the amount to collect on delivery.
	COD Float `json:"cod"`
	// TotalBeforeDiscount is the goods total before discounts.
	TotalBeforeDiscount Float `json:"total_before_discount"`
	// BonusPointsAmountUsed is the number of coins (xu) used.
	BonusPointsAmountUsed Int `json:"bonus_points_amount_used"`
	// IsUsePoints reports whether the order used coins (xu).
	IsUsePoints Bool `json:"is_use_points"`
	// IsOrderForCustomer reports whether an agency placed the order on
	// behalf of a customer.
	IsOrderForCustomer Bool `json:"is_order_for_customer"`
	// ComboDiscountAmount is the discount given by combos.
	ComboDiscountAmount Float `json:"combo_discount_amount"`
	// ProductDiscountAmount is the discount given by product discounts.
	ProductDiscountAmount Float `json:"product_discount_amount"`
	// VoucherDiscountAmount is the discount given by vouchers.
	VoucherDiscountAmount Float `json:"voucher_discount_amount"`
	// TotalAfterDiscount is the goods total after discounts.
	TotalAfterDiscount Float `json:"total_after_discount"`
	// Discount is the trade discount (chiết khấu).
	Discount Float `json:"discount"`
	// TotalFinal is the total to pay.
	TotalFinal Float `json:"total_final"`
	// CustomerName is the recipient's name.
	CustomerName string `json:"customer_name"`
	// CustomerProvince is the recipient's province id.
	CustomerProvince Int `json:"customer_province"`
	// CustomerProvinceName is the recipient's province or city name.
	CustomerProvinceName string `json:"customer_province_name"`
	// CustomerDistrict is the recipient's district id.
	CustomerDistrict Int `json:"customer_district"`
	// CustomerDistrictName is the recipient's district name.
	CustomerDistrictName string `json:"customer_district_name"`
	// CustomerWards is the recipient's ward (commune) id.
	CustomerWards Int `json:"customer_wards"`
	// CustomerWardsName is the recipient's ward (commune) name.
	CustomerWardsName string `json:"customer_wards_name"`
	// CustomerEmail is the recipient's email address.
	CustomerEmail string `json:"customer_email"`
	// CustomerPhone is the recipient's phone number.
	CustomerPhone string `json:"customer_phone"`
	// CustomerAddressDetail is the recipient's address.
	CustomerAddressDetail string `json:"customer_address_detail"`
	// CustomerNote is the buyer's note.
	CustomerNote string `json:"customer_note"`
	// RemainingAmount is the amount still to be paid.
	RemainingAmount Float `json:"remaining_amount"`
	// PackageWeight is the package weight.
	PackageWeight Float `json:"package_weight"`
	// PackageLength is the package length (IKITECH's description says
	// "height", a copy of the next field's).
	PackageLength Float `json:"package_length"`
	// PackageWidth is the package width.
	PackageWidth Float `json:"package_width"`
	// PackageHeight is the package height.
	PackageHeight Float `json:"package_height"`
	// DescriptionShipper is the description for the shipper.
	DescriptionShipper string `json:"description_shipper"`
	// CreatedAt is when the order was created.
	CreatedAt Time `json:"created_at"`
	// UpdatedAt is when the order was last updated.
	UpdatedAt Time `json:"updated_at"`
	// LineItemsAtTime are the products of the order, as they were when it
	// was placed.
	LineItemsAtTime []LineItem `json:"line_items_at_time"`
	// PartnerShipperName is the carrier's display name (such as "Giao Hàng
	// Trực Tiếp").
	PartnerShipperName string `json:"partner_shipper_name"`
	// Customer is the ordering customer, in the shape of a NEW_CUSTOMER
	// delivery's data; nil when IKITECH sends none.
	Customer *Customer `json:"customer"`
}

// LineItem is a product in an order.
type LineItem struct {
	// ID is the line item id.
	ID Int `json:"id"`
	// Quantity is the quantity ordered.
	Quantity Int `json:"quantity"`
	// Name is the product name.
	Name string `json:"name"`
	// ImageURL is the URL of the product image.
	ImageURL string `json:"image_url"`
	// ItemPrice is the final unit price.
	ItemPrice Float `json:"item_price"`
	// PriceBeforeOverride is the price for agencies (resellers).
	PriceBeforeOverride Float `json:"price_before_override"`
	// MainPrice is the original price.
	MainPrice Float `json:"main_price"`
	// BeforeDiscountPrice is the price before discounts.
	BeforeDiscountPrice Float `json:"before_discount_price"`
	// BeforeDiscountPriceOverride is the agency price before discounts.
	BeforeDiscountPriceOverride Float `json:"before_discount_price_override"`
	// AfterDiscount is the price after discounts.
	AfterDiscount Float `json:"after_discount"`
	// AfterDiscountOverride is the agency price after discounts.
	AfterDiscountOverride Float `json:"after_discount_override"`
	// DistributesSelected are the classification values chosen (such as
	// colour: red).
	DistributesSelected []SelectedDistribute `json:"distributes_selected"`
	// MoneyAmountCollaborator is the commission for the collaborator.
	MoneyAmountCollaborator Float `json:"money_amount_collaborator"`
	// IsBonus reports whether the item is a free bonus product.
	IsBonus Bool `json:"is_bonus"`
	// Note is the note attached to the item.
	Note string `json:"note"`
}

// SelectedDistribute is a classification value chosen for a line item.
type SelectedDistribute struct {
	// Name is the classification name (such as "Colour").
	Name string `json:"name"`
	// Value is the value chosen (such as "Red").
	Value string `json:"value"`
}
