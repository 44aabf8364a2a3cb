package tiki

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

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

// setupTikiNow is setup with a client that registers webhooks: it holds
// an access token, which TikiNOW takes.
func setupTikiNow(t *testing.T) (*Client, *server) {
	t.Helper()
	_, s := setup(t)
	return s.client(t, WithAccessToken("bearer-token-1")), s
}

// registerWebhooks is the pattern of TikiNOW's webhook registration on
// setup's server.
const registerWebhooks = "POST " + tikiNowPath + "/register-webhooks"

func TestRegisterWebhooks(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
	s.handleRoot(registerWebhooks, status(200, string(fixture(t, "tikinow_register_webhooks_response_success.json"))))

	res, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.NoError(t, err)
	assert.True(t, res.Success)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", res.MetaData.RequestID)
	got := s.last()
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, tikiNowPath+"/register-webhooks", got.Path)
	assert.Equal(t, "Bearer bearer-token-1", got.Header.Get("Authorization"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	requireJSONEqual(t, string(fixture(t, "tikinow_register_webhooks_request.json")), got.Body)
}

func TestRegisterWebhooksAftersale(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
	s.handleRoot(registerWebhooks, status(200, `{"success":true,"meta_data":{"request_id":"r1"}}`))
	_, _, err := c.Webhooks.Register(context.Background(), &RegisterWebhooksRequest{
		InventoryLocations: []string{"hn"},
		Webhooks:           WebhookTargets{Aftersale: &WebhookTarget{URL: "http://127.0.0.1:9000/hooks", SecretKey: hookSecret2}},
	})
	require.NoError(t, err)
	requireJSONEqual(t, `{"sync_inventory_location":["hn"],"sync_webhook":{"aftersale":{"url":"http://127.0.0.1:9000/hooks","secret_key":"`+hookSecret2+`"}}}`, s.last().Body)
}

func TestRegisterWebhooksError(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
	s.handleRoot(registerWebhooks, status(401, string(fixture(t, "tikinow_register_webhooks_response_error.json"))))
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, "INVALID_TOKEN", apiErr.Code)
	assert.Equal(t, []string{"Unauthorized"}, apiErr.Messages)
	assert.Equal(t, "97b2702c775f57c565b5a3c6f01052a1", apiErr.RequestID)
	assert.Equal(t, s.URL+tikiNowPath+"/register-webhooks", apiErr.URL)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, s.count(), "a fixed token cannot be renewed")
}

func TestRegisterWebhooksNotResentAfter5xx(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
	s.handleRoot(registerWebhooks, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		io.WriteString(w, "bad gateway")
	})
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.Error(t, err)
	assert.Equal(t, 1, s.count())
}

// The secret keys are redacted from errors, even when TikiNOW echoes the
// request in its error body.
func TestRegisterWebhooksSecretsRedacted(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
	req := docRegistration()
	req.Webhooks.Stock.SecretKey = hookSecret2
	s.handleRoot(registerWebhooks, func(w http.ResponseWriter, r *http.Request) {
		sent, _ := io.ReadAll(r.Body)
		b, _ := json.Marshal(map[string]any{"success": false, "error": map[string]any{
			"status_code": 400, "message": "invalid request: " + string(sent), "message_code": "INVALID_PAYLOAD"}})
		status(400, string(b))(w, r)
	})
	_, _, err := c.Webhooks.Register(context.Background(), req)
	require.Contains(t, s.last().Body, hookSecret, "the secret itself is sent")
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
	// The clients reach s whatever host they ask for: production's
	// TikiNOW among them.
	_, s := setup(t)
	for name, opts := range map[string][]Option{
		"sandbox":  {WithEnvironment(Sandbox)},
		"base URL": {WithBaseURL(s.URL + apiPath)},
	} {
		c, err := NewClient(append(opts, WithHTTPClient(s.everyHost()), WithAccessToken("sandbox-token"))...)
		require.NoError(t, err)
		_, _, err = c.Webhooks.Register(context.Background(), docRegistration())
		require.ErrorIs(t, err, ErrTikiNowURLRequired, name)
		assert.ErrorContains(t, err, "WithTikiNowURL")
	}
	assert.Equal(t, 0, s.count())

	// Passing: the sandbox with its TikiNOW URL, and production with the
	// default one.
	prod, err := url.Parse(DefaultTikiNowURL)
	require.NoError(t, err)
	s.handleRoot(registerWebhooks, status(200, `{"success":true,"meta_data":{"request_id":"r1"}}`))
	s.handleRoot("POST "+prod.Path+"/register-webhooks", status(200, `{"success":true,"meta_data":{"request_id":"r2"}}`))
	for name, tc := range map[string]struct {
		opts       []Option
		host, path string
	}{
		"sandbox with URL": {[]Option{WithEnvironment(Sandbox), WithTikiNowURL(s.URL + tikiNowPath)}, s.Listener.Addr().String(), tikiNowPath},
		"production":       {[]Option{WithEnvironment(Production)}, prod.Host, prod.Path},
	} {
		c, err := NewClient(append(tc.opts, WithHTTPClient(s.everyHost()), WithAccessToken("token"))...)
		require.NoError(t, err)
		_, _, err = c.Webhooks.Register(context.Background(), docRegistration())
		require.NoError(t, err, name)
		assert.Equal(t, tc.host, s.last().Host, name)
		assert.Equal(t, tc.path+"/register-webhooks", s.last().Path, name)
	}
	assert.Equal(t, 2, s.count())
}

func TestRegisterWebhooksNeedsBearer(t *testing.T) {
	t.Parallel()
	_, s := setup(t)
	c := s.client(t, WithSellerKey("seller-key-123"))
	_, _, err := c.Webhooks.Register(context.Background(), docRegistration())
	require.ErrorIs(t, err, ErrBearerRequired)
	assert.Equal(t, 0, s.count())
}

func TestRegisterWebhooksValidation(t *testing.T) {
	t.Parallel()
	c, s := setupTikiNow(t)
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
			requireRefused(t, err, s, tc.want...)
		})
	}
	for _, ok := range []string{"http://localhost:8080/h", "http://127.0.0.1/h", "http://[::1]:9/h", "https://shop.example/h"} {
		assert.Empty(t, checkWebhookURL(ok), ok)
	}
	assert.Equal(t, 0, s.count())
}
