package sellers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tikisdk/tiki"
	"github.com/tikisdk/tiki/dedupe"
	"github.com/tikisdk/tiki/sellers"
	"github.com/tikisdk/tiki/tikitest"
)

// newOnboarding returns the onboarding of the fake's app, storing tokens in
// store, and its pool.
func newOnboarding(t *testing.T, srv *tikitest.Server, store tiki.TokenStore, opts ...sellers.OnboardingOption) (*sellers.Onboarding, *sellers.Pool) {
	t.Helper()
	pool := newPool(t, srv, store)
	o, err := sellers.NewOnboarding(pool, opts...)
	require.NoError(t, err)
	return o, pool
}

// A seller approves the app: the consent URL carries a state Tiki accepts
// (54 characters, never the same twice); the callback's code is exchanged,
// the seller's id read, the token stored under it, and the pool's client of
// the seller calls as the seller.
func TestOnboardingConnectsASeller(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	o, pool := newOnboarding(t, srv, store)

	consent, err := o.ConsentURL("session-1")
	require.NoError(t, err)
	u, err := url.Parse(consent)
	require.NoError(t, err)
	assert.Equal(t, srv.Host+"/sc/oauth2/auth", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, url.Values{"response_type": {"code"}, "client_id": {tikitest.DefaultClientID},
		"redirect_uri": {"https://app.example/tiki/callback"}, "scope": {"order offline"}, "state": {q.Get("state")}}, q)
	assert.Len(t, q.Get("state"), 54)
	other, err := o.ConsentURL("session-1")
	require.NoError(t, err)
	assert.NotEqual(t, consent, other, "a new state each time")

	back, err := srv.ApproveConsent(consent, 4242)
	require.NoError(t, err)
	seller, err := o.Complete(ctx, "session-1", back.Query())
	require.NoError(t, err)
	assert.Equal(t, "4242", seller.SellerID)
	assert.EqualValues(t, 4242, seller.Seller.ID)
	assert.Equal(t, "order offline", seller.Scope)
	c, err := pool.Client("4242")
	require.NoError(t, err)
	assert.Same(t, c, seller.Client)

	stored, err := store.Load(ctx, "4242")
	require.NoError(t, err)
	assert.NotEmpty(t, stored.RefreshToken)
	srv.ExpireTokens()
	me, _, err := c.Sellers.Get(ctx)
	require.NoError(t, err, "renewed with the stored refresh token")
	assert.EqualValues(t, 4242, me.ID)
}

// The state is checked before anything is sent: a callback from another
// session or with an altered state is ErrStateMismatch, a callback used
// before is ErrStateReplayed, and none of them reaches Tiki.
func TestOnboardingRefusesWrongAndReplayedStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	o, _ := newOnboarding(t, srv, store)
	consent, err := o.ConsentURL("session-1")
	require.NoError(t, err)
	back, err := srv.ApproveConsent(consent, 4243)
	require.NoError(t, err)
	cb := back.Query()

	_, err = o.Complete(ctx, "session-2", cb)
	require.ErrorIs(t, err, sellers.ErrStateMismatch, "another browser session")
	// Altered states: one character in the middle (a byte of the signed
	// value), and the last one to another character that decodes to the
	// same bytes (only its padding bits differ): a state is accepted only
	// exactly as it was issued.
	state := cb.Get("state")
	middle := []byte(state)
	middle[20] = map[bool]byte{true: 'B', false: 'A'}[middle[20] == 'A']
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := []byte(state)
	last[53] = alphabet[strings.IndexByte(alphabet, last[53])^1] // the low bits of the last character are padding
	for _, state := range []string{"", "short", strings.ToUpper(state), string(middle), string(last)} {
		forged := url.Values{"code": {cb.Get("code")}, "state": {state}}
		_, err = o.Complete(ctx, "session-1", forged)
		require.ErrorIs(t, err, sellers.ErrStateMismatch, "state %q", state)
	}
	assert.Zero(t, srv.TokenRequests(), "nothing sent")

	_, err = o.Complete(ctx, "session-1", cb)
	require.NoError(t, err)
	requests := srv.TokenRequests()
	_, err = o.Complete(ctx, "session-1", cb)
	require.ErrorIs(t, err, sellers.ErrStateReplayed)
	assert.Equal(t, requests, srv.TokenRequests(), "nothing sent")
}

// A state is used once across replicas sharing the state store.
func TestOnboardingStateUsedOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	states := &dedupe.MemoryStore{}
	a, _ := newOnboarding(t, srv, store, sellers.WithStateStore(states))
	b, _ := newOnboarding(t, srv, store, sellers.WithStateStore(states))
	consent, err := a.ConsentURL("s")
	require.NoError(t, err)
	back, err := srv.ApproveConsent(consent, 4244)
	require.NoError(t, err)
	_, err = b.Complete(ctx, "s", back.Query())
	require.NoError(t, err, "another replica checks the state")
	_, err = a.Complete(ctx, "s", back.Query())
	require.ErrorIs(t, err, sellers.ErrStateReplayed)
}

// The seller refuses: Tiki's refusal is a *tiki.AuthorizationError, with
// or without the state; nothing is stored.
func TestOnboardingRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	o, pool := newOnboarding(t, srv, store)
	consent, err := o.ConsentURL("session-1")
	require.NoError(t, err)
	back, err := srv.DenyConsent(consent)
	require.NoError(t, err)
	_, err = o.Complete(ctx, "session-1", back.Query())
	var ae *tiki.AuthorizationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, &tiki.AuthorizationError{Code: "access_denied", StatusCode: "403", Hint: "The resource owner denied the request."}, ae)

	noState := back.Query()
	noState.Del("state")
	_, err = o.Complete(ctx, "session-1", noState)
	require.ErrorAs(t, err, &ae)

	forged := back.Query()
	forged.Set("state", "someone-elses-state")
	_, err = o.Complete(ctx, "session-1", forged)
	require.ErrorIs(t, err, sellers.ErrStateMismatch, "a refusal with a wrong state is not believed")
	assert.Zero(t, srv.TokenRequests())
	assert.Zero(t, pool.Len())
}

// Bad inputs are *tiki.ValidationError before anything is sent.
func TestOnboardingValidation(t *testing.T) {
	t.Parallel()
	srv := tikitest.NewServer(t)
	store := tiki.NewMemoryTokenStore()
	var ve *tiki.ValidationError
	_, err := sellers.NewOnboarding(nil, sellers.WithStateStore(nil), sellers.WithStateTTL(0))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{
		{Field: "WithStateStore", Problem: "must not be nil"},
		{Field: "WithStateTTL", Problem: "must be from 1m0s to 24h0m0s, not 0s"},
		{Field: "pool", Problem: "must not be nil"},
	}, ve.Problems)

	app := fakeApp(srv)
	app.Scopes, app.RedirectURL = []string{tiki.ScopeOrder}, ""
	pool, err := sellers.NewPool(app, store)
	require.NoError(t, err)
	_, err = sellers.NewOnboarding(pool)
	require.ErrorAs(t, err, &ve)
	assert.Len(t, ve.Problems, 2)
	assert.Contains(t, err.Error(), "app.Scopes must include offline")

	o, _ := newOnboarding(t, srv, store)
	_, err = o.ConsentURL("")
	require.ErrorAs(t, err, &ve)
	//lint:ignore SA1012 a nil context is what is tested
	_, err = o.Complete(nil, "", url.Values{}) //nolint:staticcheck
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []tiki.FieldProblem{{Field: "ctx", Problem: "must not be nil"}, {Field: "session", Problem: "must not be empty"}}, ve.Problems)
	assert.Zero(t, srv.Requests()+srv.TokenRequests())
}
