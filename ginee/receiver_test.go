package ginee_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/ginee"
	"github.com/tikisdk/tiki/internal/webhooktest"
	"github.com/tikisdk/tiki/webhook"
)

// TestReceiverConformance runs the tests every receiver must pass: options
// applied, 405, 400, retries after a handler error, duplicates, the zero
// value.
func TestReceiverConformance(t *testing.T) {
	t.Parallel()
	webhooktest.Run(t, harness(t))
}

func TestReceiverDispatches(t *testing.T) {
	t.Parallel()
	okReply := string(fixture(t, okReplyFixture))

	tests := []struct {
		fixture string
		check   func(t *testing.T, ev ginee.Event)
	}{
		{orderCreate, func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.OrderEvent{}, ev)
			assert.Equal(t, wantOrderEnvelope(t), *ev.EventEnvelope())
			assert.Equal(t, wantOrder(), ev.(*ginee.OrderEvent).Order)
		}},
		{deliveryOrderCreate, func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, ginee.ActionCreate, ev.EventEnvelope().Action)
		}},
		{deliveryOrderUpdate, func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, wantUpdateEnvelope(t), *ev.EventEnvelope())
			assert.Equal(t, wantUpdatedDeliveryOrder(), ev.(*ginee.DeliveryOrderEvent).DeliveryOrder)
		}},
		{deliveryOrderDelete, func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.DeliveryOrderEvent{}, ev)
			assert.Equal(t, ginee.ActionDelete, ev.EventEnvelope().Action)
			assert.Equal(t, wantDeletedDeliveryOrder(), ev.(*ginee.DeliveryOrderEvent).DeliveryOrder)
		}},
		{unknownEntity, func(t *testing.T, ev ginee.Event) {
			require.IsType(t, &ginee.UnknownEvent{}, ev)
			assert.Equal(t, ginee.Entity("product"), ev.EventEnvelope().Entity)
			assert.JSONEq(t, `{"productId": "P1", "stock": 3}`, string(ev.EventEnvelope().Payload))
		}},
	}
	for _, tt := range tests {
		t.Run(path.Base(tt.fixture), func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, ginee.WithoutAuthentication())
			rec := webhooktest.Record(rc, registerAll)

			w := post(rc, hookURL, fixture(t, tt.fixture))
			assert.Equal(t, http.StatusOK, w.Code)
			assert.JSONEq(t, okReply, w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			got := rec.Got()
			require.Len(t, got, 1)
			tt.check(t, got[0])
		})
	}
}

func TestReceiverSecretHeader(t *testing.T) {
	t.Parallel()
	body := fixture(t, orderCreate)
	okReply := string(fixture(t, okReplyFixture))

	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"right", []string{"X-Ginee-Secret", "s3cr3t-value"}, http.StatusOK},
		{"header name is case-insensitive", []string{"x-ginee-secret", "s3cr3t-value"}, http.StatusOK},
		{"missing", nil, http.StatusUnauthorized},
		{"empty", []string{"X-Ginee-Secret", ""}, http.StatusUnauthorized},
		{"wrong", []string{"X-Ginee-Secret", "guess"}, http.StatusUnauthorized},
		{"value is case-sensitive", []string{"X-Ginee-Secret", "S3CR3T-VALUE"}, http.StatusUnauthorized},
		{"prefix", []string{"X-Ginee-Secret", "s3cr3t-valu"}, http.StatusUnauthorized},
		{"other header", []string{"Authorization", "s3cr3t-value"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var errs webhooktest.Errors
			rc := newReceiver(t, ginee.WithSecretHeader("X-Ginee-Secret", "s3cr3t-value"), errs.Option())
			rec := webhooktest.Record(rc, registerAll)

			w := post(rc, hookURL, body, tt.header...)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusOK {
				assert.JSONEq(t, okReply, w.Body.String())
				assert.Len(t, rec.Got(), 1)
				return
			}
			assert.JSONEq(t, errReply(http.StatusUnauthorized), w.Body.String())
			assert.Empty(t, rec.Got(), "no handler runs")
			assert.ErrorIs(t, errs.Last(), webhook.ErrUnauthorized)
		})
	}
}

func TestReceiverPathSecret(t *testing.T) {
	t.Parallel()
	body := fixture(t, orderCreate)

	tests := []struct {
		path   string
		status int
	}{
		{"/webhooks/ginee/Zt8w-Q3k_p", http.StatusOK},
		{"/Zt8w-Q3k_p", http.StatusOK},
		{"/webhooks/ginee/Zt8w%2DQ3k_p", http.StatusOK}, // percent-encoded "-"
		{"/webhooks/ginee", http.StatusUnauthorized},
		{"/webhooks/ginee/", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_p/", http.StatusUnauthorized},
		{"/webhooks/ginee/zt8w-q3k_p", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_", http.StatusUnauthorized},
		{"/webhooks/ginee/Zt8w-Q3k_p/extra", http.StatusUnauthorized},
		{"/webhooks/ginee?secret=Zt8w-Q3k_p", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, ginee.WithPathSecret("Zt8w-Q3k_p"))
			rec := webhooktest.Record(rc, registerAll)

			w := post(rc, tt.path, body)
			assert.Equal(t, tt.status, w.Code)
			if tt.status == http.StatusOK {
				assert.Len(t, rec.Got(), 1)
			} else {
				assert.Empty(t, rec.Got())
			}
		})
	}
}

func TestReceiverBothSecretsMustMatch(t *testing.T) {
	t.Parallel()
	body := fixture(t, orderCreate)

	// In either order of the options.
	for _, opts := range [][]webhook.Option{
		{ginee.WithPathSecret("path-secret"), ginee.WithSecretHeader("X-Secret", "header-secret")},
		{ginee.WithSecretHeader("X-Secret", "header-secret"), ginee.WithPathSecret("path-secret")},
	} {
		rc := newReceiver(t, opts...)
		rec := webhooktest.Record(rc, registerAll)

		assert.Equal(t, http.StatusUnauthorized, post(rc, "/hook/path-secret", body).Code)
		assert.Equal(t, http.StatusUnauthorized, post(rc, "/hook/wrong", body, "X-Secret", "header-secret").Code)
		assert.Empty(t, rec.Got())
		assert.Equal(t, http.StatusOK, post(rc, "/hook/path-secret", body, "X-Secret", "header-secret").Code)
		assert.Len(t, rec.Got(), 1)
	}
}

// Without a shared secret, NewReceiver refuses to build a receiver that
// anyone could send forged notifications to, unless the caller says so with
// WithoutAuthentication; secrets given beside it still apply.
func TestReceiverNeedsAuthenticationOrAnExplicitOptOut(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]webhook.Option{nil, {webhook.WithMaxBodyBytes(1 << 10)}} {
		rc, err := ginee.NewReceiver(opts...)
		assert.Nil(t, rc)
		var ve *tiki.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Problems, 1)
		assert.Equal(t, "authentication", ve.Problems[0].Field)
		assert.Contains(t, ve.Problems[0].Problem, "is not configured: Ginee does not sign its notifications")
		assert.Contains(t, ve.Problems[0].Problem, "WithoutAuthentication()")
	}

	rc := newReceiver(t, ginee.WithoutAuthentication())
	rec := webhooktest.Record(rc, registerAll)
	assert.Equal(t, http.StatusOK, post(rc, "/anything", fixture(t, orderCreate)).Code, "accepted on purpose")
	assert.Len(t, rec.Got(), 1)

	for _, opts := range [][]webhook.Option{
		{ginee.WithoutAuthentication(), ginee.WithPathSecret("path-secret")},
		{ginee.WithPathSecret("path-secret"), ginee.WithoutAuthentication()},
	} {
		rc := newReceiver(t, opts...)
		rec := webhooktest.Record(rc, registerAll)
		assert.Equal(t, http.StatusUnauthorized, post(rc, "/anything", fixture(t, orderCreate)).Code, "the secret still applies")
		assert.Equal(t, http.StatusOK, post(rc, "/hook/path-secret", fixture(t, orderCreate)).Code)
		assert.Len(t, rec.Got(), 1)
	}
}

// A documented entity without a handler, and an undocumented entity
// without OnUnknown, are answered 501, so that Ginee delivers them again,
// and reported. Neither decodes the payload nor touches the store.
// OnUnknown(webhook.Ignore) acknowledges undocumented entities on purpose.
func TestReceiverWithoutHandler(t *testing.T) {
	t.Parallel()
	okReply := string(fixture(t, okReplyFixture))
	store := new(dedupe.MemoryStore)
	var errs webhooktest.Errors
	rc := newReceiver(t, ginee.WithoutAuthentication(), webhook.WithDedupe(store), errs.Option())
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { return errors.New("not this one") })

	for _, body := range [][]byte{
		fixture(t, deliveryOrderUpdate),
		[]byte(`{"id": "GENIE1", "entity": "delivery-order", "payload": {"orderItems": "unreadable"}}`),
	} {
		w := post(rc, hookURL, body)
		assert.Equal(t, http.StatusNotImplemented, w.Code, string(body))
		assert.JSONEq(t, `{"status": false, "message": "Not Implemented"}`, w.Body.String())
		assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	}
	assert.ErrorContains(t, errs.Last(), `"delivery-order" notification`)

	w := post(rc, hookURL, fixture(t, unknownEntity))
	assert.Equal(t, http.StatusNotImplemented, w.Code)
	assert.JSONEq(t, `{"status": false, "message": "Not Implemented"}`, w.Body.String())
	assert.ErrorIs(t, errs.Last(), webhook.ErrNoHandler)
	assert.ErrorContains(t, errs.Last(), `entity "product", which Ginee does not document: register OnUnknown`)
	assert.Equal(t, 0, store.Len())
	rc.OnUnknown(webhook.Ignore)
	w = post(rc, hookURL, fixture(t, unknownEntity))
	assert.Equal(t, http.StatusOK, w.Code, "ignored on purpose")
	assert.JSONEq(t, okReply, w.Body.String())

	rc.OnOrder(nil)
	assert.Equal(t, http.StatusNotImplemented, post(rc, hookURL, fixture(t, orderCreate)).Code, "a removed handler does not run")
	rc.OnDeliveryOrder(webhook.Ignore)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, fixture(t, deliveryOrderUpdate)).Code, "ignored on purpose")
}

func TestReceiverDedupesByID(t *testing.T) {
	t.Parallel()
	okReply := string(fixture(t, okReplyFixture))
	rc := newReceiver(t, ginee.WithoutAuthentication())
	var ids []string
	var mu sync.Mutex
	rc.OnDeliveryOrder(func(_ context.Context, ev *ginee.DeliveryOrderEvent) error {
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, ev.ID)
		return nil
	})

	body := fixture(t, deliveryOrderUpdate)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	// A copy whose body differs (Ginee re-serialized it) but with the same id.
	reformatted := bytes.ReplaceAll(body, []byte("\n"), nil)
	require.NotEqual(t, body, reformatted)
	w := post(rc, hookURL, reformatted)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, okReply, w.Body.String())
	// Another notification about the same delivery order is handled.
	other := bytes.Replace(body, []byte("GENIE5FF5D0245F150300015E5600"), []byte("GENIE5FF5D0245F150300015E5601"), 1)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, other).Code)

	assert.Equal(t, []string{"GENIE5FF5D0245F150300015E5600", "GENIE5FF5D0245F150300015E5601"}, ids)
}

func TestReceiverDedupesWithoutIDByBody(t *testing.T) {
	t.Parallel()
	store := webhooktest.NewRecordingStore()
	rc := newReceiver(t, ginee.WithoutAuthentication(), webhook.WithDedupe(store))
	var calls atomic.Int32
	rc.OnOrder(func(context.Context, *ginee.OrderEvent) error { calls.Add(1); return nil })

	body := []byte(`{"entity": "order", "action": "CREATE", "payload": {"orderId": "order_1"}}`)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, http.StatusOK, post(rc, hookURL, body).Code)
	assert.Equal(t, int32(1), calls.Load())
	key := "ginee:body:" + webhook.BodyKey(body)
	assert.Equal(t, []string{"claim " + key + " 5m0s", "complete " + key + " 24h0m0s", "claim " + key + " 5m0s"}, store.Calls())
}

// TestNewReceiverValidates goes over every option of this package: each
// invalid value is a *tiki.ValidationError naming the option, and with
// several invalid options (and those of package webhook) every problem is
// listed in one.
func TestNewReceiverValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opt  webhook.Option
		want []tiki.FieldProblem
	}{
		{ginee.WithSecretHeader("", "v"), []tiki.FieldProblem{{Field: "WithSecretHeader(name)", Problem: "is empty"}}},
		{ginee.WithSecretHeader("X-Secret", ""), []tiki.FieldProblem{{Field: "WithSecretHeader(value)", Problem: "is empty"}}},
		{ginee.WithSecretHeader("", ""), []tiki.FieldProblem{
			{Field: "WithSecretHeader(name)", Problem: "is empty"},
			{Field: "WithSecretHeader(value)", Problem: "is empty"},
		}},
		{ginee.WithPathSecret(""), []tiki.FieldProblem{{Field: "WithPathSecret(secret)", Problem: "is empty"}}},
		{ginee.WithPathSecret("a/b"), []tiki.FieldProblem{{Field: "WithPathSecret(secret)", Problem: `must not contain "/"`}}},
		{webhook.WithMaxBodyBytes(0), []tiki.FieldProblem{{Field: "WithMaxBodyBytes(n)", Problem: "must be positive (got 0)"}}},
	}
	var all []webhook.Option
	var allProblems []tiki.FieldProblem
	for _, tt := range tests {
		rc, err := ginee.NewReceiver(ginee.WithoutAuthentication(), tt.opt)
		webhooktest.RequireRefused(t, err, tt.want)
		assert.Nil(t, rc)
		all = append(all, tt.opt)
		allProblems = append(allProblems, tt.want...)
	}
	// Without a valid secret nor the opt-out, that is one more problem.
	rc, err := ginee.NewReceiver(ginee.WithPathSecret(""), nil)
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Nil(t, rc)
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	assert.Equal(t, []string{"WithPathSecret(secret)", "opts[1]", "authentication"}, fields)

	rc, err = ginee.NewReceiver(append(all, ginee.WithPathSecret("fine"), webhook.WithBodyTimeout(-1))...)
	webhooktest.RequireRefused(t, err, append(allProblems, tiki.FieldProblem{Field: "WithBodyTimeout(d)", Problem: "must be positive (got -1ns)"}))
	assert.Nil(t, rc)
}
