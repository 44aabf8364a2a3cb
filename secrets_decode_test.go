package tiki

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeSecretServer is the fake Tiki of the decoding-error tests: its
// token endpoint issues the access and refresh tokens it is given, TikiNOW
// accepts webhook registrations, and every request to the API is answered
// 200 with the body set last.
type decodeSecretServer struct {
	srv  *server
	mu   sync.Mutex
	body string
}

func newDecodeSecretServer(t *testing.T, access, refresh string) *decodeSecretServer {
	t.Helper()
	_, srv := setup(t)
	s := &decodeSecretServer{srv: srv}
	o := srv.oauth()
	o.body = fmt.Sprintf(`{"access_token":%q,"refresh_token":%q,"token_type":"bearer","expires_in":3600}`, access, refresh)
	srv.handleRoot("POST "+tikiNowPath+"/register-webhooks", status(200, `{"success":true,"meta_data":{"request_id":"r1"}}`))
	srv.handle("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body := s.body
		s.mu.Unlock()
		status(200, body)(w, r)
	})
	return s
}

func (s *decodeSecretServer) answer(body string) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

// plainSecret is a credential of n characters drawn from letters and
// digits, so that any 6 characters of it never occur in other text.
func plainSecret(n int, rng *rand.Rand) string {
	const chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	out := make([]byte, n)
	for i := range out {
		out[i] = chars[rng.IntN(len(chars))]
	}
	return string(out)
}

// requireNoSecretPart fails when a text holds any 6 consecutive
// characters of secret: a prefix of a secret cut off by a snippet or a
// quote leaks as much as the whole.
func requireNoSecretPart(t *testing.T, texts []string, secret string) {
	t.Helper()
	const part = 6
	for _, text := range texts {
		for i := 0; i+part <= len(secret); i++ {
			if strings.Contains(text, secret[i:i+part]) {
				t.Fatalf("part %q of secret %q surfaces in %q", secret[i:i+part], secret, text)
			}
		}
	}
}

// Every *DecodeError, and every error its chain holds (*ShapeError,
// *AmountError, a tolerant scalar's error), has the client's credentials
// masked before any cut: not in err.Error(), %#v or any string reachable
// from the error, wherever the answer puts the credential, at the 40-byte
// cut of a quote and the 200-byte cut of the snippet included. Every
// credential is tried: the seller key, a static access token, a webhook
// secret registered through the client, an OAuth2 client secret and the
// access and refresh tokens its token endpoint issued.
func TestDecodeErrorsNeverHoldASecret(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 41))
	ctx := context.Background()
	sellerKey, accessToken, webhookSecret := plainSecret(24, rng), plainSecret(30, rng), plainSecret(WebhookSecretLen, rng)
	clientSecret, issuedAccess, issuedRefresh := plainSecret(28, rng), plainSecret(40, rng), plainSecret(36, rng)
	srv := newDecodeSecretServer(t, issuedAccess, issuedRefresh)

	newClient := func(auth Option) *Client { return srv.srv.client(t, auth) }
	withKey := newClient(WithSellerKey(sellerKey))
	withToken := newClient(WithAccessToken(accessToken))
	_, _, err := withToken.Webhooks.Register(ctx, &RegisterWebhooksRequest{
		InventoryLocations: []string{"sgn"},
		Webhooks:           WebhookTargets{Order: &WebhookTarget{URL: "https://shop.example/hook", SecretKey: webhookSecret}},
	})
	require.NoError(t, err)
	withApp := newClient(WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: clientSecret}))
	_, _, err = withApp.Sellers.Get(ctx) // fetches the app's token
	require.Error(t, err)                // the answer ({}) is not a seller

	clients := []struct {
		name    string
		c       *Client
		secrets []string
	}{
		{"seller key", withKey, []string{sellerKey}},
		{"access token and webhook secret", withToken, []string{accessToken, webhookSecret}},
		{"client credentials", withApp, []string{clientSecret, issuedAccess, issuedRefresh}},
	}

	// Each path puts the credential where a decoder quotes it; %s is
	// where the padded credential goes.
	paths := []struct {
		name string
		body string
		call func(c *Client) error
	}{
		{"not JSON", `<html>proxy error %s</html>`, func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", nil)
			return err
		}},
		{"order without code", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", nil)
			return err
		}},
		{"amount", `{"code":"1","invoice":{"subtotal":"%s"}}`, func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", nil)
			return err
		}},
		{"flag", `{"code":"1","is_rma":"%s"}`, func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", nil)
			return err
		}},
		{"time", `{"code":"1","created_at":"%s"}`, func(c *Client) error {
			_, _, err := c.Orders.Get(ctx, "1", nil)
			return err
		}},
		{"integer", `{"data":[{"id":"%s"}]}`, func(c *Client) error {
			_, _, err := c.Catalog.ListCategories(ctx, nil)
			return err
		}},
		{"page", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Orders.List(ctx, nil)
			return err
		}},
		{"list", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Catalog.ListCategories(ctx, nil)
			return err
		}},
		{"category without id", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Catalog.GetCategory(ctx, 1, nil)
			return err
		}},
		{"pickup slots", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Orders.ExpectedPickupSlots(ctx)
			return err
		}},
		{"seller inventories", `{"echo":"%s"}`, func(c *Client) error {
			_, _, err := c.Warehouses.ListSellerInventories(ctx, "sgn")
			return err
		}},
		{"event", `{"events":["%s"],"ack_id":"a1"}`, func(c *Client) error {
			_, _, err := c.EventQueue.Pull(ctx, "q", "")
			return err
		}},
	}
	for _, cl := range clients {
		for _, p := range paths {
			t.Run(cl.name+"/"+p.name, func(t *testing.T) {
				for _, secret := range cl.secrets {
					// The padding moves the credential across the 40-byte
					// cut of a quote and the 200-byte cut of the snippet.
					for pad := 0; pad <= 240; pad += 12 {
						srv.answer(fmt.Sprintf(p.body, strings.Repeat("x", pad)+secret))
						err := p.call(cl.c)
						var de *DecodeError
						require.ErrorAs(t, err, &de, "pad %d", pad)
						require.NotEmpty(t, de.Snippet)
						requireNoSecretPart(t, errorTexts(err), secret)
					}
				}
			})
		}
	}
}
