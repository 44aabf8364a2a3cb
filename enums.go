package tiki

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The enumerations the SDK sends. Every value a caller passes in a field of
// one of these types is checked before anything is sent: a value that is
// neither documented by Tiki (the lists below) nor allowed for the client
// with WithEnumValues is refused with a *ValidationError that names the
// field, the value and the known values. A typo ("queuing" for
// OrderStatusQueueing) is refused instead of sending a filter that matches
// nothing.
//
// Two enumerations are numbers: ActiveFlag (a product switched on or off)
// and ProductStatus (enabled, disabled, hidden). Both are closed: every
// value has a meaning the SDK models, so a new one would need a new SDK.
// WithEnumValues takes string enumerations only.
//
// Free-text fields typed for convenience are not enumerations: a
// CancelReason may be any text (Tiki files text outside its list under
// "others").

// Values Tiki documents, each list in the order of Tiki's documents. The
// event types (EventTypes), the product API's inventory types
// (inventoryTypes), the request states (requestStates) and the cross-border
// shipment steps (crossBorderSteps) are listed where they are declared.
var (
	orderStatuses = []OrderStatus{
		OrderStatusQueueing, OrderStatusSellerConfirmed, OrderStatusSellerCanceled, OrderStatusComplete,
		OrderStatusCanceled, OrderStatusSuccessfulDelivery, OrderStatusChoIn, OrderStatusGiaoHangThanhCong,
		OrderStatusProcessing, OrderStatusWaitingPayment, OrderStatusHandoverToPartner, OrderStatusClosed,
		OrderStatusPackaging, OrderStatusPicking, OrderStatusShipping, OrderStatusPaid, OrderStatusDelivered,
		OrderStatusHolded, OrderStatusReadyToShip, OrderStatusPaymentReview, OrderStatusReturned,
		OrderStatusFinishedPacking,
	}
	fulfillmentTypes = []FulfillmentType{
		FulfillmentSellerDelivery, FulfillmentCrossBorder, FulfillmentDropship, FulfillmentTikiDelivery,
		FulfillmentInstantDelivery,
	}
	confirmationStatuses = []ConfirmationStatus{
		ConfirmationWaiting, ConfirmationSellerConfirmed, ConfirmationConfirmed, ConfirmationSellerCanceled,
		ConfirmationReadyToPick,
	}
	paymentMethods   = []PaymentMethod{PaymentCOD, PaymentVisa, PaymentCheckMO, PaymentMomo, PaymentPay123, PaymentCybersource}
	orderDateFilters = []OrderDateFilter{DateFilterToday, DateFilterLast7Days, DateFilterLast30Days}
	orderSorts       = []OrderSort{OrderByCreatedAtAsc, OrderByCreatedAtDesc, OrderByUpdatedAtAsc, OrderByUpdatedAtDesc}
	orderIncludes    = []OrderInclude{IncludeStatusHistories, IncludeItemFees, IncludeItemConfirmationHistories}
	productIncludes  = []ProductInclude{IncludeSeller, IncludeCategories, IncludeInventory, IncludeAttributes, IncludeImages}
	certificateTypes = []CertificateType{CertificateBrand, CertificateCategory}
	sellerDeliveries = []SellerDeliveryStatus{SellerDeliverySuccessful, SellerDeliveryFailed}
	failureCauses    = []DeliveryFailureCause{FailureOutOfNeeds, FailureRedeliveryAppointment, FailureOutOfStock}
	deliveryOutcomes = []ConfirmDeliveryStatus{ConfirmDeliveryCanceled, ConfirmDeliverySuccessful}
	labelTypes       = []LabelType{LabelShipping, LabelInvoice, LabelPO}
	labelFormats     = []LabelFormat{LabelHTML, LabelPDF}
	// orderInventoryTypes are the inventory types of the order API: the
	// product API's and the two only orders use.
	orderInventoryTypes = append(inventoryTypes(), InventoryDropship, InventoryPreorder)
)

// enumTable holds, for each string enumeration the SDK sends, the values
// Tiki documents. Every check reads it; WithEnumValues extends it for one
// client.
var enumTable = map[reflect.Type][]string{
	reflect.TypeFor[EventType]():             names(EventTypes()),
	reflect.TypeFor[OrderStatus]():           names(orderStatuses),
	reflect.TypeFor[FulfillmentType]():       names(fulfillmentTypes),
	reflect.TypeFor[ConfirmationStatus]():    names(confirmationStatuses),
	reflect.TypeFor[InventoryType]():         names(orderInventoryTypes),
	reflect.TypeFor[PaymentMethod]():         names(paymentMethods),
	reflect.TypeFor[OrderDateFilter]():       names(orderDateFilters),
	reflect.TypeFor[OrderSort]():             names(orderSorts),
	reflect.TypeFor[OrderInclude]():          names(orderIncludes),
	reflect.TypeFor[ProductInclude]():        names(productIncludes),
	reflect.TypeFor[RequestState]():          names(requestStates()),
	reflect.TypeFor[CertificateType]():       names(certificateTypes),
	reflect.TypeFor[SellerDeliveryStatus]():  names(sellerDeliveries),
	reflect.TypeFor[DeliveryFailureCause]():  names(failureCauses),
	reflect.TypeFor[DeliveryStatus]():        names(crossBorderSteps),
	reflect.TypeFor[ConfirmDeliveryStatus](): names(deliveryOutcomes),
	reflect.TypeFor[LabelType]():             names(labelTypes),
	reflect.TypeFor[LabelFormat]():           names(labelFormats),
}

// names converts a list of enum values to strings.
func names[E ~string](values []E) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// enumValues holds the values a client allowed with WithEnumValues, by
// enumeration. It is filled by the options and only read afterwards.
type enumValues map[reflect.Type][]string

// WithEnumValues allows values of an enumeration that Tiki added after this
// release of the SDK, so that they can be sent: every value the SDK sends
// of an enumeration type (EventType, OrderStatus, FulfillmentType,
// ConfirmationStatus, InventoryType, PaymentMethod, OrderDateFilter,
// OrderSort, OrderInclude, ProductInclude, RequestState, CertificateType,
// SellerDeliveryStatus, DeliveryFailureCause, DeliveryStatus,
// ConfirmDeliveryStatus, LabelType, LabelFormat) is otherwise checked
// against the values Tiki documents, and a value outside them is refused
// before anything is sent.
//
//	client, err := tiki.NewClient(auth,
//		tiki.WithEnumValues(tiki.EventType("PRODUCT_DELETED")),
//		tiki.WithEnumValues(tiki.OrderStatus("awaiting_pickup")),
//	)
//
// Each value must be without commas, bars or surrounding white space; at
// least one is required. A value the SDK already knows is accepted and
// changes nothing, so that a program keeps starting when a later release
// of the SDK learns the value it allowed. Several WithEnumValues of one
// type add up. The numeric enumerations (ActiveFlag, ProductStatus) are
// closed and cannot be extended.
func WithEnumValues[E ~string](values ...E) Option {
	typ := reflect.TypeFor[E]()
	vals := names(values)
	return func(c *config) {
		field := "WithEnumValues[" + typ.String() + "]"
		var v validator
		known, ok := enumTable[typ]
		if !ok {
			v.add(field, "names %s, which is not an enumeration the SDK sends (see WithEnumValues)", typ)
			c.report("", &v)
			return
		}
		v.check(len(vals) > 0, field, "needs at least one value")
		for i, s := range vals {
			f := field + "[" + strconv.Itoa(i) + "]"
			switch {
			case s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, ",|"):
				v.add(f, "must be a value without commas, bars or surrounding spaces")
			case slices.Contains(known, s):
				// Known already (a later release learnt it): nothing to
				// allow.
			case slices.Contains(vals[:i], s) || slices.Contains(c.enums[typ], s):
				v.add(f, "repeats %q", s)
			}
		}
		if c.report("", &v) {
			return
		}
		added := slices.DeleteFunc(slices.Clone(vals), func(s string) bool { return slices.Contains(known, s) })
		if len(added) == 0 {
			return
		}
		if c.enums == nil {
			c.enums = enumValues{}
		}
		c.enums[typ] = append(slices.Clip(c.enums[typ]), added...)
	}
}

// checkEnum refuses a value of E that is neither one of known (the values
// Tiki documents for E when known is empty) nor allowed for the client with
// WithEnumValues. An empty value is refused as required: callers check
// optional fields only when they are set. It reports whether value passed.
func checkEnum[E ~string](v *validator, field string, value E, known ...E) bool {
	typ := reflect.TypeFor[E]()
	list := enumTable[typ]
	if len(known) > 0 {
		list = names(known)
	}
	if value != "" && (slices.Contains(list, string(value)) || slices.Contains(v.enums[typ], string(value))) {
		return true
	}
	all := joinQuoted(append(slices.Clip(list), v.enums[typ]...)...)
	switch {
	case value == "":
		v.add(field, "is required: one of the %s values %s", typ.Name(), all)
	case len(known) > 0 && slices.Contains(enumTable[typ], string(value)):
		v.add(field, "is %q, which this call does not take: it takes %s", string(value), all)
	default:
		v.add(field, "is %q, not one of the known %s values %s (a value Tiki added later is sent once allowed with tiki.WithEnumValues)",
			string(value), typ.Name(), all)
	}
	return false
}

// checkOptionalEnum is checkEnum for a field that may be left empty.
func checkOptionalEnum[E ~string](v *validator, field string, value E, known ...E) bool {
	return value == "" || checkEnum(v, field, value, known...)
}

// namedInt is a value of a numeric enumeration with the name of its
// constant.
type namedInt struct {
	value int
	name  string
}

// The numeric enumerations, closed (see WithEnumValues).
var (
	activeFlags     = []namedInt{{int(ProductInactive), "ProductInactive"}, {int(ProductActive), "ProductActive"}}
	productStatuses = []namedInt{
		{int(ProductStatusEnabled), "ProductStatusEnabled"}, {int(ProductStatusDisabled), "ProductStatusDisabled"},
		{int(ProductStatusHidden), "ProductStatusHidden"},
	}
)

// knownInt reports whether n is one of known.
func knownInt(known []namedInt, n int) bool {
	return slices.ContainsFunc(known, func(k namedInt) bool { return k.value == n })
}

// checkIntEnum refuses a value of the numeric enumeration typ that is not
// one of known, naming the value and the known ones.
func checkIntEnum(v *validator, field, typ string, value int, known []namedInt) bool {
	if knownInt(known, value) {
		return true
	}
	parts := make([]string, len(known))
	for i, k := range known {
		parts[i] = fmt.Sprintf("%d (%s)", k.value, k.name)
	}
	v.add(field, "is %d, not one of the known %s values %s", value, typ, strings.Join(parts, ", "))
	return false
}

// newValidator returns a validator that knows the enumeration values the
// client allowed with WithEnumValues. Every method that checks an
// enumeration starts from it.
func (c *Client) newValidator() validator {
	if c == nil {
		return validator{}
	}
	return validator{enums: c.enums}
}
