package tiki

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
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
	ListOptions{}, CategoriesOptions{}, categoriesQueryV1{}, CategoryOptions{}, AttributeValuesOptions{},
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

// captured is one request as the server saw it.
type captured struct {
	Method, Path, Query, Body string
}

// captureAll answers every request with 200 {} and records it.
func captureAll(mt *httpmock.MockTransport) func() []captured {
	var mu sync.Mutex
	var got []captured
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		c := captured{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			c.Body = string(b)
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
		return httpmock.NewStringResponse(http.StatusOK, `{}`), nil
	})
	return func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

// sameRequest runs a and b on clients of their own and asserts that they
// sent the same requests (or none) and failed validation alike.
func sameRequest(t *testing.T, opts []Option, a, b func(ctx context.Context, c *Client) error) {
	t.Helper()
	run := func(call func(ctx context.Context, c *Client) error) ([]captured, error) {
		c, mt := setup(t, opts...)
		sent := captureAll(mt)
		err := call(context.Background(), c)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			err = nil // decode errors of the {} answer do not matter here
		}
		return sent(), err
	}
	gotA, errA := run(a)
	gotB, errB := run(b)
	assert.True(t, len(gotA) > 0 || errA != nil, "the call neither sent a request nor was refused")
	assert.Equal(t, gotA, gotB)
	assert.Equal(t, errA, errB)
}

// first takes the first row (or error) of an iterator.
func first[T any](seq func(yield func(T, error) bool)) error {
	for _, err := range seq {
		return err
	}
	return nil
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
		opts      []Option
		nil, zero func(ctx context.Context, c *Client) error
	}{
		{"Catalog.ListCategories", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, &CategoriesOptions{})
				return err
			}},
		{"Catalog.ListCategories v1", []Option{WithAPIVersion(GroupCatalog, V1)},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListCategories(ctx, &CategoriesOptions{})
				return err
			}},
		{"Catalog.GetCategory", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetCategory(ctx, 8322, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.GetCategory(ctx, 8322, &CategoryOptions{})
				return err
			}},
		{"Catalog.ListAttributeValues", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributeValues(ctx, 540, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListAttributeValues(ctx, 540, &AttributeValuesOptions{})
				return err
			}},
		{"Catalog.AllAttributeValues", nil,
			func(ctx context.Context, c *Client) error { return first(c.Catalog.AllAttributeValues(ctx, 540, nil)) },
			func(ctx context.Context, c *Client) error {
				return first(c.Catalog.AllAttributeValues(ctx, 540, &AttributeValuesOptions{}))
			}},
		{"Catalog.ListBrands (refused: name is required)", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Catalog.ListBrands(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Catalog.ListBrands(ctx, &BrandsOptions{})
				return err
			}},
		{"Products.List", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Products.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.List(ctx, &ProductsOptions{})
				return err
			}},
		{"Products.ListV2", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Products.ListV2(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.ListV2(ctx, &ProductsOptions{})
				return err
			}},
		{"Products.ListHidden", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Products.ListHidden(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Products.ListHidden(ctx, &HiddenProductsOptions{})
				return err
			}},
		{"ProductRequests.List", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.ProductRequests.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.ProductRequests.List(ctx, &ProductRequestsOptions{})
				return err
			}},
		{"Tracking.Latest", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Tracking.Latest(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Tracking.Latest(ctx, &TrackingOptions{})
				return err
			}},
		{"Tracking.LatestV1", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Tracking.LatestV1(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Tracking.LatestV1(ctx, &TrackingOptions{})
				return err
			}},
		{"Warehouses.ListSeller", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Warehouses.ListSeller(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Warehouses.ListSeller(ctx, &SellerWarehousesOptions{})
				return err
			}},
		{"Sellers.ListWarehouses", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.ListWarehouses(ctx, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Sellers.ListWarehouses(ctx, &SellerWarehouseListOptions{})
				return err
			}},
		{"Orders.List", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.List(ctx, &OrderListOptions{})
				return err
			}},
		{"Orders.All", nil,
			func(ctx context.Context, c *Client) error { return first(c.Orders.All(ctx, nil)) },
			func(ctx context.Context, c *Client) error { return first(c.Orders.All(ctx, &OrderListOptions{})) }},
		{"Orders.Get", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.Get(ctx, "123", nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Get(ctx, "123", &OrderGetOptions{})
				return err
			}},
		{"Orders.Label", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Orders.Label(ctx, order, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Label(ctx, order, &LabelOptions{})
				return err
			}},
		{"Orders.Confirm", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Confirm(ctx, waiting, nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Orders.Confirm(ctx, waiting, &ConfirmOptions{})
				return err
			}},
		{"Tracking.Wait", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.Tracking.Wait(ctx, "t-1", nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.Tracking.Wait(ctx, "t-1", &WaitOptions{})
				return err
			}},
		{"OrdersV1.List", nil,
			func(ctx context.Context, c *Client) error { _, _, err := c.OrdersV1.List(ctx, nil); return err },
			func(ctx context.Context, c *Client) error {
				_, _, err := c.OrdersV1.List(ctx, &OrderListOptionsV1{})
				return err
			}},
		{"OrdersV1.PrintLabel", nil,
			func(ctx context.Context, c *Client) error {
				_, _, err := c.OrdersV1.PrintLabel(ctx, "123", nil)
				return err
			},
			func(ctx context.Context, c *Client) error {
				_, _, err := c.OrdersV1.PrintLabel(ctx, "123", &PrintLabelOptions{})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sameRequest(t, tc.opts, tc.nil, tc.zero)
		})
	}
}

// The zero options send no query parameter at all: Tiki applies its own
// defaults.
func TestZeroOptionsSendNoQuery(t *testing.T) {
	t.Parallel()
	c, mt := setup(t)
	sent := captureAll(mt)
	ctx := context.Background()
	_, _, _ = c.Orders.List(ctx, nil)
	_, _, _ = c.Products.List(ctx, nil)
	_, _, _ = c.Catalog.ListCategories(ctx, nil)
	_, _, _ = c.Tracking.Latest(ctx, nil)
	got := sent()
	require.Len(t, got, 4)
	for _, r := range got {
		assert.Empty(t, r.Query, r.Path)
	}
}
