package ikitech

import "strconv"

// ProductStatus is a product's display status (product field "status").
type ProductStatus int

// Product statuses documented by IKITECH ("0 Hiển thị - 1 Đã ẩn").
const (
	// ProductStatusVisible: the product is shown in the store (Hiển thị).
	ProductStatusVisible ProductStatus = 0
	// ProductStatusHidden: the product is hidden (Đã ẩn).
	ProductStatusHidden ProductStatus = 1
)

// Visible reports whether the product is shown in the store. Any status
// other than ProductStatusVisible counts as hidden: IKITECH's description
// ("0 Hiển thị - 1 Đã ẩn") can also be read as -1 for hidden.
func (s ProductStatus) Visible() bool { return s == ProductStatusVisible }

// String returns "visible", "hidden" or "ProductStatus(n)".
func (s ProductStatus) String() string {
	switch s {
	case ProductStatusVisible:
		return "visible"
	case ProductStatusHidden:
		return "hidden"
	}
	return enumString("ProductStatus", int(s))
}

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (s *ProductStatus) UnmarshalJSON(data []byte) error { return decodeInt(data, s) }

// Sex is a customer's sex (customer field "sex").
type Sex int

// Sexes documented by IKITECH ("0 chưa xác định, 1 nam, 2 nữ").
const (
	// SexUnknown: not specified (chưa xác định).
	SexUnknown Sex = 0
	// SexMale: male (nam).
	SexMale Sex = 1
	// SexFemale: female (nữ).
	SexFemale Sex = 2
)

// String returns "unknown", "male", "female" or "Sex(n)".
func (s Sex) String() string {
	switch s {
	case SexUnknown:
		return "unknown"
	case SexMale:
		return "male"
	case SexFemale:
		return "female"
	}
	return enumString("Sex", int(s))
}

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (s *Sex) UnmarshalJSON(data []byte) error { return decodeInt(data, s) }

// PaymentMethod is how an order is paid (order field "payment_method_id").
type PaymentMethod int

// Payment methods documented by IKITECH ("0 Tiền mặt, 1 Quẹt thẻ, 2 COD,
// 3 Chuyển khoản, 4 Ví điện tử").
const (
	// PaymentMethodCash: cash (Tiền mặt).
	PaymentMethodCash PaymentMethod = 0
	// PaymentMethodCard: card payment at a terminal (Quẹt thẻ).
	PaymentMethodCard PaymentMethod = 1
	// PaymentMethodCOD: cash on delivery.
	PaymentMethodCOD PaymentMethod = 2
	// PaymentMethodBankTransfer: bank transfer (Chuyển khoản).
	PaymentMethodBankTransfer PaymentMethod = 3
	// PaymentMethodEWallet: e-wallet (Ví điện tử).
	PaymentMethodEWallet PaymentMethod = 4
)

// String returns "cash", "card", "cod", "bank_transfer", "e_wallet" or
// "PaymentMethod(n)".
func (m PaymentMethod) String() string {
	switch m {
	case PaymentMethodCash:
		return "cash"
	case PaymentMethodCard:
		return "card"
	case PaymentMethodCOD:
		return "cod"
	case PaymentMethodBankTransfer:
		return "bank_transfer"
	case PaymentMethodEWallet:
		return "e_wallet"
	}
	return enumString("PaymentMethod", int(m))
}

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (m *PaymentMethod) UnmarshalJSON(data []byte) error { return decodeInt(data, m) }

// ShipperPartner is the carrier that delivers an order (order field
// "partner_shipper_id"). Order.PartnerShipperName carries its display name.
type ShipperPartner int

// Carriers documented by IKITECH ("0 GHTK, 1 GHN, 3 VIETTELPOST"); 2 is not
// documented.
const (
	// ShipperPartnerGHTK: Giao Hàng Tiết Kiệm.
	ShipperPartnerGHTK ShipperPartner = 0
	// ShipperPartnerGHN: Giao Hàng Nhanh.
	ShipperPartnerGHN ShipperPartner = 1
	// ShipperPartnerViettelPost: Viettel Post.
	ShipperPartnerViettelPost ShipperPartner = 3
)

// String returns "GHTK", "GHN", "VIETTELPOST" or "ShipperPartner(n)".
func (p ShipperPartner) String() string {
	switch p {
	case ShipperPartnerGHTK:
		return "GHTK"
	case ShipperPartnerGHN:
		return "GHN"
	case ShipperPartnerViettelPost:
		return "VIETTELPOST"
	}
	return enumString("ShipperPartner", int(p))
}

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (p *ShipperPartner) UnmarshalJSON(data []byte) error { return decodeInt(data, p) }

// ShipperType is the delivery speed of an order (order field
// "shipper_type").
type ShipperType int

// Delivery speeds documented by IKITECH ("0 tiêu chuẩn - 1 siêu tốc").
const (
	// ShipperTypeStandard: standard delivery (tiêu chuẩn).
	ShipperTypeStandard ShipperType = 0
	// ShipperTypeExpress: express delivery (siêu tốc).
	ShipperTypeExpress ShipperType = 1
)

// String returns "standard", "express" or "ShipperType(n)".
func (t ShipperType) String() string {
	switch t {
	case ShipperTypeStandard:
		return "standard"
	case ShipperTypeExpress:
		return "express"
	}
	return enumString("ShipperType", int(t))
}

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (t *ShipperType) UnmarshalJSON(data []byte) error { return decodeInt(data, t) }

// OrderStatus is an order's processing status (order field
// "order_status"). IKITECH does not document its values; compare them with
// the codes shown in your IKITECH store.
type OrderStatus int

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (s *OrderStatus) UnmarshalJSON(data []byte) error { return decodeInt(data, s) }

// PaymentStatus is an order's payment status (order field
// "payment_status"). IKITECH does not document its values; compare them
// with the codes shown in your IKITECH store.
type PaymentStatus int

// UnmarshalJSON implements [json.Unmarshaler]; it accepts what [Int] does.
func (s *PaymentStatus) UnmarshalJSON(data []byte) error { return decodeInt(data, s) }

func enumString(typ string, n int) string {
	return typ + "(" + strconv.Itoa(n) + ")"
}
