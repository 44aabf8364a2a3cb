package sellers

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
)

// A state is accepted until the state TTL has passed since ConsentURL; an
// expired one is a *tiki.ValidationError naming the state, and nothing is
// sent or claimed.
func TestOnboardingStateExpires(t *testing.T) {
	t.Parallel()
	pool, err := NewPool(tiki.OAuthApp{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb",
		Scopes: []string{tiki.ScopeOffline}, Host: "http://127.0.0.1:1"}, tiki.NewMemoryTokenStore())
	require.NoError(t, err)
	o, err := NewOnboarding(pool, WithStateTTL(5*time.Minute))
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	o.now = func() time.Time { return now }
	consent, err := o.ConsentURL("s")
	require.NoError(t, err)
	u, err := url.Parse(consent)
	require.NoError(t, err)
	state := u.Query().Get("state")

	now = now.Add(5 * time.Minute)
	_, err = o.Complete(context.Background(), "s", url.Values{"code": {"c"}, "state": {state}})
	var ve *tiki.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{{Field: "state",
		Problem: "has expired (a consent lasts 5m0s): send the seller to the consent page again"}}, ve.Problems)

	now = now.Add(-time.Second)
	require.NoError(t, o.useState(context.Background(), state, "s"), "a second earlier it was accepted")
}
