package tiki

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every enumeration value a caller passes is checked before anything is
// sent: a typo is a *ValidationError naming the field, the value and the
// known values, with nothing on the wire.
func TestEnumValuesRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sd := orderOf(t, FulfillmentSellerDelivery, ConfirmationSellerConfirmed)
	cb := orderOf(t, FulfillmentCrossBorder, ConfirmationSellerConfirmed)
	product := validNewProduct(apiV21)
	product.Variants[0].InventoryType = "dropshipping"
	product.CertificateFiles[0].Type = "brands"
	cases := map[string]refusal{
		"Subscribe BOGUS": {func(c *Client) error {
			_, _, err := c.EventQueue.Subscribe(ctx, "q", "BOGUS")
			return err
		}, []FieldProblem{unknownValue[EventType]("event_type", "BOGUS")}},
		"order status typo": {func(c *Client) error {
			_, _, err := c.Orders.List(ctx, &OrderListOptions{Status: In[OrderStatus]("queuing")})
			return err
		}, []FieldProblem{unknownValue[OrderStatus]("status", "queuing")}},
		"order filters": {func(c *Client) error {
			_, _, err := c.Orders.List(ctx, &OrderListOptions{
				Status:                 NotIn(OrderStatusProcessing, "waiting-payment"),
				ItemConfirmationStatus: "wait",
				ItemInventoryType:      In[InventoryType]("back_order"),
				FulfillmentType:        In(FulfillmentDropship, "drop_ship"),
				FilterDateBy:           "last_7_days",
				OrderBy:                "created_at",
				Include:                []OrderInclude{IncludeItemFees, "items.fees"},
			})
			return err
		}, []FieldProblem{
			unknownValue[OrderStatus]("status[1]", "waiting-payment"),
			unknownValue[InventoryType]("item_inventory_type", "back_order"),
			unknownValue[FulfillmentType]("fulfillment_type[1]", "drop_ship"),
			unknownValue[ConfirmationStatus]("item_confirmation_status", "wait"),
			unknownValue[OrderDateFilter]("filter_date_by", "last_7_days"),
			unknownValue[OrderSort]("order_by", "created_at"),
			unknownValue[OrderInclude]("include[1]", "items.fees"),
		}},
		"order include of Get": {func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", &OrderGetOptions{Include: []OrderInclude{"fees"}})
			return err
		}, []FieldProblem{unknownValue[OrderInclude]("include[0]", "fees")}},
		"v1 order filters": {func(c *Client) error {
			_, _, err := c.V1.Orders.List(ctx, &OrderListOptionsV1{
				Status: "nin|processing,queuing", FulfillmentType: "seller", ItemInventoryType: "stock",
				ItemConfirmationStatus: "confirm", FilterDateBy: "week",
			})
			return err
		}, []FieldProblem{
			unknownValue[OrderStatus]("status[1]", "queuing"),
			unknownValue[FulfillmentType]("fulfillment_type", "seller"),
			unknownValue[InventoryType]("item_inventory_type", "stock"),
			unknownValue[ConfirmationStatus]("item_confirmation_status", "confirm"),
			unknownValue[OrderDateFilter]("filter_date_by", "week"),
		}},
		"v1 order status": {func(c *Client) error {
			_, _, err := c.V1.Orders.List(ctx, &OrderListOptionsV1{Status: "queuing"})
			return err
		}, []FieldProblem{unknownValue[OrderStatus]("status", "queuing")}},
		"product includes and flag": {func(c *Client) error {
			_, _, err := c.Products.List(ctx, &ProductsOptions{Include: []ProductInclude{"stock"}, Active: Ptr(ActiveFlag(5))})
			return err
		}, []FieldProblem{{"active", "is 5, not one of the known ActiveFlag values 0 (ProductInactive), 1 (ProductActive)"},
			unknownValue[ProductInclude]("include[0]", "stock")}},
		"product request state": {func(c *Client) error {
			_, _, err := c.ProductRequests.List(ctx, &ProductRequestsOptions{State: "approve"})
			return err
		}, []FieldProblem{unknownValue[RequestState]("state", "approve")}},
		"new product": {func(c *Client) error {
			_, _, err := c.ProductRequests.Create(ctx, product)
			return err
		}, []FieldProblem{
			unknownValue("variants[0].inventory_type", InventoryType("dropshipping"), inventoryTypes()...),
			unknownValue[CertificateType]("certificate_files[0].type", "brands"),
		}},
		"batch status": {func(c *Client) error {
			_, _, err := c.Products.UpdateBatch(ctx, []BatchUpdateItem{{ProductID: 1, Status: 7}})
			return err
		}, []FieldProblem{{"data[0].status", "is 7, not one of the known ProductStatus values 1 (ProductStatusEnabled), 2 (ProductStatusDisabled), 3 (ProductStatusHidden)"}}},
		"seller delivery": {func(c *Client) error {
			_, _, err := c.Orders.UpdateSellerDelivery(ctx, sd, SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: "no_stock"})
			return err
		}, []FieldProblem{unknownValue[DeliveryFailureCause]("failure_cause", "no_stock")}},
		"cross-border shipment": {func(c *Client) error {
			_, _, err := c.Orders.UpdateCrossBorderShipment(ctx, cb, ShipmentUpdate{Status: "customs", UpdateTime: vnTime(t, "2021-06-11 12:00:00")})
			return err
		}, []FieldProblem{unknownValue[DeliveryStatus]("status", "customs")}},
		"label format": {func(c *Client) error {
			_, _, err := c.Orders.Label(ctx, sd, &LabelOptions{Format: "HTML"})
			return err
		}, []FieldProblem{unknownValue("format", LabelFormat("HTML"), LabelHTML)}},
		"v1 label": {func(c *Client) error {
			_, _, err := c.V1.Orders.PrintLabel(ctx, "1", &PrintLabelOptions{Label: "invoices", Format: "htm"})
			return err
		}, []FieldProblem{unknownValue[LabelType]("label", "invoices"), unknownValue[LabelFormat]("format", "htm")}},
		"v1 delivery": {func(c *Client) error {
			_, _, err := c.V1.Orders.ConfirmDelivery(ctx, ConfirmDeliveryRequest{OrderCode: "1", Status: "cancelled"})
			return err
		}, []FieldProblem{unknownValue[ConfirmDeliveryStatus]("status", "cancelled")}},
		"v1 confirmation": {func(c *Client) error {
			_, _, err := c.V1.Orders.ConfirmItems(ctx, ConfirmItemsRequest{OrderCode: "1", FulfillmentType: "seller", ItemIDs: []int64{1},
				WarehouseCode: "sg", SellerInventoryID: 1})
			return err
		}, []FieldProblem{unknownValue[FulfillmentType]("fulfillment_type", "seller")}},
	}
	requireRefusals(t, cases)
}

// The refusal reads as a sentence that names the field, the value and
// every known value, and says how to send a value Tiki added later.
func TestEnumRefusalNamesTheKnownValues(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.Orders.List(context.Background(), &OrderListOptions{Status: In[OrderStatus]("queuing")})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, `tiki: invalid request: status is "queuing", not one of the known OrderStatus values "queueing", "seller_confirmed", `+
		`"seller_canceled", "complete", "canceled", "successful_delivery", "cho_in", "giao_hang_thanh_cong", "processing", "waiting_payment", `+
		`"handover_to_partner", "closed", "packaging", "picking", "shipping", "paid", "delivered", "holded", "ready_to_ship", `+
		`"payment_review", "returned", "finished_packing" (a value Tiki added later is sent once allowed with tiki.WithEnumValues)`, err.Error())
	assert.Zero(t, s.count())

	_, _, err = c.EventQueue.Subscribe(context.Background(), "q", "")
	assert.EqualError(t, err, `tiki: invalid request: event_type is required: one of the EventType values "ORDER_CREATED_SUCCESSFULLY", `+
		`"ORDER_STATUS_UPDATED", "PRODUCT_PRICE_UPDATED", "PRODUCT_MARKET_PRICE_UPDATED", "PRODUCT_INVENTORY_UPDATED"`)
}

// A value Tiki adds after this release is sent once the client allows it
// with WithEnumValues, and is then listed among the known values.
func TestWithEnumValuesSendsNewValues(t *testing.T) {
	t.Parallel()
	c, s := setup(t,
		WithEnumValues[EventType]("PRODUCT_DELETED"),
		WithEnumValues[OrderStatus]("awaiting_pickup", "lost"),
		WithEnumValues[OrderStatus]("found"),
		WithEnumValues[FulfillmentType]("drone_delivery"),
		WithEnumValues[DeliveryFailureCause]("address_not_found"),
	)
	ctx := context.Background()
	s.respond(http.MethodPost, "/v1/queues/q/subscriptions", 200, []byte(`{"code":"s1","active":true,"event_type":"PRODUCT_DELETED","sid":"1"}`))
	s.respond(http.MethodGet, "/v2/orders", 200, []byte(`{"data":[],"paging":{"current_page":1,"last_page":1}}`))
	s.respond(http.MethodGet, "/v1/orders", 200, []byte(`{"data":[],"paging":{"current_page":1,"last_page":1}}`))
	s.respond(http.MethodPost, "/v2/orders/613795703/seller-delivery/update-delivery", 200, []byte(`{}`))

	sub, _, err := c.EventQueue.Subscribe(ctx, "q", "PRODUCT_DELETED")
	require.NoError(t, err)
	requireJSONEqual(t, `{"event_type":"PRODUCT_DELETED"}`, s.last().Body)
	assert.Equal(t, EventType("PRODUCT_DELETED"), sub.EventType)

	_, _, err = c.Orders.List(ctx, &OrderListOptions{Status: In[OrderStatus]("awaiting_pickup", "found", OrderStatusQueueing),
		FulfillmentType: In[FulfillmentType]("drone_delivery")})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders", map[string][]string{
		"status": {"in|awaiting_pickup,found,queueing"}, "fulfillment_type": {"drone_delivery"}})

	_, _, err = c.V1.Orders.List(ctx, &OrderListOptionsV1{Status: "nin|lost,canceled"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v1/orders", map[string][]string{"status": {"nin|lost,canceled"}})

	order := orderOf(t, FulfillmentSellerDelivery, ConfirmationSellerConfirmed)
	_, _, err = c.Orders.UpdateSellerDelivery(ctx, order, SellerDeliveryUpdate{Status: SellerDeliveryFailed, FailureCause: "address_not_found"})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodPost, "/v2/orders/613795703/seller-delivery/update-delivery", nil)
	requireJSONEqual(t, `{"status":"failed_delivery","failure_cause":"address_not_found"}`, s.last().Body)
	assert.Equal(t, 4, s.count())

	// Another client knows none of them: each allows its own.
	other, s2 := setup(t)
	_, _, err = other.EventQueue.Subscribe(ctx, "q", "PRODUCT_DELETED")
	requireRefused(t, err, s2, unknownValue[EventType]("event_type", "PRODUCT_DELETED"))
	// A refusal by c lists the values it allows.
	_, _, err = c.EventQueue.Subscribe(ctx, "q", "PRODUCT_CREATED")
	require.ErrorContains(t, err, `"PRODUCT_INVENTORY_UPDATED", "PRODUCT_DELETED" (a value Tiki added later`)
}

// WithEnumValues refuses what cannot be a new value, with one
// *ValidationError listing every problem.
func TestWithEnumValuesRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		opts []Option
		want []FieldProblem
	}{
		"none": {[]Option{WithEnumValues[OrderStatus]()},
			[]FieldProblem{{"WithEnumValues[tiki.OrderStatus]", "needs at least one value"}}},
		"repeated, malformed": {[]Option{WithEnumValues[OrderStatus]("queueing", "lost", "lost", "", " x", "a,b", "a|b")},
			[]FieldProblem{
				{"WithEnumValues[tiki.OrderStatus][2]", `repeats "lost"`},
				{"WithEnumValues[tiki.OrderStatus][3]", "must be a value without commas, bars or surrounding spaces"},
				{"WithEnumValues[tiki.OrderStatus][4]", "must be a value without commas, bars or surrounding spaces"},
				{"WithEnumValues[tiki.OrderStatus][5]", "must be a value without commas, bars or surrounding spaces"},
				{"WithEnumValues[tiki.OrderStatus][6]", "must be a value without commas, bars or surrounding spaces"},
			}},
		"repeated across options": {[]Option{WithEnumValues[EventType]("A"), WithEnumValues[EventType]("A")},
			[]FieldProblem{{"WithEnumValues[tiki.EventType][0]", `repeats "A"`}}},
		"not an enumeration a caller sends": {[]Option{WithEnumValues[DropshipConfirmation]("seller_maybe")},
			[]FieldProblem{{"WithEnumValues[tiki.DropshipConfirmation]", "names tiki.DropshipConfirmation, which is not an enumeration the SDK sends (see WithEnumValues)"}}},
		"a plain string": {[]Option{WithEnumValues("x")},
			[]FieldProblem{{"WithEnumValues[string]", "names string, which is not an enumeration the SDK sends (see WithEnumValues)"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewClient(append([]Option{WithSellerKey(testKey)}, tc.opts...)...)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Problems)
		})
	}
	// One option value builds several clients.
	opt := WithEnumValues[OrderStatus]("lost")
	for range 2 {
		_, err := NewClient(WithSellerKey(testKey), opt)
		require.NoError(t, err)
	}
}

// The enumeration table is the one list of values: every constant of an
// enumeration type the SDK sends is in it, nothing else is, and the Valid
// methods agree with it.
func TestEnumTableListsEveryConstant(t *testing.T) {
	t.Parallel()
	byName := map[string]reflect.Type{}
	for typ := range enumTable {
		byName[typ.Name()] = typ
	}
	declared := map[string][]string{}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || byName[id.Name] == nil {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					require.True(t, ok, "%s constant of %s is a literal", f, id.Name)
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					declared[id.Name] = append(declared[id.Name], s)
				}
			}
		}
	}
	for name, typ := range byName {
		require.NotEmpty(t, declared[name], name)
		for _, v := range declared[name] {
			assert.Contains(t, enumTable[typ], v, "%s(%q) is declared but not in the enumeration table", name, v)
		}
		assert.Len(t, enumTable[typ], len(declared[name]), "%s lists exactly its constants", name)
	}
	assert.True(t, ProductInclude("images").Valid())
	assert.False(t, ProductInclude("image").Valid())
	assert.True(t, CertificateCategory.Valid())
	assert.False(t, ProductStatus(4).Valid())
	assert.True(t, ActiveFlag(0).Valid())
	assert.Equal(t, "seller,categories,inventory,attributes,images", allProductIncludes)
}

// Every problem a check reports reads after its field's name as a
// sentence: "price must be greater than 0", "status is "x", not one of
// ...". The problems are the format strings given to validator.add and
// validator.check and the FieldProblem literals of the package.
func TestValidationProblemsReadAfterTheField(t *testing.T) {
	t.Parallel()
	starts := []string{"is ", "are ", "must ", "needs ", "has ", "repeats ", "duplicates ", "names ", "leaves "}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(node ast.Node) bool {
			var arg ast.Expr
			switch x := node.(type) {
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				switch {
				case !ok:
				case sel.Sel.Name == "add" && len(x.Args) >= 2:
					arg = x.Args[1]
				case sel.Sel.Name == "check" && len(x.Args) >= 3:
					arg = x.Args[2]
				}
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && id.Name == "Problem" {
					arg = x.Value
				}
			}
			for b, ok := arg.(*ast.BinaryExpr); ok; b, ok = arg.(*ast.BinaryExpr) {
				arg = b.X // "is required: " + hint
			}
			lit, ok := arg.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			text, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			if text == "%s" { // a problem worded by a helper
				return true
			}
			n++
			assert.True(t, slices.ContainsFunc(starts, func(s string) bool { return strings.HasPrefix(text, s) }),
				"%s: problem %q does not read after its field's name", fset.Position(lit.Pos()), text)
			return true
		})
	}
	assert.Greater(t, n, 100, "the problems were found")
}

// A ValidationError reads as sentences, one per problem, each naming its
// field; a problem of the whole request has no field.
func TestValidationErrorReadsAsSentences(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	_, _, err := c.V2.Products.Update(context.Background(), ProductUpdateV2{})
	require.EqualError(t, err, "tiki: invalid request: product_id is required when original_sku is empty; "+
		"price is not set, and neither are quantity and active: nothing to update")
	assert.Zero(t, s.count())
	e := &ValidationError{Problems: []FieldProblem{{Problem: "nothing to send"}, {"limit", "must be at most 100"}}}
	assert.EqualError(t, e, "tiki: invalid request: nothing to send; limit must be at most 100")
	assert.False(t, errors.Is(e, ErrNilContext))
}

// A value the SDK already knows is accepted by WithEnumValues and changes
// nothing: a program that allowed a value Tiki added keeps starting once a
// later release of the SDK knows it, and sends it as before.
func TestWithEnumValuesAcceptsKnownValues(t *testing.T) {
	t.Parallel()
	c, s := setup(t,
		WithEnumValues(OrderStatusQueueing, OrderStatusComplete),
		WithEnumValues[OrderStatus]("lost", "queueing"),
		WithEnumValues(EventOrderCreated),
	)
	assert.Equal(t, enumValues{reflect.TypeFor[OrderStatus](): {"lost"}}, c.enums, "only the new value is recorded")

	s.respond(http.MethodGet, "/v2/orders", 200, []byte(`{"data":[],"paging":{"current_page":1,"last_page":1}}`))
	_, _, err := c.Orders.List(context.Background(), &OrderListOptions{Status: In(OrderStatusQueueing, "lost", OrderStatusComplete)})
	require.NoError(t, err)
	requireWire(t, s.last(), http.MethodGet, "/v2/orders", map[string][]string{"status": {"in|queueing,lost,complete"}})

	// A refusal lists each value once.
	_, _, err = c.Orders.List(context.Background(), &OrderListOptions{Status: In[OrderStatus]("found")})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Problems, 1)
	assert.Equal(t, 1, strings.Count(ve.Problems[0].Problem, `"queueing"`), ve.Problems[0].Problem)
	assert.Equal(t, 1, strings.Count(ve.Problems[0].Problem, `"lost"`), ve.Problems[0].Problem)
	assert.Equal(t, 1, s.count(), "nothing is sent for a refused value")
}
