package tiki

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// WebhooksService registers the URLs to which TikiNOW delivers order status,
// stock and aftersale changes. Package
// [github.com/tikisdk/tiki/tikinow] receives the deliveries.
type WebhooksService service

// WebhookSecretLen is the length TikiNOW requires of a webhook secret key
// (see [github.com/tikisdk/tiki/tikinow.NewSecret]).
const WebhookSecretLen = 32

// ErrTikiNowURLRequired is returned by Register when the client does not
// talk to production but the TikiNOW URL is still the production default
// (DefaultTikiNowURL): a sandbox or test token must not be sent to
// production TikiNOW. Set the TikiNOW URL of the environment with
// WithTikiNowURL.
var ErrTikiNowURLRequired = errors.New("tiki: the client is not on production but the TikiNOW URL is the production default: set WithTikiNowURL to the TikiNOW API of your environment")

// ErrBearerRequired is returned by calls to the TikiNOW business API when
// the client authenticates with a seller key or not at all: TikiNOW accepts
// only OAuth2 Bearer tokens.
var ErrBearerRequired = errors.New("tiki: the TikiNOW API needs a Bearer token (WithAccessToken, WithClientCredentials, WithOAuthApp or WithTokenSource)")

// RegisterWebhooksRequest is what to register with TikiNOW: which Tiki
// warehouses' stock to report, and where to deliver each kind of change.
type RegisterWebhooksRequest struct {
	// InventoryLocations are the codes of the Tiki warehouses whose stock
	// changes are delivered (see WarehousesService.ListTiki); at least one.
	InventoryLocations []string `json:"sync_inventory_location"`
	// Webhooks says where each kind of change is delivered; at least one.
	Webhooks WebhookTargets `json:"sync_webhook"`
	// ExternalPartnerID is the seller's shop id or code (optional); stock
	// deliveries carry it back as partner_id.
	ExternalPartnerID string `json:"external_partner_id,omitempty"`
}

// WebhookTargets holds one target per kind of change; nil ones are not
// registered.
type WebhookTargets struct {
	// Order receives order status changes (sync_webhook.order), decoded
	// by package tikinow as *tikinow.OrderStatusEvent.
	Order *WebhookTarget `json:"order,omitempty"`
	// Stock receives stock changes in the InventoryLocations warehouses
	// (sync_webhook.stock), decoded as *tikinow.StockEvent.
	Stock *WebhookTarget `json:"stock,omitempty"`
	// Aftersale receives after-sale changes (sync_webhook.aftersale, a
	// newer registration field), decoded as *tikinow.AftersaleEvent.
	Aftersale *WebhookTarget `json:"aftersale,omitempty"`
}

// WebhookTarget is a URL and the secret TikiNOW signs its deliveries with.
type WebhookTarget struct {
	// URL receives the deliveries: absolute https (http is accepted only
	// for loopback hosts, for local tests).
	URL string `json:"url"`
	// SecretKey is exactly WebhookSecretLen (32) characters;
	// tikinow.NewSecret makes one.
	SecretKey string `json:"secret_key"`
}

// RegisterWebhooksResult is TikiNOW's acknowledgement of a registration.
type RegisterWebhooksResult struct {
	// Success is TikiNOW's success flag. Register returns a result only
	// when it is true; success false comes back as an *APIError.
	Success bool `json:"success"`
	// MetaData is TikiNOW's meta_data block.
	MetaData struct {
		// RequestID identifies the registration request to Tiki's
		// support (meta_data.request_id).
		RequestID string `json:"request_id"`
	} `json:"meta_data"`
}

func (r *RegisterWebhooksRequest) validate() error {
	var v validator
	v.check(len(r.InventoryLocations) > 0, "sync_inventory_location", "needs at least one warehouse code")
	for i, code := range r.InventoryLocations {
		v.check(strings.TrimSpace(code) != "", fmt.Sprintf("sync_inventory_location[%d]", i), "is empty")
	}
	targets := []struct {
		name string
		t    *WebhookTarget
	}{{"order", r.Webhooks.Order}, {"stock", r.Webhooks.Stock}, {"aftersale", r.Webhooks.Aftersale}}
	n := 0
	for _, tg := range targets {
		if tg.t == nil {
			continue
		}
		n++
		field := "sync_webhook." + tg.name
		if problem := checkWebhookURL(tg.t.URL); problem != "" {
			v.add(field+".url", "%s", problem)
		}
		v.check(len(tg.t.SecretKey) == WebhookSecretLen, field+".secret_key", "must be exactly %d characters (has %d)", WebhookSecretLen, len(tg.t.SecretKey))
	}
	v.check(n > 0, "sync_webhook", "needs at least one of order, stock and aftersale")
	return v.err()
}

// checkWebhookURL returns what is wrong with a delivery URL, or "".
func checkWebhookURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return "must be an absolute URL"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return ""
		}
		return "must use https (http is allowed only for loopback hosts)"
	}
	return "must use https"
}

// Register registers webhook URLs with TikiNOW. TikiNOW then POSTs each
// change to the URL of its kind, signed with that URL's secret key (see
// [github.com/tikisdk/tiki/tikinow.Receiver]). The request is checked before it is sent: at least one
// warehouse and one webhook, https URLs, 32-character secrets.
//
// A client that does not talk to production (WithEnvironment(Sandbox), or a
// custom base URL) must name its TikiNOW URL with WithTikiNowURL: with the
// production default, Register fails with ErrTikiNowURLRequired and sends
// nothing. The secret keys are added to the client's redaction list before
// the request is sent, so they never appear in errors or logs, even when
// TikiNOW echoes the request in an error body.
//
// POST {TikiNOW base URL}/register-webhooks
func (s *WebhooksService) Register(ctx context.Context, req *RegisterWebhooksRequest) (*RegisterWebhooksResult, *Response, error) {
	if req == nil {
		return nil, nil, &ValidationError{Problems: []FieldProblem{{Field: "request", Problem: "is required"}}}
	}
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	switch s.client.auth.(type) {
	case noAuth, sellerKeyAuth:
		return nil, nil, ErrBearerRequired
	}
	if !s.client.onProduction() && !s.client.tikiNowSet {
		return nil, nil, ErrTikiNowURLRequired
	}
	for _, t := range []*WebhookTarget{req.Webhooks.Order, req.Webhooks.Stock, req.Webhooks.Aftersale} {
		if t != nil {
			s.client.redactor.AddStatic(t.SecretKey)
		}
	}
	return call[RegisterWebhooksResult](ctx, s.client, &request{
		method: http.MethodPost, base: s.client.tikiNowURL, path: "register-webhooks", body: req,
	})
}
