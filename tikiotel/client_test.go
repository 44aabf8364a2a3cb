package tikiotel_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikiotel"
	"github.com/tikisdk/tiki/tikitest"
)

// A call retried after a 429 and a 503 is one client span named after its
// endpoint, with the seller, the last status, the attempts and Tiki's
// request id, and an event per retry; the metrics count its requests by
// status, its retries, the 429, its limiter waits and its duration.
func TestACallIsOneSpanAndItsMetrics(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	order, err := r.fake.CreateOrder(tikitest.OrderSpec{})
	require.NoError(t, err)
	path := "/integration/v2/orders/" + order.Code
	require.NoError(t, r.fake.Inject(tikitest.Fault{Method: http.MethodGet, Path: path, Status: http.StatusTooManyRequests}))
	require.NoError(t, r.fake.Inject(tikitest.Fault{Method: http.MethodGet, Path: path, Status: http.StatusServiceUnavailable}))

	got, resp, err := r.client().Orders.Get(context.Background(), order.Code, nil)
	require.NoError(t, err)
	assert.Equal(t, order.Code, got.Code)
	assert.Equal(t, 3, resp.Attempts)

	spans := r.ended()
	require.Len(t, spans, 1)
	s := spans[0]
	assert.Equal(t, "GET /v2/orders/{code}", s.Name)
	assert.Equal(t, "client", s.Kind)
	assert.Equal(t, []string{
		"http.request.method=GET",
		"http.response.status_code=200",
		"server.address=127.0.0.1",
		"tiki.attempts=3",
		"tiki.request.id=req-3",
		"tiki.seller.id=seller-7",
		"url.template=/v2/orders/{code}",
	}, s.Attrs)
	assert.Equal(t, "Unset", s.Status)
	require.Len(t, s.Events, 2)
	for i, status := range []string{"429", "503"} {
		e := s.Events[i]
		assert.Equal(t, "tiki.retry", e.Name)
		require.Len(t, e.Attrs, 3)
		assert.Equal(t, "http.response.status_code="+status, e.Attrs[0])
		assert.Equal(t, "tiki.attempt="+string(rune('1'+i)), e.Attrs[1])
		assert.True(t, strings.HasPrefix(e.Attrs[2], "tiki.retry.wait=0.00"), e.Attrs[2])
	}

	const endpoint = "http.request.method=GET,url.template=/v2/orders/{code}"
	assert.Equal(t, map[string]map[string]float64{
		"tiki.client.call.duration": {"http.request.method=GET,http.response.status_code=200,url.template=/v2/orders/{code}": 1},
		"tiki.client.requests": {
			"http.request.method=GET,http.response.status_code=429,url.template=/v2/orders/{code}": 1,
			"http.request.method=GET,http.response.status_code=503,url.template=/v2/orders/{code}": 1,
			"http.request.method=GET,http.response.status_code=200,url.template=/v2/orders/{code}": 1,
		},
		"tiki.client.retries": {
			"http.request.method=GET,http.response.status_code=429,url.template=/v2/orders/{code}": 1,
			"http.request.method=GET,http.response.status_code=503,url.template=/v2/orders/{code}": 1,
		},
		"tiki.client.rate_limited": {endpoint: 1},
		"tiki.client.limiter.wait": {endpoint: 3},
	}, r.collect())
}

// A failed call's span has the status Error, described by the kind of
// failure: Tiki's status, the context's end, or the error's Go type; its
// metrics carry the same error.type. The error's text is recorded nowhere.
func TestAFailedCallRecordsTheKindOfItsError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     tikitest.Fault
		ctx       func() (context.Context, context.CancelFunc)
		errorType string
		attempt   string // the request's error.type, when it got no answer
		attrs     []string
	}{
		{
			name:      "refused",
			fault:     tikitest.Fault{Status: http.StatusNotFound, Body: []byte(`{"errors":["order 929231617 of Nguyễn Văn A not found"]}`)},
			errorType: "404",
			attrs:     []string{"http.response.status_code=404", "tiki.attempts=1", "tiki.request.id=req-1"},
		},
		{
			name:      "hang-up",
			fault:     tikitest.Fault{Close: true},
			errorType: "*tiki.RequestError",
			attempt:   "*url.Error",
			attrs:     []string{"tiki.attempts=1"},
		},
		{
			name:  "deadline",
			fault: tikitest.Fault{Delay: time.Second},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 20*time.Millisecond)
			},
			errorType: "context.DeadlineExceeded",
			attempt:   "context.DeadlineExceeded",
			attrs:     []string{"tiki.attempts=1"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			tc.fault.Method, tc.fault.Path = http.MethodPost, "/integration/v1/queues"
			require.NoError(t, r.fake.Inject(tc.fault))
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			_, _, err := r.client().EventQueue.CreateQueue(ctx, "orders")
			require.Error(t, err)

			spans := r.ended()
			require.Len(t, spans, 1)
			want := append([]string{
				"error.type=" + tc.errorType,
				"http.request.method=POST",
				"server.address=127.0.0.1",
				"tiki.seller.id=seller-7",
				"url.template=/v1/queues",
			}, tc.attrs...)
			assert.ElementsMatch(t, want, spans[0].Attrs)
			assert.Equal(t, "Error: "+tc.errorType, spans[0].Status)
			assert.Empty(t, spans[0].Events, "a POST that may have reached Tiki is not retried")

			status := ""
			if tc.errorType == "404" {
				status = "http.response.status_code=404,"
			}
			m := r.collect()
			assert.Equal(t, map[string]float64{"error.type=" + tc.errorType + ",http.request.method=POST," + status + "url.template=/v1/queues": 1},
				m["tiki.client.call.duration"])
			request := "error.type=" + tc.attempt + ",http.request.method=POST,url.template=/v1/queues"
			if tc.attempt == "" {
				request = "http.request.method=POST,http.response.status_code=404,url.template=/v1/queues"
			}
			assert.Equal(t, map[string]float64{request: 1}, m["tiki.client.requests"])
		})
	}
}

// Token renewals are counted by reason and outcome, and each is a span,
// the child of the call that waited for it.
func TestTokenRenewalsAreCountedAndTraced(t *testing.T) {
	t.Parallel()
	r := newRig(t, tikitest.WithClientCredentials("app-id", "app-secret-0123456789"))
	c := r.clientAuth(tiki.WithClientCredentials(r.fake.ClientCredentials()))
	_, _, err := c.Sellers.Get(context.Background())
	require.NoError(t, err)
	r.fake.ExpireTokens()
	_, _, err = c.Sellers.Get(context.Background())
	require.NoError(t, err)

	bad := r.clientAuth(tiki.WithClientCredentials(tiki.ClientCredentials{ClientID: "app-id", ClientSecret: "wrong-secret-0123456789"}), tiki.WithSellerID("seller-8"))
	_, _, err = bad.Sellers.Get(context.Background())
	var te *tiki.TokenError
	require.ErrorAs(t, err, &te)

	var renewals []span
	for _, s := range r.ended() {
		if s.Name == "tiki token renewal" {
			renewals = append(renewals, s)
		}
	}
	assert.Equal(t, []span{
		{Name: "tiki token renewal", Kind: "client", Attrs: []string{"tiki.seller.id=seller-7", "tiki.token.reason=first"}, Status: "Unset", Parent: "GET /v2/sellers/me"},
		{Name: "tiki token renewal", Kind: "client", Attrs: []string{"tiki.seller.id=seller-7", "tiki.token.reason=refused"}, Status: "Unset", Parent: "GET /v2/sellers/me"},
		{Name: "tiki token renewal", Kind: "client", Attrs: []string{"error.type=*tiki.TokenError", "tiki.seller.id=seller-8", "tiki.token.reason=first"},
			Status: "Error: *tiki.TokenError", Parent: "GET /v2/sellers/me"},
	}, renewals)
	assert.Equal(t, map[string]float64{
		"tiki.token.reason=first":                             1,
		"tiki.token.reason=refused":                           1,
		"error.type=*tiki.TokenError,tiki.token.reason=first": 1,
	}, r.collect()["tiki.client.token.renewals"])
}

// Whatever the calls carry (order codes, SKUs, customers' names and
// addresses, query values, credentials, Tiki's messages), no span name,
// attribute, event or status and no metric attribute holds it.
func TestNoSecretOrCustomerDataInTelemetry(t *testing.T) {
	t.Parallel()
	r := newRig(t, tikitest.WithClientCredentials("app-id", "app-secret-0123456789"))
	order, err := r.fake.CreateOrder(tikitest.OrderSpec{Items: []tikitest.OrderItemSpec{{SellerProductCode: "SHIRT-RED-XL", Name: "Áo sơ mi đỏ"}}})
	require.NoError(t, err)
	ctx := context.Background()
	c := r.clientAuth(tiki.WithClientCredentials(r.fake.ClientCredentials()))

	got, _, err := c.Orders.Get(ctx, order.Code, nil)
	require.NoError(t, err)
	_, _, err = c.Orders.List(ctx, &tiki.OrderListOptions{Codes: []string{order.Code}, SKUs: []string{"SHIRT-RED-XL"}})
	require.NoError(t, err)
	_, _, err = c.Products.FindByOriginalSKU(ctx, "SHIRT-RED-XL")
	require.NoError(t, err)
	require.NoError(t, r.fake.Inject(tikitest.Fault{Path: "/integration/v2/orders/" + order.Code, Status: 404,
		Body: []byte(`{"errors":["order ` + order.Code + ` of ` + got.Customer.FullName + ` not found"]}`)}))
	_, _, err = c.Orders.Get(ctx, order.Code, nil)
	require.Error(t, err)
	_, err = c.Call(ctx, http.MethodGet, "v2/orders/"+order.Code+"/history", nil, nil, nil)
	require.Error(t, err)

	var text []string
	for _, s := range r.ended() {
		text = append(text, s.Name, s.Status)
		text = append(text, s.Attrs...)
		for _, e := range s.Events {
			text = append(text, e.Name)
			text = append(text, e.Attrs...)
		}
	}
	for name, points := range r.collect() {
		text = append(text, name)
		for attrs := range points {
			text = append(text, attrs)
		}
	}
	all := strings.Join(text, "\n")
	require.Contains(t, all, "GET /v2/orders/{code}")
	require.Contains(t, all, "GET /v2/{path}")
	for _, secret := range []string{
		order.Code, "SHIRT-RED-XL", "Áo", got.Items[0].Product.SKU, got.Customer.FullName, got.Shipping.Address.FullName,
		got.Shipping.Address.Street, got.Shipping.Address.Ward, "app-id", "app-secret-0123456789", "Bearer", "history", "original_sku", "?",
	} {
		require.NotEmpty(t, secret)
		assert.NotContains(t, all, secret)
	}
}

// New lists every problem of its options in one *tiki.ValidationError.
func TestNewRefusesNilProviders(t *testing.T) {
	t.Parallel()
	tel, err := tikiotel.New(tikiotel.WithTracerProvider(nil), tikiotel.WithMeterProvider(nil), nil)
	assert.Nil(t, tel)
	var ve *tiki.ValidationError
	require.True(t, errors.As(err, &ve), "%T %v", err, err)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "WithTracerProvider", Problem: "must not be a nil trace.TracerProvider"},
		{Field: "WithMeterProvider", Problem: "must not be a nil metric.MeterProvider"},
		{Field: "opts[2]", Problem: "is a nil Option"},
	}, ve.Problems)
}
