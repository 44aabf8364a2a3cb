package tiki

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queryKinds has a field of every kind encodeQuery handles.
type queryKinds struct {
	Str        string              `url:"str"`
	StrOmit    string              `url:"str_omit,omitempty"`
	Named      OrderStatus         `url:"named,omitempty"`
	Int        int                 `url:"int,omitempty"`
	Int64      int64               `url:"int64,omitempty"`
	IntPtr     *int                `url:"int_ptr"`
	Bool       bool                `url:"bool,omitempty"`
	BoolPtr    *bool               `url:"bool_ptr"`
	BoolAsInt  *bool               `url:"bool_int,int"`
	Flag       *ActiveFlag         `url:"flag"`
	At         Time                `url:"at,omitempty"`
	List       []string            `url:"list,omitempty"`
	NamedList  []OrderInclude      `url:"named_list,omitempty"`
	Filter     Filter[OrderStatus] `url:"filter,omitempty"`
	Skipped    string              `url:"-"`
	Untagged   string
	unexported string `url:"unexported"`
	ListOptions
}

func TestEncodeQueryEncodesEveryTagKind(t *testing.T) {
	t.Parallel()
	yes, no, zero, active := true, false, 0, ProductActive
	at := NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	got := encodeQuery(&queryKinds{
		Str:        "a b",
		StrOmit:    "x",
		Named:      OrderStatusQueueing,
		Int:        -3,
		Int64:      1 << 40,
		IntPtr:     &zero,
		Bool:       true,
		BoolPtr:    &no,
		BoolAsInt:  &yes,
		Flag:       &active,
		At:         at,
		List:       []string{"a", "b"},
		NamedList:  []OrderInclude{IncludeItemFees, IncludeStatusHistories},
		Filter:     NotIn(OrderStatusProcessing, OrderStatusWaitingPayment),
		Skipped:    "no",
		Untagged:   "no",
		unexported: "no",
		ListOptions: ListOptions{
			Page: 2, Limit: 50,
		},
	})
	assert.Equal(t, map[string][]string{
		"str":        {"a b"},
		"str_omit":   {"x"},
		"named":      {"queueing"},
		"int":        {"-3"},
		"int64":      {"1099511627776"},
		"int_ptr":    {"0"},
		"bool":       {"true"},
		"bool_ptr":   {"false"},
		"bool_int":   {"1"},
		"flag":       {"1"},
		"at":         {"2024-01-02 10:04:05"},
		"list":       {"a,b"},
		"named_list": {"item.fees,status_histories"},
		"filter":     {"nin|processing,waiting_payment"},
		"page":       {"2"},
		"limit":      {"50"},
	}, map[string][]string(got))
}

func TestEncodeQueryLeavesOutZeroValues(t *testing.T) {
	t.Parallel()
	// Only the field without omitempty is sent; nil pointers never are.
	assert.Equal(t, map[string][]string{"str": {""}}, map[string][]string(encodeQuery(queryKinds{})))
	// An empty list, and a list of one empty value, send nothing.
	got := encodeQuery(queryKinds{List: []string{}, NamedList: []OrderInclude{""}, Filter: In[OrderStatus]("")})
	assert.Equal(t, map[string][]string{"str": {""}}, map[string][]string(got))
	// A bool sent as an int is 0 when false.
	no := false
	assert.Equal(t, []string{"0"}, encodeQuery(queryKinds{BoolAsInt: &no})["bool_int"])
	// A single-value filter is sent as the value.
	assert.Equal(t, []string{"queueing"}, encodeQuery(queryKinds{Filter: In(OrderStatusQueueing)})["filter"])
	assert.Equal(t, []string{"in|queueing,canceled"}, encodeQuery(queryKinds{Filter: In(OrderStatusQueueing, OrderStatusCanceled)})["filter"])
}

func TestEncodeQueryOfNothing(t *testing.T) {
	t.Parallel()
	assert.Empty(t, encodeQuery(nil))
	assert.Empty(t, encodeQuery((*OrderListOptions)(nil)))
	assert.Empty(t, encodeQuery(42))
	assert.Empty(t, encodeQuery(&OrderListOptions{}))
}

// queryOptionsTypes are the options types whose fields become query
// parameters.
var queryOptionsTypes = []any{
	ListOptions{}, CategoriesOptions{}, CategoriesOptionsV1{}, CategoryOptions{}, AttributeValuesOptions{},
	BrandsOptions{}, RequiredDocumentsOptions{}, ProductsOptions{}, HiddenProductsOptions{},
	ProductRequestsOptions{}, productRequestsQuery{}, TrackingOptions{}, SellerWarehousesOptions{},
	SellerWarehouseListOptions{}, OrderListOptions{}, OrderGetOptions{}, LabelOptions{},
	OrderListOptionsV1{}, PrintLabelOptions{},
}

// Every exported field of an options type says how it is sent: a url tag
// (its name, or "-" for a field that is not sent), or an embedded options
// type; and every tagged field is of a kind encodeQuery knows.
func TestOptionsTypesTagEveryField(t *testing.T) {
	t.Parallel()
	for _, o := range queryOptionsTypes {
		typ := reflect.TypeOf(o)
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				continue
			}
			tag, ok := f.Tag.Lookup("url")
			if !assert.True(t, ok, "%s.%s has no url tag", typ.Name(), f.Name) || tag == "-" {
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			_, isStringer := reflect.New(ft).Elem().Interface().(interface{ String() string })
			switch ft.Kind() {
			case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
			case reflect.Struct:
				assert.True(t, isStringer, "%s.%s: a struct field must have a String method (Time, Filter)", typ.Name(), f.Name)
			default:
				t.Errorf("%s.%s: encodeQuery does not encode %s", typ.Name(), f.Name, ft.Kind())
			}
		}
	}
}

// sameRequest runs a and b on clients of their own and asserts that they
// sent the same requests (or none) and failed validation alike.
func sameRequest(t *testing.T, a, b func(ctx context.Context, c *Client) error) {
	t.Helper()
	// captured is what a request sent, the server's address aside.
	type captured struct {
		Method, Path, Query, Body string
	}
	run := func(call func(ctx context.Context, c *Client) error) ([]captured, error) {
		c, s := setup(t)
		s.handle("/", status(200, `{}`))
		err := call(context.Background(), c)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			err = nil // decode errors of the {} answer do not matter here
		}
		var sent []captured
		for _, got := range s.requests() {
			sent = append(sent, captured{got.Method, got.Path, got.RawQuery, got.Body})
		}
		return sent, err
	}
	gotA, errA := run(a)
	gotB, errB := run(b)
	assert.True(t, len(gotA) > 0 || errA != nil, "the call neither sent a request nor was refused")
	assert.Equal(t, gotA, gotB)
	assert.Equal(t, errA, errB)
}

// Nil options are the zero options: every method that takes options sends
// the same request (or refuses it alike) for nil and for a pointer to the
// zero value of its options type.
func TestNilOptionsAreTheZeroOptions(t *testing.T) {
	t.Parallel()
	order := &Order{Code: "123", FulfillmentType: FulfillmentDropship}
	waiting := &Order{Code: "124", FulfillmentType: FulfillmentSellerDelivery, TikiWarehouse: TikiWarehouseInfo{Code: "sgn"},
		Items: []OrderItem{{ID: 1, Confirmation: ItemConfirmation{Status: ConfirmationWaiting}}}}
	cases := []struct {
		name      string
		nil, zero func(ctx context.Context, c *Client) error
	}{
		{"Catalog.ListCategories",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, &CategoriesOptions{})
				return err
			}},
		{"V1.Catalog.ListCategories",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Catalog.ListCategories(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Catalog.ListCategories(ctx, &CategoriesOptionsV1{})
				return err
			}},
		{"Catalog.GetCategory",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetCategory(ctx, 8322, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetCategory(ctx, 8322, &CategoryOptions{})
				return err
			}},
		{"Catalog.ListAttributeValues",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributeValues(ctx, 540, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributeValues(ctx, 540, &AttributeValuesOptions{})
				return err
			}},
		{"Catalog.AllAttributeValues",
			func(ctx context.Context, c *Client) error { return first(c.Catalog.AllAttributeValues(ctx, 540, nil)) },
			func(ctx context.Context, c *Client) error {
				return first(c.Catalog.AllAttributeValues(ctx, 540, &AttributeValuesOptions{}))
			}},
		{"Catalog.ListBrands (refused: name is required)",
			func(ctx context.Context, c *Client) error { _, _, err := c.Catalog.ListBrands(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListBrands(ctx, &BrandsOptions{})
				return err
			}},
		{"Products.List",
			func(ctx context.Context, c *Client) error { _, _, err := c.Products.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.List(ctx, &ProductsOptions{})
				return err
			}},
		{"V2.Products.List",
			func(ctx context.Context, c *Client) error { _, _, err := c.V2.Products.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V2.Products.List(ctx, &ProductsOptions{})
				return err
			}},
		{"Products.ListHidden",
			func(ctx context.Context, c *Client) error { _, _, err := c.Products.ListHidden(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.ListHidden(ctx, &HiddenProductsOptions{})
				return err
			}},
		{"ProductRequests.List",
			func(ctx context.Context, c *Client) error { _, _, err := c.ProductRequests.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.ProductRequests.List(ctx, &ProductRequestsOptions{})
				return err
			}},
		{"Tracking.Latest",
			func(ctx context.Context, c *Client) error { _, _, err := c.Tracking.Latest(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Tracking.Latest(ctx, &TrackingOptions{})
				return err
			}},
		{"V1.Tracking.Latest",
			func(ctx context.Context, c *Client) error { _, _, err := c.V1.Tracking.Latest(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Tracking.Latest(ctx, &TrackingOptions{})
				return err
			}},
		{"V1.Warehouses.ListSeller",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Warehouses.ListSeller(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Warehouses.ListSeller(ctx, &SellerWarehousesOptions{})
				return err
			}},
		{"Sellers.ListWarehouses",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.ListWarehouses(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.ListWarehouses(ctx, &SellerWarehouseListOptions{})
				return err
			}},
		{"Orders.List",
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.List(ctx, &OrderListOptions{})
				return err
			}},
		{"Orders.All",
			func(ctx context.Context, c *Client) error { return first(c.Orders.All(ctx, nil)) },
			func(ctx context.Context, c *Client) error { return first(c.Orders.All(ctx, &OrderListOptions{})) }},
		{"Orders.Get",
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.Get(ctx, "123", nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Get(ctx, "123", &OrderGetOptions{})
				return err
			}},
		{"Orders.Label",
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.Label(ctx, order, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Label(ctx, order, &LabelOptions{})
				return err
			}},
		{"Orders.Confirm",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Confirm(ctx, waiting, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Confirm(ctx, waiting, &ConfirmOptions{})
				return err
			}},
		{"Tracking.Wait",
			func(ctx context.Context, c *Client) error { _, _, err := c.Tracking.Wait(ctx, "t-1", nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Tracking.Wait(ctx, "t-1", &WaitOptions{})
				return err
			}},
		{"V1.Orders.List",
			func(ctx context.Context, c *Client) error { _, _, err := c.V1.Orders.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Orders.List(ctx, &OrderListOptionsV1{})
				return err
			}},
		{"V1.Orders.PrintLabel",
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Orders.PrintLabel(ctx, "123", nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.V1.Orders.PrintLabel(ctx, "123", &PrintLabelOptions{})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sameRequest(t, tc.nil, tc.zero)
		})
	}
}

// The zero options send no query parameter at all: Tiki applies its own
// defaults.
func TestZeroOptionsSendNoQuery(t *testing.T) {
	t.Parallel()
	c, s := setup(t)
	s.handle("/", status(200, `{}`))
	ctx := context.Background()
	_, _, _ = c.Orders.List(ctx, nil)
	_, _, _ = c.Products.List(ctx, nil)
	_, _, _ = c.Catalog.ListCategories(ctx, nil)
	_, _, _ = c.Tracking.Latest(ctx, nil)
	got := s.requests()
	require.Len(t, got, 4)
	for _, r := range got {
		assert.Empty(t, r.RawQuery, r.Path)
	}
}
