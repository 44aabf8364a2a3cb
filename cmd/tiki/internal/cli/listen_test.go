package cli

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/tikinow"
	"github.com/tikisdk/tiki/tikitest"
)

// webhooks listen prints the deliveries whose signature matches the
// secret, in each format, refuses a forgery, and stops after --count.
func TestWebhooksListen(t *testing.T) {
	t.Parallel()
	stock := `{"data":{"date":"2025-06-02T09:31:00+07:00","sku":"8800002090002","warehouse":"sgn","qty_salable":9,"seller_product_code":"SO-TAY-A5","partner_id":"shop-1"}}`
	order := `{"data":{"date":"2025-06-02T09:32:00+07:00","ref_code":"R1","order_code":"300000003","main_state":"processing","main_substate":"picking"}}`
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			h := newHarness(t)
			h.env[EnvWebhookSecret] = secretWebhook
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			env := &Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return h.env[k] },
				Now: func() time.Time { return demoNow }, ConfigDir: h.configDir}
			done := make(chan int)
			go func() {
				done <- Run(context.Background(), env, []string{"--fake", "-o", format, "webhooks", "listen", "127.0.0.1:0", "--path", "/hooks", "--count", "2"})
			}()
			addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+/hooks`)
			var url string
			require.Eventually(t, func() bool { url = addr.FindString(stderr.String()); return url != "" }, 10*time.Second, 10*time.Millisecond)

			post := func(body, secret string) int {
				req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
				require.NoError(t, err)
				req.Header.Set(tikinow.SignatureHeader, tikinow.Sign([]byte(body), secret))
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				return resp.StatusCode
			}
			assert.Equal(t, http.StatusUnauthorized, post(stock, "another-secret-of-32-characters!"), "a forgery")
			assert.Equal(t, http.StatusOK, post(stock, secretWebhook))
			assert.Equal(t, http.StatusOK, post(order, secretWebhook))
			select {
			case code := <-done:
				require.Equal(t, ExitOK, code, stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatal("listen did not stop after --count deliveries")
			}
			assert.Contains(t, stderr.String(), "tiki: refused a delivery")
			assert.NotContains(t, stderr.String()+stdout.String(), secretWebhook)
			golden(t, "webhooks_listen."+format, stdout.String())
		})
	}

	h := newHarness(t)
	h.fails(ExitUsage, []string{"--fake", "webhooks", "listen", "127.0.0.1:0"}, "no webhook secret", EnvWebhookSecret)
}

// webhooks register keeps a new secret in the profile, never printed, and
// registers it with TikiNOW; listen then verifies deliveries with it.
func TestWebhooksRegisterKeepsTheSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	delete(h.env, EnvBaseURL)
	delete(h.env, EnvAccessToken)
	h.stdin = "tikitest-seller-key\n"
	h.ok("config", "set", "legacy", "--auth", "seller-key", "--base-url", s.URL, "--tikinow-url", s.TikiNowURL)
	h.fails(ExitUsage, []string{"--profile", "legacy", "webhooks", "register", "--url", "http://127.0.0.1:8088/hooks", "--locations", "sgn"},
		"TikiNOW takes OAuth2 tokens, not the seller key")
	h.stdin = tikitest.DefaultAccessToken + "\n"
	h.ok("config", "set", "shop", "--auth", "access-token", "--base-url", s.URL, "--tikinow-url", s.TikiNowURL, "--default")
	r := h.ok("webhooks", "register", "--url", "http://127.0.0.1:8088/hooks", "--locations", "sgn", "--kinds", "stock")
	assert.Contains(t, r.stderr, "A new webhook secret was saved in profile shop")
	cfg, _, err := loadConfig(h.configDir + "/tiki/config.yaml")
	require.NoError(t, err)
	secret := cfg.Profiles["shop"].WebhookSecret
	require.Len(t, secret, tiki.WebhookSecretLen)
	noSecret(t, r, secret)
	reg := s.WebhookRegistration()
	require.NotNil(t, reg)
	require.NotNil(t, reg.Webhooks.Stock)
	assert.Equal(t, secret, reg.Webhooks.Stock.SecretKey)
	assert.Nil(t, reg.Webhooks.Order)

	// Registering again keeps the same secret.
	r = h.ok("webhooks", "register", "--url", "http://127.0.0.1:8088/hooks", "--locations", "sgn")
	assert.NotContains(t, r.stderr, "new webhook secret")
	assert.Equal(t, secret, s.WebhookRegistration().Webhooks.Order.SecretKey)

	h.fails(ExitUsage, []string{"webhooks", "register", "--url", "http://127.0.0.1:8088/hooks", "--locations", "sgn", "--kinds", "orders"},
		`--kinds "orders" is not a kind of delivery: use one of order, stock, aftersale`)
}

// queue tail prints events at least once and resumes after the last batch
// it printed: its checkpoint file outlives the run.
func TestQueueTailResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := newShop(t, h)
	s.SetEventBatchSize(3)
	r := h.ok("queue", "tail", "demo", "--count", "1", "-o", "json")
	first := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, first, 3, "one batch of three events")

	r = h.ok("queue", "tail", "demo", "--count", "1", "-o", "json")
	second := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, second, 3, "the next batch")
	for _, e := range second {
		assert.NotContains(t, first, e, "an event of a batch already printed comes again")
	}

	// Tiki acknowledges a batch when the next pull names it: without the
	// checkpoint, the second batch comes again; with it, the third comes.
	r = h.ok("queue", "tail", "demo", "--count", "1", "--no-checkpoint", "-o", "json")
	assert.Equal(t, second, strings.Split(strings.TrimSpace(r.stdout), "\n"), "without a checkpoint: Tiki's oldest unacknowledged batch")
	r = h.ok("queue", "tail", "demo", "--count", "1", "-o", "json")
	third := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.NotEmpty(t, third)
	for _, e := range third {
		assert.NotContains(t, append(first, second...), e)
	}

	// An event type can be ignored, and a queue is named by its code too.
	q, _, err := mustClient(t, s).EventQueue.ListQueues(context.Background())
	require.NoError(t, err)
	h.fails(ExitUsage, []string{"queue", "tail", "nope"}, `no event queue has the code or name "nope"`, "demo ("+q[0].Code+")")
	h.fails(ExitUsage, []string{"queue", "tail", q[0].Code, "--ignore", "ORDER_CREATED"}, `--ignore "ORDER_CREATED" is not an event type`)
}
