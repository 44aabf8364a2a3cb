package tiki

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// jsonEscaped writes s as a JSON encoder may inside a JSON string: each
// character as it is or as a \u escape whose hex digits are each upper or
// lower case at random (a surrogate pair beyond the BMP), a slash also as
// PHP's \/. A quote, a backslash and control characters are always
// escaped, as JSON requires.
func jsonEscaped(s string, rng *rand.Rand) string {
	hex := func(n rune) string {
		h := []byte(fmt.Sprintf("%04x", n))
		for i := range h {
			if rng.IntN(2) == 0 {
				h[i] = bytes.ToUpper(h[i : i+1])[0]
			}
		}
		return `\u` + string(h)
	}
	var b strings.Builder
	for _, c := range s {
		literal := c != '"' && c != '\\' && c >= 0x20
		switch {
		case literal && rng.IntN(2) == 0:
			b.WriteRune(c)
		case c == '/' && rng.IntN(2) == 0:
			b.WriteString(`\/`)
		case c > 0xFFFF:
			hi, lo := rune(0xD800+((c-0x10000)>>10)), rune(0xDC00+((c-0x10000)&0x3FF))
			b.WriteString(hex(hi) + hex(lo))
		default:
			b.WriteString(hex(c))
		}
	}
	return b.String()
}

// headerSecret returns a credential of n characters that an HTTP header
// can carry, drawn from the characters JSON encoders like to escape.
func headerSecret(n int, rng *rand.Rand) string {
	const chars = `a+b/c=d&e%f"g<h>j:k?l#m~n'o;p@qZ9-_.`
	out := make([]byte, n)
	for i := range out {
		out[i] = chars[rng.IntN(len(chars))]
	}
	return string(out)
}

// echo answers with an error whose JSON body echoes the credential that
// pick finds in the request, JSON-escaped at random (rng, shared under mu)
// between markers, with the given status.
func echo(code int, mu *sync.Mutex, rng *rand.Rand, pick func(r *http.Request, body []byte) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		esc := jsonEscaped(pick(r, raw), rng)
		mu.Unlock()
		status(code, fmt.Sprintf(`{"error":"invalid_client","error_description":"unknown <<%s>>","errors":["unknown <<%s>>"],"success":false,`+
			`"message":"unknown <<%s>>"}`, esc, esc, esc))(w, r)
	}
}

// requireNoEscapedSecret fails when a text holds the secret, as it is or
// JSON-escaped in any way, between the echo's markers, or (for a secret
// long enough not to occur in ordinary text) anywhere.
func requireNoEscapedSecret(t *testing.T, texts []string, secret string) {
	t.Helper()
	for _, text := range texts {
		for _, part := range strings.Split(text, "<<")[1:] {
			inner, _, ok := strings.Cut(part, ">>")
			if !ok {
				continue
			}
			var decoded string
			if json.Unmarshal([]byte(`"`+inner+`"`), &decoded) != nil {
				decoded = inner
			}
			require.NotContains(t, []string{inner, decoded}, secret, "secret %q surfaces in %q", secret, text)
		}
		if len(secret) >= 8 {
			require.NotContains(t, text, secret)
		}
	}
}

// A server that echoes a credential JSON-escaped (PHP's "\/", the \u002b,
// \u003d and \u002f of Gson and .NET, in either hex case) never puts it in
// an error: not in err.Error(), TokenError.Body, APIError.Body, %#v or any
// string reachable from the error, nor in the client's log lines. Every
// credential is tried at lengths the SDK accepts: the client secret, the
// access and refresh tokens and the seller key from one character, the
// webhook secret at its 32.
func TestEscapedSecretsNeverSurface(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 19))
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	check := func(t *testing.T, err error, secret string) {
		t.Helper()
		require.Error(t, err)
		logMu.Lock()
		texts := append(errorTexts(err), logs.String())
		logMu.Unlock()
		requireNoEscapedSecret(t, texts, secret)
	}

	formSecret := func(r *http.Request, body []byte) string {
		if _, p, ok := r.BasicAuth(); ok {
			p, _ = url.QueryUnescape(p)
			return p
		}
		form, _ := url.ParseQuery(string(body))
		return form.Get("client_secret")
	}
	// One fake Tiki echoes each credential where it is sent: the client
	// secret at a token URL of its own, the refresh token at Tiki's token
	// endpoint, the access token and the seller key at the API, the
	// webhook secret at TikiNOW.
	_, s := setup(t)
	var mu sync.Mutex
	s.handleRoot("POST /token", echo(http.StatusUnauthorized, &mu, rng, formSecret))
	s.handleRoot("POST "+tokenPath, echo(http.StatusBadRequest, &mu, rng, func(r *http.Request, body []byte) string {
		form, _ := url.ParseQuery(string(body))
		return form.Get("refresh_token")
	}))
	s.handle("/", echo(http.StatusBadRequest, &mu, rng, func(r *http.Request, _ []byte) string {
		if k := r.Header.Get("tiki-api"); k != "" {
			return k
		}
		return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}))
	s.handleRoot("POST "+tikiNowPath+"/register-webhooks", echo(http.StatusBadRequest, &mu, rng, func(_ *http.Request, body []byte) string {
		var req RegisterWebhooksRequest
		_ = json.Unmarshal(body, &req)
		return req.Webhooks.Order.SecretKey
	}))

	for n := 1; n <= 40; n++ {
		secret := headerSecret(n, rng)
		t.Run(fmt.Sprintf("client secret/%d", n), func(t *testing.T) {
			for _, style := range []AuthStyle{AuthStyleBasic, AuthStylePost} {
				c := s.client(t, WithClientCredentials(ClientCredentials{ClientID: testClientID, ClientSecret: secret, AuthStyle: style, TokenURL: s.URL + "/token"}),
					WithLogger(logger))
				_, _, err := c.Catalog.ListCategories(ctx, nil)
				var te *TokenError
				require.ErrorAs(t, err, &te)
				check(t, err, secret)
			}
		})
		t.Run(fmt.Sprintf("refresh token/%d", n), func(t *testing.T) {
			app := OAuthApp{ClientID: testClientID, ClientSecret: testClientSecret, Host: s.URL}
			opt, _ := storedApp(t, app, &Token{AccessToken: "expired", RefreshToken: secret, Expiry: time.Now().Add(-time.Hour)})
			c := s.client(t, opt, WithLogger(logger))
			_, _, err := c.Catalog.ListCategories(ctx, nil)
			var te *TokenError
			require.ErrorAs(t, err, &te)
			check(t, err, secret)
		})
		for name, auth := range map[string]Option{"access token": WithAccessToken(secret), "seller key": WithSellerKey(secret)} {
			if strings.TrimSpace(secret) != secret {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				c := s.client(t, auth, WithLogger(logger))
				_, _, err := c.Catalog.ListCategories(ctx, nil)
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				check(t, err, secret)
			})
		}
	}
	for range 10 {
		secret := headerSecret(WebhookSecretLen, rng)
		t.Run("webhook secret", func(t *testing.T) {
			c := s.client(t, WithAccessToken("tikinow-token"), WithLogger(logger))
			_, _, err := c.Webhooks.Register(ctx, &RegisterWebhooksRequest{
				InventoryLocations: []string{"sgn"},
				Webhooks:           WebhookTargets{Order: &WebhookTarget{URL: "https://shop.example/hook", SecretKey: secret}},
			})
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			check(t, err, secret)
		})
	}
}
