package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tikisdk/tiki"
)

// The values of the enumerations the command takes, in the order of Tiki's
// documents. They feed flag checks, help and shell completion; the SDK
// checks the same values again before sending (a test keeps the lists
// equal to the SDK's).
var (
	orderStatuses = []tiki.OrderStatus{
		tiki.OrderStatusQueueing, tiki.OrderStatusSellerConfirmed, tiki.OrderStatusSellerCanceled,
		tiki.OrderStatusComplete, tiki.OrderStatusCanceled, tiki.OrderStatusSuccessfulDelivery, tiki.OrderStatusChoIn,
		tiki.OrderStatusGiaoHangThanhCong, tiki.OrderStatusProcessing, tiki.OrderStatusWaitingPayment,
		tiki.OrderStatusHandoverToPartner, tiki.OrderStatusClosed, tiki.OrderStatusPackaging, tiki.OrderStatusPicking,
		tiki.OrderStatusShipping, tiki.OrderStatusPaid, tiki.OrderStatusDelivered, tiki.OrderStatusHolded,
		tiki.OrderStatusReadyToShip, tiki.OrderStatusPaymentReview, tiki.OrderStatusReturned,
		tiki.OrderStatusFinishedPacking,
	}
	fulfillmentTypes = []tiki.FulfillmentType{
		tiki.FulfillmentSellerDelivery, tiki.FulfillmentCrossBorder, tiki.FulfillmentDropship,
		tiki.FulfillmentTikiDelivery, tiki.FulfillmentInstantDelivery,
	}
	confirmationStatuses = []tiki.ConfirmationStatus{
		tiki.ConfirmationWaiting, tiki.ConfirmationSellerConfirmed, tiki.ConfirmationConfirmed,
		tiki.ConfirmationSellerCanceled, tiki.ConfirmationReadyToPick,
	}
	orderInventoryTypes = []tiki.InventoryType{
		tiki.InventoryCrossBorder, tiki.InventoryInstock, tiki.InventoryBackorder, tiki.InventorySellerBackorder,
		tiki.InventoryDropShip, tiki.InventoryDropship, tiki.InventoryPreorder,
	}
	dateFilters     = []tiki.OrderDateFilter{tiki.DateFilterToday, tiki.DateFilterLast7Days, tiki.DateFilterLast30Days}
	orderSorts      = []tiki.OrderSort{tiki.OrderByCreatedAtAsc, tiki.OrderByCreatedAtDesc, tiki.OrderByUpdatedAtAsc, tiki.OrderByUpdatedAtDesc}
	orderIncludes   = []tiki.OrderInclude{tiki.IncludeStatusHistories, tiki.IncludeItemFees, tiki.IncludeItemConfirmationHistories}
	productIncludes = []tiki.ProductInclude{
		tiki.IncludeSeller, tiki.IncludeCategories, tiki.IncludeInventory, tiki.IncludeAttributes, tiki.IncludeImages,
	}
	sellerDeliveryStatuses = []tiki.SellerDeliveryStatus{tiki.SellerDeliverySuccessful, tiki.SellerDeliveryFailed}
	failureCauses          = []tiki.DeliveryFailureCause{tiki.FailureOutOfNeeds, tiki.FailureRedeliveryAppointment, tiki.FailureOutOfStock}
	shipmentSteps          = []tiki.DeliveryStatus{
		tiki.DeliveryStatusTransferringToForeignWarehouses, tiki.DeliveryStatusHasComeToForeignWarehouses,
		tiki.DeliveryStatusRotatingToVietnam, tiki.DeliveryStatusCustomsClearance,
		tiki.DeliveryStatusCustomsClearanceComplete, tiki.DeliveryStatusItemArrivedInVietnam,
		tiki.DeliveryStatusReadyForDelivery, tiki.DeliveryStatusOnDelivery, tiki.DeliveryStatusSuccessfulDelivery,
	}
)

// strs converts enumeration values to strings.
func strs[E ~string](values []E) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// badValue is a value that is not one of an enumeration's: its message
// names the flag (or tool argument), the value and the values to use.
type badValue struct {
	name  string // "--status", or "status" for a tool
	value string
	what  string // "an order status"
	known []string
}

func (e *badValue) Error() string {
	return fmt.Sprintf("%s %q is not %s: use one of %s", e.name, e.value, e.what, strings.Join(e.known, ", "))
}

// oneOf checks an optional value of an enumeration.
func oneOf[E ~string](name, value, what string, known []E) (E, error) {
	value = strings.TrimSpace(value)
	if value == "" || slices.Contains(known, E(value)) {
		return E(value), nil
	}
	return "", &badValue{name: name, value: value, what: what, known: strs(known)}
}

// allOf checks a list of values of an enumeration; each element may itself
// be a comma-separated list.
func allOf[E ~string](name string, values []string, what string, known []E) ([]E, error) {
	var out []E
	for _, v := range splitList(values) {
		e, err := oneOf(name, v, what, known)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// splitList splits comma-separated values and drops empty ones.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// parseTime reads a time flag: a date, a date and time, or RFC 3339, in
// Vietnam time unless it says otherwise. "" is no time.
func parseTime(name, value string) (tiki.Time, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return tiki.Time{}, nil
	}
	t, err := tiki.ParseTime(value)
	if err != nil {
		return tiki.Time{}, fmt.Errorf("%s %q is not a time: write 2025-06-02, \"2025-06-02 15:04:05\" (Vietnam time) or RFC 3339", name, value)
	}
	return t, nil
}

// timeArg is a time flag (or tool argument) and where its value goes.
type timeArg struct {
	name  string
	value string
	dst   *tiki.Time
}

// parseTimes reads time flags; flags says whether errors name flags or
// tool arguments.
func parseTimes(flags bool, args ...timeArg) error {
	for _, t := range args {
		var err error
		if *t.dst, err = parseTime(argName(t.name, flags), t.value); err != nil {
			return err
		}
	}
	return nil
}

// parseIDs reads a list of positive ids, comma-separated or repeated.
func parseIDs(name string, values []string) ([]int64, error) {
	var out []int64
	for _, v := range splitList(values) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%s %q is not an id: write positive whole numbers, comma-separated", name, v)
		}
		out = append(out, id)
	}
	return out, nil
}

// parseQuantities reads warehouse quantities written WAREHOUSE=UNITS
// ("919=12"), comma-separated or repeated, each warehouse once.
func parseQuantities(name string, values []string) ([]tiki.WarehouseQuantity, error) {
	var out []tiki.WarehouseQuantity
	for _, v := range splitList(values) {
		w, q, ok := strings.Cut(v, "=")
		id, err1 := strconv.ParseInt(strings.TrimSpace(w), 10, 64)
		n, err2 := strconv.Atoi(strings.TrimSpace(q))
		if !ok || err1 != nil || err2 != nil || id <= 0 || n < 0 {
			return nil, fmt.Errorf("%s %q is not WAREHOUSE=UNITS: write the seller warehouse id, =, and a whole number of units, for example 919=12", name, v)
		}
		if slices.ContainsFunc(out, func(x tiki.WarehouseQuantity) bool { return x.WarehouseID == id }) {
			return nil, fmt.Errorf("%s names warehouse %d twice: give each warehouse once", name, id)
		}
		out = append(out, tiki.WarehouseQuantity{WarehouseID: id, QtyAvailable: n})
	}
	return out, nil
}
