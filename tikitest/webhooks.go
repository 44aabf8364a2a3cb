package tikitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
)

// WebhookDelivery is one webhook the fake delivered (or tried to).
type WebhookDelivery struct {
	// Kind is "order", "stock" or "aftersale".
	Kind string
	// URL is the registered URL the delivery was posted to.
	URL string
	// Body is the raw JSON body posted (the bytes the signature covers).
	Body []byte
	// Signature is the x-signature header sent.
	Signature string
	// Status is the receiver's last answer (0 when it could not be reached).
	Status int
	// Attempts is how many times it was sent (up to 3 while the receiver
	// fails).
	Attempts int
}

// webhookHub holds the TikiNOW registration and the delivery log.
type webhookHub struct {
	reg        *tiki.RegisterWebhooksRequest
	deliveries []WebhookDelivery
	wg         sync.WaitGroup
}

func (h *webhookHub) wait() { h.wg.Wait() }

// registerWebhooks is TikiNOW's POST /business/v1/register-webhooks: Bearer
// tokens only, the body checked as TikiNOW documents it.
func (s *Server) registerWebhooks(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.validToken(tok) {
		writeTikiNowError(w, http.StatusUnauthorized, "Unauthorized", "INVALID_TOKEN")
		return
	}
	var req tiki.RegisterWebhooksRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeTikiNowError(w, http.StatusBadRequest, "Invalid request body", "INVALID_REQUEST")
		return
	}
	if msg := checkRegistration(&req); msg != "" {
		writeTikiNowError(w, http.StatusBadRequest, msg, "INVALID_REQUEST")
		return
	}
	s.mu.Lock()
	s.hooks.reg = &req
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "meta_data": map[string]string{"request_id": randomToken(0)[:32]}})
}

func checkRegistration(req *tiki.RegisterWebhooksRequest) string {
	if len(req.InventoryLocations) == 0 {
		return "sync_inventory_location is required"
	}
	n := 0
	for _, t := range []*tiki.WebhookTarget{req.Webhooks.Order, req.Webhooks.Stock, req.Webhooks.Aftersale} {
		if t == nil {
			continue
		}
		n++
		if len(t.SecretKey) != tiki.WebhookSecretLen {
			return "secret_key must have 32 characters"
		}
		if !strings.HasPrefix(t.URL, "https://") && !strings.HasPrefix(t.URL, "http://") {
			return "url is invalid"
		}
	}
	if n == 0 {
		return "sync_webhook is required"
	}
	return ""
}

func writeTikiNowError(w http.ResponseWriter, status int, message, code string) {
	writeJSON(w, status, map[string]any{
		"success":   false,
		"error":     map[string]any{"status_code": status, "message": message, "message_code": code},
		"meta_data": map[string]string{"request_id": randomToken(0)[:32]},
	})
}

// emit delivers a TikiNOW webhook of kind with data, if a URL is registered
// for it, in the background; s.mu must be held. Stock changes are only
// delivered for the registered inventory locations.
func (s *Server) emit(kind string, data map[string]any) {
	reg := s.hooks.reg
	if reg == nil {
		return
	}
	target := map[string]*tiki.WebhookTarget{"order": reg.Webhooks.Order, "stock": reg.Webhooks.Stock, "aftersale": reg.Webhooks.Aftersale}[kind]
	if target == nil {
		return
	}
	if kind == "stock" {
		wh, _ := data["warehouse"].(string)
		found := false
		for _, loc := range reg.InventoryLocations {
			found = found || loc == wh
		}
		if !found {
			return
		}
		if reg.ExternalPartnerID != "" {
			data["partner_id"] = reg.ExternalPartnerID
		}
	}
	data["date"] = s.cfg.now().In(tiki.Vietnam()).Format(time.RFC3339)
	body, _ := json.Marshal(map[string]any{"data": data})
	d := WebhookDelivery{Kind: kind, URL: target.URL, Body: body, Signature: tikinow.Sign(body, target.SecretKey)}
	s.hooks.wg.Add(1)
	go func() {
		defer s.hooks.wg.Done()
		s.deliver(&d)
		s.mu.Lock()
		s.hooks.deliveries = append(s.hooks.deliveries, d)
		s.mu.Unlock()
	}()
}

// deliver POSTs d, retrying a failed delivery twice, as TikiNOW retries
// until it gets a 2xx.
func (s *Server) deliver(d *WebhookDelivery) {
	for d.Attempts < 3 {
		if d.Attempts > 0 {
			time.Sleep(time.Duration(d.Attempts) * 50 * time.Millisecond)
		}
		d.Attempts++
		req, err := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature", d.Signature)
		resp, err := s.cfg.webhookClient.Do(req)
		if err != nil {
			d.Status = 0
			continue
		}
		resp.Body.Close()
		d.Status = resp.StatusCode
		if d.Status >= 200 && d.Status < 300 {
			return
		}
	}
}

// WebhookRegistration returns the current TikiNOW registration, or nil.
func (s *Server) WebhookRegistration() *tiki.RegisterWebhooksRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hooks.reg
}

// WebhookDeliveries waits for the deliveries under way and returns every
// delivery made so far, in the order they finished.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.hooks.wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WebhookDelivery(nil), s.hooks.deliveries...)
}
