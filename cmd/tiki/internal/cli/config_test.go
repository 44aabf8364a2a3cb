package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikitest"
)

// Secrets of the tests' profiles, each easy to find in an output.
const (
	secretClient  = "client-secret-SHOULD-NOT-SHOW"
	secretToken   = "access-token-SHOULD-NOT-SHOW"
	secretKey     = "seller-key-SHOULD-NOT-SHOW"
	secretWebhook = "webhook-secret-SHOULD-NOT-SHOW!!" // 32 characters
)

// noSecret fails the test when an output holds a secret.
func noSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		assert.NotContains(t, r.stdout, s)
		assert.NotContains(t, r.stderr, s)
	}
}

// config set keeps profiles of every way to authenticate, their secrets
// read from stdin or asked for on a terminal without echo, in a file only
// its owner reads; config show, list and set never print a secret, in any
// format.
func TestConfigProfilesKeepSecretsUnprinted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	all := []string{secretClient, secretToken, secretKey, secretWebhook}

	h.stdin = secretClient + "\n"
	r := h.ok("config", "set", "shop", "--auth", "client-credentials", "--client-id", "app-1", "--environment", "production", "--scopes", "product,order")
	noSecret(t, r, all...)
	assert.Contains(t, r.stderr, "Saved profile shop")

	h.terminal, h.secret, h.stdin = true, secretToken, ""
	r = h.ok("config", "set", "bearer", "--auth", "access-token", "--base-url", "https://proxy.example/integration")
	noSecret(t, r, all...)
	assert.Contains(t, r.stderr, "Access token of profile bearer (input hidden): ")

	h.terminal, h.stdin = false, secretKey+"\n"
	r = h.ok("config", "set", "legacy", "--auth", "seller-key", "--default")
	noSecret(t, r, all...)

	path := filepath.Join(h.configDir, "tiki", "config.yaml")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file is readable by its owner only")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, s := range []string{secretClient, secretToken, secretKey} {
		assert.Contains(t, string(b), s, "the secret is kept")
	}
	// A webhook secret, as register would save it.
	require.NoError(t, os.WriteFile(path, bytes.Replace(b, []byte("auth: seller-key\n"), []byte("auth: seller-key\n        webhook_secret: "+secretWebhook+"\n"), 1), 0o600))

	for _, profile := range []string{"shop", "bearer", "legacy"} {
		for _, format := range formats {
			r := h.ok("--profile", profile, "config", "show", "-o", format)
			noSecret(t, r, all...)
			assert.Contains(t, r.stdout, "set")
		}
	}
	r = h.ok("config", "show", "-o", "json")
	v := decodeJSON[configView](t, r.stdout)
	assert.Equal(t, "legacy", v.Profile, "the default profile")
	assert.Equal(t, map[string]string{"seller_key": "set", "webhook_secret": "set"}, v.Secrets)

	for _, format := range formats {
		r := h.ok("config", "list", "-o", format)
		noSecret(t, r, all...)
		for _, name := range []string{"shop", "bearer", "legacy"} {
			assert.Contains(t, r.stdout, name)
		}
	}
	golden(t, "config_list.table", strings.ReplaceAll(h.ok("config", "list").stdout, h.configDir, "CONFIG"))

	h.ok("config", "use", "shop")
	v = decodeJSON[configView](t, h.ok("config", "show", "-o", "json").stdout)
	assert.Equal(t, "shop", v.Profile)
	assert.Equal(t, "production", v.Environment)
	assert.Equal(t, "app-1", v.ClientID, "a client id is not a secret")

	h.ok("config", "delete", "bearer")
	h.fails(ExitUsage, []string{"--profile", "bearer", "config", "show"}, `profile "bearer" is not in`, "(profiles: legacy, shop)")
	assert.Equal(t, path+"\n", h.ok("config", "path").stdout)

	// Changing a setting keeps the secret; changing the way to
	// authenticate asks for the new one.
	h.stdin = ""
	h.ok("config", "set", "shop", "--environment", "sandbox")
	b, _ = os.ReadFile(path)
	assert.Contains(t, string(b), secretClient)
	h.fails(ExitUsage, []string{"config", "set", "shop", "--auth", "seller-key"}, "reading the Seller key of profile shop from stdin")
}

// Environment variables name the credentials as the SDK's examples read
// them; config show says where they come from and never prints them.
func TestConfigFromTheEnvironment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env[EnvClientID] = "app-1"
	h.env[EnvClientSecret] = secretClient
	h.env[EnvEnvironment] = "production"
	for _, format := range formats {
		r := h.ok("config", "show", "-o", format)
		noSecret(t, r, secretClient)
		assert.Contains(t, r.stdout, EnvClientSecret)
	}
	h.env[EnvEnvironment] = "staging"
	h.fails(ExitUsage, []string{"config", "show"}, `TIKI_ENV is "staging": use sandbox or production`)
	delete(h.env, EnvClientSecret)
	h.env[EnvEnvironment] = ""
	h.fails(ExitUsage, []string{"config", "show"}, "TIKI_CLIENT_ID and TIKI_CLIENT_SECRET go together")
}

// A configuration file that is not valid is refused in one line naming the
// problem.
func TestConfigFileRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	path := filepath.Join(h.configDir, "tiki", "config.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	for text, want := range map[string]string{
		"profiles:\n  shop:\n    auth: client-credentials\n    client_secert: x\n": "field client_secert not found",
		"profiles:\n  shop:\n    auth: token\n":                                    `auth is "token": use one of client-credentials`,
		"default: shop\n":                                                          `default names profile "shop"`,
		"profiles: [\n":                                                            "is not a valid configuration file",
		"profiles:\n  shop:\n    auth: client-credentials\n":                       "client_id is required with auth client-credentials",
	} {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		h.fails(ExitUsage, []string{"config", "show"}, want)
	}
}

// syncBuffer is a buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A public app's profile signs the seller in with config login (the
// address Tiki redirects to, pasted back, state checked), then its commands
// renew the token and keep Tiki's new refresh token in the profile.
func TestConfigLoginAndRenewal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	delete(h.env, EnvBaseURL)
	delete(h.env, EnvAccessToken)
	h.stdin = tikitest.DefaultClientSecret + "\n"
	h.ok("config", "set", "public", "--auth", "oauth-app", "--client-id", tikitest.DefaultClientID,
		"--base-url", s.URL, "--redirect-url", "https://shop.example/tiki/callback", "--scopes", "product,order,offline")
	h.fails(ExitUsage, []string{"orders", "list"}, "has no seller yet", "tiki config login public")

	// login, with the seller's browser played by the test.
	stdin, answer := io.Pipe()
	stderr := &syncBuffer{}
	var stdout bytes.Buffer
	env := &Env{Stdin: stdin, Stdout: &stdout, Stderr: stderr, Getenv: func(k string) string { return h.env[k] },
		Now: func() time.Time { return demoNow }, ConfigDir: h.configDir}
	done := make(chan int)
	go func() { done <- Run(context.Background(), env, []string{"config", "login", "public"}) }()
	authURL := regexp.MustCompile(`https?://\S+/sc/oauth2/auth\S+`)
	var consent string
	require.Eventually(t, func() bool { consent = authURL.FindString(stderr.String()); return consent != "" }, 5*time.Second, 10*time.Millisecond)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(consent)
	require.NoError(t, err)
	resp.Body.Close()
	back := resp.Header.Get("Location")
	require.Contains(t, back, "https://shop.example/tiki/callback?")
	_, err = io.WriteString(answer, back+"\n")
	require.NoError(t, err)
	require.Equal(t, ExitOK, <-done, stderr.String())
	assert.Contains(t, stderr.String(), "Signed in")

	path := filepath.Join(h.configDir, "tiki", "config.yaml")
	cfg, _, err := loadConfig(path)
	require.NoError(t, err)
	sellerID := cfg.Profiles["public"].SellerID
	require.NotEmpty(t, sellerID)
	store, err := tiki.NewFileTokenStore(filepath.Join(h.configDir, "tiki", "tokens"))
	require.NoError(t, err)
	first, err := store.Load(context.Background(), sellerID)
	require.NoError(t, err)
	require.NotEmpty(t, first.RefreshToken)
	noSecret(t, result{stdout: stdout.String(), stderr: stderr.String()}, first.AccessToken, first.RefreshToken, tikitest.DefaultClientSecret)
	v := decodeJSON[configView](t, h.ok("--profile", "public", "config", "show", "-o", "json").stdout)
	assert.Equal(t, map[string]string{"client_secret": "set", "token": "set", "webhook_secret": "not set"}, v.Secrets)
	assert.Equal(t, sellerID, v.SellerID)

	r := h.ok("-v", "orders", "list")
	noSecret(t, r, first.AccessToken, first.RefreshToken, tikitest.DefaultClientSecret)

	// The access token expires: the next run renews it once and keeps the
	// new refresh token (the old one is spent).
	s.ExpireTokens()
	r = h.ok("-v", "orders", "list")
	noSecret(t, r, first.AccessToken, first.RefreshToken, tikitest.DefaultClientSecret)
	renewed, err := store.Load(context.Background(), sellerID)
	require.NoError(t, err)
	assert.NotEqual(t, first.RefreshToken, renewed.RefreshToken, "the new refresh token is kept")
	assert.NotEqual(t, first.AccessToken, renewed.AccessToken)
	h.ok("orders", "list") // with the renewed token

	// A spent refresh token (a backup of the token store put back) makes
	// Tiki revoke the grant: every command says to sign the seller in again.
	tokenFile := filepath.Join(h.configDir, "tiki", "tokens", sellerID+".token")
	spent, err := json.Marshal(first)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tokenFile, spent, 0o600))
	s.ExpireTokens()
	r = h.fails(ExitRefused, []string{"orders", "list"}, "must authorize the app again", "tiki config login public")
	noSecret(t, r, first.RefreshToken)
	v = decodeJSON[configView](t, h.ok("config", "show", "-o", "json").stdout)
	assert.Equal(t, "revoked: sign the seller in again", v.Secrets["token"])

	// An address of another sign-in (another state) is refused.
	h.stdin = strings.Replace(back, "state=", "state=x", 1) + "\n"
	r = h.run("config", "login", "public")
	assert.Equal(t, ExitUsage, r.code)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	assert.Contains(t, lines[len(lines)-1], "tiki: the OAuth2 state was not issued for this session: paste the address of this sign-in")
}

// Credentials refused by Tiki's token endpoint fail in one line that holds
// no secret, also with --verbose.
func TestRefusedCredentialsAreNotPrinted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	delete(h.env, EnvAccessToken)
	h.env[EnvClientID] = tikitest.DefaultClientID
	h.env[EnvClientSecret] = secretClient
	r := h.fails(ExitRefused, []string{"-v", "orders", "list"}, "invalid_client", "check the credentials")
	noSecret(t, r, secretClient)

	h.env[EnvClientSecret] = tikitest.DefaultClientSecret
	r = h.ok("-v", "orders", "list")
	noSecret(t, r, tikitest.DefaultClientSecret)
	assert.Contains(t, r.stderr, "GET", "verbose logs the requests")
	_ = s
}

// No output holds a secret of the credentials, whichever way they
// authenticate: not config show in any format, not --verbose's request log,
// not an error (even when Tiki's answer echoes the secret), not an MCP
// tool's result or error.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	all := []string{secretClient, secretToken, secretKey}
	for name, creds := range map[string]map[string]string{
		"client credentials": {EnvClientID: tikitest.DefaultClientID, EnvClientSecret: secretClient},
		"access token":       {EnvAccessToken: secretToken},
		"seller key":         {EnvSellerKey: secretKey},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			s := newShop(t, h, tikitest.WithClientCredentials(tikitest.DefaultClientID, secretClient),
				tikitest.WithAccessToken(secretToken), tikitest.WithSellerKey(secretKey))
			delete(h.env, EnvAccessToken)
			var secret string
			for k, v := range creds {
				h.env[k] = v
				if k != EnvClientID {
					secret = v
				}
			}
			for _, format := range formats {
				noSecret(t, h.ok("config", "show", "-o", format), all...)
			}
			noSecret(t, h.ok("-v", "orders", "list"), all...)
			echo := []byte(`{"message":"refused: ` + secret + `","errors":["` + secret + `"]}`)
			require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Status: http.StatusBadRequest, Body: echo}))
			r := h.run("-v", "orders", "list")
			assert.Equal(t, ExitRefused, r.code)
			assert.Contains(t, r.stderr, "400 Bad Request")
			noSecret(t, r, all...)
			require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Body: echo[:len(echo)-3]}))
			noSecret(t, h.fails(ExitRefused, []string{"orders", "list"}, "not valid JSON"), all...)

			cs := connectMCP(t, h, true)
			var texts []string
			for _, c := range []struct {
				tool string
				args map[string]any
			}{
				{"list_orders", map[string]any{}}, {"get_order", map[string]any{"code": "404"}},
				{"confirm_order", map[string]any{"code": "300000004", "dry_run": true}}, {"get_product", map[string]any{"sku": "SO-TAY-A5"}},
			} {
				_, out, text := call(t, cs, c.tool, c.args)
				b, err := json.Marshal(out)
				require.NoError(t, err)
				texts = append(texts, text, string(b))
			}
			require.NoError(t, s.Inject(tikitest.Fault{Path: "/integration/v2/orders", Status: http.StatusBadRequest, Body: echo}))
			res, _, text := call(t, cs, "list_orders", map[string]any{})
			assert.True(t, res.IsError)
			s.ExpireTokens() // the next call renews a token
			_, _, renewed := call(t, cs, "list_products", map[string]any{})
			for _, text := range append(texts, text, renewed) {
				for _, secret := range all {
					assert.NotContains(t, text, secret)
				}
			}
		})
	}
}
