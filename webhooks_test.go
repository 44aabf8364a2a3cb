package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func docRegistration() *RegisterWebhooksRequest {
	return &RegisterWebhooksRequest{
		InventoryLocations: []string{"sgn", "sgn3", "hn5", "tbn1"},
		Webhooks: WebhookTargets{
			Order: &WebhookTarget{URL: "https://your_domain/webhooks/order", SecretKey: hookSecret},
			Stock: &WebhookTarget{URL: "https://your_domain/webhooks/stock", SecretKey: hookSecret},
		},
		ExternalPartnerID: "41235121321",
	}
}

func TestRegisterWebhooks(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	var got *http.Request
	var body []byte
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks", func(r *http.Request) (*http.Response, error) {
		got = r
		body, _ = readAll(r)
		return responseJSON(200, string(fixture(t, "tikinow_register_webhooks_response_success.json"))), nil
	})

	res, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", res.MetaData.RequestID)
	assert.Equal(t, "/business/v1/register-webhooks", got.URL.Path)
	assert.Equal(t, "Bearer bearer-token-1", got.Header.Get("Authorization"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	requireJSONEqual(t, string(fixture(t, "tikinow_register_webhooks_request.json")), string(body))
}

func TestRegisterWebhooksAftersale(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	var body []byte
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks", func(r *http.Request) (*http.Response, error) {
		body, _ = readAll(r)
		return responseJSON(200, `{"success":true,"meta_data":{"request_id":"r1"}}`), nil
	})
	_, _, err := c.Webhooks.Register(context.Background(), &RegisterWebhooksRequest{
		InventoryLocations: []string{"hn"},
		Webhooks:           WebhookTargets{Aftersale: &WebhookTarget{URL: "http://127.0.0.1:9000/hooks", SecretKey: hookSecret2}},
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"sync_inventory_location":["hn"],"sync_webhook":{"aftersale":{"url":"http://127.0.0.1:9000/hooks","secret_key":"`+hookSecret2+`"}}}`, string(body))
}

func TestRegisterWebhooksError(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks",
		httpmock.NewBytesResponder(401, fixture(t, "tikinow_register_webhooks_response_error.json")))
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
	assert.Equal(t, []string{"Unauthorized"}, apiErr.Messages)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", apiErr.RequestID)
	assert.Equal(t, tikiNowBase+"/register-webhooks", apiErr.URL)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "a fixed token cannot be renewed")
}

func TestRegisterWebhooksNotResentAfter5xx(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks", httpmock.NewStringResponder(502, "bad gateway"))
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.Error(t, err)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

// The secret keys are redacted from errors, even when TikiNOW echoes the
// request in its error body.
func TestRegisterWebhooksSecretsRedacted(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	req := docRegistration()
	req.Webhooks.Stock.SecretKey = hookSecret2
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks", func(r *http.Request) (*http.Response, error) {
		sent, _ := readAll(r)
		require.Contains(t, string(sent), hookSecret, "the secret itself is sent")
		b, _ := json.Marshal(map[string]any{"success": false, "error": map[string]any{
			"status_code": 400, "message": "invalid request: " + string(sent), "message_code": "INVALID_PAYLOAD"}})
		return responseJSON(400, string(b)), nil
	})
	_, _, err := c.Webhooks.Register(context.Background(), req)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	for _, secret := range []string{hookSecret, hookSecret2} {
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, string(apiErr.Body), secret)
		assert.NotContains(t, strings.Join(apiErr.Messages, " "), secret)
	}
	assert.Contains(t, err.Error(), "your_domain/webhooks/stock", "the rest of the echo is kept")
}

// A client off production must name its TikiNOW URL: a sandbox token is
// never sent to production TikiNOW.
func TestRegisterWebhooksNeedsTikiNowURLOffProduction(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	for name, opts := range map[string][]Option{
		"sandbox":  {WithEnvironment(Sandbox)},
		"base URL": {WithBaseURL(testBase)},
	} {
		c, err := NewClient(append(opts, WithHTTPClient(&http.Client{Transport: mt}), WithAccessToken("sandbox-token"))...)
		require.NoError(t, err)
		_, _, err = c.Webhooks.Register(context.Background(), docRegistration())
		require.ErrorIs(t, err, ErrTikiNowURLRequired, name)
		assert.ErrorContains(t, err, "WithTikiNowURL")
	}
	assert.Equal(t, 0, mt.GetTotalCallCount())

	// Passing: the sandbox with its TikiNOW URL, and production with the
	// default one.
	mt.RegisterResponder(http.MethodPost, tikiNowBase+"/register-webhooks",
		httpmock.NewStringResponder(200, `{"success":true,"meta_data":{"request_id":"r1"}}`))
	mt.RegisterResponder(http.MethodPost, DefaultTikiNowURL+"/register-webhooks",
		httpmock.NewStringResponder(200, `{"success":true,"meta_data":{"request_id":"r2"}}`))
	for name, opts := range map[string][]Option{
		"sandbox with URL": {WithEnvironment(Sandbox), WithTikiNowURL(tikiNowBase)},
		"production":       {WithEnvironment(Production)},
	} {
		c, err := NewClient(append(opts, WithHTTPClient(&http.Client{Transport: mt}), WithAccessToken("token"))...)
		require.NoError(t, err)
		_, _, err = c.Webhooks.Register(context.Background(), docRegistration())
		require.NoError(t, err, name)
	}
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestRegisterWebhooksNeedsBearer(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithSellerKey("seller-key-123"), WithTikiNowURL(tikiNowBase))
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.ErrorIs(t, err, ErrBearerRequired)
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

func TestRegisterWebhooksValidation(t *testing.T) {
	t.Parallel()
	c, mt := setupAuth(t, WithAccessToken("bearer-token-1"), WithTikiNowURL(tikiNowBase))
	cases := map[string]struct {
		req  *RegisterWebhooksRequest
		want []FieldProblem
	}{
		"nil": {nil, []FieldProblem{{"request", "is required"}}},
		"empty": {&RegisterWebhooksRequest{}, []FieldProblem{
			{"sync_inventory_location", "needs at least one warehouse code"},
			{"sync_webhook", "needs at least one of order, stock and aftersale"},
		}},
		"bad targets": {&RegisterWebhooksRequest{
			InventoryLocations: []string{"sgn", " "},
			Webhooks: WebhookTargets{
				Order:     &WebhookTarget{URL: "http://shop.example/hook", SecretKey: hookSecret},
				Stock:     &WebhookTarget{URL: "/relative", SecretKey: "short"},
				Aftersale: &WebhookTarget{URL: "ftp://shop.example/x", SecretKey: hookSecret + "x"},
			},
		}, []FieldProblem{
			{"sync_inventory_location[1]", "is empty"},
			{"sync_webhook.order.url", "must use https (http is allowed only for loopback hosts)"},
			{"sync_webhook.stock.url", "must be an absolute URL"},
			{"sync_webhook.stock.secret_key", "must be exactly 32 characters (has 5)"},
			{"sync_webhook.aftersale.url", "must use https"},
			{"sync_webhook.aftersale.secret_key", "must be exactly 32 characters (has 33)"},
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := c.Webhooks.Register(context.Background(), tc.req)
			requireRefused(t, err, mt, tc.want...)
		})
	}
	for _, ok := range []string{"http://localhost:8080/h", "http://127.0.0.1/h", "http://[::1]:9/h", "https://shop.example/h"} {
		assert.Empty(t, checkWebhookURL(ok), ok)
	}
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}
