package tiki

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/internal/dispatch"
	"github.com/tikisdk/tiki/webhook"
)

// WebhooksService registers the URLs to which TikiNOW delivers order status,
// stock and aftersale changes.
type WebhooksService service

// WebhookSecretLen is the length TikiNOW requires of a webhook secret key.
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
	// Order receives order status changes (sync_webhook.order), delivered
	// as *OrderStatusEvent.
	Order *WebhookTarget `json:"order,omitempty"`
	// Stock receives stock changes in the InventoryLocations warehouses
	// (sync_webhook.stock), delivered as *StockEvent.
	Stock *WebhookTarget `json:"stock,omitempty"`
	// Aftersale receives after-sale changes (sync_webhook.aftersale, a
	// newer registration field), delivered as *AftersaleEvent.
	Aftersale *WebhookTarget `json:"aftersale,omitempty"`
}

// WebhookTarget is a URL and the secret TikiNOW signs its deliveries with.
type WebhookTarget struct {
	// URL receives the deliveries: absolute https (http is accepted only
	// for loopback hosts, for local tests).
	URL string `json:"url"`
	// SecretKey is exactly 32 characters; GenerateWebhookSecret makes one.
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
// WebhookReceiver). The request is checked before it is sent: at least one
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

// GenerateWebhookSecret returns a new random 32-character secret key made of
// letters and digits, from the system's secure random source.
func GenerateWebhookSecret() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, WebhookSecretLen)
	buf := make([]byte, 64)
	for len(out) < WebhookSecretLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("tiki: generating webhook secret: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps every letter equally likely.
			if b < 248 && len(out) < WebhookSecretLen {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// SignatureHeader is the header carrying TikiNOW's delivery signature.
const SignatureHeader = "X-Signature"

// Errors of webhook signature checks. Both wrap webhook.ErrUnauthorized.
var (
	// ErrNoSignature: the delivery carries no X-Signature header.
	ErrNoSignature = fmt.Errorf("%w: no %s header", webhook.ErrUnauthorized, SignatureHeader)
	// ErrBadSignature: the X-Signature header is not "sha1=<hex>", or does
	// not match the body's HMAC-SHA1 under the secret key.
	ErrBadSignature = fmt.Errorf("%w: signature does not match", webhook.ErrUnauthorized)
)

// SignWebhook returns the x-signature header value TikiNOW sends with body:
// "sha1=" and the lowercase hex HMAC-SHA1 of the raw body keyed with secret.
// Use it to test your own handlers.
func SignWebhook(body []byte, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	return "sha1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature checks a delivery's x-signature header against
// its raw body with each secret in turn (several are accepted at once while
// a secret is being rotated), comparing in constant time.
func VerifyWebhookSignature(body []byte, header string, secrets ...string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrNoSignature
	}
	hexSum, ok := strings.CutPrefix(header, "sha1=")
	if !ok {
		return fmt.Errorf("%w: want sha1=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha1.Size {
		return fmt.Errorf("%w: not a hex SHA-1", ErrBadSignature)
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			return nil
		}
	}
	return ErrBadSignature
}

// WebhookEvent is a decoded TikiNOW delivery: *StockEvent,
// *OrderStatusEvent, *AftersaleEvent or *UnknownWebhook.
type WebhookEvent interface {
	webhookEvent()
}

// StockEvent reports a change of the salable quantity of a SKU in a Tiki
// warehouse. Its text fields decode from a JSON string or a number.
type StockEvent struct {
	// Date is when the quantity changed (RFC 3339, Vietnam time).
	Date Time `json:"date"`
	// SKU is Tiki's SKU of the product.
	SKU string `json:"sku"`
	// Warehouse is the code of the Tiki warehouse whose stock changed, one
	// of the registration's InventoryLocations (for example "sgn"; see
	// WarehousesService.ListTiki).
	Warehouse string `json:"warehouse"`
	// QtySalable is the SKU's salable quantity in that warehouse after the
	// change.
	QtySalable FlexInt `json:"qty_salable"`
	// SellerProductCode is the seller's own code of the product (its
	// original SKU).
	SellerProductCode string `json:"seller_product_code"`
	// PartnerID is the registration's ExternalPartnerID, the seller's shop
	// id or code, sent back as given.
	PartnerID string `json:"partner_id"`
}

// UnmarshalJSON decodes the text fields from a string or a number.
func (e *StockEvent) UnmarshalJSON(b []byte) error {
	type plain StockEvent
	var w struct {
		plain
		SKU               FlexString `json:"sku"`
		Warehouse         FlexString `json:"warehouse"`
		SellerProductCode FlexString `json:"seller_product_code"`
		PartnerID         FlexString `json:"partner_id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = StockEvent(w.plain)
	e.SKU, e.Warehouse = string(w.SKU), string(w.Warehouse)
	e.SellerProductCode, e.PartnerID = string(w.SellerProductCode), string(w.PartnerID)
	return nil
}

// OrderStatusEvent reports a change of an order's state. Its codes decode
// from a JSON string or a number.
type OrderStatusEvent struct {
	// Date is when the state changed.
	Date Time `json:"date"`
	// RefCode is the reference code TikiNOW sends with the order
	// (ref_code); Tiki's documentation names the field without describing
	// it further. OrderCode is the one the order API knows.
	RefCode string `json:"ref_code"`
	// OrderCode is Tiki's order code, as in OrdersService.Get.
	OrderCode string `json:"order_code"`
	// MainState is the order's new main state in TikiNOW's order flow,
	// the change this delivery reports. TikiNOW does not document the list
	// of values: compare them as text.
	MainState string `json:"main_state"`
	// MainSubstate refines MainState; optional, "" when not sent.
	MainSubstate string `json:"main_substate"`
	// Reason is the text explaining a cancellation, when there is one.
	Reason string `json:"reason"`
	// ReasonCode is the code of that cancellation, when there is one, for
	// example "seller-out-of-stock-cancel-order" (see CancelReason).
	ReasonCode string `json:"reason_code"`
	// ExtraInfo holds the cancellation details; nil when not sent.
	ExtraInfo *OrderExtraInfo `json:"extra_info"`
}

// UnmarshalJSON decodes the codes from a string or a number.
func (e *OrderStatusEvent) UnmarshalJSON(b []byte) error {
	type plain OrderStatusEvent
	var w struct {
		plain
		RefCode   FlexString `json:"ref_code"`
		OrderCode FlexString `json:"order_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = OrderStatusEvent(w.plain)
	e.RefCode, e.OrderCode = string(w.RefCode), string(w.OrderCode)
	return nil
}

// OrderExtraInfo holds the cancellation details of an order status change.
type OrderExtraInfo struct {
	// CancelReasonCode is the code of the cancellation reason.
	CancelReasonCode string `json:"cancel_reason_code"`
	// CancelReason is the cancellation reason as text.
	CancelReason string `json:"cancel_reason"`
}

// AftersaleType is the kind of an aftersale case.
type AftersaleType string

// Aftersale types TikiNOW reports. Tiki's documentation names them only
// by their codes, "fd" and "cr", without saying what they stand for.
const (
	// AftersaleFD is the aftersale case type "fd", as Tiki names it.
	AftersaleFD AftersaleType = "fd"
	// AftersaleCR is the aftersale case type "cr", as Tiki names it.
	AftersaleCR AftersaleType = "cr"
)

// AftersaleEvent reports a change of an aftersale case of an order. Its
// codes decode from a JSON string or a number.
type AftersaleEvent struct {
	// Date is when the case changed.
	Date Time `json:"date"`
	// RefCode is the reference code TikiNOW sends with the order, as in
	// OrderStatusEvent.
	RefCode string `json:"ref_code"`
	// OrderCode is Tiki's code of the order the case concerns.
	OrderCode string `json:"order_code"`
	// Status is the case's new status; TikiNOW does not document the list
	// of values.
	Status string `json:"status"`
	// Type is the kind of case: AftersaleFD or AftersaleCR.
	Type AftersaleType `json:"type"`
}

// UnmarshalJSON decodes the codes from a string or a number.
func (e *AftersaleEvent) UnmarshalJSON(b []byte) error {
	type plain AftersaleEvent
	var w struct {
		plain
		RefCode   FlexString `json:"ref_code"`
		OrderCode FlexString `json:"order_code"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = AftersaleEvent(w.plain)
	e.RefCode, e.OrderCode = string(w.RefCode), string(w.OrderCode)
	return nil
}

// UnknownWebhook is a delivery whose payload is none of the documented
// kinds. Body is the raw request body, so nothing is lost.
type UnknownWebhook struct {
	// Body is the delivery's raw request body, as received.
	Body json.RawMessage
}

func (*StockEvent) webhookEvent()       {}
func (*OrderStatusEvent) webhookEvent() {}
func (*AftersaleEvent) webhookEvent()   {}
func (*UnknownWebhook) webhookEvent()   {}

// ParseWebhook decodes a TikiNOW delivery body ({"data": {...}}) into its
// typed event, telling the kinds apart by their fields. Valid JSON of any
// other shape is returned as *UnknownWebhook; invalid JSON, and a
// documented kind with a field of the wrong type, are errors.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	ev, _, err := parseWebhook(body)
	return ev, err
}

// parseWebhook is ParseWebhook; on error, documented reports that the body
// is valid JSON of a documented kind whose payload did not decode.
func parseWebhook(body []byte) (ev WebhookEvent, documented bool, err error) {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("tiki: webhook body: %w", err)
	}
	raw := bytes.TrimSpace(env.Data)
	if len(raw) == 0 || raw[0] != '{' {
		return &UnknownWebhook{Body: body}, false, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, false, fmt.Errorf("tiki: webhook body: %w", err)
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("main_state"):
		ev = &OrderStatusEvent{}
	case has("qty_salable"):
		ev = &StockEvent{}
	case has("type") && has("status") && has("order_code"):
		ev = &AftersaleEvent{}
	default:
		return &UnknownWebhook{Body: body}, false, nil
	}
	if err := json.Unmarshal(raw, ev); err != nil {
		return nil, true, fmt.Errorf("tiki: webhook %T: %w", ev, err)
	}
	return ev, false, nil
}

// WebhookReceiver is an http.Handler for TikiNOW deliveries. For each
// request it answers:
//
//   - 405, with "Allow: POST", to a method other than POST;
//   - 413 when the body is larger than the limit (1 MiB by default);
//   - 408 when the body takes longer than the body timeout to arrive (10 s
//     by default, [webhook.WithBodyTimeout]);
//   - 401 when the x-signature header does not match the raw body for any of
//     the secrets, checked before anything is decoded;
//   - 400 when the body is not JSON, or is a documented kind with a field of
//     the wrong type and no OnUnknown handler is registered (with one, that
//     delivery runs OnUnknown with the raw body instead, so that it is not
//     lost, and the decoding error is reported to the function set with
//     [webhook.WithOnError]);
//   - 501 to a documented kind (stock, order status, aftersale) for which
//     neither its handler nor OnUnknown is registered, so that TikiNOW
//     delivers it again rather than an event being dropped because a
//     registration was forgotten; it is reported, wrapping
//     [webhook.ErrNoHandler]. Register [webhook.Ignore] for a kind to
//     acknowledge it on purpose;
//   - 200 {"success":true} when the handler returned nil, and when the same
//     body was handled recently (a duplicate delivery);
//   - 503 when a copy of the same body is being handled and that run has
//     not finished: it may still fail, so the copy is not acknowledged and
//     TikiNOW delivers it again;
//   - 500 with TikiNOW's error body when the handler returned an error, so
//     that TikiNOW delivers it again. A failed delivery is not remembered as
//     handled: the next copy runs the handler.
//
// A delivery is answered 2xx only after a run of its handler for that body
// returned nil, in this process or in another sharing the dedupe store; the
// one exception is a delivery of an undocumented shape with no OnUnknown
// handler, which is acknowledged and reported, wrapping
// [webhook.ErrIgnored].
//
// Every error reply is TikiNOW's error body, {"success":false,"error":
// {"status_code","message","message_code"}}. A delivery runs the handler of
// its kind (OnStock, OnOrderStatus, OnAftersale); a delivery of an
// undocumented shape, of a documented kind without a handler, or of a
// documented kind whose payload does not decode runs the OnUnknown handler
// with the raw body instead.
//
// Handlers run with the request's context and may run concurrently.
// TikiNOW deliveries carry no id, so duplicates are recognized by their body
// ([webhook.BodyKey]). Register handlers before serving requests; the
// registration methods are nevertheless safe to call at any time.
//
// Create a WebhookReceiver with NewWebhookReceiver; the zero value answers
// every request with 500.
type WebhookReceiver struct {
	secrets  []string
	endpoint webhook.Endpoint
	handlers dispatch.Table[webhookKind, WebhookEvent]
}

// webhookKind tells which handler a delivery runs.
type webhookKind int

const (
	webhookUnknown webhookKind = iota
	webhookStock
	webhookOrderStatus
	webhookAftersale
)

// String returns the kind's name, such as "stock".
func (k webhookKind) String() string {
	switch k {
	case webhookStock:
		return "stock"
	case webhookOrderStatus:
		return "order status"
	case webhookAftersale:
		return "aftersale"
	default:
		return "unknown"
	}
}

// register returns the name of the method registering k's handler.
func (k webhookKind) register() string {
	switch k {
	case webhookStock:
		return "OnStock"
	case webhookOrderStatus:
		return "OnOrderStatus"
	case webhookAftersale:
		return "OnAftersale"
	default:
		return "OnUnknown"
	}
}

// NewWebhookReceiver returns a receiver for the deliveries TikiNOW signs
// with any of secrets, the secret keys registered with
// WebhooksService.Register. At least one is required, and none may be
// empty; give the old and the new one while rotating a secret.
//
// opts are the options of package webhook: [webhook.WithMaxBodyBytes],
// [webhook.WithBodyTimeout], [webhook.WithDedupe] (by default an in-memory
// store for this process: use a shared store, for example Redis, when
// several replicas receive), [webhook.WithDedupeTTL] and
// [webhook.WithOnError]. An invalid secret list is reported as a
// *ValidationError.
func NewWebhookReceiver(secrets []string, opts ...webhook.Option) (*WebhookReceiver, error) {
	var v validator
	v.check(len(secrets) > 0, "secrets", "needs at least one secret key")
	for i, s := range secrets {
		v.check(s != "", fmt.Sprintf("secrets[%d]", i), "is empty")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r := &WebhookReceiver{secrets: slices.Clone(secrets)}
	r.endpoint = webhook.Endpoint{
		Verify: r.verify,
		Decode: r.decode,
		Dedupe: dedupe.Runner{Store: dedupe.NewMemoryStore()},
		Reply:  replyTikiNow,
	}
	if err := r.endpoint.Apply(opts...); err != nil {
		return nil, err
	}
	return r, nil
}

// ServeHTTP implements http.Handler.
func (r *WebhookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.endpoint.ServeHTTP(w, req)
}

// OnStock registers the handler of stock changes, replacing any previous
// one; nil removes it.
func (r *WebhookReceiver) OnStock(fn func(ctx context.Context, e *StockEvent) error) {
	r.handlers.Set(webhookStock, dispatch.Adapt[WebhookEvent](fn))
}

// OnOrderStatus registers the handler of order status changes, replacing
// any previous one; nil removes it.
func (r *WebhookReceiver) OnOrderStatus(fn func(ctx context.Context, e *OrderStatusEvent) error) {
	r.handlers.Set(webhookOrderStatus, dispatch.Adapt[WebhookEvent](fn))
}

// OnAftersale registers the handler of aftersale changes, replacing any
// previous one; nil removes it.
func (r *WebhookReceiver) OnAftersale(fn func(ctx context.Context, e *AftersaleEvent) error) {
	r.handlers.Set(webhookAftersale, dispatch.Adapt[WebhookEvent](fn))
}

// OnUnknown registers the handler of deliveries of undocumented shapes, of
// documented kinds that have no handler, and of documented kinds whose
// payload does not decode (a field of an unexpected type), replacing any
// previous one; nil removes it. It receives the raw body. Without it, the
// first are acknowledged and reported to the function set with
// [webhook.WithOnError] (wrapping [webhook.ErrIgnored]), the second are
// answered 501 (wrapping [webhook.ErrNoHandler]) so that TikiNOW delivers
// them again, and the last are answered 400.
func (r *WebhookReceiver) OnUnknown(fn func(ctx context.Context, e *UnknownWebhook) error) {
	r.handlers.Set(webhookUnknown, dispatch.Adapt[WebhookEvent](fn))
}

func (r *WebhookReceiver) verify(req *http.Request, body []byte) error {
	return VerifyWebhookSignature(body, req.Header.Get(SignatureHeader), r.secrets...)
}

func (r *WebhookReceiver) decode(req *http.Request, body []byte) (webhook.Delivery, error) {
	ev, documented, err := parseWebhook(body)
	if err != nil {
		// A documented kind that does not decode is kept for OnUnknown
		// rather than answered 400, which TikiNOW would not deliver again.
		h := r.handlers.Get(webhookUnknown)
		if !documented || h == nil {
			return webhook.Delivery{}, err
		}
		if r.endpoint.OnError != nil {
			r.endpoint.OnError(req, fmt.Errorf("%w: handed to OnUnknown", err))
		}
		return webhook.Delivery{
			Key:    "tikinow:" + webhook.BodyKey(body),
			Handle: func(ctx context.Context) error { return h(ctx, &UnknownWebhook{Body: body}) },
		}, nil
	}
	var kind webhookKind
	switch ev.(type) {
	case *StockEvent:
		kind = webhookStock
	case *OrderStatusEvent:
		kind = webhookOrderStatus
	case *AftersaleEvent:
		kind = webhookAftersale
	}
	h, handled := r.handlers.Get(kind), ev
	if h == nil && kind != webhookUnknown {
		h, handled = r.handlers.Get(webhookUnknown), &UnknownWebhook{Body: body}
	}
	if h == nil {
		if kind != webhookUnknown {
			return webhook.Delivery{}, fmt.Errorf("%w: tiki: TikiNOW %s delivery: register %s (or OnUnknown), or webhook.Ignore to acknowledge it unhandled",
				webhook.ErrNoHandler, kind, kind.register())
		}
		if r.endpoint.OnError != nil {
			r.endpoint.OnError(req, fmt.Errorf("%w: tiki: TikiNOW delivery of an undocumented shape, and no OnUnknown handler", webhook.ErrIgnored))
		}
		return webhook.Delivery{}, nil
	}
	return webhook.Delivery{
		Key:    "tikinow:" + webhook.BodyKey(body),
		Handle: func(ctx context.Context) error { return h(ctx, handled) },
	}, nil
}

// replyTikiNow answers with TikiNOW's success and error bodies.
func replyTikiNow(w http.ResponseWriter, status int) {
	if status < 300 {
		_ = webhook.WriteJSON(w, status, map[string]bool{"success": true})
		return
	}
	codes := map[int]string{
		http.StatusUnauthorized:          "INVALID_SIGNATURE",
		http.StatusBadRequest:            "INVALID_PAYLOAD",
		http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
		http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
		http.StatusRequestTimeout:        "REQUEST_TIMEOUT",
		http.StatusNotImplemented:        "NO_HANDLER",
		http.StatusServiceUnavailable:    "DELIVERY_IN_PROGRESS",
	}
	code, ok := codes[status]
	if !ok {
		code = "INTERNAL_ERROR"
	}
	_ = webhook.WriteJSON(w, status, map[string]any{
		"success": false,
		"error": map[string]any{
			"status_code":  status,
			"message":      http.StatusText(status),
			"message_code": code,
		},
	})
}
